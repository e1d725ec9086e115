"""Second-stage ranking for news questions: `NewsReranker`, a llama-index node postprocessor.

No cross-encoder installs here, so the second stage scores what a reader checks first: does the
passage (and its article's title) contain the question's names, numbers and words, as phrases,
close together; how the first-stage retrievers rated it; whether the article has other matching
passages; and whether it was published when the question says.

Usage:
    query = analyze_query("Nora Vale retired after her last home game. Which club signed her first?")
    query.lexical_query          # "Nora Vale Vale played final game team play"  (names repeated; a
                                 # sentence-initial word is not taken for a name)
    reranker = NewsReranker(as_of=date(2022, 9, 8), window=resolve_time(question, as_of), top_n=10)
    nodes = reranker.postprocess_nodes(fused_nodes, query_str=question)

A reranker is built per request (it is a small pydantic object), so concurrent requests never share
mutable state.

How the weights are chosen: each candidate's score is the weighted sum of its `RerankFeatures`
(`NewsReranker.features`) plus a share of its article's other passages. `DEFAULT_WEIGHTS` are hand-set
(coordinate ascent on the dev questions, see docs/eval.md); `newsqa train --fit rerank` (eval/rank_train.py) learns the linear ones by pairwise
logistic regression on training questions only and writes qa/retrieval/models/rerank_weights.json
(qa/retrieval/rerank_model.py), which Settings can select (`use_learned_rerank`, `rerank_weights_path`). The
non-linear knobs (recency_days, window margins, article support, per_article_first) are hand-set.
On later questions (docs/eval.md, "Dev-only patches removed") BM25, cosine, title and the per-article
limit help beyond noise; entity phrases and recency do not. Measurements and history: docs/eval.md,
"Learned reranker (#21)".
"""

from __future__ import annotations

import math
from collections import defaultdict
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass
from datetime import date
from functools import lru_cache

import numpy as np
from llama_index.core.postprocessor.types import BaseNodePostprocessor
from llama_index.core.schema import NodeWithScore, QueryBundle
from pydantic import ConfigDict, Field

from index.terms import PassageTerms, TermTable, pair_code, passage_terms
from newsqa.types import Hit
from qa.question.timeparse import TimeWindow
from qa.retrieval.query_terms import QueryTerms, analyze_query

# node ids -> (each node's stored (stem ids, stems per sentence), or None; the ids' vocabulary)
StoredTerms = Callable[[list[str]], tuple[Sequence[tuple[np.ndarray, np.ndarray] | None], Mapping[str, int]]]


@dataclass(frozen=True)
class PassageMatch:
    """How well one passage (and its article title) matches a question; every field is in [0, 1]."""

    coverage: float  # weighted share of question stems in the passage or title
    title: float  # weighted share of question stems in the title
    sentence: float  # weighted share found together in the passage's best sentence
    entities: float  # share of the question's names/numbers found as whole phrases
    bigrams: float  # share of the question's adjacent word pairs found adjacent


def match_passage(
    query: QueryTerms, text: str, title: str, terms: PassageTerms | None = None
) -> PassageMatch:
    """Lexical evidence that `text` answers `query`. `terms`: the passage's stems when the store kept
    them (`passage_terms(text)`), else they are computed (and cached). One passage of `match_passages`."""
    body = TermTable.build([terms if terms is not None else _passage_terms(text)], {})
    return match_passages(query, body, TermTable.build([_passage_terms(title)], {}))[0]


def match_passages(query: QueryTerms, body: TermTable, head: TermTable) -> list[PassageMatch]:
    """`match_passage` for every passage of `body` at once; `head` holds their titles, in the same order.

    - coverage: the question stems' weight found in the passage or its title;
    - title: found in the title;
    - sentence: found within one sentence of the passage (the best one);
    - entities: names found whole (a many-word name as consecutive stems, checked pair by pair);
    - bigrams: the question's adjacent word pairs found adjacent (in the passage or title).
    """
    n = body.n_passages
    total = query.total_weight
    if total <= 0:
        return [PassageMatch(0.0, 0.0, 0.0, 0.0, 0.0)] * n
    singles = [run[0] for run in query.entities if len(run) == 1]
    stems = list(dict.fromkeys([*query.weights, *singles]))
    weights = np.array([query.weights.get(s, 0.0) for s in stems])
    in_title = _present(head, stems, head.token_passage, n)
    anywhere = _present(body, stems, body.token_passage, n) | in_title
    coverage = anywhere @ weights
    title = in_title @ weights
    per_sentence = _present(body, stems, body.token_sentence, len(body.sentence_passage)) @ weights
    best = np.zeros(n)
    np.maximum.at(best, body.sentence_passage, per_sentence)
    runs = [run for run in query.entities if len(run) > 1]
    pairs = list(
        dict.fromkeys([*query.bigrams, *(p for run in runs for p in zip(run, run[1:], strict=False))])
    )
    paired = _pairs_present(body, pairs, n) | _pairs_present(head, pairs, n)
    column = {p: k for k, p in enumerate(pairs)}
    entities = np.zeros(n)
    for run in query.entities:
        if len(run) == 1:
            entities += anywhere[:, stems.index(run[0])]
        else:
            entities += paired[:, [column[p] for p in zip(run, run[1:], strict=False)]].all(axis=1)
    if query.entities:
        entities /= len(query.entities)
    bigrams = np.zeros(n)
    if query.bigrams:
        bigrams = paired[:, [column[p] for p in query.bigrams]].sum(axis=1) / len(query.bigrams)
    return [
        PassageMatch(c / total, t / total, b / total, e, g)
        for c, t, b, e, g in zip(
            coverage.tolist(), title.tolist(), best.tolist(), entities.tolist(), bigrams.tolist(), strict=True
        )
    ]


