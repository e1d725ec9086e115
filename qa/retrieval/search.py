"""The search the answering layer calls: question + as-of date -> ranked passages (`Hit`s).

Usage:
    pipeline = SearchPipeline(store, embedder, mode="ours", candidates=50)
    result = pipeline.search("Who resigned this week?", as_of=date(2022, 10, 20), k=10)
    result.hits[0].chunk.text, result.hits[0].scores     # {"dense":.., "bm25":.., "fusion":.., "rerank":..}
    result.filters                                       # what the store applied, as_of cut-off included
    result.time_window                                   # ("2022-10-14", "2022-10-20") or None
    result.timings_ms                                    # embed, dense, lexical, fusion, rerank

Modes:
- "dense": nearest chunks by cosine; "bm25": BM25 alone; "hybrid": plain RRF (k=60) of the two.
  These are the baselines: only the caller's filters and the as-of cut-off apply.
- "ours": BM25 on the question without quiz boilerplate (names repeated) + dense, fused by
  normalised scores, re-scored by `NewsReranker` (names, phrases, title, article support, recency,
  the question's time window).

Time: nothing published after `as_of` is visible (a user asking "as of" a date cannot see later
news), give or take `as_of_grace_days` (default 1): stored dates are calendar days in the publisher's
time zone, so "the same day" for the asker can carry the next day's date (on the dev set, 4 of 200
questions have their only relevant article dated the day after they were asked). Articles with unknown
dates stay visible. In "ours", an explicit date/month/year in the question
("in August 2021") restricts the search to it, falling back to no restriction when nothing in the window
matches; a relative one ("this week", "on Monday") only boosts the articles published around it,
because reports of an event often appear days after it. `explicit_dates="boost"` treats explicit dates
as relative ones: on the dev quiz questions that is 2 of 200 questions better (quizzes name dates of
background events: "the blackout on January 6, 2021", "announced her retirement in March"),
but a user who asks about "August 2021" means it, so filtering stays the default.

The pipeline holds no per-request state: one instance serves concurrent requests.
"""

from __future__ import annotations

import time
from dataclasses import dataclass, field, replace
from datetime import date, datetime, timedelta
from typing import TYPE_CHECKING, Literal, get_args

import numpy as np
from llama_index.core.schema import NodeWithScore, QueryBundle

from newsqa.errors import InvalidInput
from newsqa.types import Filters, Hit
from qa.question.timeparse import TimeWindow, parse_as_of, resolve_time
from qa.retrieval.query_terms import QueryTerms, analyze_query
from qa.retrieval.rerank import DEFAULT_WEIGHTS, NewsReranker, RerankWeights
from qa.retrieval.retrievers import (
    DenseRetriever,
    FusionRetriever,
    LexicalRetriever,
    fuse_nodes,
    nodes_to_hits,
)

if TYPE_CHECKING:
    from index.embedder import Embedder, FakeEmbedder
    from index.store import ArticleStore

SearchMode = Literal["dense", "bm25", "hybrid", "ours"]
TIMING_KEYS = ("embed", "dense", "lexical", "fusion", "rerank")
# Fusion of "ours": normalised dense and BM25 scores, BM25 favoured (names decide news questions).
OURS_FUSION_WEIGHTS = (1.0, 1.0)
# News of a dated event appears on the day and the days after it: a date filter reaches this far past it.
REPORTING_LAG_DAYS = 2


@dataclass
class SearchResult:
    """Ranked passages and how they were found."""

    hits: list[Hit]
    filters: Filters  # the filters the store applied: the caller's, the as-of cut-off, a date window
    time_window: tuple[str, str] | None  # the window the question named, ISO dates, inclusive
    timings_ms: dict[str, float] = field(default_factory=dict)
    time_expression: str | None = None  # the words that named the window ("this week")
    time_strength: str | None = None  # "filter" (applied as a filter) or "boost"

    def to_dict(self) -> dict[str, object]:
        return {
            "hits": [h.to_dict() for h in self.hits],
            "filters": self.filters.to_dict(),
            "time_window": list(self.time_window) if self.time_window else None,
            "time_expression": self.time_expression,
            "time_strength": self.time_strength,
            "timings_ms": dict(self.timings_ms),
        }


