"""The one word tokenizer: runs of ASCII letters and digits, joined by single inner marks.

Usage:
    words("AT&T's U.S.-based unit cut 1,200 jobs.")   # ['AT&T's', 'U.S', 'based', 'unit', 'cut', '1', '200', 'jobs']
    word_parts("U.S.-led")                            # ['U', 'S', 'led']

A word is letters and digits, with one apostrophe, period, ampersand or hyphen at a time inside it
("rock'n'roll", "U.S", "R&B", "covid-19"); the marks at its edges are not part of it.
"""

from __future__ import annotations

import re

_RUN = r"[A-Za-z0-9]+"
WORD = re.compile(rf"{_RUN}(?:['\u2019.&-]{_RUN})*")
_PART = re.compile(_RUN)


def words(text: str) -> list[str]:
    """The words of `text`, in order."""
    return WORD.findall(text)


def word_parts(text: str) -> list[str]:
    """The letter-and-digit runs words are made of, in order (a word's inner marks split it)."""
    return _PART.findall(text)
