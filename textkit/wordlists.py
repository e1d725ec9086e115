"""The word lists of the text kernel, read once from `textkit/data/*.txt` (one entry a line, `#` comments).

Usage:
    from textkit.wordlists import STOPWORDS, QUESTION_STOPWORDS, SYNONYMS
    "the" in BASE_STOPWORDS        # True: every list drops it
    SYNONYMS["purchas"]            # "buy"

What each list is for is written at the top of its file.
"""

from __future__ import annotations

from pathlib import Path

DATA = Path(__file__).with_name("data")


def read_lines(path: Path) -> list[str]:
    """The entries of a word-list file: stripped non-empty lines, `#` comment lines left out."""
    lines = (line.strip() for line in path.read_text(encoding="utf-8").splitlines())
    return [line for line in lines if line and not line.startswith("#")]


def read_words(path: Path) -> frozenset[str]:
    return frozenset(read_lines(path))


def read_pairs(path: Path, separator: str | None = None) -> dict[str, str]:
    """`key value` lines (split at `separator`, default whitespace) as a dict."""
    pairs: dict[str, str] = {}
    for line in read_lines(path):
        key, value = line.split(separator) if separator is None else line.split(separator, 1)
        pairs[key.strip()] = value.strip()
    return pairs


BASE_STOPWORDS = read_words(DATA / "stopwords.txt")
STOPWORDS = BASE_STOPWORDS | read_words(DATA / "stopwords_content.txt")
QUESTION_STOPWORDS = BASE_STOPWORDS | read_words(DATA / "stopwords_question.txt")
SYNONYMS = read_pairs(DATA / "synonyms.txt")
PHRASE_SYNONYMS = read_pairs(DATA / "phrase_synonyms.txt", "=")
ABBREVIATIONS = read_words(DATA / "abbreviations.txt")
