"""qa.background.BackgroundIndexing and /readyz while it runs: batches committed one by one, progress told."""

from __future__ import annotations

import threading
from pathlib import Path

import pytest
from fastapi.testclient import TestClient

from api.application import create_app
from newsqa.settings import Settings
from newsqa.types import Article, IngestFailure, IngestSummary
from qa.background import BackgroundIndexing
from tests.api.api_fakes import FakeIngestor, FakeStore, fake_article, fake_services

ARTICLES = [fake_article(f"Story number {i} about the harbour.", id=f"s{i}") for i in range(5)]


class SteppedIngestor(FakeIngestor):
    """Ingests one batch each time `step` is released, and records the batch sizes."""

    def __init__(self, store: FakeStore) -> None:
        super().__init__(store)
        self.step = threading.Semaphore(0)
        self.batches: list[int] = []

    def ingest_articles(self, articles: list[Article | IngestFailure]) -> IngestSummary:
        assert self.step.acquire(timeout=10)
        self.batches.append(len(articles))
        summary = super().ingest_articles([a for a in articles if isinstance(a, Article)])
        summary.failed = [a for a in articles if isinstance(a, IngestFailure)]
        return summary


def wait_for(indexing: BackgroundIndexing, done: int) -> None:
    for _ in range(500):
        if indexing.progress()["done"] == done:
            return
        threading.Event().wait(0.01)
    raise TimeoutError(indexing.progress())


class TestBackgroundIndexing:
    def test_batches_are_committed_one_by_one_and_progress_counts_them(self) -> None:
        store = FakeStore()
        ingestor = SteppedIngestor(store)
        broken = IngestFailure(item="bad.html", error="no text")
        indexing = BackgroundIndexing(
            ingestor, lambda: [*ARTICLES, broken], batch_size=2, label="demo"
        ).start()
        assert indexing.progress()["running"] is True
        ingestor.step.release()
        wait_for(indexing, 2)
        assert len(store.articles) == 2  # answerable before the rest is indexed
        assert indexing.progress() == {"running": True, "done": 2, "total": 6, "failed": 0, "error": None,
                                       "label": "demo"}  # fmt: skip
        for _ in range(2):
            ingestor.step.release()
        assert indexing.wait(10)
        assert ingestor.batches == [2, 2, 2] and len(store.articles) == 5
        assert indexing.progress()["failed"] == 1 and indexing.progress()["running"] is False

    def test_a_crash_is_reported_not_raised(self) -> None:
        def load() -> list[Article]:
            raise OSError("demo folder unreadable")

        indexing = BackgroundIndexing(FakeIngestor(FakeStore()), load, batch_size=2).start()
        assert indexing.wait(10)
        assert indexing.progress()["error"] == "OSError: demo folder unreadable"

    def test_batch_size_must_be_positive(self) -> None:
        with pytest.raises(ValueError, match="batch_size"):
            BackgroundIndexing(FakeIngestor(FakeStore()), list, batch_size=0)


class TestReadyzWhileIndexing:
    def test_says_how_far_then_ready(self, tmp_path: Path) -> None:
        services = fake_services(tmp_path)
        ingestor = SteppedIngestor(services.store)
        app = create_app(Settings(data_dir=tmp_path), services=services)
        app.state.indexing = BackgroundIndexing(
            ingestor, lambda: ARTICLES, batch_size=3, label="demo"
        ).start()
        client = TestClient(app)
        for _ in range(500):  # the loader runs on the thread first
            if app.state.indexing.progress()["total"] is not None:
                break
            threading.Event().wait(0.01)
        not_yet = client.get("/readyz")
        assert not_yet.status_code == 503
        assert not_yet.json()["ready"] is False and not_yet.json()["indexing"] == {"done": 0, "total": 5}
        assert (
            not_yet.json()["error"]["code"] == "unavailable"
            and "0 of 5" in not_yet.json()["error"]["message"]
        )
        ingestor.step.release()
        wait_for(app.state.indexing, 3)
        assert client.get("/readyz").json()["indexing"] == {"done": 3, "total": 5}
        assert client.post("/ask", json={"question": "Where is the harbour story?"}).status_code == 200
        ingestor.step.release()
        assert app.state.indexing.wait(10)
        assert client.get("/readyz").json() == {"status": "ready", "articles": 6}
