"""The one set of interfaces the rooms meet at: what the API, the UI, eval and the server need of
an answerer, an ingestor and a store. `qa.service.Answerer`, `index.pipeline.Ingestor` and
`index.store.ArticleStore` are the production ones; tests pass fakes of the same shape.
"""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any, Protocol, TypedDict, Unpack

from newsqa.types import Answer, Article, Filters, IngestFailure, IngestLimits, IngestSummary, StreamEvent


class AskOptions(TypedDict, total=False):
    """The options of a question besides its text (`Answerer.ask` documents each)."""

    history: list[dict[str, str]] | None
    as_of: str | None
    filters: Filters | None
    choices: list[str] | None
    top_k: int | None
    mode: str
    debug: bool


class AnswererLike(Protocol):
    def ask(self, question: str, **options: Unpack[AskOptions]) -> Answer: ...

    def ask_stream(self, question: str, **options: Unpack[AskOptions]) -> Iterator[StreamEvent]: ...


class IngestorLike(Protocol):
    def ingest(self, items: list[str], *, limits: IngestLimits | None = None) -> IngestSummary: ...

    def ingest_articles(self, articles: list[Article | IngestFailure]) -> IngestSummary: ...


class ArticleStoreLike(Protocol):
    def get_article(self, article_id: str) -> Article | None: ...

    def list_articles(
        self,
        sources: list[str] | None = None,
        published_from: str | None = None,
        published_to: str | None = None,
        limit: int | None = None,
        offset: int = 0,
    ) -> list[dict[str, Any]]: ...

    def delete_article(self, article_id: str) -> bool: ...

    def stats(self) -> dict[str, Any]: ...
