"""Passage matching features and the NewsReranker postprocessor."""

from __future__ import annotations

from dataclasses import replace
from datetime import date

import numpy as np
import pytest
from llama_index.core.postprocessor.types import BaseNodePostprocessor
from llama_index.core.schema import NodeWithScore

from index.terms import TermTable, passage_terms
from newsqa.types import Chunk, Hit
from qa.question.timeparse import TimeWindow
from qa.retrieval.query_terms import analyze_query
from qa.retrieval.rerank import (
    NewsReranker,
    RerankWeights,
    match_passage,
    match_passages,
    retrieval_support,
)
from qa.retrieval.retrievers import hits_to_nodes

QUESTION = "Veteran PBL basketball player Nora Vale retired after a last home game this week. Which team was she with?"


def node(
    chunk_id: str,
    text: str,
    *,
    title: str = "",
    published: str | None = "2022-09-07",
    article_id: str | None = None,
    **scores: float,
) -> NodeWithScore:
    chunk = Chunk(
        id=chunk_id,
        article_id=article_id or chunk_id,
        n=0,
        text=text,
        start=0,
        end=len(text),
        title=title,
        source="s.com",
        published=published,
    )
    return hits_to_nodes([Hit(chunk=chunk, score=0.0, scores=dict(scores))])[0]


class TestMatchPassage:
    # Stems and weights: nora 2, vale 2 (a name), play 1, final 1, game 1; bigrams nora-vale, vale-play, final-game.
    QUERY = "Did Nora Vale play her final game?"

    def test_full_match(self) -> None:
        q = analyze_query(self.QUERY)
        m = match_passage(q, "Nora Vale played her final game on Tuesday.", "Nora Vale retires")
        assert m.coverage == pytest.approx(1.0)
        assert m.sentence == pytest.approx(1.0)
        assert m.entities == 1.0
        assert m.bigrams == 1.0
        assert m.title == pytest.approx(4 / 7)

    def test_name_split_apart_is_not_a_phrase_match(self) -> None:
        q = analyze_query(self.QUERY)
        m = match_passage(q, "Vale walks are fun. Nora played a final game.", "")
        assert m.coverage == pytest.approx(1.0)
        assert m.entities == 0.0
        assert m.sentence == pytest.approx(5 / 7)  # nora, play, final, game in one sentence
        assert m.bigrams == pytest.approx(1 / 3)

    def test_a_batch_scores_each_passage_as_alone(self) -> None:
        # "Nora" ends one passage and "Vale" starts the next: no phrase across passages.
        q = analyze_query(self.QUERY)
        texts = ["Fans cheered for Nora", "Vale played her final game.", "Nora Vale played."]
        body = TermTable.build([passage_terms(t) for t in texts], {})
        head = TermTable.build([passage_terms("")] * 3, {})
        batch = match_passages(q, body, head)
        assert batch == [match_passage(q, t, "") for t in texts]
        assert batch[0].entities == batch[1].entities == 0.0
        assert batch[2].entities == 1.0

    def test_no_overlap(self) -> None:
        m = match_passage(analyze_query("Nora Vale final game"), "Sourdough needs a starter.", "Bread")
        assert (m.coverage, m.title, m.sentence, m.entities, m.bigrams) == (0, 0, 0, 0, 0)


