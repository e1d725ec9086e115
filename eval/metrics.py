"""Eval metrics: small pure functions, and `QAEvaluator` that turns per-question outcomes into a report row.

Usage:
    evaluator = QAEvaluator(k_values=(1, 5, 10))
    row = evaluator(outcomes, conversation_turns)   # {"hits@1": 0.5, "mrr@10": 0.61, "answer_em": None, ...}
    row[evaluator.primary_metric]

Retrieval is article-level: a retrieved chunk counts for its article, and repeated article ids are
collapsed to their first (best) rank. Answers use SQuAD normalisation. A metric with no questions it
applies to is None, never 0, so "not measured" is not confused with "always wrong".
`answer_contains` credits only answers of at most `MAX_CONTAINS_WORDS` words (a gold string inside a
long passage is not an answer); `answer_contains_uncapped` is the same check at any length.
"""

from __future__ import annotations

import math
import random
import re
import string
from collections import Counter
from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field
from functools import partial

_ARTICLES = re.compile(r"\b(a|an|the)\b")
_PUNCTUATION = set(string.punctuation) | {"\u2018", "\u2019", "\u201c", "\u201d", "\u2013", "\u2014"}

# The longest free answer (whitespace-separated words) that `answer_contains` can credit.
MAX_CONTAINS_WORDS = 10


# --- retrieval -------------------------------------------------------------------------------------


def dedupe_ranking(article_ids: Iterable[str]) -> list[str]:
    """Article ids in rank order, each kept at its first position."""
    seen: set[str] = set()
    ranking: list[str] = []
    for article_id in article_ids:
        if article_id not in seen:
            seen.add(article_id)
            ranking.append(article_id)
    return ranking


def hits_at_k(ranking: Sequence[str], relevant: set[str], k: int) -> float:
    return 1.0 if any(a in relevant for a in ranking[:k]) else 0.0


def reciprocal_rank_at_k(ranking: Sequence[str], relevant: set[str], k: int) -> float:
    for rank, article_id in enumerate(ranking[:k], start=1):
        if article_id in relevant:
            return 1.0 / rank
    return 0.0


def ndcg_at_k(ranking: Sequence[str], relevant: set[str], k: int) -> float:
    """Binary relevance; the ideal DCG ranks min(|relevant|, k) relevant articles first."""
    if not relevant:
        return 0.0
    dcg = sum(1.0 / math.log2(rank + 1) for rank, a in enumerate(ranking[:k], start=1) if a in relevant)
    ideal = sum(1.0 / math.log2(rank + 1) for rank in range(1, min(len(relevant), k) + 1))
    return dcg / ideal


def recall_at_k(ranking: Sequence[str], relevant: set[str], k: int) -> float:
    if not relevant:
        return 0.0
    return len(relevant.intersection(ranking[:k])) / len(relevant)


def answer_in_texts(texts: Iterable[str], answers: Iterable[str]) -> bool:
    """Some gold answer occurs, case-folded, in some text."""
    folded = [t.casefold() for t in texts]
    return any(gold.casefold() in text for gold in answers for text in folded)


# --- answers ---------------------------------------------------------------------------------------


def normalize_answer(text: str) -> str:
    """SQuAD normalisation: lowercase, delete punctuation (curly quotes too), drop a/an/the, collapse spaces."""
    text = text.lower()
    text = "".join(ch for ch in text if ch not in _PUNCTUATION)
    text = _ARTICLES.sub(" ", text)
    return " ".join(text.split())


def exact_match(prediction: str, answers: Iterable[str]) -> float:
    predicted = normalize_answer(prediction)
    return 1.0 if any(predicted == normalize_answer(gold) for gold in answers) else 0.0


def _f1(prediction: str, gold: str) -> float:
    predicted_tokens = normalize_answer(prediction).split()
    gold_tokens = normalize_answer(gold).split()
    if not predicted_tokens or not gold_tokens:
        return 1.0 if predicted_tokens == gold_tokens else 0.0
    common = sum((Counter(predicted_tokens) & Counter(gold_tokens)).values())
    if common == 0:
        return 0.0
    precision = common / len(predicted_tokens)
    recall = common / len(gold_tokens)
    return 2 * precision * recall / (precision + recall)


def f1_score(prediction: str, answers: Iterable[str]) -> float:
    """Token F1, the best over the gold answers (0.0 with no gold answers)."""
    return max((_f1(prediction, gold) for gold in answers), default=0.0)


