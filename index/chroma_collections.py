"""The two Chroma collections of one store (chunks, article records), opened and reopened.

Usage:
    collections = ChromaCollections(Path(".newsqa"), None, "newsqa", model_id="m@onnx", dim=384)
    collections.state()                          # ChromaState(articles=12, chunks=240, generation=...)
    for page in collections.pages(collections.chunks, include=["metadatas"]): ...
    collections.current_chunks(["a1"], versions={"a1": "hash"})   # {"a1": [Chunk, ...]}
    collections.vector_store                     # llama-index ChromaVectorStore over the chunks

Every reader goes through the attributes (`chunks`, `articles`, `vector_store`) at call time:
`reconnect_if_embedded()` replaces them.
"""

from __future__ import annotations

import time
from collections.abc import Iterator, Mapping
from contextlib import nullcontext
from pathlib import Path
from typing import Any, NamedTuple

from index.lock import DataDirLock
from index.records import article_from, chunk_from, make_client
from newsqa.errors import InvalidInput, Unavailable
from newsqa.types import Article, Chunk

# Chroma `$in` clauses name at most this many article ids.
_IDS_PER_WHERE = 100
# Candidates HNSW explores per dense query. At Chroma's default (100) the store's over-fetching query
# (~85-150 nearest chunks) returned different chunks in every new process (training rows and thresholds
# then differed between two runs of one command); at 400 most processes agree, at no measurable cost.
# Some variation stays inside Chroma (docs/eval.md, "Reproducible dense candidates").
HNSW_EF_SEARCH = 400


class ChromaState(NamedTuple):
    """What tells whether another process wrote: the record and chunk counts and the generation stamp."""

    articles: int
    chunks: int
    generation: int


def _article_where(article_ids: list[str]) -> dict[str, Any]:
    return {"article_id": article_ids[0]} if len(article_ids) == 1 else {"article_id": {"$in": article_ids}}


