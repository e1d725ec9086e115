"""Fit the reader's choice model: when the span reader and the extractor disagree, which one is right.

Usage:
    # records of `newsqa eval` run with a reader that never saw these questions (debug records hold
    # both answers and the choice features), then:
    python -m eval.reader_choice RECORDS.jsonl [RECORDS.jsonl ...] --out qa/answering/models/reader/choice.json

Rows are the answerable questions where the reader's span is right (exact, or a short answer of at
most 10 words containing the gold one: `eval.train.is_right_free`; label 1) or the extractor's answer
contains the gold one at any length (label 0 unless the span is right too). A logistic regression on
standardised `CHOICE_FEATURES` (`eval.calibration.fit_logistic`) gives P(take the reader's span); the
stage takes the span at 0.5 and above. The file records the rows, the
5-fold cross-validated accuracy against always taking one side, and the sha256 of each records file.
"""

from __future__ import annotations

import argparse
import json
from collections.abc import Sequence
from dataclasses import replace
from pathlib import Path
from typing import Any

from eval.calibration import fit_logistic
from eval.metrics import contains_answer
from eval.train import is_right_free, sha256_of
from qa.answering.answer_model import Calibrator
from qa.answering.reading import CHOICE_FEATURES

FORMAT_VERSION = 1
CHOICE_THRESHOLD = 0.5  # take the span when it is more likely the right one of the two
CV_FOLDS = 5


def choice_rows(records: Sequence[dict[str, Any]]) -> list[dict[str, Any]]:
    """The questions where the choice matters, with features and whether to take the reader's span.

    Take it (1) when it is right. Keep the extractor's answer (0) when the span is wrong and that
    answer holds the gold one, even as a whole sentence: a wrong name in place of a sentence that
    answers costs the user more than a long answer does. Where neither holds it, the choice moves
    nothing and the question gives no row."""
    rows = []
    for record in records:
        reader = (record.get("assessment") or {}).get("reader")
        if not record.get("answerable") or not reader:
            continue
        gold = record["gold"]
        reader_right = is_right_free(reader["answer"], gold, True)
        extractor_holds = contains_answer(reader["extractor_answer"], gold) == 1.0
        if reader_right or extractor_holds:
            rows.append({"features": reader["features"], "label": reader_right, "id": record["id"]})
    return rows


def _fit(rows: Sequence[dict[str, Any]], seed: int) -> Calibrator:
    return replace(fit_logistic(rows, seed, CHOICE_FEATURES), threshold=CHOICE_THRESHOLD)


def cross_validated_accuracy(rows: Sequence[dict[str, Any]], seed: int) -> float:
    """Share of rows whose side the model fitted on the other folds picks right."""
    from sklearn.model_selection import StratifiedKFold

    labels = [int(r["label"]) for r in rows]
    right = 0
    folds = StratifiedKFold(n_splits=CV_FOLDS, shuffle=True, random_state=seed)
    for train_idx, test_idx in folds.split([[0]] * len(rows), labels):
        model = _fit([rows[i] for i in train_idx], seed)
        for i in test_idx:
            right += int((model.probability(rows[i]["features"]) >= CHOICE_THRESHOLD) == bool(labels[i]))
    return right / len(rows)


def fit_choice(records_files: Sequence[Path], seed: int = 0) -> dict[str, Any]:
    """The choice model's JSON (model and training record) from eval records files."""
    records = [json.loads(line) for path in records_files for line in path.open(encoding="utf-8")]
    rows = choice_rows(records)
    labels = [r["label"] for r in rows]
    if min(labels.count(0), labels.count(1)) < CV_FOLDS:
        raise ValueError(
            f"too few disagreements to fit ({labels.count(1)} reader right, {labels.count(0)} not)"
        )
    model = _fit(rows, seed)
    return {
        "format_version": FORMAT_VERSION,
        "choice": model.to_dict(),
        "rows": len(rows),
        "reader_right": sum(labels),
        "cv_accuracy": round(cross_validated_accuracy(rows, seed), 4),
        "majority_accuracy": round(max(labels.count(0), labels.count(1)) / len(rows), 4),
        "seed": seed,
        "records": {str(path): sha256_of(path) for path in records_files},
    }


def main(argv: list[str] | None = None) -> None:
    parser = argparse.ArgumentParser(prog="python -m eval.reader_choice", description=__doc__.split("\n")[0])
    parser.add_argument("records", type=Path, nargs="+")
    parser.add_argument("--out", type=Path, required=True)
    parser.add_argument("--seed", type=int, default=0)
    args = parser.parse_args(argv)
    fitted = fit_choice(args.records, args.seed)
    args.out.write_text(json.dumps(fitted, indent=2) + "\n", encoding="utf-8")
    print(json.dumps({k: v for k, v in fitted.items() if k != "choice"}, indent=2))


if __name__ == "__main__":
    main()
