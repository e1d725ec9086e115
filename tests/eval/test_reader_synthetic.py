"""Synthetic reader examples (cloze translation) from invented articles, with the real spaCy model."""

from __future__ import annotations

import random
from pathlib import Path
from typing import Any

import pytest

from eval.evalsets import EvalArticle, EvalSet
from eval.reader_synthetic import SyntheticLimits, cloze_question, load_wh_phrases, synthetic_examples
from eval.reader_train import ReaderTrainOptions, _synthetic
from qa.answering.reader import ReaderConfig

HARBOUR = (
    "The council of Westmere approved a new harbour wall on Tuesday after a long debate. "
    "Engineer Lucia Fernhall said the wall would protect 2,000 homes from winter storms. "
    "Work will begin in March and should take about two years to finish. "
    "The project will cost the town of Westmere $12 million in total."
)
ORCHARD = (
    "Farmers near Caldmoor picked a record apple harvest this autumn, according to the growers' union. "
    "The union's chair, Tomas Brennick, credited a mild spring and fewer late frosts for the crop. "
    "Prices fell by 8 percent at the Caldmoor market as a result of the large supply."
)


def test_wh_phrases_file_covers_people_places_and_dates() -> None:
    phrases = load_wh_phrases()
    assert "who" in phrases["PERSON"] and "when" in phrases["DATE"] and "where" in phrases["GPE"]


def test_a_bad_wh_phrase_line_is_named(tmp_path: Path) -> None:
    path = tmp_path / "wh.txt"
    path.write_text("# comment\nPERSON: who\nDATE when\n", encoding="utf-8")
    with pytest.raises(ValueError, match=r"wh\.txt:3"):
        load_wh_phrases(path)


def test_cloze_question_asks_for_the_entity_without_naming_it(spacy_parser: Any) -> None:
    (doc,) = spacy_parser.parse_many(["Engineer Lucia Fernhall said the wall would protect 2,000 homes."])
    person = next(e for e in doc.ents if e.label_ == "PERSON")
    limits = SyntheticLimits(word_dropout=0.0)
    question = cloze_question(doc, person, "who", limits, random.Random(0))
    assert question.startswith("Who ") and question.endswith("?")
    assert "Fernhall" not in question and "protect" in question


def test_examples_label_an_entity_of_their_window_or_no_answer(spacy_parser: Any) -> None:
    articles = [EvalArticle("h", "Harbour", HARBOUR), EvalArticle("o", "Orchard", ORCHARD)]
    limits = SyntheticLimits(min_sentence_words=5, negative_share=0.3)
    examples = synthetic_examples(articles, 50, limits, spacy_parser, seed=1, max_window_chars=200)
    positives = [e for e in examples if e.positive]
    assert positives and len(examples) <= 50
    for example in positives:
        answer = example.window[example.answer_start : example.answer_end]
        assert answer.strip() == answer and answer
        # the question asks for the entity without containing it
        assert answer not in example.question
    for example in examples:
        assert example.window in HARBOUR or example.window in ORCHARD


def test_examples_are_capped_at_the_number_asked(spacy_parser: Any) -> None:
    articles = [EvalArticle("h", "Harbour", HARBOUR), EvalArticle("o", "Orchard", ORCHARD)]
    limits = SyntheticLimits(min_sentence_words=5, parse_surplus=3.0)
    assert len(synthetic_examples(articles, 2, limits, spacy_parser, max_window_chars=200)) == 2


def test_training_articles_published_after_the_split_are_left_out(spacy_parser: Any) -> None:
    articles = {
        "h": EvalArticle("h", "Harbour", HARBOUR, published="2024-05-01"),
        "o": EvalArticle("o", "Orchard", ORCHARD, published="2023-10-01"),
        "u": EvalArticle("u", "Undated", HARBOUR.replace("Westmere", "Lowfield")),
    }
    options = ReaderTrainOptions(asked_before="2024-01-01", synthetic=40)
    examples = _synthetic([EvalSet(articles, [])], options, ReaderConfig(max_window_chars=200))
    assert examples
    assert all(e.window in ORCHARD for e in examples if e.positive)