class ChromaCollections:
    """The `<name>_chunks` and `<name>_articles` collections on an embedded or server Chroma."""

    def __init__(self, data_dir: Path, chroma_url: str | None, name: str, *, model_id: str, dim: int) -> None:
        self.data_dir = Path(data_dir)
        self.chroma_url = chroma_url
        self.name = name
        self.model_id = model_id
        self.dim = dim
        self.connect(fresh=False)

    # -- opening ------------------------------------------------------------------------------

    def connect(self, fresh: bool) -> None:
        from llama_index.vector_stores.chroma import ChromaVectorStore

        with nullcontext() if self.chroma_url else DataDirLock.opening(self.data_dir):
            self.client = make_client(self.data_dir, self.chroma_url, fresh=fresh)
            self.max_batch = int(self.client.get_max_batch_size())
            self.chunks = self._open(f"{self.name}_chunks")
            self.articles = self._open(f"{self.name}_articles")
        self.vector_store = ChromaVectorStore(chroma_collection=self.chunks)

    def reconnect_if_embedded(self) -> bool:
        """Embedded Chroma caches a collection's vector index per process as first read: after
        another process wrote, reopen to read what is on disk now (server mode needs nothing)."""
        if self.chroma_url:
            return False
        self.connect(fresh=True)
        return True

    def _metadata(self, generation: int) -> dict[str, Any]:
        return {"model_id": self.model_id, "dim": self.dim, "generation": generation}

    def _open(self, name: str) -> Any:
        try:
            col = self.client.get_or_create_collection(
                name=name,
                configuration={"hnsw": {"space": "cosine", "ef_search": HNSW_EF_SEARCH}},
                metadata=self._metadata(0),
                embedding_function=None,
            )
            if (col.configuration_json.get("hnsw") or {}).get("ef_search", HNSW_EF_SEARCH) != HNSW_EF_SEARCH:
                col.modify(configuration={"hnsw": {"ef_search": HNSW_EF_SEARCH}})  # a store made before
                col = self.client.get_collection(name=name, embedding_function=None)
        except Exception as exc:  # chromadb raises plain exceptions for connection problems
            raise Unavailable(f"cannot open Chroma collection {name!r}: {exc}") from exc
        meta = col.metadata or {}
        stored_model, stored_dim = meta.get("model_id", ""), meta.get("dim")
        if stored_dim is not None and int(stored_dim) != self.dim:
            raise InvalidInput(
                f"Chroma collection {name!r} holds {stored_dim}-d vectors but the embedder makes "
                f"{self.dim}-d ones; use another collection or data dir, or re-ingest"
            )
        if self.model_id and stored_model and stored_model != self.model_id:
            raise InvalidInput(
                f"Chroma collection {name!r} was built with model {stored_model!r}, not {self.model_id!r}; "
                "use another collection or data dir, or re-ingest"
            )
        return col

    # -- cross-process state ------------------------------------------------------------------

    def state(self) -> ChromaState:
        articles = self.client.get_collection(self.articles.name, embedding_function=None)
        generation = int((articles.metadata or {}).get("generation", 0))
        return ChromaState(articles.count(), self.chunks.count(), generation)

    def bump_generation(self) -> None:
        """Stamp the article collection so other processes see a write even when counts stay equal."""
        self.articles.modify(metadata=self._metadata(time.time_ns() // 1000))

    # -- reads --------------------------------------------------------------------------------

    def pages(self, collection: Any, **get: Any) -> Iterator[dict[str, Any]]:
        """`collection.get(**get)` page by page, `max_batch` records each."""
        offset = 0
        while True:
            page = collection.get(limit=self.max_batch, offset=offset, **get)
            yield page
            if len(page["ids"]) < self.max_batch:
                return
            offset += self.max_batch

    def chunk_ids_by_article(self, article_ids: list[str]) -> dict[str, list[str]]:
        """article id -> ids of all its stored chunks (every version)."""
        out: dict[str, list[str]] = {}
        for i in range(0, len(article_ids), _IDS_PER_WHERE):
            where = _article_where(article_ids[i : i + _IDS_PER_WHERE])
            for page in self.pages(self.chunks, where=where, include=["metadatas"]):
                for cid, m in zip(page["ids"], page["metadatas"], strict=True):
                    out.setdefault(str((m or {}).get("article_id")), []).append(cid)
        return out

    def current_chunks(self, article_ids: list[str], versions: Mapping[str, str]) -> dict[str, list[Chunk]]:
        """Chunks of the `versions` of `article_ids`, in order (other versions' chunks skipped)."""
        out: dict[str, list[Chunk]] = {}
        where = _article_where(article_ids)
        for page in self.pages(self.chunks, where=where, include=["documents", "metadatas"]):
            for cid, doc, m in zip(page["ids"], page["documents"], page["metadatas"], strict=True):
                if m.get("version") == versions.get(m.get("article_id")):
                    out.setdefault(m["article_id"], []).append(chunk_from(cid, doc, m))
        for chunks in out.values():
            chunks.sort(key=lambda c: c.n)
        return out

    def get_articles(self, article_ids: list[str]) -> dict[str, Article]:
        """The stored articles among `article_ids`, in one Chroma call per `max_batch` ids."""
        out: dict[str, Article] = {}
        wanted = list(dict.fromkeys(article_ids))
        for i in range(0, len(wanted), self.max_batch):
            got = self.articles.get(ids=wanted[i : i + self.max_batch], include=["documents", "metadatas"])
            for aid, doc, m in zip(got["ids"], got["documents"], got["metadatas"], strict=True):
                out[aid] = article_from(aid, doc, m)
        return out

    def chunk_texts(self, chunk_ids: list[str]) -> dict[str, str]:
        out: dict[str, str] = {}
        for i in range(0, len(chunk_ids), self.max_batch):
            page = self.chunks.get(ids=chunk_ids[i : i + self.max_batch], include=["documents"])
            out.update(zip(page["ids"], page["documents"], strict=True))
        return out

    def query_chunks(self, **query: Any) -> Any:
        try:
            return self.chunks.query(**query)
        except Exception as exc:
            # The index was first read here before another process wrote its first vectors
            # (chromadb 1.5: "Error creating hnsw segment reader: Nothing found on disk").
            if "segment reader" not in str(exc) or not self.reconnect_if_embedded():
                raise
            return self.chunks.query(**query)

    # -- deletes ------------------------------------------------------------------------------

    def delete_chunks(self, chunk_ids: list[str]) -> None:
        for i in range(0, len(chunk_ids), self.max_batch):
            self.chunks.delete(ids=chunk_ids[i : i + self.max_batch])
