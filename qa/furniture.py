"""Page furniture: captions, photo credits, bylines, "JUST WATCHED" video blocks, "Read more" and
newsletter lines. Such sentences are never an answer; they are dropped where passages are read.

Usage:
    furniture = FurnitureFilter.load()                   # the patterns of qa/data/furniture.txt
    furniture.is_furniture("JUST WATCHED Storm update Replay More Videos ...")   # True
    passage = furniture.strip(passage)                   # the Passage without furniture sentences
"""

from __future__ import annotations

import re
from dataclasses import replace
from pathlib import Path
from typing import TYPE_CHECKING

if TYPE_CHECKING:  # qa.extract reads questions, whose analyzer reads rule files through this module
    from qa.extract import Passage

FURNITURE_PATTERNS = Path(__file__).with_name("data") / "furniture.txt"


def read_rules(path: Path) -> list[str]:
    """The non-empty lines of a rule file, without `#` comment lines."""
    lines = path.read_text(encoding="utf-8").splitlines()
    return [line for line in lines if line.strip() and not line.lstrip().startswith("#")]


class FurnitureFilter:
    """Tells page furniture from story text, one sentence at a time (regular expressions, no model)."""

    def __init__(self, patterns: list[str]) -> None:
        # One alternation, a leading (?i) kept to its own pattern: re.search runs once per sentence.
        scoped = [f"(?i:{p[4:]})" if p.startswith("(?i)") else f"(?:{p})" for p in patterns]
        self._pattern = re.compile("|".join(scoped)) if scoped else None

    @classmethod
    def load(cls, path: Path = FURNITURE_PATTERNS) -> FurnitureFilter:
        return cls(read_rules(path))

    def is_furniture(self, sentence: str) -> bool:
        return self._pattern is not None and self._pattern.search(sentence.strip()) is not None

    def strip(self, passage: Passage) -> Passage:
        """`passage` without its furniture sentences (the same object when it has none)."""
        text = passage.article.text
        keep = [i for i, (s, e) in enumerate(passage.sentences) if not self.is_furniture(text[s:e])]
        if len(keep) == len(passage.sentences):
            return passage
        return replace(
            passage,
            sentences=[passage.sentences[i] for i in keep],
            sentence_stems=[passage.sentence_stems[i] for i in keep],
        )
