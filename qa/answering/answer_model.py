"""The trained answer model: a calibrated probability that an answer is right, and when to abstain.

Usage:
    model = AnswerModel.load()                                   # qa/answering/models/answer_model.json
    features = answer_features(extraction, hits, support, timed=False)
    p = model.probability(features, with_choices=False)          # P(the answer is right), shown
    model.answers(features, with_choices=False)                  # answer, else abstain

A free answer is withheld when the question looks unanswerable from these articles (the
`answerable` calibrator, P(the articles answer it), below its threshold): most free answers to
answerable questions are still wrong, so P(right) alone cannot tell "wrong span" from "no answer
here". It is also withheld when the extractor's own confidence is below `confidence_floor`: the
passages can be on topic while no sentence answers (an article that does not name the official
asked about), and the training questions' unanswerable ones, about stories no article covers, do
not teach the calibrator that case. With choices, P(right) itself decides (the options name the
candidates).

`newsqa train` fits it (eval/train.py: logistic regression over the features below, on training
questions only) and writes the JSON this loads; nothing is fitted at install or run time.
"""

from __future__ import annotations

import json
import math
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from newsqa.errors import NewsQAError
from newsqa.types import Hit
from qa.answering.sentences import Extraction

FORMAT_VERSION = 1
_PARTS = ("free", "choice", "answerable")
DEFAULT_MODEL_PATH = Path(__file__).resolve().parent / "models" / "answer_model.json"

# What the answerer already knows when it decides whether to answer. Order is the artifact's order.
FEATURES: tuple[str, ...] = (
    "extractor_confidence",  # the extractor's / choice picker's own score in [0, 1]
    "span",  # 1: a typed span inside the sentence, 0: the sentence itself
    "evidence_score",  # the best supporting sentence's score
    "evidence_rank",  # rank of the passage that sentence comes from (0 = best)
    "support_articles",  # distinct articles among the supporting evidence
    "answer_words",  # log(1 + words in the answer)
    "retrieval_support",  # the reranker's time-adjusted score of the best passage
    "rerank_margin",  # best minus second-best reranker score
    "top_score",  # the best hit's final score
    "timed",  # 1: the question names a time window
)


@dataclass(frozen=True)
class Calibrator:
    """Logistic regression on standardised features: p = sigmoid(b + sum(w * (x - mean) / scale)).

    A feature the caller could not measure (e.g. no reranker score) counts as its training mean.
    """

    features: tuple[str, ...]
    mean: tuple[float, ...]
    scale: tuple[float, ...]
    coef: tuple[float, ...]
    intercept: float
    threshold: float

    def probability(self, values: Mapping[str, float | None]) -> float:
        z = self.intercept
        for name, mean, scale, weight in zip(self.features, self.mean, self.scale, self.coef, strict=True):
            value = values.get(name)
            if value is not None:
                z += weight * (float(value) - mean) / (scale or 1.0)
        return 1.0 / (1.0 + math.exp(-z)) if z >= -700 else 0.0

    def to_dict(self) -> dict[str, Any]:
        return {
            "features": list(self.features),
            "mean": list(self.mean),
            "scale": list(self.scale),
            "coef": list(self.coef),
            "intercept": self.intercept,
            "threshold": self.threshold,
        }

    @classmethod
    def from_dict(cls, data: Mapping[str, Any]) -> Calibrator:
        names, mean, scale, coef = linear_columns(data)
        threshold = float(data["threshold"])
        if not 0.0 <= threshold <= 1.0:
            raise ValueError(f"threshold {threshold} is not in [0, 1]")
        return cls(names, mean, scale, coef, float(data["intercept"]), threshold)


def linear_columns(
    data: Mapping[str, Any],
) -> tuple[tuple[str, ...], tuple[float, ...], tuple[float, ...], tuple[float, ...]]:
    """A standardised linear model's `features`, `mean`, `scale` and `coef` as written in its JSON
    (ValueError when their lengths differ; KeyError or TypeError when one is missing or malformed)."""
    names = tuple(str(n) for n in data["features"])
    mean, scale, coef = (tuple(float(v) for v in data[key]) for key in ("mean", "scale", "coef"))
    if not len(mean) == len(scale) == len(coef) == len(names):
        raise ValueError("features, mean, scale and coef differ in length")
    return names, mean, scale, coef


