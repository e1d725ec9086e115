"""One request's ingest budget (unpacked bytes, lines, entries) and waiting for the write lock."""

from __future__ import annotations

import gzip
import json
import threading
import time
from collections.abc import Callable
from pathlib import Path

import pytest

from index.chunker import SentenceChunker
from index.dedup import Deduplicator
from index.embedder import FakeEmbedder
from index.loaders import ArticleLoader
from index.lock import DataDirLock
from index.pipeline import Ingestor
from index.store import ArticleStore
from newsqa.errors import IndexBusy, LimitExceeded
from newsqa.types import Article, IngestFailure, IngestLimits
from tests.index.test_pipeline import synthetic_text

LINE = json.dumps({"title": "Same story", "text": "The river rose over its banks again this spring. " * 20})


@pytest.fixture
def ingestor(
    fake_store: ArticleStore, fake_embedder: FakeEmbedder, fake_chunker: SentenceChunker
) -> Ingestor:
    """Small embedding batches (8 chunks), so a streamed ingest commits early and often."""
    return Ingestor(fake_store, fake_embedder, fake_chunker, Deduplicator(), embed_batch_chunks=8)


def limits(**given: int) -> IngestLimits:
    values = {"max_unpacked_bytes": 10_000_000, "max_lines": 10_000, "max_entries": 10_000}
    return IngestLimits(**{**values, **given})


def gzip_bomb(path: Path, unpacked_mb: int, block_mb: int = 10) -> Path:
    """One repeated ~1 KB JSONL line: `block_mb` MB compressed once, that gzip member written over
    and over (a gzip file may hold several members), so the file is small and the text huge."""
    block = ((LINE + "\n") * (block_mb * 1_000_000 // (len(LINE) + 1))).encode()
    member = gzip.compress(block, compresslevel=9)
    path.write_bytes(member * (unpacked_mb // block_mb))
    return path


def jsonl(path: Path, rows: list[str]) -> str:
    path.write_text("\n".join(rows) + "\n", encoding="utf-8")
    return str(path)


def distinct_rows(n: int, start: int = 0) -> list[str]:
    return [
        json.dumps({"id": f"r{i}", "title": f"Story {i}", "text": synthetic_text(i)}) for i in range(start, n)
    ]


class TestRequestBudget:
    def test_gzip_bomb_stops_at_the_request_limit_while_unpacking(self, tmp_path: Path) -> None:
        bomb = gzip_bomb(tmp_path / "dump.jsonl.gz", unpacked_mb=100)
        assert bomb.stat().st_size < 500_000  # a few hundred KB that unpack to 100 MB
        loader = ArticleLoader(limits=limits(max_unpacked_bytes=500_000))
        with pytest.raises(LimitExceeded, match=r"500,000 bytes unpacked.*NEWSQA_INGEST_MAX_UNPACKED_BYTES"):
            list(loader.load([str(bomb)]))
        # Unpacking stopped at the limit (plus at most the line being read), not at the file's end.
        assert loader.budget.bytes <= 500_000 + len(LINE) + 1

    def test_without_limits_the_file_cap_still_applies_per_item(self, tmp_path: Path) -> None:
        bomb = gzip_bomb(tmp_path / "dump.jsonl.gz", unpacked_mb=1, block_mb=1)
        results = list(ArticleLoader(max_bulk_bytes=100_000).load([str(bomb)]))
        assert isinstance(results[-1], IngestFailure) and "too large" in results[-1].error

    def test_bytes_add_up_over_the_files_of_a_request(self, tmp_path: Path) -> None:
        files = [jsonl(tmp_path / f"part{i}.jsonl", distinct_rows(10 * (i + 1), 10 * i)) for i in range(3)]
        size = max(Path(f).stat().st_size for f in files)
        within = ArticleLoader(limits=limits(max_unpacked_bytes=size)).load(files[:1])
        assert all(isinstance(r, Article) for r in within)  # one file alone is within the limit
        with pytest.raises(LimitExceeded, match="bytes unpacked"):
            list(ArticleLoader(limits=limits(max_unpacked_bytes=int(size * 2.5))).load(files))

    def test_lines_are_counted_blank_and_bad_ones_too(self, tmp_path: Path) -> None:
        path = jsonl(tmp_path / "a.jsonl", [LINE, "", "{broken", *[""] * 20])
        assert len(list(ArticleLoader(limits=limits(max_lines=23)).load([path]))) == 2
        with pytest.raises(LimitExceeded, match=r"more than 22 JSONL lines.*NEWSQA_INGEST_MAX_LINES"):
            list(ArticleLoader(limits=limits(max_lines=22)).load([path]))

    def test_entries_count_articles_and_failed_items(self, tmp_path: Path) -> None:
        articles = tmp_path / "a.json"
        articles.write_text("[" + ",".join(distinct_rows(12)) + "]")
        numbers = tmp_path / "n.json"
        numbers.write_text(json.dumps(list(range(12))))
        for path in (articles, numbers):
            assert len(list(ArticleLoader(limits=limits(max_entries=12)).load([str(path)]))) == 12
            with pytest.raises(LimitExceeded, match=r"more than 11 articles.*NEWSQA_INGEST_MAX_ARTICLES"):
                list(ArticleLoader(limits=limits(max_entries=11)).load([str(path)]))

    def test_a_request_over_its_limit_writes_nothing(self, ingestor: Ingestor, tmp_path: Path) -> None:
        path = jsonl(tmp_path / "a.jsonl", distinct_rows(30))
        # Streaming would have committed the first batches (8 chunks each) before the 30th article.
        with pytest.raises(LimitExceeded):
            ingestor.ingest([path], limits=limits(max_entries=29))
        assert ingestor.store.stats()["articles"] == 0
        assert ingestor.ingest([path], limits=limits(max_entries=30)).added == 30


class TestWaitingForTheWriteLock:
    def test_busy_error_names_the_wait_and_when_to_retry(self, tmp_path: Path) -> None:
        with DataDirLock(tmp_path), pytest.raises(IndexBusy) as caught:
            DataDirLock(tmp_path, timeout_s=1.5).acquire()
        assert caught.value.retry_after_s == 2
        assert "waited 1.5 s for the write lock: retry after 2 s" in caught.value.message

    def test_a_second_writer_waits_its_turn_and_says_so(self, tmp_path: Path) -> None:
        notices: list[str] = []
        got_it = threading.Event()
        waiter = DataDirLock(tmp_path, timeout_s=float("inf"), on_wait=notices.append)

        def second_writer() -> None:
            with waiter:
                got_it.set()

        with DataDirLock(tmp_path):
            thread = threading.Thread(target=second_writer)
            thread.start()
            deadline = time.monotonic() + 10
            while not notices and time.monotonic() < deadline:
                time.sleep(0.05)
            assert not got_it.is_set()
        thread.join(timeout=10)
        assert got_it.is_set()
        assert notices and notices[0].startswith("waiting for the write lock: another ingest is running on")
        assert "pid" in notices[0]

    def test_ingestor_waits_for_a_writer_that_finishes_within_its_bound(
        self, ingestor: Ingestor, make_test_article: Callable[..., Article]
    ) -> None:
        ingestor.lock_timeout_s = 30
        holder = DataDirLock(ingestor.store.data_dir)
        holder.acquire()
        threading.Timer(0.5, holder.release).start()
        summary = ingestor.ingest_articles([make_test_article(id="late", text=synthetic_text(7))])
        assert summary.added == 1 and not holder.held
