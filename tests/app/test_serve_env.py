"""`newsqa serve` started as a real process on a loopback port, configured only by NEWSQA_* variables.

Two servers (each loads the real model on an empty index, so ~1 minute to start on 2 cores):
- `comma`: keys as comma-separated text, CORS origins as a JSON list, no trusted proxy. Its
  requests carry forged X-Forwarded-For headers, which must not escape the limits.
- `json_list`: one key as a JSON list, empty CORS origins, 127.0.0.1 as a trusted proxy, so the
  header names the client and each named client has its own buckets.
Each test here uses its own client addresses, except `comma`'s last test, which blocks 127.0.0.1.
"""

from __future__ import annotations

import os
import socket
import subprocess
import sys
import time
import uuid
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

import httpx
import pytest

from tests.api.api_fakes import free_port

REPO = Path(__file__).resolve().parents[2]
START_TIMEOUT_S = 300
LIMITS = {
    "NEWSQA_RATE_LIMIT_PER_MINUTE": "2",
    "NEWSQA_AUTH_FAILURES_PER_MINUTE": "3",
    "NEWSQA_WRITE_RATE_LIMIT_PER_MINUTE": "50",
}


@contextmanager
def newsqa_serve(tmp_path: Path, variables: dict[str, str]) -> Iterator[httpx.Client]:
    """`python -m app.cli serve` with `variables` (and no other NEWSQA_*), until /readyz answers."""
    env = {k: v for k, v in os.environ.items() if not k.startswith(("NEWSQA_", "FORWARDED_ALLOW_IPS"))}
    env.update({"PYTHONPATH": str(REPO), "NEWSQA_DATA_DIR": str(tmp_path / "data"), **LIMITS, **variables})
    port = free_port()
    log_path = tmp_path / "serve.log"
    with log_path.open("wb") as log:
        command = [sys.executable, "-m", "app.cli", "serve", "--port", str(port)]
        proc = subprocess.Popen(command, env=env, cwd=REPO, stdout=log, stderr=subprocess.STDOUT)
        try:
            with httpx.Client(base_url=f"http://127.0.0.1:{port}", timeout=60) as client:
                _wait_ready(client, proc, log_path)
                yield client
        finally:
            proc.terminate()
            try:
                proc.wait(timeout=30)
            except subprocess.TimeoutExpired:
                proc.kill()


def _wait_ready(client: httpx.Client, proc: subprocess.Popen, log_path: Path) -> None:
    deadline = time.monotonic() + START_TIMEOUT_S
    while time.monotonic() < deadline:
        if proc.poll() is not None:
            raise AssertionError(
                f"newsqa serve exited with {proc.returncode}:\n{log_path.read_text()[-3000:]}"
            )
        try:
            if client.get("/readyz", timeout=2).status_code == 200:
                return
        except httpx.HTTPError:
            pass
        time.sleep(0.5)
    raise TimeoutError(f"newsqa serve not ready after {START_TIMEOUT_S} s")


@pytest.fixture(scope="module")
def comma(tmp_path_factory: pytest.TempPathFactory) -> Iterator[httpx.Client]:
    variables = {
        "NEWSQA_API_KEYS": "k1, k2",
        "NEWSQA_CORS_ORIGINS": '["https://a.example", "https://b.example"]',
    }
    with newsqa_serve(tmp_path_factory.mktemp("serve-comma"), variables) as client:
        yield client


@pytest.fixture(scope="module")
def json_list(tmp_path_factory: pytest.TempPathFactory) -> Iterator[httpx.Client]:
    variables = {
        "NEWSQA_API_KEYS": '["k3"]',
        "NEWSQA_CORS_ORIGINS": "",
        "NEWSQA_TRUSTED_PROXIES": "127.0.0.1",
    }
    with newsqa_serve(tmp_path_factory.mktemp("serve-json"), variables) as client:
        yield client


def forged() -> dict[str, str]:
    """A different made-up client address on every call."""
    return {
        "X-Forwarded-For": f"10.{uuid.uuid4().int % 250}.{uuid.uuid4().int % 250}.{uuid.uuid4().int % 250}"
    }


def delete(client: httpx.Client, key: str | None, **headers: str) -> httpx.Response:
    if key is not None:
        headers["Authorization"] = f"Bearer {key}"
    return client.delete("/articles/no-such-article", headers=headers)


def ask(client: httpx.Client, headers: dict[str, str]) -> int:
    return client.post("/ask", json={"question": "Which city flooded?"}, headers=headers).status_code


