"""User inputs -> cleaned `Article`s: text, Markdown, HTML, JSON/JSONL, folders, URLs, RSS/Atom feeds,
and any of these files gzip-compressed ("dump.jsonl.gz").

Every item yields articles or one `IngestFailure(item, error)` per bad file, line or feed entry;
nothing raises for bad input and the rest of the batch goes on. Files are streamed, so a large
JSONL file is never held in memory, and size limits turn huge inputs into clear failures.

Usage:
    for result in load_items(["notes.txt", "dump.jsonl.gz", "https://example.com/feed.xml"], Fetcher()):
        if isinstance(result, IngestFailure): print(result.item, result.error)
        else: store(result)
    article = make_article("Body text ...", title="Headline", url="https://example.com/a")
"""

from __future__ import annotations

import codecs
import gzip
import json
import os
import re
from collections.abc import Callable, Iterable, Iterator
from pathlib import Path
from typing import Any, BinaryIO

from index.clean import (
    BoilerplateCleaner,
    decode_text,
    html_to_text,
    looks_binary,
    normalize_whitespace,
    split_markdown,
    split_plain_title,
)
from index.fetch import Fetcher
from index.ids import content_hash, content_id, derive_title, parse_date, source_from_url, url_id
from index.limits import IngestBudget
from newsqa.errors import IngestError, LimitExceeded
from newsqa.types import Article, IngestFailure, IngestLimits

MIN_TEXT_CHARS = 20
_Producer = Callable[[], Iterable[Article | IngestFailure]]
_SUFFIX_KINDS = {
    ".txt": "text", ".text": "text", ".md": "markdown", ".markdown": "markdown",
    ".html": "html", ".htm": "html", ".xhtml": "html", ".json": "json", ".jsonl": "jsonl",
    ".ndjson": "jsonl", ".xml": "sniff", ".rss": "feed", ".atom": "feed",
}  # fmt: skip
_BULK_KINDS = ("json", "jsonl", "feed")
_GZIP_MAGIC = b"\x1f\x8b"
_ROOT_TAG = re.compile(rb"^\s*(?:<\?xml[^>]*>\s*|<!--.*?-->\s*|<!doctype[^>]*>\s*)*<([\w:.-]+)", re.I | re.S)


# Control characters other than tab, newline, form feed and carriage return: a few in a text are
# noise, many mean binary content.
_CONTROL_CHARS = re.compile(r"[\x00-\x08\x0b\x0e-\x1f]")
_DEFAULT_CLEANER: BoilerplateCleaner | None = None


def make_article(
    text: str,
    *,
    title: str | None = None,
    url: str | None = None,
    source: str | None = None,
    published: Any = None,
    author: str | None = None,
    id: str | None = None,
    clean: bool = True,
    cleaner: BoilerplateCleaner | None = None,
) -> Article:
    """An Article with cleaned text and complete metadata; IngestError when the text is unusable."""
    global _DEFAULT_CLEANER
    if not isinstance(text, str):
        raise IngestError(f"'text' must be a string, not {type(text).__name__}")
    head = text[:8192]
    if "\x00" in text or len(_CONTROL_CHARS.findall(head)) > 0.05 * len(head):
        raise IngestError("binary content, not text")
    if clean:
        cleaner = cleaner or _DEFAULT_CLEANER or BoilerplateCleaner()
        _DEFAULT_CLEANER = _DEFAULT_CLEANER or cleaner
        body = cleaner.clean(text)
    else:
        body = normalize_whitespace(text)
    if len(body) < MIN_TEXT_CHARS:
        raise IngestError(f"no article text ({len(body)} characters after cleaning, need {MIN_TEXT_CHARS})")
    url = url.strip() if isinstance(url, str) and url.strip() else None
    article_id = str(id).strip() if id not in (None, "") else (url_id(url) if url else content_id(body))
    clean_title = " ".join(str(title).split()) if title else ""
    return Article(
        id=article_id,
        title=clean_title or derive_title(body),
        text=body,
        source=(str(source).strip() if source else "") or (source_from_url(url) if url else "") or "local",
        url=url,
        published=parse_date(published),
        author=" ".join(str(author).split()) or None if author else None,
        content_hash=content_hash(body),
    )