class TestNewsReranker:
    def test_is_a_llama_index_postprocessor(self) -> None:
        assert isinstance(NewsReranker(), BaseNodePostprocessor)

    def test_needs_the_query(self) -> None:
        with pytest.raises(ValueError, match="needs the query"):
            NewsReranker().postprocess_nodes([node("a", "text", bm25=1.0)])

    def test_lexical_evidence_beats_a_slightly_better_retrieval_score(self) -> None:
        nodes = [
            node("off", "The Herons play in Portland. Basketball season ends soon.", bm25=10.0, dense=0.55),
            node(
                "on",
                "Nora Vale played her final game for the Portland Herons.",
                title="Nora Vale",
                bm25=9.0,
                dense=0.5,
            ),
        ]
        out = NewsReranker(top_n=2).postprocess_nodes(nodes, query_str=QUESTION)
        assert [n.node.node_id for n in out] == ["on", "off"]
        assert out[0].node.metadata["scores"]["rerank"] == out[0].score
        assert out[0].node.metadata["scores"]["bm25"] == 9.0  # earlier stages kept

    def test_the_question_read_once_is_used_for_its_own_question_only(self) -> None:
        nodes = [
            node("bread", "The bakery sold sourdough bread all week.", bm25=5.0, dense=0.5),
            node("loan", "Flood repair loan payments were paused.", bm25=5.0, dense=0.5),
        ]
        query = "sourdough bread"
        other = replace(analyze_query("flood repair loan payments"), question=query)
        given = NewsReranker(top_n=2, query_terms=other).postprocess_nodes(nodes, query_str=query)
        assert given[0].node.node_id == "loan"  # the terms handed over were used, not re-read
        stale = replace(other, question="another question")
        read_here = NewsReranker(top_n=2, query_terms=stale).postprocess_nodes(nodes, query_str=query)
        assert read_here[0].node.node_id == "bread"

    def test_stored_passage_terms_are_used_by_node_id(self) -> None:
        nodes = [
            node("off", "The Herons play in Portland. Basketball season ends soon.", bm25=10.0, dense=0.55),
            node("on", "Nora Vale played her final game for the Portland Herons.", bm25=9.0, dense=0.5),
        ]
        asked: list[list[str]] = []
        vocab: dict[str, int] = {}

        def as_ids(text: str) -> tuple[np.ndarray, np.ndarray]:
            terms = passage_terms(text)
            ids = np.array([vocab.setdefault(s, len(vocab)) for s in terms.flat])
            return ids, np.bincount(np.array(terms.sentence_of, dtype=np.int64), minlength=1)

        def stored(ids: list[str]) -> tuple[list, dict[str, int]]:
            asked.append(list(ids))
            return [
                as_ids(n.node.get_content()) if i == "on" else None for i, n in zip(ids, nodes, strict=True)
            ], vocab

        def scores(reranker: NewsReranker) -> dict[str, float | None]:
            return {n.node.node_id: n.score for n in reranker.postprocess_nodes(nodes, query_str=QUESTION)}

        # The same terms as the text's give the same scores; a store's terms are what is matched.
        assert scores(NewsReranker(top_n=2, stored_terms=stored)) == scores(NewsReranker(top_n=2))
        assert asked == [["off", "on"]]
        swapped = as_ids(nodes[0].node.get_content())
        with_swapped = scores(NewsReranker(top_n=2, stored_terms=lambda ids: ([None, swapped], vocab)))
        assert with_swapped["on"] < scores(NewsReranker(top_n=2))["on"]

    def test_recency_relative_to_as_of(self) -> None:
        text = "Flood repair loan payments are paused."
        nodes = [
            node("old", text, published="2021-12-22", bm25=5.0),
            node("new", text, published="2022-11-22", bm25=5.0),
            node("undated", text, published=None, bm25=5.0),
        ]
        reranker = NewsReranker(as_of=date(2022, 11, 25), top_n=3)
        out = reranker.postprocess_nodes(nodes, query_str="flood repair loan payments")
        assert out[0].node.node_id == "new"
        assert out[0].node.metadata["scores"]["time"] > 0
        assert {n.node.node_id: n.node.metadata["scores"]["time"] for n in out}["undated"] == 0.0

    def test_score_is_the_weighted_sum_of_the_exposed_features(self) -> None:
        weights = RerankWeights(title=2.0, dense=0.5, entities=0.7, article=0.0, per_article_first=0)
        nodes = [
            node(
                "a",
                "Nora Vale played her final game for the Portland Herons.",
                title="Nora Vale",
                bm25=3.0,
                dense=0.6,
            ),
            node("b", "The Herons lost.", published="2022-08-01", bm25=1.0),
            node("c", "A game was played.", published=None, bm25=2.0, dense=0.4),
        ]
        window = TimeWindow(date(2022, 9, 1), date(2022, 9, 7), "this week", "boost")
        reranker = NewsReranker(as_of=date(2022, 9, 8), window=window, weights=weights, top_n=3)
        features = dict(zip("abc", reranker.features(nodes, QUESTION), strict=True))
        out = reranker.postprocess_nodes(nodes, query_str=QUESTION)
        assert [n.node.node_id for n in out] == sorted("abc", key=lambda i: -features[i].score(weights))
        for n in out:
            assert n.score == features[n.node.node_id].score(weights)
            assert n.node.metadata["scores"]["time"] == features[n.node.node_id].time_score(weights)
        assert features["a"].window == 1.0 and features["b"].window == 0.0 and features["c"].recency == 0.0
        assert features["c"].dense == pytest.approx(0.4 - 0.6) and features["b"].dense == features["c"].dense

    def test_window_bonus_with_margins(self) -> None:
        weights = RerankWeights(recency=0.0, window=1.0, window_before_days=1, window_after_days=2)
        window = TimeWindow(date(2022, 9, 1), date(2022, 9, 7), "this week", "boost")
        reranker = NewsReranker(as_of=date(2022, 9, 7), window=window, weights=weights)
        assert reranker._time_features("2022-08-31")[1] == 1.0
        assert reranker._time_features("2022-08-30")[1] == 0.0
        assert reranker._time_features("2022-09-09")[1] == 1.0
        assert reranker._time_features("2022-09-10")[1] == 0.0

    def test_article_support(self) -> None:
        weights = RerankWeights(article=0.5, article_passages=2, recency=0.0, window=0.0)
        nodes = [
            node("lone", "Nora Vale final game", article_id="A", bm25=10.0),
            node("b1", "Nora Vale final game", article_id="B", bm25=9.5),
            node("b2", "Nora Vale final game", article_id="B", bm25=9.5),
        ]
        out = NewsReranker(weights=weights, top_n=3).postprocess_nodes(
            nodes, query_str="Nora Vale final game"
        )
        assert out[0].node.metadata["article_id"] == "B"
        by_id = {n.node.node_id: n.score for n in out}
        assert by_id["b1"] - by_id["lone"] == pytest.approx(0.5 * by_id["lone"] - 0.05, abs=0.2)

    def test_top_n_and_empty(self) -> None:
        nodes = [node(str(i), f"passage {i}", bm25=float(i + 1)) for i in range(5)]
        assert len(NewsReranker(top_n=2).postprocess_nodes(nodes, query_str="passage")) == 2
        assert NewsReranker().postprocess_nodes([], query_str="q") == []

    def test_bad_weights(self) -> None:
        with pytest.raises(ValueError, match="recency_days"):
            RerankWeights(recency_days=0)

    def test_breadth_per_article(self) -> None:
        weights = RerankWeights(per_article_first=1, recency=0.0, article=0.0)
        nodes = [
            node("a1", "Nora Vale final game", article_id="A", bm25=10.0),
            node("a2", "Nora Vale final game", article_id="A", bm25=9.9),
            node("b1", "Nora Vale", article_id="B", bm25=5.0),
        ]
        out = NewsReranker(weights=weights, top_n=3).postprocess_nodes(
            nodes, query_str="Nora Vale final game"
        )
        assert [n.node.node_id for n in out] == ["a1", "b1", "a2"]
        unlimited = RerankWeights(per_article_first=0, recency=0.0, article=0.0)
        out = NewsReranker(weights=unlimited, top_n=3).postprocess_nodes(
            nodes, query_str="Nora Vale final game"
        )
        assert [n.node.node_id for n in out] == ["a1", "a2", "b1"]


