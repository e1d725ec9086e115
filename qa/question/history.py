"""What the UI and API add to a conversation's turns, taken out before a follow-up is rewritten.

Usage:
    clean_turn_text("Nangarhar: \u201cThe strike occurred in Nangarhar,\u201d he said. [1]", answer=True)
    # -> "Nangarhar"
"""

from __future__ import annotations

import re

_CITATION_MARKER = re.compile(r"\s*\[\d+(?:\s*[,\u2013-]\s*\d+)*\]")
_SOURCES_LIST = re.compile(r"(?:^|\n)\s*(?:\*\*)?Sources?(?:\*\*)?\s*:.*", re.S | re.I)
# A readable answer: `Nangarhar: \u201cThe unmanned airstrike occurred ...,\u201d Captain Urban said. [1]`
_READABLE_ANSWER = re.compile(r"^(?P<short>[^:\n\u201c\"]{1,80}?):\s+[\u201c\"]")
# Answers that say nothing was found: an earlier abstention names no topic.
_NOTICE_STARTS = (
    "the indexed articles",
    "not found",
    "no indexed",
    "the question does not look like",
    "not in the articles",
    "i don't know",
    "i do not know",
)


def clean_turn_text(text: str, *, answer: bool = False) -> str:
    """A turn as the rewriter should read it: no "[1]" markers, no "Sources:" list; for an answer,
    the short answer of a readable one (`Nangarhar: “...” [1]` -> "Nangarhar") and "" for a notice
    that nothing was found.

    >>> clean_turn_text("Nangarhar: “The strike occurred in Nangarhar,” he said. [1]", answer=True)
    'Nangarhar'
    """
    text = _SOURCES_LIST.sub("", text)
    text = _CITATION_MARKER.sub("", text).strip()
    if not answer:
        return " ".join(text.split())
    m = _READABLE_ANSWER.match(text)
    if m:
        text = m.group("short")
    text = " ".join(text.split())
    if text.lower().startswith(_NOTICE_STARTS):
        return ""
    return text