def sniff_kind(data: bytes, content_type: str = "") -> str:
    """ "feed", "html", "json", "jsonl" or "text", from the content type and the document's root."""
    media = content_type.split(";")[0].strip().lower()
    head = data[:4096].lstrip(b"\xef\xbb\xbf \t\r\n")
    root = _ROOT_TAG.match(head)
    tag = root.group(1).lower().decode("ascii", "replace") if root else ""
    if tag in ("rss", "feed", "rdf:rdf") or media.endswith(("rss+xml", "atom+xml", "rdf+xml")):
        return "feed"
    if tag == "html" or media in ("text/html", "application/xhtml+xml") or head[:9].lower() == b"<!doctype":
        return "html"
    if media in ("application/x-ndjson", "application/jsonl", "application/x-jsonlines"):
        return "jsonl"
    if media.endswith("json") or head[:1] in (b"[", b"{"):
        return "json"
    if tag:
        return "html"  # some other markup: let the HTML extractor find what text there is
    return "text"


class ArticleLoader:
    """Turns items (paths or http(s) URLs) into Articles and IngestFailures, in a deterministic order.

    `fetcher` None means offline: URL items fail and feed entries fall back to their own text.
    `max_bulk_bytes` caps JSON, JSONL and feed files; `max_article_bytes` a single text/HTML article.
    `limits` (optional) bound everything this loader reads together, as one request's budget:
    past one, `load` raises `LimitExceeded` (it is not an item's failure).
    """

    def __init__(
        self,
        fetcher: Fetcher | None = None,
        *,
        max_bulk_bytes: int = 100_000_000,
        max_article_bytes: int = 5_000_000,
        min_entry_chars: int = 200,
        cleaner: BoilerplateCleaner | None = None,
        limits: IngestLimits | None = None,
    ) -> None:
        if max_bulk_bytes < 1 or max_article_bytes < 1:
            raise ValueError("size limits must be positive")
        self.fetcher = fetcher
        self.max_bulk_bytes = max_bulk_bytes
        self.max_article_bytes = max_article_bytes
        self.min_entry_chars = min_entry_chars
        self.cleaner = cleaner or BoilerplateCleaner()
        self.budget = IngestBudget(limits)

    def load(self, items: Iterable[str | os.PathLike[str]]) -> Iterator[Article | IngestFailure]:
        for item in items:
            label = str(item)
            if re.match(r"^https?://", label, re.I):
                results = self._guard(label, lambda label=label: self._load_url(label))
            else:
                results = self._load_path(Path(label), label)
            for result in results:
                self.budget.take_entry()
                yield result

    def _guard(self, label: str, produce: _Producer) -> Iterator[Article | IngestFailure]:
        """Run a producer; any error becomes one IngestFailure for `label` (earlier results stand)."""
        try:
            yield from produce()
        except LimitExceeded:
            raise  # the request's budget is spent: not this item's failure
        except IngestError as exc:
            yield IngestFailure(label, " ".join(exc.message.split()))
        except Exception as exc:  # a parser choking on odd input must not end the batch
            yield IngestFailure(label, " ".join(f"{type(exc).__name__}: {exc}".split()).rstrip(":"))

    def _article(self, text: str, **meta: Any) -> Article:
        return make_article(text, cleaner=self.cleaner, **meta)

    # -- local files -------------------------------------------------------------------------
    def _load_path(self, path: Path, label: str) -> Iterator[Article | IngestFailure]:
        if path.is_dir():
            for file in _walk(path):
                kind = _folder_kind(file)
                if kind:  # a folder may hold images or archives: only known article formats are read
                    yield from self._guard(str(file), lambda f=file, k=kind: self._load_file(f, str(f), k))
        elif path.is_file():
            kind = "gzip" if path.suffix.lower() == ".gz" else _SUFFIX_KINDS.get(path.suffix.lower(), "sniff")
            yield from self._guard(label, lambda: self._load_file(path, label, kind))
        else:
            yield IngestFailure(
                label, "no such file or folder" if not path.exists() else "not a regular file"
            )

    def _load_file(self, path: Path, label: str, kind: str) -> Iterator[Article | IngestFailure]:
        size = path.stat().st_size
        if size == 0:
            raise IngestError("empty file")
        if kind == "sniff":
            with path.open("rb") as fh:
                head = fh.read(4096)
            kind = "gzip" if head.startswith(_GZIP_MAGIC) else _kind_of_head(head)
        if kind == "gzip":
            yield from self._load_gzip(path, label)
            return
        limit = self._limit(kind)
        if size > limit:
            raise IngestError(f"too large ({size:,} bytes; the limit for {kind} files is {limit:,})")
        self.budget.take_bytes(size)
        with path.open("rb") as fh:
            yield from self._load_stream(fh, kind, label)

    def _load_gzip(self, path: Path, label: str) -> Iterator[Article | IngestFailure]:
        """A gzip-compressed file, streamed; its kind comes from the name inside ("dump.jsonl.gz") or
        its first bytes, and the size limits hold for the decompressed bytes."""
        kind = _SUFFIX_KINDS.get(Path(path.stem).suffix.lower(), "sniff")
        with gzip.open(path, "rb") as raw:
            try:
                head = raw.peek(4096)[:4096]
            except (OSError, EOFError) as exc:
                raise IngestError(f"not a readable gzip file ({exc})") from None
            if kind == "sniff":
                if head.startswith(_GZIP_MAGIC):
                    raise IngestError("gzip inside gzip is not read")
                kind = _kind_of_head(head)
            capped = _CappedReader(raw, self._limit(kind), kind, self.budget)
            yield from self._load_stream(capped, kind, label)

    def _limit(self, kind: str) -> int:
        return self.max_bulk_bytes if kind in _BULK_KINDS else self.max_article_bytes

    def _load_stream(self, fh: BinaryIO, kind: str, label: str) -> Iterator[Article | IngestFailure]:
        if kind == "jsonl":
            yield from self._load_jsonl(fh, label)
        elif kind == "json":
            yield from self._load_json_stream(fh, label)
        else:
            yield from self._from_bytes(fh.read(), kind, label, url=None)

    def _load_jsonl(self, fh: BinaryIO, label: str) -> Iterator[Article | IngestFailure]:
        for lineno, raw in enumerate(_lines(fh, self.max_article_bytes), 1):
            self.budget.take_line()
            if raw is None:
                yield IngestFailure(
                    f"{label}:{lineno}", f"line too long (over {self.max_article_bytes:,} bytes)"
                )
            elif raw.strip():
                yield from self._guard(
                    f"{label}:{lineno}", lambda raw=raw: [self._from_json_value(json.loads(raw))]
                )

    def _load_json_stream(self, fh: BinaryIO, label: str) -> Iterator[Article | IngestFailure]:
        for n, (in_array, value) in enumerate(_json_values(fh, self.max_article_bytes)):
            item = f"{label}[{n}]" if in_array or n else label
            yield from self._guard(item, lambda value=value: [self._from_json_value(value)])

    def _from_json_value(self, obj: Any) -> Article:
        if not isinstance(obj, dict):
            raise IngestError(f"expected an article object, got {type(obj).__name__}")
        if "text" not in obj or obj["text"] in (None, ""):
            raise IngestError("missing 'text'")
        meta = {k: obj.get(k) for k in ("title", "url", "source", "published", "author", "id")}
        return self._article(obj["text"], **meta)

    # -- documents from bytes (files and URLs) -------------------------------------------------
    def _from_bytes(
        self, data: bytes, kind: str, label: str, url: str | None
    ) -> Iterator[Article | IngestFailure]:
        if kind == "feed":
            yield from self._load_feed(data, label)
        elif kind == "html":
            yield self._from_html(data, url)
        elif kind == "json":
            import io

            yield from self._load_json_stream(io.BytesIO(data), label)
        else:
            text = decode_text(data)
            title, body, meta = split_markdown(text) if kind == "markdown" else (*split_plain_title(text), {})
            yield self._article(body, title=meta.get("title", title), url=meta.get("url") or url,
                                source=meta.get("source"), published=meta.get("date") or meta.get("published"),
                                author=meta.get("author"))  # fmt: skip

    def _from_html(self, data: bytes, url: str | None, fallback: dict[str, Any] | None = None) -> Article:
        import trafilatura

        result = trafilatura.bare_extraction(data, url=url, with_metadata=True, include_comments=False)
        doc = result.as_dict() if hasattr(result, "as_dict") else result or {}
        text = doc.get("text") or ""
        if not text.strip():
            raise IngestError("no article text found in the HTML page")
        first, _, rest = text.partition("\n")
        if doc.get("title") and first.strip() == doc["title"].strip() and rest.strip():
            text = rest  # the headline is stored as the title, not repeated as the first line
        fallback = fallback or {}
        page_url = url or doc.get("url") or fallback.get("url")
        source = None if page_url else doc.get("sitename") or doc.get("hostname")
        return self._article(
            text,
            title=doc.get("title") or fallback.get("title"),
            url=page_url,
            source=source,
            published=parse_date(doc.get("date")) or fallback.get("published"),
            author=doc.get("author") or fallback.get("author"),
        )

    # -- URLs and feeds ------------------------------------------------------------------------
    def _load_url(self, url: str) -> Iterator[Article | IngestFailure]:
        if self.fetcher is None:
            raise IngestError("URL ingestion is disabled (no fetcher configured)")
        page = self.fetcher.get(url)
        self.budget.take_bytes(len(page.body))
        kind = sniff_kind(page.body, page.content_type)
        if kind == "text" and looks_binary(page.body):
            raise IngestError(f"{page.url} is binary ({page.media_type or 'unknown type'}), not an article")
        yield from self._from_bytes(page.body, kind, url, url=page.url)

    def _load_feed(self, data: bytes, label: str) -> Iterator[Article | IngestFailure]:
        import feedparser

        feed = feedparser.parse(data)  # bytes: feedparser never fetches anything itself
        if not feed.entries and not feed.get("version"):
            raise IngestError("not an RSS/Atom feed")
        for n, entry in enumerate(feed.entries, 1):
            link = (entry.get("link") or "").strip() or None
            item = f"{label} entry {n}" + (f" ({link})" if link else "")
            yield from self._guard(item, lambda entry=entry, link=link: [self._feed_entry(entry, link)])

    def _feed_entry(self, entry: Any, link: str | None) -> Article:
        meta = {
            "title": entry.get("title"),
            "author": entry.get("author"),
            "published": parse_date(entry.get("published_parsed") or entry.get("updated_parsed"))
            or parse_date(entry.get("published") or entry.get("updated")),
        }
        problem = "entry has no link"
        if link and self.fetcher is not None:
            try:
                page = self.fetcher.get(link)
                if sniff_kind(page.body, page.content_type) != "html":
                    raise IngestError(f"{page.url} is not an HTML page ({page.media_type})")
                return self._from_html(page.body, page.url, fallback=meta)
            except IngestError as exc:
                problem = exc.message
        elif link:
            problem = "offline (no fetcher)"
        contents = [c.get("value", "") for c in entry.get("content", [])] + [entry.get("summary") or ""]
        text = max((html_to_text(c) for c in contents), key=len)
        if len(text) < self.min_entry_chars:
            raise IngestError(
                f"{problem}; the feed entry's own text is too short to use ({len(text)} characters)"
            )
        return self._article(text, url=link, **meta)


