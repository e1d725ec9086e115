"""llama-index retrievers over an `ArticleStore`: dense (Chroma), lexical (BM25) and the two fused.

Usage (any llama-index pipeline):
    dense = DenseRetriever(store, embedder, k=50)
    lexical = LexicalRetriever(store, k=50)
    hybrid = FusionRetriever(dense, lexical, method="rrf")           # or method="weighted"
    nodes = hybrid.retrieve("Which team did Nora Vale play for?")     # list[NodeWithScore]
    hits = nodes_to_hits(nodes)                                       # back to newsqa.types.Hit

Retrievers are immutable after construction, so one instance serves concurrent requests; per-request
filters come from `with_filters(filters)`, which returns a lightweight copy.
Each node is `NodeWithScore(TextNode(id_=chunk.id, text, metadata, start_char_idx, end_char_idx))`;
the score of every stage (dense, bm25, fusion, ...) travels in `metadata["scores"]`, which is kept out
of what an LLM or an embedding model sees.
"""

from __future__ import annotations

import copy
import math
from collections.abc import Sequence
from typing import TYPE_CHECKING, Literal

import numpy as np
from llama_index.core.retrievers import BaseRetriever
from llama_index.core.schema import NodeWithScore, QueryBundle, TextNode

from newsqa.errors import InvalidInput
from newsqa.types import Chunk, Filters, Hit, published_timestamp

if TYPE_CHECKING:
    from index.embedder import Embedder, FakeEmbedder
    from index.store import ArticleStore

FusionMethod = Literal["rrf", "weighted"]

# Metadata keys of a node that are bookkeeping, not content for an LLM or an embedding model.
_HIDDEN_KEYS = ["scores", "chunk_n", "start", "end", "article_id"]
RRF_K = 60


def hit_to_node(hit: Hit) -> NodeWithScore:
    c = hit.chunk
    metadata = {
        "article_id": c.article_id,
        "chunk_n": c.n,
        "title": c.title,
        "source": c.source,
        "url": c.url or "",
        "published": c.published or "",
        "start": c.start,
        "end": c.end,
        "scores": dict(hit.scores),
    }
    node = TextNode(
        id_=c.id,
        text=c.text,
        metadata=metadata,
        start_char_idx=c.start,
        end_char_idx=c.end,
        excluded_llm_metadata_keys=list(_HIDDEN_KEYS),
        excluded_embed_metadata_keys=list(_HIDDEN_KEYS),
    )
    return NodeWithScore(node=node, score=float(hit.score))


def node_to_hit(node: NodeWithScore) -> Hit:
    meta = node.node.metadata
    text = node.node.get_content()
    start = node.node.start_char_idx if node.node.start_char_idx is not None else int(meta.get("start", 0))
    end = node.node.end_char_idx if node.node.end_char_idx is not None else start + len(text)
    chunk = Chunk(
        id=node.node.node_id,
        article_id=str(meta.get("article_id", "")),
        n=int(meta.get("chunk_n", 0)),
        text=text,
        start=int(start),
        end=int(end),
        title=str(meta.get("title", "")),
        source=str(meta.get("source", "")),
        url=meta.get("url") or None,
        published=meta.get("published") or None,
    )
    score = float(node.score) if node.score is not None else 0.0
    return Hit(chunk=chunk, score=score, scores=dict(meta.get("scores", {})))


def hits_to_nodes(hits: Sequence[Hit]) -> list[NodeWithScore]:
    return [hit_to_node(h) for h in hits]


def nodes_to_hits(nodes: Sequence[NodeWithScore]) -> list[Hit]:
    return [node_to_hit(n) for n in nodes]


class _StoreRetriever(BaseRetriever):
    """Shared plumbing: a store, a candidate count and the filters applied inside the store query."""

    def __init__(self, store: ArticleStore, k: int = 50, filters: Filters | None = None) -> None:
        if k < 1:
            raise InvalidInput(f"retriever k must be >= 1, got {k}")
        super().__init__()
        self.store = store
        self.k = k
        self.filters = filters

    def with_filters(self, filters: Filters | None, k: int | None = None) -> _StoreRetriever:
        """A copy for one request; the shared instance is never mutated."""
        clone = copy.copy(self)
        clone.filters = filters
        if k is not None:
            if k < 1:
                raise InvalidInput(f"retriever k must be >= 1, got {k}")
            clone.k = k
        return clone


class DenseRetriever(_StoreRetriever):
    """Nearest chunks by cosine of OUR embedder's vectors, filtered inside the Chroma query.

    A `QueryBundle` that already carries an `embedding` is used as is (no second model call).
    Scores: `metadata["scores"]["dense"]` = cosine similarity.
    """

    def __init__(
        self,
        store: ArticleStore,
        embedder: Embedder | FakeEmbedder,
        k: int = 50,
        filters: Filters | None = None,
        overfetch: float = 2.0,
    ) -> None:
        super().__init__(store, k, filters)
        if getattr(store, "dim", embedder.dim) != embedder.dim:
            raise InvalidInput(f"embedder dim {embedder.dim} does not match the store's dim {store.dim}")
        if overfetch < 1:
            raise InvalidInput(f"overfetch must be >= 1, got {overfetch}")
        self.embedder = embedder
        self.overfetch = overfetch

    def embed(self, query: str) -> np.ndarray:
        return np.asarray(self.embedder.embed_query(query), dtype=np.float32)

    def _retrieve(self, query_bundle: QueryBundle) -> list[NodeWithScore]:
        if query_bundle.embedding is not None:
            vector = np.asarray(query_bundle.embedding, dtype=np.float32)
        else:
            vector = self.embed(query_bundle.query_str)
        return hits_to_nodes(self.search(vector))

    def search(self, vector: np.ndarray) -> list[Hit]:
        """Top-k hits passing the filters.

        A filtered Chroma query costs ~10x an unfiltered one (66 vs 6 ms on 18k chunks, 2 cores), so
        with filters we first take the `overfetch` x k nearest unfiltered and keep those that pass; only
        when fewer than k pass does the filter go into the Chroma query. Same hits either way.
        """
        filters = self.filters
        if filters is None or filters.is_empty() or self.overfetch <= 1:
            return self.store.dense_search(vector, self.k, filters)
        wanted = math.ceil(self.k * self.overfetch)
        nearest = self.store.dense_search(vector, wanted, None)
        kept = [h for h in nearest if filters.admits(h.chunk.source, published_timestamp(h.chunk.published))]
        if len(kept) >= self.k or len(nearest) < wanted:
            return kept[: self.k]
        return self.store.dense_search(vector, self.k, filters)


