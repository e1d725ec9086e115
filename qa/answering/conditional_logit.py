"""A conditional logit: one linear score per item on standardised features, a softmax over a group's
items. The option model (which option of a multiple-choice question) and the span model (which
candidate span of a free question) are both one, each fitted by `newsqa train` and read from JSON.

Usage:
    model = ConditionalLogit(("a", "b"), mean=(0.0, 0.0), scale=(1.0, 1.0), coef=(0.5, -1.0))
    model.probabilities([{"a": 1.0, "b": 0.0}, {"a": 0.0, "b": 1.0}])   # one per item, summing to 1
    data, columns = read_linear_artifact(path, FORMAT_VERSION, "span model")
"""

from __future__ import annotations

import json
import math
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from newsqa.errors import NewsQAError
from qa.answering.answer_model import linear_columns


@dataclass(frozen=True)
class ConditionalLogit:
    """score = sum(w * (x - mean) / scale); P = softmax of a group's scores. A feature an item lacks
    counts as its training mean."""

    features: tuple[str, ...]
    mean: tuple[float, ...]
    scale: tuple[float, ...]
    coef: tuple[float, ...]

    def score(self, values: Mapping[str, float]) -> float:
        return sum(
            w * (float(values.get(n, m)) - m) / (s or 1.0)
            for n, m, s, w in zip(self.features, self.mean, self.scale, self.coef, strict=True)
        )

    def probabilities(self, rows: Sequence[Mapping[str, float]]) -> list[float]:
        scores = [self.score(r) for r in rows]
        top = max(scores, default=0.0)
        exps = [math.exp(s - top) for s in scores]
        total = sum(exps) or 1.0
        return [e / total for e in exps]

    def columns(self) -> dict[str, list[Any]]:
        """The model as its JSON writes it."""
        return {
            "features": list(self.features),
            "mean": list(self.mean),
            "scale": list(self.scale),
            "coef": list(self.coef),
        }


def read_linear_artifact(
    file: Path, format_version: int, what: str
) -> tuple[dict[str, Any], tuple[tuple[str, ...], tuple[float, ...], tuple[float, ...], tuple[float, ...]]]:
    """The JSON at `file` and its linear columns; NewsQAError naming `what` and the file when it cannot
    be read, is of another format version, or its columns are malformed."""
    try:
        data = json.loads(file.read_text(encoding="utf-8"))
        if data.get("format_version") != format_version:
            raise ValueError(
                f"format_version {data.get('format_version')!r}, this code reads {format_version}"
            )
        return data, linear_columns(data)
    except (OSError, ValueError, KeyError, TypeError, AttributeError) as exc:
        raise NewsQAError(f"{what} {file}: cannot be read ({exc})") from exc
