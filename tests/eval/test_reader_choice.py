"""Fitting the reader's choice model from eval records (synthetic records with a known law)."""

from __future__ import annotations

import json
import random
from pathlib import Path

import pytest

from eval.reader_choice import choice_rows, fit_choice
from qa.answering.answer_model import Calibrator
from qa.answering.reading import CHOICE_FEATURES


def _record(
    i: int, reader_answer: str, extractor_answer: str, margin: float, answerable: bool = True
) -> dict:
    features = {name: 0.0 for name in CHOICE_FEATURES}
    features["reader_margin"] = margin
    return {
        "id": f"q{i}",
        "answerable": answerable,
        "gold": ["Port Ashby"],
        "assessment": {
            "reader": {"answer": reader_answer, "extractor_answer": extractor_answer, "features": features}
        },
    }


def test_rows_are_the_questions_where_the_choice_matters() -> None:
    sentence = "The ferry now sails from Port Ashby, the harbour board said on Monday after a long vote."
    records = [
        _record(0, "Port Ashby", "Elmbrook", 1.0),  # reader right
        _record(1, "Elmbrook", "Port Ashby", 1.0),  # extractor right
        _record(2, "Port Ashby", "Port Ashby", 1.0),  # both right: the span is as good
        _record(3, "Elmbrook", "Oslo", 1.0),  # both wrong: nothing to choose
        _record(4, "Port Ashby", "Elmbrook", 1.0, answerable=False),
        {"id": "q5", "answerable": True, "gold": ["x"], "assessment": {}},  # no reading
        _record(6, "Elmbrook", sentence, 1.0),  # a wrong name in place of a sentence that answers
        _record(7, "Port Ashby", sentence, 1.0),  # the short right answer over the long one
    ]
    rows = choice_rows(records)
    assert [(r["id"], r["label"]) for r in rows] == [("q0", 1), ("q1", 0), ("q2", 1), ("q6", 0), ("q7", 1)]


def test_the_fit_learns_that_a_high_margin_means_the_reader_is_right(tmp_path: Path) -> None:
    rng = random.Random(3)
    records = []
    for i in range(200):
        margin = rng.uniform(-3.5, 3.5)
        reader_right = rng.random() < 1 / (1 + 2.718 ** (-2 * margin))
        records.append(
            _record(
                i,
                "Port Ashby" if reader_right else "Elmbrook",
                "Elmbrook" if reader_right else "Port Ashby",
                margin,
            )
        )
    path = tmp_path / "questions-ours.jsonl"
    path.write_text("".join(json.dumps(r) + "\n" for r in records))
    fitted = fit_choice([path])
    model = Calibrator.from_dict(fitted["choice"])
    assert model.coef[CHOICE_FEATURES.index("reader_margin")] > 0
    assert fitted["cv_accuracy"] > fitted["majority_accuracy"]
    assert fitted["rows"] == 200 and str(path) in fitted["records"]
    assert fit_choice([path]) == fitted  # the same records give the same file


def test_too_few_disagreements_fail_clearly(tmp_path: Path) -> None:
    path = tmp_path / "questions-ours.jsonl"
    path.write_text(json.dumps(_record(0, "Port Ashby", "Elmbrook", 1.0)) + "\n")
    with pytest.raises(ValueError, match="too few disagreements"):
        fit_choice([path])
