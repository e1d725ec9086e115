"""The span reader as an answer stage: read the windows around the best sentences, then take the
reader's span or the extractor's answer, whichever the trained choice model expects to be right.

Usage:
    stage = ReaderStage.load()                       # qa/answering/models/reader/ (+ its choice.json)
    extraction, record = stage.answer(question, passages, extracted)   # the span or `extracted`
    reading = stage.read(question, passages)         # the reader's best span alone, or None

The windows are the ones the reader was trained on (`reader_window`: a sentence and its neighbours),
around the `windows` best sentences of the cheap sentence scoring the extractor starts from; the best
span over all windows is the reading. The choice model (`choice.json` beside the reader, fitted by
`python -m eval.reader_choice` on training questions the reader never saw) is a logistic regression
over `CHOICE_FEATURES`: P(the reader is right where the two disagree). Without one, the span is
taken when it beats the reader's "no answer" score by more than `min_margin`. Abstention stays the
extractor's: a chosen span keeps the extractor's confidence.
"""

from __future__ import annotations

import json
import math
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from newsqa.errors import NewsQAError
from qa.answering.answer_model import Calibrator
from qa.answering.reader import DEFAULT_READER_DIR, ReaderSpan, SpanReader, reader_window
from qa.answering.sentences import Evidence, Extraction, Passage, dedupe, sentence_scores
from qa.question.question import Question
from qa.text.nlp import normalize_text

CHOICE_FILE = "choice.json"
# What the choice model reads, from one reading and the extractor's answer. Order is the artifact's.
CHOICE_FEATURES: tuple[str, ...] = (
    "reader_margin",  # span score minus the reader's "no answer" score
    "reader_score",  # start + end logit of the span
    "reader_window_rank",  # 0: the window around the best-matching sentence
    "reader_words",  # log(1 + words of the span)
    "extractor_confidence",
    "extractor_span",  # 1: a typed span, 0: the whole sentence
    "extractor_words",  # log(1 + words of the extractor's answer)
    "agree",  # 1: one answer contains the other (normalised)
    "span_in_quote",  # 1: the span lies inside the extractor's quoted sentence
)


@dataclass(frozen=True)
class ReaderWeights:
    """The reader stage's numbers (documented in docs/eval.md, "Trained span reader")."""

    windows: int = 4  # windows read per question (one ONNX batch; 4 read as well as 8 on training questions)
    min_margin: float = 0.0  # span score minus "no answer" score needed to answer
    # Read also when the extractor answered with a typed span. Off: the reader reads only over a
    # whole-sentence answer, where its span wins (the choice model's largest weight is on that); it
    # then stays off two thirds of the questions (docs/eval.md, "The reader over sentence answers only").
    over_typed_spans: bool = False


@dataclass(frozen=True)
class Reading:
    """The best span the reader found, where, and the evidence that quotes it."""

    span: ReaderSpan
    passage: Passage
    start: int  # article offsets of the span
    end: int
    evidence: Evidence
    window_rank: int
    closest: list[Evidence]  # the best-matching sentences, shown as related when the answer is withheld

    @property
    def probability(self) -> float:
        """The reader's own P(answer here): sigmoid of its margin over "no answer" (not calibrated)."""
        margin = max(-50.0, min(50.0, self.span.margin))
        return 1.0 / (1.0 + math.exp(-margin))

    def summary(self) -> dict[str, float | str | int]:
        return {
            "answer": self.span.text,
            "margin": round(self.span.margin, 4),
            "score": round(self.span.score, 4),
            "window_rank": self.window_rank,
        }


def choice_features(reading: Reading, extracted: Extraction) -> dict[str, float]:
    """The features `CHOICE_FEATURES` names, for one reading and the extractor's answer."""
    span, answer = normalize_text(reading.span.text), normalize_text(extracted.answer)
    quote = extracted.support[0] if extracted.support else None
    inside = (
        quote is not None
        and quote.passage.article.id == reading.passage.article.id
        and quote.start <= reading.start
        and reading.end <= quote.end
    )
    return {
        "reader_margin": reading.span.margin,
        "reader_score": reading.span.score,
        "reader_window_rank": float(reading.window_rank),
        "reader_words": math.log1p(len(reading.span.text.split())),
        "extractor_confidence": float(extracted.confidence),
        "extractor_span": 1.0 if extracted.span else 0.0,
        "extractor_words": math.log1p(len(extracted.answer.split())),
        "agree": 1.0 if span and answer and (span in answer or answer in span) else 0.0,
        "span_in_quote": 1.0 if inside else 0.0,
    }


