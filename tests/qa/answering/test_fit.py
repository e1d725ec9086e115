"""The subject/type fit check (qa.answering.fit) on articles written for these tests (real spaCy, real extractor)."""

from __future__ import annotations

import pytest

from newsqa.types import Article, Chunk, Hit
from qa.answering.extract import SentenceIndex, SpanExtractor
from qa.answering.fit import AnswerFit, FitWeights, subject_names
from qa.question.question import QuestionAnalyzer


def _judge(spacy_parser, question: str, title: str, text: str, weights: FitWeights | None = None):
    article = Article("a", title, text, source="example.com")
    chunk = Chunk("a:0", "a", 0, text, 0, len(text))
    passage = SentenceIndex().passage(Hit(chunk, 1.0), article, 0)
    analysed = QuestionAnalyzer(spacy_parser).analyze(question)
    extraction = SpanExtractor(spacy_parser).extract(analysed, [passage])
    return extraction, AnswerFit(weights).assess(analysed, extraction)


FUEL = (
    "Drivers paid more at the pump this week. The average price of a gallon of regular gasoline rose to "
    "$3.41 on Monday, the motoring club said. Diesel was also dearer."
)
ASTRONOMER = (
    "The observatory mourned a founder. Astronomer Walter Brennick died on March 3, 2019, at his home "
    "in Tucson. He had mapped thousands of asteroids."
)


class TestSubjectFit:
    def test_price_of_another_thing_is_withheld(self, spacy_parser) -> None:
        extraction, verdict = _judge(
            spacy_parser, "What is the current price of Dogecoin?", "Fuel costs", FUEL
        )
        assert extraction.answer  # the extractor does find an amount of money ...
        assert verdict.features["subject_context"] == 0.0  # ... but nothing near it names Dogecoin
        assert not verdict.fits

    def test_death_of_another_person_is_withheld(self, spacy_parser) -> None:
        extraction, verdict = _judge(
            spacy_parser, "When did Marguerite Olsson die?", "Observatory remembers founder", ASTRONOMER
        )
        assert extraction.answer
        assert verdict.features["type_fit"] == 1.0  # a date, the asked type ...
        assert not verdict.fits  # ... about someone else

    def test_fitting_answer_is_given(self, spacy_parser) -> None:
        extraction, verdict = _judge(
            spacy_parser, "When did Walter Brennick die?", "Observatory remembers founder", ASTRONOMER
        )
        assert "2019" in extraction.answer
        assert verdict.features["subject_sentence"] == 1.0
        assert verdict.fits

    def test_subject_named_only_in_the_title_counts_as_context(self, spacy_parser) -> None:
        text = "Prices rose again. A gallon of regular gasoline cost $3.41 on Monday. Diesel was also dearer."
        question = "What is the price of gasoline in Ohio?"
        _, in_title = _judge(spacy_parser, question, "Ohio drivers pay more", text)
        _, no_title = _judge(
            spacy_parser, question, "Ohio drivers pay more", text, FitWeights(title_counts=False)
        )
        assert in_title.features["subject_context"] == 1.0 and in_title.fits
        assert no_title.features["subject_context"] == 0.0 and not no_title.fits


class TestSubjectNames:
    @pytest.mark.parametrize(
        ("question", "subject"),
        [
            ("What is the current price of Dogecoin?", {"dogecoin"}),
            # The wh-phrase describes the answer: "Brennick" is the subject, "Arizona" is not.
            ("Which Arizona observatory did Walter Brennick found?", {"walter", "brennick"}),
            # Only the asking sentence: the scene-setting one names the story, not what is asked.
            ("Walter Brennick mapped asteroids. Where did he live?", set()),
            ("How many gallons did the tanker spill?", set()),
            ("Who won the Ohio mayoral race in November?", {"ohio"}),
        ],
    )
    def test_subject(self, spacy_parser, question: str, subject: set[str]) -> None:
        assert subject_names(QuestionAnalyzer(spacy_parser).analyze(question)) == subject


