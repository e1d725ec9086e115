"""Time expressions in questions -> date windows relative to the question's as-of date.

    >>> from datetime import date
    >>> resolve_time("Who resigned this week?", date(2022, 9, 15))
    TimeWindow(start=datetime.date(2022, 9, 9), end=datetime.date(2022, 9, 15), expression='this week', strength='boost')

`strength` says how the search should use the window:
- "filter": an explicit calendar reference ("in August 2021", "on Sept. 3, 2022", "in 2020"):
  restrict the search to it (the search falls back to no restriction when nothing matches).
- "boost": a vague or relative reference ("this week", "recently", "on Monday"): prefer articles
  in the window, because news about an event is often published days before or after it.

Dates in a background clause ("after closing its ports in March 2020", "closed since June 13",
"during the blackout on January 6, 2021") describe context, not the time the question asks
about, and are ignored. When a question has several expressions, the narrowest window wins
("this week" over "in February").
"""

from __future__ import annotations

import calendar
import re
from dataclasses import dataclass
from datetime import UTC, date, datetime, timedelta
from typing import Literal

from newsqa.errors import InvalidInput
from qa.text.nlp import split_sentences

Strength = Literal["filter", "boost"]

_MONTHS = {name.lower(): i for i, name in enumerate(calendar.month_name) if name}
_MONTH_ABBR = {
    "jan": 1,
    "feb": 2,
    "mar": 3,
    "apr": 4,
    "jun": 6,
    "jul": 7,
    "aug": 8,
    "sep": 9,
    "sept": 9,
    "oct": 10,
    "nov": 11,
    "dec": 12,
}
_WEEKDAYS = {name.lower(): i for i, name in enumerate(calendar.day_name)}

_MONTH_RE = (
    r"(?:january|february|march|april|may|june|july|august|september|october|november|december"
    r"|jan|feb|mar|apr|jun|jul|aug|sept|sep|oct|nov|dec)\.?"
)
_MONTH_NAMES_RE = "|".join(name for name in calendar.month_name if name)
_YEAR_RE = r"(?:19|20)\d\d"

# Words that open a clause about the background of the story rather than its time.
_BACKGROUND = re.compile(r"\b(?:since|after|before|until|till|following|during|ago|prior to)\b", re.I)

# Each pattern names its kind; order does not matter because the narrowest window wins.
_PATTERNS: list[tuple[str, re.Pattern[str]]] = [
    ("iso_date", re.compile(r"\b(?P<y>\d{4})-(?P<m>\d{2})-(?P<d>\d{2})\b")),
    (
        "month_day",
        re.compile(
            rf"\b(?P<month>{_MONTH_RE})\s+(?P<d>\d{{1,2}})(?:st|nd|rd|th)?\b(?:,?\s+(?P<y>{_YEAR_RE})\b)?",
            re.I,
        ),
    ),
    (
        "day_month",
        re.compile(
            rf"\b(?P<d>\d{{1,2}})(?:st|nd|rd|th)?\s+(?:of\s+)?(?P<month>{_MONTH_RE})(?:,?\s+(?P<y>{_YEAR_RE})\b)?",
            re.I,
        ),
    ),
    ("month_year", re.compile(rf"\b(?:in|during|of)\s+(?P<month>{_MONTH_RE})\s+(?P<y>{_YEAR_RE})\b", re.I)),
    (
        "month",
        re.compile(
            rf"\b(?:in|during)\s+(?:early\s+|late\s+|mid-?)?(?P<month>{_MONTH_RE})(?!\s*\d)\b"
            r"(?P<last_year>\s+(?:of\s+)?last\s+year\b)?",
            re.I,
        ),
    ),
    # Case-sensitive month: "last March", not "the last march".
    ("last_month_name", re.compile(rf"\b[Ll]ast\s+(?P<month>{_MONTH_NAMES_RE})(?!\s*\d)\b")),
    # "in 2020" but not "in 2020 elections" style noun modifiers, handled by the lookahead.
    ("year", re.compile(rf"\b(?:in|during)\s+(?P<y>{_YEAR_RE})\b(?!\s+[a-z])")),
    (
        "this_week",
        re.compile(r"\b(?:this|past)\s+week(?:end)?\b|\bthis\s+week['’]s\b|\bin recent days\b", re.I),
    ),
    ("last_week", re.compile(r"\blast\s+week(?:end)?\b", re.I)),
    ("yesterday", re.compile(r"\byesterday\b", re.I)),
    # Case-sensitive: "USA TODAY" is a newspaper.
    ("today", re.compile(r"\b(?:[Tt]oday|[Tt]onight|[Tt]his morning|[Tt]his afternoon)\b")),
    ("this_month", re.compile(r"\bthis\s+month\b", re.I)),
    ("last_month", re.compile(r"\blast\s+month\b", re.I)),
    ("this_year", re.compile(r"\bthis\s+year\b", re.I)),
    ("recently", re.compile(r"\b(?:recently|recent|lately|latest)\b", re.I)),
    ("days_ago", re.compile(r"\b(?P<n>\d{1,2}|a|one|two|three|four|five|six|seven)\s+days?\s+ago\b", re.I)),
    # Case-sensitive, and not followed by a capitalised word: "Thursday Night Football" is a name.
    (
        "weekday",
        re.compile(
            r"\b(?:[Oo]n\s+|[Ll]ast\s+)?(?P<wd>Monday|Tuesday|Wednesday|Thursday|Friday|Saturday|Sunday)\b"
            r"(?!\s+[A-Z])"
        ),
    ),
]
# The as-of dates a question can be asked at, checked at every entry point (API, CLI, library): years
# a question can name are 19xx/20xx (_YEAR_RE), and every window computed around them (a year back, a
# reporting lag ahead) stays far inside Python's calendar (years 1..9999), so date arithmetic cannot
# overflow.
AS_OF_MIN = date(1900, 1, 1)
AS_OF_MAX = date(2100, 12, 31)
_SMALL_NUMBERS = {"a": 1, "one": 1, "two": 2, "three": 3, "four": 4, "five": 5, "six": 6, "seven": 7}
# "recently" reaches further back than "this week".
RECENT_DAYS = 30
UPCOMING_DAYS = 90


