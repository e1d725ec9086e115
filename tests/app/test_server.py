"""app.server: the API and the UI in one app, the start-up warning, and server mode.

Server mode: a real `chroma run` and two API processes on it; an article added through
one is answerable through the other.
"""

from __future__ import annotations

import os
import subprocess
import sys
import time
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import httpx
import pytest
from fastapi.testclient import TestClient

import app.server as server
import app.services as app_services
from newsqa.settings import Settings
from tests.api.api_fakes import free_port

REPO = Path(__file__).resolve().parents[2]


@pytest.fixture
def fake_backend(monkeypatch: pytest.MonkeyPatch, tmp_path: Path) -> Any:
    from tests.api.api_fakes import fake_services

    services = fake_services(tmp_path)
    monkeypatch.setattr(app_services, "build_services", lambda settings: services)
    monkeypatch.setenv("GRADIO_TEMP_DIR", str(tmp_path / "data" / "uploads" / "ui"))
    return services


class TestCreateServerApp:
    def test_api_and_ui_share_one_app(self, fake_backend: Any, tmp_path: Path) -> None:
        client = TestClient(server.create_server_app(Settings(data_dir=tmp_path / "data")))
        assert client.get("/healthz").json() == {"status": "ok"}
        assert client.post("/ask", json={"question": "Where did the airstrike occur?"}).json()["citations"]
        page = client.get("/")
        assert page.status_code == 200 and "<html" in page.text.lower()
        assert client.get("/config").json()["mode"] == "blocks"

    def test_unknown_routes_keep_the_error_shape(self, fake_backend: Any, tmp_path: Path) -> None:
        client = TestClient(server.create_server_app(Settings(data_dir=tmp_path / "data")))
        response = client.get("/no/such/page")
        assert response.status_code == 404 and response.json()["error"]["code"] == "not_found"

    def test_other_methods_on_api_paths_are_405_not_404(self, fake_backend: Any, tmp_path: Path) -> None:
        client = TestClient(server.create_server_app(Settings(data_dir=tmp_path / "data")))
        for method, path, allow in [("PUT", "/articles", "GET, POST"), ("PATCH", "/ask", "POST")]:
            response = client.request(method, path, json={})
            assert response.status_code == 405, (method, path, response.text)
            assert response.json()["error"]["code"] == "method_not_allowed"
            assert response.headers["allow"] == allow

    def test_files_gradio_will_not_serve_are_403_in_the_error_shape(
        self, fake_backend: Any, tmp_path: Path
    ) -> None:
        client = TestClient(server.create_server_app(Settings(data_dir=tmp_path / "data")))
        response = client.get("/gradio_api/file=/etc/passwd")
        assert response.status_code == 403
        assert response.json()["error"]["code"] == "forbidden" and "root:" not in response.text

    def test_ui_events_share_the_question_limit_of_ask(self, fake_backend: Any, tmp_path: Path) -> None:
        # Gradio's API ran the chat's `respond` without limit after /ask was already at 429.
        client = TestClient(
            server.create_server_app(Settings(data_dir=tmp_path / "data", rate_limit_per_minute=2))
        )
        question = {"data": ["Where did the airstrike occur?", [], [], "", "", "", "extractive"]}
        assert client.post("/gradio_api/call/respond", json=question).status_code == 200
        assert client.post("/ask", json={"question": "Where did the airstrike occur?"}).status_code == 200
        for path in ("/gradio_api/call/respond", "/gradio_api/queue/join", "/gradio_api/run/add_articles"):
            refused = client.post(path, json=question)
            assert refused.status_code == 429, path
            assert (
                refused.json()["error"]["code"] == "rate_limited" and int(refused.headers["retry-after"]) >= 1
            )
        assert client.get("/healthz").status_code == 200  # only event starts count

    def test_ui_needs_a_login_when_keys_are_set(self, fake_backend: Any, tmp_path: Path) -> None:
        client = TestClient(server.create_server_app(Settings(data_dir=tmp_path / "data", api_keys=["k1"])))
        assert client.get("/config").status_code == 401
        assert client.post("/login/", data={"username": "me", "password": "wrong"}).status_code == 400
        assert client.post("/login/", data={"username": "me", "password": "k1"}).status_code == 200
        assert client.get("/config").status_code == 200

    def test_a_corpus_is_indexed_in_the_background_only_into_an_empty_index(
        self, fake_backend: Any, tmp_path: Path
    ) -> None:
        corpus = tmp_path / "stories"
        corpus.mkdir()
        (corpus / "rain.txt").write_text("Rain in Lahore\n\nMonsoon rains flooded Lahore on Tuesday.")
        settings = Settings(data_dir=tmp_path / "data")
        assert server.create_server_app(settings, index_if_empty=corpus).state.indexing is None  # not empty
        fake_backend.store.articles.clear()
        app = server.create_server_app(settings, index_if_empty=corpus)
        assert app.state.indexing.wait(30) and app.state.indexing.progress()["done"] == 1
        assert [a.title for a in fake_backend.store.articles.values()] == ["Rain in Lahore"]


