"""Words, stems and sentences of a passage: what the reranker matches questions against.

Computed once per chunk at ingest (the lexical index stores them as ids) instead of at every query:
tokenising and stemming ~80 candidate passages was two thirds of the reranker's time on questions
whose passages were not cached yet.

Usage:
    terms = passage_terms("Sue Bird retired. She played for the Storm.")
    terms.flat              # ('sue', 'bird', 'retir', 'she', 'play', 'for', 'the', 'storm')
    terms.sentence_of       # (0, 0, 0, 1, 1, 1, 1, 1)
    stem_words(["played"])  # ['play']
"""

from __future__ import annotations

import re
import threading
from collections.abc import Sequence
from dataclasses import dataclass

import Stemmer

_WORD = re.compile(r"[A-Za-z0-9]+(?:['’.&-][A-Za-z0-9]+)*")
_SENTENCE_BREAK = re.compile(r"(?<=[.!?])[\"'”’)]*\s+|\n+")

# PyStemmer objects are not thread-safe: one per thread. Stems are cached process-wide (bounded).
_local = threading.local()
_STEM_CACHE: dict[str, str] = {}
_STEM_CACHE_LIMIT = 500_000


def _stemmer() -> Stemmer.Stemmer:
    stemmer = getattr(_local, "stemmer", None)
    if stemmer is None:
        stemmer = _local.stemmer = Stemmer.Stemmer("english")
    return stemmer


def _plain(word: str) -> str:
    word = word.replace("’", "'")
    return word[:-2] if word.endswith("'s") else word


def stem_words(words: Sequence[str]) -> list[str]:
    """Porter-2 stems of lower-case `words` (possessive 's dropped); one stemmer call per batch.

    The process-wide cache only grows up to its limit, so a concurrent reader never misses a stem.
    """
    cache = _STEM_CACHE
    try:
        return [cache[w] for w in words]
    except KeyError:
        pass
    missing = list({w for w in words if w not in cache})
    fresh = dict(zip(missing, _stemmer().stemWords([_plain(w) for w in missing]), strict=True))
    if len(cache) < _STEM_CACHE_LIMIT:
        cache.update(fresh)
    return [fresh[w] if w in fresh else cache[w] for w in words]


def stem(word: str) -> str:
    return stem_words([word.lower()])[0]


def tokens(text: str) -> list[str]:
    return _WORD.findall(text)


@dataclass(frozen=True)
class PassageTerms:
    """A passage's stems in order, each with its sentence number; sets and pairs are derived per query
    (building every adjacent pair of every passage cost more than the rest of the reranker)."""

    flat: tuple[str, ...]
    sentence_of: tuple[int, ...]
    stems: frozenset[str]

    def best_sentence(self, weights: dict[str, float]) -> float:
        """The highest weighted share of distinct question stems found within one sentence."""
        wanted = self.stems.intersection(weights)
        if not wanted:
            return 0.0
        found: dict[int, set[str]] = {}
        for s, sentence in zip(self.flat, self.sentence_of, strict=True):
            if s in wanted:
                found.setdefault(sentence, set()).add(s)
        return max(sum(weights[s] for s in stems) for stems in found.values())

    def pairs_from(self, firsts: set[str]) -> set[tuple[str, str]]:
        """Adjacent stem pairs (stop words included) whose first stem is in `firsts`."""
        if self.stems.isdisjoint(firsts):
            return set()
        flat = self.flat
        return {(a, flat[i + 1]) for i, a in enumerate(flat[:-1]) if a in firsts}


def passage_terms(text: str) -> PassageTerms:
    """Stems of a passage (stop words kept), each with the number of its sentence."""
    words: list[str] = []
    sentence_of: list[int] = []
    for n, part in enumerate(p for p in _SENTENCE_BREAK.split(text.lower()) if p):
        found = tokens(part)
        words.extend(found)
        sentence_of.extend([n] * len(found))
    flat = stem_words(words)
    return PassageTerms(tuple(flat), tuple(sentence_of), frozenset(flat))
