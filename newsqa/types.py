"""The data that flows through NewsQA: Article -> Chunk -> Hit -> Answer(text, citations).

Every room speaks in these types. They are plain dataclasses with a `to_dict()` for JSON;
nothing here imports a room or a heavy library.
"""

from __future__ import annotations

import calendar
from dataclasses import asdict, dataclass, field
from datetime import date
from typing import Any

from newsqa.errors import InvalidInput

SECONDS_PER_DAY = 86400


def published_timestamp(published: str | None) -> int:
    """Epoch seconds (UTC midnight) of an ISO date or datetime; 0 when unknown or unparsable.

    >>> published_timestamp("2022-07-06")   # the `published_ts` stored with every chunk and article
    1657065600
    """
    if not published:
        return 0
    try:
        day = date.fromisoformat(published[:10])
    except ValueError:
        return 0
    return calendar.timegm(day.timetuple())


@dataclass
class Article:
    """One cleaned news article as stored. `text` is the exact text that offsets point into."""

    id: str
    title: str
    text: str
    source: str = ""
    url: str | None = None
    published: str | None = None  # ISO date "YYYY-MM-DD"
    author: str | None = None
    ingested_at: str | None = None  # ISO timestamp, UTC
    content_hash: str = ""
    # Other outlets/URLs that carried the same story; stored once, linked here.
    also_reported_by: list[dict[str, Any]] = field(default_factory=list)

    def to_dict(self) -> dict[str, Any]:
        return asdict(self)


@dataclass
class Chunk:
    """A sentence-aligned slice of an article: `text == article.text[start:end]`."""

    id: str
    article_id: str
    n: int
    text: str
    start: int
    end: int
    title: str = ""
    source: str = ""
    url: str | None = None
    published: str | None = None

    def to_dict(self) -> dict[str, Any]:
        return asdict(self)


@dataclass
class Filters:
    """Metadata filters applied inside the store query. Dates are ISO "YYYY-MM-DD", inclusive.

    The one statement of what passing means (the store's Chroma `where`, its id lists, the lexical
    index and the retrievers' over-fetch all use it): the source is one of `sources`, and the
    published day lies in the range; an unknown date passes an upper limit, not a lower one.

    >>> Filters(published_from="2022-07-01").admits("cnn.com", published_timestamp("2022-06-30"))
    False
    """

    sources: list[str] | None = None
    published_from: str | None = None
    published_to: str | None = None

    def is_empty(self) -> bool:
        return not self.sources and not self.published_from and not self.published_to

    def to_dict(self) -> dict[str, Any]:
        return {k: v for k, v in asdict(self).items() if v}

    def ts_range(self) -> tuple[int | None, int | None]:
        """(first, last) epoch second admitted, None where open; InvalidInput for a date that is not ISO."""
        first = _checked_ts(self.published_from) if self.published_from else None
        last = _checked_ts(self.published_to) + SECONDS_PER_DAY - 1 if self.published_to else None
        return first, last

    def admits(self, source: str | None, published_ts: int) -> bool:
        """Whether a chunk or article of `source`, published at `published_ts` (0: unknown), passes."""
        if self.sources and source not in self.sources:
            return False
        first, last = self.ts_range()
        return (first is None or published_ts >= first) and (last is None or published_ts <= last)


def _checked_ts(iso: str) -> int:
    ts = published_timestamp(iso)
    if ts == 0:
        raise InvalidInput(f"filter date {iso!r} is not an ISO date (YYYY-MM-DD)")
    return ts


@dataclass
class Hit:
    """A retrieved chunk with its final score and the score each stage gave it."""

    chunk: Chunk
    score: float
    scores: dict[str, float] = field(default_factory=dict)

    def to_dict(self) -> dict[str, Any]:
        return {
            "chunk_id": self.chunk.id,
            "article_id": self.chunk.article_id,
            "start": self.chunk.start,
            "end": self.chunk.end,
            "score": self.score,
            "scores": dict(self.scores),
        }


