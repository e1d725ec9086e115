"""The trained answer model: the shipped artifact loads, and the answerer's decisions come from it."""

from __future__ import annotations

import json
import math
from pathlib import Path

import pytest

from index.store import ArticleStore
from newsqa.errors import NewsQAError
from newsqa.settings import Settings
from qa.answering.answer_model import DEFAULT_MODEL_PATH, FEATURES, AnswerModel, Calibrator
from qa.build import build_answerer
from qa.service import Answerer

AS_OF = "2021-08-28"
QUESTION = "Who is the spokesman for US Central Command?"


def _constant_model(intercept: float, threshold: float = 0.5) -> AnswerModel:
    """A model whose probability is sigmoid(intercept) whatever the features say."""
    zero = tuple(0.0 for _ in FEATURES)
    calibrator = Calibrator(FEATURES, zero, tuple(1.0 for _ in FEATURES), zero, intercept, threshold)
    return AnswerModel(calibrator, calibrator, calibrator, {"model": "constant"})


def test_shipped_artifact_is_valid_and_records_its_training() -> None:
    model = AnswerModel.load()
    data = json.loads(DEFAULT_MODEL_PATH.read_text(encoding="utf-8"))
    assert data["format_version"] == 1
    for calibrator in (model.free, model.choice, model.answerable):
        assert calibrator.features == FEATURES
        assert any(c != 0.0 for c in calibrator.coef)
    # The option model already withholds weak picks, so the choice part may add no threshold of its own.
    assert 0.0 <= model.choice.threshold < 1.0 and 0.0 < model.answerable.threshold < 1.0
    assert 0.0 < model.confidence_floor < 1.0
    assert model.info["command"].startswith("newsqa train ")
    assert all(len(d["questions_sha256"]) == 64 for d in model.info["data"])
    assert "realtimeqa-2022/" not in json.dumps(model.info["data"])  # never fitted on dev


def test_probability_is_the_logistic_of_standardised_features() -> None:
    calibrator = Calibrator(("a", "b"), (1.0, 0.0), (2.0, 1.0), (0.5, -1.0), 0.25, 0.5)
    z = 0.25 + 0.5 * (3.0 - 1.0) / 2.0 - 1.0 * 0.5
    assert calibrator.probability({"a": 3.0, "b": 0.5}) == pytest.approx(1 / (1 + math.exp(-z)))
    # An unmeasured feature counts as its training mean: it moves nothing.
    assert calibrator.probability({"a": 3.0, "b": None}) == pytest.approx(1 / (1 + math.exp(-0.75)))


def test_answerer_confidence_and_abstention_come_from_the_model(seed_answerer: Answerer) -> None:
    services = (seed_answerer.store, seed_answerer.embedder, seed_answerer.search)
    sure = Answerer(*services, nlp=seed_answerer.parser, answer_model=_constant_model(3.0))
    doubtful = Answerer(*services, nlp=seed_answerer.parser, answer_model=_constant_model(-3.0))
    answered = sure.ask(QUESTION, as_of=AS_OF, debug=True)
    assert not answered.abstained
    assert answered.confidence == pytest.approx(1 / (1 + math.exp(-3.0)), abs=1e-4)
    assert set(answered.assessment["features"]) == set(FEATURES)
    withheld = doubtful.ask(QUESTION, as_of=AS_OF, debug=True)
    assert withheld.abstained and withheld.assessment["candidate"] == answered.answer
    # A threshold set in Settings overrides the model's.
    lenient = Answerer(
        *services, nlp=seed_answerer.parser, answer_model=_constant_model(-3.0), abstain_threshold=0.01
    )
    assert not lenient.ask(QUESTION, as_of=AS_OF).abstained


def test_build_answerer_loads_the_model_settings_name(
    tmp_path: Path, seed_store: ArticleStore, search_embedder, spacy_parser
) -> None:
    path = tmp_path / "model.json"
    path.write_text(json.dumps(_constant_model(-4.0, threshold=0.3).to_dict()), encoding="utf-8")
    settings = Settings(data_dir=tmp_path, answer_model_path=path)
    answerer = build_answerer(settings, embedder=search_embedder, store=seed_store, nlp=spacy_parser)
    assert answerer.answer_model.free.intercept == -4.0
    assert answerer.ask(QUESTION, as_of=AS_OF).abstained
    # On by default: the shipped model decides.
    shipped = build_answerer(
        Settings(data_dir=tmp_path), embedder=search_embedder, store=seed_store, nlp=spacy_parser
    )
    assert shipped.answer_model == AnswerModel.load()
    # Off: the hand-set thresholds decide, and the confidence is the extractor's.
    hand_set = build_answerer(
        Settings(data_dir=tmp_path, use_answer_model=False),
        embedder=search_embedder,
        store=seed_store,
        nlp=spacy_parser,
    )
    assert hand_set.answer_model is None


def test_a_free_answer_under_the_confidence_floor_is_withheld_whatever_the_calibrators_say() -> None:
    sure = _constant_model(3.0)
    floored = AnswerModel(sure.free, sure.choice, sure.answerable, sure.info, confidence_floor=0.3)
    weak, strong = {"extractor_confidence": 0.29}, {"extractor_confidence": 0.31}
    assert sure.answers(weak, with_choices=False)
    assert not floored.answers(weak, with_choices=False)
    assert floored.answers(strong, with_choices=False)
    assert floored.answers(weak, with_choices=True)  # choices: the choice calibrator alone decides
    # The floor travels with the artifact; one written before it existed has none.
    assert AnswerModel.from_dict(floored.to_dict()).confidence_floor == 0.3
    legacy = {k: v for k, v in floored.to_dict().items() if k != "confidence_floor"}
    assert AnswerModel.from_dict(legacy).confidence_floor == 0.0


@pytest.mark.parametrize(
    ("change", "reason"),
    [
        ({"format_version": 99}, "format_version"),
        ({"free": {"features": ["a"]}}, "not a valid"),
        ({"confidence_floor": 1.5}, "confidence_floor"),
    ],
)
def test_a_bad_artifact_is_refused_with_its_reason(tmp_path: Path, change: dict, reason: str) -> None:
    path = tmp_path / "model.json"
    path.write_text(json.dumps({**_constant_model(0.0).to_dict(), **change}), encoding="utf-8")
    with pytest.raises(NewsQAError, match=reason):
        AnswerModel.load(path)
