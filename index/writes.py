"""Writes to the store under its consistency protocol (docs/architecture.md, `index/store.py`).

Usage:
    writer = ArticleWriter(collections, catalog, lexical_sync)
    writer.write_articles([ArticleWrite(article, chunks, vectors, signature="...")])
    writer.delete_article("a1")
    writer.remove_orphans()               # after a crash between the chunks and their commit

Chunks are written first (their ids carry the content version, so old and new coexist), the
article record last (the commit point), then the chunks of older versions are deleted.
"""

from __future__ import annotations

import json
import logging
from dataclasses import dataclass
from typing import Any, NamedTuple

import numpy as np

from index.catalog import ArticleCatalog
from index.chroma_collections import ChromaCollections
from index.chunker import content_version
from index.lexical_sync import LexicalSync
from index.records import article_metadata, chunk_node, merge_reprints, reprints_of
from newsqa.errors import InvalidInput, NotFound
from newsqa.types import Article, Chunk

logger = logging.getLogger(__name__)


@dataclass
class ArticleWrite:
    """One article to store: its chunks, their embeddings (rows in chunk order), its MinHash."""

    article: Article
    chunks: list[Chunk]
    embeddings: np.ndarray
    signature: str = ""


class ArticleRecord(NamedTuple):
    """An article record as upserted into the article collection."""

    id: str
    document: str
    embedding: list[float]
    metadata: dict[str, Any]


class ArticleWriter:
    """Writes, deletes and repairs articles in Chroma, then updates the catalog and the lexical index."""

    def __init__(self, collections: ChromaCollections, catalog: ArticleCatalog, lexical: LexicalSync) -> None:
        self._collections = collections
        self._catalog = catalog
        self._lexical = lexical

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
        cols = self._collections
        versions = [content_version(w.article) for w in writes]
        vectors = [np.asarray(w.embeddings, dtype=np.float32) for w in writes]
        for w, version, emb in zip(writes, versions, vectors, strict=True):
            self._check(w.article, version, w.chunks, emb)
        existing = cols.chunk_ids_by_article([w.article.id for w in writes])
        new_ids = {c.id for w in writes for c in w.chunks}
        leftovers = [cid for ids in existing.values() for cid in ids if cid in new_ids]
        if leftovers:  # an earlier write of this very version died before its commit
            cols.delete_chunks(leftovers)
        nodes = [
            chunk_node(w.article.id, version, c, e)
            for w, version, emb in zip(writes, versions, vectors, strict=True)
            for c, e in zip(w.chunks, emb, strict=True)
        ]
        for i in range(0, len(nodes), cols.max_batch):
            cols.vector_store.add(nodes[i : i + cols.max_batch])

        records = [
            self._record(w.article, version, len(w.chunks), emb, w.signature)
            for w, version, emb in zip(writes, versions, vectors, strict=True)
        ]
        self._commit(records)
        stale = [cid for ids in existing.values() for cid in ids if cid not in new_ids]
        if stale:
            cols.delete_chunks(stale)
        for w, version, record in zip(writes, versions, records, strict=True):
            self._lexical.replace(w.article.id, version, w.chunks, int(record.metadata["published_ts"]))
        self._lexical.changed()

    def _commit(self, records: list[ArticleRecord]) -> None:
        """The commit point: from here on readers see the new versions."""
        step = self._collections.max_batch
        for i in range(0, len(records), step):
            part = records[i : i + step]
            self._collections.articles.upsert(
                ids=[r.id for r in part],
                documents=[r.document for r in part],
                embeddings=[r.embedding for r in part],
                metadatas=[r.metadata for r in part],
            )
        self._catalog.put({r.id: r.metadata for r in records})
        self._catalog.bump_generation()

    def _record(
        self, article: Article, version: str, n_chunks: int, embeddings: np.ndarray, signature: str
    ) -> ArticleRecord:
        old_meta = self._catalog.records.get(article.id, {})
        reprints = merge_reprints(reprints_of(old_meta), article.also_reported_by)
        mean = embeddings.mean(axis=0)
        mean = mean / max(float(np.linalg.norm(mean)), 1e-12)
        meta = article_metadata(article, version, n_chunks, reprints, signature, self._collections.model_id)
        return ArticleRecord(article.id, article.text, mean.tolist(), meta)

    def _check(self, article: Article, version: str, chunks: list[Chunk], embeddings: np.ndarray) -> None:
        if not chunks:
            raise InvalidInput(f"article {article.id!r}: no chunks to store (empty text?)")
        dim = self._collections.dim
        if embeddings.shape != (len(chunks), dim):
            raise InvalidInput(
                f"article {article.id!r}: embeddings shape {embeddings.shape} does not match "
                f"{len(chunks)} chunks x {dim}"
            )
        prefix = f"{article.id}:{version[:8]}:"
        for c in chunks:
            if c.article_id != article.id or not c.id.startswith(prefix):
                raise InvalidInput(
                    f"chunk {c.id!r} does not belong to article {article.id!r} version {version[:8]}"
                )
            if article.text[c.start : c.end] != c.text:
                raise InvalidInput(f"chunk {c.id!r}: text does not match article text at [{c.start}:{c.end}]")

    def delete_article(self, article_id: str) -> bool:
        """Remove an article (record first, so it vanishes at once), its chunks, its lexical entry."""
        cols = self._collections
        found = bool(cols.articles.get(ids=[article_id], include=[])["ids"])
        if found:
            cols.articles.delete(ids=[article_id])
            self._catalog.bump_generation()
        self._catalog.drop(article_id)
        cols.delete_chunks(cols.chunk_ids_by_article([article_id]).get(article_id, []))
        self._lexical.remove(article_id)
        return found

    def add_reprint(self, article_id: str, reprint: dict[str, Any]) -> None:
        """Link another outlet's copy of the story to `article_id` ({id, source, url, title})."""
        got = self._collections.articles.get(ids=[article_id], include=["metadatas"])
        if not got["ids"]:
            raise NotFound(
                f"article {article_id!r} is not in the store; cannot link reprint {reprint.get('id')!r}"
            )
        meta = dict(got["metadatas"][0])
        entry = {key: reprint.get(key) or "" for key in ("id", "source", "url", "title")}
        merged = merge_reprints(reprints_of(meta), [entry])
        meta["also_reported_by"] = json.dumps(merged)
        self._collections.articles.update(ids=[article_id], metadatas=[meta])
        self._catalog.put({article_id: meta})
        self._catalog.bump_generation()

    def remove_orphans(self) -> int:
        """Delete chunks that no record names (no article record, or an older version); how many."""
        cols = self._collections
        if cols.chunks.count() == self._catalog.chunk_count():
            return 0
        versions = self._catalog.versions()
        orphans: list[str] = []
        for page in cols.pages(cols.chunks, include=["metadatas"]):
            for cid, m in zip(page["ids"], page["metadatas"], strict=True):
                if m.get("version") != versions.get(m.get("article_id")):
                    orphans.append(cid)
        cols.delete_chunks(orphans)
        if orphans:
            logger.info("removed %d orphan chunks from %s", len(orphans), cols.name)
        return len(orphans)
