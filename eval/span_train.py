"""`newsqa train --fit spans`: fit the span model (which candidate span answers) on training questions.

Usage:
    options = TrainOptions(seed=0, asked_before="2024-01-01", command="newsqa train --fit spans ...")
    model = train_span_model(settings, [("q.jsonl", "articles.jsonl.gz")], options)
    write_span_model(model, Path("qa/answering/models/spans.json"))

Every training question goes through `Answerer.ask` (free, debug) over its articles' eval index, ranked
by the hand-set totals (`SpanModel.hand_set`); the debug record holds the candidate spans weighed for a
typed answer (the best `WEIGHED_CANDIDATES` by hand-set total), each with its `SPAN_FEATURES`. A candidate is right when
`is_right_free` says its text is (exact, or at most 10 words holding the gold answer). A conditional
logit (eval/conditional_logit.py) learns which candidate is right, on the answerable questions with a
right candidate and a wrong one. The artifact records the seed, the command, the data hashes, the
in-sample and 5-fold cross-validated accuracy of its pick, and the hand-set ranking's accuracy on the
same questions; it holds no timestamps: the same rows write the same bytes.
"""

from __future__ import annotations

import json
from collections.abc import Sequence
from pathlib import Path
from typing import Any

from eval.calibration import REGULARISATION_C
from eval.conditional_logit import (
    cross_validated_accuracy,
    fit_conditional_logit,
    grouped_training_rows,
    pick_accuracy,
)
from eval.evalsets import EvalQuestion
from eval.train import TrainOptions, asked_rows, is_right_free
from newsqa.settings import Settings
from qa.answering.span_model import SPAN_FEATURES, SpanModel

MODEL_KIND = "span-conditional-logit"


def collect_span_rows(answerer: Any, questions: Sequence[EvalQuestion]) -> list[dict[str, Any]]:
    """One row per question answered from candidate spans: each candidate's text, features, rightness."""
    rows = []
    for q in questions:
        answer = answerer.ask(q.question, as_of=q.asked_at, debug=True)
        spans = (answer.assessment or {}).get("spans") or []
        if not spans:
            continue
        rows.append(
            {
                "id": q.id,
                "asked_at": q.asked_at,
                "answerable": q.answerable,
                "texts": [s["text"] for s in spans],
                "features": [s["features"] for s in spans],
                "gold": [is_right_free(s["text"], q.answers, q.answerable) for s in spans],
            }
        )
    return rows


def _set_rows(
    settings: Settings, questions_path: Path, articles_path: Path, options: TrainOptions
) -> tuple[list[dict[str, Any]], dict[str, Any]]:
    cache_key = ("spans", [list(SPAN_FEATURES), MODEL_KIND])
    return asked_rows(
        settings,
        questions_path,
        articles_path,
        options,
        cache_key,
        collect_span_rows,
        span_model=SpanModel.hand_set(),
    )


def fittable(rows: Sequence[dict[str, Any]]) -> list[dict[str, Any]]:
    """Answerable questions with at least one right candidate and one wrong one."""
    return [r for r in rows if r["answerable"] and 0 < sum(r["gold"]) < len(r["gold"])]


def hand_accuracy(rows: Sequence[dict[str, Any]]) -> float:
    """Share of rows whose hand-set pick (the first candidate recorded) is right."""
    return sum(r["gold"][0] for r in rows) / len(rows) if rows else 0.0


def train_span_model(
    settings: Settings, sets: Sequence[tuple[Path, Path]], options: TrainOptions | None = None
) -> SpanModel:
    """Fit the span model on the questions of `sets` ((questions, articles) pairs) asked before the date."""
    options = options or TrainOptions()
    rows, usable, data = grouped_training_rows(
        sets, lambda q, a: _set_rows(settings, q, a, options), fittable, options, "candidate spans"
    )
    fitted = fit_conditional_logit(usable, SPAN_FEATURES)
    answerable = [r for r in rows if r["answerable"]]
    info = {
        "model": MODEL_KIND,
        **options.record(),
        "data": data,
        "training_questions": len(usable),
        "regularisation_c": REGULARISATION_C,
        "metrics": {
            "train_accuracy": round(pick_accuracy(fitted, usable), 6),
            "cv_accuracy": round(cross_validated_accuracy(usable, options.seed, SPAN_FEATURES), 6),
            "hand_accuracy": round(hand_accuracy(usable), 6),
            "right_candidate_any": round(
                sum(any(r["gold"]) for r in answerable) / max(len(answerable), 1), 6
            ),
        },
    }
    return SpanModel(fitted.features, fitted.mean, fitted.scale, fitted.coef, info=info)


def write_span_model(model: SpanModel, path: Path) -> None:
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text(json.dumps(model.to_dict(), indent=2, sort_keys=True) + "\n", encoding="utf-8")
