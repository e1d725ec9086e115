from __future__ import annotations

import json
import random
import subprocess
import sys
import threading
import time
from collections.abc import Callable
from pathlib import Path
from typing import Any

import pytest

from index.chunker import SentenceChunker
from index.dedup import Deduplicator
from index.embedder import FakeEmbedder
from index.lock import DataDirLock
from index.pipeline import Ingestor
from index.store import ArticleStore
from newsqa.errors import IndexBusy
from newsqa.types import Article, IngestFailure

REPO = Path(__file__).resolve().parents[2]


def synthetic_text(seed: int, sentences: int = 12) -> str:
    """Distinct, sentence-structured text: different seeds share few word shingles."""
    rng = random.Random(seed)
    words = [f"w{rng.randrange(5000)}" for _ in range(400)]
    return " ".join(
        " ".join(rng.choice(words) for _ in range(rng.randint(6, 14))).capitalize() + "."
        for _ in range(sentences)
    )


@pytest.fixture
def ingestor(
    fake_store: ArticleStore, fake_embedder: FakeEmbedder, fake_chunker: SentenceChunker
) -> Ingestor:
    return Ingestor(
        fake_store, fake_embedder, fake_chunker, Deduplicator(threshold=0.8), embed_batch_chunks=8
    )


class TestIngestor:
    def test_add_unchanged_update_and_failures(
        self, ingestor: Ingestor, make_test_article: Callable[..., Article]
    ) -> None:
        articles = [make_test_article(id=f"a{i}", text=synthetic_text(i), source="x.com") for i in range(4)]
        summary = ingestor.ingest_articles([*articles, IngestFailure(item="bad.html", error="no text")])
        assert (summary.added, summary.unchanged, summary.duplicates) == (4, 0, 0)
        assert summary.failed == [IngestFailure(item="bad.html", error="no text")]
        assert [i["status"] for i in summary.items] == ["added"] * 4 + ["failed"]
        assert summary.chunks == ingestor.store.stats()["chunks"] > 4
        assert ingestor.store.get_article("a0").ingested_at  # type: ignore[union-attr]

        again = ingestor.ingest_articles(
            [make_test_article(id=f"a{i}", text=synthetic_text(i)) for i in range(4)]
        )
        assert (again.added, again.unchanged, again.chunks) == (0, 4, 0)

        old_chunks = {c.id for c in ingestor.store.get_chunks("a1")}
        changed = make_test_article(id="a1", text=synthetic_text(101))
        updated = ingestor.ingest_articles([changed])
        assert updated.updated == 1 and updated.items[0]["status"] == "updated"
        chunk_ids = set(ingestor.store._chunks_col.get(include=[])["ids"])
        assert not old_chunks & chunk_ids
        assert ingestor.store.get_article("a1").text == changed.text  # type: ignore[union-attr]

    def test_failed_batched_write_isolates_the_bad_article(
        self, ingestor: Ingestor, make_test_article: Callable[..., Article], monkeypatch: pytest.MonkeyPatch
    ) -> None:
        ingestor.embed_batch_chunks = 10_000  # all five articles in one flush
        store = ingestor.store
        original = store.write_articles

        def write_articles(writes: list) -> None:
            if any(w.article.id == "poison" for w in writes):
                raise RuntimeError("chroma refused the batch")
            original(writes)

        monkeypatch.setattr(store, "write_articles", write_articles)
        articles = [make_test_article(id=f"b{i}", text=synthetic_text(200 + i)) for i in range(4)]
        articles.insert(2, make_test_article(id="poison", text=synthetic_text(300)))
        summary = ingestor.ingest_articles(articles)
        assert summary.added == 4
        assert [f.item for f in summary.failed] == ["poison"]
        assert "chroma refused the batch" in summary.failed[0].error
        assert set(store.versions()) == {f"b{i}" for i in range(4)}

    def test_invalid_article_in_a_batch_fails_alone(
        self, ingestor: Ingestor, make_test_article: Callable[..., Article], monkeypatch: pytest.MonkeyPatch
    ) -> None:
        ingestor.embed_batch_chunks = 10_000
        articles = [make_test_article(id=f"v{i}", text=synthetic_text(600 + i)) for i in range(3)]
        chunk = SentenceChunker.chunk

        def chunks_of_another_version(self: SentenceChunker, article: Article) -> list:
            out = chunk(self, article)
            if article.id == "v1":  # chunk ids naming a version the article does not have
                for c in out:
                    c.id = c.id.replace(c.id.split(":")[1], "00000000")
            return out

        monkeypatch.setattr(SentenceChunker, "chunk", chunks_of_another_version)
        summary = ingestor.ingest_articles(articles)
        assert summary.added == 2 and [f.item for f in summary.failed] == ["v1"]
        assert "does not belong" in summary.failed[0].error
        assert set(ingestor.store.versions()) == {"v0", "v2"}

    @pytest.mark.parametrize("overlap", [True, False])
    def test_overlapped_embedding_keeps_order_and_duplicates_straight(
        self,
        fake_store: ArticleStore,
        fake_embedder: FakeEmbedder,
        fake_chunker: SentenceChunker,
        make_test_article: Callable[..., Article],
        overlap: bool,
    ) -> None:
        threads: list[str] = []
        embed = fake_embedder.embed_texts

        def recording(texts: list[str]) -> Any:
            threads.append(threading.current_thread().name)
            return embed(texts)

        fake_embedder.embed_texts = recording  # type: ignore[method-assign]
        ingestor = Ingestor(
            fake_store,
            fake_embedder,
            fake_chunker,
            Deduplicator(),
            embed_batch_chunks=8,
            overlap_embedding=overlap,
        )
        text = synthetic_text(900, sentences=30)
        articles = [make_test_article(id=f"o{i}", text=synthetic_text(400 + i)) for i in range(6)]
        articles.insert(2, make_test_article(id="first", text=text, source="cnn.com"))
        articles.insert(3, make_test_article(id="reprint", text=text + " More.", source="aol.com"))
        articles.append(make_test_article(id="o1", text=synthetic_text(999)))  # o1 again, changed
        summary = ingestor.ingest_articles(articles)
        assert (summary.added, summary.updated, summary.duplicates, summary.failed) == (7, 1, 1, [])
        assert fake_store.get_article("o1").text == synthetic_text(999)  # type: ignore[union-attr]
        assert fake_store.get_article("first").also_reported_by[0]["id"] == "reprint"  # type: ignore[union-attr]
        assert len(threads) >= 3
        assert all(name.startswith("newsqa-embed") == overlap for name in threads)

    def test_reprint_is_linked_not_indexed(
        self, ingestor: Ingestor, make_test_article: Callable[..., Article]
    ) -> None:
        text = synthetic_text(7, sentences=30)
        original = make_test_article(id="orig", text=text, source="cnn.com", url="https://cnn.com/a")
        reprint = make_test_article(
            id="copy", text=text + " Extra closing line.", source="yahoo.com", url="https://yahoo.com/a"
        )
        summary = ingestor.ingest_articles([original, reprint])
        assert (summary.added, summary.duplicates) == (1, 1)
        assert summary.items[1] == {"id": "copy", "title": "", "status": "duplicate", "duplicate_of": "orig"}
        assert ingestor.store.has_article("copy") is None
        linked = ingestor.store.get_article("orig").also_reported_by  # type: ignore[union-attr]
        assert linked == [{"id": "copy", "source": "yahoo.com", "url": "https://yahoo.com/a", "title": ""}]
        # A new ingestor rebuilds the deduplicator from the stored signatures.
        fresh = Ingestor(ingestor.store, ingestor.embedder, ingestor.chunker, Deduplicator())
        later = make_test_article(id="copy2", text=text, source="aol.com")
        assert fresh.ingest_articles([later]).items[0]["duplicate_of"] == "orig"

    def test_ingest_items_through_the_loaders(self, ingestor: Ingestor, tmp_path: Path) -> None:
        path = tmp_path / "in.jsonl"
        rows = [
            {"id": f"j{i}", "title": f"T{i}", "text": synthetic_text(50 + i), "published": "2022-07-01"}
            for i in range(3)
        ]
        path.write_text("\n".join(json.dumps(r) for r in rows) + "\n")
        summary = ingestor.ingest([str(path), str(tmp_path / "missing.txt")])
        assert summary.added == 3 and len(summary.failed) == 1
        assert {a["id"] for a in ingestor.store.list_articles()} == {"j0", "j1", "j2"}

    def test_busy_lock_fails_clearly(
        self, ingestor: Ingestor, make_test_article: Callable[..., Article]
    ) -> None:
        ingestor.lock_timeout_s = 0.2
        with (
            DataDirLock(ingestor.store.data_dir),
            pytest.raises(IndexBusy, match="another ingest is running"),
        ):
            ingestor.ingest_articles([make_test_article(id="x", text=synthetic_text(1))])
        assert ingestor.ingest_articles([make_test_article(id="x", text=synthetic_text(1))]).added == 1


