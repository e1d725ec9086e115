"""Training the answer model: calibration math on synthetic data, and a reproducible artifact."""

from __future__ import annotations

import json
import random
from pathlib import Path

import pytest

from eval.calibration import abstention_scores, choose_threshold, expected_calibration_error, fit_calibrator
from eval.train import TrainOptions, fit_confidence_floor, is_right_free, train_answer_model, write_artifact
from newsqa.settings import Settings
from qa.answering.answer_model import FEATURES, AnswerModel, Calibrator

SEED_ARTICLES = Path(__file__).resolve().parents[2] / "eval" / "datasets" / "seed" / "articles.jsonl"


def _synthetic_rows(n: int, seed: int) -> list[dict]:
    """Rows whose label follows a known logistic law of the extractor confidence."""
    rng = random.Random(seed)
    rows = []
    for _ in range(n):
        x = rng.uniform(0.0, 1.0)
        label = int(rng.random() < 1 / (1 + pow(2.718281828, -(8 * x - 4))))
        features = {name: rng.gauss(0.0, 1.0) for name in FEATURES}
        features.update(extractor_confidence=x, support_articles=1.0, retrieval_support=None)
        rows.append({"features": features, "label": label, "answerable": label == 1 or x > 0.3})
    return rows


def test_calibration_error_of_known_cases() -> None:
    assert expected_calibration_error([0.9, 0.2], [1, 0]) == pytest.approx(0.15)
    assert expected_calibration_error([0.75] * 4, [1, 1, 1, 0]) == pytest.approx(0.0)
    assert expected_calibration_error([0.95] * 4, [0, 0, 0, 0]) == pytest.approx(0.95)


def test_logistic_fit_is_calibrated_and_finds_the_informative_feature() -> None:
    rows = _synthetic_rows(1500, seed=1)
    calibrator, metrics = fit_calibrator(rows, seed=0, rule="abstention")
    weights = dict(zip(calibrator.features, calibrator.coef, strict=True))
    assert weights["extractor_confidence"] > 5 * max(
        abs(w) for n, w in weights.items() if n != "extractor_confidence"
    )
    assert metrics["cv_ece"] < 0.05 and metrics["cv_auc"] > 0.8
    again, _ = fit_calibrator(rows, seed=0, rule="abstention")
    assert again == calibrator


def test_threshold_reaches_the_abstention_target_when_it_can() -> None:
    rows = [
        {"features": {"support_articles": 1.0}, "label": int(i >= 30), "answerable": i >= 20}
        for i in range(100)
    ]
    probs = [i / 100 for i in range(100)]
    threshold = choose_threshold(rows, probs, "abstention")
    abstained = [p < threshold for p in probs]
    precision, recall, _ = abstention_scores(abstained, [r["answerable"] for r in rows])
    assert precision >= 0.7 and recall >= 0.7
    # "responses": the most right outcomes; here abstaining below 0.2 (unanswerable) is best.
    assert choose_threshold(rows, probs, "responses") == pytest.approx(0.2)


def test_confidence_floor_withholds_the_weak_answers_that_cost_more_than_they_bring() -> None:
    # Confidence i/100; questions under 30 are unanswerable, 30-39 answerable but answered wrongly.
    rows = [
        {
            "features": {"support_articles": 1.0, "extractor_confidence": i / 100},
            "label": int(i >= 40),
            "answerable": i >= 30,
        }
        for i in range(100)
    ]
    zero = tuple(0.0 for _ in FEATURES)
    gives_all = Calibrator(FEATURES, zero, tuple(1.0 for _ in FEATURES), zero, 5.0, 0.5)
    floor, responses = fit_confidence_floor(rows, gives_all)
    assert floor == pytest.approx(0.3)
    # Without a floor: the 60 right answers; with it, the 30 unanswerable questions withheld as well.
    assert responses == {"right_responses": 90, "right_responses_without": 60, "rows": 100}
    # What the calibrator already withholds leaves nothing for a floor to gain.
    gives_none = Calibrator(FEATURES, zero, tuple(1.0 for _ in FEATURES), zero, -5.0, 0.5)
    assert fit_confidence_floor(rows, gives_none)[0] == 0.0