class TestServe:
    @pytest.fixture
    def no_uvicorn(self, monkeypatch: pytest.MonkeyPatch) -> list[dict[str, Any]]:
        import uvicorn

        runs: list[dict[str, Any]] = []
        monkeypatch.setattr(server, "create_server_app", lambda settings, **kw: runs.append(kw) or "app")
        monkeypatch.setattr(uvicorn, "run", lambda app, **kw: runs.append(kw))
        return runs

    @pytest.mark.parametrize("host", ["0.0.0.0", "192.168.1.5", "::"])
    def test_open_bind_without_keys_warns(
        self, no_uvicorn: list, capsys: pytest.CaptureFixture, host: str
    ) -> None:
        server.serve(Settings(host=host, port=8123))
        err = capsys.readouterr().err
        assert "WARNING" in err and f"{host}:8123" in err and "NEWSQA_API_KEYS" in err
        # uvicorn must not trust X-Forwarded-For itself: the app does, from trusted proxies only.
        assert no_uvicorn == [
            {"index_if_empty": None},
            {
                "host": host,
                "port": 8123,
                "proxy_headers": False,
                "log_level": "info",
                "http": "h11",
                "h11_max_incomplete_event_size": Settings().max_header_bytes,
            },  # fmt: skip
        ]

    @pytest.mark.parametrize(("host", "keys"), [("127.0.0.1", []), ("localhost", []), ("0.0.0.0", ["k"])])
    def test_no_warning_when_local_or_keyed(
        self, no_uvicorn: list, capsys: pytest.CaptureFixture, host: str, keys: list[str]
    ) -> None:
        server.serve(Settings(host=host, api_keys=keys))
        assert "WARNING" not in capsys.readouterr().err and len(no_uvicorn) == 2

    def test_demo_if_empty_opens_the_port_and_indexes_meanwhile(
        self, no_uvicorn: list, monkeypatch: pytest.MonkeyPatch
    ) -> None:
        from typer.testing import CliRunner

        import app.cli as cli

        result = CliRunner().invoke(cli.app, ["serve", "--demo-if-empty", "--port", "8124"])
        assert result.exit_code == 0, result.output
        assert no_uvicorn[0] == {"index_if_empty": cli.DEMO_DIR} and no_uvicorn[1]["port"] == 8124

    def test_default_bind_is_loopback(self) -> None:
        assert server.is_loopback(Settings().host)


# -- server mode: chroma server + two API processes ---------------------------------------------

ARTICLE = {
    "id": "karachi-floods",
    "title": "Monsoon floods hit Karachi",
    "source": "dawn.com",
    "published": "2022-08-25",
    "text": "Heavy monsoon rains flooded large parts of Karachi on Thursday, the Sindh government said. "
    "The provincial government declared an emergency in the city and closed schools for two days.",
}


def _wait_http(url: str, proc: subprocess.Popen, timeout_s: float) -> None:
    deadline = time.monotonic() + timeout_s
    while time.monotonic() < deadline:
        if proc.poll() is not None:
            raise RuntimeError(f"{proc.args} exited with {proc.returncode}")
        try:
            if httpx.get(url, timeout=2).status_code == 200:
                return
        except httpx.HTTPError:
            pass
        time.sleep(0.5)
    raise TimeoutError(f"{url} not ready after {timeout_s} s")


