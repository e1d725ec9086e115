"""Is a question English? The indexed articles can only be searched in English.

Usage:
    looks_english("Who won the match?")        # True
    looks_english("Wer hat das Spiel gewonnen?")  # False
"""

from __future__ import annotations

from functools import lru_cache
from pathlib import Path

from textkit import words

ENGLISH_MARKERS = Path(__file__).with_name("data") / "english_markers.txt"
# Share of letters that must be ASCII: below it the question is in another script.
MIN_ASCII_SHARE = 0.6
# Questions shorter than this many words are not judged by their words (too little to tell).
MIN_WORDS_JUDGED = 4


@lru_cache(maxsize=1)
def english_markers(path: Path = ENGLISH_MARKERS) -> frozenset[str]:
    lines = path.read_text(encoding="utf-8").splitlines()
    return frozenset(w.strip().lower() for w in lines if w.strip() and not w.startswith("#"))


def looks_english(text: str) -> bool:
    """Mostly ASCII letters, and (from 4 words on) at least one common English function word."""
    letters = [ch for ch in text if ch.isalpha()]
    if not letters:
        return False
    if sum(1 for ch in letters if ch.isascii()) / len(letters) < MIN_ASCII_SHARE:
        return False
    tokens = [w.lower() for w in words(text)]
    return len(tokens) < MIN_WORDS_JUDGED or any(t in english_markers() for t in tokens)
