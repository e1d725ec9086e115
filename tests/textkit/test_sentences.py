"""The one sentence splitter and its two named options."""

from __future__ import annotations

import pytest

from textkit import split_sentences


def _texts(text: str, **options: bool) -> str:
    """The sentences of `text`, joined by " | " (none of the texts below has that mark)."""
    return " | ".join(text[a:b] for a, b in split_sentences(text, **options))


class TestDefaultRules:
    def test_titles_initials_and_dotted_words_do_not_end_sentences(self) -> None:
        text = (
            "Dr. Ines Marlow of Harwick Corp. met Sen. O. T. Bell in the U.S. capital. Pike v. Stone ended."
        )
        assert _texts(text) == (
            "Dr. Ines Marlow of Harwick Corp. met Sen. O. T. Bell in the U.S. capital. | Pike v. Stone ended."
        )

    def test_listed_abbreviation_ends_no_sentence_but_other_words_do(self) -> None:
        assert _texts("They met on Feb. 3 at noon. It rained.") == "They met on Feb. 3 at noon. | It rained."
        assert _texts("The fee is $5 approx. Tickets sold out.") == "The fee is $5 approx. Tickets sold out."
        assert _texts("The fee is $5 today. Tickets sold out.") == "The fee is $5 today. | Tickets sold out."

    def test_closing_quotes_and_brackets_stay_with_their_sentence(self) -> None:
        text = '"We lost," the coach said. "We will be back." (It was late.) Fans left!\u201cWhy?\u201d Nobody knew.'
        assert _texts(text) == (
            '"We lost," the coach said. | "We will be back." | (It was late.) | Fans left!\u201cWhy?\u201d'
            " | Nobody knew."
        )

    def test_a_lower_case_start_continues_the_sentence(self) -> None:
        text = "Prices rose 3.5 percent. and then fell... Markets shrugged."
        assert _texts(text) == "Prices rose 3.5 percent. and then fell... | Markets shrugged."

    def test_every_line_break_ends_a_sentence_and_whitespace_is_excluded(self) -> None:
        text = "  A headline without a stop\n\nFirst line. Second one\n  continued here, lower case.  \n"
        assert (
            _texts(text)
            == "A headline without a stop | First line. | Second one | continued here, lower case."
        )

    @pytest.mark.parametrize("text", ["", " \n\n ", "\t"])
    def test_blank_text_has_no_sentences(self, text: str) -> None:
        assert split_sentences(text) == []

    def test_offsets_point_into_the_text(self) -> None:
        assert split_sentences("One. Two!\nThree?") == [(0, 4), (5, 9), (10, 16)]


class TestOptions:
    def test_without_closing_quotes_a_sentence_ends_at_its_stop(self) -> None:
        # The next line starts a sentence (an opening quote, a capital); the last sentence keeps its quotes.
        text = 'She said "we won." They cheered.\nHe wrote "fine."\n"Done," she replied. "Done."'
        assert _texts(text, closing_quotes=False) == (
            'She said "we won. | They cheered. | He wrote "fine. | "Done," she replied. | "Done."'
        )

    def test_without_closing_quotes_a_lower_case_next_line_keeps_them(self) -> None:
        text = 'He wrote "fine."\n\u2014 a reader'
        assert _texts(text, closing_quotes=False) == 'He wrote "fine." | \u2014 a reader'
        text = "An aside (see below) Next one."
        assert _texts(text, closing_quotes=False) == text

    def test_every_stop_ends_a_sentence_abbreviations_and_lower_case_included(self) -> None:
        text = "dr. ines marlow spoke. then she left!it rained"
        assert _texts(text, every_stop=True) == "dr. | ines marlow spoke. | then she left!it rained"