class TestTypeFit:
    @pytest.mark.parametrize(
        ("question", "answer", "fit"),
        [
            ("How much does a ticket cost?", "$12", 1.0),
            ("How much does a ticket cost?", "three", 0.0),
            ("When did the bridge open?", "last Tuesday", 1.0),
            ("When did the bridge open?", "mid-August", 1.0),
            ("When did the bridge open?", "the mayor", 0.0),
            ("How many lanes does the bridge have?", "six", 1.0),
            ("How many days did the strike last?", "Feb. 12", 0.0),
            ("Who won the race?", "hers", 0.0),
            ("Which country hosted the race?", "U.S.", None),
            ("Who is Anya Petrakis?", "Boris Lund", 0.0),
            ("Who is Anya Petrakis?", "Petrakis", 1.0),
            ("Which city hosted the fair?", "Lyon", None),
        ],
    )
    def test_answer_type(self, spacy_parser, question: str, answer: str, fit: float | None) -> None:
        analysed = QuestionAnalyzer(spacy_parser).analyze(question)
        assert AnswerFit().type_fit(analysed, answer) == fit

    def test_quoted_sentence_must_hold_the_asked_type(self, spacy_parser) -> None:
        fit = AnswerFit()
        when = QuestionAnalyzer(spacy_parser).analyze("When did the bridge open?")
        assert fit.type_fit(when, "The bridge opened to traffic after a long delay.", span=False) == 0.0
        assert fit.type_fit(when, "The bridge opened to traffic in 1998.", span=False) == 1.0
        which = QuestionAnalyzer(spacy_parser).analyze("Which city hosted the fair?")
        assert fit.type_fit(which, "He said it was good.", span=False) is None


class TestAnswererWithholds:
    """`Answerer.ask` end to end (real store, search and extraction; the fake embedder)."""

    ARTICLES = [
        Article(
            "fuel",
            "Pump prices climb again",
            "Drivers paid more at the pump this week. The average price of a gallon of regular gasoline "
            "rose to $3.41 on Monday, the motoring club said. Diesel prices climbed as well.",
            source="example.com",
            published="2023-05-02",
        ),
        Article(
            "bakery",
            "Town bakery closes",
            "The old bakery on Mill Street closed its doors on Saturday after sixty years of trade.",
            source="example.com",
            published="2023-05-01",
        ),
    ]

    def _answerer(self, make_fake_store, spacy_parser, fit: AnswerFit | None = None):
        from qa.retrieval.search import SearchPipeline
        from qa.service import Answerer

        store, embedder = make_fake_store(self.ARTICLES)
        return Answerer(store, embedder, SearchPipeline(store, embedder), nlp=spacy_parser, answer_fit=fit)

    def test_price_of_something_else_is_withheld_only_by_the_fit_check(
        self, make_fake_store, spacy_parser
    ) -> None:
        question = "What is the average price of a gallon of Dogecoin?"
        unchecked = AnswerFit(FitWeights(min_subject_context=0.0, check_type=False))
        loose = self._answerer(make_fake_store, spacy_parser, unchecked).ask(question, as_of="2023-05-03")
        assert not loose.abstained and "3.41" in loose.answer  # shown without the check
        checked = self._answerer(make_fake_store, spacy_parser).ask(question, as_of="2023-05-03", debug=True)
        assert checked.abstained and checked.citations == []
        assert checked.assessment is not None and checked.assessment["fits"] is False
        assert checked.assessment["fit"]["subject_context"] == 0.0

    def test_fitting_price_is_still_given(self, make_fake_store, spacy_parser) -> None:
        answer = self._answerer(make_fake_store, spacy_parser).ask(
            "What is the average price of a gallon of regular gasoline?", as_of="2023-05-03"
        )
        assert not answer.abstained and "3.41" in answer.answer
