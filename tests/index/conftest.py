"""Fixtures for the index room: embedders (real ones loaded once per session), articles, stores."""

from __future__ import annotations

import json
import sys
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import pytest

from index.chunker import SentenceChunker, content_version
from index.embedder import Embedder, FakeEmbedder
from index.store import ArticleStore
from newsqa.types import Article


@pytest.fixture(scope="session")
def real_embedder() -> Embedder:
    """all-MiniLM-L6-v2 on torch, loaded once (~5 s)."""
    return Embedder()


@pytest.fixture(scope="session")
def onnx_embedder() -> Embedder:
    """The same model as a fused fp32 ONNX Runtime graph (exported once into the user cache)."""
    return Embedder(backend="onnx")


@pytest.fixture(scope="session")
def int8_embedder(onnx_embedder: Embedder) -> Embedder:
    return Embedder(backend="onnx-int8")


@pytest.fixture
def fake_embedder() -> FakeEmbedder:
    return FakeEmbedder(dim=32)


@pytest.fixture(scope="session")
def dev_articles(shared_dir: Path) -> list[dict[str, Any]]:
    """The 1,556 articles of the RealTime QA 2022 dev set (skips without ../shared)."""
    path = shared_dir / "data" / "realtimeqa-2022" / "articles.jsonl"
    if not path.is_file():
        pytest.skip(f"{path} is not present")
    with path.open(encoding="utf-8") as fh:
        return [json.loads(line) for line in fh if line.strip()]


def _article(record: dict[str, Any] | None = None, **fields: Any) -> Article:
    data = dict(record or {})
    data.update(fields)
    article = Article(
        id=data["id"],
        title=data.get("title") or "",
        text=data["text"],
        source=data.get("source") or "",
        url=data.get("url"),
        published=data.get("published"),
        author=data.get("author"),
    )
    article.content_hash = content_version(article)
    return article


@pytest.fixture
def make_test_article() -> Callable[..., Article]:
    """make_test_article(record=None, **fields) -> Article with its content hash set."""
    return _article


@pytest.fixture
def fake_store(tmp_path: Path, fake_embedder: FakeEmbedder) -> ArticleStore:
    """An embedded Chroma store in tmp_path for FakeEmbedder vectors."""
    return ArticleStore(tmp_path / "data", fake_embedder.dim, model_id=fake_embedder.model_id)


@pytest.fixture
def fake_chunker(fake_embedder: FakeEmbedder) -> SentenceChunker:
    return SentenceChunker(fake_embedder, chunk_tokens=60, overlap_tokens=15)


@dataclass
class WriteParts:
    """What a test needs to write articles itself: the chunker, the embedder and the article maker."""

    chunker: SentenceChunker
    embedder: FakeEmbedder
    article: Callable[..., Article]


@pytest.fixture
def write_parts(
    fake_chunker: SentenceChunker, fake_embedder: FakeEmbedder, make_test_article: Callable[..., Article]
) -> WriteParts:
    return WriteParts(fake_chunker, fake_embedder, make_test_article)


# --- H1: a local HTTP server for URL/feed ingestion tests (fixtures prefixed h1_) -------------
H1_FIXTURES = Path(__file__).resolve().parent / "fixtures"


def _h1_handler(fixtures: Path) -> type:
    import http.server
    import time

    class Handler(http.server.BaseHTTPRequestHandler):
        def log_message(self, *args: object) -> None:  # keep test output quiet
            pass

        def _send(self, status: int, body: bytes, ctype: str, extra: dict[str, str] | None = None) -> None:
            self.send_response(status)
            self.send_header("Content-Type", ctype)
            self.send_header("Content-Length", str(len(body)))
            for key, value in (extra or {}).items():
                self.send_header(key, value)
            self.end_headers()
            self.wfile.write(body)

        def do_GET(self) -> None:
            host = f"{self.server.server_address[0]}:{self.server.server_address[1]}"
            path = self.path.split("?")[0]
            if path == "/h1_redirect":
                return self._send(302, b"", "text/plain", {"Location": "/h1_site/story-one.html"})
            if path == "/h1_redirect_private":  # to the cloud metadata address
                location = {"Location": "http://169.254.169.254/latest/meta-data/"}
                return self._send(302, b"", "text/plain", location)
            if path == "/h1_echo_host":  # the Host header the request carried
                return self._send(200, str(self.headers.get("Host")).encode(), "text/plain")
            if path == "/h1_redirect_to":  # to the URL in the query, as given
                return self._send(302, b"", "text/plain", {"Location": self.path.split("?", 1)[1]})
            if path == "/h1_redirect_loop":
                return self._send(302, b"", "text/plain", {"Location": "/h1_redirect_loop"})
            if path == "/h1_feed":  # a feed at an extension-less URL with an unhelpful content type
                body = (fixtures / "h1_site" / "feed.rss").read_bytes().replace(b"HOST", host.encode())
                return self._send(200, body, "application/octet-stream")
            if path == "/h1_big":
                return self._send(200, b"x" * 2_000_000, "text/plain")
            if path == "/h1_slow":
                time.sleep(3)
                return self._send(200, b"late", "text/plain")
            if path == "/h1_png":
                return self._send(200, b"\x89PNG\r\n\x1a\n" + bytes(range(256)) * 8, "image/png")
            file = (fixtures / path.lstrip("/")).resolve()
            if not file.is_file() or fixtures not in file.parents:
                return self._send(404, b"not found", "text/plain")
            body = file.read_bytes().replace(b"HOST", host.encode())
            ctype = {
                ".html": "text/html; charset=utf-8",
                ".rss": "application/rss+xml",
                ".atom": "application/atom+xml",
            }
            return self._send(200, body, ctype.get(file.suffix, "text/plain"))

    return Handler


@pytest.fixture(scope="session")
def h1_server() -> Any:
    """Base URL ("http://127.0.0.1:PORT") of a threaded server over tests/index/fixtures."""
    import http.server
    import threading

    class QuietServer(http.server.ThreadingHTTPServer):
        def handle_error(self, request: Any, client_address: Any) -> None:
            # A client that gave up (the time-cap test) is expected. Printing its traceback would
            # run ast.parse (3.11's caret placement) in this thread, racing the architecture test's
            # ast.parse: CPython 3.11's AST recursion counter is not per thread ("SystemError: AST
            # constructor recursion depth mismatch").
            if not isinstance(sys.exc_info()[1], ConnectionError):
                super().handle_error(request, client_address)

    server = QuietServer(("127.0.0.1", 0), _h1_handler(H1_FIXTURES))
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    yield f"http://127.0.0.1:{server.server_address[1]}"
    server.shutdown()
    server.server_close()


@pytest.fixture(scope="session")
def h1_seed_text(shared_dir: Path) -> str:
    """The raw Dawn page capture (skips without ../shared)."""
    path = shared_dir / "seeds" / "000_7999bad3e4a4883b.txt"
    if not path.is_file():
        pytest.skip(f"{path} is not present")
    return path.read_text(encoding="utf-8")
