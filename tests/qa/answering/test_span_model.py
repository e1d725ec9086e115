"""The span model: each candidate's named features, the extractor ranking by a trained model, the
artifact. Sentences are invented."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from newsqa.errors import NewsQAError
from newsqa.types import Article
from qa.answering.candidate_preference import PREFERENCE_FACTORS
from qa.answering.extract import SpanExtractor
from qa.answering.span_model import SPAN_FEATURES, SpanModel
from qa.answering.span_scoring import MENTION_FACTORS
from qa.question.question import QuestionAnalyzer
from tests.qa.answering.helpers import candidates_of, passage_of

QUESTION = "Who was named coach of the Harbor City Hawks?"
FIRST = "The Harbor City Hawks named Dana Kerr as their new coach on Monday, club officials said."
SECOND = "Dana Kerr replaces Tom Ulver, who led the Harbor City Hawks for six seasons."


def _extract(parser, model: SpanModel | None):
    article = Article("a", "Hawks name a coach", f"{FIRST} {SECOND}", source="x.test", published="2023-03-01")
    analysed = QuestionAnalyzer(parser).analyze(QUESTION)
    passages = [passage_of(article, article.text, 0)]
    return SpanExtractor(parser, span_model=model).extract(analysed, passages, record=True)


def _model(weights: dict[str, float]) -> SpanModel:
    n = len(SPAN_FEATURES)
    coef = tuple(weights.get(name, 0.0) for name in SPAN_FEATURES)
    return SpanModel(SPAN_FEATURES, (0.0,) * n, (1.0,) * n, coef)


def test_every_multiplier_of_a_preference_is_named(spacy_parser) -> None:
    cands = candidates_of(
        spacy_parser, "How many service members were injured?", "It injured 13 service members."
    )
    assert cands
    for cand in cands:
        assert set(cand.factors) <= set(PREFERENCE_FACTORS)
        assert cand.pref == pytest.approx(_product(cand.factors.values()))
    assert any(c.factors.get("count_binding", 1.0) > 1.0 for c in cands)  # "13" counts the asked noun


def _product(values) -> float:
    out = 1.0
    for v in values:
        out *= v
    return out


def test_an_extraction_records_each_candidate_with_every_feature(spacy_parser) -> None:
    result = _extract(spacy_parser, None)
    assert result.answer == "Dana Kerr"
    texts = [c["text"] for c in result.candidates]
    assert texts[0] == "Dana Kerr" and "Tom Ulver" in texts  # the hand-set pick first
    for cand in result.candidates:
        assert set(cand["features"]) == set(SPAN_FEATURES)
    best = result.candidates[0]["features"]
    assert best["hand_share"] == 1.0 and best["articles"] == pytest.approx(0.6931, abs=1e-3)
    assert {f"log_{n}" for n in MENTION_FACTORS} <= set(best)


def test_candidates_are_recorded_only_when_asked(spacy_parser) -> None:
    article = Article("a", "Hawks name a coach", f"{FIRST} {SECOND}", source="x.test", published="2023-03-01")
    analysed = QuestionAnalyzer(spacy_parser).analyze(QUESTION)
    plain = SpanExtractor(spacy_parser).extract(analysed, [passage_of(article, article.text, 0)])
    assert plain.answer == "Dana Kerr" and plain.candidates == []


def test_the_span_model_ranks_the_candidates(spacy_parser) -> None:
    assert _extract(spacy_parser, _model({"hand_share": 1.0})).answer == "Dana Kerr"
    # A model that prefers what the hand-set totals rank lowest picks another candidate.
    assert _extract(spacy_parser, _model({"hand_share": -5.0})).answer != "Dana Kerr"


def test_the_artifact_loads_back_and_a_bad_one_names_its_file(tmp_path: Path) -> None:
    model = _model({"hand_share": 2.0, "articles": 0.5})
    path = tmp_path / "spans.json"
    path.write_text(json.dumps({**model.to_dict(), "seed": 3}), encoding="utf-8")
    loaded = SpanModel.load(path)
    assert loaded.coef == model.coef and loaded.info == {"seed": 3}
    path.write_text(json.dumps({**model.to_dict(), "format_version": 99}), encoding="utf-8")
    with pytest.raises(NewsQAError, match="spans.json.*format_version 99"):
        SpanModel.load(path)


def test_the_hand_set_model_picks_what_the_hand_set_totals_pick(spacy_parser) -> None:
    assert _extract(spacy_parser, SpanModel.hand_set()).answer == _extract(spacy_parser, None).answer
