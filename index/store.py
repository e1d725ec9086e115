"""The article store: Chroma is the source of truth; the BM25 index is a cache derived from it.

Usage:
    store = ArticleStore(Path(".newsqa"), dim=384, model_id=embedder.model_id)
    with store.batch():                                  # lexical index persisted once at the end
        store.write_article(article, chunks, embeddings, signature=minhash)
        store.write_articles([ArticleWrite(a, chunks_a, vectors_a), ...])   # fewer, larger Chroma calls
    hits = store.dense_search(embedder.embed_query("q"), k=10, filters=Filters(sources=["cnn.com"]))
    hits = store.lexical_search("senate vote", k=10)
    store.vector_store                                   # llama-index ChromaVectorStore over the chunks

Consistency (docs/architecture.md): chunks are written first (their ids carry the content
version, so old and new coexist), the article record last (the commit point), then the chunks of
older versions are deleted. Readers show a chunk only when its version is the one its article
record names, so a crash leaves at worst invisible orphan chunks that `repair()` removes.

`ArticleStore` is the facade over the parts, one concern each: `ChromaCollections` (opening and
reopening Chroma, paged reads), `ArticleCatalog` (the in-memory article records and cross-process
sync), `LexicalSync` (the BM25 cache kept at the catalog's versions), `ArticleWriter` (the writes
above); dense and lexical search with filters are here.
"""

from __future__ import annotations

import logging
import math
import time
from collections.abc import Iterator, Mapping, Sequence
from contextlib import contextmanager
from pathlib import Path
from typing import Any

import numpy as np

from index.catalog import ArticleCatalog
from index.chroma_collections import ChromaCollections
from index.lexical import LexicalIndex, versions_fingerprint
from index.lexical_sync import LexicalSync
from index.records import chunk_node, filters_where
from index.writes import ArticleWrite, ArticleWriter
from newsqa.errors import InvalidInput
from newsqa.types import Article, Chunk, Filters, Hit

__all__ = ["ArticleStore", "ArticleWrite", "filters_where"]

logger = logging.getLogger(__name__)

# Dense search over-fetches to apply filters itself; past this many results it asks Chroma to filter.
_MAX_OVERFETCH = 1000
# Beyond this many passing chunks a `where` clause is the cheaper way to filter a dense search.
_MAX_ID_FILTER = 200_000


