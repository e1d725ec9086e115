"""What each entry point may hand to `Ingestor.ingest`: one policy object per entry point.

The Ingestor reads whatever it is given (files, folders, URLs), which is right for the command
line and wrong for anything a remote client controls. Every entry point screens its items here
first: refused items become failures that name the item and the reason, and the rest still go in.

| entry point | local files and folders | uploaded files | http(s) URLs |
|---|---|---|---|
| `IngestPolicy.command_line()` | yes | - | yes |
| `IngestPolicy.http_api(spool_folder)` | no | files in the request's own spool folder | yes |
| `IngestPolicy.chat_ui(upload_folder)` | no | files in Gradio's upload folder | yes |

    policy = IngestPolicy.chat_ui(Path("/srv/newsqa/uploads/ui"))
    summary = policy.ingest(ingestor, ["/etc/passwd", "https://example.com/story"])
    summary.failed[0]    # IngestFailure(item="/etc/passwd", error="refused: the chat UI takes ...")
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from newsqa.protocols import IngestorLike
from newsqa.types import IngestFailure, IngestSummary

# Longer URLs are refused (the same bound as POST /articles' `urls`).
MAX_URL_CHARS = 4000
# One request (POST /articles, or one press of the UI's Add button) takes at most this many of each.
MAX_ARTICLES_PER_REQUEST = 200
MAX_URLS_PER_REQUEST = 50
URL_SCHEMES = ("http://", "https://")


@dataclass(frozen=True)
class IngestPolicy:
    """Which items one entry point may ingest; `screen` sorts them, `ingest` runs the allowed ones.

    `local_paths` lets any file or folder on this machine in (the command line only).
    `upload_folders` lets in regular files inside those folders (symlinks resolved first),
    never the folders themselves. http(s) URLs are always allowed: the Ingestor's fetcher
    guards them (SSRF, redirects, size, time).
    """

    entry_point: str
    local_paths: bool = False
    upload_folders: tuple[Path, ...] = ()

    @classmethod
    def command_line(cls) -> IngestPolicy:
        return cls("the command line", local_paths=True)

    @classmethod
    def http_api(cls, spool_folder: Path | None = None) -> IngestPolicy:
        """POST /articles: URLs, and the files of this request's own spool folder (if any)."""
        return cls("the HTTP API", upload_folders=(spool_folder.resolve(),) if spool_folder else ())

    @classmethod
    def chat_ui(cls, upload_folder: Path) -> IngestPolicy:
        """The chat UI: URLs, and the files Gradio wrote into its upload folder."""
        return cls("the chat UI", upload_folders=(Path(upload_folder).resolve(),))

    def refusal(self, item: str) -> str | None:
        """Why `item` may not be ingested here, or None when it may."""
        if item.lower().startswith(URL_SCHEMES):
            return None if len(item) <= MAX_URL_CHARS else f"URL longer than {MAX_URL_CHARS} characters"
        if self.local_paths:
            return None
        takes = "uploaded files and http(s) URLs" if self.upload_folders else "http(s) URLs"
        outside = f"refused: {self.entry_point} takes only {takes}; local paths are for the command line"
        try:
            resolved = Path(item).resolve() if Path(item).is_absolute() else None
        except (OSError, ValueError):  # a NUL byte, a symlink loop
            resolved = None
        if resolved is None or not any(resolved.is_relative_to(folder) for folder in self.upload_folders):
            return outside
        if not resolved.is_file():
            return "refused: not an uploaded file (folders and other paths are for the command line)"
        return None

    def screen(self, items: Iterable[str]) -> tuple[list[str], list[IngestFailure]]:
        """(allowed items, in order; one failure per refused item)."""
        allowed: list[str] = []
        refused: list[IngestFailure] = []
        for item in items:
            reason = self.refusal(item)
            if reason is None:
                allowed.append(item)
            else:
                refused.append(IngestFailure(item=_shown(item), error=reason))
        return allowed, refused

    def ingest(self, ingestor: IngestorLike, items: Iterable[str], **kwargs: Any) -> IngestSummary:
        """`ingestor.ingest` on the allowed items; the refused ones are reported as failures first."""
        allowed, refused = self.screen(items)
        summary = ingestor.ingest(allowed, **kwargs) if allowed else IngestSummary()
        summary.failed[:0] = refused
        summary.items[:0] = [{"id": None, "title": None, "status": "failed", "item": f.item} for f in refused]
        return summary


def show_client_names(summary: IngestSummary, names: dict[str, str]) -> None:
    """Name uploads in `summary` by the client's file names (`names`: path here -> name), never by
    their paths on this server; "<path>:3" (a JSONL line) becomes "<name>:3"."""
    for failure in summary.failed:
        failure.item = _renamed(failure.item, names)
    for entry in summary.items:
        if entry.get("item"):
            entry["item"] = _renamed(entry["item"], names)


def _renamed(item: str, names: dict[str, str]) -> str:
    for path, name in names.items():
        if item.startswith(path):
            return name + item[len(path) :]
    return item


def _shown(item: str) -> str:
    """An item as echoed in a refusal: printable and bounded."""
    text = "".join(c for c in item if c.isprintable())
    return text if len(text) <= 200 else text[:200] + "…"
