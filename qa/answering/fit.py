"""Does a free answer fit its question? Subject and type checks that withhold an answer that does not.

An extracted answer can be well supported by retrieval and still answer another question: a gas price
for "What is the price of Bitcoin?", a date about someone else for "When did X die?", another person for
"Who is X?". Two named checks catch that, whatever the confidence says:

- subject: the names of the question (`Question.names`, stems, so "Qatari" ~ "Qatar") must be mentioned
  in the answer's sentence, the sentences beside it, or its article's title;
- type: the answer must be of the asked type (a time for "when", a count for "how many", a sum of
  money for a price, not a bare pronoun, not another person for "Who is X?").

Usage:
    fit = AnswerFit()
    verdict = fit.assess(question, extraction)
    verdict.features   # {"subject_sentence": 0.0, "subject_nearby": 0.5, "subject_context": 0.5, "type_fit": 1.0}
    verdict.fits       # False: withhold the answer
"""

from __future__ import annotations

import calendar
import re
from bisect import bisect_right
from dataclasses import dataclass
from pathlib import Path

from qa.answering.candidates import NUMBER_RE
from qa.answering.extract import mentioned
from qa.answering.sentences import Evidence, Extraction
from qa.question.question import Question
from qa.text.nlp import STOPWORDS, split_sentences, stem, text_stems, words

# The features `AnswerFit.assess` measures (`Answer.assessment["fit"]` under debug; not yet in the
# answer model's FEATURES: that needs a refit of its artifact with `newsqa train`).
FIT_FEATURES = ("subject_sentence", "subject_nearby", "subject_context", "type_fit")
_WORDS_FILE = Path(__file__).resolve().parent / "data" / "answer_types.txt"


@dataclass(frozen=True)
class FitWeights:
    """How strict the fit check is (measured on training questions only, docs/eval.md)."""

    # Sentences on either side of the answer's sentence that count as its context (None: the whole
    # retrieved passage it was read from).
    context_sentences: int | None = None
    # The article's title counts as context (a story's subject is often only named there).
    title_counts: bool = True
    # Share of the asking sentence's names its context must mention; below it the answer is withheld.
    # 1.0, every name: on the 2022-train questions it withheld 14 wrong answers for 5 right ones
    # (0.67: 8 for 4; 0.5: 2 for 0; docs/eval.md, "Answers that do not fit the question").
    min_subject_context: float = 1.0
    # Withhold an answer of the wrong type.
    check_type: bool = True


@dataclass(frozen=True)
class FitVerdict:
    """The fit features (None: not measurable for this question) and whether the answer fits."""

    features: dict[str, float | None]
    fits: bool


@dataclass(frozen=True)
class TypeWords:
    """The word lists of `qa/answering/data/answer_types.txt`."""

    time: frozenset[str]
    money: frozenset[str]
    price: frozenset[str]

    @classmethod
    def load(cls, path: Path = _WORDS_FILE) -> TypeWords:
        kinds: dict[str, set[str]] = {"time": set(), "money": set(), "price": set()}
        for line in path.read_text(encoding="utf-8").splitlines():
            if line.strip() and not line.startswith("#"):
                kind, word = line.split("\t")
                kinds[kind].add(word.strip().lower())
        return cls(**{k: frozenset(v) for k, v in kinds.items()})


_MONTHS = frozenset(
    m.lower() for m in (*calendar.month_name, *calendar.month_abbr, *calendar.day_name, "sept") if m
)
# Month and weekday names say when, not what a question is about ("... runoff in December?").
_TIME_STEMS = frozenset(stem(m) for m in _MONTHS)
_CURRENCY_SIGN = re.compile(r"[$€£¥₹]")
_WHO_IS = re.compile(r"^\s*(?i:who\s+(?:is|was))\s+(?P<who>[A-Z][\w.'’-]*(?:\s+[A-Z][\w.'’-]*)*)\s*\??\s*$")


