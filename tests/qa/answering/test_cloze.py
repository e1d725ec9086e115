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
            ("This week the singer Dana Moretti denied an alleged feud with who?", ["feud", "with"]),
            ("He was known as:", ["known", "as"]),
            ("Rangers named it the tallest tree in the park. It measures:", ["measur"]),
            ("This furniture brand drew criticism for its holiday catalog:", None),  # asks the subject
            ("Who won the final?", None),
            ("Which team won the 2022 Stanley Cup?", None),
            ("The governor is pardoning people with state convictions for what charge?", ["convict", "for"]),
            ("Her win gives the party how many council seats?", None),  # a count, not the words after
        ],
    )
    def test_context_before_the_blank(self, question: str, context: list[str] | None) -> None:
        assert _cloze_context(question) == context

    @pytest.mark.parametrize(
        ("question", "text", "answer"),
        [
            (
                "This week the singer Dana Moretti denied that she had an alleged feud with who?",
                "Dana Moretti has denied having a feud with Laura Quinn, the drummer of her former band.",
                "Laura Quinn",
            ),
            (
                "After 30 years on the island, the old lighthouse keeper retired. He was known as:",
                'Known as the "Keeper of the Cape," he had tended the Brandon Point light for 30 years.',
                "Keeper of the Cape",
            ),
            (
                "Juniper, a Douglas fir, is the tallest tree in the county park. It measures:",
                "The Douglas fir Juniper measures 212 feet on its north side, according to the rangers.",
                "212 feet",
            ),
            (
                "In a surprise move, Governor Ellen Marsh is pardoning people with state convictions for what charge?",
                "Marsh said she will pardon all people with state convictions for unpaid parking fines.",
                "unpaid parking fines",
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