class LexicalRetriever(_StoreRetriever):
    """BM25 over the store's lexical index, with the same filters. Scores: `scores["bm25"]`."""

    def _retrieve(self, query_bundle: QueryBundle) -> list[NodeWithScore]:
        if not query_bundle.query_str.strip():
            return []
        return hits_to_nodes(self.store.lexical_search(query_bundle.query_str, self.k, self.filters))


class FusionRetriever(BaseRetriever):
    """Dense + lexical candidates fused into one ranking.

    - method="rrf": reciprocal rank fusion, sum of 1/(rrf_k + rank) (rank from 1), rrf_k=60 by default.
    - method="weighted": sum of each retriever's score divided by its best score in this candidate
      list, weighted by `weights` (dense, lexical); a chunk missing from a list gets 0 for it.
    Scores: `scores["fusion"]`, besides the dense/bm25 scores each candidate had.
    """

    def __init__(
        self,
        dense: DenseRetriever,
        lexical: LexicalRetriever,
        method: FusionMethod = "rrf",
        weights: tuple[float, float] = (1.0, 1.0),
        rrf_k: int = RRF_K,
        k: int | None = None,
    ) -> None:
        if method not in ("rrf", "weighted"):
            raise InvalidInput(f"fusion method must be 'rrf' or 'weighted', not {method!r}")
        if len(weights) != 2 or min(weights) < 0 or sum(weights) <= 0:
            raise InvalidInput(f"fusion weights must be two non-negative numbers, not all 0: {weights}")
        if rrf_k < 1:
            raise InvalidInput(f"rrf_k must be >= 1, got {rrf_k}")
        if k is not None and k < 1:
            raise InvalidInput(f"fusion k must be >= 1, got {k}")
        super().__init__()
        self.dense = dense
        self.lexical = lexical
        self.method: FusionMethod = method
        self.weights = (float(weights[0]), float(weights[1]))
        self.rrf_k = rrf_k
        self.k = k

    def with_filters(self, filters: Filters | None, k: int | None = None) -> FusionRetriever:
        clone = copy.copy(self)
        clone.dense = self.dense.with_filters(filters, k)  # type: ignore[assignment]
        clone.lexical = self.lexical.with_filters(filters, k)  # type: ignore[assignment]
        return clone

    def _retrieve(self, query_bundle: QueryBundle) -> list[NodeWithScore]:
        dense_nodes = self.dense.retrieve(query_bundle)
        lexical_nodes = self.lexical.retrieve(QueryBundle(query_bundle.query_str))
        fused = self.fuse(dense_nodes, lexical_nodes)
        return fused[: self.k] if self.k else fused

    def fuse(
        self, dense_nodes: list[NodeWithScore], lexical_nodes: list[NodeWithScore]
    ) -> list[NodeWithScore]:
        """One list, best first; each node keeps the scores of both retrievers and gets `fusion`."""
        return fuse_nodes(
            [(dense_nodes, "dense", self.weights[0]), (lexical_nodes, "bm25", self.weights[1])],
            self.method,
            self.rrf_k,
        )


def fuse_nodes(
    ranked_lists: Sequence[tuple[Sequence[NodeWithScore], str, float]],
    method: FusionMethod = "rrf",
    rrf_k: int = RRF_K,
) -> list[NodeWithScore]:
    """Fuse (nodes, score_name, weight) lists. Ties break by first appearance (dense before lexical)."""
    merged: dict[str, NodeWithScore] = {}
    fused: dict[str, float] = {}
    order: dict[str, int] = {}
    for nodes, name, weight in ranked_lists:
        best = max((float(n.score or 0.0) for n in nodes), default=0.0)
        for rank, item in enumerate(nodes, start=1):
            node_id = item.node.node_id
            if node_id not in merged:
                merged[node_id] = _copy_node(item)
                order[node_id] = len(order)
                fused[node_id] = 0.0
            else:
                merged[node_id].node.metadata["scores"].update(item.node.metadata.get("scores", {}))
            if method == "rrf":
                fused[node_id] += weight / (rrf_k + rank)
            elif best > 0:
                fused[node_id] += weight * max(float(item.score or 0.0), 0.0) / best
            merged[node_id].node.metadata["scores"].setdefault(name, float(item.score or 0.0))
    out = []
    for node_id in sorted(merged, key=lambda i: (-fused[i], order[i])):
        node = merged[node_id]
        node.node.metadata["scores"]["fusion"] = fused[node_id]
        node.score = fused[node_id]
        out.append(node)
    return out


def _copy_node(item: NodeWithScore) -> NodeWithScore:
    """A node whose metadata can be written without touching the caller's node."""
    node = item.node.model_copy()
    node.metadata = dict(item.node.metadata)
    node.metadata["scores"] = dict(item.node.metadata.get("scores", {}))
    return NodeWithScore(node=node, score=item.score)
