"""Answer candidates by question type: entities, named apposition, noun phrases, counts, places."""

from __future__ import annotations

import pytest

from qa.answering.candidates import containments, find_candidates, sole_new_name, trim_span
from qa.question.question import QuestionAnalyzer
from tests.qa.answering.helpers import best_candidate, candidates_of


class TestFindCandidates:
    def test_a_count_of_days_or_years_is_a_candidate_and_a_share_is_not(self, spacy_parser) -> None:
        question = "The Bank of England raised its interest rate to the highest level in how many years?"
        sentence = "The Bank of England raised its key rate to 2.25%, the highest level in 14 years."
        texts = [c.text for c in candidates_of(spacy_parser, question, sentence)]
        assert "14 years" in texts  # spaCy labels it DATE
        assert "2.25%" not in texts
        assert (
            best_candidate(spacy_parser, "Truss resigned after how many days?", "Truss quit after 45 days.")
            == "45 days"
        )

    def test_a_name_may_repeat_the_asked_noun_and_its_qualifier(self, spacy_parser) -> None:
        question = "The fire threatened the Mariposa Grove, located in which national park?"
        sentence = "The fire burned near Yosemite National Park in California."
        assert best_candidate(spacy_parser, question, sentence) == "Yosemite National Park"
        question = "Which Nobel Peace Prize-winning former leader died this week?"
        sentence = "The 1990 Nobel Peace Prize went to Mikhail Gorbachev, who died on Tuesday."
        assert "1990 Nobel Peace Prize" not in [
            c.text for c in candidates_of(spacy_parser, question, sentence)
        ]

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
            ("The law caps their wages at $22 an hour next year.", "$22 an hour"),
            ("The fine was $965 million.", "$965 million"),
        ],
    )
    def test_an_amount_keeps_its_currency_multiplier_and_rate(
        self, spacy_parser, sentence: str, amount: str
    ) -> None:
        question = "How much will the workers be paid?"
        assert amount in [c.text for c in candidates_of(spacy_parser, question, sentence)]

    def test_office_questions_keep_the_office(self, spacy_parser) -> None:
        sentence = "Florida Gov. Ron DeSantis claimed credit for the flights on Wednesday."
        texts = [
            c.text
            for c in candidates_of(spacy_parser, "Which governor claimed credit for the flights?", sentence)
        ]
        assert "Florida Gov. Ron DeSantis" in texts
        texts = [c.text for c in candidates_of(spacy_parser, "Who claimed credit for the flights?", sentence)]
        assert "Ron DeSantis" in texts and "Florida Gov. Ron DeSantis" not in texts


class TestDatelines:
    @pytest.mark.parametrize(
        "sentence",
        [
            "WASHINGTON – The monarch butterfly was listed as endangered by a group in Geneva.",
            "Washington (CNN) The monarch butterfly was listed as endangered by a group in Geneva.",
        ],
    )
    def test_the_dateline_place_is_not_a_candidate(self, spacy_parser, sentence: str) -> None:
        texts = [c.text for c in candidates_of(spacy_parser, "Where was the butterfly listed?", sentence)]
        assert "Geneva" in texts and not any(t.lower() == "washington" for t in texts)


class TestSoleNewName:
    def test_names_the_question_has_and_dates_do_not_count(self, spacy_parser) -> None:
        question = QuestionAnalyzer(spacy_parser).analyze(
            "NASA shared new James Webb Telescope images that show remarkable details of which planet?"
        )
        doc = spacy_parser.parse(
            "On Monday NASA unveiled new James Webb Telescope images showing details of Jupiter."
        )
        assert sole_new_name(question, doc) == "Jupiter"
        doc = spacy_parser.parse("NASA unveiled James Webb Telescope images of Jupiter and Saturn on Monday.")
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
