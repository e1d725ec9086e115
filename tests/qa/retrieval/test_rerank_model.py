"""The reranker's weights artifact: round trip, refusal of bad files, and the reranker it configures."""

from __future__ import annotations

import json
import logging
from dataclasses import replace
from pathlib import Path

import pytest

import qa.retrieval.rerank_model as rerank_model
from newsqa.errors import NewsQAError
from qa.retrieval.rerank import DEFAULT_WEIGHTS, NewsReranker, RerankWeights
from qa.retrieval.rerank_model import (
    load_rerank_weights,
    rerank_weights_dict,
    rerank_weights_for,
    write_rerank_weights,
)
from tests.qa.retrieval.test_rerank import node

LEARNED = replace(DEFAULT_WEIGHTS, bm25=0.1, dense=3.0, title=2.0, sentence=-0.2, entities=-0.4, recency=1.3)
INFO = {"model": "test", "seed": 7, "command": "newsqa train --fit rerank", "data": []}


def test_round_trip_keeps_every_weight_and_the_record(tmp_path: Path) -> None:
    path = tmp_path / "w.json"
    write_rerank_weights(LEARNED, INFO, path)
    assert load_rerank_weights(path) == LEARNED
    saved = json.loads(path.read_text(encoding="utf-8"))
    assert saved["seed"] == 7 and saved["command"] == INFO["command"]


def _write(path: Path, data: object) -> Path:
    path.write_text(json.dumps(data), encoding="utf-8")
    return path


@pytest.mark.parametrize(
    ("change", "reason"),
    [
        ({"format_version": 2}, "format_version 2"),
        ({"weights": None}, "no 'weights'"),
        ({"weights": {"title": 1.0}}, "missing weights \\['bm25'"),
        ({"weights": {**vars(LEARNED), "novelty": 1.0}}, "unknown weights \\['novelty'\\]"),
        ({"weights": {**vars(LEARNED), "title": "high"}}, "'title' must be a number"),
        ({"weights": {**vars(LEARNED), "dense": True}}, "'dense' must be a number"),
        ({"weights": {**vars(LEARNED), "window": float("nan")}}, "'window' must be a number"),
        ({"weights": {**vars(LEARNED), "per_article_first": 1.5}}, "'per_article_first' must be an integer"),
        ({"weights": {**vars(LEARNED), "recency_days": 0}}, "recency_days must be > 0"),
    ],
)
def test_a_bad_file_is_refused_naming_it_and_the_reason(tmp_path: Path, change: dict, reason: str) -> None:
    path = _write(tmp_path / "w.json", {**rerank_weights_dict(LEARNED, INFO), **change})
    with pytest.raises(NewsQAError, match=reason) as caught:
        load_rerank_weights(path)
    assert str(path) in caught.value.message


def test_an_unreadable_file_is_refused(tmp_path: Path) -> None:
    (tmp_path / "broken.json").write_text("{not json", encoding="utf-8")
    for path in (tmp_path / "broken.json", tmp_path / "absent.json"):
        with pytest.raises(NewsQAError, match="cannot be read"):
            load_rerank_weights(path)


def test_settings_choice_of_weights(tmp_path: Path, monkeypatch, caplog) -> None:
    assert rerank_weights_for(None, use_learned=False) is DEFAULT_WEIGHTS
    path = tmp_path / "w.json"
    write_rerank_weights(LEARNED, INFO, path)
    assert rerank_weights_for(path, use_learned=False) == LEARNED
    with pytest.raises(NewsQAError, match="absent.json"):
        rerank_weights_for(tmp_path / "absent.json", use_learned=True)
    monkeypatch.setattr(rerank_model, "DEFAULT_RERANK_WEIGHTS_PATH", path)
    assert rerank_weights_for(None, use_learned=True) == LEARNED
    # An unusable shipped file: the hand-set weights, and an error in the log naming the file.
    monkeypatch.setattr(rerank_model, "DEFAULT_RERANK_WEIGHTS_PATH", tmp_path / "gone.json")
    with caplog.at_level(logging.ERROR, logger="qa.retrieval.rerank_model"):
        assert rerank_weights_for(None, use_learned=True) is DEFAULT_WEIGHTS
    assert "gone.json" in caplog.text


def test_shipped_artifact_loads() -> None:
    assert isinstance(load_rerank_weights(rerank_model.DEFAULT_RERANK_WEIGHTS_PATH), RerankWeights)


def test_loaded_weights_rerank_as_the_equivalent_dataclass(tmp_path: Path) -> None:
    question = "Which ferry returned to the harbour after repairs?"
    nodes = [
        node(
            "title",
            "Crews worked for months.",
            title="Harbour ferry returns after repairs",
            bm25=2.0,
            dense=0.3,
        ),
        node("body", "The ferry returned to the harbour after repairs.", bm25=5.0, dense=0.5),
        node("other", "A bakery won a bread contest.", title="Bakery", bm25=1.0, dense=0.6),
    ]
    path = tmp_path / "w.json"
    write_rerank_weights(LEARNED, INFO, path)

    def ranked(weights: RerankWeights) -> list[tuple[str, float]]:
        out = NewsReranker(weights=weights, top_n=3).postprocess_nodes(nodes, query_str=question)
        return [(n.node.node_id, n.score) for n in out]

    assert ranked(load_rerank_weights(path)) == ranked(LEARNED)
    assert [i for i, _ in ranked(LEARNED)] != [i for i, _ in ranked(DEFAULT_WEIGHTS)]


def test_build_answerer_reranks_with_the_weights_settings_name(
    tmp_path: Path, seed_store, search_embedder, spacy_parser
) -> None:
    from newsqa.settings import Settings
    from qa.build import build_answerer

    path = tmp_path / "w.json"
    write_rerank_weights(LEARNED, INFO, path)
    shared = {"embedder": search_embedder, "store": seed_store, "nlp": spacy_parser}
    answerer = build_answerer(Settings(data_dir=tmp_path, rerank_weights_path=path), **shared)
    assert answerer.search.weights == LEARNED
    assert build_answerer(Settings(data_dir=tmp_path), **shared).search.weights is DEFAULT_WEIGHTS
    with pytest.raises(NewsQAError, match="absent.json"):
        build_answerer(Settings(data_dir=tmp_path, rerank_weights_path=tmp_path / "absent.json"), **shared)