def _present(table: TermTable, stems: list[str], groups: np.ndarray, n_groups: int) -> np.ndarray:
    """(n_groups, len(stems)) bool: does a token of each group (passage or sentence) have each stem."""
    out = np.zeros((n_groups, len(stems)), dtype=bool)
    known = [(k, i) for k, i in enumerate(map(table.id_of, stems)) if i is not None]
    if known and len(table.ids):
        _mark(out, table.ids, groups, np.array([i for _, i in known]), np.array([k for k, _ in known]))
    return out


def _pairs_present(table: TermTable, pairs: list[tuple[str, str]], n: int) -> np.ndarray:
    """(n, len(pairs)) bool: does each passage have each stem pair adjacent."""
    out = np.zeros((n, len(pairs)), dtype=bool)
    known = []
    for k, (a, b) in enumerate(pairs):
        ia, ib = table.id_of(a), table.id_of(b)
        if ia is not None and ib is not None:
            known.append((k, ia, ib))
    if known and len(table.ids) > 1:
        codes, passages = table.pair_codes()
        wanted = pair_code(np.array([a for _, a, _ in known]), np.array([b for _, _, b in known]))
        _mark(out, codes, passages, wanted, np.array([k for k, _, _ in known]))
    return out


def _mark(
    out: np.ndarray, values: np.ndarray, rows: np.ndarray, wanted: np.ndarray, columns: np.ndarray
) -> None:
    """out[rows[j], columns[k]] = True wherever values[j] == wanted[k] (`wanted` distinct)."""
    order = np.argsort(wanted)
    wanted, columns = wanted[order], columns[order]
    at = np.minimum(np.searchsorted(wanted, values), len(wanted) - 1)
    hit = wanted[at] == values
    out[rows[hit], columns[at[hit]]] = True


@lru_cache(maxsize=20_000)
def _passage_terms(text: str) -> PassageTerms:
    """`passage_terms`, cached: titles, and passages of stores that keep no terms, come back often."""
    return passage_terms(text)


# The features a candidate's score is linear in, each with the `RerankWeights` field of the same name.
LINEAR_FEATURES: tuple[str, ...] = (
    "bm25",
    "dense",
    "coverage",
    "title",
    "sentence",
    "entities",
    "bigrams",
    "recency",
    "window",
)


@dataclass(frozen=True)
class RerankWeights:
    """The few numbers of the second stage (how they are chosen: the module docstring)."""

    bm25: float = 1.0  # BM25 score / best BM25 score among the candidates
    dense: float = 1.0  # cosine minus the best cosine among the candidates
    coverage: float = 0.25
    title: float = 1.0
    sentence: float = 1.0
    entities: float = 0.25
    bigrams: float = 0.0
    recency: float = 1.0  # weight of exp(-age_days / recency_days); unknown dates get none
    recency_days: float = 30.0
    window: float = 0.5  # bonus inside the question's time window, widened by the margins below
    window_before_days: int = 3
    window_after_days: int = 3
    article: float = 0.2  # share of an article's next-best passage scores added to each of its passages
    article_passages: int = 2
    # Passages of one article ranked before the other articles' best ones (0: no limit): breadth in the top k.
    per_article_first: int = 2

    def __post_init__(self) -> None:
        if self.recency_days <= 0:
            raise ValueError(f"recency_days must be > 0, got {self.recency_days}")
        if (
            min(
                self.article_passages, self.window_before_days, self.window_after_days, self.per_article_first
            )
            < 0
        ):
            raise ValueError("article_passages, window margins and per_article_first must be >= 0")

    def linear(self) -> dict[str, float]:
        """The weights of `LINEAR_FEATURES`, by name."""
        return {name: getattr(self, name) for name in LINEAR_FEATURES}


