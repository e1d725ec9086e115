"""Near-miss unanswerable questions for training: an answerable question asked as if the articles
that mention its answer were not there.

RealTime QA's unanswerable questions ask about stories the articles do not cover, so a model fitted
on them alone learns "the passages are on topic, so the question is answerable". Users also ask
what an on-topic article does not say (the name of an unnamed official, a figure it never gives).
Asking each answerable training question with every article that mentions one of its gold answers
dropped from the candidates gives such questions, labelled by construction: no passage left can
quote the answer. Articles on the same story that do not mention it stay, so retrieval still finds
the topic.

Usage:
    search = ArticlesWithheld(answerer.search)
    answerer.search = search
    with search.withholding(articles_mentioning(question.answers, texts)):
        answer = answerer.ask(question.question, as_of=question.asked_at, debug=True)
"""

from __future__ import annotations

import re
from collections.abc import Collection, Iterator, Mapping, Sequence
from contextlib import contextmanager
from dataclasses import replace
from datetime import date, datetime
from typing import Any

from newsqa.types import Filters
from qa.retrieval.retrievers import node_to_hit
from qa.retrieval.search import SearchPipeline, SearchResult


def mention_pattern(answers: Sequence[str]) -> re.Pattern[str] | None:
    """A case-insensitive pattern for any of `answers` as whole words (None: no non-empty answer)."""
    names = sorted({a.strip() for a in answers if a.strip()}, key=len, reverse=True)
    if not names:
        return None
    return re.compile(r"(?<!\w)(?:" + "|".join(re.escape(n) for n in names) + r")(?!\w)", re.IGNORECASE)


def articles_mentioning(answers: Sequence[str], texts: Mapping[str, str]) -> set[str]:
    """Ids of the articles whose text (`texts`: id -> title and body) mentions any of `answers`."""
    pattern = mention_pattern(answers)
    if pattern is None:
        return set()
    lowered = [a.strip().lower() for a in answers if a.strip()]
    return {
        article_id
        for article_id, text in texts.items()
        if any(name in text.lower() for name in lowered) and pattern.search(text)
    }


class ArticlesWithheld:
    """A `SearchPipeline` ("ours") whose first-stage candidates lose the withheld articles' passages
    before reranking, as if those articles had never been ingested. Nothing is withheld outside
    `withholding`."""

    def __init__(self, search: SearchPipeline) -> None:
        if search.mode != "ours":
            raise ValueError(f"near-miss questions need the 'ours' search mode, not {search.mode!r}")
        self.inner = search
        self.weights = search.weights
        self._withheld: frozenset[str] = frozenset()

    @contextmanager
    def withholding(self, article_ids: Collection[str]) -> Iterator[None]:
        self._withheld = frozenset(article_ids)
        try:
            yield
        finally:
            self._withheld = frozenset()

    def search(
        self,
        query: str,
        *,
        as_of: date | datetime | str | None = None,
        filters: Filters | None = None,
        k: int = 10,
    ) -> SearchResult:
        stage = self.inner.first_stage(query, as_of=as_of, filters=filters)
        kept = [n for n in stage.nodes if node_to_hit(n).chunk.article_id not in self._withheld]
        return self.inner.rerank(query, replace(stage, nodes=kept), k)


def near_miss_rows(
    answerer: Any, questions: Sequence[Any], texts: Mapping[str, str], row: Any
) -> list[dict[str, Any]]:
    """One free row per answerable question that some article answers and some other article is left
    for, asked with the articles mentioning its answer withheld: unanswerable, label 0, marked
    `near_miss`. `row(question, kind, answer)` builds a row as for the question itself."""
    search = ArticlesWithheld(answerer.search)
    answerer.search = search
    rows: list[dict[str, Any]] = []
    try:
        for q in questions:
            withheld = articles_mentioning(q.answers, texts) if q.answerable else set()
            if not withheld or len(withheld) == len(texts):
                continue
            with search.withholding(withheld):
                answer = answerer.ask(q.question, as_of=q.asked_at, debug=True)
            rows.append({**row(replace(q, answerable=False), "free", answer), "near_miss": True})
    finally:
        answerer.search = search.inner
    return rows
