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
"""

from __future__ import annotations

import json
import logging
import math
import time
from collections.abc import Iterator, Mapping, Sequence
from contextlib import contextmanager, nullcontext
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import numpy as np

from index.chunker import content_version
from index.lexical import LexicalIndex, versions_fingerprint
from index.lock import DataDirLock
from index.records import (
    article_summary,
    chunk_from,
    filters_where,
    make_client,
    merge_reprints,
    reprints_of,
)
from newsqa.errors import InvalidInput, NotFound, Unavailable
from newsqa.types import Article, Chunk, Filters, Hit, published_timestamp

logger = logging.getLogger(__name__)

# Dense search over-fetches to apply filters itself; past this many results it asks Chroma to filter.
_MAX_OVERFETCH = 1000
# Beyond this many passing chunks a `where` clause is the cheaper way to filter a dense search.
_MAX_ID_FILTER = 200_000


@dataclass
class ArticleWrite:
    """One article to store: its chunks, their embeddings (rows in chunk order), its MinHash."""

    article: Article
    chunks: list[Chunk]
    embeddings: np.ndarray
    signature: str = ""


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
        self._connect(fresh=False)
        self._meta: dict[str, dict[str, Any]] = {}
        # Counts changes to _meta; keys the cached per-article filter table.
        self._meta_changes = 0
        self._filter_table: tuple[int, np.ndarray, np.ndarray, np.ndarray] | None = None
        self._seen_state: tuple[int, int, int] | None = None
        self._last_sync = 0.0
        self._batch_depth = 0
        self._lexical_unsaved = False
        self._lexical = LexicalIndex(self.data_dir / "lexical" / f"{collection}.json.gz")
        self._reload_meta()
        self._lexical.load()
        self._sync_lexical(save=True)

    # -- opening ------------------------------------------------------------------------------

    def _connect(self, fresh: bool) -> None:
        from llama_index.vector_stores.chroma import ChromaVectorStore

        with nullcontext() if self.chroma_url else DataDirLock.opening(self.data_dir):
            self._client = make_client(self.data_dir, self.chroma_url, fresh=fresh)
            self._max_batch = int(self._client.get_max_batch_size())
            self._chunks_col = self._open_collection(f"{self.collection}_chunks")
            self._articles_col = self._open_collection(f"{self.collection}_articles")
        self._vector_store = ChromaVectorStore(chroma_collection=self._chunks_col)

    def _reconnect_if_embedded(self) -> bool:
        """Embedded Chroma caches a collection's vector index per process as first read: after
        another process wrote, reopen to read what is on disk now (server mode needs nothing)."""
        if self.chroma_url:
            return False
        self._connect(fresh=True)
        return True

    def _open_collection(self, name: str) -> Any:
        wanted = {"model_id": self.model_id, "dim": self.dim, "generation": 0}
        try:
            col = self._client.get_or_create_collection(
                name=name,
                configuration={"hnsw": {"space": "cosine"}},
                metadata=wanted,
                embedding_function=None,
            )
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

    @property
    def vector_store(self) -> Any:
        """The llama-index `ChromaVectorStore` over the chunk collection."""
        return self._vector_store

    # -- in-memory view of the article records ------------------------------------------------

    def _state(self) -> tuple[int, int, int]:
        articles = self._client.get_collection(self._articles_col.name, embedding_function=None)
        generation = int((articles.metadata or {}).get("generation", 0))
        return articles.count(), self._chunks_col.count(), generation

    def _reload_meta(self) -> None:
        state = self._state()
        meta: dict[str, dict[str, Any]] = {}
        offset = 0
        while True:
            page = self._articles_col.get(include=["metadatas"], limit=self._max_batch, offset=offset)
            for aid, m in zip(page["ids"], page["metadatas"], strict=True):
                meta[aid] = dict(m or {})
            if len(page["ids"]) < self._max_batch:
                break
            offset += self._max_batch
        self._meta = meta
        self._meta_changes += 1
        self._seen_state = state
        self._last_sync = time.monotonic()

    def _bump_generation(self) -> None:
        metadata = {"model_id": self.model_id, "dim": self.dim, "generation": time.time_ns() // 1000}
        self._articles_col.modify(metadata=metadata)
        self._seen_state = None  # our own write: the next refresh re-reads cheaply anyway

    def refresh(self, force: bool = False) -> bool:
        """Re-sync the article view and the lexical index with Chroma; True when something changed."""
        state = self._state()
        self._last_sync = time.monotonic()
        if not force and state == self._seen_state:
            return False
        if self._seen_state is not None and self._reconnect_if_embedded():  # another process wrote
            state = self._state()
        before = versions_fingerprint(self.versions())
        self._reload_meta()
        self._sync_lexical(save=self._batch_depth == 0)
        return versions_fingerprint(self.versions()) != before

    def _maybe_sync(self) -> None:
        if self.chroma_url and time.monotonic() - self._last_sync >= self.sync_interval_s:
            self.refresh()

    @property
    def revision(self) -> int:
        """A number that changes whenever the visible articles may have (own writes, or a sync)."""
        self._maybe_sync()
        return self._meta_changes

    def versions(self) -> dict[str, str]:
        """article id -> current content version (hash)."""
        return {aid: str(m.get("content_hash", "")) for aid, m in self._meta.items()}

    # -- lexical cache ------------------------------------------------------------------------

    def _sync_lexical(self, save: bool) -> None:
        """Bring the BM25 index to exactly the current article versions, fetching what it lacks."""
        versions = self.versions()
        if self._lexical.fingerprint == versions_fingerprint(versions):
            return
        have = self._lexical.versions
        for aid in set(have) - set(versions):
            self._lexical.remove_article(aid)
        needed = [aid for aid, v in versions.items() if have.get(aid) != v]
        if len(needed) > 20:
            logger.info("lexical index: indexing %d articles from Chroma (%s)", len(needed), self.collection)
        for i in range(0, len(needed), 100):
            part = needed[i : i + 100]
            by_article = self._current_chunks(part)
            for aid in part:
                meta = self._meta[aid]
                self._lexical.replace_article(
                    aid, versions[aid], by_article.get(aid, []), int(meta.get("published_ts", 0))
                )
        if save:
            self._lexical.save()
            self._lexical_unsaved = False
        else:
            self._lexical_unsaved = True

    def _current_chunks(self, article_ids: list[str]) -> dict[str, list[Chunk]]:
        """Chunks of the current versions of `article_ids`, in order, read from Chroma."""
        versions = self.versions()
        out: dict[str, list[Chunk]] = {}
        where: dict[str, Any] = (
            {"article_id": article_ids[0]} if len(article_ids) == 1 else {"article_id": {"$in": article_ids}}
        )
        offset = 0
        while True:
            page = self._chunks_col.get(
                where=where, include=["documents", "metadatas"], limit=self._max_batch, offset=offset
            )
            for cid, doc, m in zip(page["ids"], page["documents"], page["metadatas"], strict=True):
                if m.get("version") == versions.get(m.get("article_id")):
                    out.setdefault(m["article_id"], []).append(chunk_from(cid, doc, m))
            if len(page["ids"]) < self._max_batch:
                break
            offset += self._max_batch
        for chunks in out.values():
            chunks.sort(key=lambda c: c.n)
        return out

    @contextmanager
    def batch(self) -> Iterator[ArticleStore]:
        """Defer persisting the lexical index to the end of a multi-article write."""
        self._batch_depth += 1
        try:
            yield self
        finally:
            self._batch_depth -= 1
            if self._batch_depth == 0:
                self.flush()

    def flush(self) -> None:
        if self._lexical_unsaved:
            self._lexical.save()
            self._lexical_unsaved = False

    def _lexical_changed(self) -> None:
        if self._batch_depth == 0:
            self._lexical.save()
            self._lexical_unsaved = False
        else:
            self._lexical_unsaved = True

    # -- writes -------------------------------------------------------------------------------

    def write_article(
        self, article: Article, chunks: list[Chunk], embeddings: np.ndarray, *, signature: str = ""
    ) -> None:
        """Store one article and its chunks all-or-nothing; replaces any older version."""
        self.write_articles([ArticleWrite(article, chunks, embeddings, signature)])

    def write_articles(self, writes: list[ArticleWrite]) -> None:
        """Store several articles, each all-or-nothing, in a few large Chroma calls.

        One `add` per `max_batch` chunks and one `upsert` of all article records (the commit point
        of every article in the call) cost a third of per-article calls. Every write is checked
        before anything is written: an invalid one fails the whole call.
        """
        if not writes:
            return
        if len({w.article.id for w in writes}) != len(writes):
            raise InvalidInput("write_articles: the same article id twice in one call")
        versions = [content_version(w.article) for w in writes]
        vectors = [np.asarray(w.embeddings, dtype=np.float32) for w in writes]
        for w, version, emb in zip(writes, versions, vectors, strict=True):
            self._check_write(w.article, version, w.chunks, emb)
        existing = self._chunk_ids_by_article([w.article.id for w in writes])
        new_ids = {c.id for w in writes for c in w.chunks}
        leftovers = [cid for ids in existing.values() for cid in ids if cid in new_ids]
        if leftovers:  # an earlier write of this very version died before its commit
            self._delete_chunk_ids(leftovers)
        nodes = [
            self._node(w.article, version, c, e)
            for w, version, emb in zip(writes, versions, vectors, strict=True)
            for c, e in zip(w.chunks, emb, strict=True)
        ]
        for i in range(0, len(nodes), self._max_batch):
            self._vector_store.add(nodes[i : i + self._max_batch])

        records = [
            self._article_record(w.article, version, w.chunks, emb, w.signature)
            for w, version, emb in zip(writes, versions, vectors, strict=True)
        ]
        # The commit point: from here on readers see the new versions.
        for i in range(0, len(records), self._max_batch):
            part = records[i : i + self._max_batch]
            self._articles_col.upsert(
                ids=[r[0] for r in part],
                documents=[r[1] for r in part],
                embeddings=[r[2] for r in part],
                metadatas=[r[3] for r in part],
            )
        for aid, _, _, meta in records:
            self._meta[aid] = meta
        self._meta_changes += 1
        self._bump_generation()
        stale = [cid for ids in existing.values() for cid in ids if cid not in new_ids]
        if stale:
            self._delete_chunk_ids(stale)
        for w, version, (_, _, _, meta) in zip(writes, versions, records, strict=True):
            self._lexical.replace_article(w.article.id, version, w.chunks, int(meta["published_ts"]))
        self._lexical_changed()

    def _article_record(
        self, article: Article, version: str, chunks: list[Chunk], embeddings: np.ndarray, signature: str
    ) -> tuple[str, str, list[float], dict[str, Any]]:
        old_meta = self._meta.get(article.id, {})
        reprints = merge_reprints(reprints_of(old_meta), article.also_reported_by)
        mean = embeddings.mean(axis=0)
        mean = mean / max(float(np.linalg.norm(mean)), 1e-12)
        meta = {
            "title": article.title or "",
            "source": article.source or "",
            "url": article.url or "",
            "published": article.published or "",
            "published_ts": published_timestamp(article.published),
            "author": article.author or "",
            "ingested_at": article.ingested_at or "",
            "content_hash": version,
            "minhash": signature,
            "also_reported_by": json.dumps(reprints),
            "chunks": len(chunks),
            "model_id": self.model_id,
        }
        return article.id, article.text, mean.tolist(), meta

    def _check_write(
        self, article: Article, version: str, chunks: list[Chunk], embeddings: np.ndarray
    ) -> None:
        if not chunks:
            raise InvalidInput(f"article {article.id!r}: no chunks to store (empty text?)")
        if embeddings.shape != (len(chunks), self.dim):
            raise InvalidInput(
                f"article {article.id!r}: embeddings shape {embeddings.shape} does not match "
                f"{len(chunks)} chunks x {self.dim}"
            )
        prefix = f"{article.id}:{version[:8]}:"
        for c in chunks:
            if c.article_id != article.id or not c.id.startswith(prefix):
                raise InvalidInput(
                    f"chunk {c.id!r} does not belong to article {article.id!r} version {version[:8]}"
                )
            if article.text[c.start : c.end] != c.text:
                raise InvalidInput(f"chunk {c.id!r}: text does not match article text at [{c.start}:{c.end}]")

    def _node(self, article: Article, version: str, chunk: Chunk, embedding: np.ndarray) -> Any:
        from llama_index.core.schema import NodeRelationship, RelatedNodeInfo, TextNode

        metadata = {
            "article_id": chunk.article_id,
            "n": chunk.n,
            "start": chunk.start,
            "end": chunk.end,
            "title": chunk.title or "",
            "source": chunk.source or "",
            "url": chunk.url or "",
            "published": chunk.published or "",
            "published_ts": published_timestamp(chunk.published),
            "version": version,
        }
        return TextNode(
            id_=chunk.id,
            text=chunk.text,
            embedding=embedding.tolist(),
            metadata=metadata,
            start_char_idx=chunk.start,
            end_char_idx=chunk.end,
            relationships={NodeRelationship.SOURCE: RelatedNodeInfo(node_id=article.id)},
            excluded_embed_metadata_keys=list(metadata),
            excluded_llm_metadata_keys=[k for k in metadata if k not in ("title", "source", "published")],
        )

    def _chunk_ids_of(self, article_id: str) -> list[str]:
        return self._chunk_ids_by_article([article_id]).get(article_id, [])

    def _chunk_ids_by_article(self, article_ids: list[str]) -> dict[str, list[str]]:
        out: dict[str, list[str]] = {}
        for i in range(0, len(article_ids), 100):
            part = article_ids[i : i + 100]
            where = {"article_id": part[0]} if len(part) == 1 else {"article_id": {"$in": part}}
            offset = 0
            while True:
                page = self._chunks_col.get(
                    where=where, include=["metadatas"], limit=self._max_batch, offset=offset
                )
                for cid, m in zip(page["ids"], page["metadatas"], strict=True):
                    out.setdefault(str((m or {}).get("article_id")), []).append(cid)
                if len(page["ids"]) < self._max_batch:
                    break
                offset += self._max_batch
        return out

    def _delete_chunk_ids(self, ids: list[str]) -> None:
        for i in range(0, len(ids), self._max_batch):
            self._chunks_col.delete(ids=ids[i : i + self._max_batch])

    def delete_article(self, article_id: str) -> bool:
        """Remove an article (record first, so it vanishes at once), its chunks, its lexical entry."""
        found = bool(self._articles_col.get(ids=[article_id], include=[])["ids"])
        if found:
            self._articles_col.delete(ids=[article_id])
            self._bump_generation()
        self._meta.pop(article_id, None)
        self._meta_changes += 1
        self._delete_chunk_ids(self._chunk_ids_of(article_id))
        if self._lexical.remove_article(article_id):
            self._lexical_changed()
        return found

    def add_reprint(self, article_id: str, reprint: dict[str, Any]) -> None:
        """Link another outlet's copy of the story to `article_id` ({id, source, url, title})."""
        got = self._articles_col.get(ids=[article_id], include=["metadatas"])
        if not got["ids"]:
            raise NotFound(
                f"article {article_id!r} is not in the store; cannot link reprint {reprint.get('id')!r}"
            )
        meta = dict(got["metadatas"][0])
        entry = {key: reprint.get(key) or "" for key in ("id", "source", "url", "title")}
        merged = merge_reprints(reprints_of(meta), [entry])
        meta["also_reported_by"] = json.dumps(merged)
        self._articles_col.update(ids=[article_id], metadatas=[meta])
        self._meta[article_id] = meta
        self._meta_changes += 1
        self._bump_generation()

    def repair(self) -> int:
        """Delete orphan chunks (no article record, or an older version); returns how many."""
        self.refresh()
        expected = sum(int(m.get("chunks", 0)) for m in self._meta.values())
        if self._chunks_col.count() == expected:
            return 0
        versions = self.versions()
        orphans: list[str] = []
        offset = 0
        while True:
            page = self._chunks_col.get(include=["metadatas"], limit=self._max_batch, offset=offset)
            for cid, m in zip(page["ids"], page["metadatas"], strict=True):
                if m.get("version") != versions.get(m.get("article_id")):
                    orphans.append(cid)
            if len(page["ids"]) < self._max_batch:
                break
            offset += self._max_batch
        self._delete_chunk_ids(orphans)
        if orphans:
            logger.info("removed %d orphan chunks from %s", len(orphans), self.collection)
        return len(orphans)

    # -- reads --------------------------------------------------------------------------------

    def has_article(self, article_id: str) -> str | None:
        """The stored content hash of `article_id`, or None."""
        self._maybe_sync()
        meta = self._meta.get(article_id)
        return None if meta is None else str(meta.get("content_hash", ""))

    def get_article(self, article_id: str) -> Article | None:
        return self.get_articles([article_id]).get(article_id)

    def get_articles(self, article_ids: list[str]) -> dict[str, Article]:
        """The stored articles among `article_ids`, in one Chroma call per `max_batch` ids."""
        out: dict[str, Article] = {}
        wanted = list(dict.fromkeys(article_ids))
        for i in range(0, len(wanted), self._max_batch):
            got = self._articles_col.get(
                ids=wanted[i : i + self._max_batch], include=["documents", "metadatas"]
            )
            for aid, doc, m in zip(got["ids"], got["documents"], got["metadatas"], strict=True):
                out[aid] = Article(
                    id=aid,
                    title=m.get("title", ""),
                    text=doc or "",
                    source=m.get("source", ""),
                    url=m.get("url") or None,
                    published=m.get("published") or None,
                    author=m.get("author") or None,
                    ingested_at=m.get("ingested_at") or None,
                    content_hash=m.get("content_hash", ""),
                    also_reported_by=reprints_of(m),
                )
        return out

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
        wanted = Filters(sources, published_from, published_to)
        wanted.ts_range()  # a bad date is an error even when no article is stored
        rows = []
        for aid, m in list(self._meta.items()):
            ts = int(m.get("published_ts", 0))
            if wanted.admits(m.get("source"), ts):
                rows.append((aid, m, ts))
        rows.sort(key=lambda r: (-r[2], r[0]))
        end = None if limit is None else offset + limit
        return [article_summary(aid, m) for aid, m, _ in rows[offset:end]]

    def signatures(self) -> dict[str, str]:
        """article id -> MinHash signature, to rebuild the deduplicator."""
        return {aid: str(m["minhash"]) for aid, m in self._meta.items() if m.get("minhash")}

    def stats(self) -> dict[str, Any]:
        self._maybe_sync()
        sources: dict[str, int] = {}
        dates = []
        for m in list(self._meta.values()):
            sources[m.get("source", "")] = sources.get(m.get("source", ""), 0) + 1
            if m.get("published"):
                dates.append(str(m["published"])[:10])
        return {
            "articles": len(self._meta),
            "chunks": sum(int(m.get("chunks", 0)) for m in self._meta.values()),
            "sources": dict(sorted(sources.items())),
            "published_min": min(dates) if dates else None,
            "published_max": max(dates) if dates else None,
        }

    def get_chunks(self, article_id: str) -> list[Chunk]:
        """The chunks of the current version of `article_id`, in order."""
        if article_id not in self._meta:
            return []
        return self._current_chunks([article_id]).get(article_id, [])

    def get_chunk_texts(self, chunk_ids: list[str]) -> dict[str, str]:
        out: dict[str, str] = {}
        for i in range(0, len(chunk_ids), self._max_batch):
            page = self._chunks_col.get(ids=chunk_ids[i : i + self._max_batch], include=["documents"])
            out.update(zip(page["ids"], page["documents"], strict=True))
        return out

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
        if k <= 0 or not self._meta:
            return []
        vector = np.asarray(query_embedding, dtype=np.float32).ravel().tolist()
        active = filters if filters is not None and not filters.is_empty() else None
        passing, total = self._chunks_passing(active)
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
            result = self._query_chunks(
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
                return hits[:k], exhausted
            n = n * 2 + 10  # orphans took some of the places: ask for more

    def _query_chunks(self, **query: Any) -> Any:
        try:
            return self._chunks_col.query(**query)
        except Exception as exc:
            # The index was first read here before another process wrote its first vectors
            # (chromadb 1.5: "Error creating hnsw segment reader: Nothing found on disk").
            if "segment reader" not in str(exc) or not self._reconnect_if_embedded():
                raise
            return self._chunks_col.query(**query)

    def _chunks_passing(self, filters: Filters | None) -> tuple[int, int]:
        """(chunks that pass `filters`, all chunks), from per-article counts (vectorised: every query)."""
        if self._filter_table is None or self._filter_table[0] != self._meta_changes:
            rows = list(self._meta.values())
            self._filter_table = (
                self._meta_changes,
                np.array([int(m.get("chunks", 0) or 0) for m in rows], dtype=np.int64),
                np.array([int(m.get("published_ts", 0) or 0) for m in rows], dtype=np.int64),
                np.array([str(m.get("source", "")) for m in rows], dtype=object),
            )
        _, counts, ts, sources = self._filter_table
        total = int(counts.sum())
        if filters is None or total == 0:
            return total, total
        mask = np.ones(len(counts), dtype=bool)
        if filters.sources:
            mask &= np.isin(sources, list(filters.sources))
        first, last = filters.ts_range()
        if first is not None:
            mask &= ts >= first
        if last is not None:
            mask &= ts <= last
        return int(counts[mask].sum()), total

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