class AnswerFit:
    """Judges whether a free answer fits its question (see the module docstring)."""

    def __init__(self, weights: FitWeights | None = None, type_words: TypeWords | None = None) -> None:
        self.weights = weights or FitWeights()
        self.words = type_words or TypeWords.load()

    def assess(self, question: Question, extraction: Extraction) -> FitVerdict:
        if not extraction.support or not extraction.answer:
            return FitVerdict(dict.fromkeys(FIT_FEATURES), True)
        sentence, nearby, context, title = self._stems(extraction.support[0])
        names = subject_names(question)
        features = {
            "subject_sentence": _share(names, sentence),
            "subject_nearby": _share(names, nearby),  # the sentence and the one either side
            "subject_context": _share(names, context | title if self.weights.title_counts else context),
            "type_fit": self.type_fit(question, extraction.answer, extraction.span),
        }
        w = self.weights
        subject = features["subject_context"]
        fits = (subject is None or subject >= w.min_subject_context) and not (
            w.check_type and features["type_fit"] == 0.0
        )
        return FitVerdict(features, fits)

    def type_fit(self, question: Question, answer: str, span: bool = True) -> float | None:
        """1.0 the answer is of the asked type, 0.0 it is not, None the type is not checked.

        A whole sentence given as the answer (`span=False`) is only checked for what any answer to
        the question must contain: a time for "when", a sum of money for a price.
        """
        tokens = [t.lower() for t in words(answer)]
        if span and not any(_content(t) for t in words(answer)):
            return 0.0  # "hers", "it": a pronoun or a function word answers nothing
        if self._asks_money(question):
            return float(bool(_CURRENCY_SIGN.search(answer) or set(tokens) & self.words.money))
        if question.kind == "when":
            parts = [p for t in tokens for p in t.split("-")]  # "mid-August"
            return float(any(p[:1].isdigit() or p in _MONTHS or p in self.words.time for p in parts))
        if not span:
            return None
        if question.kind == "how_many" and not question.asks_age:
            # A count has a number, and a calendar date is not one ("Feb. 29" for "how many days").
            return float(bool(NUMBER_RE.search(answer)) and not set(tokens) & _MONTHS)
        who = _WHO_IS.match(question.text)
        if who is not None and answer[:1].isupper():
            # "Who is X?" asks what X is; another name is another person's.
            return float(bool({stem(t) for t in tokens} & {stem(t) for t in words(who["who"])}))
        return None

    def _asks_money(self, question: Question) -> bool:
        target = (question.target or "").lower()
        if target in self.words.price:
            return True
        asked = {stem(w) for w in self.words.price}
        return question.kind == "how_much" and not question.asks_age and bool(asked & set(question.weights))

    def _stems(self, evidence: Evidence) -> tuple[set[str], ...]:
        """Stems of the evidence sentence, of it with its neighbours, of its context (the sentences
        `FitWeights.context_sentences` either side, None: the whole passage) and of the title."""
        passage = evidence.passage
        starts = [s for s, _ in passage.sentences]
        i = bisect_right(starts, evidence.start) - 1
        title = text_stems(passage.article.title or "")
        if i < 0 or not passage.sentence_stems:
            sentence = text_stems(passage.article.text[evidence.start : evidence.end])
            return sentence, sentence, sentence, title
        stems = passage.sentence_stems
        c = self.weights.context_sentences
        context = stems if c is None else stems[max(0, i - c) : i + c + 1]
        return stems[i], set().union(*stems[max(0, i - 1) : i + 2]), set().union(*context), title


def subject_names(question: Question) -> frozenset[str]:
    """What the asking sentence is about: its names written capitalised ("Bitcoin", "Elizabeth"),
    outside the wh-phrase ("Which MLB team": "MLB" describes the answer, it is not the subject).

    Names of scene-setting sentences before the asking one describe the story, which the answer's
    sentence need not repeat; entity words in lower case ("a gallon", "three weeks") are measures,
    month and weekday names times.
    """
    sentences = split_sentences(question.text)
    asking = question.text[sentences[-1][0] :] if sentences else question.text
    written = {stem(w) for w in words(asking) if w[:1].isupper()}
    phrase = {stem(w) for w in words(_wh_phrase(question))}
    return frozenset(n for n in question.names if n in written and n not in phrase | _TIME_STEMS)


def _wh_phrase(question: Question) -> str:
    """ "Which MLB team" of "Which MLB team's owner ...?": the wh-word up to the asked noun."""
    if not question.target:
        return ""
    m = re.search(
        rf"\b(?:which|what)\s+(?:[\w'’.-]+\s+){{0,4}}?{re.escape(question.target)}\b", question.text, re.I
    )
    return m.group() if m else ""


def _content(word: str) -> bool:
    """A word that can answer: not a function word, unless a number or an initialism ("U.S.", "US")."""
    return word.lower() not in STOPWORDS or word.isdigit() or sum(c.isupper() for c in word) >= 2


def _share(names: frozenset[str], stems: set[str]) -> float | None:
    if not names:
        return None
    return sum(1 for name in names if mentioned(name, stems)) / len(names)
