"""The trained span reader: a MiniLM encoder with a start/end head, read as int8 ONNX.

Usage:
    reader = SpanReader.load()                         # qa/answering/models/reader/
    start, end = reader_window(text, sentences, i)     # sentence i with its neighbours
    spans = reader.read("Who won the final?", [text[start:end], ...])
    spans[0].text, spans[0].score, spans[0].null_score # best span of window 0 and its "no answer"

Each (question, window) pair is encoded as `[CLS] question [SEP] window [SEP]`; the head gives every
token a start and an end logit. A window's best span maximises start + end over spans of at most
`max_answer_tokens` word pieces; the [CLS] token's start + end is the window's "no answer" score
(trained on windows without the answer, as in SQuAD 2.0). `eval/reader_train.py` trains it on
training questions and writes the folder this loads: `model.onnx`, `tokenizer.json`, `reader.json`.
"""

from __future__ import annotations

import json
from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import numpy as np

from newsqa.errors import NewsQAError

FORMAT_VERSION = 1
DEFAULT_READER_DIR = Path(__file__).resolve().parent / "models" / "reader"


@dataclass(frozen=True)
class ReaderConfig:
    """How windows are cut and encoded; training and reading must agree, so it travels in reader.json."""

    max_tokens: int = 192  # the whole pair, special tokens included
    max_question_tokens: int = 48
    max_window_chars: int = 700  # a sentence and as many neighbours as fit
    max_answer_tokens: int = 16


@dataclass(frozen=True)
class ReaderSpan:
    """The best span of one window: character offsets into the window, and its scores."""

    start: int
    end: int
    text: str
    score: float  # start + end logit of the span
    null_score: float  # start + end logit of [CLS]: "the window does not answer"

    @property
    def margin(self) -> float:
        """How much the span beats "no answer" (> 0: the reader answers from this window)."""
        return self.score - self.null_score


def reader_window(
    text: str,
    sentences: Sequence[tuple[int, int]],
    index: int,
    max_chars: int = ReaderConfig.max_window_chars,
) -> tuple[int, int]:
    """Character span of sentence `index` of `text` grown by whole neighbouring sentences, the one
    after first, while the window stays within `max_chars`."""
    start, end = sentences[index]
    before, after = index - 1, index + 1
    while True:
        grown = False
        if after < len(sentences) and sentences[after][1] - start <= max_chars:
            end = sentences[after][1]
            after += 1
            grown = True
        if before >= 0 and end - sentences[before][0] <= max_chars:
            start = sentences[before][0]
            before -= 1
            grown = True
        if not grown:
            return start, end


class PairEncoder:
    """Encodes (question, window) pairs as the reader reads them, keeping the window's token offsets."""

    def __init__(self, tokenizer_file: Path, config: ReaderConfig) -> None:
        from tokenizers import Tokenizer

        self.config = config
        self._question_tok = Tokenizer.from_file(str(tokenizer_file))
        self._question_tok.no_padding()
        self._question_tok.enable_truncation(max_length=config.max_question_tokens)
        self._pair_tok = Tokenizer.from_file(str(tokenizer_file))
        self._pair_tok.enable_truncation(max_length=config.max_tokens, strategy="only_second")
        pad_id = self._pair_tok.token_to_id("[PAD]") or 0
        self._pair_tok.enable_padding(pad_id=pad_id, pad_token="[PAD]")

    def short_question(self, question: str) -> str:
        """The question cut to `max_question_tokens` word pieces, so the window keeps its room."""
        encoding = self._question_tok.encode(question, add_special_tokens=False)
        return question[: encoding.offsets[-1][1]] if encoding.offsets else question

    def encode(self, question: str, windows: Sequence[str]) -> tuple[dict[str, np.ndarray], list[Any]]:
        """Model inputs for one question against each window, and the tokenizer's encodings (offsets)."""
        question = self.short_question(question)
        encodings = self._pair_tok.encode_batch([(question, w) for w in windows])
        inputs = {
            "input_ids": np.array([e.ids for e in encodings], dtype=np.int64),
            "attention_mask": np.array([e.attention_mask for e in encodings], dtype=np.int64),
            "token_type_ids": np.array([e.type_ids for e in encodings], dtype=np.int64),
        }
        return inputs, encodings


