"""Passages split into sentences, the sentences scored against the question, and the evidence that
extraction returns.

Usage:
    index = SentenceIndex()                                # qa.answering.extract
    passages = [index.passage(hit, article, rank) for rank, (hit, article) in enumerate(pairs)]
    ranked = dedupe(sentence_scores(question, passages))   # best first; ranked[0].start, .end, .score
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

from newsqa.types import Article, Hit
from qa.question.question import Question
from qa.text.nlp import normalize_text, text_stems, word_stems
from textkit import word_matches


@dataclass
class Passage:
    """A retrieved chunk with its article; sentences are (start, end) offsets into `article.text`."""

    hit: Hit
    article: Article
    rank: int
    sentences: list[tuple[int, int]]
    sentence_stems: list[set[str]]


@dataclass
class Evidence:
    """A stretch of an article that supports the answer: article.text[start:end] is the quote."""

    passage: Passage
    start: int
    end: int
    score: float


@dataclass
class Extraction:
    """The answer text, the evidence behind it (best first) and a confidence in [0, 1]."""

    answer: str
    support: list[Evidence]
    confidence: float
    span: bool = False  # the answer is a span inside support[0], not the sentence itself
    closest: list[Evidence] = field(default_factory=list)
    # The candidate spans weighed for a typed answer: their text and span-model features (debug, training).
    candidates: list[dict[str, Any]] = field(default_factory=list)


@dataclass
class Sentence:
    passage: Passage
    index: int
    score: float
    coverage: float

    @property
    def start(self) -> int:
        return self.passage.sentences[self.index][0]

    @property
    def end(self) -> int:
        return self.passage.sentences[self.index][1]


def sentence_scores(question: Question, passages: list[Passage]) -> list[Sentence]:
    """Every sentence of the passages scored by weighted question-term coverage, best first."""
    total = sum(question.weights.values()) or 1.0
    out: list[Sentence] = []
    for p in passages:
        prior = 1.0 / (1.0 + 0.08 * p.rank)
        title_stems = text_stems(p.article.title)
        title_cov = sum(w for s, w in question.weights.items() if s in title_stems) / total
        for i, stems in enumerate(p.sentence_stems):
            cov = sum(w for s, w in question.weights.items() if s in stems) / total
            if cov <= 0 or _is_question(p.article.text, *p.sentences[i]):
                continue
            score = cov * (0.75 + 0.25 * prior) + 0.1 * title_cov
            out.append(Sentence(passage=p, index=i, score=score, coverage=cov))
    out.sort(key=lambda s: -s.score)
    return out


def _is_question(text: str, start: int, end: int) -> bool:
    """A sentence that asks (news quizzes repeat the very question, with every choice) answers nothing."""
    return text[start:end].rstrip(" \t\n\"'”’)]").endswith("?")


def dedupe(sentences: list[Sentence]) -> list[Sentence]:
    seen: set[str] = set()
    out = []
    for s in sentences:
        key = normalize_text(s.passage.article.text[s.start : s.end])
        if key in seen:
            continue
        seen.add(key)
        out.append(s)
    return out


def matched_positions(question: Question, text: str) -> list[int]:
    return [
        m.start() for m in word_matches(text) if any(s in question.weights for s in word_stems(m.group()))
    ]


def proximity(matched: list[int], start: int, end: int) -> float:
    """1 next to a matched question term, falling with the distance in characters."""
    if not matched:
        return 0.0
    dist = min(0 if start <= m < end else min(abs(m - end), abs(start - m)) for m in matched)
    return 1.0 / (1.0 + dist / 40.0)
