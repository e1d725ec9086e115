"""Answer candidates by question type: entities, named apposition, noun phrases, counts, places."""

from __future__ import annotations

import pytest

from qa.answering.candidates import containments, find_candidates, sole_new_name, trim_span
from qa.question.question import QuestionAnalyzer
from tests.qa.answering.helpers import best_candidate, candidates_of


class TestFindCandidates:
    def test_a_count_of_days_or_years_is_a_candidate_and_a_share_is_not(self, spacy_parser) -> None:
        question = "The Harbor City council raised its parking fees to their highest point in how many years?"
        sentence = "The Harbor City council raised parking fees by 2.25%, the highest level in 14 years."
        texts = [c.text for c in candidates_of(spacy_parser, question, sentence)]
        assert "14 years" in texts  # spaCy labels it DATE
        assert "2.25%" not in texts
        assert (
            best_candidate(
                spacy_parser, "The coach resigned after how many days?", "Dalton quit after 52 days."
            )
            == "52 days"
        )

    def test_a_name_may_repeat_the_asked_noun_and_its_qualifier(self, spacy_parser) -> None:
        question = "The storm damaged the Hollins Lodge, located in which national park?"
        sentence = "The storm struck near Glacier National Park in Montana."
        assert best_candidate(spacy_parser, question, sentence) == "Glacier National Park"
        question = "Which Pulitzer Prize-winning author died this week?"
        sentence = "The 1998 Pulitzer Prize went to Harold Brenner, who died on Tuesday."
        assert "1998 Pulitzer Prize" not in [c.text for c in candidates_of(spacy_parser, question, sentence)]

    def test_role_question_needs_the_role_beside_the_name(self, spacy_parser) -> None:
        q = QuestionAnalyzer(spacy_parser).analyze("Who is the spokesman of the Free Syrian Army?")
        doc = spacy_parser.parse(
            "Ann Lee, a spokeswoman for the health ministry, said the Free Syrian Army had left."
        )
        assert find_candidates(q, doc) == []
        doc = spacy_parser.parse("Omar Said, a spokesman for the Free Syrian Army, denied the report.")
        assert [c.text for c in find_candidates(q, doc)] == ["Omar Said"]


class TestNamesTheModelMissed:
    @pytest.mark.parametrize(
        ("sentence", "amount"),
        [
            ("She has gone on to raise more than £7m for research.", "more than £7m"),
            ("The law caps their wages at $19 an hour next year.", "$19 an hour"),
            ("The fine was $740 million.", "$740 million"),
        ],
    )
    def test_an_amount_keeps_its_currency_multiplier_and_rate(
        self, spacy_parser, sentence: str, amount: str
    ) -> None:
        question = "How much will the workers be paid?"
        assert amount in [c.text for c in candidates_of(spacy_parser, question, sentence)]

    def test_office_questions_keep_the_office(self, spacy_parser) -> None:
        sentence = "Ohio Gov. Mark Ellison claimed credit for the new bridge on Wednesday."
        texts = [
            c.text
            for c in candidates_of(spacy_parser, "Which governor claimed credit for the bridge?", sentence)
        ]
        assert "Ohio Gov. Mark Ellison" in texts
        texts = [c.text for c in candidates_of(spacy_parser, "Who claimed credit for the bridge?", sentence)]
        assert "Mark Ellison" in texts and "Ohio Gov. Mark Ellison" not in texts


class TestDatelines:
    @pytest.mark.parametrize(
        "sentence",
        [
            "WASHINGTON – The river otter was listed as protected by a panel in Geneva.",
            "Washington (CNN) The river otter was listed as protected by a panel in Geneva.",
        ],
    )
    def test_the_dateline_place_is_not_a_candidate(self, spacy_parser, sentence: str) -> None:
        texts = [c.text for c in candidates_of(spacy_parser, "Where was the otter listed?", sentence)]
        assert "Geneva" in texts and not any(t.lower() == "washington" for t in texts)


class TestSoleNewName:
    def test_names_the_question_has_and_dates_do_not_count(self, spacy_parser) -> None:
        question = QuestionAnalyzer(spacy_parser).analyze(
            "The Lowell Observatory released telescope photos revealing fine details of which planet?"
        )
        doc = spacy_parser.parse(
            "On Monday the Lowell Observatory unveiled new telescope photos showing details of Neptune."
        )
        assert sole_new_name(question, doc) == "Neptune"
        doc = spacy_parser.parse(
            "The Lowell Observatory unveiled telescope photos of Neptune and Uranus on Monday."
        )
        assert sole_new_name(question, doc) is None


class TestTrimSpan:
    @pytest.mark.parametrize(
        ("raw", "clean"),
        [
            ("Islamic State Khorasan (ISIS-K", "ISIS-K"),
            ("Acme Corp's", "Acme Corp"),
            (", Paris;", "Paris"),
            ("59% to", "59%"),  # spaCy's entity of "from 59% to 46%"
            ("Bank of", "Bank"),
            ("to", "to"),
        ],
    )
    def test_edges(self, raw: str, clean: str) -> None:
        assert trim_span(raw) == clean


class TestContainments:
    def test_province_of_country_pairs_the_specific_place_with_its_container(self, spacy_parser) -> None:
        q = QuestionAnalyzer(spacy_parser).analyze("Where did the flood hit?")
        doc = spacy_parser.parse("The flood hit the Sindh province of Pakistan on Monday.")
        assert containments(q, doc.text, find_candidates(q, doc)) == [("sindh", "pakistan")]

    def test_no_pair_when_the_container_is_what_is_asked(self, spacy_parser) -> None:
        q = QuestionAnalyzer(spacy_parser).analyze("Which country did the flood hit?")
        doc = spacy_parser.parse("The flood hit the Sindh province of Pakistan on Monday.")
        assert containments(q, doc.text, find_candidates(q, doc)) == []
