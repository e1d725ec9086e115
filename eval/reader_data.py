"""Training examples for the span reader, built from training questions and their articles.

Usage:
    sets = [load_evalset(articles, questions) for articles, questions in pairs]
    examples = reader_examples(sets, "2024-01-01", ExampleLimits(), max_window_chars=700)
    examples[0].window[examples[0].answer_start : examples[0].answer_end]   # the gold answer

A positive is a window (`qa.answering.reader.reader_window`: a sentence and its neighbours) of a
relevant article around a sentence that holds a gold answer, the sentences most like the question
first; its label is the answer's occurrence in that sentence. Negatives are windows that hold no gold
answer around the sentences most like the question, from the relevant articles (same story, no
answer) and from the articles a BM25 search for the question finds (other stories). An unanswerable
question gives negatives only. "Most like the question" is the share of the question's content stems
a sentence holds, the cheap first look of the answer stage.
"""

from __future__ import annotations

import random
import re
from collections.abc import Sequence
from dataclasses import dataclass

from eval.evalsets import EvalQuestion, EvalSet
from index.clean import normalize_whitespace
from qa.answering.reader import ReaderConfig, reader_window
from textkit import content_stems, split_sentences, words


@dataclass(frozen=True)
class ExampleLimits:
    """How many windows each training question gives."""

    positives: int = 3  # windows holding a gold answer, best-matching sentences first
    story_negatives: int = 2  # windows of relevant articles without the answer
    search_negatives: int = 2  # windows of other articles the question's BM25 search finds
    search_articles: int = 5  # articles read for those


@dataclass(frozen=True)
class ReaderExample:
    question_id: str
    question: str
    window: str
    answer_start: int  # character offsets of the answer in `window`; -1 when it holds none
    answer_end: int

    @property
    def positive(self) -> bool:
        return self.answer_start >= 0


@dataclass
class _ArticleText:
    text: str
    sentences: list[tuple[int, int]]
    stems: list[set[str]]


class ArticlePool:
    """The training articles, cleaned once, split into sentences, and searchable with BM25."""

    def __init__(self, sets: Sequence[EvalSet]) -> None:
        import bm25s

        raw = {aid: a for s in sets for aid, a in s.articles.items()}
        self.ids = list(raw)
        self._raw = raw
        self._texts: dict[str, _ArticleText] = {}
        corpus = [
            [w.lower() for w in words(f"{raw[aid].title or ''} {raw[aid].text[:3000]}", search=True)]
            for aid in self.ids
        ]
        self._bm25 = bm25s.BM25()
        self._bm25.index(corpus, show_progress=False)

    def __contains__(self, article_id: object) -> bool:
        return article_id in self._raw

    def article(self, article_id: str) -> _ArticleText:
        cached = self._texts.get(article_id)
        if cached is None:
            text = normalize_whitespace(self._raw[article_id].text)
            spans = split_sentences(text)
            cached = _ArticleText(text, spans, [content_stems(text[s:e]) for s, e in spans])
            self._texts[article_id] = cached
        return cached

    def search(self, question: str, k: int) -> list[str]:
        query = [w.lower() for w in words(question, search=True)]
        if not query:
            return []
        results, _scores = self._bm25.retrieve([query], k=min(k, len(self.ids)), show_progress=False)
        return [self.ids[int(i)] for i in results[0]]


def _answer_in(text: str, answers: Sequence[str]) -> tuple[int, int] | None:
    """First whole-word occurrence (case-folded) of any gold answer in `text`, as character offsets
    ("seven" is not found inside "seventh")."""
    found = []
    for answer in answers:
        if answer.strip():
            match = re.search(rf"(?<!\w){re.escape(answer.strip())}(?!\w)", text, re.IGNORECASE)
            if match:
                found.append((match.start(), match.end()))
    return min(found) if found else None


def _ranked_sentences(question_stems: set[str], article: _ArticleText) -> list[tuple[float, int]]:
    scored = [
        (len(question_stems & stems) / max(1, len(question_stems)), i)
        for i, stems in enumerate(article.stems)
    ]
    return sorted(scored, key=lambda t: (-t[0], t[1]))


def _window_example(
    q: EvalQuestion, article: _ArticleText, index: int, max_window_chars: int
) -> ReaderExample:
    """The window around sentence `index`, labelled with a gold answer inside that sentence if any."""
    start, end = reader_window(article.text, article.sentences, index, max_window_chars)
    window = article.text[start:end]
    s, e = article.sentences[index]
    hit = _answer_in(article.text[s:e], q.answers) if q.answerable else None
    if hit is None:
        return ReaderExample(q.id, q.question, window, -1, -1)
    return ReaderExample(q.id, q.question, window, s - start + hit[0], s - start + hit[1])


def _holds_answer(window: str, q: EvalQuestion) -> bool:
    return q.answerable and _answer_in(window, q.answers) is not None


def question_examples(
    q: EvalQuestion, pool: ArticlePool, limits: ExampleLimits, max_window_chars: int
) -> list[ReaderExample]:
    """The positives and negatives of one training question."""
    stems = content_stems(q.question)
    relevant = [aid for aid in q.relevant_article_ids if aid in pool]
    positives: list[tuple[float, ReaderExample]] = []
    story: list[tuple[float, ReaderExample]] = []
    for aid in relevant:
        article = pool.article(aid)
        for score, i in _ranked_sentences(stems, article)[:40]:
            example = _window_example(q, article, i, max_window_chars)
            if example.positive:
                positives.append((score, example))
            elif not _holds_answer(example.window, q):
                story.append((score, example))
    search: list[tuple[float, ReaderExample]] = []
    for aid in pool.search(q.question, limits.search_articles):
        if aid in relevant:
            continue
        article = pool.article(aid)
        for score, i in _ranked_sentences(stems, article)[:1]:
            example = _window_example(q, article, i, max_window_chars)
            if not example.positive and not _holds_answer(example.window, q):
                search.append((score, example))
    return (
        _best(positives, limits.positives)
        + _best(story, limits.story_negatives)
        + _best(search, limits.search_negatives)
    )


def _best(scored: list[tuple[float, ReaderExample]], n: int) -> list[ReaderExample]:
    """The `n` best-scoring examples with distinct windows."""
    seen: set[str] = set()
    kept: list[ReaderExample] = []
    for _score, example in sorted(scored, key=lambda t: -t[0]):
        if example.window not in seen and len(kept) < n:
            seen.add(example.window)
            kept.append(example)
    return kept


def reader_examples(
    sets: Sequence[EvalSet],
    asked_before: str | None,
    limits: ExampleLimits,
    seed: int = 0,
    max_window_chars: int = ReaderConfig.max_window_chars,
) -> list[ReaderExample]:
    """Examples of every question of `sets` asked before `asked_before` (all when None), shuffled."""
    pool = ArticlePool(sets)
    examples: list[ReaderExample] = []
    for evalset in sets:
        for q in evalset.questions:
            if asked_before is None or q.asked_at < asked_before:
                examples.extend(question_examples(q, pool, limits, max_window_chars))
    random.Random(seed).shuffle(examples)
    return examples