@pytest.fixture
def chroma_and_two_apis(tmp_path: Path) -> Iterator[tuple[str, str]]:
    chroma_bin = Path(sys.executable).parent / "chroma"
    if not chroma_bin.exists():
        pytest.skip("the chroma CLI is not installed")
    env = {
        **os.environ,
        "ANONYMIZED_TELEMETRY": "False",
        "HF_HUB_OFFLINE": "1",
        "GRADIO_ANALYTICS_ENABLED": "False",
    }
    chroma_port = free_port()
    procs: list[subprocess.Popen] = []
    logs = []
    try:
        log = (tmp_path / "chroma.log").open("w")
        logs.append(log)
        chroma = subprocess.Popen(
            [str(chroma_bin), "run", "--path", str(tmp_path / "chroma"), "--host", "127.0.0.1", "--port",
             str(chroma_port)],
            stdout=log, stderr=subprocess.STDOUT, env=env,
        )  # fmt: skip
        procs.append(chroma)
        _wait_http(f"http://127.0.0.1:{chroma_port}/api/v2/heartbeat", chroma, 60)
        urls = []
        for name in ("a", "b"):
            port = free_port()
            api_env = {**env, "NEWSQA_CHROMA_URL": f"http://127.0.0.1:{chroma_port}",
                       "NEWSQA_DATA_DIR": str(tmp_path / name), "NEWSQA_RATE_LIMIT_PER_MINUTE": "0"}  # fmt: skip
            log = (tmp_path / f"api-{name}.log").open("w")
            logs.append(log)
            procs.append(
                subprocess.Popen(
                    [
                        sys.executable,
                        "-m",
                        "uvicorn",
                        "--factory",
                        "app.server:app_from_env",
                        "--host",
                        "127.0.0.1",
                        "--port",
                        str(port),
                    ],
                    stdout=log,
                    stderr=subprocess.STDOUT,
                    env=api_env,
                    cwd=REPO,
                )  # fmt: skip
            )
            urls.append(f"http://127.0.0.1:{port}")
        for url, proc in zip(urls, procs[1:], strict=True):
            _wait_http(f"{url}/readyz", proc, 240)
        yield urls[0], urls[1]
    finally:
        for proc in reversed(procs):
            proc.terminate()
        for proc in procs:
            try:
                proc.wait(timeout=20)
            except subprocess.TimeoutExpired:
                proc.kill()
        for log in logs:
            log.close()


class TestServerMode:
    def test_article_added_through_one_api_is_answerable_through_the_other(
        self, chroma_and_two_apis: tuple[str, str]
    ) -> None:
        first, second = chroma_and_two_apis
        added = httpx.post(f"{first}/articles", json={"articles": [ARTICLE]}, timeout=120).json()
        assert added["added"] == 1, added
        question = {"question": "Which city did the monsoon rains flood?", "as_of": "2022-08-30"}
        deadline = time.monotonic() + 15  # each process re-reads Chroma's article list every few seconds
        while True:
            answer = httpx.post(f"{second}/ask", json=question, timeout=120).json()
            if not answer["abstained"] or time.monotonic() > deadline:
                break
            time.sleep(0.5)
        # Served by the other process, from the article written through the first one.
        assert not answer["abstained"], answer
        assert (
            answer["citations"][0]["article_id"] == ARTICLE["id"]
            and answer["citations"][0]["quote"] in ARTICLE["text"]
        )
        assert httpx.get(f"{second}/articles/{ARTICLE['id']}", timeout=10).json()["title"] == ARTICLE["title"]
        assert httpx.delete(f"{second}/articles/{ARTICLE['id']}", timeout=30).status_code == 200
        deadline = time.monotonic() + 15
        while httpx.get(f"{first}/articles/{ARTICLE['id']}", timeout=10).status_code != 404:
            assert time.monotonic() < deadline, "the first API still shows the deleted article"
            time.sleep(0.5)