class TestDataDirLock:
    def test_exclusive_with_pid_and_released(self, tmp_path: Path) -> None:
        with DataDirLock(tmp_path) as held:
            assert held.held
            with pytest.raises(IndexBusy, match=r"pid \d+"):
                DataDirLock(tmp_path, timeout_s=0.2).acquire()
        with DataDirLock(tmp_path, timeout_s=0):
            pass

    def test_opening_lock_is_its_own_file_and_holds_back_a_store_open(self, tmp_path: Path) -> None:
        opened = threading.Event()

        def open_store() -> None:
            ArticleStore(tmp_path, 8, model_id="fake")
            opened.set()

        with DataDirLock.opening(tmp_path), DataDirLock(tmp_path, timeout_s=0):
            opener = threading.Thread(target=open_store)
            opener.start()
            assert not opened.wait(0.5)
        assert opened.wait(60)
        opener.join()
        assert {p.name for p in tmp_path.glob("*.lock")} == {"open.lock", "ingest.lock"}

    def test_waits_for_release_within_timeout(self, tmp_path: Path) -> None:
        holder = subprocess.Popen(
            [
                sys.executable,
                "-c",
                "import sys,time; from index.lock import DataDirLock\n"
                f"l=DataDirLock(__import__('pathlib').Path({str(tmp_path)!r})); l.acquire(); print('held', flush=True); time.sleep(1.0)",
            ],
            cwd=REPO,
            stdout=subprocess.PIPE,
            text=True,
        )
        assert holder.stdout is not None and holder.stdout.readline().strip() == "held"
        started = time.monotonic()
        with DataDirLock(tmp_path, timeout_s=20):
            assert time.monotonic() - started > 0.3
        holder.wait(timeout=20)