DEFAULT_WEIGHTS = RerankWeights()


@dataclass(frozen=True)
class RerankFeatures:
    """One candidate's features (`LINEAR_FEATURES`); its score before article support is their
    weighted sum. `recency` and `window` already depend on the weights' recency_days and margins."""

    bm25: float  # BM25 score / best BM25 score among the candidates
    dense: float  # cosine minus the best cosine among the candidates
    coverage: float
    title: float
    sentence: float
    entities: float
    bigrams: float
    recency: float  # exp(-age_days / recency_days); 0 for an unknown date
    window: float  # 1 inside the question's (widened) time window, else 0

    def score(self, w: RerankWeights) -> float:
        return (
            w.bm25 * self.bm25
            + w.dense * self.dense
            + w.coverage * self.coverage
            + w.title * self.title
            + w.sentence * self.sentence
            + w.entities * self.entities
            + w.bigrams * self.bigrams
            + self.time_score(w)
        )

    def time_score(self, w: RerankWeights) -> float:
        return w.recency * self.recency + w.window * self.window

    def vector(self) -> list[float]:
        """The values in `LINEAR_FEATURES` order."""
        return [getattr(self, name) for name in LINEAR_FEATURES]


# The least recency credit `retrieval_support` gives a dated passage for a question naming no time.
_UNTIMED_MIN_RECENCY = 0.5


def retrieval_support(
    hits: list[Hit], *, timed: bool, weights: RerankWeights = DEFAULT_WEIGHTS
) -> float | None:
    """How well the best reranked passage is about the question: its reranker score, with the time
    credit adjusted (an `Answerer` abstains below a threshold). None when `hits` carry no reranker score
    (other retrieval modes score on other scales).

    An undated article gets the full time credit (no evidence for or against the time asked about).
    When the question names no time, a dated one counts relative to the freshest passage retrieved
    ("now" is the newest news the index has on it: asking today about last year's articles is no
    reason to abstain), and at least half (an older article can answer a question about a lasting fact).
    """
    best = hits[0]
    score = best.scores.get("rerank")
    if score is None:
        return None
    time_credit = best.scores.get("time", 0.0)
    if not best.chunk.published:
        return score - time_credit + weights.recency + (weights.window if timed else 0.0)
    if timed:
        return score
    freshest = max(h.scores.get("time", 0.0) for h in hits)
    relative = time_credit / freshest if freshest > 0 else 1.0
    return score - time_credit + weights.recency * min(max(relative, _UNTIMED_MIN_RECENCY), 1.0)