def window_token_range(encoding: Any) -> tuple[int, int]:
    """First and one-past-last token of the window (sequence 1, without the closing [SEP])."""
    ids = encoding.sequence_ids
    first = next((i for i, s in enumerate(ids) if s == 1), len(ids))
    last = max((i for i, s in enumerate(ids) if s == 1), default=first - 1)
    return first, last + 1


def best_span(
    start_logits: np.ndarray, end_logits: np.ndarray, encoding: Any, window: str, max_answer_tokens: int
) -> ReaderSpan:
    """The highest start + end span inside the window, at most `max_answer_tokens` long."""
    first, stop = window_token_range(encoding)
    null_score = float(start_logits[0] + end_logits[0])
    if first >= stop:
        return ReaderSpan(0, 0, "", float("-inf"), null_score)
    starts = start_logits[first:stop]
    ends = end_logits[first:stop]
    n = stop - first
    # scores[i, j] = start i + end j, kept for i <= j < i + max_answer_tokens
    scores = starts[:, None] + ends[None, :]
    offsets = np.arange(n)
    gap = offsets[None, :] - offsets[:, None]
    scores = np.where((gap >= 0) & (gap < max_answer_tokens), scores, -np.inf)
    i, j = np.unravel_index(int(np.argmax(scores)), scores.shape)
    char_start = encoding.offsets[first + i][0]
    char_end = encoding.offsets[first + j][1]
    return ReaderSpan(char_start, char_end, window[char_start:char_end], float(scores[i, j]), null_score)


class SpanReader:
    """Reads windows for the span that answers a question (int8 ONNX, CPU)."""

    def __init__(self, folder: Path, config: ReaderConfig, info: dict[str, Any]) -> None:
        from index.embedder import onnx_session

        self.folder = folder
        self.config = config
        self.info = info
        self._encoder = PairEncoder(folder / "tokenizer.json", config)
        self._session = onnx_session(str(folder / "model.onnx"), spinning=False)
        self._input_names = {i.name for i in self._session.get_inputs()}

    @classmethod
    def load(cls, folder: Path | None = None) -> SpanReader:
        """The reader in `folder` (default: the shipped one); NewsQAError naming what is missing."""
        folder = Path(folder) if folder is not None else DEFAULT_READER_DIR
        meta_file = folder / "reader.json"
        for name in ("model.onnx", "tokenizer.json", "reader.json"):
            if not (folder / name).is_file():
                raise NewsQAError(
                    f"span reader folder {folder} has no {name}: train one with newsqa train --fit reader"
                )
        meta = json.loads(meta_file.read_text())
        if meta.get("format_version") != FORMAT_VERSION:
            raise NewsQAError(
                f"span reader {meta_file} has format {meta.get('format_version')!r}, this code reads {FORMAT_VERSION}"
            )
        return cls(folder, ReaderConfig(**meta["config"]), meta)

    def warm_up(self) -> None:
        """One read, so that the first question does not pay for ONNX Runtime's first run."""
        self.read("Who warmed up?", ["The warm-up sentence names Jane Doe."])

    def read(self, question: str, windows: Sequence[str]) -> list[ReaderSpan]:
        """The best span of each window, in the windows' order."""
        if not windows:
            return []
        inputs, encodings = self._encoder.encode(question, windows)
        feed = {k: v for k, v in inputs.items() if k in self._input_names}
        start_logits, end_logits = self._session.run(None, feed)
        return [
            best_span(start_logits[k], end_logits[k], encodings[k], windows[k], self.config.max_answer_tokens)
            for k in range(len(windows))
        ]
