"""The asked-noun table of qa/question/data/asked_nouns.txt and its loader."""

from __future__ import annotations

from pathlib import Path

import pytest

from qa.question.answer_type import ASKED_NOUNS_FILE, load_asked_nouns, target_labels


def test_the_shipped_table_types_singular_and_plural_nouns() -> None:
    assert target_labels("airline") == frozenset({"ORG"})
    assert target_labels("countries") == frozenset({"GPE", "LOC"})
    assert target_labels("films") >= {"WORK_OF_ART", "QUOTED"}
    assert target_labels("teaspoon") == frozenset()
    table = load_asked_nouns(ASKED_NOUNS_FILE)
    assert all(labels and all(label.isupper() for label in labels) for labels in table.values())


def test_a_later_line_wins_and_comments_are_skipped(tmp_path: Path) -> None:
    path = tmp_path / "nouns.txt"
    path.write_text("# a comment\nORG\tband label\n\nPERSON,ORG\tband\n", encoding="utf-8")
    table = load_asked_nouns(path)
    assert table == {"band": frozenset({"PERSON", "ORG"}), "label": frozenset({"ORG"})}


def test_a_line_without_labels_and_nouns_names_its_place(tmp_path: Path) -> None:
    path = tmp_path / "nouns.txt"
    path.write_text("ORG\tband\nPERSON singer\n", encoding="utf-8")
    with pytest.raises(ValueError, match=r"nouns.txt:2: expected LABELS<TAB>nouns"):
        load_asked_nouns(path)
