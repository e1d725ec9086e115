"""POST /articles within bounds: per-request ingest budget, reply size, waiting for the write lock,
and a body that never finishes (a raw socket against a real uvicorn server on loopback)."""

from __future__ import annotations

import gzip
import json
import socket
import threading
import time
from pathlib import Path
from typing import Any

import pytest
from fastapi.testclient import TestClient

from api.application import create_app
from index.chunker import SentenceChunker
from index.dedup import Deduplicator
from index.embedder import FakeEmbedder
from index.lock import DataDirLock
from index.pipeline import Ingestor
from index.store import ArticleStore
from newsqa.settings import Settings
from tests.api.api_fakes import LiveServer, fake_services
from tests.api.test_api import assert_error
from tests.index.test_pipeline import synthetic_text


def real_ingest_client(tmp_path: Path, **settings: Any) -> tuple[TestClient, ArticleStore]:
    """The API over a real Ingestor and embedded Chroma store (FakeEmbedder vectors)."""
    embedder = FakeEmbedder(dim=32)
    store = ArticleStore(tmp_path / "data", embedder.dim, model_id=embedder.model_id)
    chunker = SentenceChunker(embedder, chunk_tokens=60, overlap_tokens=15)
    ingestor = Ingestor(
        store,
        embedder,
        chunker,
        Deduplicator(),
        embed_batch_chunks=8,
        lock_timeout_s=settings.get("write_lock_wait_s", 30.0),
    )
    services = fake_services(tmp_path)
    services.ingestor, services.store = ingestor, store
    app = create_app(Settings(data_dir=tmp_path / "data", **settings), services=services)
    return TestClient(app, raise_server_exceptions=False), store


def rows(n: int, start: int = 0) -> bytes:
    lines = [
        json.dumps({"id": f"u{i}", "title": f"Story {i}", "text": synthetic_text(i)}) for i in range(start, n)
    ]
    return ("\n".join(lines) + "\n").encode()


def upload(client: TestClient, *files: tuple[str, bytes]) -> Any:
    return client.post(
        "/articles", files=[("files", (name, data, "application/octet-stream")) for name, data in files]
    )


def uploads_left(tmp_path: Path) -> list[Path]:
    return list((tmp_path / "data" / "uploads").iterdir())


class TestIngestBudget:
    def test_gzip_bomb_is_413_and_nothing_is_ingested(self, tmp_path: Path) -> None:
        client, store = real_ingest_client(tmp_path, ingest_max_unpacked_bytes=300_000)
        line = json.dumps({"title": "Again", "text": "The same words said over and over again. " * 25})
        member = gzip.compress(((line + "\n") * 10_000).encode(), compresslevel=9)  # ~10 MB of text
        bomb = member * 20  # ~200 MB unpacked
        assert len(bomb) < 1_000_000
        response = upload(client, ("fresh.jsonl", rows(3)), ("dump.jsonl.gz", bomb))
        body = assert_error(response, 413, "too_large")
        assert "300,000 bytes unpacked" in body["error"]["message"]
        assert "NEWSQA_INGEST_MAX_UNPACKED_BYTES" in body["error"]["message"]
        assert store.stats()["articles"] == 0  # not even the three good articles before it
        assert uploads_left(tmp_path) == []

    def test_over_the_line_limit_is_413_naming_it(self, tmp_path: Path) -> None:
        client, store = real_ingest_client(tmp_path, ingest_max_lines=5)
        body = assert_error(upload(client, ("a.jsonl", rows(6))), 413, "too_large")
        assert "more than 5 JSONL lines" in body["error"]["message"]
        assert "NEWSQA_INGEST_MAX_LINES" in body["error"]["message"]
        assert store.stats()["articles"] == 0

    def test_over_the_article_limit_is_413_naming_it(self, tmp_path: Path) -> None:
        client, store = real_ingest_client(tmp_path, ingest_max_articles=4)
        files = [(f"part{i}.jsonl", rows(2 * i + 2, 2 * i)) for i in range(3)]  # 2 + 2 + 2 articles
        body = assert_error(upload(client, *files), 413, "too_large")
        assert "more than 4 articles" in body["error"]["message"]
        assert store.stats()["articles"] == 0
        assert upload(client, *files[:2]).json()["added"] == 4  # within the limit all goes in

    def test_urls_over_the_limit_refuse_the_articles_sent_with_them(self, tmp_path: Path) -> None:
        client, store = real_ingest_client(tmp_path, ingest_max_articles=1)
        # Offline, each URL is one failed item: two of them pass the limit of one.
        body = {
            "articles": [{"id": "given", "text": synthetic_text(5)}],
            "urls": ["https://a.example/1", "https://a.example/2"],
        }
        assert_error(client.post("/articles", json=body), 413, "too_large")
        assert store.get_article("given") is None

    def test_reply_lists_a_bounded_number_of_items_and_counts_the_rest(self, tmp_path: Path) -> None:
        client, store = real_ingest_client(tmp_path, ingest_reply_max_items=5)
        bad = b"\n".join([b"{not json"] * 7) + b"\n"
        reply = upload(client, ("good.jsonl", rows(12)), ("bad.jsonl", bad)).json()
        assert reply["added"] == 12 and store.stats()["articles"] == 12
        assert [i["id"] for i in reply["items"]] == [f"u{i}" for i in range(5)]
        assert reply["items_omitted"] == 12 + 7 - 5
        assert len(reply["failed"]) == 5 and reply["failed_omitted"] == 2
        assert reply["failed"][0]["item"] == "bad.jsonl:1"


