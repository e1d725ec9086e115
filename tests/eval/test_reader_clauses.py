"""Verb- and noun-phrase questions for the reader's synthetic examples, on invented sentences, with the
real spaCy model and its dependency parser."""

from __future__ import annotations

from typing import Any

import pytest

from eval.evalsets import EvalArticle
from eval.reader_clauses import ClauseLimits, clause_question
from eval.reader_synthetic import DependencyParser, SyntheticLimits, synthetic_examples


@pytest.fixture(scope="module")
def dependency_parser() -> DependencyParser:
    return DependencyParser.load()


def _asked(
    parser: DependencyParser, sentence: str, limits: ClauseLimits | None = None
) -> tuple[str, str] | None:
    (doc,) = parser.parse_many([sentence])
    found = clause_question(doc, limits or ClauseLimits())
    return None if found is None else (found[0], sentence[found[1] : found[2]])


def test_an_infinitive_complement_is_asked_with_to_do(dependency_parser: Any) -> None:
    question, answer = _asked(
        dependency_parser, "The harbour master urged sailors to avoid the channel until Monday."
    )
    assert question == "What did the harbour master urge sailors to do?"
    assert answer == "avoid the channel"  # the preposition ("until Monday") ends the answer


def test_an_auxiliary_moves_to_the_front_instead_of_do(dependency_parser: Any) -> None:
    question, answer = _asked(dependency_parser, "The bakery has decided to close two shops in Dunmore.")
    assert question.startswith("What has the bakery decided")
    assert answer == "close two shops"


def test_a_plain_object_is_asked_with_what(dependency_parser: Any) -> None:
    question, answer = _asked(dependency_parser, "The town council raised its parking fee by one pound.")
    assert question == "What did the town council raise by one pound?"
    assert answer == "its parking fee"


def test_pronoun_subjects_negations_and_long_answers_give_no_question(dependency_parser: Any) -> None:
    assert _asked(dependency_parser, "She wants to leave the city.") is None
    assert _asked(dependency_parser, "The mayor did not agree to sign the budget.") is None
    short = ClauseLimits(max_answer_tokens=2)
    assert _asked(dependency_parser, "The club hired a famous young Brazilian coach.", short) is None


def test_synthetic_examples_mix_clause_and_entity_questions(dependency_parser: Any) -> None:
    text = (
        "The harbour master urged sailors to avoid the channel until Monday. "
        "Engineer Lucia Fernhall said the new wall would protect 2,000 homes from storms. "
        "The bakery has decided to close two shops in Dunmore after a poor year. "
        "The town council of Westmere raised its parking fee by one pound on Tuesday."
    )
    articles = [EvalArticle("a", "Harbour", text)]
    limits = SyntheticLimits(min_sentence_words=5, negative_share=0.0, clause_share=0.5, parse_surplus=4.0)
    examples = synthetic_examples(articles, 40, limits, dependency_parser, seed=3, max_window_chars=400)
    answers = {e.window[e.answer_start : e.answer_end] for e in examples}
    assert any(e.question.endswith("to do?") for e in examples)
    assert not all(e.question.startswith("What ") for e in examples)
    for example in examples:
        answer = example.window[example.answer_start : example.answer_end]
        assert answer and answer not in example.question
    assert all(answer in text for answer in answers)