@dataclass(frozen=True)
class TimeWindow:
    """An inclusive date window a question refers to, and how strongly to apply it."""

    start: date
    end: date
    expression: str
    strength: Strength

    @property
    def days(self) -> int:
        return (self.end - self.start).days + 1

    def as_iso(self) -> tuple[str, str]:
        return (self.start.isoformat(), self.end.isoformat())


_ISO_DAY_RE = re.compile(r"^\d{4}-\d{2}-\d{2}(?:[T ].*)?$")


def parse_as_of(value: date | datetime | str | None) -> date:
    """The one reading of an as-of date: None -> today in UTC (the server's clock, not its zone);
    a date, a datetime or an ISO string ("2022-09-15", "2022-09-15T10:00:00Z") -> that day.
    Anything else, or a day outside AS_OF_MIN..AS_OF_MAX, -> InvalidInput naming the value."""
    if value is None:
        return datetime.now(UTC).date()
    day = _as_date(value)
    problem = as_of_range_error(day)
    if problem:
        raise InvalidInput(problem)
    return day


def _as_date(value: date | datetime | str) -> date:
    if isinstance(value, datetime):
        return value.date()
    if isinstance(value, date):
        return value
    text = str(value).strip()
    if _ISO_DAY_RE.match(text):
        try:
            return date.fromisoformat(text[:10])
        except ValueError:  # "2021-13-01": reported below like any other non-date
            pass
    raise InvalidInput(f"as_of {value!r} is not an ISO date (YYYY-MM-DD)")


def as_of_range_error(day: date) -> str | None:
    """Why `day` cannot be an as-of date (outside AS_OF_MIN..AS_OF_MAX), or None when it can.

    >>> as_of_range_error(date(9999, 12, 31))
    'as_of 9999-12-31 is outside the supported range 1900-01-01..2100-12-31'
    """
    if AS_OF_MIN <= day <= AS_OF_MAX:
        return None
    return f"as_of {day.isoformat()} is outside the supported range {AS_OF_MIN}..{AS_OF_MAX}"


def resolve_time(question: str, as_of: date | datetime | str) -> TimeWindow | None:
    """The date window the question asks about, or None when it names no time.

    Windows never reach past `as_of`; expressions that resolve to the future are ignored. A time
    named in the asking sentence wins over one in the sentences that set the scene ("This week marked
    the anniversary of the dam's collapse. How many people were rehoused in August last year?").
    """
    today = _as_date(as_of)  # no range check: windows near the calendar's ends are dropped below
    candidates: list[tuple[int, TimeWindow]] = []
    for kind, pattern in _PATTERNS:
        for match in pattern.finditer(question):
            try:
                window = _window(kind, match, today)
            except (OverflowError, ValueError):  # a window off the calendar ("last week" of year 1)
                window = None
            # A dated background clause is context; a relative one ("following the attack last week")
            # still places the story near as-of, so it stays as a boost.
            if (
                window is not None
                and window.strength == "filter"
                and _in_background_clause(question, match.start())
            ):
                continue
            if window is not None and window.start <= today:
                end = min(window.end, today)
                found = TimeWindow(window.start, end, match.group(0).strip(), window.strength)
                candidates.append((match.start(), found))
    asked = _last_sentence_start(question)
    in_asking = [w for position, w in candidates if position >= asked]
    pool = in_asking or [w for _, w in candidates]
    if not pool:
        return None
    # Narrowest first; among equals, the expression that appears first in the pattern list.
    return min(pool, key=lambda w: w.days)


