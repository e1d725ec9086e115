"""Stable identifiers and metadata: article ids from normalised URLs or content, and content hashes.

Also the metadata normalisers: `parse_date` (many formats -> ISO date or None) and
`derive_title` (a title from the body when none is given).

Usage:
    url_id("https://WWW.Example.com/a/?utm_source=x#top") == url_id("https://www.example.com/a")
    content_id(text), content_hash(text)
"""

from __future__ import annotations

import datetime as dt
import email.utils
import hashlib
import re
import time
from typing import Any
from urllib.parse import parse_qsl, urlencode, urlsplit, urlunsplit

from textkit import split_sentences

# Click and campaign trackers: the same page reached from a newsletter or a feed keeps its id.
_TRACKING = re.compile(r"^(utm_.*|fbclid|gclid|mc_cid|mc_eid|ocid)$", re.IGNORECASE)
_DEFAULT_PORTS = {"http": 80, "https": 443}


def normalize_url(url: str) -> str:
    """Lowercase scheme and host, drop fragment, user info, default port, trackers, trailing slash."""
    parts = urlsplit(url.strip())
    scheme = parts.scheme.lower()
    host = (parts.hostname or "").lower()
    if parts.port and parts.port != _DEFAULT_PORTS.get(scheme):
        host = f"{host}:{parts.port}"
    path = parts.path.rstrip("/")
    query = urlencode(
        [(k, v) for k, v in parse_qsl(parts.query, keep_blank_values=True) if not _TRACKING.match(k)]
    )
    return urlunsplit((scheme, host, path, query, ""))


def _short_hash(value: str) -> str:
    return hashlib.sha256(value.encode("utf-8")).hexdigest()[:16]


def url_id(url: str) -> str:
    """16 hex chars identifying the page at `url`, stable across tracking params and case."""
    return _short_hash(normalize_url(url))


def content_id(text: str) -> str:
    """16 hex chars identifying a text without a URL; whitespace differences do not change it."""
    return _short_hash(" ".join(text.split()))


def content_hash(text: str) -> str:
    """sha256 hex of the exact (cleaned) text: the article's version."""
    return hashlib.sha256(text.encode("utf-8")).hexdigest()


def source_from_url(url: str) -> str:
    """The site of a URL as stored in `source`: "usatoday.com" for https://www.usatoday.com/..."""
    host = (urlsplit(url.strip()).hostname or "").lower()
    return re.sub(r"^(www\d?|m|amp|mobile)\.", "", host)


def parse_date(value: Any) -> str | None:
    """An ISO "YYYY-MM-DD" from ISO strings, RFC 822, "July 6, 2022", datetimes, struct_time; else None."""
    if value is None or value == "":
        return None
    try:
        if isinstance(value, time.struct_time):
            day = dt.date(value.tm_year, value.tm_mon, value.tm_mday)
        elif isinstance(value, dt.datetime | dt.date):
            day = value.date() if isinstance(value, dt.datetime) else value
        else:
            day = _parse_date_text(str(value).strip())
    except (ValueError, TypeError, OverflowError):
        return None
    return day.isoformat() if day and 1800 <= day.year <= 2200 else None


def _parse_date_text(text: str) -> dt.date | None:
    if match := re.match(r"^(\d{4})-(\d{2})-(\d{2})(?:$|[T ])", text):
        return dt.date(*map(int, match.groups()))
    try:
        return email.utils.parsedate_to_datetime(text).date()
    except (TypeError, ValueError, IndexError):
        pass
    import dateparser  # slow import; only for free-form dates

    parsed = dateparser.parse(
        text[:100], settings={"PREFER_DAY_OF_MONTH": "first", "REQUIRE_PARTS": ["year"]}
    )
    return parsed.date() if parsed else None


def derive_title(text: str, max_chars: int = 100) -> str:
    """The first sentence of the first line, cut at a word boundary near `max_chars`."""
    first_line = next((line.strip() for line in text.splitlines() if line.strip()), "")
    sentences = split_sentences(first_line)
    title = first_line[: sentences[0][1]] if sentences else first_line
    if len(title) <= max_chars:
        return title
    cut = title[:max_chars].rsplit(" ", 1)[0].rstrip(" ,;:-–—")
    return f"{cut}…"