def test_a_long_sentence_is_not_right_for_containing_the_answer() -> None:
    assert is_right_free("Bill Urban", ["Bill Urban"], True) == 1
    assert is_right_free("Bill Urban said so", ["Bill Urban"], True) == 1
    long_answer = "In a statement on the day the strike happened Captain Bill Urban said it hit the target"
    assert is_right_free(long_answer, ["Bill Urban"], True) == 0
    assert is_right_free("Bill Urban", ["Bill Urban"], False) == 0


def _questions(path: Path) -> Path:
    """Own questions over the seed article: some it answers, some it cannot, all with choices."""
    # question | gold answer | the other choices [| : a question the article cannot answer]
    items = [
        "Which province did the drone strike hit? | Nangarhar | Kandahar, Helmand",
        "Who spoke for US Central Command about the strike? | Bill Urban | Jen Psaki, Joe Biden",
        "Which Turkish minister did Lloyd Austin call? | Hulusi Akar | Mevlut Cavusoglu, Ibrahim Kalin",
        "Which country is helping move US citizens out of Afghanistan? | Qatar | Oman, Kuwait",
        "Which bakery won the national sourdough prize this week? | Crumb and Co | Rye Society, Loaf Lab | ",
        "Who was named the new coach of the city's hockey team? | Ann Berg | Tom Reyes, Lu Chen | ",
        "What did the museum in Oslo put on display on Monday? | a Viking ship | a comet, a crown | ",
    ]
    parsed = [[part.strip() for part in item.split("|")] for item in items]
    items = [(p[0], [p[1]], [p[1], *p[2].split(", ")], len(p) == 3) for p in parsed]
    lines = [
        {
            "id": f"own_{i}",
            "question": q,
            "asked_at": "2021-08-28",
            "answers": a,
            "choices": c,
            "relevant_article_ids": ["7999bad3e4a4883b"] if ok else [],
            "answerable": ok,
            "evidence": "",
        }
        for i, (q, a, c, ok) in enumerate(items)
    ]
    path.write_text("\n".join(json.dumps(line) for line in lines) + "\n", encoding="utf-8")
    return path


def test_training_is_reproducible_and_writes_a_loadable_artifact(tmp_path: Path) -> None:
    questions = _questions(tmp_path / "questions.jsonl")
    settings = Settings(data_dir=tmp_path / "data")
    outputs = []
    for run in range(2):
        model = train_answer_model(
            settings, [(questions, SEED_ARTICLES)], TrainOptions(seed=0, command="newsqa train test")
        )
        write_artifact(model, tmp_path / f"model-{run}.json")
        outputs.append((tmp_path / f"model-{run}.json").read_bytes())
    assert outputs[0] == outputs[1]
    loaded = AnswerModel.load(tmp_path / "model-0.json")
    assert loaded.info["seed"] == 0 and loaded.info["training_questions"] == 7
    assert (
        loaded.info["data"][0]["articles_sha256"]
        == __import__("hashlib").sha256(SEED_ARTICLES.read_bytes()).hexdigest()
    )
    assert loaded.free.features == FEATURES and loaded.info["metrics"]["free"]["rows"] == 7


def test_train_command_wants_one_articles_file_per_questions_file(tmp_path: Path) -> None:
    from typer.testing import CliRunner

    from app.cli import app

    questions = _questions(tmp_path / "questions.jsonl")
    args = ["train", "--questions", str(questions), "--questions", str(questions)]
    result = CliRunner().invoke(
        app, [*args, "--articles", str(SEED_ARTICLES), "--out", str(tmp_path / "m.json")]
    )
    assert result.exit_code == 2 and "one --articles per --questions" in result.output
    assert not (tmp_path / "m.json").exists()
