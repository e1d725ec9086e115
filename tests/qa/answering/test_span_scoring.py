"""Scoring candidate spans across the sentences read: newer articles win a close call."""

from __future__ import annotations

import pytest

from newsqa.types import Article
from qa.answering.extract import SpanExtractor
from qa.question.question import QuestionAnalyzer
from tests.qa.answering.helpers import passage_of


class TestRecency:
    QUESTION = "How much did a jury order Harlan Pike to pay the farmers?"
    FIRST = "A jury ordered Harlan Pike to pay the farmers more than $2 million in damages."
    SECOND = "A jury ordered Harlan Pike to pay $740 million to the farmers."

    def _answer(self, parser, first_date: str, second_date: str) -> str:
        first = Article("a", "Verdict", self.FIRST, source="x.com", published=first_date)
        second = Article("b", "Verdict", self.SECOND, source="y.com", published=second_date)
        passages = [passage_of(first, self.FIRST, 0), passage_of(second, self.SECOND, 1)]
        analysed = QuestionAnalyzer(parser).analyze(self.QUESTION)
        return SpanExtractor(parser).extract(analysed, passages).answer

    @pytest.mark.parametrize(
        ("first_date", "second_date", "answer"),
        [("2022-08-05", "2022-10-12", "$740 million"), ("2022-10-12", "2022-08-05", "more than $2 million")],
    )
    def test_the_newer_article_wins_a_close_call(
        self, spacy_parser, first_date: str, second_date: str, answer: str
    ) -> None:
        assert self._answer(spacy_parser, first_date, second_date) == answer
