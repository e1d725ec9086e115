"""Learning the reranker's weights: the pairwise fit on synthetic features, and a reproducible artifact."""

from __future__ import annotations

import hashlib
import json
from pathlib import Path

import numpy as np
import pytest

from eval.rank_train import (
    QuestionCandidates,
    fit_pairwise,
    pairwise_differences,
    to_rerank_weights,
    train_rerank_weights,
)
from eval.train import TrainOptions
from newsqa.errors import InvalidInput
from newsqa.settings import Settings
from qa.retrieval.rerank import LINEAR_FEATURES, RerankWeights
from qa.retrieval.rerank_model import load_rerank_weights, write_rerank_weights

TITLE = LINEAR_FEATURES.index("title")


def _synthetic(n_questions: int, seed: int, informative: int = TITLE) -> list[QuestionCandidates]:
    """Candidates with noise features; only `informative` is higher for relevant ones (noisily)."""
    rng = np.random.default_rng(seed)
    out = []
    for k in range(n_questions):
        n = int(rng.integers(8, 30))
        relevant = np.zeros(n, dtype=bool)
        relevant[rng.choice(n, size=int(rng.integers(1, 4)), replace=False)] = True
        features = rng.uniform(0.0, 1.0, size=(n, len(LINEAR_FEATURES)))
        features[:, informative] = 0.5 * relevant + rng.uniform(0.0, 0.6, size=n)
        out.append(QuestionCandidates(f"q{k}", "2022-01-01", features, relevant))
    return out


def test_the_separating_feature_gets_the_largest_weight_and_the_fit_is_deterministic() -> None:
    questions = _synthetic(60, seed=3)
    fit = fit_pairwise(questions, seed=0)
    weights = np.abs(fit.coef)
    assert int(np.argmax(weights)) == TITLE
    assert weights[TITLE] > 5 * np.delete(weights, TITLE).max()
    assert fit.metrics["pair_accuracy"] > 0.8
    assert np.array_equal(fit_pairwise(questions, seed=0).coef, fit.coef)
    # Another feature carrying the signal moves the weight there.
    other = LINEAR_FEATURES.index("coverage")
    assert int(np.argmax(fit_pairwise(_synthetic(60, seed=3, informative=other), seed=0).coef)) == other


def test_pairs_are_balanced_and_every_question_weighs_the_same() -> None:
    questions = _synthetic(10, seed=1)
    x, y, w = pairwise_differences(questions, seed=0, max_pairs=25)
    assert abs(int(y.sum()) - (len(y) - int(y.sum()))) <= len(questions)
    per_question = []
    start = 0
    for q in questions:
        pairs = min(int(q.relevant.sum()) * int((~q.relevant).sum()), 25)
        per_question.append(w[start : start + pairs].sum())
        start += pairs
    assert start == len(x) and np.allclose(per_question, per_question[0])
    # A label-1 row is a relevant-minus-irrelevant difference: the informative feature is mostly up.
    assert np.mean(x[y == 1, TITLE] > 0) > 0.7 and np.mean(x[y == 0, TITLE] < 0) > 0.7


def test_no_pairs_is_a_clear_error() -> None:
    only_relevant = QuestionCandidates(
        "q", "2022-01-01", np.ones((3, len(LINEAR_FEATURES))), np.ones(3, bool)
    )
    with pytest.raises(InvalidInput, match="both a relevant and an irrelevant"):
        pairwise_differences([only_relevant], seed=0)


def test_rescaled_weights_keep_the_order_and_the_knobs() -> None:
    questions = _synthetic(20, seed=2)
    base = RerankWeights(recency_days=12.0, per_article_first=3)
    coef = np.arange(1.0, len(LINEAR_FEATURES) + 1.0)
    weights, factor = to_rerank_weights(coef, questions, base)
    assert factor > 0
    learned = np.array([weights.linear()[name] for name in LINEAR_FEATURES])
    assert np.allclose(learned, coef * factor, atol=1e-4)
    assert weights.recency_days == 12.0 and weights.per_article_first == 3
    # The factor is the least-squares one: doubling the coefficients halves it.
    assert to_rerank_weights(2 * coef, questions, base)[1] == pytest.approx(factor / 2)


ARTICLES = [
    (
        "a1",
        "Harbour ferry returns",
        "The old harbour ferry Solvind returned to service on Tuesday after repairs.",
    ),
    ("a2", "Library opens wing", "The city library opened a new reading wing named after poet Ilse Varga."),
    ("a3", "Marathon record", "Runner Teo Marsh set a course record at the valley marathon on Sunday."),
    ("a4", "Bakery contest", "A bakery called Crumb Lane won the regional bread contest this spring."),
]
QUESTIONS = [
    ("Which ferry returned to service in the harbour?", "Solvind", "a1"),
    ("Which poet is the new library wing named after?", "Ilse Varga", "a2"),
    ("Who set a course record at the valley marathon?", "Teo Marsh", "a3"),
]


def _write_set(
    folder: Path,
    written: list[tuple[str, str, str]] = ARTICLES,
    asked: list[tuple[str, str, str]] = QUESTIONS,
) -> tuple[Path, Path]:
    """An invented set: `written` articles (id, title, text), `asked` questions (question, answer, id
    of the article that answers it)."""
    articles = folder / "articles.jsonl"
    articles.write_text(
        "".join(
            json.dumps(
                {"id": i, "title": t, "url": f"https://x.test/{i}", "published": "2023-03-01", "text": x}
            )
            + "\n"
            for i, t, x in written
        ),
        encoding="utf-8",
    )
    questions = folder / "questions.jsonl"
    questions.write_text(
        "".join(
            json.dumps(
                {
                    "id": f"own_{k}",
                    "question": q,
                    "asked_at": "2023-03-05",
                    "answers": [a],
                    "relevant_article_ids": [r],
                    "answerable": True,
                }
            )
            + "\n"
            for k, (q, a, r) in enumerate(asked)
        ),
        encoding="utf-8",
    )
    return questions, articles


def test_training_over_an_eval_index_writes_the_same_loadable_artifact_twice(tmp_path: Path) -> None:
    questions, articles = _write_set(tmp_path)
    settings = Settings(data_dir=tmp_path / "data")
    outputs = []
    for run in range(2):
        weights, info = train_rerank_weights(
            settings, [(questions, articles)], TrainOptions(seed=0, command="newsqa train --fit rerank test")
        )
        write_rerank_weights(weights, info, tmp_path / f"w{run}.json")
        outputs.append((tmp_path / f"w{run}.json").read_bytes())
    assert outputs[0] == outputs[1]
    assert load_rerank_weights(tmp_path / "w0.json") == weights
    saved = json.loads(outputs[0])
    assert saved["seed"] == 0 and saved["command"] == "newsqa train --fit rerank test"
    assert saved["data"][0]["articles_sha256"] == hashlib.sha256(articles.read_bytes()).hexdigest()
    assert saved["data"][0]["questions_used"] == len(QUESTIONS)
    assert saved["metrics"]["training_linear_score"]["learned"]["questions"] == len(QUESTIONS)
