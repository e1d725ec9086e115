"""The in-memory view of a store's article records, and whether Chroma has changed since it was read.

Usage:
    catalog = ArticleCatalog(collections)       # reads every article record's metadata
    catalog.versions()                          # {"a1": "content hash", ...}
    if catalog.stale(force=False):              # another process wrote (or our own write)
        catalog.reload(reconnect=True)
    catalog.chunks_passing(Filters(sources=["cnn.com"]))   # ChunkCounts(passing=40, total=240)
    catalog.summaries(Filters(), limit=20, offset=0)       # newest first, for the article list

`changes` counts edits of the view (own writes and reloads): the store's `revision`.
"""

from __future__ import annotations

import time
from collections.abc import Mapping
from typing import Any, NamedTuple

import numpy as np

from index.chroma_collections import ChromaCollections, ChromaState
from index.records import article_summary
from newsqa.types import Filters


class FilterTable(NamedTuple):
    """Per-article columns for counting the chunks that filters pass, built at `changes`."""

    changes: int
    chunks: np.ndarray  # int64: chunks per article
    published_ts: np.ndarray  # int64: 0 when undated
    sources: np.ndarray  # object: source strings


class ChunkCounts(NamedTuple):
    passing: int
    total: int


class ArticleCatalog:
    """article id -> record metadata, mirrored from the article collection."""

    def __init__(self, collections: ChromaCollections) -> None:
        self._collections = collections
        self.records: dict[str, dict[str, Any]] = {}
        self.changes = 0
        self.last_sync = 0.0
        self._seen: ChromaState | None = None
        self._filter_table: FilterTable | None = None
        self.reload(reconnect=False)

    # -- sync with Chroma ---------------------------------------------------------------------

    def stale(self, force: bool) -> bool:
        """Whether Chroma changed since the view was read (always with `force`); notes the check."""
        state = self._collections.state()
        self.last_sync = time.monotonic()
        return force or state != self._seen

    def reload(self, reconnect: bool) -> None:
        """Re-read every record; with `reconnect`, after a first read reopen embedded Chroma first,
        whose cached vector index would miss other processes' writes."""
        if reconnect and self._seen is not None:
            self._collections.reconnect_if_embedded()
        state = self._collections.state()
        records: dict[str, dict[str, Any]] = {}
        for page in self._collections.pages(self._collections.articles, include=["metadatas"]):
            for aid, m in zip(page["ids"], page["metadatas"], strict=True):
                records[aid] = dict(m or {})
        self.records = records
        self.changes += 1
        self._seen = state
        self.last_sync = time.monotonic()

    def put(self, records: Mapping[str, dict[str, Any]]) -> None:
        """Records just committed to Chroma by this process."""
        self.records.update(records)
        self.changes += 1

    def drop(self, article_id: str) -> None:
        self.records.pop(article_id, None)
        self.changes += 1

    def bump_generation(self) -> None:
        """After an own write: stamp Chroma for other processes."""
        self._collections.bump_generation()
        self._seen = None  # our own write: the next refresh re-reads cheaply anyway

    # -- views --------------------------------------------------------------------------------

    def versions(self) -> dict[str, str]:
        """article id -> current content version (hash)."""
        return {aid: str(m.get("content_hash", "")) for aid, m in self.records.items()}

    def content_hash(self, article_id: str) -> str | None:
        meta = self.records.get(article_id)
        return None if meta is None else str(meta.get("content_hash", ""))

    def chunk_count(self) -> int:
        return sum(int(m.get("chunks", 0)) for m in self.records.values())

    def signatures(self) -> dict[str, str]:
        """article id -> MinHash signature, to rebuild the deduplicator."""
        return {aid: str(m["minhash"]) for aid, m in self.records.items() if m.get("minhash")}

    def summaries(self, wanted: Filters, limit: int | None, offset: int) -> list[dict[str, Any]]:
        """Summaries of the articles `wanted` admits, newest published first (undated last), then by id."""
        wanted.ts_range()  # a bad date is an error even when no article is stored
        rows = []
        for aid, m in list(self.records.items()):
            ts = int(m.get("published_ts", 0))
            if wanted.admits(m.get("source"), ts):
                rows.append((aid, m, ts))
        rows.sort(key=lambda r: (-r[2], r[0]))
        end = None if limit is None else offset + limit
        return [article_summary(aid, m) for aid, m, _ in rows[offset:end]]

    def stats(self) -> dict[str, Any]:
        sources: dict[str, int] = {}
        dates = []
        for m in list(self.records.values()):
            sources[m.get("source", "")] = sources.get(m.get("source", ""), 0) + 1
            if m.get("published"):
                dates.append(str(m["published"])[:10])
        return {
            "articles": len(self.records),
            "chunks": self.chunk_count(),
            "sources": dict(sorted(sources.items())),
            "published_min": min(dates) if dates else None,
            "published_max": max(dates) if dates else None,
        }

    def chunks_passing(self, filters: Filters | None) -> ChunkCounts:
        """Chunks that pass `filters` and all chunks, from per-article counts (vectorised: every query)."""
        table = self._table()
        total = int(table.chunks.sum())
        if filters is None or total == 0:
            return ChunkCounts(total, total)
        mask = np.ones(len(table.chunks), dtype=bool)
        if filters.sources:
            mask &= np.isin(table.sources, list(filters.sources))
        first, last = filters.ts_range()
        if first is not None:
            mask &= table.published_ts >= first
        if last is not None:
            mask &= table.published_ts <= last
        return ChunkCounts(int(table.chunks[mask].sum()), total)

    def _table(self) -> FilterTable:
        if self._filter_table is None or self._filter_table.changes != self.changes:
            rows = list(self.records.values())
            self._filter_table = FilterTable(
                self.changes,
                np.array([int(m.get("chunks", 0) or 0) for m in rows], dtype=np.int64),
                np.array([int(m.get("published_ts", 0) or 0) for m in rows], dtype=np.int64),
                np.array([str(m.get("source", "")) for m in rows], dtype=object),
            )
        return self._filter_table