def contains_answer(prediction: str, answers: Iterable[str]) -> float:
    """A normalised gold answer occurs in the normalised prediction (as whole tokens)."""
    predicted = f" {normalize_answer(prediction)} "
    return (
        1.0 if any(f" {normalize_answer(g)} " in predicted for g in answers if normalize_answer(g)) else 0.0
    )


def capped_contains(prediction: str, answers: Iterable[str], max_words: int = MAX_CONTAINS_WORDS) -> float:
    """`contains_answer` for a prediction of at most `max_words` words; 0.0 for a longer one."""
    if len(prediction.split()) > max_words:
        return 0.0
    return contains_answer(prediction, answers)


def choice_correct(predicted_choice: str, answers: Iterable[str]) -> float:
    return exact_match(predicted_choice, answers)


# --- aggregation ------------------------------------------------------------------------------------


def mean_or_none(values: Iterable[float]) -> float | None:
    items = list(values)
    return sum(items) / len(items) if items else None


# Percentile bootstrap: resamples drawn, and a fixed seed so a report's interval is reproducible.
BOOTSTRAP_RESAMPLES = 2000
BOOTSTRAP_SEED = 0


def bootstrap_ci(
    values: Sequence[float],
    level: float = 0.95,
    resamples: int = BOOTSTRAP_RESAMPLES,
    seed: int = BOOTSTRAP_SEED,
) -> tuple[float, float] | None:
    """Percentile-bootstrap interval of the mean of `values` (e.g. 1.0/0.0 per follow-up turn).

    Usage: `low, high = bootstrap_ci([1.0, 0.0, 1.0, 1.0])` (95%); None for no values.
    """
    if not values:
        return None
    if not 0.0 < level < 1.0 or resamples < 1:
        raise ValueError(f"level must be in (0, 1) and resamples >= 1, got {level!r}, {resamples!r}")
    rng = random.Random(seed)
    n = len(values)
    means = sorted(sum(rng.choices(values, k=n)) / n for _ in range(resamples))
    tail = (1.0 - level) / 2.0
    return percentile(means, 100.0 * tail), percentile(means, 100.0 * (1.0 - tail))  # type: ignore[return-value]


def percentile(values: Sequence[float], q: float) -> float | None:
    """Linear-interpolated percentile (numpy's default), None for no values."""
    if not values:
        return None
    ordered = sorted(values)
    position = (len(ordered) - 1) * q / 100.0
    low = math.floor(position)
    high = math.ceil(position)
    return ordered[low] + (ordered[high] - ordered[low]) * (position - low)


def abstention_precision_recall(outcomes: Iterable[tuple[bool, bool]]) -> tuple[float | None, float | None]:
    """(precision, recall) with positive class = unanswerable, from (abstained, answerable) pairs."""
    pairs = list(outcomes)
    abstained = [answerable for did_abstain, answerable in pairs if did_abstain]
    unanswerable = [did_abstain for did_abstain, answerable in pairs if not answerable]
    precision = mean_or_none(0.0 if answerable else 1.0 for answerable in abstained)
    recall = mean_or_none(1.0 if did_abstain else 0.0 for did_abstain in unanswerable)
    return precision, recall


# --- evaluator --------------------------------------------------------------------------------------


@dataclass
class QuestionOutcome:
    """What one config did on one question; `answer`/`abstained` are None for retrieval-only configs."""

    question_id: str
    answers: list[str]
    relevant_article_ids: list[str]
    answerable: bool
    retrieved_article_ids: list[str]  # one per retrieved chunk, in rank order
    retrieved_texts: list[str]
    answer: str | None = None
    abstained: bool | None = None
    cited_quotes: list[str] = field(default_factory=list)
    citations_checked: int = 0  # citations + related compared with the stored article text
    citations_exact: int = 0
    choice_correct: bool | None = None  # None: no choices, or the config does not answer
    latency_ms: float | None = None


@dataclass
class TurnOutcome:
    """A follow-up turn (not the first) of a conversation."""

    conversation_id: str
    turn: int
    answers: list[str]
    answer: str
    abstained: bool

    @property
    def correct(self) -> bool:
        if not self.answers:
            return self.abstained
        return not self.abstained and contains_answer(self.answer, self.answers) == 1.0


