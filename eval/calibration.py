"""Fitting the answer model's calibrators: logistic regression, calibration error, thresholds.

Usage:
    calibrator, metrics = fit_calibrator(rows, seed=0, rule="abstention")
    expected_calibration_error([0.9, 0.2], [1, 0])          # 0.15

A row is one asked question: {"features": {...}, "label": 0/1 (the answer is right),
"answerable": bool}. Only training questions go in; nothing here reads dev.
"""

from __future__ import annotations

import math
from collections.abc import Sequence
from typing import Any, Literal

from qa.answering.answer_model import FEATURES, Calibrator

# Abstention precision and recall the free-answer threshold aims for together (issue #21's target).
ABSTENTION_TARGET = 0.70
CALIBRATION_BINS = 10
CV_FOLDS = 5
# Inverse L2 strength of the logistic regression (scikit-learn's default; not tuned).
REGULARISATION_C = 1.0
Rule = Literal["abstention", "responses", "none"]


def expected_calibration_error(
    probs: Sequence[float], labels: Sequence[int], bins: int = CALIBRATION_BINS
) -> float:
    """Mean |accuracy - confidence| over equal-width probability bins, weighted by bin size."""
    if not probs:
        return 0.0
    total = 0.0
    for b in range(bins):
        members = [i for i, p in enumerate(probs) if min(int(p * bins), bins - 1) == b]
        if members:
            confidence = sum(probs[i] for i in members) / len(members)
            accuracy = sum(labels[i] for i in members) / len(members)
            total += len(members) * abs(accuracy - confidence)
    return total / len(probs)


def abstention_scores(abstained: Sequence[bool], answerable: Sequence[bool]) -> tuple[float, float, float]:
    """(precision, recall, F1) of abstaining, positive class = unanswerable (as the eval reports it)."""
    true_pos = sum(1 for a, ok in zip(abstained, answerable, strict=True) if a and not ok)
    precision = true_pos / max(1, sum(abstained))
    recall = true_pos / max(1, sum(1 for ok in answerable if not ok))
    f1 = 2 * precision * recall / (precision + recall) if precision + recall else 0.0
    return precision, recall, f1


def right_responses(rows: Sequence[dict[str, Any]], abstained: Sequence[bool]) -> int:
    """Right answers to answerable questions plus abstentions on unanswerable ones."""
    return sum(
        (not a and r["label"] == 1) or (a and not r["answerable"])
        for a, r in zip(abstained, rows, strict=True)
    )


def choose_threshold(
    rows: Sequence[dict[str, Any]],
    probs: Sequence[float],
    rule: Rule,
    withheld: Sequence[bool] | None = None,
) -> float:
    """The probability threshold below which to abstain, chosen on the training rows.

    "abstention": precision and recall of abstaining both >= ABSTENTION_TARGET where some threshold
    reaches that (the best F1 among those), else the one whose smaller of the two is largest (the
    nearest to that target; the best F1 alone drifts to abstaining on most questions). "responses": the most right responses
    (a right answer to an answerable question, an abstention on an unanswerable one). "none": 0.0
    (a calibrator that only informs).
    A row without support, or one `withheld` marks (withheld by an earlier decision), is withheld
    whatever the threshold.
    """
    if rule == "none":
        return 0.0
    answerable = [bool(r["answerable"]) for r in rows]
    supported = [bool(r["features"].get("support_articles")) for r in rows]
    if withheld is not None:
        supported = [s and not w for s, w in zip(supported, withheld, strict=True)]
    best: tuple[tuple[float, ...], float] | None = None
    for threshold in sorted({0.0, *(round(p, 6) for p in probs)}):
        abstained = [not s or p < threshold for s, p in zip(supported, probs, strict=True)]
        if rule == "abstention":
            precision, recall, f1 = abstention_scores(abstained, answerable)
            worse = min(precision, recall)
            key: tuple[float, ...] = (1.0, f1) if worse >= ABSTENTION_TARGET else (0.0, worse, f1)
        else:
            key = (float(right_responses(rows, abstained)),)
        if best is None or key > best[0]:
            best = (key, threshold)
    return best[1] if best is not None else 0.0


