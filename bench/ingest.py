"""Ingest throughput against its ceiling: the embedding model alone on the very same chunk texts.

Usage:
    bench = IngestBenchmark(settings, progress=Progress())
    result = bench.run(raw_articles, backend="torch", data_dir=work / "idx-100")
    result["chunks_per_s"], result["encode_chunks_per_s"], result["ratio_to_encode"]

The ingest side is the product's configuration (`build_embedder`: an empty embedding cache in the
data dir, `build_ingestor` with its embedding child process loaded, reprint detection on) timed from
the raw JSON objects (cleaning included) to the committed store. The ceiling is
`Embedder.embed_texts` with the cache disabled, on the chunk texts ingest wrote, with the same batch
size, after a warm-up call. Both run in the same process one after the other, so the ratio sees the
same machine load.
"""

from __future__ import annotations

import shutil
import time
from collections.abc import Iterator, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from bench.corpus import iter_articles
from bench.indexes import index_settings
from bench.measure import Progress, per_second, ratio
from newsqa.settings import Settings
from newsqa.types import Article, IngestFailure

_WARM_UP_TEXT = "The benchmark warms the model up before timing it."


@dataclass
class _IngestRun:
    summary: Any
    seconds: float
    embedder: Any
    ingestor: Any
    seen: list[Article]
    settings: Settings


class IngestBenchmark:
    """One ingest-vs-encode measurement per call to `run`."""

    def __init__(self, settings: Settings, progress: Progress | None = None) -> None:
        self.settings = settings
        self.progress = progress or Progress(enabled=False)
        # The chunk texts of the last `run` (what the ceiling encoded).
        self.last_texts: list[str] = []

    def run(
        self, raw: Sequence[dict[str, Any]], *, backend: str, data_dir: Path, repeats: int = 1
    ) -> dict[str, Any]:
        """Ingest then encode alone, `repeats` times in turn; the best time of each counts.

        Alternating the two and keeping each one's best run is what makes the ratio stable on a
        shared machine: a burst of load from elsewhere slows one run, not the comparison.
        """
        ingest_runs: list[float] = []
        encode_runs: list[float] = []
        for round_ in range(repeats):
            once = self._ingest_once(raw, backend, data_dir, round_)
            summary, embedder, ingestor, isettings = once.summary, once.embedder, once.ingestor, once.settings
            ingest_runs.append(once.seconds)
            written = {item["id"] for item in summary.items if item.get("status") in ("added", "updated")}
            texts = [c.text for a in once.seen if a.id in written for c in ingestor.chunker.chunk(a)]
            self.progress.say(
                f"ingest [{backend}]: {summary.chunks} chunks in {once.seconds:.1f} s; now encode alone (ceiling)"
            )
            encode_runs.append(self._encode_seconds(isettings, backend, texts))
        tokens = sum(embedder.count_tokens_batch(texts)) if texts else 0
        ingest_s, encode_s = min(ingest_runs), min(encode_runs)
        chunks_per_s = per_second(summary.chunks, ingest_s)
        encode_chunks_per_s = per_second(len(texts), encode_s)
        result = {
            "backend": backend,
            "model_id": embedder.model_id,
            "batch_size": embedder.batch_size,
            "articles_in": len(raw),
            "articles_written": len(written),
            "duplicates": summary.duplicates,
            "failed": len(summary.failed),
            "chunks": summary.chunks,
            "tokens": tokens,
            "ingest_s": round(ingest_s, 3),
            "articles_per_s": per_second(len(raw), ingest_s),
            "chunks_per_s": chunks_per_s,
            "tokens_per_s": per_second(tokens, ingest_s),
            "encode_chunks": len(texts),
            "encode_s": round(encode_s, 3),
            "encode_chunks_per_s": encode_chunks_per_s,
            "encode_tokens_per_s": per_second(tokens, encode_s),
            "ratio_to_encode": ratio(chunks_per_s, encode_chunks_per_s),
            "data_dir": str(data_dir),
            "repeats": repeats,
            "ingest_s_runs": [round(t, 3) for t in ingest_runs],
            "encode_s_runs": [round(t, 3) for t in encode_runs],
        }
        self.progress.say(
            f"ingest [{backend}]: {chunks_per_s} chunks/s vs encode {encode_chunks_per_s} chunks/s "
            f"-> ratio {result['ratio_to_encode']}"
        )
        self.last_texts = texts
        return result

    def _ingest_once(
        self, raw: Sequence[dict[str, Any]], backend: str, data_dir: Path, round_: int
    ) -> _IngestRun:
        """One ingest from an empty data dir (empty embedding cache included).

        Round n > 0 writes beside `data_dir`: Chroma keeps a client per path for the life of the
        process, so a folder cannot be deleted and re-created under the same name.
        """
        from index.pipeline import build_embedder, build_ingestor

        if round_ > 0:
            data_dir = data_dir.with_name(f"{data_dir.name}-round{round_ + 1}")
        if data_dir.exists():
            shutil.rmtree(data_dir)
        data_dir.mkdir(parents=True)
        isettings = index_settings(self.settings, data_dir, embedding_backend=backend)
        embedder = build_embedder(isettings)
        embedder.embed_query(_WARM_UP_TEXT)
        ingestor = build_ingestor(isettings, embedder=embedder)
        ingestor.wait_ready()  # its model copy loaded, as the embedder's own was above
        seen: list[Article] = []
        self.progress.say(f"ingest [{backend}] round {round_ + 1}: {len(raw)} articles into {data_dir}")
        started = time.perf_counter()
        summary = ingestor.ingest_articles(_recording(iter_articles(raw), seen), detect_reprints=True)
        seconds = time.perf_counter() - started
        ingestor.close()
        return _IngestRun(summary, seconds, embedder, ingestor, seen, isettings)

    def _encode_seconds(self, isettings: Settings, backend: str, texts: list[str]) -> float:
        from index.embedder import Embedder

        ceiling = Embedder(
            model_path=isettings.embedding_model,
            backend=backend,  # type: ignore[arg-type]
            batch_size=isettings.embedding_batch_size,
            cache_dir=None,
            export_dir=isettings.onnx_export_dir,
        )
        ceiling.embed_texts([_WARM_UP_TEXT])
        started = time.perf_counter()
        ceiling.embed_texts(texts)
        return time.perf_counter() - started


def copy_cached_vectors(source_dir: Path, target_dir: Path, texts: list[str], model_id: str, dim: int) -> int:
    """Copy the cached vectors of `texts` from one embedding cache folder to another; returns the count.

    The ingest benchmark needs an empty cache to be honest; the later index builds then start from
    what it already encoded instead of encoding the same chunks again.
    """
    from index.embedder import EmbeddingCache

    source = EmbeddingCache(Path(source_dir) / "embeddings.sqlite", model_id, dim)
    target = EmbeddingCache(Path(target_dir) / "embeddings.sqlite", model_id, dim)
    try:
        found = source.get_many(list(dict.fromkeys(source.key(t) for t in texts)))
        if found:
            target.put_many(found)
        return len(found)
    finally:
        source.close()
        target.close()


def _recording(
    entries: Iterator[Article | IngestFailure], seen: list[Article]
) -> Iterator[Article | IngestFailure]:
    for entry in entries:
        if isinstance(entry, Article):
            seen.append(entry)
        yield entry
