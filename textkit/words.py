"""The one word tokenizer: runs of ASCII letters and digits, joined by single inner marks.

Usage:
    words("AT&T's U.S.-based unit cut 1,200 jobs.")   # ["AT&T's", 'U.S', 'based', 'unit', 'cut', '1', '200', 'jobs']
    words("José's U.S. ap_sports", search=True)       # ['José', 'ap_sports']: what BM25 counts

A word is letters and digits, with one apostrophe, period, ampersand or hyphen at a time inside it
("rock'n'roll", "U.S", "R&B", "covid-19"); the marks at its edges are not part of it.
"""

from __future__ import annotations

import re
from collections.abc import Iterator

_RUN = r"[A-Za-z0-9]+"
WORD = re.compile(rf"{_RUN}(?:['\u2019.&-]{_RUN})*")
# The search index's words: runs of two or more word characters of any script ("_" included), the
# rule of scikit-learn's CountVectorizer that bm25s tokenised with. Every saved BM25 index counts
# these, and the reranker's BM25 weight was fitted on their scores.
SEARCH_WORD = re.compile(r"\b\w\w+\b")


def word_matches(text: str, start: int = 0, end: int | None = None) -> Iterator[re.Match[str]]:
    """The words of `text[start:end]` as matches (offsets into `text`), by the same rule as `words`."""
    return WORD.finditer(text, start, len(text) if end is None else end)


def words(text: str, *, search: bool = False) -> list[str]:
    """The words of `text`, in order; `search=True`: the words the search index counts (`SEARCH_WORD`)."""
    return (SEARCH_WORD if search else WORD).findall(text)
