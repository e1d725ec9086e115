"""The isolated, cached index of one eval articles file (`EvalIndex`), keyed by the file and the
settings that change what an index holds.

Usage:
    index = EvalIndex(settings, Path("eval/datasets/realtimeqa-2022/articles.jsonl.gz"))
    info = index.ensure(list(evalset.articles.values()))   # builds once, then reuses
    settings_for_the_index = index.settings
"""

from __future__ import annotations

import datetime as dt
import hashlib
import json
import math
import shutil
import sys
import time
from collections.abc import Iterator, Sequence
from pathlib import Path
from typing import Any

from eval.evalsets import EvalArticle
from newsqa.errors import NewsQAError
from newsqa.settings import Settings
from newsqa.types import Article, IngestFailure


def index_key(articles_bytes: bytes, settings: Settings) -> str:
    """sha256 of the articles file and every setting that changes what the index holds."""
    digest = hashlib.sha256(articles_bytes)
    fingerprint = {
        "embedding_model": settings.embedding_model or "default",
        "embedding_backend": settings.embedding_backend,
        "chunk_tokens": settings.chunk_tokens,
        "chunk_overlap_tokens": settings.chunk_overlap_tokens,
    }
    digest.update(json.dumps(fingerprint, sort_keys=True).encode("utf-8"))
    return digest.hexdigest()[:16]


def to_article(item: EvalArticle) -> Article:
    """An eval-file article through the same loader (and cleaning) users' JSONL goes through."""
    from index.loaders import make_article

    return make_article(
        item.text,
        title=item.title or None,
        url=item.url,
        source=item.source or None,
        published=item.published,
        id=item.id,
        clean=True,
    )


class EvalIndex:
    """The isolated, cached index of one eval articles file.

    Reprint detection is off when building it: eval sets (RealTime QA's search results especially)
    hold near-identical wire copies under different ids, and each id can be a labelled relevant
    article. Linking a reprint to its first copy would drop that id from the store and score a
    correct retrieval as a miss.
    """

    marker_name = "index.json"

    def __init__(self, settings: Settings, articles_path: Path) -> None:
        self.articles_path = Path(articles_path)
        self.key = index_key(self.articles_path.read_bytes(), settings)
        self.path = Path(settings.data_dir) / "eval" / self.key
        # An embedded store under the eval folder, whatever server the user's own index uses.
        self.settings = settings.model_copy(update={"data_dir": self.path, "chroma_url": None})

    @property
    def marker(self) -> Path:
        return self.path / self.marker_name

    def is_complete(self) -> bool:
        return self.marker.is_file()

    def ensure(self, articles: Sequence[EvalArticle], *, progress: bool = False) -> dict[str, Any]:
        """Build the index unless a complete one exists; returns the marker's contents. Two evals of
        the same articles at once take turns (a lock beside the index): the second reuses the first's
        build instead of wiping it as "a build that did not finish"."""
        from index.lock import DataDirLock

        notice = (lambda message: print(message, file=sys.stderr)) if progress else None
        turn = DataDirLock(
            self.path.parent,
            math.inf,
            name=f"{self.key}.lock",
            busy="another eval is building this index",
            on_wait=notice,
        )
        with turn:
            return self._ensure_locked(articles, progress=progress)

    def _ensure_locked(self, articles: Sequence[EvalArticle], *, progress: bool) -> dict[str, Any]:
        if self.is_complete():
            info = json.loads(self.marker.read_text(encoding="utf-8"))
            info["reused"] = True
            return info
        from index.pipeline import build_ingestor

        if self.path.exists():
            shutil.rmtree(self.path)  # a build that did not finish: start clean
        self.path.mkdir(parents=True)
        started = time.perf_counter()
        ingestor = build_ingestor(self.settings)
        summary = ingestor.ingest_articles(self._loaded(articles), progress=progress, detect_reprints=False)
        info = {
            "key": self.key,
            "path": str(self.path),
            "articles_file": str(self.articles_path),
            "articles": len(articles),
            "added": summary.added + summary.updated + summary.unchanged,
            "chunks": summary.chunks,
            "failed": [{"item": f.item, "error": f.error} for f in summary.failed],
            "seconds": round(time.perf_counter() - started, 3),
            "built_at": dt.datetime.now(dt.UTC).isoformat(timespec="seconds"),
        }
        self.marker.write_text(json.dumps(info, indent=2), encoding="utf-8")
        info["reused"] = False
        return info

    @staticmethod
    def _loaded(articles: Sequence[EvalArticle]) -> Iterator[Article | IngestFailure]:
        for item in articles:
            try:
                yield to_article(item)
            except NewsQAError as exc:
                yield IngestFailure(item=item.id, error=exc.message)
