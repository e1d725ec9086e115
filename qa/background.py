"""Index a corpus on a background thread while the server already answers, and say how far it got.

`newsqa serve --demo-if-empty` uses it so the port opens at once on the first start; `/readyz` and
the chat page read `progress()`.

    indexing = BackgroundIndexing(ingestor, lambda: list(load_items(["data/demo"])), batch_size=20)
    indexing.start()
    indexing.progress()   # {"running": True, "done": 40, "total": 200, "failed": 0, "error": None}
"""

from __future__ import annotations

import logging
import threading
from collections.abc import Callable, Sequence
from typing import Any

from newsqa.protocols import IngestorLike
from newsqa.types import Article, IngestFailure

log = logging.getLogger(__name__)


class BackgroundIndexing:
    """Loads the articles, then ingests them `batch_size` at a time on one daemon thread.

    Each batch is committed before the next starts, so questions asked meanwhile are answered
    from what is indexed so far.
    """

    def __init__(
        self,
        ingestor: IngestorLike,
        load: Callable[[], Sequence[Article | IngestFailure]],
        *,
        batch_size: int,
        label: str = "articles",
    ) -> None:
        if batch_size < 1:
            raise ValueError(f"batch_size must be at least 1, not {batch_size}")
        self.ingestor = ingestor
        self.load = load
        self.batch_size = batch_size
        self.label = label
        self._lock = threading.Lock()
        self._state: dict[str, Any] = {"running": False, "done": 0, "total": None, "failed": 0, "error": None}
        self._thread: threading.Thread | None = None

    def start(self) -> BackgroundIndexing:
        with self._lock:
            self._state["running"] = True
        self._thread = threading.Thread(target=self._run, name="newsqa-background-index", daemon=True)
        self._thread.start()
        return self

    def wait(self, timeout_s: float | None = None) -> bool:
        """Block until the thread ends (or `timeout_s` passes); True when it has ended."""
        if self._thread is not None:
            self._thread.join(timeout_s)
        return not self.progress()["running"]

    def progress(self) -> dict[str, Any]:
        """{"running", "done", "total" (None while loading), "failed", "error", "label"}: a copy."""
        with self._lock:
            return {**self._state, "label": self.label}

    def _update(self, **changes: Any) -> None:
        with self._lock:
            self._state.update(changes)

    def _run(self) -> None:
        try:
            articles = list(self.load())
            self._update(total=len(articles))
            for start in range(0, len(articles), self.batch_size):
                batch = articles[start : start + self.batch_size]
                summary = self.ingestor.ingest_articles(batch)
                with self._lock:
                    self._state["done"] += len(batch)
                    self._state["failed"] += len(summary.failed)
        except Exception as exc:  # the server keeps serving what was indexed; readyz and the page say why
            log.exception("background indexing of %s stopped", self.label)
            self._update(error=f"{type(exc).__name__}: {exc}")
        finally:
            self._update(running=False)
