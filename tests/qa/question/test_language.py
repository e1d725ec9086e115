"""`looks_english`: the check that sends a question in another language a clear note instead of a search."""

from __future__ import annotations

import pytest

from qa.question.language import english_markers, looks_english


@pytest.mark.parametrize(
    "question",
    ["Who opened the new bridge over the river?", "Where is it?", "Name the winner of the race in May"],
)
def test_english_questions_pass(question: str) -> None:
    assert looks_english(question)


@pytest.mark.parametrize(
    "question",
    ["Wer hat gestern das neue Rennen gewonnen?", "Кто открыл новый мост через реку?", "12345 ?!"],
)
def test_other_languages_and_no_letters_do_not(question: str) -> None:
    assert not looks_english(question)


def test_the_word_list_is_read_from_its_data_file() -> None:
    markers = english_markers()
    assert {"the", "who", "what"} <= markers and not any(w.startswith("#") for w in markers)