class TestWriteLockWait:
    ARTICLE = {"articles": [{"id": "waited", "title": "Waited", "text": synthetic_text(99)}]}

    def test_past_the_wait_a_write_gets_503_with_retry_after(self, tmp_path: Path) -> None:
        client, store = real_ingest_client(tmp_path, write_lock_wait_s=0.5)
        with DataDirLock(tmp_path / "data"):  # another writer holds the lock throughout
            response = client.post("/articles", json=self.ARTICLE)
        body = assert_error(response, 503, "index_busy")
        assert response.headers["retry-after"] == "1"
        assert "waited 0.5 s for the write lock: retry after 1 s" in body["error"]["message"]
        assert store.get_article("waited") is None
        assert client.post("/articles", json=self.ARTICLE).json()["added"] == 1

    def test_a_second_write_waits_its_turn_within_the_bound(self, tmp_path: Path) -> None:
        client, store = real_ingest_client(tmp_path, write_lock_wait_s=30)
        first = DataDirLock(tmp_path / "data")
        first.acquire()
        threading.Timer(1.0, first.release).start()  # the first write finishes a second later
        response = client.post("/articles", json=self.ARTICLE)
        assert response.status_code == 200 and response.json()["added"] == 1
        assert not first.held and store.get_article("waited") is not None

    def test_two_concurrent_uploads_both_land(self, tmp_path: Path) -> None:
        client, store = real_ingest_client(tmp_path, write_lock_wait_s=60)
        replies: list[Any] = [None, None]

        def post(n: int) -> None:
            replies[n] = upload(client, (f"batch{n}.jsonl", rows(10 * n + 10, 10 * n)))

        threads = [threading.Thread(target=post, args=(n,)) for n in range(2)]
        for thread in threads:
            thread.start()
        for thread in threads:
            thread.join(timeout=120)
        assert [r.status_code for r in replies] == [200, 200]
        assert [r.json()["added"] for r in replies] == [10, 10] and store.stats()["articles"] == 20


def _read_until_closed(sock: socket.socket, limit_s: float) -> bytes:
    data, deadline = b"", time.monotonic() + limit_s
    while time.monotonic() < deadline:
        try:
            chunk = sock.recv(65536)
        except TimeoutError:
            continue
        if not chunk:
            return data
        data += chunk
    raise AssertionError(f"the connection was still open after {limit_s} s; got {data[:200]!r}")


class TestBodyReadTimeout:
    @pytest.fixture
    def server(self, tmp_path: Path) -> Any:
        app = create_app(
            Settings(data_dir=tmp_path / "data", body_read_timeout_s=1.0), services=fake_services(tmp_path)
        )
        with LiveServer(app) as base_url:
            yield int(base_url.rsplit(":", 1)[1])

    @staticmethod
    def _head(length: int) -> bytes:
        return (
            f"POST /articles HTTP/1.1\r\nHost: 127.0.0.1\r\nContent-Type: application/json\r\n"
            f"Content-Length: {length}\r\n\r\n"
        ).encode()

    def test_a_stalled_body_gets_408_and_the_connection_is_closed(self, server: int) -> None:
        with socket.create_connection(("127.0.0.1", server), timeout=0.5) as sock:
            sock.sendall(self._head(1000) + b'{"articles": [{"te')  # then nothing more
            reply = _read_until_closed(sock, limit_s=15)
        assert reply.startswith(b"HTTP/1.1 408"), reply[:200]
        head, _, body = reply.partition(b"\r\n\r\n")
        assert b"connection: close" in head.lower()
        error = json.loads(body)["error"]
        assert error["code"] == "request_timeout" and "NEWSQA_BODY_READ_TIMEOUT_S" in error["message"]

    def test_a_body_that_arrives_in_time_is_served(self, server: int) -> None:
        body = json.dumps({"articles": [{"id": "slow", "text": "Rain fell in Lahore on Tuesday."}]}).encode()
        with socket.create_connection(("127.0.0.1", server), timeout=5) as sock:
            sock.sendall(self._head(len(body)) + body[:10])
            time.sleep(0.3)
            sock.sendall(body[10:])
            reply = sock.recv(65536)
        assert reply.startswith(b"HTTP/1.1 200"), reply[:200]
