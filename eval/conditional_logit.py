"""Fitting a conditional logit (`qa.answering.conditional_logit.ConditionalLogit`) on grouped rows:
each row is one question, `features` one dict per item (option, candidate span), `gold` 1 for each
item that is right. The option model and the span model are both fitted here.

Usage:
    model = fit_conditional_logit(rows, features=("a", "b"))
    pick_accuracy(model, rows)                               # share of rows whose top item is right
    cross_validated_accuracy(rows, seed=0, features=("a", "b"))
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from pathlib import Path
from typing import Any

from eval.calibration import REGULARISATION_C
from eval.train import TrainOptions, collect_training_sets
from newsqa.errors import InvalidInput
from qa.answering.conditional_logit import ConditionalLogit

CV_FOLDS = 5


Rows = list[dict[str, Any]]


def grouped_training_rows(
    sets: Sequence[tuple[Path, Path]],
    collect_set: Callable[[Path, Path], tuple[Rows, dict[str, Any]]],
    fittable: Callable[[Rows], Rows],
    options: TrainOptions,
    what: str,
) -> tuple[Rows, Rows, list[dict[str, Any]]]:
    """Every set's rows (`collect_set(questions, articles)`) asked before `options.asked_before`, the
    ones `fittable` keeps, and each set's record; InvalidInput naming `what` the rows are about when
    too few are left to cross-validate."""
    rows, data = collect_training_sets(
        sets, collect_set, lambda row: row["asked_at"], lambda row: row["id"], options
    )
    usable = fittable(rows)
    if len(usable) < 2 * CV_FOLDS:
        raise InvalidInput(f"only {len(usable)} answerable questions with {what} to train on")
    return rows, usable, data


def fit_conditional_logit(rows: Sequence[dict[str, Any]], features: Sequence[str]) -> ConditionalLogit:
    """The L2-penalised maximum-likelihood conditional logit on standardised features (L-BFGS). A row
    with several right items is fitted on the probability of any of them."""
    import numpy as np
    from scipy.optimize import minimize

    flat = np.array([[float(f[n]) for n in features] for r in rows for f in r["features"]])
    mean = flat.mean(axis=0)
    scale = flat.std(axis=0)
    scale[scale == 0] = 1.0
    groups = [
        (
            (np.array([[float(f[n]) for n in features] for f in r["features"]]) - mean) / scale,
            np.array(r["gold"], dtype=bool),
        )
        for r in rows
    ]

    def loss(w: np.ndarray) -> tuple[float, np.ndarray]:
        total, grad = 0.5 * w @ w / REGULARISATION_C, w / REGULARISATION_C
        for x, gold in groups:
            scores = x @ w
            top = scores.max()
            exps = np.exp(scores - top)
            right = exps[gold]
            total += np.log(exps.sum()) - np.log(right.sum())
            grad = grad + x.T @ (exps / exps.sum()) - x[gold].T @ (right / right.sum())
        return float(total), grad

    result = minimize(loss, np.zeros(len(features)), jac=True, method="L-BFGS-B", options={"maxiter": 1000})
    return ConditionalLogit(
        features=tuple(features),
        mean=tuple(round(float(v), 8) for v in mean),
        scale=tuple(round(float(v), 8) for v in scale),
        coef=tuple(round(float(v), 8) for v in result.x),
    )


def pick_accuracy(model: ConditionalLogit, rows: Sequence[dict[str, Any]]) -> float:
    """Share of rows whose likeliest item is a right one (ties: the first)."""
    right = 0
    for r in rows:
        probs = model.probabilities(r["features"])
        right += r["gold"][max(range(len(probs)), key=lambda c: probs[c])]
    return right / len(rows) if rows else 0.0


def cross_validated_accuracy(rows: Sequence[dict[str, Any]], seed: int, features: Sequence[str]) -> float:
    """Pick accuracy of models fitted on the other folds (folds over questions, shuffled with `seed`)."""
    from sklearn.model_selection import KFold

    right = 0.0
    for train_idx, test_idx in KFold(CV_FOLDS, shuffle=True, random_state=seed).split(list(rows)):
        model = fit_conditional_logit([rows[i] for i in train_idx], features)
        right += pick_accuracy(model, [rows[i] for i in test_idx]) * len(test_idx)
    return right / len(rows)
