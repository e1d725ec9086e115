"""The chat UI as a remote client reaches it: the real server app under uvicorn on loopback, called
through Gradio's HTTP API (`/gradio_api/upload`, `/gradio_api/call/add_articles`, `/login`).

The index is real (Chroma under a temp dir, the deterministic fake embedder); only the Answerer is
a fake. What a client may ingest, sign-in limits, and the error shape of Gradio's refusals.
"""

from __future__ import annotations

import json
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import httpx
import pytest

import app.services as app_services
from api.deps import Services
from api.security import RateLimitExceeded
from api.ui_login_guard import FailedLoginLimiter
from index.chunker import SentenceChunker
from index.dedup import Deduplicator
from index.embedder import FakeEmbedder
from index.loaders import make_article
from index.pipeline import Ingestor
from index.store import ArticleStore
from newsqa.settings import Settings
from tests.api.api_fakes import FakeAnswerer, FakeStore, LiveServer

STORY = (
    "Heavy rain flooded the old quarter of Lahore on Tuesday, city officials said. "
    "Schools were closed and buses were stopped until the water drained away."
)
KEY = "ui-test-key"


def _services(data_dir: Path) -> Services:
    embedder = FakeEmbedder(dim=32)
    store = ArticleStore(data_dir, dim=embedder.dim, model_id=embedder.model_id)
    # No fetcher: URLs fail offline, so nothing here reaches the network.
    ingestor = Ingestor(store, embedder, SentenceChunker(embedder, 60, 0), Deduplicator(), fetcher=None)
    return Services(FakeAnswerer(FakeStore()), ingestor, store, make_article, data_dir / "uploads")


