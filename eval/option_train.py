"""`newsqa train --fit options`: fit the multiple-choice option model on training questions.

Usage:
    options = TrainOptions(seed=0, command="newsqa train --fit options ...")
    model = train_option_model(settings, [("q.jsonl", "articles.jsonl.gz")], options)
    write_option_model(model, Path("qa/answering/models/options.json"))

Every training question with choices goes through `Answerer.ask` (choices, debug) over its articles'
eval index; the debug record holds each option's `OPTION_FEATURES`. A conditional logit (softmax over a
question's options of a linear score on standardised features, L2 with C = REGULARISATION_C) learns
which option is the gold one, on the answerable questions whose gold answer is an option. Then a
logistic regression on the pick's `PICK_FEATURES` (every question with choices, unanswerable ones
included) learns P(the pick is right and the question answerable); its threshold is the one with the
most right responses on the training questions (a right pick, or withholding on an unanswerable
question: `eval.calibration.choose_threshold`, rule "responses"). The artifact records the seed, the
command, the data hashes, the in-sample and 5-fold cross-validated accuracy of the pick (folds over
questions) and the calibrator's metrics, and holds no timestamps: the same command writes the same
bytes.
"""

from __future__ import annotations

import json
from collections.abc import Sequence
from pathlib import Path
from typing import Any

from eval.calibration import REGULARISATION_C, fit_calibrator
from eval.conditional_logit import (
    cross_validated_accuracy,
    fit_conditional_logit,
    grouped_training_rows,
    pick_accuracy,
)
from eval.train import TrainOptions, asked_rows
from newsqa.settings import Settings
from qa.answering.choices import OPTION_FEATURES, PICK_FEATURES, OptionModel, likeliest, pick_features

MODEL_KIND = "option-conditional-logit"


def collect_option_rows(answerer: Any, questions: Sequence[Any]) -> list[dict[str, Any]]:
    """One row per question with choices: its options' features and which option is the gold one."""
    rows = []
    for q in questions:
        if not q.choices or not q.answers:
            continue
        answer = answerer.ask(q.question, as_of=q.asked_at, choices=q.choices, debug=True)
        options = (answer.assessment or {}).get("options") or []
        gold = {a.casefold().strip() for a in q.answers}
        rows.append(
            {
                "id": q.id,
                "asked_at": q.asked_at,
                "answerable": q.answerable,
                "features": [o["features"] for o in options],
                "evidence": [o["evidence"] for o in options],
                "gold": [int(o["option"].casefold().strip() in gold) for o in options],
            }
        )
    return rows


def _set_rows(
    settings: Settings, questions_path: Path, articles_path: Path, options: TrainOptions
) -> tuple[list[dict[str, Any]], dict[str, Any]]:
    cache_key = ("options", [list(OPTION_FEATURES), MODEL_KIND])
    return asked_rows(settings, questions_path, articles_path, options, cache_key, collect_option_rows)


def fittable(rows: Sequence[dict[str, Any]]) -> list[dict[str, Any]]:
    """Answerable questions with exactly one gold option among two or more."""
    return [r for r in rows if r["answerable"] and len(r["gold"]) >= 2 and sum(r["gold"]) == 1]


def train_option_model(
    settings: Settings, sets: Sequence[tuple[Path, Path]], options: TrainOptions | None = None
) -> OptionModel:
    """Fit the option model on the questions of `sets` ((questions, articles) pairs) asked before the date."""
    options = options or TrainOptions()
    rows, usable, data = grouped_training_rows(
        sets, lambda q, a: _set_rows(settings, q, a, options), fittable, options, "choices"
    )
    model = fit_conditional_logit(usable, OPTION_FEATURES)
    answered, answered_metrics = fit_calibrator(
        pick_rows(model, rows), seed=options.seed, rule="responses", features=PICK_FEATURES
    )
    info = {
        "model": MODEL_KIND,
        **options.record(),
        "data": data,
        "training_questions": len(usable),
        "regularisation_c": REGULARISATION_C,
        "metrics": {
            "train_accuracy": round(pick_accuracy(model, usable), 6),
            "cv_accuracy": round(cross_validated_accuracy(usable, options.seed, OPTION_FEATURES), 6),
            "mentioned_any": round(
                sum(any(f["mentioned"] for f in r["features"]) for r in usable) / len(usable), 6
            ),
            "answered": answered_metrics,
        },
    }
    return OptionModel(model.features, model.mean, model.scale, model.coef, answered=answered, info=info)


def pick_rows(model: OptionModel, rows: Sequence[dict[str, Any]]) -> list[dict[str, Any]]:
    """One row per question whose options have evidence: `PICK_FEATURES` of the pick `model` makes
    (`likeliest`, as `ChoicePicker` picks), labelled 1 when it is the gold option of an answerable question."""
    out = []
    for r in rows:
        usable = [c for c, found in enumerate(r["evidence"]) if found]
        if not usable or sum(r["gold"]) != 1:
            continue
        probs = model.probabilities(r["features"])
        win = likeliest(probs, usable)
        features = {**pick_features(r["features"], probs, win), "support_articles": 1.0}
        label = int(r["answerable"] and r["gold"][win] == 1)
        out.append({"features": features, "label": label, "answerable": r["answerable"]})
    return out


def write_option_model(model: OptionModel, path: Path) -> None:
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text(json.dumps(model.to_dict(), indent=2, sort_keys=True) + "\n", encoding="utf-8")