class ReaderStage:
    """Runs a `SpanReader` over the windows around a question's best sentences, and picks between its
    span and the extractor's answer (`choice`: the trained choice model; None: the margin rule)."""

    def __init__(
        self, reader: SpanReader, weights: ReaderWeights | None = None, choice: Calibrator | None = None
    ) -> None:
        self.reader = reader
        self.weights = weights or ReaderWeights()
        self.choice = choice
        if self.weights.windows < 1:
            raise ValueError(f"ReaderWeights.windows must be >= 1, got {self.weights.windows}")
        if choice is not None and tuple(choice.features) != CHOICE_FEATURES:
            raise NewsQAError(
                f"the reader's choice model reads {choice.features}, this code {CHOICE_FEATURES}"
            )

    @classmethod
    def load(cls, folder: Path | None = None, weights: ReaderWeights | None = None) -> ReaderStage:
        """The reader in `folder` (default: the shipped one) with its choice model, if it has one."""
        folder = Path(folder) if folder is not None else DEFAULT_READER_DIR
        choice = None
        if (folder / CHOICE_FILE).is_file():
            try:
                choice = Calibrator.from_dict(json.loads((folder / CHOICE_FILE).read_text())["choice"])
            except (KeyError, TypeError, ValueError) as exc:
                raise NewsQAError(f"{folder / CHOICE_FILE}: not a valid choice model ({exc!r})") from exc
        return cls(SpanReader.load(folder), weights, choice)

    def answer(
        self, question: Question, passages: list[Passage], extracted: Extraction
    ) -> tuple[Extraction, dict[str, Any] | None]:
        """The free answer (the reader's span or `extracted`) and, when the reader read, what it did."""
        if extracted.span and not self.weights.over_typed_spans:
            return extracted, None
        reading = self.read(question, passages)
        if reading is None or not reading.span.text.strip():
            return extracted, None
        features = choice_features(reading, extracted)
        if self.choice is None:
            p_reader, takes_span = None, reading.span.margin > self.weights.min_margin
        else:
            p_reader = self.choice.probability(features)
            takes_span = p_reader >= self.choice.threshold
        record = {**reading.summary(), "extractor_answer": extracted.answer, "features": features}
        record["p_reader"] = p_reader
        same = normalize_text(extracted.answer) == normalize_text(reading.span.text)
        if not takes_span or (extracted.support and same):
            return extracted, record
        return _span_extraction(reading, extracted), record

    def read(self, question: Question, passages: list[Passage]) -> Reading | None:
        """The best span over the windows, or None when no sentence matches the question at all."""
        windows: list[tuple[Passage, int, int]] = []
        seen: set[tuple[str, int]] = set()
        ranked = dedupe(sentence_scores(question, passages))
        for sentence in ranked:
            p = sentence.passage
            start, end = reader_window(
                p.article.text, p.sentences, sentence.index, self.reader.config.max_window_chars
            )
            if (p.article.id, start) in seen:
                continue
            seen.add((p.article.id, start))
            windows.append((p, start, end))
            if len(windows) >= self.weights.windows:
                break
        if not windows:
            return None
        spans = self.reader.read(question.text, [p.article.text[s:e] for p, s, e in windows])
        rank = max(range(len(spans)), key=lambda k: spans[k].margin)
        passage, window_start, _ = windows[rank]
        span = spans[rank]
        start, end = window_start + span.start, window_start + span.end
        closest = [Evidence(s.passage, s.start, s.end, s.score) for s in ranked[:3]]
        quote = _quote(passage, start, end)
        return Reading(span, passage, start, end, quote, rank, closest)


def _span_extraction(reading: Reading, extracted: Extraction) -> Extraction:
    """The reader's span as the answer, quoted by its sentence(s); abstention stays the extractor's
    (its confidence and closest sentences), unless the extractor found no support at all."""
    text = reading.passage.article.text[reading.start : reading.end]
    if extracted.support:
        return Extraction(
            text, [reading.evidence], extracted.confidence, span=True, closest=extracted.closest
        )
    return Extraction(text, [reading.evidence], reading.probability, span=True, closest=reading.closest)


def _quote(passage: Passage, start: int, end: int) -> Evidence:
    """The passage's sentences that hold article.text[start:end]."""
    inside = [(s, e) for s, e in passage.sentences if s < end and e > start]
    first = inside[0][0] if inside else start
    last = inside[-1][1] if inside else end
    return Evidence(passage, min(first, start), max(last, end), 1.0)
