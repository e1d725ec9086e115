"""Ingestion: load -> dedup -> chunk -> embed -> write, each article all-or-nothing, under a lock.

Usage:
    ingestor = build_ingestor(settings)
    summary = ingestor.ingest(["articles.jsonl", "https://example.com/feed.xml"], progress=True)
    summary.to_dict()        # {"added": 3, "updated": 0, "unchanged": 1, "duplicates": 1, ...}

Chunks of several articles are embedded together (one call per ~`embed_batch_chunks` chunks,
sorted by length inside the embedder); each article is then written on its own, so a failure
or a crash costs at most the articles not yet committed. The `build_*` factories are the only
place in `index/` that reads `Settings`.
"""

from __future__ import annotations

import logging
import sys
import time
from collections.abc import Iterable
from dataclasses import dataclass, field
from datetime import UTC, datetime
from pathlib import Path
from typing import TYPE_CHECKING, Any

import numpy as np

from index.chunker import SentenceChunker, content_version
from index.embedder import Embedder
from index.lock import DataDirLock
from index.store import ArticleStore
from newsqa.errors import InvalidInput
from newsqa.types import Article, Chunk, IngestFailure, IngestSummary

if TYPE_CHECKING:
    from index.dedup import Deduplicator
    from index.fetch import Fetcher
    from newsqa.settings import Settings

logger = logging.getLogger(__name__)


@dataclass
class _Pending:
    article: Article
    chunks: list[Chunk]
    signature: str
    status: str  # "added" or "updated"
    item: dict[str, Any] = field(default_factory=dict)


class Ingestor:
    """Writes articles into an `ArticleStore`, skipping unchanged ones and linking reprints."""

    def __init__(
        self,
        store: ArticleStore,
        embedder: Any,
        chunker: SentenceChunker,
        deduplicator: Deduplicator,
        fetcher: Fetcher | None = None,
        lock_timeout_s: float = 30.0,
        embed_batch_chunks: int = 256,
    ) -> None:
        if embedder.dim != store.dim:
            raise InvalidInput(f"embedder makes {embedder.dim}-d vectors but the store holds {store.dim}-d")
        if embed_batch_chunks < 1:
            raise InvalidInput(f"embed_batch_chunks must be >= 1, got {embed_batch_chunks}")
        self.store = store
        self.embedder = embedder
        self.chunker = chunker
        self.deduplicator = deduplicator
        self.fetcher = fetcher
        self.lock_timeout_s = lock_timeout_s
        self.embed_batch_chunks = embed_batch_chunks
        self._dedup_ids: set[str] = set()

    def ingest(self, items: Iterable[str], *, progress: bool = False) -> IngestSummary:
        """Ingest files, folders, JSON/JSONL, HTML, URLs or feeds (see index.loaders)."""
        from index.loaders import load_items

        return self.ingest_articles(load_items(items, self.fetcher), progress=progress)

    def ingest_articles(
        self,
        articles: Iterable[Article | IngestFailure],
        *,
        progress: bool = False,
        detect_reprints: bool = True,
    ) -> IngestSummary:
        started = time.perf_counter()
        summary = IngestSummary()
        with DataDirLock(self.store.data_dir, self.lock_timeout_s), self.store.batch():
            self.store.refresh()  # another process may have written since the store was opened
            self.store.repair()
            self._sync_deduplicator()
            run = _Run(self, summary, detect_reprints)
            for entry in _progress(articles, progress):
                run.take(entry)
            run.flush()
        summary.seconds = time.perf_counter() - started
        return summary

    def _sync_deduplicator(self) -> None:
        signatures = self.store.signatures()
        for aid in self._dedup_ids - set(signatures):
            self.deduplicator.remove(aid)
        for aid, sig in signatures.items():
            self.deduplicator.add(aid, sig)
        self._dedup_ids = set(signatures)