def _hit(rerank: float | None, time_credit: float, published: str | None = "2022-07-01") -> Hit:
    scores = {"time": time_credit} | ({} if rerank is None else {"rerank": rerank})
    return Hit(Chunk("c", "a", 0, "text", 0, 4, published=published), rerank or 0.0, scores)


class TestRetrievalSupport:
    def test_timed_question_keeps_the_reranker_score(self) -> None:
        assert retrieval_support([_hit(3.0, 0.1), _hit(2.0, 1.0)], timed=True) == 3.0

    def test_untimed_question_counts_time_relative_to_the_freshest_hit(self) -> None:
        # Everything retrieved is old (asked long after the articles): the best hit is the freshest.
        assert retrieval_support([_hit(2.01, 0.01), _hit(1.5, 0.005)], timed=False) == pytest.approx(3.0)
        # A fresher passage exists: the best one keeps its relative credit, but at least half.
        assert retrieval_support([_hit(3.0, 0.8), _hit(2.0, 1.0)], timed=False) == pytest.approx(3.0)
        assert retrieval_support([_hit(2.0, 0.0), _hit(1.9, 1.0)], timed=False) == pytest.approx(2.5)

    def test_no_dates_no_penalty_and_other_modes_unchecked(self) -> None:
        assert retrieval_support([_hit(2.0, 0.0)], timed=False) == pytest.approx(3.0)
        assert retrieval_support([_hit(None, 0.0)], timed=False) is None

    def test_undated_best_passage_gets_the_full_time_credit(self) -> None:
        # A raw page capture without a date line: no evidence for or against the time asked about.
        hits = [_hit(2.0, 0.0, published=None), _hit(1.9, 1.0)]
        assert retrieval_support(hits, timed=False) == pytest.approx(3.0)
        assert retrieval_support(hits, timed=True) == pytest.approx(3.5)
