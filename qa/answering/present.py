"""Answers as people read them: the direct answer, then the quoted sentence behind it, cited.

`Answer.answer` stays the short span for programs; `readable_answer` builds the form beside it:

    >>> readable_answer(answer)           # an Answer whose answer is "Nangarhar", citing one sentence
    'Nangarhar: “The unmanned airstrike occurred in the Nangarhar province,” Captain Urban said. [1]'

A relative date in a date answer is made absolute from the cited article's publication date:

    >>> absolute_dates("Thursday", "2021-08-28", context="The deal closed on Thursday.")
    'Thursday (Aug. 26, 2021)'

`sources_block` lists the citations as a numbered source list a plain chat client can show.
"""

from __future__ import annotations

import calendar
import re
from collections.abc import Sequence
from datetime import date, timedelta
from typing import Any

from newsqa.types import Answer, Citation
from textkit import split_sentences, words

MARKER = re.compile(r"\[(\d+)\]")
_CLOSERS = "\"'”’)"
# AP style, as news articles write dates ("Aug. 26, 2021", "March 3, 2022").
AP_MONTHS = ("Jan.", "Feb.", "March", "April", "May", "June", "July", "Aug.", "Sept.", "Oct.", "Nov.", "Dec.")
# An answer this long, or one holding a sentence end, is shown as it is (with markers), not as a
# direct answer followed by its quote.
MAX_DIRECT_ANSWER_WORDS = 12
# An answer this long against its quote (in characters) is most of the quote: shown as it is.
MAX_DIRECT_ANSWER_SHARE = 0.6
# Words this far before a relative date are read for its tense ("will meet Thursday").
TENSE_WINDOW_WORDS = 8

_WEEKDAY_NAMES = [name.lower() for name in calendar.day_name]
_RELATIVE = re.compile(
    r"\b(?:(?P<which>last|this|next|this past|this coming)\s+)?"
    r"(?P<weekday>monday|tuesday|wednesday|thursday|friday|saturday|sunday)"
    r"(?:\s+(?:morning|afternoon|evening|night))?\b"
    r"|\b(?P<day>today|tonight|yesterday|tomorrow)\b"
    r"|\b(?P<period_which>last|this|next)\s+(?P<period>week|month|year)\b",
    re.IGNORECASE,
)
_EXPLICIT_DATE = re.compile(
    r"\b(?:jan|feb|mar|apr|may|jun|jul|aug|sep|sept|oct|nov|dec)[a-z]*\.?\s+\d{1,2}\b"
    r"|\b(?:19|20)\d\d\b|\b\d{1,2}/\d{1,2}\b",
    re.IGNORECASE,
)
_NAME_BEFORE = re.compile(r"\b[A-Z][\w'’.-]*\s+$")
_FUTURE_CUES = re.compile(
    r"\b(?:will|won't|shall|would|is to|are to|set to|expected to|plans? to|planning to|scheduled"
    r"|upcoming|due to|going to)\b",
    re.IGNORECASE,
)


def ap_date(day: date) -> str:
    """`date(2021, 8, 26)` -> "Aug. 26, 2021"."""
    return f"{AP_MONTHS[day.month - 1]} {day.day}, {day.year}"


def _to_date(value: date | str | None) -> date | None:
    if isinstance(value, date):
        return value
    try:
        return date.fromisoformat(str(value)[:10]) if value else None
    except ValueError:
        return None


def _is_future(expression: str, context: str) -> bool:
    """Whether `context` speaks of `expression` as still to come ("will vote on Thursday")."""
    at = context.lower().find(expression.lower())
    before = context[:at] if at >= 0 else context
    return bool(_FUTURE_CUES.search(" ".join(before.split()[-TENSE_WINDOW_WORDS:])))


def _weekday(published: date, weekday: int, which: str, future: bool) -> date:
    """The day a weekday name means in an article of `published` (news: "Thursday" = the last one)."""
    back = (published.weekday() - weekday) % 7
    ahead = (weekday - published.weekday()) % 7
    if which in ("last", "this past"):
        return published - timedelta(days=back or 7)
    if which in ("next", "this coming"):
        return published + timedelta(days=ahead or 7)
    return published + timedelta(days=ahead) if future else published - timedelta(days=back)


def _period(published: date, period: str, which: str) -> str:
    step = {"last": -1, "this": 0, "next": 1}[which]
    if period == "year":
        return str(published.year + step)
    if period == "month":
        index = published.year * 12 + published.month - 1 + step
        return f"{calendar.month_name[index % 12 + 1]} {index // 12}"
    monday = published - timedelta(days=published.weekday()) + timedelta(weeks=step)
    return f"the week of {ap_date(monday)}"


def _resolve(match: re.Match[str], published: date, context: str) -> str | None:
    if match.group("weekday"):
        which = (match.group("which") or "").lower()
        weekday = _WEEKDAY_NAMES.index(match.group("weekday").lower())
        return ap_date(_weekday(published, weekday, which, _is_future(match.group(0), context)))
    if match.group("day"):
        offset = {"yesterday": -1, "tomorrow": 1}.get(match.group("day").lower(), 0)
        return ap_date(published + timedelta(days=offset))
    return _period(published, match.group("period").lower(), match.group("period_which").lower())


