"""A question read for retrieval: its content stems, names and numbers, and word pairs (`QueryTerms`).

Usage:
    terms = analyze_query("Nora Vale retired after her last home game. Which club signed her first?")
    terms.entities       # (("vale",),): a sentence's first word is not taken for a name
    terms.lexical_query  # what BM25 is asked

`SearchPipeline` reads a question once and hands the terms to the first stage and the reranker.
"""

from __future__ import annotations

import re
from dataclasses import dataclass

import textkit
from textkit import QUESTION_STOPWORDS, split_sentences, stem

# A run of capitalised words, allowing short joiners ("Bank of America", "Lord of the Rings").
_CAPITALISED_RUN = re.compile(
    r"(?:[A-Z][\w'’.&-]*|\d[\d,.]*)(?:\s+(?:(?:of|the|de|and|for|van|von|la|le|du|da)\s+)*(?:[A-Z][\w'’.&-]*))*"
)
_QUESTION_OPENERS = frozenset(
    """what which who whom whose when where why how in on at after before during as with the a an this
    these those according following name is are was were do does did has have had for from to by
    if despite""".split()  # noqa: SIM905 - a word list reads better as text
)
_CALENDAR_WORDS = frozenset(
    """monday tuesday wednesday thursday friday saturday sunday january february march april may june
    july august september october november december""".split()  # noqa: SIM905 - a word list reads better as text
)


@dataclass(frozen=True)
class QueryTerms:
    """What a question asks for, in terms a passage can be checked against."""

    question: str
    # Stem -> weight: names and numbers weigh `entity_weight`, other content words 1.
    weights: dict[str, float]
    # Names and numbers as stem sequences ("nora vale" -> ("nora", "vale")).
    entities: tuple[tuple[str, ...], ...]
    # Adjacent content-word stem pairs of the question.
    bigrams: frozenset[tuple[str, str]]
    # The question without boilerplate, names repeated: what BM25 should see.
    lexical_query: str

    @property
    def total_weight(self) -> float:
        return sum(self.weights.values())


def analyze_query(question: str, entity_weight: float = 2.0, entity_repeat: int = 2) -> QueryTerms:
    """Content stems, names/numbers and bigrams of a question; boilerplate ("which of the following",
    "this week") dropped. Entity stems weigh `entity_weight` and appear `entity_repeat` times in the
    lexical query."""
    entity_runs = _entity_runs(question)
    entity_stems = {s for run in entity_runs for s in run}
    weights: dict[str, float] = {}
    words_out: list[str] = []
    stem_seq: list[str] = []
    for word in textkit.words(question):
        lower = word.lower().replace("’", "'")
        if lower in QUESTION_STOPWORDS:
            stem_seq.append("")
            continue
        s = stem(word)
        if not s or s in QUESTION_STOPWORDS:
            stem_seq.append("")
            continue
        stem_seq.append(s)
        is_entity = s in entity_stems
        weights[s] = max(weights.get(s, 0.0), entity_weight if is_entity else 1.0)
        words_out.extend([word] * (entity_repeat if is_entity else 1))
    bigrams = frozenset((a, b) for a, b in zip(stem_seq, stem_seq[1:], strict=False) if a and b)
    return QueryTerms(
        question=question,
        weights=weights,
        entities=tuple(entity_runs),
        bigrams=bigrams,
        lexical_query=" ".join(words_out),
    )


def _entity_runs(question: str) -> list[tuple[str, ...]]:
    """Capitalised word runs and numbers, as stems; a capitalised question opener is not a name."""
    runs: list[tuple[str, ...]] = []
    # Sentences inside a question ("... at the Met Gala. Who designed it?"), not after initials ("J. K.").
    for sentence in (question[start:end] for start, end in split_sentences(question)):
        for match in _CAPITALISED_RUN.finditer(sentence):
            words = [w for w in textkit.words(match.group(0)) if w.lower() not in _CALENDAR_WORDS]
            # A sentence's first word is capitalised anyway: without a lexicon it is no evidence of a name.
            if words and not sentence[: match.start()].strip(" \"'“‘(") and not words[0].isupper():
                words = words[1:]
            while words and words[0].lower() in _QUESTION_OPENERS:
                words = words[1:]
            run = tuple(stem(w) for w in words if w.lower() not in ("of", "the", "and", "for"))
            if run:
                runs.append(run)
    return runs
