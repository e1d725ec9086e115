"""The multiple-choice option model: the conditional logit on synthetic options, the artifact, and
`newsqa train --fit options` over a small invented set."""

from __future__ import annotations

import json
import random
from collections.abc import Sequence
from pathlib import Path

import pytest
from typer.testing import CliRunner

from app.cli import app
from eval.conditional_logit import cross_validated_accuracy, fit_conditional_logit, pick_accuracy
from eval.option_train import fittable, write_option_model
from newsqa.errors import NewsQAError
from qa.answering.choices import OPTION_FEATURES, OptionModel
from tests.eval.test_rank_train import _write_set


def synthetic_groups(
    n: int, seed: int, features: Sequence[str], informative: str, items: int = 4, right: int = 1
) -> list[dict]:
    """`n` questions of `items` items each, `right` of them right; only `informative` is (noisily)
    higher for the right ones."""
    rng = random.Random(seed)
    rows = []
    for k in range(n):
        gold = [1] * right + [0] * (items - right)
        rng.shuffle(gold)
        group = []
        for is_right in gold:
            values = {name: rng.uniform(0.0, 1.0) for name in features}
            values[informative] = (0.6 if is_right else 0.0) + rng.uniform(0.0, 0.5)
            group.append(values)
        rows.append(
            {"id": f"q{k}", "asked_at": "2023-01-01", "answerable": True, "features": group, "gold": gold}
        )
    return rows


def _synthetic(n: int, seed: int, informative: str = "best_coverage") -> list[dict]:
    """Four options per question, one gold; only `informative` is (noisily) higher for it."""
    return synthetic_groups(n, seed, OPTION_FEATURES, informative)


def test_the_informative_feature_gets_the_largest_weight_and_the_fit_is_deterministic() -> None:
    rows = _synthetic(300, seed=2)
    model = fit_conditional_logit(rows, OPTION_FEATURES)
    weights = dict(zip(model.features, model.coef, strict=True))
    assert weights["best_coverage"] > 3 * max(abs(w) for n, w in weights.items() if n != "best_coverage")
    assert pick_accuracy(model, rows) > 0.85
    assert cross_validated_accuracy(rows, seed=0, features=OPTION_FEATURES) > 0.85
    assert fit_conditional_logit(rows, OPTION_FEATURES) == model
    other = fit_conditional_logit(_synthetic(300, seed=2, informative="title"), OPTION_FEATURES)
    assert max(zip(other.coef, other.features, strict=True))[1] == "title"


def test_probabilities_are_a_softmax_of_the_scores() -> None:
    model = fit_conditional_logit(_synthetic(200, seed=5), OPTION_FEATURES)
    low = dict.fromkeys(OPTION_FEATURES, 0.0)
    high = {**low, "best_coverage": 1.0}
    probs = model.probabilities([low, high, low])
    assert sum(probs) == pytest.approx(1.0)
    assert probs[1] > probs[0] == pytest.approx(probs[2])


def test_only_answerable_questions_with_one_gold_option_are_fitted() -> None:
    rows = _synthetic(3, seed=1)
    rows[1]["answerable"] = False
    rows[2]["gold"] = [0, 0, 0, 0]  # the gold answer is none of the options
    assert [r["id"] for r in fittable(rows)] == ["q0"]


def test_the_artifact_loads_back_and_a_bad_one_names_its_file(tmp_path: Path) -> None:
    fitted = fit_conditional_logit(_synthetic(100, seed=4), OPTION_FEATURES)
    model = OptionModel(fitted.features, fitted.mean, fitted.scale, fitted.coef)
    path = tmp_path / "options.json"
    write_option_model(model, path)
    assert OptionModel.load(path) == model
    data = json.loads(path.read_text(encoding="utf-8"))
    path.write_text(json.dumps({**data, "coef": data["coef"][:-1]}), encoding="utf-8")
    with pytest.raises(NewsQAError, match="options.json.*differ in length"):
        OptionModel.load(path)


def test_the_shipped_model_reads_every_feature_and_prefers_mentioned_options() -> None:
    model = OptionModel.load()
    assert model.features == OPTION_FEATURES
    assert model.info["metrics"]["cv_accuracy"] > 0.5
    absent = dict.fromkeys(OPTION_FEATURES, 0.0) | {"distinctive_words": 0.69}
    quoted = absent | {"mentioned": 1.0, "best_coverage": 0.6, "coverage_sum": 0.6, "articles": 0.69}
    quoted |= {"mentions": 0.69, "first_rank": 1.0, "phrase": 1.0, "proximity": 0.8, "partial_coverage": 0.6}
    assert model.probabilities([absent, quoted])[1] > 0.5


def test_train_fits_the_option_model_when_asked(tmp_path: Path) -> None:
    questions, articles = _write_set(tmp_path)  # the invented articles; the questions are rewritten
    asked = [
        ("Which ferry returned to service in the harbour?", ["Solvind", "Aurora", "Nordlys"], "a1"),
        ("Which poet is the new library wing named after?", ["Ilse Varga", "Ann Dale", "Rui Sol"], "a2"),
        ("Who set a course record at the valley marathon?", ["Teo Marsh", "Ida Fenn", "Bo Lark"], "a3"),
        ("Which bakery won the regional bread contest?", ["Crumb Lane", "Rye Hill", "Oat Row"], "a4"),
    ] * 3
    # Not answered by these articles, though an article names one of the options.
    unanswered = [
        ("Which poet opened the harbour ferry service?", ["Ilse Varga", "Ann Dale", "Rui Sol"], "Ann Dale"),
        ("Which bakery sponsored the valley marathon?", ["Crumb Lane", "Rye Hill", "Oat Row"], "Oat Row"),
    ] * 3

    def record(qid: str, question: str, choices: list[str], gold: str, relevant: list[str]) -> str:
        fields = {"id": qid, "question": question, "asked_at": "2023-03-05", "answers": [gold]}
        fields |= {"choices": choices, "relevant_article_ids": relevant, "answerable": bool(relevant)}
        return json.dumps(fields) + "\n"

    lines = [record(f"own_{k}", q, c[k % 3 :] + c[: k % 3], c[0], [r]) for k, (q, c, r) in enumerate(asked)]
    lines += [record(f"none_{k}", q, c, gold, []) for k, (q, c, gold) in enumerate(unanswered)]
    questions.write_text("".join(lines), encoding="utf-8")
    out = tmp_path / "options.json"
    args = ["train", "--fit", "options", "--questions", str(questions), "--articles", str(articles)]
    result = CliRunner().invoke(app, [*args, "--out", str(out), "--data-dir", str(tmp_path / "data")])
    assert result.exit_code == 0, result.output
    model = OptionModel.load(out)
    assert model.info["command"].startswith("newsqa train --fit options ")
    assert model.info["training_questions"] == len(asked)
    # Only the gold options are quoted by these articles: the fitted model picks every one of them.
    assert model.info["metrics"]["train_accuracy"] == 1.0
    assert model.answered is not None and model.info["metrics"]["answered"]["rows"] >= len(asked)