@dataclass(frozen=True)
class AnswerModel:
    """P(right) for free answers and for multiple choice, P(answerable) for free questions;
    `info` is the training record. `confidence_floor`: the extractor confidence below which a free
    answer is withheld whatever the calibrators say (fitted: the most right responses on the
    training questions; 0 in artifacts written before it existed)."""

    free: Calibrator
    choice: Calibrator
    answerable: Calibrator
    info: Mapping[str, Any]
    confidence_floor: float = 0.0

    def calibrator(self, with_choices: bool) -> Calibrator:
        return self.choice if with_choices else self.free

    def probability(self, features: Mapping[str, float | None], *, with_choices: bool) -> float:
        return self.calibrator(with_choices).probability(features)

    def answers(self, features: Mapping[str, float | None], *, with_choices: bool) -> bool:
        """Whether to answer (else abstain) by the trained thresholds."""
        if with_choices:
            return self.choice.probability(features) >= self.choice.threshold
        confidence = features.get("extractor_confidence")
        if confidence is not None and confidence < self.confidence_floor:
            return False
        return self.answerable.probability(features) >= self.answerable.threshold

    def to_dict(self) -> dict[str, Any]:
        return {
            "format_version": FORMAT_VERSION,
            **dict(self.info),
            **{part: getattr(self, part).to_dict() for part in _PARTS},
            "confidence_floor": self.confidence_floor,
        }

    @classmethod
    def from_dict(cls, data: Mapping[str, Any], source: str = "answer model") -> AnswerModel:
        version = data.get("format_version")
        if version != FORMAT_VERSION:
            raise NewsQAError(f"{source}: format_version {version!r}, this code reads {FORMAT_VERSION}")
        try:
            parts = [Calibrator.from_dict(data[part]) for part in _PARTS]
            floor = float(data.get("confidence_floor", 0.0))
        except (KeyError, TypeError, ValueError) as exc:
            raise NewsQAError(f"{source}: not a valid answer model ({exc!r})") from exc
        if not 0.0 <= floor <= 1.0:
            raise NewsQAError(f"{source}: confidence_floor {floor} is not in [0, 1]")
        info = {k: v for k, v in data.items() if k not in (*_PARTS, "format_version", "confidence_floor")}
        return cls(*parts, info, floor)

    @classmethod
    def load(cls, path: str | Path | None = None) -> AnswerModel:
        """The artifact at `path` (None: the one shipped in qa/models/)."""
        file = Path(path) if path is not None else DEFAULT_MODEL_PATH
        try:
            data = json.loads(file.read_text(encoding="utf-8"))
        except (OSError, ValueError) as exc:
            raise NewsQAError(f"answer model {file}: cannot be read ({exc})") from exc
        return cls.from_dict(data, source=f"answer model {file}")


def answer_features(
    extraction: Extraction, hits: Sequence[Hit], support: float | None, *, timed: bool
) -> dict[str, float | None]:
    """The features `AnswerModel` reads, from one extraction and the hits it was read from."""
    evidence = extraction.support[0] if extraction.support else None
    reranks = [h.scores.get("rerank") for h in hits[:2]]
    margin = reranks[0] - reranks[1] if len(reranks) == 2 and None not in reranks else None
    return {
        "extractor_confidence": float(extraction.confidence),
        "span": 1.0 if extraction.span else 0.0,
        "evidence_score": float(evidence.score) if evidence is not None else 0.0,
        "evidence_rank": float(evidence.passage.rank) if evidence is not None else 10.0,
        "support_articles": float(len({e.passage.article.id for e in extraction.support})),
        "answer_words": math.log1p(len(extraction.answer.split())),
        "retrieval_support": support,
        "rerank_margin": margin,
        "top_score": float(hits[0].score) if hits else None,
        "timed": 1.0 if timed else 0.0,
    }