def load_items(
    items: Iterable[str | os.PathLike[str]],
    fetcher: Fetcher | None = None,
    *,
    max_bulk_bytes: int = 100_000_000,
    max_article_bytes: int = 5_000_000,
    limits: IngestLimits | None = None,
) -> Iterator[Article | IngestFailure]:
    """`ArticleLoader(fetcher, ...).load(items)`: Articles and IngestFailures, streamed in input order."""
    loader = ArticleLoader(
        fetcher, max_bulk_bytes=max_bulk_bytes, max_article_bytes=max_article_bytes, limits=limits
    )
    return loader.load(items)


def _kind_of_head(head: bytes) -> str:
    return "text" if looks_binary(head) else sniff_kind(head)


def _folder_kind(file: Path) -> str | None:
    """The kind of a file met in a folder: a known article format, or one gzip-compressed
    ("a.jsonl.gz"); None for anything else ("photo.jpg", "backup.tar.gz")."""
    suffix = file.suffix.lower()
    if suffix == ".gz":
        return "gzip" if Path(file.stem).suffix.lower() in _SUFFIX_KINDS else None
    return _SUFFIX_KINDS.get(suffix)


class _CappedReader:
    """A binary stream that fails with IngestError once more than `limit` bytes were read from it,
    and with LimitExceeded once the request's `budget` is spent: a small .gz can hold gigabytes
    (a "zip bomb"), so the limits count decompressed bytes, as they are unpacked."""

    def __init__(self, raw: BinaryIO, limit: int, kind: str, budget: IngestBudget) -> None:
        self._raw, self._limit, self._kind, self._read, self._budget = raw, limit, kind, 0, budget

    def _count(self, data: bytes) -> bytes:
        self._read += len(data)
        self._budget.take_bytes(len(data))
        if self._read > self._limit:
            raise IngestError(
                f"too large (over {self._limit:,} bytes decompressed; the limit for {self._kind} files)"
            )
        return data

    def read(self, size: int = -1) -> bytes:
        # Never inflate more than one byte past the file's limit or the request's budget.
        cap = self._limit + 1 - self._read
        left = self._budget.bytes_left()
        cap = cap if left is None else min(cap, left + 1)
        return self._count(self._raw.read(cap if size is None or size < 0 else min(size, cap)))

    def readline(self, size: int = -1) -> bytes:
        return self._count(self._raw.readline(size))


