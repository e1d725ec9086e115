"""The word lists: data files, one base stop list and its two named extensions."""

from __future__ import annotations

import tomllib
from fnmatch import fnmatch
from pathlib import Path

from textkit.wordlists import (
    ABBREVIATIONS,
    BASE_STOPWORDS,
    DATA,
    PHRASE_SYNONYMS,
    QUESTION_STOPWORDS,
    STOPWORDS,
    SYNONYMS,
    read_lines,
    read_pairs,
)


def test_comments_and_blank_lines_are_not_entries(tmp_path: Path) -> None:
    path = tmp_path / "list.txt"
    path.write_text("# a comment\n\n  alpha  \nbeta gamma\n   # indented comment\n", encoding="utf-8")
    assert read_lines(path) == ["alpha", "beta gamma"]
    path.write_text("# pairs\nlong form = short\n", encoding="utf-8")
    assert read_pairs(path, "=") == {"long form": "short"}


def test_every_list_extends_the_base_one() -> None:
    assert BASE_STOPWORDS < STOPWORDS and BASE_STOPWORDS < QUESTION_STOPWORDS
    # The two extensions differ: each caller keeps the words it was tuned with.
    assert "said" in STOPWORDS - QUESTION_STOPWORDS and "named" in QUESTION_STOPWORDS - STOPWORDS


def test_entries_are_single_lower_case_words() -> None:
    for words in (STOPWORDS, QUESTION_STOPWORDS, ABBREVIATIONS, set(SYNONYMS) | set(SYNONYMS.values())):
        assert all(w == w.lower() and w.split() == [w] for w in words)
    assert all(len(name.split()) > 1 and name == name.lower() for name in PHRASE_SYNONYMS)


def test_pyproject_ships_every_list() -> None:
    """Each data file matches a package-data pattern of `textkit`, so an installed package has it."""
    pyproject = tomllib.loads((DATA.parents[1] / "pyproject.toml").read_text(encoding="utf-8"))
    patterns = pyproject["tool"]["setuptools"]["package-data"]["textkit"]
    files = [p.relative_to(DATA.parent).as_posix() for p in DATA.iterdir()]
    assert files and all(any(fnmatch(f, pattern) for pattern in patterns) for f in files)