class TestKeysFromCommaSeparatedText:
    def test_both_keys_work_and_others_do_not(self, comma: httpx.Client) -> None:
        # 404: the key was accepted and the (missing) article looked up.
        assert delete(comma, "k1").status_code == 404 and delete(comma, "k2").status_code == 404
        assert delete(comma, "k1, k2").status_code == 401

    def test_cors_origins_from_a_json_list(self, comma: httpx.Client) -> None:
        for origin in ("https://a.example", "https://b.example"):
            response = comma.get("/healthz", headers={"Origin": origin})
            assert response.headers["access-control-allow-origin"] == origin
        assert (
            "access-control-allow-origin"
            not in comma.get("/healthz", headers={"Origin": "https://c.example"}).headers
        )

    def test_forged_forwarded_for_does_not_dodge_the_question_limit(self, comma: httpx.Client) -> None:
        assert [ask(comma, forged()) for _ in range(3)] == [200, 200, 429]

    def test_forged_forwarded_for_does_not_dodge_the_failed_key_limit(self, comma: httpx.Client) -> None:
        """Last in this class: it leaves 127.0.0.1 blocked for key checks."""
        statuses = [delete(comma, f"guess-{n}", **forged()).status_code for n in range(4)]
        assert statuses[-1] == 429 and set(statuses[:-1]) <= {401, 429}
        blocked = delete(comma, "k1", **forged())
        assert blocked.status_code == 429 and int(blocked.headers["retry-after"]) >= 1


class TestJsonListAndTrustedProxy:
    def test_the_one_key_works(self, json_list: httpx.Client) -> None:
        client = {"X-Forwarded-For": "192.0.2.10"}
        assert delete(json_list, "k3", **client).status_code == 404
        assert delete(json_list, '["k3"]', **client).status_code == 401
        assert (
            "access-control-allow-origin"
            not in json_list.get("/healthz", headers={"Origin": "https://a.example"}).headers
        )

    def test_forwarded_for_names_the_client(self, json_list: httpx.Client) -> None:
        first, second = {"X-Forwarded-For": "203.0.113.1"}, {"X-Forwarded-For": "203.0.113.2"}
        assert [ask(json_list, first), ask(json_list, first), ask(json_list, first)] == [200, 200, 429]
        assert ask(json_list, second) == 200

    def test_failed_keys_are_limited_per_client(self, json_list: httpx.Client) -> None:
        guesser = {"X-Forwarded-For": "198.51.100.1"}
        statuses = [delete(json_list, f"guess-{n}", **guesser).status_code for n in range(4)]
        assert statuses == [401, 401, 401, 429]
        refused = delete(json_list, "k3", **guesser)
        assert refused.status_code == 429 and int(refused.headers["retry-after"]) >= 1
        assert delete(json_list, "k3", **{"X-Forwarded-For": "198.51.100.2"}).status_code == 404


def status_with_header(client: httpx.Client, header_bytes: int) -> str:
    """Send GET /healthz with one header of `header_bytes` on a raw socket: the status, or "closed"."""
    url = client.base_url
    with socket.create_connection((url.host, url.port), timeout=30) as sock:
        request = f"GET /healthz HTTP/1.1\r\nHost: {url.host}\r\nX-Filler: {'a' * header_bytes}\r\n\r\n"
        try:
            sock.sendall(request.encode())
            reply = sock.recv(4096).decode(errors="replace")
        except OSError:  # reset while sending: the server stopped reading
            return "closed"
    return reply.split(" ", 2)[1] if reply.startswith("HTTP/") else "closed"


class TestUiGuardsBehindTrustedProxy:
    def test_failed_ui_logins_count_per_forwarded_client(self, json_list: httpx.Client) -> None:
        # The login guard sat outside the proxy-header middleware: every client behind the proxy
        # shared the proxy's bucket, so one guesser locked everyone out of the UI.
        def login(client: str) -> int:
            form = {"username": "me", "password": "wrong"}
            return json_list.post("/login", data=form, headers={"X-Forwarded-For": client}).status_code

        statuses = [login("198.51.100.77") for _ in range(12)]
        assert statuses[-1] == 429 and statuses[0] == 400
        assert login("198.51.100.78") == 400


class TestHeaderLimit:
    def test_a_huge_header_block_is_refused_and_a_normal_one_served(self, json_list: httpx.Client) -> None:
        # uvicorn's default parser (httptools) buffered a header of any size (8 MB: 200).
        assert status_with_header(json_list, 2_000_000) in ("400", "431", "closed")
        assert status_with_header(json_list, 8_000) == "200"
