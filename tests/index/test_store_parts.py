"""The parts behind `ArticleStore`, each on its own (the facade's behaviour is in test_store.py)."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path

import pytest

from index.catalog import ArticleCatalog
from index.chroma_collections import ChromaCollections
from index.chunker import SentenceChunker
from index.embedder import FakeEmbedder
from index.lexical import LexicalIndex
from index.lexical_sync import LexicalSync
from index.writes import ArticleWrite, ArticleWriter
from newsqa.types import Article, Filters

TEXTS = {
    "rain": ("Heavy rain flooded the valley towns. Rivers rose over their banks overnight. " * 8, "cnn.com"),
    "vote": ("The council voted on the harbour budget. The motion passed by two votes. " * 8, "bbc.co.uk"),
    "match": ("The home side won the cup final at last. Fans filled the square after. " * 8, "cnn.com"),
}
DATES = {"rain": "2022-03-01", "vote": "2022-05-01", "match": None}


@dataclass
class Parts:
    collections: ChromaCollections
    catalog: ArticleCatalog
    lexical: LexicalSync
    writer: ArticleWriter


def _open(data_dir: Path, embedder: FakeEmbedder) -> Parts:
    collections = ChromaCollections(data_dir, None, "parts", model_id=embedder.model_id, dim=embedder.dim)
    catalog = ArticleCatalog(collections)
    lexical = LexicalSync(LexicalIndex(data_dir / "lexical.json.gz"), catalog, collections)
    return Parts(collections, catalog, lexical, ArticleWriter(collections, catalog, lexical))


@pytest.fixture
def parts(
    tmp_path: Path,
    fake_embedder: FakeEmbedder,
    fake_chunker: SentenceChunker,
    make_test_article: Callable[..., Article],
) -> Parts:
    opened = _open(tmp_path / "data", fake_embedder)
    writes = []
    for aid, (text, source) in TEXTS.items():
        article = make_test_article(id=aid, text=text, source=source, published=DATES[aid])
        chunks = fake_chunker.chunk(article)
        writes.append(ArticleWrite(article, chunks, fake_embedder.embed_texts([c.text for c in chunks])))
    opened.writer.write_articles(writes)
    return opened


def _chunks_of(parts: Parts, *article_ids: str) -> int:
    return sum(int(parts.catalog.records[aid]["chunks"]) for aid in article_ids)


class TestChromaCollections:
    def test_pages_cover_every_record_once(self, parts: Parts) -> None:
        cols = parts.collections
        every = set(cols.chunks.get(include=[])["ids"])
        assert len(every) > 4
        cols.max_batch = 2
        pages = [page["ids"] for page in cols.pages(cols.chunks, include=[])]
        assert all(len(ids) <= 2 for ids in pages)
        assert sorted(i for ids in pages for i in ids) == sorted(every)
        by_article = cols.chunk_ids_by_article(list(TEXTS))
        assert sorted(i for ids in by_article.values() for i in ids) == sorted(every)
        assert all(i.startswith(f"{aid}:") for aid, ids in by_article.items() for i in ids)

    def test_a_generation_bump_changes_the_state_with_equal_counts(self, parts: Parts) -> None:
        before = parts.collections.state()
        parts.collections.bump_generation()
        after = parts.collections.state()
        assert (after.articles, after.chunks) == (before.articles, before.chunks) == (3, before.chunks)
        assert after.generation != before.generation


class TestArticleCatalog:
    def test_stale_after_a_write_by_another_opener(
        self, parts: Parts, tmp_path: Path, fake_embedder: FakeEmbedder
    ) -> None:
        other = _open(tmp_path / "data", fake_embedder)
        assert other.catalog.stale(force=False) is False
        assert other.catalog.stale(force=True) is True
        parts.writer.add_reprint("rain", {"id": "rain-copy", "source": "x.com", "url": "", "title": ""})
        assert other.catalog.stale(force=False) is True  # same counts, a new generation
        changes = other.catalog.changes
        other.catalog.reload(reconnect=True)
        assert other.catalog.changes == changes + 1 and other.catalog.stale(force=False) is False
        assert (
            other.catalog.records["rain"]["also_reported_by"]
            == parts.catalog.records["rain"]["also_reported_by"]
        )

    def test_chunks_passing_counts_per_filter_and_follows_puts(self, parts: Parts) -> None:
        catalog = parts.catalog
        total = _chunks_of(parts, *TEXTS)
        assert catalog.chunks_passing(None) == (total, total)
        assert catalog.chunks_passing(Filters(sources=["cnn.com"])).passing == _chunks_of(
            parts, "rain", "match"
        )
        spring = Filters(published_from="2022-04-01", published_to="2022-12-31")
        assert catalog.chunks_passing(spring).passing == _chunks_of(parts, "vote")
        catalog.put({"late": {"chunks": 5, "source": "x.com", "published_ts": 0}})
        assert catalog.chunks_passing(Filters(sources=["x.com"])) == (5, total + 5)


class TestLexicalSync:
    def test_catches_up_from_chroma_and_drops_what_is_gone(self, parts: Parts, tmp_path: Path) -> None:
        lexical = LexicalIndex(tmp_path / "other.json.gz")
        lexical.replace_article("gone", "v", [], 0)
        sync = LexicalSync(lexical, parts.catalog, parts.collections)
        sync.sync()
        assert lexical.versions == parts.catalog.versions()
        assert (tmp_path / "other.json.gz").is_file()  # saved: no batch open
        assert lexical.search("harbour budget", k=1)[0][0].article_id == "vote"

    def test_nested_batches_save_once_at_the_end(self, parts: Parts, monkeypatch: pytest.MonkeyPatch) -> None:
        saves: list[int] = []
        monkeypatch.setattr(parts.lexical.lexical, "save", lambda: saves.append(1))
        with parts.lexical.batch():
            parts.lexical.remove("rain")
            with parts.lexical.batch():
                parts.lexical.remove("vote")
            assert saves == []
        assert saves == [1]
        parts.lexical.flush()
        parts.lexical.remove("not-there")
        assert saves == [1]
