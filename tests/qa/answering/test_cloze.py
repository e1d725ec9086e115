"""Questions that end in a blank: the words before it, and the answer that follows them."""

from __future__ import annotations

import pytest

from newsqa.types import Article
from qa.answering.cloze import _cloze_context
from qa.answering.extract import SpanExtractor
from qa.question.question import QuestionAnalyzer
from tests.qa.answering.helpers import passage_of


class TestClozeQuestions:
    @pytest.mark.parametrize(
        ("question", "context"),
        [
            ("This week Elon Musk denied an alleged affair with who?", ["affair", "with"]),
            ("He was known as:", ["known", "as"]),
            ("Guinness named him the tallest cat. He measures:", ["measur"]),
            ("This luxury fashion house drew backlash for its ad campaign:", None),  # asks the subject
            ("Who won the final?", None),
            ("Which team won the 2022 Stanley Cup?", None),
            ("Biden is pardoning people with federal convictions for what charge?", ["convict", "for"]),
            ("His win gives Democrats how many Senate seats?", None),  # a count, not the words after
        ],
    )
    def test_context_before_the_blank(self, question: str, context: list[str] | None) -> None:
        assert _cloze_context(question) == context

    @pytest.mark.parametrize(
        ("question", "text", "answer"),
        [
            (
                "This week the world's richest man, Elon Musk, denied that he had an alleged affair with who?",
                "Elon Musk has denied having an affair with Nicole Shanahan, the wife of Google's co-founder.",
                "Nicole Shanahan",
            ),
            (
                "After 26 years alone, the last man of the Tanaru territory died. He was known as:",
                'Known as the "Man of the Hole," he had lived alone in the Tanaru territory for 26 years.',
                "Man of the Hole",
            ),
            (
                "Fenrir, a Savannah cat, is the tallest living domestic cat. He measures:",
                "The Savannah cat Fenrir measures 18.83 inches on Jan. 19, according to Guinness.",
                "18.83 inches",
            ),
            (
                "In a historic move, Joe Biden is pardoning people with federal convictions for what charge?",
                "Biden said he will pardon all people with federal convictions for simple possession of "
                "marijuana.",
                "simple possession of marijuana",
            ),
        ],
    )
    def test_answer_is_what_follows_the_context(
        self, spacy_parser, question: str, text: str, answer: str
    ) -> None:
        article = Article("a", "News", text, source="x.com")
        analysed = QuestionAnalyzer(spacy_parser).analyze(question)
        result = SpanExtractor(spacy_parser).extract(analysed, [passage_of(article, text, 0)])
        assert result.answer == answer
        assert result.span and answer in text[result.support[0].start : result.support[0].end]
