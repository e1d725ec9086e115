"""The benchmark's indexes: built by the ingestion code users run, each in its own data dir.

Usage:
    isettings = index_settings(settings, work_dir / "idx-4886")
    info = build_index(isettings, embedder, articles, key={"corpus": ..., "n": 4886}, detect_reprints=True)
    info["articles"], info["chunks"], info["seconds"], info["reused"]

A finished build leaves `bench-index.json` holding its key; a later run with the same key reuses the
index instead of rebuilding it (the ingest benchmark itself never reuses: it always starts empty).
"""

from __future__ import annotations

import json
import shutil
import time
from collections.abc import Iterable
from pathlib import Path
from typing import Any

from newsqa.settings import Settings
from newsqa.types import Article, IngestFailure

MARKER = "bench-index.json"


def index_settings(settings: Settings, data_dir: Path, **overrides: Any) -> Settings:
    """`settings` pointed at an embedded store in `data_dir` (never the user's own index or server)."""
    return settings.model_copy(update={"data_dir": Path(data_dir), "chroma_url": None, **overrides})


def settings_fingerprint(settings: Settings) -> dict[str, Any]:
    """Every setting that changes what an index holds."""
    return {
        "embedding_model": settings.embedding_model or "default",
        "embedding_backend": settings.embedding_backend,
        "chunk_tokens": settings.chunk_tokens,
        "chunk_overlap_tokens": settings.chunk_overlap_tokens,
        "duplicate_threshold": settings.duplicate_threshold,
        "collection": settings.collection,
    }


def reusable(data_dir: Path, key: dict[str, Any]) -> dict[str, Any] | None:
    marker = Path(data_dir) / MARKER
    if not marker.is_file():
        return None
    info = json.loads(marker.read_text(encoding="utf-8"))
    return info if info.get("key") == key else None


def build_index(
    isettings: Settings,
    embedder: Any,
    articles: Iterable[Article | IngestFailure],
    *,
    key: dict[str, Any],
    detect_reprints: bool,
    progress: bool = False,
) -> dict[str, Any]:
    """Ingest `articles` into a fresh index at isettings.data_dir, or reuse the one built with `key`."""
    from index.pipeline import build_ingestor

    data_dir = Path(isettings.data_dir)
    found = reusable(data_dir, key)
    if found is not None:
        return {**found, "reused": True}
    if data_dir.exists():
        shutil.rmtree(data_dir)
    data_dir.mkdir(parents=True)
    ingestor = build_ingestor(isettings, embedder=embedder)
    started = time.perf_counter()
    summary = ingestor.ingest_articles(articles, progress=progress, detect_reprints=detect_reprints)
    seconds = time.perf_counter() - started
    stats = ingestor.store.stats()
    info = {
        "key": key,
        "path": str(data_dir),
        "articles": stats["articles"],
        "chunks": stats["chunks"],
        "duplicates": summary.duplicates,
        "failed": len(summary.failed),
        "seconds": round(seconds, 2),
        "chunks_per_s": round(summary.chunks / seconds, 2) if seconds > 0 else None,
    }
    (data_dir / MARKER).write_text(json.dumps(info, indent=2), encoding="utf-8")
    return {**info, "reused": False}
