"""Retrievers: node conversion, dense/lexical retrieval with filters in a real Chroma store, fusion maths."""

from __future__ import annotations

from collections.abc import Callable

import numpy as np
import pytest
from llama_index.core.retrievers import BaseRetriever
from llama_index.core.schema import MetadataMode, NodeWithScore, QueryBundle, TextNode

from index.embedder import Embedder, FakeEmbedder
from index.store import ArticleStore
from newsqa.errors import InvalidInput
from newsqa.types import Chunk, Filters, Hit
from qa.retrieval.retrievers import (
    DenseRetriever,
    FusionRetriever,
    LexicalRetriever,
    fuse_nodes,
    hits_to_nodes,
    nodes_to_hits,
)


def make_hit(chunk_id: str, score: float, name: str, article_id: str = "a") -> Hit:
    chunk = Chunk(
        id=chunk_id,
        article_id=article_id,
        n=0,
        text=f"text of {chunk_id}",
        start=10,
        end=10 + len(f"text of {chunk_id}"),
        title="T",
        source="s.com",
        url=None,
        published="2022-09-01",
    )
    return Hit(chunk=chunk, score=score, scores={name: score})


class TestNodeConversion:
    def test_round_trip_keeps_chunk_and_scores(self) -> None:
        hit = make_hit("a:v:0", 0.5, "dense")
        hit.scores["bm25"] = 3.0
        node = hits_to_nodes([hit])[0]
        assert isinstance(node.node, TextNode)
        assert node.node.node_id == "a:v:0"
        assert (node.node.start_char_idx, node.node.end_char_idx) == (10, 10 + len(hit.chunk.text))
        assert node.node.metadata["published"] == "2022-09-01"
        assert nodes_to_hits([node])[0] == hit

    def test_scores_are_hidden_from_llm_and_embedding_text(self) -> None:
        node = hits_to_nodes([make_hit("a:v:0", 0.5, "dense")])[0].node
        assert "scores" not in node.get_content(metadata_mode=MetadataMode.LLM)
        assert "scores" not in node.get_content(metadata_mode=MetadataMode.EMBED)
        assert "title: T" in node.get_content(metadata_mode=MetadataMode.LLM)


class TestFusion:
    def nodes(self, ids_scores: list[tuple[str, float]], name: str) -> list[NodeWithScore]:
        return hits_to_nodes([make_hit(i, s, name) for i, s in ids_scores])

    def test_rrf_by_hand(self) -> None:
        dense = self.nodes([("x", 0.9), ("y", 0.8)], "dense")
        lexical = self.nodes([("y", 12.0), ("z", 5.0)], "bm25")
        fused = fuse_nodes([(dense, "dense", 1.0), (lexical, "bm25", 1.0)], "rrf", rrf_k=60)
        scores = {n.node.node_id: n.score for n in fused}
        assert scores["y"] == pytest.approx(1 / 62 + 1 / 61)
        assert scores["x"] == pytest.approx(1 / 61)
        assert scores["z"] == pytest.approx(1 / 62)
        assert [n.node.node_id for n in fused] == ["y", "x", "z"]
        y = fused[0].node.metadata["scores"]
        assert y == {"dense": 0.8, "bm25": 12.0, "fusion": pytest.approx(1 / 62 + 1 / 61)}

    def test_weighted_normalises_each_list_by_its_best_score(self) -> None:
        dense = self.nodes([("x", 0.8), ("y", 0.4)], "dense")
        lexical = self.nodes([("y", 10.0), ("z", 5.0)], "bm25")
        fused = fuse_nodes([(dense, "dense", 1.0), (lexical, "bm25", 2.0)], "weighted")
        scores = {n.node.node_id: n.score for n in fused}
        assert scores == {"y": pytest.approx(0.5 + 2.0), "z": pytest.approx(1.0), "x": pytest.approx(1.0)}
        assert fused[0].node.node_id == "y"
        # ties keep first appearance: dense "x" before lexical "z"
        assert [n.node.node_id for n in fused[1:]] == ["x", "z"]

    def test_inputs_are_not_modified(self) -> None:
        dense = self.nodes([("x", 0.8)], "dense")
        fuse_nodes([(dense, "dense", 1.0), (self.nodes([("x", 3.0)], "bm25"), "bm25", 1.0)], "rrf")
        assert dense[0].node.metadata["scores"] == {"dense": 0.8}
        assert dense[0].score == 0.8

    def test_bad_config(self, make_fake_store: Callable[..., tuple[ArticleStore, FakeEmbedder]]) -> None:
        store, embedder = make_fake_store([])
        dense, lexical = DenseRetriever(store, embedder), LexicalRetriever(store)
        with pytest.raises(InvalidInput, match="fusion method"):
            FusionRetriever(dense, lexical, method="max")  # type: ignore[arg-type]
        with pytest.raises(InvalidInput, match="weights"):
            FusionRetriever(dense, lexical, weights=(0.0, 0.0))
        with pytest.raises(InvalidInput, match="k must be"):
            LexicalRetriever(store, k=0)


