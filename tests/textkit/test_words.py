"""The one word tokenizer."""

from __future__ import annotations

from textkit import word_parts, words


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

    def test_parts_are_the_runs_inside_words(self) -> None:
        assert word_parts("U.S.-made rock'n'roll B&B") == ["U", "S", "made", "rock", "n", "roll", "B", "B"]
