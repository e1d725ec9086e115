"""Words, stems and sentences of a passage: what the reranker matches questions against.

Computed once per chunk at ingest (the lexical index stores them as ids) instead of at every query:
tokenising and stemming ~80 candidate passages was two thirds of the reranker's time on questions
whose passages were not cached yet. Sentences, words and stems come from the text kernel (`textkit`).

Usage:
    terms = passage_terms("Nora Vale retired. She played for the Herons.")
    terms.flat              # ('nora', 'vale', 'retir', 'she', 'play', 'for', 'the', 'heron')
    terms.sentence_of       # (0, 0, 0, 1, 1, 1, 1, 1)
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass

import numpy as np

from textkit import split_sentences, stem, words


@dataclass(frozen=True)
class PassageTerms:
    """A passage's stems in order, each with its sentence number (see `TermTable` for matching)."""

    flat: tuple[str, ...]
    sentence_of: tuple[int, ...]
    stems: frozenset[str]


def passage_terms(text: str) -> PassageTerms:
    """Stems of a passage (stop words kept, synonyms not folded), each with the number of its sentence.

    Every stop before whitespace ends a sentence here, abbreviations included: the stored terms of
    every index were cut that way, and the reranker's weights fitted on them.
    """
    flat: list[str] = []
    sentence_of: list[int] = []
    for n, (start, end) in enumerate(split_sentences(text, every_stop=True)):
        found = words(text[start:end])
        flat.extend(map(stem, found))
        sentence_of.extend([n] * len(found))
    return PassageTerms(tuple(flat), tuple(sentence_of), frozenset(flat))


# `pair_code` packs two stem ids (negative ones included) into one int64.
_PAIR_SHIFT = np.int64(1 << 32)
_PAIR_OFFSET = np.int64(1 << 30)


@dataclass(frozen=True)
class TermTable:
    """The stems of several passages as ids into one vocabulary, laid end to end.

    What the reranker scores in a few numpy steps for all ~80 candidates of a question, where a
    Python loop per passage over `PassageTerms` was most of its time.

    Usage:
        table = TermTable.build([(ids, lengths), passage_terms("Sue Bird retired.")], vocab)
        table.id_of("bird")      # its id; None for a stem neither the vocabulary nor a part has
    """

    ids: np.ndarray  # (tokens,) int64 stem ids
    token_passage: np.ndarray  # (tokens,) the passage of each token
    token_sentence: np.ndarray  # (tokens,) the sentence of each token, counted over the table
    sentence_passage: np.ndarray  # (sentences,) the passage of each sentence
    n_passages: int
    vocab: Mapping[str, int]
    extra: Mapping[str, int]  # stems of the `PassageTerms` parts missing from `vocab` (negative ids)

    @classmethod
    def build(
        cls, parts: Sequence[tuple[np.ndarray, np.ndarray] | PassageTerms], vocab: Mapping[str, int]
    ) -> TermTable:
        """`parts`: per passage, stored (ids into `vocab`, tokens per sentence), or its `PassageTerms`."""
        extra: dict[str, int] = {}
        ids: list[np.ndarray] = []
        lengths: list[np.ndarray] = []
        for part in parts:
            if isinstance(part, PassageTerms):
                row = []
                for s in part.flat:
                    i = vocab.get(s)
                    if i is None:
                        # negative: never an id that an ingest running alongside adds to `vocab`
                        i = extra.setdefault(s, -1 - len(extra))
                    row.append(i)
                ids.append(np.array(row, dtype=np.int64))
                lengths.append(np.bincount(np.array(part.sentence_of, dtype=np.int64), minlength=1))
            else:
                ids.append(np.asarray(part[0], dtype=np.int64))
                lengths.append(np.asarray(part[1], dtype=np.int64))
        n_sentences = np.array([len(x) for x in lengths], dtype=np.int64)
        all_lengths = np.concatenate(lengths) if lengths else np.zeros(0, dtype=np.int64)
        all_ids = np.concatenate(ids) if ids else np.zeros(0, dtype=np.int64)
        if int(all_lengths.sum()) != len(all_ids):
            raise ValueError("term ids and sentence lengths disagree")
        sentence_passage = np.repeat(np.arange(len(parts)), n_sentences)
        token_sentence = np.repeat(np.arange(len(all_lengths)), all_lengths)
        return cls(
            all_ids,
            sentence_passage[token_sentence],
            token_sentence,
            sentence_passage,
            len(parts),
            vocab,
            extra,
        )

    def id_of(self, stem: str) -> int | None:
        found = self.vocab.get(stem)
        return found if found is not None else self.extra.get(stem)

    def pair_codes(self) -> tuple[np.ndarray, np.ndarray]:
        """(code of each adjacent stem pair within a passage, its passage); see `pair_code`."""
        same = self.token_passage[:-1] == self.token_passage[1:]
        codes = pair_code(self.ids[:-1], self.ids[1:])
        return codes[same], self.token_passage[:-1][same]


def pair_code(first: np.ndarray, second: np.ndarray) -> np.ndarray:
    """One int64 per (first, second) stem-id pair (ids in [-2**30, 2**30))."""
    return (np.asarray(first, dtype=np.int64) + _PAIR_OFFSET) * _PAIR_SHIFT + (
        np.asarray(second, dtype=np.int64) + _PAIR_OFFSET
    )