def _last_sentence_start(question: str) -> int:
    """Where the last sentence of a question of several sentences begins (0 for one sentence): the
    one that asks. A string-level cut, because the search reads the question before any parse."""
    sentences = split_sentences(question)
    return sentences[-1][0] if sentences else 0


def _in_background_clause(question: str, position: int) -> bool:
    clause_start = max(question.rfind(ch, 0, position) for ch in ",;:.?!(")
    return bool(_BACKGROUND.search(question[clause_start + 1 : position]))


def _month_number(token: str) -> int:
    key = token.lower().rstrip(".")
    return _MONTHS.get(key) or _MONTH_ABBR[key]


def _month_window(year: int, month: int, expression: str, strength: Strength) -> TimeWindow:
    last = calendar.monthrange(year, month)[1]
    return TimeWindow(date(year, month, 1), date(year, month, last), expression, strength)


def _day(d: date, expression: str, strength: Strength) -> TimeWindow:
    return TimeWindow(d, d, expression, strength)


def _window(kind: str, m: re.Match[str], today: date) -> TimeWindow | None:
    text = m.group(0)
    if kind == "iso_date":
        try:
            return _day(date(int(m["y"]), int(m["m"]), int(m["d"])), text, "filter")
        except ValueError:
            return None
    if kind in ("month_day", "day_month"):
        return _explicit_day(text, m, today)
    if kind == "month_year":
        return _month_window(int(m["y"]), _month_number(m["month"]), text, "filter")
    if kind == "month":
        month = _month_number(m["month"])
        # "may" is also a verb: only "in May" reaches here, which is a month.
        year = today.year if month <= today.month else today.year - 1
        if m["last_year"]:  # "in August last year"
            year = today.year - 1
        return _month_window(year, month, text, "filter")
    if kind == "last_month_name":  # "last August": the latest August before this month
        month = _month_number(m["month"])
        year = today.year if month < today.month else today.year - 1
        return _month_window(year, month, text, "filter")
    if kind == "year":
        year = int(m["y"])
        return TimeWindow(date(year, 1, 1), date(year, 12, 31), text, "filter")
    if kind == "this_week":
        return TimeWindow(today - timedelta(days=6), today, text, "boost")
    if kind == "last_week":
        return TimeWindow(today - timedelta(days=13), today - timedelta(days=7), text, "boost")
    if kind == "yesterday":
        return _day(today - timedelta(days=1), text, "boost")
    if kind == "today":
        return _day(today, text, "boost")
    if kind == "this_month":
        return TimeWindow(today.replace(day=1), today, text, "boost")
    if kind == "last_month":
        first_of_this = today.replace(day=1)
        prev = first_of_this - timedelta(days=1)
        return _month_window(prev.year, prev.month, text, "boost")
    if kind == "this_year":
        return TimeWindow(date(today.year, 1, 1), today, text, "boost")
    if kind == "recently":
        return TimeWindow(today - timedelta(days=RECENT_DAYS - 1), today, text, "boost")
    if kind == "days_ago":
        n = m["n"].lower()
        back = _SMALL_NUMBERS[n] if n in _SMALL_NUMBERS else int(n)
        return _day(today - timedelta(days=back), text, "boost")
    if kind == "weekday":
        back = (today.weekday() - _WEEKDAYS[m["wd"].lower()]) % 7
        if text.lower().startswith("last") and back == 0:
            back = 7
        return _day(today - timedelta(days=back), text, "boost")
    raise AssertionError(f"unknown time expression kind {kind}")


def _explicit_day(text: str, m: re.Match[str], today: date) -> TimeWindow | None:
    """'August 28', 'Sept. 3, 2022', '3rd of March': a year-less date is the latest one on/before as-of."""
    month, day_of_month = _month_number(m["month"]), int(m["d"])
    try:
        if m["y"]:
            return _day(date(int(m["y"]), month, day_of_month), text, "filter")
        day = date(today.year, month, day_of_month)
    except ValueError:  # "February 30", or 29 February outside a leap year
        return None
    if day > today:
        # A date shortly ahead is an upcoming one ("runs from December 26"), not last year's.
        if (day - today).days <= UPCOMING_DAYS:
            return None
        try:
            day = day.replace(year=day.year - 1)
        except ValueError:
            return None
    return _day(day, text, "filter")