@dataclass
class Citation:
    """An exact quote: `quote == article.text[start:end]` for the article `article_id`, with the passage
    it was read from, so a reader can be shown the quote in context without the article:
    `passage[start - passage_start : end - passage_start] == quote` (`passage` is "" when none is known).
    """

    n: int
    article_id: str
    title: str
    source: str
    url: str | None
    published: str | None
    quote: str
    start: int
    end: int
    score: float
    also_reported_by: list[str] = field(default_factory=list)
    passage: str = ""  # article.text[passage_start : passage_start + len(passage)], around the quote
    passage_start: int = 0

    def to_dict(self) -> dict[str, Any]:
        return asdict(self)


@dataclass
class QueryInfo:
    """How the question was understood: the stand-alone query, the as-of date, filters applied."""

    rewritten: str
    as_of: str
    filters: dict[str, Any] = field(default_factory=dict)

    def to_dict(self) -> dict[str, Any]:
        return asdict(self)


@dataclass
class Answer:
    """What `ask` returns: a short answer, the citations behind it, or an abstention."""

    answer: str
    abstained: bool
    citations: list[Citation]
    related: list[Citation]
    query: QueryInfo
    timings_ms: dict[str, float] = field(default_factory=dict)
    retrieved: list[Hit] | None = None  # only with debug
    confidence: float | None = None  # the score `abstain_threshold` is compared with, in [0, 1]
    # The readable form for people (qa.answering.present.readable_answer): the direct answer, its quoted
    # supporting sentence and `[n]` markers; None -> the same as `answer`.
    answer_text: str | None = None
    # Only with debug: the candidate answer (also when withheld) and the features behind `confidence`.
    assessment: dict[str, Any] | None = None

    def to_dict(self) -> dict[str, Any]:
        out: dict[str, Any] = {
            "answer": self.answer,
            "answer_text": self.answer if self.answer_text is None else self.answer_text,
            "abstained": self.abstained,
            "citations": [c.to_dict() for c in self.citations],
            "related": [c.to_dict() for c in self.related],
            "query": self.query.to_dict(),
            "timings_ms": dict(self.timings_ms),
        }
        if self.retrieved is not None:
            out["retrieved"] = [h.to_dict() for h in self.retrieved]
        if self.confidence is not None:
            out["confidence"] = self.confidence
        return out


@dataclass(frozen=True)
class TokenEvent:
    """A piece of answer text as it is written; in generative mode a draft that `AnswerEvent` may cut."""

    text: str


@dataclass(frozen=True)
class AnswerEvent:
    """The last event of `ask_stream`: the answer to keep."""

    answer: Answer


StreamEvent = TokenEvent | AnswerEvent


@dataclass
class IngestFailure:
    item: str
    error: str


@dataclass
class IngestSummary:
    """The outcome of one ingest run; `to_dict()` is the `--json` shape."""

    added: int = 0
    updated: int = 0
    unchanged: int = 0
    duplicates: int = 0
    failed: list[IngestFailure] = field(default_factory=list)
    chunks: int = 0
    seconds: float = 0.0
    # Per-article outcome, in input order: {"id", "title", "status", "duplicate_of"?}
    items: list[dict[str, Any]] = field(default_factory=list)

    def to_dict(self) -> dict[str, Any]:
        return {
            "added": self.added,
            "updated": self.updated,
            "unchanged": self.unchanged,
            "duplicates": self.duplicates,
            "failed": [asdict(f) for f in self.failed],
            "chunks": self.chunks,
            "seconds": round(self.seconds, 3),
            "items": list(self.items),
        }


@dataclass(frozen=True)
class IngestLimits:
    """What one write request may make the loaders read: unpacked bytes (files after gzip, fetched
    pages), JSONL lines, and entries (articles plus failed items). Past any of them the whole
    request is refused with `newsqa.errors.LimitExceeded` before anything is written.

        limits = IngestLimits(max_unpacked_bytes=100_000_000, max_lines=50_000, max_entries=2_000)
    """

    max_unpacked_bytes: int
    max_lines: int
    max_entries: int
