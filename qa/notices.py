"""What an abstaining answer says instead of an answer.

Usage:
    not_said_message("Who won the race?")       # "The indexed articles don't say who won the race."
    nothing_found_message({"articles": 0}, None, None)   # "The index is empty: add articles first."
"""

from __future__ import annotations

import re
from typing import Any

from newsqa.types import Filters

NOT_ENGLISH = "The question does not look like English; the indexed articles can only be searched in English."
NOT_FOUND = "Not found in the indexed articles."
_WH_START = re.compile(r"^(who|whom|whose|what|which|where|when|why|how)\b", re.IGNORECASE)
# A longer question is not repeated back in "The indexed articles don't say ...".
_MAX_REPEATED_CHARS = 160


def not_said_message(question: str) -> str:
    """The notice for an answer withheld: what the articles do not say, when the question reads as a
    clause ("Who won?" -> "... don't say who won."), else plain "not found"."""
    about = _asked_clause(question)
    return f"The indexed articles don't say {about}." if about else NOT_FOUND


def nothing_found_message(stats: Any, filters: Filters | None, time_window: Any) -> str:
    """The notice for a search that found no passage: an empty index, filters or a time window that
    match nothing, or plain "not found". `stats`: the store's stats (a dict or an object), or None."""
    if _article_count(stats) == 0:
        return "The index is empty: add articles first."
    if (filters is not None and not filters.is_empty()) or time_window:
        return "No indexed articles match the filters or time window of the question."
    return NOT_FOUND


def _asked_clause(question: str) -> str:
    """The asked clause for "The indexed articles don't say ...": "Who won?" -> "who won"; else ""."""
    q = question.strip().rstrip("?").strip()
    m = _WH_START.match(q)
    if not m or len(q) > _MAX_REPEATED_CHARS:
        return ""
    return q[0].lower() + q[1:]


def _article_count(stats: Any) -> int | None:
    if stats is None:
        return None
    if isinstance(stats, dict):
        for key in ("articles", "article_count", "n_articles"):
            if key in stats:
                return int(stats[key])
        return None
    for key in ("articles", "article_count", "n_articles"):
        if hasattr(stats, key):
            return int(getattr(stats, key))
    return None
