"""The one word tokenizer."""

from __future__ import annotations

from textkit import word_matches, words


class TestWords:
    def test_inner_marks_join_and_edge_marks_do_not(self) -> None:
        text = "Mona's B&B in the U.K. sells rock'n'roll T-shirts, says co-owner O’Hara."
        assert words(text) == [
            "Mona's",
            "B&B",
            "in",
            "the",
            "U.K",
            "sells",
            "rock'n'roll",
            "T-shirts",
            "says",
            "co-owner",
            "O’Hara",
        ]

    def test_two_marks_in_a_row_split_and_numbers_split_at_commas(self) -> None:
        assert words("well--known U.S.-made 1,250 3.5 - ... 'quoted'") == [
            "well",
            "known",
            "U.S",
            "made",
            "1",
            "250",
            "3.5",
            "quoted",
        ]

    def test_only_ascii_letters_and_digits_make_words(self) -> None:
        assert words("Café №7 snake_case") == ["Caf", "7", "snake", "case"]
        assert words("") == [] and words(" -- ") == []

    def test_search_words_are_runs_of_two_or_more_word_characters_of_any_script(self) -> None:
        text = "José's U.S.-led ap_sports team, 7 x 12"
        assert words(text, search=True) == ["José", "led", "ap_sports", "team", "12"]


def test_word_matches_are_the_words_with_their_offsets_inside_a_window() -> None:
    text = "Intro. The R&B singer's U.S. tour ended."
    found = [(m.group(), m.start()) for m in word_matches(text, 7, 33)]
    assert found == [("The", 7), ("R&B", 11), ("singer's", 15), ("U.S", 24), ("tour", 29)]
    assert [m.group() for m in word_matches(text)] == words(text)