class QAEvaluator:
    """Computes every report metric from per-question outcomes.

    Modelled on sentence-transformers' InformationRetrievalEvaluator: configured with its cut-offs,
    called to get a flat dict of metric name -> value, with `primary_metric` naming the one to rank by.
    """

    primary_metric = "mrr@10"

    def __init__(
        self,
        k_values: Sequence[int] = (1, 5, 10),
        cutoff: int = 10,
        max_contains_words: int = MAX_CONTAINS_WORDS,
    ) -> None:
        if not k_values or any(k < 1 for k in k_values):
            raise ValueError(f"k_values must be positive integers, got {k_values!r}")
        if cutoff < 1:
            raise ValueError(f"cutoff must be >= 1, got {cutoff}")
        if max_contains_words < 1:
            raise ValueError(f"max_contains_words must be >= 1, got {max_contains_words}")
        self.k_values = tuple(k_values)
        self.cutoff = cutoff
        self.max_contains_words = max_contains_words

    def __call__(
        self, outcomes: Sequence[QuestionOutcome], turns: Sequence[TurnOutcome] | None = None
    ) -> dict[str, float | None]:
        return self.compute(outcomes, turns)

    def compute(
        self, outcomes: Sequence[QuestionOutcome], turns: Sequence[TurnOutcome] | None = None
    ) -> dict[str, float | None]:
        k = self.cutoff
        answerable = [o for o in outcomes if o.answerable]
        rankings = {o.question_id: dedupe_ranking(o.retrieved_article_ids) for o in answerable}
        row: dict[str, float | None] = {}
        for cut in self.k_values:
            row[f"hits@{cut}"] = mean_or_none(
                hits_at_k(rankings[o.question_id], set(o.relevant_article_ids), cut) for o in answerable
            )
        row[f"mrr@{k}"] = mean_or_none(
            reciprocal_rank_at_k(rankings[o.question_id], set(o.relevant_article_ids), k) for o in answerable
        )
        row[f"ndcg@{k}"] = mean_or_none(
            ndcg_at_k(rankings[o.question_id], set(o.relevant_article_ids), k) for o in answerable
        )
        row[f"recall@{k}"] = mean_or_none(
            recall_at_k(rankings[o.question_id], set(o.relevant_article_ids), k) for o in answerable
        )
        row[f"answer_recall@{k}"] = mean_or_none(
            1.0 if answer_in_texts(o.retrieved_texts[:k], o.answers) else 0.0 for o in answerable
        )
        row.update(self._answer_metrics(outcomes))
        row["followup_accuracy"] = mean_or_none(1.0 if t.correct else 0.0 for t in turns or [])
        latencies = [o.latency_ms for o in outcomes if o.latency_ms is not None]
        row["latency_ms_p50"] = percentile(latencies, 50)
        row["latency_ms_p95"] = percentile(latencies, 95)
        return row

    def _answer_metrics(self, outcomes: Sequence[QuestionOutcome]) -> dict[str, float | None]:
        answered = [o for o in outcomes if o.answer is not None and o.abstained is not None]
        scored = [o for o in answered if o.answerable]

        # A wrong abstention on an answerable question scores 0, whatever the answer text says.
        def per_answer(metric: object) -> float | None:
            return mean_or_none(
                0.0 if o.abstained else metric(o.answer or "", o.answers)  # type: ignore[operator]
                for o in scored
            )

        checked = sum(o.citations_checked for o in answered)
        precision, recall = abstention_precision_recall((bool(o.abstained), o.answerable) for o in answered)
        return {
            "answer_em": per_answer(exact_match),
            "answer_f1": per_answer(f1_score),
            "answer_contains": per_answer(partial(capped_contains, max_words=self.max_contains_words)),
            "answer_contains_uncapped": per_answer(contains_answer),
            "citation_support": mean_or_none(
                0.0
                if o.abstained
                else (1.0 if any(contains_answer(q, o.answers) for q in o.cited_quotes) else 0.0)
                for o in scored
            ),
            "citation_integrity": (sum(o.citations_exact for o in answered) / checked) if checked else None,
            # Over answerable questions: for the others the right response is to abstain, which
            # abstain_precision/recall score; no choice among wrong options can be "right".
            "mc_accuracy": mean_or_none(
                1.0 if o.choice_correct else 0.0 for o in scored if o.choice_correct is not None
            ),
            "abstain_precision": precision,
            "abstain_recall": recall,
        }
