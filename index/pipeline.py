"""Ingestion: load -> dedup -> chunk -> embed -> write, each article all-or-nothing, under a lock.

Usage:
    ingestor = build_ingestor(settings)
    summary = ingestor.ingest(["articles.jsonl", "https://example.com/feed.xml"], progress=True)
    summary.to_dict()        # {"added": 3, "updated": 0, "unchanged": 1, "duplicates": 1, ...}

Chunks of several articles are embedded together (one call per ~`embed_batch_chunks` chunks,
sorted by length inside the embedder), on a worker thread while the next articles are chunked and
the previous batch is written; in a large ingest the worker hands them to a copy of the model in a
child process (index/encoder_process.py), which Chroma's GIL-holding writes cannot stall. Each article is committed all-or-nothing (its record is written after
its chunks; see index/store.py), so a failure or a crash costs at most the articles not yet
committed. The `build_*` factories are the only place in `index/` that reads `Settings`.
"""

from __future__ import annotations

import logging
import sys
import time
from collections.abc import Callable, Iterable
from concurrent.futures import Future, ThreadPoolExecutor
from dataclasses import dataclass, field
from datetime import UTC, datetime
from typing import TYPE_CHECKING, Any

import numpy as np

from index.chunker import SentenceChunker, content_version
from index.embedder import Embedder
from index.encoder_process import EncoderProcess
from index.lock import DataDirLock
from index.store import ArticleStore, ArticleWrite
from newsqa.errors import InvalidInput
from newsqa.types import Article, Chunk, IngestFailure, IngestLimits, IngestSummary

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
    """Writes articles into an `ArticleStore`, skipping unchanged ones and linking reprints.

    A write waits up to `lock_timeout_s` for the data dir's write lock (`math.inf`: its turn,
    however long), telling `on_lock_wait(message)` while it waits, then raises IndexBusy.
    """

    def __init__(
        self,
        store: ArticleStore,
        embedder: Any,
        chunker: SentenceChunker,
        deduplicator: Deduplicator,
        fetcher: Fetcher | None = None,
        lock_timeout_s: float = 30.0,
        embed_batch_chunks: int = 512,
        overlap_embedding: bool = True,
        encoder_process: bool = False,
        on_lock_wait: Callable[[str], None] | None = None,
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
        self.on_lock_wait = on_lock_wait
        self.embed_batch_chunks = embed_batch_chunks
        self.overlap_embedding = overlap_embedding
        self._dedup_ids: set[str] = set()
        # A child process embeds the batches of large ingests (see `start_encoder`, `_Run.flush`).
        self._encoder_wanted = encoder_process and isinstance(embedder, Embedder)
        self._encoder: EncoderProcess | None = None

    def start_encoder(self) -> None:
        """Start loading the model in the embedding child process (once; only if configured)."""
        if self._encoder_wanted and self._encoder is None:
            self._encoder = EncoderProcess.for_embedder(self.embedder)

    def wait_ready(self) -> None:
        """Start the embedding child process (if configured) and block until its model is loaded."""
        self.start_encoder()
        if self._encoder is not None:
            self._encoder.wait_ready()

    def close(self) -> None:
        """Stop the embedding child process, if any."""
        if self._encoder is not None:
            self._encoder.close()
            self._encoder = None

    def embed(self, texts: list[str]) -> np.ndarray:
        """Vectors of chunk texts: the cache here, the model in the child process when it is ready."""
        encoder = self._encoder
        if encoder is not None and encoder.ready():
            return self.embedder.embed_texts(texts, encode=encoder.encode)
        return self.embedder.embed_texts(texts)

    def ingest(
        self, items: Iterable[str], *, progress: bool = False, limits: IngestLimits | None = None
    ) -> IngestSummary:
        """Ingest files, folders, JSON/JSONL, HTML, URLs or feeds (see index.loaders).

        With `limits` (one API request's budget) every item is read before the write lock is
        taken, so a request past a limit raises `LimitExceeded` having written nothing; without,
        articles stream into the store as they are read (a large CLI ingest).

        Any path on this machine is read: entry points serving remote clients screen their items
        first with `qa.ingest_policy.IngestPolicy`.
        """
        from index.loaders import load_items

        entries = load_items(items, self.fetcher, limits=limits)
        return self.ingest_articles(entries if limits is None else list(entries), progress=progress)

    def ingest_articles(
        self,
        articles: Iterable[Article | IngestFailure],
        *,
        progress: bool = False,
        detect_reprints: bool = True,
    ) -> IngestSummary:
        started = time.perf_counter()
        summary = IngestSummary()
        lock = DataDirLock(self.store.data_dir, self.lock_timeout_s, on_wait=self.on_lock_wait)
        with lock, self.store.batch():
            self.store.refresh()  # another process may have written since the store was opened
            self.store.repair()
            self._sync_deduplicator()
            with _Run(self, summary, detect_reprints) as run:
                for entry in _progress(articles, progress):
                    run.take(entry)
                run.drain()
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
    """The state of one ingest run: articles chunked but not yet embedded, and one batch embedding.

    With `overlap_embedding`, a batch is embedded on a worker thread while this thread cleans,
    deduplicates and chunks the next articles and writes the batch before: the model runs in
    native code without the GIL, so the two cores stay busy with the model instead of idling
    through the Python parts. Writes stay on this thread, in order, one batch at a time.
    """

    def __init__(self, ingestor: Ingestor, summary: IngestSummary, detect_reprints: bool) -> None:
        self.ing = ingestor
        self.summary = summary
        self.detect_reprints = detect_reprints
        self.pending: dict[str, _Pending] = {}
        self.in_flight: tuple[list[_Pending], Future[np.ndarray]] | None = None
        self._pool = (
            ThreadPoolExecutor(max_workers=1, thread_name_prefix="newsqa-embed")
            if ingestor.overlap_embedding
            else None
        )

    def __enter__(self) -> _Run:
        return self

    def __exit__(self, *exc: object) -> None:
        if self._pool is not None:
            self._pool.shutdown(wait=True, cancel_futures=True)

    def _queued(self, article_id: str) -> bool:
        in_flight = self.in_flight[0] if self.in_flight else []
        return article_id in self.pending or any(p.article.id == article_id for p in in_flight)

    def take(self, entry: Article | IngestFailure) -> None:
        if isinstance(entry, IngestFailure):
            self.summary.failed.append(entry)
            self.summary.items.append({"id": None, "title": None, "status": "failed", "item": entry.item})
            return
        if self._queued(entry.id):  # the same id twice in one run: write the first one first
            self.drain()
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
        if self._queued(original_id):
            self.drain()
        reprint = {"id": article.id, "source": article.source, "url": article.url, "title": article.title}
        self.ing.store.add_reprint(original_id, reprint)
        item["status"] = "duplicate"
        item["duplicate_of"] = original_id
        self.summary.duplicates += 1

    def flush(self) -> None:
        """Start embedding the pending articles; write the batch embedded before meanwhile."""
        if not self.pending:
            return
        batch, self.pending = list(self.pending.values()), {}
        texts = [c.text for p in batch for c in p.chunks]
        if len(texts) >= self.ing.embed_batch_chunks:
            # A large ingest: worth a second copy of the model (this batch is embedded here
            # while it loads). Small ones (one upload, a test's few articles) never start it.
            self.ing.start_encoder()
        if self._pool is None:
            self._collect(batch, _done(self.ing.embed, texts))
            return
        previous, self.in_flight = (self.in_flight, (batch, self._pool.submit(self.ing.embed, texts)))
        if previous is not None:
            self._collect(*previous)

    def drain(self) -> None:
        """Embed and write everything taken so far."""
        self.flush()
        if self.in_flight is not None:
            previous, self.in_flight = self.in_flight, None
            self._collect(*previous)

    def _collect(self, batch: list[_Pending], embedding: Future[np.ndarray]) -> None:
        """Commit the articles of an embedded batch in a few store calls."""
        try:
            vectors = embedding.result()
        except Exception as exc:
            for p in batch:
                self._fail(p.article, p.item, exc)
            return
        writes: list[tuple[_Pending, ArticleWrite]] = []
        offset = 0
        for p in batch:
            rows = np.asarray(vectors[offset : offset + len(p.chunks)])
            writes.append((p, ArticleWrite(p.article, p.chunks, rows, p.signature)))
            offset += len(p.chunks)
        try:
            self.ing.store.write_articles([w for _, w in writes])
        except Exception:  # an invalid article or a store error: each on its own, so the others land
            logger.warning("batched write of %d articles failed; writing them one by one", len(writes))
            for p, write in writes:
                try:
                    self.ing.store.write_articles([write])
                except Exception as exc:
                    self._fail(p.article, p.item, exc)
                    continue
                self._written(p)
            return
        for p, _ in writes:
            self._written(p)

    def _written(self, p: _Pending) -> None:
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


def _done(fn: Any, *args: Any) -> Future[Any]:
    """`fn(*args)` run here, as a finished Future (so both paths of `_Run.flush` collect alike)."""
    future: Future[Any] = Future()
    try:
        future.set_result(fn(*args))
    except Exception as exc:
        future.set_exception(exc)
    return future


def _progress(articles: Iterable[Article | IngestFailure], show: bool) -> Iterable[Article | IngestFailure]:
    if not show:
        return articles
    from tqdm import tqdm

    return tqdm(articles, desc="ingest", unit="article", file=sys.stderr)


# -- factories: the only place in index/ that reads Settings ----------------------------------


def build_embedder(settings: Settings) -> Embedder:
    return Embedder(
        model_path=settings.embedding_model,
        backend=settings.embedding_backend,
        batch_size=settings.embedding_batch_size,
        cache_dir=settings.data_dir / "cache",
        export_dir=settings.onnx_export_dir,
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
    settings: Settings,
    embedder: Any | None = None,
    store: ArticleStore | None = None,
    encoder_process: bool | None = None,
    lock_timeout_s: float | None = None,
    on_lock_wait: Callable[[str], None] | None = None,
) -> Ingestor:
    """An `Ingestor` from settings; pass `embedder`/`store` to share ones already loaded.

    `encoder_process` (default: `settings.ingest_encoder_process`) runs the model for ingest
    batches in a child process (see index.encoder_process). `lock_timeout_s` (default:
    `settings.write_lock_wait_s`) bounds the wait for the write lock; see `Ingestor`.
    """
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
        encoder_process=settings.ingest_encoder_process if encoder_process is None else encoder_process,
        lock_timeout_s=settings.write_lock_wait_s if lock_timeout_s is None else lock_timeout_s,
        on_lock_wait=on_lock_wait,
    )
