"""The budget of one write request: unpacked bytes, JSONL lines and entries the loaders may read.

`ArticleLoader(limits=...)` counts everything it reads into one `IngestBudget`; past a limit the
whole request is refused (`LimitExceeded`, HTTP 413) rather than one item failing, so a small
upload that unpacks to gigabytes stops as soon as the bound is passed.
"""

from __future__ import annotations

from newsqa.errors import LimitExceeded
from newsqa.types import IngestLimits


class IngestBudget:
    """What one loader may still read under its `IngestLimits` (None: no limits); `take_*` raise
    LimitExceeded naming the limit once it is passed.

        budget = IngestBudget(IngestLimits(max_unpacked_bytes=10, max_lines=5, max_entries=2))
        budget.take_bytes(8); budget.bytes_left()   # 2
        budget.take_bytes(3)                        # LimitExceeded: "more than 10 bytes unpacked ..."
    """

    def __init__(self, limits: IngestLimits | None) -> None:
        self.limits = limits
        self.bytes = self.lines = self.entries = 0

    def bytes_left(self) -> int | None:
        return None if self.limits is None else max(0, self.limits.max_unpacked_bytes - self.bytes)

    def take_bytes(self, n: int) -> None:
        self.bytes += n
        if self.limits and self.bytes > self.limits.max_unpacked_bytes:
            self._refuse(f"more than {self.limits.max_unpacked_bytes:,} bytes unpacked", "UNPACKED_BYTES")

    def take_line(self) -> None:
        self.lines += 1
        if self.limits and self.lines > self.limits.max_lines:
            self._refuse(f"more than {self.limits.max_lines:,} JSONL lines", "LINES")

    def take_entry(self) -> None:
        self.entries += 1
        if self.limits and self.entries > self.limits.max_entries:
            self._refuse(f"more than {self.limits.max_entries:,} articles and failed items", "ARTICLES")

    @staticmethod
    def _refuse(what: str, setting: str) -> None:
        raise LimitExceeded(
            f"the request holds {what}, over the per-request limit (NEWSQA_INGEST_MAX_{setting}); "
            "nothing was ingested: split it into smaller requests or use `newsqa ingest`"
        )