class _Run:
    """The state of one ingest run: the articles chunked but not yet embedded and written."""

    def __init__(self, ingestor: Ingestor, summary: IngestSummary, detect_reprints: bool) -> None:
        self.ing = ingestor
        self.summary = summary
        self.detect_reprints = detect_reprints
        self.pending: dict[str, _Pending] = {}

    def take(self, entry: Article | IngestFailure) -> None:
        if isinstance(entry, IngestFailure):
            self.summary.failed.append(entry)
            self.summary.items.append({"id": None, "title": None, "status": "failed", "item": entry.item})
            return
        if entry.id in self.pending:  # the same id twice in one run: write the first one first
            self.flush()
        item: dict[str, Any] = {"id": entry.id, "title": entry.title, "status": ""}
        self.summary.items.append(item)
        try:
            self._take_article(entry, item)
        except Exception as exc:  # one bad article must not stop the batch
            self._fail(entry, item, exc)

    def _take_article(self, article: Article, item: dict[str, Any]) -> None:
        ing, store = self.ing, self.ing.store
        if not article.content_hash:
            article.content_hash = content_version(article)
        stored = store.has_article(article.id)
        if stored == article.content_hash:
            item["status"] = "unchanged"
            self.summary.unchanged += 1
            return
        signature = ing.deduplicator.signature(article.text)
        if stored is None and self.detect_reprints:
            match = ing.deduplicator.find(signature, exclude_id=article.id)
            if match is not None:
                self._link_reprint(article, match[0], item)
                return
        chunks = ing.chunker.chunk(article)
        if not chunks:
            raise InvalidInput(f"article {article.id!r} has no text to index")
        article.ingested_at = datetime.now(UTC).isoformat(timespec="seconds")
        if stored is not None:
            ing.deduplicator.remove(article.id)
        ing.deduplicator.add(article.id, signature)
        ing._dedup_ids.add(article.id)
        self.pending[article.id] = _Pending(
            article, chunks, signature, "updated" if stored else "added", item
        )
        if sum(len(p.chunks) for p in self.pending.values()) >= ing.embed_batch_chunks:
            self.flush()

    def _link_reprint(self, article: Article, original_id: str, item: dict[str, Any]) -> None:
        if original_id in self.pending:
            self.flush()
        reprint = {"id": article.id, "source": article.source, "url": article.url, "title": article.title}
        self.ing.store.add_reprint(original_id, reprint)
        item["status"] = "duplicate"
        item["duplicate_of"] = original_id
        self.summary.duplicates += 1

    def flush(self) -> None:
        """Embed all pending chunks in one call, then commit each article on its own."""
        if not self.pending:
            return
        batch, self.pending = list(self.pending.values()), {}
        texts = [c.text for p in batch for c in p.chunks]
        try:
            vectors = self.ing.embedder.embed_texts(texts)
        except Exception as exc:
            for p in batch:
                self._fail(p.article, p.item, exc)
            return
        offset = 0
        for p in batch:
            rows = np.asarray(vectors[offset : offset + len(p.chunks)])
            offset += len(p.chunks)
            try:
                self.ing.store.write_article(p.article, p.chunks, rows, signature=p.signature)
            except Exception as exc:
                self._fail(p.article, p.item, exc)
                continue
            p.item["status"] = p.status
            self.summary.chunks += len(p.chunks)
            if p.status == "added":
                self.summary.added += 1
            else:
                self.summary.updated += 1

    def _fail(self, article: Article, item: dict[str, Any], exc: Exception) -> None:
        reason = getattr(exc, "message", None) or f"{type(exc).__name__}: {exc}"
        self.summary.failed.append(IngestFailure(item=article.url or article.id, error=reason))
        item["status"] = "failed"
        if self.ing.store.has_article(article.id) is None:
            self.ing.deduplicator.remove(article.id)
            self.ing._dedup_ids.discard(article.id)


def _progress(articles: Iterable[Article | IngestFailure], show: bool) -> Iterable[Article | IngestFailure]:
    if not show:
        return articles
    from tqdm import tqdm

    return tqdm(articles, desc="ingest", unit="article", file=sys.stderr)


# -- factories: the only place in index/ that reads Settings ----------------------------------


def build_embedder(settings: Settings) -> Embedder:
    backend, onnx_path = settings.embedding_backend, None
    if backend == "onnx" and settings.embedding_model:
        # The bundled int8 ONNX file is the default model's; a custom model needs its own export.
        exported = Path(settings.embedding_model) / "onnx" / "model.onnx"
        if exported.is_file():
            onnx_path = str(exported)
        else:
            logger.warning("no onnx/model.onnx in %s: embedding with torch", settings.embedding_model)
            backend = "torch"
    return Embedder(
        model_path=settings.embedding_model,
        backend=backend,
        onnx_path=onnx_path,
        batch_size=settings.embedding_batch_size,
        cache_dir=settings.data_dir / "cache",
    )


def build_store(settings: Settings, embedder: Any) -> ArticleStore:
    return ArticleStore(
        settings.data_dir,
        embedder.dim,
        chroma_url=settings.chroma_url,
        collection=settings.collection,
        model_id=embedder.model_id,
    )


def build_ingestor(
    settings: Settings, embedder: Any | None = None, store: ArticleStore | None = None
) -> Ingestor:
    """An `Ingestor` from settings; pass `embedder`/`store` to share ones already loaded."""
    from index.dedup import Deduplicator
    from index.fetch import Fetcher

    embedder = embedder if embedder is not None else build_embedder(settings)
    store = store if store is not None else build_store(settings, embedder)
    fetcher = Fetcher(
        allow_private=settings.allow_private_urls,
        timeout_s=settings.fetch_timeout_s,
        max_bytes=settings.fetch_max_bytes,
        max_redirects=settings.fetch_max_redirects,
    )
    return Ingestor(
        store,
        embedder,
        SentenceChunker(embedder, settings.chunk_tokens, settings.chunk_overlap_tokens),
        Deduplicator(threshold=settings.duplicate_threshold),
        fetcher=fetcher,
    )