def absolute_dates(text: str, published: date | str | None, *, context: str = "") -> str:
    """Add the calendar date after each relative date in `text`, read from `published`.

    `context` (the sentence `text` comes from) tells past from future: "Thursday" in an article of
    Saturday 2021-08-28 is Aug. 26, "will meet Thursday" Sept. 2. Text that already names a date,
    or without a publication date, is returned unchanged.
    """
    day = _to_date(published)
    if day is None or _EXPLICIT_DATE.search(text):
        return text

    def add_date(match: re.Match[str]) -> str:
        if _NAME_BEFORE.search(text[: match.start()]):
            return match.group(0)  # part of a name: "Black Friday", "USA Today"
        resolved = _resolve(match, day, context or text)
        return f"{match.group(0)} ({resolved})" if resolved else match.group(0)

    return _RELATIVE.sub(add_date, text)


def _words(text: str) -> set[str]:
    return {w.lower() for w in words(text) if len(w) > 2}


def add_citation_markers(text: str, citations: Sequence[dict[str, Any] | Citation]) -> str:
    """Put each citation's `[n]` after the answer sentence sharing most words with its quote.

    Text that already carries markers (e.g. a generated answer) is left as it is; a citation that
    matches no sentence goes after the last one.
    """
    cited = [c if isinstance(c, dict) else c.to_dict() for c in citations]
    if not cited or MARKER.search(text):
        return text
    sentences = split_sentences(text)
    if not sentences:
        return text
    markers: dict[int, list[int]] = {}
    for citation in cited:
        quote_words = _words(str(citation.get("quote", "")))
        overlaps = [len(_words(text[a:b]) & quote_words) for a, b in sentences]
        best = (
            max(range(len(sentences)), key=lambda i: (overlaps[i], i))
            if max(overlaps)
            else len(sentences) - 1
        )
        markers.setdefault(best, []).append(int(citation["n"]))
    out = []
    for i, (a, b) in enumerate(sentences):
        sentence = text[a:b].rstrip()
        if i in markers:
            sentence += " " + "".join(f"[{n}]" for n in sorted(set(markers[i])))
        out.append(sentence)
    return " ".join(out)


def drop_unknown_markers(text: str, numbers: set[int]) -> str:
    """Remove `[n]` markers that point at no citation (a dangling marker cites nothing)."""
    cleaned = MARKER.sub(lambda m: m.group(0) if int(m.group(1)) in numbers else "", text)
    return re.sub(r"[ \t]+([.,;:!?])", r"\1", re.sub(r"[ \t]{2,}", " ", cleaned)).strip()


def _quoted(quote: str) -> str:
    text = " ".join(quote.split())
    return text if any(mark in text for mark in '“”"') else f"“{text}”"


def _is_direct(answer: str, quote: str) -> bool:
    """A short span (a name, a date, a place), not a sentence nor the quote itself."""
    answer_words = answer.split()
    if not answer_words or len(answer_words) > MAX_DIRECT_ANSWER_WORDS or _reads_as_sentence(answer):
        return False
    return len(answer) < MAX_DIRECT_ANSWER_SHARE * len(" ".join(quote.split()))


def _reads_as_sentence(answer: str) -> bool:
    """More than one sentence, or one that ends at a stop (its closing quotes aside)."""
    return len(split_sentences(answer)) > 1 or answer.rstrip().rstrip(_CLOSERS)[-1:] in ".!?"


def readable_answer(answer: Answer) -> str:
    """The direct answer, then its supporting sentence quoted, then the markers of every citation.

    Abstentions read as their message; sentence-long answers (generated ones, or a whole sentence
    chosen as the answer) get `[n]` markers after the sentences their quotes support.
    """
    if answer.abstained or not answer.citations:
        return answer.answer
    numbers = {c.n for c in answer.citations}
    if MARKER.search(answer.answer):
        return drop_unknown_markers(answer.answer, numbers)
    first = answer.citations[0]
    if not _is_direct(answer.answer, first.quote):
        return add_citation_markers(answer.answer, answer.citations)
    direct = absolute_dates(answer.answer, first.published, context=first.quote)
    markers = "".join(f"[{n}]" for n in sorted(numbers))
    return f"{direct}: {_quoted(first.quote)} {markers}"


def sources_block(citations: Sequence[dict[str, Any]]) -> str:
    """'Sources:' and one line per citation: `- [n] Title — outlet, Aug. 28, 2021 — URL`."""
    if not citations:
        return ""
    lines = ["Sources:"]
    for c in citations:
        published = _to_date(c.get("published"))
        title = str(c.get("title") or "")
        outlet = str(c.get("source") or "") if title else ""
        dated = ", ".join(x for x in (outlet, ap_date(published) if published else "") if x)
        name = title or str(c.get("source") or c.get("article_id") or "untitled")
        lines.append(f"- [{c['n']}] " + " — ".join(p for p in (name, dated, str(c.get("url") or "")) if p))
    return "\n".join(lines)
