"""Sentences scored against the question."""

from __future__ import annotations

from newsqa.types import Article
from qa.answering.sentences import sentence_scores
from qa.question.question import QuestionAnalyzer
from tests.qa.answering.helpers import passage_of


class TestSentenceScores:
    def test_a_question_in_the_article_is_never_a_candidate(self, spacy_parser) -> None:
        # News quizzes repeat the very question: it covers every question word and answers nothing.
        text = (
            "Which airport had the most delayed flights this summer? "
            "Chicago Midway had the most delayed flights of the summer, the report found."
        )
        article = Article("quiz", "Quiz", text, source="x.com")
        question = QuestionAnalyzer(spacy_parser).analyze(
            "Which airport had the most delayed flights this summer?"
        )
        ranked = sentence_scores(question, [passage_of(article, text, 0)])
        assert [text[s.start : s.end] for s in ranked] == [text[text.index("Chicago") :]]