def _walk(root: Path) -> Iterator[Path]:
    """Files under `root`, recursively, sorted by name, skipping hidden files and folders."""
    for entry in sorted(root.iterdir(), key=lambda p: p.name):
        if entry.name.startswith("."):
            continue
        if entry.is_dir():
            yield from _walk(entry)
        elif entry.is_file():
            yield entry


def _lines(fh: BinaryIO, limit: int) -> Iterator[bytes | None]:
    """Lines of a binary file; None for a line longer than `limit` (which is skipped, not read whole)."""
    while line := fh.readline(limit + 1):
        if len(line) > limit and not line.endswith(b"\n"):
            while (rest := fh.readline(1 << 20)) and not rest.endswith(b"\n"):
                pass
            yield None
        else:
            yield line


_WS = re.compile(r"\s*")


def _json_values(fh: BinaryIO, max_value_chars: int, chunk: int = 1 << 16) -> Iterator[tuple[bool, Any]]:
    """Stream a JSON file: the elements of a top-level array (True, value), else each top-level
    value in turn (False, value), so one object, an array and concatenated objects all work.
    Only one element is held at a time; ValueError says where the JSON breaks."""
    reader = codecs.getreader("utf-8-sig")(fh)
    decoder = json.JSONDecoder()
    buf, pos, eof, count = "", 0, False, 0

    def peek() -> str:
        nonlocal buf, pos, eof
        while True:
            pos = _WS.match(buf, pos).end()  # type: ignore[union-attr]
            if pos < len(buf) or eof:
                return buf[pos : pos + 1]
            more = reader.read(chunk)
            buf, pos, eof = buf[pos:] + more, 0, not more

    def value() -> Any:
        nonlocal buf, pos, eof
        while True:
            try:
                obj, end = decoder.raw_decode(buf, pos)
                if end < len(buf) or eof or isinstance(obj, dict | list):
                    pos = end
                    return obj
            except json.JSONDecodeError as exc:
                if eof:
                    raise ValueError(f"invalid JSON after {count} item(s): {exc.msg}") from None
                if len(buf) - pos > max_value_chars:
                    raise ValueError(f"invalid JSON or item over {max_value_chars:,} characters") from None
            more = reader.read(chunk)
            buf, pos, eof = buf[pos:] + more, 0, not more

    in_array = peek() == "["
    if in_array:
        pos += 1
        if peek() == "]":
            return
    while True:
        if not peek():
            if in_array:
                raise ValueError(f"truncated JSON: the array ends after {count} item(s) without ']'")
            return
        yield in_array, value()
        count += 1
        if in_array:
            sep = peek()
            if sep == "]":
                return
            if sep != ",":
                raise ValueError(f"invalid JSON after {count} item(s): expected ',' or ']'")
            pos += 1