class NewsReranker(BaseNodePostprocessor):
    """Re-scores first-stage candidates by lexical evidence, retriever scores, article support and time.

    Reads `metadata["scores"]` ("bm25", "dense"), `metadata["title"]` and `metadata["published"]` of each
    node; writes `scores["rerank"]` and `scores["time"]` and returns the best `top_n`, best first.
    """

    model_config = ConfigDict(arbitrary_types_allowed=True)

    as_of: date | None = Field(default=None, description="The question's date; ages count back from it.")
    window: TimeWindow | None = Field(default=None, description="The window the question names, if any.")
    top_n: int = Field(default=10, ge=1)
    weights: RerankWeights = Field(default=DEFAULT_WEIGHTS)
    stored_terms: StoredTerms | None = Field(
        default=None,
        exclude=True,
        description="Terms of passages by node id as ids, with their vocabulary, as a store keeps them "
        "(`ArticleStore.stored_terms`); a passage without is tokenised here.",
    )
    query_terms: QueryTerms | None = Field(
        default=None,
        exclude=True,
        description="The question already read by `analyze_query` (`SearchPipeline` reads it once for both "
        "stages); used when its `question` is the query's, else the query is read here.",
    )

    @classmethod
    def class_name(cls) -> str:
        return "NewsReranker"

    def _postprocess_nodes(
        self, nodes: list[NodeWithScore], query_bundle: QueryBundle | None = None
    ) -> list[NodeWithScore]:
        if query_bundle is None:
            raise ValueError("NewsReranker needs the query: pass query_str or query_bundle")
        if not nodes:
            return []
        scores = [dict(n.node.metadata.get("scores", {})) for n in nodes]
        totals: list[float] = []
        for s, features in zip(scores, self.features(nodes, query_bundle.query_str), strict=True):
            s["time"] = features.time_score(self.weights)
            totals.append(features.score(self.weights))
        totals = self._with_article_support(nodes, totals)
        order = sorted(range(len(nodes)), key=lambda i: -totals[i])
        articles = [str(nodes[i].node.metadata.get("article_id", nodes[i].node.node_id)) for i in order]
        out: list[NodeWithScore] = []
        # Only the kept nodes are copied: pydantic copies of all ~80 candidates cost more than scoring them.
        for i in _spread(order, articles, self.weights.per_article_first)[: self.top_n]:
            scores[i]["rerank"] = totals[i]
            node = nodes[i].node.model_copy()
            node.metadata = {**nodes[i].node.metadata, "scores": scores[i]}
            out.append(NodeWithScore(node=node, score=totals[i]))
        return out

    def features(self, nodes: list[NodeWithScore], question: str) -> list[RerankFeatures]:
        """Each candidate's `RerankFeatures` (what `eval/rank_train.py` fits the weights on)."""
        scores = [n.node.metadata.get("scores", {}) for n in nodes]
        best_bm25 = max((s.get("bm25", 0.0) for s in scores), default=0.0)
        dense_known = [s["dense"] for s in scores if "dense" in s]
        best_dense = max(dense_known, default=0.0)
        # A lexical-only candidate was not among the nearest chunks: its cosine is at most the lowest seen.
        floor_dense = min(dense_known, default=0.0)
        terms = self.query_terms
        if terms is None or terms.question != question:
            terms = analyze_query(question)
        matches = match_passages(terms, *self._term_tables(nodes))
        out: list[RerankFeatures] = []
        for item, s, match in zip(nodes, scores, matches, strict=True):
            recency, window = self._time_features(item.node.metadata.get("published") or None)
            out.append(
                RerankFeatures(
                    bm25=s.get("bm25", 0.0) / best_bm25 if best_bm25 > 0 else 0.0,
                    dense=s.get("dense", floor_dense) - best_dense,
                    coverage=match.coverage,
                    title=match.title,
                    sentence=match.sentence,
                    entities=match.entities,
                    bigrams=match.bigrams,
                    recency=recency,
                    window=window,
                )
            )
        return out

    def _term_tables(self, nodes: list[NodeWithScore]) -> tuple[TermTable, TermTable]:
        """The candidates' stems (as the store kept them, else from their text) and their titles'."""
        stored, vocab = self.stored_terms([n.node.node_id for n in nodes]) if self.stored_terms else ([], {})
        parts: list[tuple[np.ndarray, np.ndarray] | PassageTerms] = [
            terms if terms is not None else _passage_terms(item.node.get_content())
            for item, terms in zip(nodes, stored or [None] * len(nodes), strict=True)
        ]
        titles = [_passage_terms(str(item.node.metadata.get("title", ""))) for item in nodes]
        return TermTable.build(parts, vocab), TermTable.build(titles, vocab)

    def _time_features(self, published: str | None) -> tuple[float, float]:
        """(recency relative to as-of, 1.0 if inside the widened window); (0, 0) for an unknown date."""
        if not published or self.as_of is None:
            return 0.0, 0.0
        try:
            day = date.fromisoformat(published[:10])
        except ValueError:
            return 0.0, 0.0
        w = self.weights
        age = max((self.as_of - day).days, 0)
        inside = 0.0
        if self.window is not None:
            before = (self.window.start - day).days
            after = (day - self.window.end).days
            inside = float(before <= w.window_before_days and after <= w.window_after_days)
        return math.exp(-age / w.recency_days), inside

    def _with_article_support(self, nodes: list[NodeWithScore], totals: list[float]) -> list[float]:
        """Add a share of the article's next-best passage scores: several matching passages
        make an article more likely to be about the question."""
        w = self.weights
        if w.article <= 0 or w.article_passages <= 0:
            return totals
        per_article: dict[str, list[float]] = defaultdict(list)
        for item, total in zip(nodes, totals, strict=True):
            per_article[str(item.node.metadata.get("article_id", item.node.node_id))].append(total)
        support = {
            a: w.article * sum(sorted(v, reverse=True)[1 : 1 + w.article_passages])
            for a, v in per_article.items()
        }
        return [
            total + support[str(item.node.metadata.get("article_id", item.node.node_id))]
            for item, total in zip(nodes, totals, strict=True)
        ]


def _spread(items: list[int], articles: list[str], per_article: int) -> list[int]:
    """Keep the order, but move an article's passages beyond the first `per_article` after the rest
    (`articles[k]` is the article of `items[k]`)."""
    if per_article <= 0:
        return items
    seen: dict[str, int] = defaultdict(int)
    first: list[int] = []
    later: list[int] = []
    for item, article in zip(items, articles, strict=True):
        (first if seen[article] < per_article else later).append(item)
        seen[article] += 1
    return first + later
