"""Noun phrases from POS tags, stripping the question's words, and role/appositive checks."""

from __future__ import annotations

import pytest

from qa.answering.phrases import noun_phrases, role_is_tied, strip_known
from qa.text.nlp import stem


def _phrases(parser, text: str) -> list[str]:
    return [text[np.start : np.end] for np in noun_phrases(parser.parse(text))]


class TestNounPhrases:
    def test_of_phrase_and_hyphenated_compound(self, spacy_parser) -> None:
        text = "Members of the national guard ran a door-to-door search operation today."
        found = _phrases(spacy_parser, text)
        assert "Members of the national guard" in found
        assert "door-to-door search operation" in found  # "today" is not part of it

    def test_coordinated_people(self, spacy_parser) -> None:
        text = "The company flew out local staff, contract workers and their families on Monday."
        assert "local staff, contract workers and their families" in _phrases(spacy_parser, text)

    def test_demonstrative_phrases_are_marked(self, spacy_parser) -> None:
        doc = spacy_parser.parse("Police told these residents to leave.")
        pointed = [np for np in noun_phrases(doc) if np.pointed]
        assert [doc.text[np.start : np.end] for np in pointed] == ["residents"]

    def test_a_possessor_is_not_a_phrase(self, spacy_parser) -> None:
        text = "New images are revealing Neptune, and the planet’s hard-to-detect rings."
        found = _phrases(spacy_parser, text)
        assert "hard-to-detect rings" in found
        assert not any("planet" in f for f in found)  # not "Neptune, and the planet" either


class TestStripKnown:
    def test_leading_question_words_go_the_head_stays(self) -> None:
        text = "the rebel-held northern district of the city"
        start = text.index("rebel")
        end = text.index(" of")
        known = {stem("rebels"), stem("held"), stem("city")}
        assert text[strip_known(text, start, end, known) : end] == "northern district"

    def test_last_word_always_stays(self) -> None:
        text = "city"
        assert strip_known(text, 0, 4, {stem("city")}) == 0


class TestRoleIsTied:
    TEXT = "Jane Roe, a spokesperson for the city council, said the vote was delayed, Mayor John Poe added."

    @pytest.mark.parametrize(
        ("role_of", "name", "tied"),
        [({"council"}, "Jane Roe", True), ({"council"}, "John Poe", False), ({"union"}, "Jane Roe", False)],
    )
    def test_candidate_must_stand_beside_the_role_of_the_asked_body(
        self, role_of: set[str], name: str, tied: bool
    ) -> None:
        start = self.TEXT.index(name)
        of = frozenset(stem(w) for w in role_of)
        assert role_is_tied(self.TEXT, "spokesperson", of, (start, start + len(name))) is tied

    @pytest.mark.parametrize(
        ("text", "tied"),
        [
            ("Fenrir's owner is Michigan physician and HIV specialist Will Powers, the website said.", True),
            ("Fenrir's owner was in Detroit, Will Powers said.", False),  # the clause ends before the name
        ],
    )
    def test_the_role_is_the_name_s_through_is(self, text: str, tied: bool) -> None:
        start = text.index("Will Powers")
        assert role_is_tied(text, "owner", frozenset({stem("Fenrir")}), (start, start + 11)) is tied