def _matrix(
    rows: Sequence[dict[str, Any]], features: Sequence[str], means: Sequence[float] | None = None
) -> list[list[float]]:
    """Feature rows in `features` order; a missing value becomes the column mean (given or computed)."""
    if means is None:
        means = []
        for name in features:
            present = [float(r["features"][name]) for r in rows if r["features"].get(name) is not None]
            means.append(sum(present) / len(present) if present else 0.0)
    return [
        [
            float(r["features"][n]) if r["features"].get(n) is not None else means[j]
            for j, n in enumerate(features)
        ]
        for r in rows
    ]


def fit_logistic(rows: Sequence[dict[str, Any]], seed: int, features: Sequence[str] = FEATURES) -> Calibrator:
    """Logistic regression (C = REGULARISATION_C) of rows' labels on their standardised `features`;
    the threshold is left at 0 for the caller to set."""
    from sklearn.linear_model import LogisticRegression
    from sklearn.preprocessing import StandardScaler

    x = _matrix(rows, features)
    labels = [int(r["label"]) for r in rows]
    scaler = StandardScaler().fit(x)
    model = LogisticRegression(C=REGULARISATION_C, max_iter=2000, random_state=seed)
    model.fit(scaler.transform(x), labels)
    return Calibrator(
        features=tuple(features),
        mean=tuple(round(float(v), 8) for v in scaler.mean_),
        scale=tuple(round(float(v), 8) for v in scaler.scale_),
        coef=tuple(round(float(v), 8) for v in model.coef_[0]),
        intercept=round(float(model.intercept_[0]), 8),
        threshold=0.0,
    )


def _cross_validated(
    rows: Sequence[dict[str, Any]], seed: int, features: Sequence[str] = FEATURES
) -> list[float]:
    """Out-of-fold probabilities (stratified folds, shuffled with `seed`)."""
    from sklearn.model_selection import StratifiedKFold

    labels = [int(r["label"]) for r in rows]
    probs = [0.0] * len(rows)
    folds = StratifiedKFold(n_splits=CV_FOLDS, shuffle=True, random_state=seed)
    for train_idx, test_idx in folds.split([[0]] * len(rows), labels):
        calibrator = fit_logistic([rows[i] for i in train_idx], seed, features)
        for i in test_idx:
            probs[i] = calibrator.probability(rows[i]["features"])
    return probs


def fit_calibrator(
    rows: Sequence[dict[str, Any]], *, seed: int, rule: Rule, features: Sequence[str] = FEATURES
) -> tuple[Calibrator, dict]:
    """The calibrator of `features` fitted on `rows` with its threshold, and its fit metrics (in-sample
    and 5-fold CV)."""
    labels = [int(r["label"]) for r in rows]
    if len(set(labels)) < 2:
        raise ValueError(f"training rows need right and wrong answers, got labels {sorted(set(labels))}")
    fitted = fit_logistic(rows, seed, features)
    probs = [fitted.probability(r["features"]) for r in rows]
    threshold = round(choose_threshold(rows, probs, rule), 6)
    calibrator = Calibrator(
        fitted.features, fitted.mean, fitted.scale, fitted.coef, fitted.intercept, threshold
    )
    metrics = {"rows": len(rows), "right": sum(labels), "threshold_rule": rule}
    metrics.update(_scores(rows, probs, threshold, prefix="train_"))
    if min(sum(labels), len(labels) - sum(labels)) >= CV_FOLDS:
        metrics.update(_scores(rows, _cross_validated(rows, seed, features), threshold, prefix="cv_"))
    return calibrator, metrics


def _scores(rows: Sequence[dict[str, Any]], probs: Sequence[float], threshold: float, prefix: str) -> dict:
    from sklearn.metrics import brier_score_loss, roc_auc_score

    labels = [int(r["label"]) for r in rows]
    abstained = [
        not r["features"].get("support_articles") or p < threshold for r, p in zip(rows, probs, strict=True)
    ]
    precision, recall, _ = abstention_scores(abstained, [bool(r["answerable"]) for r in rows])
    clipped = [min(max(p, 1e-12), 1 - 1e-12) for p in probs]
    log_loss = -sum(
        math.log(p) if y else math.log(1 - p) for p, y in zip(clipped, labels, strict=True)
    ) / len(labels)
    return {
        f"{prefix}ece": round(expected_calibration_error(probs, labels), 4),
        f"{prefix}brier": round(float(brier_score_loss(labels, probs)), 4),
        f"{prefix}log_loss": round(log_loss, 4),
        f"{prefix}auc": round(float(roc_auc_score(labels, probs)), 4),
        f"{prefix}abstain_precision": round(precision, 4),
        f"{prefix}abstain_recall": round(recall, 4),
    }
