"""Page furniture: captions, photo credits, bylines, "JUST WATCHED" video blocks, "Read more" and
newsletter lines. Such sentences are never an answer; they are dropped where passages are read.

Usage:
    furniture = FurnitureFilter.load()                   # the patterns of qa/text/data/furniture.txt
    furniture.is_furniture("JUST WATCHED Storm update Replay More Videos ...")   # True
    passage = furniture.strip(passage)                   # the Passage without furniture sentences
"""

from __future__ import annotations

import re
from dataclasses import replace
from pathlib import Path
from typing import TYPE_CHECKING

from qa.text.nlp import split_sentences

if TYPE_CHECKING:  # qa.answering reads questions, whose analyzer reads rule files through this module
    from qa.answering.sentences import Extraction, Passage

FURNITURE_PATTERNS = Path(__file__).with_name("data") / "furniture.txt"
PHOTO_CREDITS = Path(__file__).with_name("data") / "photo_credits.txt"


def read_rules(path: Path) -> list[str]:
    """The non-empty lines of a rule file, without `#` comment lines."""
    lines = path.read_text(encoding="utf-8").splitlines()
    return [line for line in lines if line.strip() and not line.lstrip().startswith("#")]


class FurnitureFilter:
    """Tells page furniture from story text, one sentence at a time (regular expressions, no model)."""

    def __init__(self, patterns: list[str], credits: list[str] | None = None) -> None:
        self._pattern = _one_pattern(patterns)
        self._credit = _one_pattern(credits or [])

    @classmethod
    def load(cls, path: Path = FURNITURE_PATTERNS, credits: Path = PHOTO_CREDITS) -> FurnitureFilter:
        return cls(read_rules(path), read_rules(credits))

    def is_furniture(self, sentence: str) -> bool:
        text = sentence.strip()
        return any(p is not None and p.search(text) is not None for p in (self._pattern, self._credit))

    def is_credit(self, sentence: str) -> bool:
        """A photo credit standing alone ("Dan Kitwood/Getty Images"): the sentence before is a caption."""
        return self._credit is not None and self._credit.search(sentence.strip()) is not None

    def furniture_indexes(self, text: str, sentences: list[tuple[int, int]]) -> set[int]:
        """Indexes of the furniture among `sentences` (offsets into `text`), captions before a credit
        on the same line included."""
        out = {i for i, (s, e) in enumerate(sentences) if self.is_furniture(text[s:e])}
        for i in range(1, len(sentences)):
            start, end = sentences[i]
            if self.is_credit(text[start:end]) and "\n" not in text[sentences[i - 1][1] : start]:
                out.add(i - 1)
        return out

    def strip(self, passage: Passage) -> Passage:
        """`passage` without its furniture sentences (the same object when it has none)."""
        drop = self.furniture_indexes(passage.article.text, passage.sentences)
        if not drop:
            return passage
        keep = [i for i in range(len(passage.sentences)) if i not in drop]
        return replace(
            passage,
            sentences=[passage.sentences[i] for i in keep],
            sentence_stems=[passage.sentence_stems[i] for i in keep],
        )

    def trim(self, extraction: Extraction) -> Extraction:
        """`extraction` with each quote ending before the first furniture sentence it runs into (an
        answer read on into the next sentence must not take a "JUST WATCHED" line along)."""
        support, answer = [], extraction.answer
        for ev in extraction.support:
            text = ev.passage.article.text
            spans = [(ev.start + s, ev.start + e) for s, e in split_sentences(text[ev.start : ev.end])]
            cut = next((i for i in range(1, len(spans)) if self.is_furniture(text[slice(*spans[i])])), None)
            if cut is None:
                support.append(ev)
                continue
            support.append(replace(ev, end=spans[cut - 1][1]))
            at = answer.find(text[slice(*spans[cut])])
            answer = answer[:at].rstrip() if at > 0 else answer
        if support == extraction.support:
            return extraction
        return replace(extraction, answer=answer, support=support)


def _one_pattern(patterns: list[str]) -> re.Pattern[str] | None:
    """One alternation, a leading (?i) kept to its own pattern: re.search runs once per sentence."""
    scoped = [f"(?i:{p[4:]})" if p.startswith("(?i)") else f"(?:{p})" for p in patterns]
    return re.compile("|".join(scoped)) if scoped else None
