"""Which candidate span answers a free question: named features of each candidate, and a trained
conditional logit over a question's candidates that ranks them.

Usage:
    model = SpanModel.load()                                   # qa/answering/models/spans.json
    features = candidate_features(question, spans, totals)     # normalised text -> SPAN_FEATURES values
    best = max(features, key=lambda key: model.score(features[key]))

The hand-set score of a candidate (`span_scoring.candidate_totals`) multiplies its best mention's
factors (the sentence's score, the target's discount, each preference of `candidate_preference`, the
question's verbs, nearness, the headline, the article's age) and adds agreement across articles. Here
each factor is a feature, as its logarithm, so a linear score learns each one's weight (a power of the
multiplier), beside how many articles and mentions name the candidate and what the rules between
candidates did to it. `newsqa train --fit spans` fits the weights on training questions
(eval/span_train.py); without the artifact the hand-set score ranks.
"""

from __future__ import annotations

import math
from collections.abc import Mapping
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from qa.answering.candidate_preference import PREFERENCE_FACTORS
from qa.answering.conditional_logit import ConditionalLogit, read_linear_artifact
from qa.answering.span_scoring import (
    MENTION_FACTORS,
    FoundSpans,
    SpanHit,
    aggregate,
    article_bests,
)
from qa.question.question import Question

FORMAT_VERSION = 1
DEFAULT_SPANS_PATH = Path(__file__).resolve().parent / "models" / "spans.json"
_ARTIFACT_PARTS = ("features", "mean", "scale", "coef", "format_version")
# A factor's logarithm is taken of at least this (a sentence score of 0).
_SMALLEST_FACTOR = 1e-4

# What is measured of each candidate. The artifact lists the ones its model uses.
SPAN_FEATURES: tuple[str, ...] = (
    *(f"log_{name}" for name in MENTION_FACTORS + PREFERENCE_FACTORS),  # of its best mention
    "articles",  # log(1 + articles that name it)
    "agreement",  # log(1 + the other articles' best mentions, as a share of the best one)
    "mentions",  # log(1 + its mentions beyond one per article)
    "explicit",  # 1: the text calls it by the asked noun ("Nangarhar province")
    "not_called",  # 1: another candidate is called by the asked noun of a place question, it is not
    "earlier_answer",  # 1: an earlier turn's answer names it
    "rules",  # log of what the rules between candidates (containers, short forms) did to its total
    "words",  # log(1 + its words)
    "target_rank",  # 1 / (1 + position of its best mention's sentence among those read)
    "passage_rank",  # 1 / (1 + rank of the passage of its best mention)
    "coverage",  # the question-term coverage of its best mention's sentence
    "hand_share",  # its hand-set total as a share of the best one's
)


def candidate_features(
    question: Question, spans: FoundSpans, totals: Mapping[str, float]
) -> dict[str, dict[str, float]]:
    """`SPAN_FEATURES` of every candidate in `totals` (its normalised text -> hand-set total)."""
    top = max(totals.values(), default=0.0) or 1.0
    place_question = bool(spans.explicit and question.labels & {"GPE", "LOC"})
    out: dict[str, dict[str, float]] = {}
    for key, total in totals.items():
        items = spans.found[key]
        best = best_mention(items)
        per_article = article_bests(items)
        own = aggregate(items)
        out[key] = {
            **{f"log_{n}": _log(best.factors.get(n, 1.0)) for n in MENTION_FACTORS + PREFERENCE_FACTORS},
            "articles": math.log1p(len(per_article)),
            "agreement": math.log1p(sum(per_article[1:5]) / (per_article[0] or 1.0)),
            "mentions": math.log1p(len(items) - len(per_article)),
            "explicit": float(key in spans.explicit),
            "not_called": float(place_question and key not in spans.explicit),
            "earlier_answer": float(
                any(set(key.split()) <= set(earlier.split()) for earlier in question.earlier_answers)
            ),
            "rules": _log(total / own) if own > 0 else 0.0,
            "words": math.log1p(len(key.split())),
            "target_rank": 1.0 / (1 + best.target),
            "passage_rank": 1.0 / (1 + best.sentence.passage.rank),
            "coverage": best.sentence.coverage,
            "hand_share": total / top,
        }
    return out


def best_mention(items: list[SpanHit]) -> SpanHit:
    """The highest-scoring mention (the first of equals)."""
    return max(items, key=lambda hit: hit.score)


def _log(value: float) -> float:
    return math.log(max(value, _SMALLEST_FACTOR))


@dataclass(frozen=True)
class SpanModel(ConditionalLogit):
    """A conditional logit over a question's candidate spans (`ConditionalLogit`); `info` is the
    training record."""

    info: Mapping[str, Any] = field(default_factory=dict)

    def best(self, features: Mapping[str, Mapping[str, float]]) -> str:
        """The candidate with the highest score (the first of equals)."""
        return max(features, key=lambda key: self.score(features[key]))

    def to_dict(self) -> dict[str, Any]:
        return {"format_version": FORMAT_VERSION, **dict(self.info), **self.columns()}

    @classmethod
    def hand_set(cls) -> SpanModel:
        """The model that ranks as the hand-set totals do (what the training rows are collected with)."""
        n = len(SPAN_FEATURES)
        coef = tuple(float(name == "hand_share") for name in SPAN_FEATURES)
        return cls(SPAN_FEATURES, (0.0,) * n, (1.0,) * n, coef, info={"model": "hand-set totals"})

    @classmethod
    def load(cls, path: str | Path | None = None) -> SpanModel:
        """The artifact at `path` (None: the shipped one)."""
        file = Path(path) if path is not None else DEFAULT_SPANS_PATH
        data, columns = read_linear_artifact(file, FORMAT_VERSION, "span model")
        info = {k: v for k, v in data.items() if k not in _ARTIFACT_PARTS}
        return cls(*columns, info=info)
