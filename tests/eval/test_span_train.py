"""The span model's training: the conditional logit with several right candidates, which questions
are fitted, and `newsqa train --fit spans` over a small invented set."""

from __future__ import annotations

from pathlib import Path

from typer.testing import CliRunner

from app.cli import app
from eval.conditional_logit import fit_conditional_logit, pick_accuracy
from eval.span_train import fittable, hand_accuracy
from qa.answering.span_model import SPAN_FEATURES, SpanModel
from tests.eval.test_option_train import synthetic_groups
from tests.eval.test_rank_train import _write_set


def _synthetic(n: int, seed: int) -> list[dict]:
    """Five candidates per question, two right (a name and its short form); only "articles" is
    (noisily) higher for them; the hand-set pick (the first recorded) is right 2 times in 5."""
    return synthetic_groups(n, seed, SPAN_FEATURES, "articles", items=5, right=2)


def test_several_right_candidates_are_fitted_and_the_informative_feature_weighs_most() -> None:
    rows = _synthetic(300, seed=3)
    model = fit_conditional_logit(rows, SPAN_FEATURES)
    weights = dict(zip(model.features, model.coef, strict=True))
    assert weights["articles"] > 3 * max(abs(w) for n, w in weights.items() if n != "articles")
    assert pick_accuracy(model, rows) > 0.9 > hand_accuracy(rows)
    assert fit_conditional_logit(rows, SPAN_FEATURES) == model


def test_only_answerable_questions_with_a_right_and_a_wrong_candidate_are_fitted() -> None:
    rows = _synthetic(4, seed=1)
    rows[1]["answerable"] = False
    rows[2]["gold"] = [0] * 5  # no candidate is the answer
    rows[3]["gold"] = [1] * 5  # every candidate is: nothing to learn
    assert [r["id"] for r in fittable(rows)] == ["q0"]


ARTICLES = [
    (
        "a1",
        "Marathon record",
        "Runner Teo Marsh beat Ida Fenn to set a course record at the valley marathon.",
    ),
    ("a2", "Bakery contest", "Baker Rosa Lind won the regional bread contest, ahead of Karl Brun."),
    ("a3", "Ferry service", "Captain Ada Voss steered the repaired ferry Solvind back into the harbour."),
    ("a4", "Gala dinner", "Otto Rask cooked the gala dinner for the governor, Mila Hart, on Friday."),
]
QUESTIONS = [
    ("Who set a course record at the valley marathon?", "Teo Marsh", "a1"),
    ("Who won the regional bread contest?", "Rosa Lind", "a2"),
    ("Who steered the repaired ferry back into the harbour?", "Ada Voss", "a3"),
    ("Who cooked the gala dinner?", "Otto Rask", "a4"),
]


def test_train_fits_the_span_model_when_asked(tmp_path: Path) -> None:
    questions, articles = _write_set(tmp_path, ARTICLES, QUESTIONS * 3)
    out = tmp_path / "spans.json"
    args = ["train", "--fit", "spans", "--questions", str(questions), "--articles", str(articles)]
    result = CliRunner().invoke(app, [*args, "--out", str(out), "--data-dir", str(tmp_path / "data")])
    assert result.exit_code == 0, result.output
    model = SpanModel.load(out)
    assert model.info["command"].startswith("newsqa train --fit spans ")
    assert model.features == SPAN_FEATURES
    assert model.info["training_questions"] == 3 * len(QUESTIONS)
    # The hand-set ranking picks "Ida Fenn" for the marathon; the fitted model picks every right one.
    assert model.info["metrics"]["hand_accuracy"] < 1.0
    assert model.info["metrics"]["train_accuracy"] == 1.0
    assert model.info["metrics"]["right_candidate_any"] == 1.0