@dataclass
class FirstStage:
    """The fused candidates "ours" reranks, and the time context they were found in."""

    nodes: list[NodeWithScore]
    as_of: date
    window: TimeWindow | None  # the window the question names, if any
    filters: Filters  # the filters the store applied
    window_filtered: bool  # the window was applied as a filter (else it only boosts)
    timings_ms: dict[str, float]
    terms: QueryTerms | None = None  # the question read once, for the first stage and the reranker


class SearchPipeline:
    """Question -> `SearchResult`, in one of four modes (see the module docstring)."""

    def __init__(
        self,
        store: ArticleStore,
        embedder: Embedder | FakeEmbedder,
        mode: SearchMode = "ours",
        candidates: int = 50,
        weights: RerankWeights = DEFAULT_WEIGHTS,
        as_of_grace_days: int = 1,
        explicit_dates: Literal["filter", "boost"] = "filter",
    ) -> None:
        if mode not in get_args(SearchMode):
            raise InvalidInput(f"search mode must be one of {', '.join(get_args(SearchMode))}, not {mode!r}")
        if candidates < 1:
            raise InvalidInput(f"candidates must be >= 1, got {candidates}")
        if explicit_dates not in ("filter", "boost"):
            raise InvalidInput(f"explicit_dates must be 'filter' or 'boost', not {explicit_dates!r}")
        if not 0 <= as_of_grace_days <= 7:
            raise InvalidInput(f"as_of_grace_days must be in [0, 7], got {as_of_grace_days}")
        self.store = store
        self.embedder = embedder
        self.mode: SearchMode = mode
        self.candidates = candidates
        self.weights = weights
        self.as_of_grace_days = as_of_grace_days
        self.explicit_dates = explicit_dates
        self.dense = DenseRetriever(store, embedder, k=candidates)
        self.lexical = LexicalRetriever(store, k=candidates)
        self.hybrid = FusionRetriever(self.dense, self.lexical, method="rrf", k=candidates)

    def search(
        self,
        query: str,
        *,
        as_of: date | datetime | str | None = None,
        filters: Filters | None = None,
        k: int = 10,
    ) -> SearchResult:
        """The best `k` passages for `query` as of `as_of` (default: today in UTC), within `filters`."""
        if not query or not query.strip():
            raise InvalidInput("search query is empty")
        if k < 1:
            raise InvalidInput(f"k must be >= 1, got {k}")
        today = parse_as_of(as_of)
        base = cut_off(filters or Filters(), today + timedelta(days=self.as_of_grace_days))
        if self.mode != "ours":
            return self._search_baseline(query, base, k)
        return self._reranked(query, self._first_stage(query, today, base), k)

    def first_stage(
        self, query: str, *, as_of: date | datetime | str | None = None, filters: Filters | None = None
    ) -> FirstStage:
        """The candidates "ours" reranks for `query` (what `search` then scores with `reranker`)."""
        today = parse_as_of(as_of)
        return self._first_stage(
            query, today, cut_off(filters or Filters(), today + timedelta(days=self.as_of_grace_days))
        )

    def reranker(self, stage: FirstStage, k: int) -> NewsReranker:
        """The second stage of "ours" for one first stage's candidates, keeping the best `k`."""
        return NewsReranker(
            as_of=stage.as_of,
            window=stage.window,
            top_n=k,
            weights=self.weights,
            stored_terms=getattr(self.store, "stored_terms", None),
            query_terms=stage.terms,
        )

    # -- modes --------------------------------------------------------------------------------

    def _search_baseline(self, query: str, filters: Filters, k: int) -> SearchResult:
        timings = dict.fromkeys(TIMING_KEYS, 0.0)
        bundle = QueryBundle(query)
        dense_nodes: list[NodeWithScore] = []
        lexical_nodes: list[NodeWithScore] = []
        if self.mode in ("dense", "hybrid"):
            bundle.embedding = self._embed(query, timings).tolist()
            start = time.perf_counter()
            dense_nodes = self.dense.with_filters(filters).retrieve(bundle)
            timings["dense"] = _ms(start)
        if self.mode in ("bm25", "hybrid"):
            start = time.perf_counter()
            lexical_nodes = self.lexical.with_filters(filters).retrieve(query)
            timings["lexical"] = _ms(start)
        if self.mode == "hybrid":
            start = time.perf_counter()
            nodes = self.hybrid.fuse(dense_nodes, lexical_nodes)
            timings["fusion"] = _ms(start)
        else:
            nodes = dense_nodes or lexical_nodes
        return SearchResult(nodes_to_hits(nodes[:k]), filters, None, _rounded(timings))

    def _first_stage(self, query: str, today: date, base: Filters) -> FirstStage:
        """Dense + BM25 candidates, fused; within an explicitly named window when anything matches there
        (else everywhere, the window then only boosting)."""
        window = resolve_time(query, today)
        timings = dict.fromkeys(TIMING_KEYS, 0.0)
        vector = self._embed(query, timings)
        terms = analyze_query(query)
        if window is not None and window.strength == "filter" and self.explicit_dates == "filter":
            narrowed = within(base, window, lag_days=REPORTING_LAG_DAYS)
            if narrowed is not None:
                nodes = self._candidates(query, terms.lexical_query, vector, narrowed, timings)
                if nodes:
                    return FirstStage(nodes, today, window, narrowed, True, timings, terms)
            # Nothing was published in the named window: search everything, still preferring it.
        nodes = self._candidates(query, terms.lexical_query, vector, base, timings)
        return FirstStage(nodes, today, window, base, False, timings, terms)

    def _candidates(
        self, query: str, lexical_query: str, vector: np.ndarray, filters: Filters, timings: dict[str, float]
    ) -> list[NodeWithScore]:
        start = time.perf_counter()
        dense_nodes = self.dense.with_filters(filters).retrieve(QueryBundle(query, embedding=vector.tolist()))
        timings["dense"] += _ms(start)
        start = time.perf_counter()
        lexical_nodes = self.lexical.with_filters(filters).retrieve(lexical_query or query)
        timings["lexical"] += _ms(start)
        start = time.perf_counter()
        fused = fuse_nodes(
            [(dense_nodes, "dense", OURS_FUSION_WEIGHTS[0]), (lexical_nodes, "bm25", OURS_FUSION_WEIGHTS[1])],
            method="weighted",
        )
        timings["fusion"] += _ms(start)
        return fused

    def _reranked(self, query: str, stage: FirstStage, k: int) -> SearchResult:
        start = time.perf_counter()
        nodes = self.reranker(stage, k).postprocess_nodes(stage.nodes, query_bundle=QueryBundle(query))
        stage.timings_ms["rerank"] += _ms(start)
        window = stage.window
        return SearchResult(
            hits=nodes_to_hits(nodes),
            filters=stage.filters,
            time_window=window.as_iso() if window else None,
            timings_ms=_rounded(stage.timings_ms),
            time_expression=window.expression if window else None,
            time_strength=("filter" if stage.window_filtered else "boost") if window else None,
        )

    def _embed(self, query: str, timings: dict[str, float]) -> np.ndarray:
        start = time.perf_counter()
        vector = np.asarray(self.embedder.embed_query(query), dtype=np.float32)
        timings["embed"] = _ms(start)
        return vector


def cut_off(filters: Filters, as_of: date) -> Filters:
    """`filters` with nothing published after `as_of` (the earlier of the two limits)."""
    limit = as_of.isoformat()
    if filters.published_to and filters.published_to < limit:
        limit = filters.published_to
    return replace(filters, published_to=limit)


def within(filters: Filters, window: TimeWindow, lag_days: int = 0) -> Filters | None:
    """`filters` narrowed to `window` (its end pushed `lag_days` later); None when they do not overlap."""
    start = window.start.isoformat()
    end = (window.end + timedelta(days=lag_days)).isoformat()
    if filters.published_from and filters.published_from > start:
        start = filters.published_from
    if filters.published_to and filters.published_to < end:
        end = filters.published_to
    if start > end:
        return None
    return replace(filters, published_from=start, published_to=end)


def _ms(start: float) -> float:
    return (time.perf_counter() - start) * 1000.0


def _rounded(timings: dict[str, float]) -> dict[str, float]:
    return {key: round(value, 2) for key, value in timings.items()}
