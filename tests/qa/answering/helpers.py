"""Helpers shared by the answering tests: candidates of one sentence, a passage of one chunk."""

from __future__ import annotations

from newsqa.types import Article, Chunk, Hit
from qa.answering.candidate_preference import Candidate
from qa.answering.candidates import find_candidates
from qa.answering.extract import SentenceIndex
from qa.answering.sentences import Passage
from qa.question.question import QuestionAnalyzer


def candidates_of(parser, question: str, sentence: str) -> list[Candidate]:
    return find_candidates(QuestionAnalyzer(parser).analyze(question), parser.parse(sentence))


def best_candidate(parser, question: str, sentence: str) -> str | None:
    cands = candidates_of(parser, question, sentence)
    return max(cands, key=lambda c: c.pref).text if cands else None


def passage_of(article: Article, chunk_text: str, rank: int) -> Passage:
    """The passage of `article` whose one chunk is `chunk_text` (a substring of the article)."""
    start = article.text.index(chunk_text)
    chunk = Chunk(f"{article.id}:0", article.id, 0, chunk_text, start, start + len(chunk_text))
    return SentenceIndex().passage(Hit(chunk, 1.0), article, rank)