class TestPlumbingWithFakeEmbedder:
    def test_retrievers_are_llama_index_retrievers(
        self, make_fake_store: Callable[..., tuple[ArticleStore, FakeEmbedder]]
    ) -> None:
        store, embedder = make_fake_store()
        dense = DenseRetriever(store, embedder, k=3)
        assert isinstance(dense, BaseRetriever)
        nodes = dense.retrieve("Maya Lindqvist final game Denver Falcons")
        assert 0 < len(nodes) <= 3
        assert all(isinstance(n, NodeWithScore) and "dense" in n.node.metadata["scores"] for n in nodes)

    def test_precomputed_query_embedding_is_used(
        self, make_fake_store: Callable[..., tuple[ArticleStore, FakeEmbedder]]
    ) -> None:
        store, embedder = make_fake_store()
        dense = DenseRetriever(store, embedder, k=1)
        vector = embedder.embed_query("sourdough starter flour water")
        # The text says one thing, the embedding another: the embedding wins.
        nodes = dense.retrieve(QueryBundle("Queen Margit", embedding=vector.tolist()))
        assert nodes[0].node.metadata["article_id"] == "undated"

    def test_dim_mismatch(self, make_fake_store: Callable[..., tuple[ArticleStore, FakeEmbedder]]) -> None:
        store, _ = make_fake_store([])
        with pytest.raises(InvalidInput, match="dim"):
            DenseRetriever(store, FakeEmbedder(dim=16))

    def test_with_filters_returns_a_copy(
        self, make_fake_store: Callable[..., tuple[ArticleStore, FakeEmbedder]]
    ) -> None:
        store, embedder = make_fake_store()
        shared = LexicalRetriever(store, k=5)
        narrowed = shared.with_filters(Filters(sources=["cnn.com"]), k=2)
        assert shared.filters is None and shared.k == 5
        nodes = narrowed.retrieve("flood repair loan payment freeze")
        assert nodes and all(n.node.metadata["source"] == "cnn.com" for n in nodes)
        assert len(nodes) <= 2

    def test_empty_lexical_query(
        self, make_fake_store: Callable[..., tuple[ArticleStore, FakeEmbedder]]
    ) -> None:
        store, _ = make_fake_store()
        assert LexicalRetriever(store).retrieve("   ") == []


@pytest.fixture(params=["dense", "lexical"])
def first_stage(
    request: pytest.FixtureRequest, search_store: ArticleStore, search_embedder: Embedder
) -> DenseRetriever | LexicalRetriever:
    """Each first-stage retriever over the real store: dense (k=10), then lexical (its default k)."""
    if request.param == "dense":
        return DenseRetriever(search_store, search_embedder, k=10)
    return LexicalRetriever(search_store)


class TestRealStore:
    """The six articles embedded with all-MiniLM-L6-v2 in a real Chroma store."""

    def test_dense_finds_the_article_by_meaning(
        self, search_store: ArticleStore, search_embedder: Embedder
    ) -> None:
        nodes = DenseRetriever(search_store, search_embedder, k=3).retrieve("Who is the new Norwegian king?")
        assert nodes[0].node.metadata["article_id"] == "monarch"
        cosines = [n.node.metadata["scores"]["dense"] for n in nodes]
        assert cosines == sorted(cosines, reverse=True)
        assert all(-1.0 <= c <= 1.0 for c in cosines)

    def test_lexical_finds_the_article_by_words(self, search_store: ArticleStore) -> None:
        nodes = LexicalRetriever(search_store, k=3).retrieve("Spokane power plant")
        assert nodes[0].node.metadata["article_id"] == "outage"
        assert nodes[0].node.metadata["scores"]["bm25"] > 0

    def test_source_filter_inside_the_query(self, first_stage: DenseRetriever | LexicalRetriever) -> None:
        nodes = first_stage.with_filters(Filters(sources=["usatoday.com"])).retrieve(
            "flood repair loan payments"
        )
        assert nodes
        assert {n.node.metadata["source"] for n in nodes} == {"usatoday.com"}

    def test_date_filter_inside_the_query(self, first_stage: DenseRetriever | LexicalRetriever) -> None:
        window = Filters(published_from="2022-09-01", published_to="2022-09-08")
        nodes = first_stage.with_filters(window).retrieve(
            "flood repair loan payment freeze Whitfield queen falcons"
        )
        assert {n.node.metadata["article_id"] for n in nodes} <= {"final-game", "monarch"}
        assert nodes

    def test_unknown_dates_survive_an_upper_date_limit(
        self, search_store: ArticleStore, search_embedder: Embedder
    ) -> None:
        retriever = DenseRetriever(search_store, search_embedder, k=10)
        nodes = retriever.with_filters(Filters(published_to="2022-01-01")).retrieve("sourdough bread starter")
        assert {n.node.metadata["article_id"] for n in nodes} == {"undated", "pause-old"}

    def test_hybrid_rrf(self, search_store: ArticleStore, search_embedder: Embedder) -> None:
        hybrid = FusionRetriever(
            DenseRetriever(search_store, search_embedder, k=5), LexicalRetriever(search_store, k=5), k=3
        )
        nodes = hybrid.retrieve("Which team did Maya Lindqvist play for?")
        assert len(nodes) == 3
        assert nodes[0].node.metadata["article_id"] == "final-game"
        assert {"dense", "bm25", "fusion"} <= set(nodes[0].node.metadata["scores"])
        hits = nodes_to_hits(nodes)
        assert hits[0].chunk.text in search_store.get_article("final-game").text
        assert np.isclose(hits[0].score, hits[0].scores["fusion"])


class TestOverfetch:
    @pytest.mark.parametrize(
        "filters",
        [
            Filters(published_to="2022-09-07"),
            Filters(sources=["cnn.com"]),
            Filters(published_from="2022-09-01", published_to="2022-11-30"),
            Filters(published_from="2030-01-01"),
        ],
    )
    def test_same_hits_as_the_filtered_query(
        self, search_store: ArticleStore, search_embedder: Embedder, filters: Filters
    ) -> None:
        for k in (1, 2, 4):
            fast = DenseRetriever(search_store, search_embedder, k=k, overfetch=2.0).with_filters(filters)
            exact = DenseRetriever(search_store, search_embedder, k=k, overfetch=1.0).with_filters(filters)
            query = "flood repair loan payments and the queen"
            assert [n.node.node_id for n in fast.retrieve(query)] == [
                n.node.node_id for n in exact.retrieve(query)
            ]