@pytest.fixture
def serve(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Iterator[Any]:
    """`serve(**settings)` -> the base URL of the real server app on a loopback port."""
    from app.server import create_server_app

    data_dir = tmp_path / "data"
    monkeypatch.setenv("GRADIO_TEMP_DIR", str(data_dir / "uploads" / "ui"))
    monkeypatch.setattr(app_services, "build_services", lambda settings: _services(data_dir))
    servers: list[LiveServer] = []

    def start(**settings: Any) -> str:
        server = LiveServer(create_server_app(Settings(data_dir=data_dir, **settings)))
        servers.append(server)
        return server.__enter__()

    yield start
    for server in servers:
        server.__exit__(None, None, None)


def call_add_articles(client: httpx.Client, files: list[dict] | None, urls: str) -> tuple[str, Any]:
    """Run the UI's add_articles event as Gradio's API does: returns (SSE event, data)."""
    started = client.post("/gradio_api/call/add_articles", json={"data": [files, urls]})
    assert started.status_code == 200, started.text
    stream = client.get(f"/gradio_api/call/add_articles/{started.json()['event_id']}", timeout=60)
    blocks = [b for b in stream.text.split("\n\n") if b.startswith("event: ")]
    event, data = blocks[-1].split("\n", 1)
    return event.removeprefix("event: "), json.loads(data.removeprefix("data: "))


def upload(client: httpx.Client, name: str, content: bytes) -> dict[str, Any]:
    """Upload a file the way the browser does and return the FileData the event then receives."""
    (path,) = client.post("/gradio_api/upload", files=[("files", (name, content, "text/plain"))]).json()
    return {"path": path, "orig_name": name, "meta": {"_type": "gradio.FileData"}}


def indexed_texts(client: httpx.Client) -> list[str]:
    rows = client.get("/articles", params={"limit": 100}).json()["articles"]
    return [client.get(f"/articles/{row['id']}").json()["text"] for row in rows]


class TestWhatTheUiIngests:
    def test_local_paths_and_folders_in_the_url_box_are_refused_by_name(self, serve: Any) -> None:
        with httpx.Client(base_url=serve(), timeout=30) as client:
            rain = upload(client, "rain.txt", STORY.encode())
            event, (summary, *_) = call_add_articles(client, [rain], "/etc/passwd\n/\nrelative.txt")
            assert event == "complete"
            assert "**Added** 1" in summary
            for line in ("/etc/passwd", "/", "relative.txt"):
                assert f"- **failed**: `{line}` — refused: the chat UI takes only uploaded files" in summary
            assert indexed_texts(client) == [STORY]  # the upload, and nothing of /etc/passwd
            assert client.get("/articles", params={"source": "local"}).json()["articles"][0]["title"]

    def test_a_file_payload_naming_a_server_path_is_refused(self, serve: Any, tmp_path: Path) -> None:
        with httpx.Client(base_url=serve(), timeout=30) as client:
            forged = {"path": "/etc/os-release", "meta": {"_type": "gradio.FileData"}}
            event, data = call_add_articles(client, [forged], "")
            assert event == "error"
            assert indexed_texts(client) == []
        # Gradio refused it before copying it into its upload folder.
        assert not list((tmp_path / "data" / "uploads" / "ui").rglob("os-release"))

    def test_failures_name_the_upload_not_its_server_path(self, serve: Any, tmp_path: Path) -> None:
        with httpx.Client(base_url=serve(), timeout=30) as client:
            empty = upload(client, "blank.txt", b"   \n")
            event, (summary, *_) = call_add_articles(client, [empty], "")
        assert event == "complete" and "- **failed**: `blank.txt` —" in summary
        assert str(tmp_path) not in summary


class TestSignIn:
    def test_gradio_401s_are_in_the_api_error_shape(self, serve: Any) -> None:
        with httpx.Client(base_url=serve(api_keys=[KEY]), timeout=30) as client:
            for response in (
                client.get("/config"),
                client.post("/gradio_api/call/add_articles", json={"data": [None, "/etc/passwd"]}),
            ):
                assert response.status_code == 401
                error = response.json()["error"]
                assert set(response.json()) == {"error"} and error["code"] == "unauthorized"
                assert "API keys as the password" in error["message"]

    def test_failed_logins_are_limited_per_client(self, serve: Any) -> None:
        base = serve(api_keys=[KEY], ui_login_failures_per_minute=3)
        with httpx.Client(base_url=base, timeout=30) as client:
            for _ in range(4):  # good sign-ins do not count
                assert client.post("/login/", data={"username": "me", "password": KEY}).status_code == 200
            for _ in range(3):
                wrong = client.post("/login/", data={"username": "me", "password": "guess"})
                assert wrong.status_code == 400 and wrong.json()["error"]["code"] == "invalid_credentials"
            limited = client.post("/login/", data={"username": "me", "password": KEY})
            assert limited.status_code == 429 and limited.json()["error"]["code"] == "rate_limited"
            assert 1 <= int(limited.headers["retry-after"]) <= 60

    def test_signed_in_clients_still_cannot_ingest_server_files(self, serve: Any) -> None:
        with httpx.Client(base_url=serve(api_keys=[KEY]), timeout=30) as client:
            assert client.post("/login/", data={"username": "me", "password": KEY}).status_code == 200
            event, (summary, *_) = call_add_articles(client, None, "/etc/passwd")
            assert event == "complete" and "refused" in summary
            headers = {"Authorization": f"Bearer {KEY}"}
            assert (
                client.get("/articles", params={"source": "local"}, headers=headers).json()["articles"] == []
            )


class TestFailedLoginLimiter:
    def test_failures_expire_after_a_minute_and_successes_are_forgiven(self) -> None:
        now = [1000.0]
        limiter = FailedLoginLimiter(per_minute=2, clock=lambda: now[0])
        limiter.forgive("a", limiter.begin("a"))  # signed in: not a failure
        limiter.begin("a")
        limiter.begin("a")
        with pytest.raises(RateLimitExceeded) as raised:
            limiter.begin("a")
        assert raised.value.headers == {"Retry-After": "60"}
        limiter.begin("b")  # another client has its own count
        now[0] += 60.5
        limiter.begin("a")

    def test_attempts_in_flight_count_before_their_outcome(self) -> None:
        limiter = FailedLoginLimiter(per_minute=3, clock=lambda: 5.0)
        for _ in range(3):  # three guesses sent at once, none answered yet
            limiter.begin("a")
        with pytest.raises(RateLimitExceeded):
            limiter.begin("a")
