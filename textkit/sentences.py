"""The one sentence splitter: (start, end) offsets of the sentences of a text, no model.

Usage:
    for start, end in split_sentences(text): sentence = text[start:end]
    split_sentences('Mr. Lee won. "We did it."')            # [(0, 12), (13, 25)]: the quote stays
    split_sentences('He said "yes." Then left.', closing_quotes=False)  # [(0, 13), (15, 25)]
    split_sentences("mr. lee won. it rained.", every_stop=True)        # [(0, 3), (4, 12), (13, 23)]

A sentence ends at every line break, and at a run of stops (. ! ? …) with its closing quotes or
brackets when whitespace and a capital letter or digit (after an opening quote or bracket) follow;
a period after an abbreviation (`data/abbreviations.txt`), an initial ("J. K.", "Roe v. Wade") or a
dotted word ("U.S.") ends none. Whitespace is never part of a sentence. The chunker cuts articles
with exactly these rules, so a change here moves chunk boundaries (every index re-embedded).
"""

from __future__ import annotations

import re

from textkit.wordlists import ABBREVIATIONS

_STOPS = ".!?\u2026"
_CLOSERS = "\"'\u201d\u2019)]"
_RUN = rf"[{re.escape(_STOPS)}]+[{re.escape(_CLOSERS)}]*"
# How a sentence starts: a capital or digit, maybe after an opening quote or bracket.
_START = r"[\"'\u201c\u2018(\[]?[A-Z0-9]"
_SENTENCE_START = re.compile(_START)
# The end of a sentence: stops and closers, then whitespace and the start of the next.
_TERMINATOR = re.compile(_RUN + rf"(?=\s+{_START})")
# `every_stop`: stops and closers before any whitespace.
_ANY_TERMINATOR = re.compile(_RUN + r"(?=\s)")
_LINE = re.compile(r"[^\n]+")
_LAST_WORD = re.compile(r"(\S+)$")
_DOTTED = re.compile(r"^(?:[A-Za-z]\.)+[A-Za-z]?$")


def split_sentences(
    text: str, *, every_stop: bool = False, closing_quotes: bool = True
) -> list[tuple[int, int]]:
    """Sentence spans (start, end) of `text`, whitespace excluded; every line break ends a sentence.

    `every_stop`: any stop before whitespace ends a sentence, abbreviations and lower-case starts
    included (the reranker's passage sentences, matched as lower-cased words).
    `closing_quotes=False`: a sentence followed by one that starts with a capital or digit ends at
    its stop, without the quotes and brackets that close it (`He said "yes.`); the answer stages
    quote sentences that way.
    """
    terminator = _ANY_TERMINATOR if every_stop else _TERMINATOR
    spans: list[tuple[int, int]] = []
    for line in _LINE.finditer(text):
        base = line.start()
        body = line.group()
        cut = 0
        for m in terminator.finditer(body):
            if not every_stop and m.group()[0] == "." and _is_abbreviation(body, m.start()):
                continue
            _append_stripped(spans, text, base + cut, base + m.end())
            cut = m.end()
        _append_stripped(spans, text, base + cut, base + len(body))
    if not closing_quotes:
        spans[:-1] = [
            (start, _before_closers(text, start, end))
            if _SENTENCE_START.match(text, following)
            else (start, end)
            for (start, end), (following, _) in zip(spans, spans[1:], strict=False)
        ]
    return spans


def _is_abbreviation(body: str, dot: int) -> bool:
    found = _LAST_WORD.search(body, 0, dot)
    if not found:
        return False
    word = found.group(1).lstrip("\"'\u201c\u2018([")
    if len(word) == 1 and word.isalpha():
        return True  # an initial: "J. K. Rowling"
    return word.lower().rstrip(".") in ABBREVIATIONS or bool(_DOTTED.match(word))


def _append_stripped(spans: list[tuple[int, int]], text: str, start: int, end: int) -> None:
    while start < end and text[start].isspace():
        start += 1
    while end > start and text[end - 1].isspace():
        end -= 1
    if start < end:
        spans.append((start, end))


def _before_closers(text: str, start: int, end: int) -> int:
    """`end` moved back over the closers that follow a stop (unchanged when no stop precedes them)."""
    cut = end
    while cut > start and text[cut - 1] in _CLOSERS:
        cut -= 1
    return cut if cut < end and cut > start and text[cut - 1] in _STOPS else end