class ArticleStore:
    """Articles and their chunk embeddings in Chroma (embedded or server), plus a BM25 cache."""

    def __init__(
        self,
        data_dir: Path,
        dim: int,
        chroma_url: str | None = None,
        collection: str = "newsqa",
        model_id: str = "",
        sync_interval_s: float = 2.0,
    ) -> None:
        if dim < 1:
            raise InvalidInput(f"embedding dim must be >= 1, got {dim}")
        if len(collection) < 3:
            raise InvalidInput(f"collection name {collection!r} must have at least 3 characters")
        self.data_dir = Path(data_dir)
        self.dim = dim
        self.chroma_url = chroma_url
        self.collection = collection
        self.model_id = model_id
        self.sync_interval_s = sync_interval_s
        self._collections = ChromaCollections(
            self.data_dir, chroma_url, collection, model_id=model_id, dim=dim
        )
        self._catalog = ArticleCatalog(self._collections)
        lexical = LexicalIndex(self.data_dir / "lexical" / f"{collection}.json.gz")
        self._lexical_sync = LexicalSync(lexical, self._catalog, self._collections)
        self._writer = ArticleWriter(self._collections, self._catalog, self._lexical_sync)
        lexical.load()
        self._lexical_sync.sync()

    # -- the parts (tests reach into these) ---------------------------------------------------

    @property
    def vector_store(self) -> Any:
        """The llama-index `ChromaVectorStore` over the chunk collection."""
        return self._collections.vector_store

    @property
    def _chunks_col(self) -> Any:
        return self._collections.chunks

    @property
    def _articles_col(self) -> Any:
        return self._collections.articles

    @property
    def _meta(self) -> dict[str, dict[str, Any]]:
        return self._catalog.records

    @property
    def _lexical(self) -> LexicalIndex:
        return self._lexical_sync.lexical

    def _node(self, article: Article, version: str, chunk: Chunk, embedding: np.ndarray) -> Any:
        """The llama-index node a write stores for `chunk` (tests write orphans with it)."""
        return chunk_node(article.id, version, chunk, embedding)

    # -- sync with other processes ------------------------------------------------------------

    def refresh(self, force: bool = False) -> bool:
        """Re-sync the article view and the lexical index with Chroma; True when something changed."""
        if not self._catalog.stale(force):
            return False
        before = versions_fingerprint(self._catalog.versions())
        self._catalog.reload(reconnect=True)  # another process wrote
        self._lexical_sync.sync()
        return versions_fingerprint(self._catalog.versions()) != before

    def _maybe_sync(self) -> None:
        if self.chroma_url and time.monotonic() - self._catalog.last_sync >= self.sync_interval_s:
            self.refresh()

    @property
    def revision(self) -> int:
        """A number that changes whenever the visible articles may have (own writes, or a sync)."""
        self._maybe_sync()
        return self._catalog.changes

    def versions(self) -> dict[str, str]:
        """article id -> current content version (hash)."""
        return self._catalog.versions()

    @contextmanager
    def batch(self) -> Iterator[ArticleStore]:
        """Defer persisting the lexical index to the end of a multi-article write."""
        with self._lexical_sync.batch():
            yield self

    def flush(self) -> None:
        self._lexical_sync.flush()

    # -- writes -------------------------------------------------------------------------------

    def write_article(
        self, article: Article, chunks: list[Chunk], embeddings: np.ndarray, *, signature: str = ""
    ) -> None:
        """Store one article and its chunks all-or-nothing; replaces any older version."""
        self.write_articles([ArticleWrite(article, chunks, embeddings, signature)])

    def write_articles(self, writes: list[ArticleWrite]) -> None:
        """Store several articles, each all-or-nothing, in a few large Chroma calls (see `ArticleWriter`)."""
        self._writer.write_articles(writes)

    def delete_article(self, article_id: str) -> bool:
        """Remove an article (record first, so it vanishes at once), its chunks, its lexical entry."""
        return self._writer.delete_article(article_id)

    def add_reprint(self, article_id: str, reprint: dict[str, Any]) -> None:
        """Link another outlet's copy of the story to `article_id` ({id, source, url, title})."""
        self._writer.add_reprint(article_id, reprint)

    def repair(self) -> int:
        """Delete orphan chunks (no article record, or an older version); returns how many."""
        self.refresh()
        return self._writer.remove_orphans()

    # -- reads --------------------------------------------------------------------------------

    def has_article(self, article_id: str) -> str | None:
        """The stored content hash of `article_id`, or None."""
        self._maybe_sync()
        return self._catalog.content_hash(article_id)

    def get_article(self, article_id: str) -> Article | None:
        return self.get_articles([article_id]).get(article_id)

    def get_articles(self, article_ids: list[str]) -> dict[str, Article]:
        """The stored articles among `article_ids`, in one Chroma call per `max_batch` ids."""
        return self._collections.get_articles(article_ids)

    def list_articles(
        self,
        *,
        sources: list[str] | None = None,
        published_from: str | None = None,
        published_to: str | None = None,
        limit: int | None = None,
        offset: int = 0,
    ) -> list[dict[str, Any]]:
        """Article summaries, newest published first (undated last), then by id."""
        self._maybe_sync()
        return self._catalog.summaries(Filters(sources, published_from, published_to), limit, offset)

    def signatures(self) -> dict[str, str]:
        """article id -> MinHash signature, to rebuild the deduplicator."""
        return self._catalog.signatures()

    def stats(self) -> dict[str, Any]:
        self._maybe_sync()
        return self._catalog.stats()

    def get_chunks(self, article_id: str) -> list[Chunk]:
        """The chunks of the current version of `article_id`, in order."""
        if article_id not in self._catalog.records:
            return []
        return self._collections.current_chunks([article_id], self._catalog.versions()).get(article_id, [])

    def get_chunk_texts(self, chunk_ids: list[str]) -> dict[str, str]:
        return self._collections.chunk_texts(chunk_ids)

    # -- search -------------------------------------------------------------------------------

    def dense_search(self, query_embedding: np.ndarray, k: int, filters: Filters | None = None) -> list[Hit]:
        """Top-k chunks by cosine similarity among those passing `filters`; orphans dropped.

        Chroma is asked for ids and distances only, over-fetched by the share of chunks the filters
        pass, and the chunks come from the in-memory chunk table of the lexical index (current
        versions only). Measured on the 18k-chunk dev index: an ids-only query costs ~5 ms, fetching
        documents and metadata with it 20-70 ms more, and a `where` clause ~200 ms more (Chroma
        collects every matching id first), so the `where` query is only the fallback for filters
        too narrow for over-fetching.
        """
        self._maybe_sync()
        if k <= 0 or not self._catalog.records:
            return []
        vector = np.asarray(query_embedding, dtype=np.float32).ravel().tolist()
        active = filters if filters is not None and not filters.is_empty() else None
        passing, total = self._catalog.chunks_passing(active)
        if passing == 0:
            return []
        n = min(math.ceil(k * total / passing * 1.5) + 10, _MAX_OVERFETCH)
        hits, exhausted = self._dense_query(vector, n, None, k, active)
        if len(hits) >= min(k, passing) or exhausted:
            return hits
        if n < _MAX_OVERFETCH:  # the nearest chunks were mostly filtered out (often: newer than as-of)
            hits, exhausted = self._dense_query(vector, _MAX_OVERFETCH, None, k, active)
            if len(hits) >= min(k, passing) or exhausted:
                return hits
        # Search only the passing chunks, named by id (at 98k chunks: 25 ms for 3,000 ids, 54 ms for
        # 40,000, where a `where` clause costs ~650 ms); `where` stays for very many ids or an id
        # Chroma no longer has (a delete by another process not yet synced).
        allowed = self._lexical.chunk_ids(**_lexical_filters(active))
        if allowed and len(allowed) <= _MAX_ID_FILTER:
            try:
                return self._dense_query(vector, k, None, k, None, ids=allowed)[0]
            except Exception as exc:  # chromadb raises InternalError for an unknown id
                logger.info("dense search by ids failed (%s); using a where clause", exc)
        return self._dense_query(vector, max(k + 10, 2 * k), filters_where(active), k, None)[0]

    def _dense_query(
        self,
        vector: list[float],
        n: int,
        where: dict[str, Any] | None,
        k: int,
        post_filter: Filters | None,
        ids: list[str] | None = None,
    ) -> tuple[list[Hit], bool]:
        """(up to k current hits, whether Chroma had no more to give)."""
        while True:
            result = self._collections.query_chunks(
                query_embeddings=[vector], n_results=n, where=where, ids=ids, include=["distances"]
            )
            found_ids, distances = result["ids"][0], result["distances"][0]
            hits = []
            for found, distance in zip(self._lexical.lookup(found_ids), distances, strict=True):
                if found is None:  # an orphan or an older version
                    continue
                chunk, ts = found
                if post_filter is not None and not post_filter.admits(chunk.source, ts):
                    continue
                cosine = 1.0 - float(distance)
                hits.append(Hit(chunk=chunk, score=cosine, scores={"dense": cosine}))
            exhausted = len(found_ids) < n
            if len(hits) >= k or exhausted or post_filter is not None:
                hits.sort(key=lambda h: (-h.score, h.chunk.id))  # equal vectors (reprints): one order
                return hits[:k], exhausted
            n = n * 2 + 10  # orphans took some of the places: ask for more

    def stored_terms(
        self, chunk_ids: Sequence[str]
    ) -> tuple[list[tuple[np.ndarray, np.ndarray] | None], Mapping[str, int]]:
        """Each chunk's terms as stored at ingest, as ids, with their vocabulary (see `TermTable`)."""
        return self._lexical.stored_terms(chunk_ids)

    def lexical_search(self, query: str, k: int, filters: Filters | None = None) -> list[Hit]:
        """Top-k chunks by BM25 among those passing `filters`."""
        self._maybe_sync()
        return [
            Hit(chunk=chunk, score=score, scores={"bm25": score})
            for chunk, score in self._lexical.search(query, k, **_lexical_filters(filters))
        ]


def _lexical_filters(filters: Filters | None) -> dict[str, Any]:
    """`filters` as the lexical index's keyword arguments (sources, ts_from, ts_to)."""
    if filters is None or filters.is_empty():
        return {}
    ts_from, ts_to = filters.ts_range()
    return {"sources": filters.sources or None, "ts_from": ts_from, "ts_to": ts_to}
