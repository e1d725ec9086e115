"""Multiple choice: which option do the top passages support best?

Usage:
    picker = ChoicePicker()                      # the trained option model, qa/answering/models/options.json
    pick = picker.pick(question, passages, ["Harbor City Hawks", "Chicago Sky"])
    pick.extraction                              # Extraction (no support: withheld)
    pick.options                                 # per option: its features and probability (debug, training)

An option is mentioned in a sentence when its distinctive words (those not shared with the other
options or the question) all occur there, its numbers as whole numbers; a sentence holding some of
them is partial evidence. Only a mentioned option can be given (its quote then holds it). Each option
gets named features (`OPTION_FEATURES`: how well the sentences that mention it cover the question,
in how many articles, how high their passages rank, ...), and a trained conditional logit
(`OptionModel`, fitted by `newsqa train --fit options` on training questions) turns them into a
probability per option; the pick is the likeliest. A second, calibrated part of the model
(`OptionModel.answered`, over `PICK_FEATURES`) gives P(the pick is right and the articles answer the
question): that is the extraction's confidence, and below its trained threshold the pick is withheld
(the extraction keeps the answer but no support, so the caller abstains and shows the evidence as
related). Options named in the question get no mention credit.
"""

from __future__ import annotations

import math
import re
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from newsqa.errors import NewsQAError
from qa.answering.answer_model import Calibrator
from qa.answering.conditional_logit import ConditionalLogit, read_linear_artifact
from qa.answering.sentences import (
    Evidence,
    Extraction,
    Passage,
    matched_positions,
    proximity,
    sentence_scores,
)
from qa.question.question import Question
from qa.text.nlp import STOPWORDS, normalize_text, phrase_stem, stem, text_stems, words
from textkit import word_matches

FORMAT_VERSION = 1
DEFAULT_OPTIONS_PATH = Path(__file__).resolve().parent / "models" / "options.json"

# Words after a mention in which a question term makes the option "bound" to what is asked.
BOUND_WORDS = 3

# What is measured of each option. Order is the artifact's order.
OPTION_FEATURES: tuple[str, ...] = (
    "mentioned",  # 1: some sentence holds all its distinctive words
    "best_coverage",  # the largest question-term coverage of a sentence that mentions it
    "coverage_sum",  # summed over articles: each article's best such coverage
    "articles",  # log(1 + articles that mention it)
    "mentions",  # log(1 + sentences that mention it)
    "first_rank",  # 1 / (1 + rank of the best-ranked passage that mentions it); 0: none
    "phrase",  # 1: the option's whole text occurs in a mentioning sentence
    "proximity",  # nearness of a mention to a question term (1: adjacent)
    "partial_coverage",  # max over sentences of (share of its distinctive words there) x coverage
    "title",  # 1: a passage's title holds all its distinctive words
    "bound",  # 1: a question term follows a mention within BOUND_WORDS words ("13 US service members")
    "in_question",  # 1: the question names it (it is not what is asked)
    "distinctive_words",  # log(1 + its distinctive words): long options are rarely quoted whole
)

# What is known of the pick when deciding whether to give it: its option probability, its lead over
# the runner-up, and its own evidence (OPTION_FEATURES of the picked option).
PICK_FEATURES: tuple[str, ...] = (
    "pick_probability",
    "pick_margin",
    "best_coverage",
    "coverage_sum",
    "articles",
    "first_rank",
    "partial_coverage",
    "title",
    "bound",
)
_NUMBER = re.compile(r"\d(?:[\d,.]*\d)?")
_ARTIFACT_PARTS = ("features", "mean", "scale", "coef", "answered", "format_version")


def likeliest(probs: Sequence[float], usable: Sequence[int]) -> int:
    """The option among `usable` (those that can be given) with the highest probability."""
    return max(usable, key=lambda c: probs[c])


def pick_features(
    options: Sequence[Mapping[str, float]], probs: Sequence[float], win: int
) -> dict[str, float]:
    """`PICK_FEATURES` of option `win` among `options` with their probabilities `probs`."""
    runner = max((p for c, p in enumerate(probs) if c != win), default=0.0)
    return {
        "pick_probability": probs[win],
        "pick_margin": probs[win] - runner,
        **{name: float(options[win][name]) for name in PICK_FEATURES[2:]},
    }


@dataclass(frozen=True)
class OptionModel(ConditionalLogit):
    """A conditional logit over options (`ConditionalLogit`). `answered`: P(the pick is right and the
    question answerable) from `PICK_FEATURES`, with the threshold below which the pick is withheld
    (None: never withheld). `info` is the training record."""

    answered: Calibrator | None = None
    info: Mapping[str, Any] = field(default_factory=dict)

    def to_dict(self) -> dict[str, Any]:
        return {
            "format_version": FORMAT_VERSION,
            **dict(self.info),
            **self.columns(),
            **({"answered": self.answered.to_dict()} if self.answered is not None else {}),
        }

    @classmethod
    def load(cls, path: str | Path | None = None) -> OptionModel:
        """The artifact at `path` (None: the shipped one)."""
        file = Path(path) if path is not None else DEFAULT_OPTIONS_PATH
        data, columns = read_linear_artifact(file, FORMAT_VERSION, "option model")
        try:
            answered = Calibrator.from_dict(data["answered"]) if "answered" in data else None
        except (ValueError, KeyError, TypeError) as exc:
            raise NewsQAError(f"option model {file}: cannot be read ({exc})") from exc
        info = {k: v for k, v in data.items() if k not in _ARTIFACT_PARTS}
        return cls(*columns, answered=answered, info=info)


@dataclass
class ChoicePick:
    """The picked option as an extraction (without support when it is withheld; empty when no option
    has evidence), and every option's features and probability, in the caller's order."""

    extraction: Extraction
    options: list[dict[str, Any]]


@dataclass
class _OptionTerms:
    text: str
    stems: list[str]  # distinctive stems that must all occur
    phrase: str  # normalised full text
    named: bool  # the question names it
    numbers: list[str]  # its numbers as written ("100,000"): each must occur whole


@dataclass
class _OptionEvidence:
    """What the passages say of one option while they are read."""

    coverage_by_article: dict[str, float] = field(default_factory=dict)
    mentions: int = 0
    first_rank: int | None = None
    phrase: bool = False
    proximity: float = 0.0
    partial: float = 0.0
    title: bool = False
    bound: bool = False
    best: tuple[float, Evidence] | None = None  # best mention (coverage, evidence)


class ChoicePicker:
    """Scores each option by the trained `OptionModel` over its evidence in the passages' sentences."""

    def __init__(self, model: OptionModel | None = None) -> None:
        self.model = model or OptionModel.load()

    def pick(self, question: Question, passages: list[Passage], choices: list[str]) -> ChoicePick:
        terms = self._choice_terms(question, choices)
        evidence = self._read(question, passages, terms)
        rows = [_features(t, e) for t, e in zip(terms, evidence, strict=True)]
        probs = self.model.probabilities(rows)
        usable = [c for c in range(len(terms)) if evidence[c].best is not None]  # quoted: can be given
        options = [
            {"option": t.text, "probability": round(p, 6), "evidence": c in usable, "features": r}
            for c, (t, p, r) in enumerate(zip(terms, probs, rows, strict=True))
        ]
        if not usable:  # no option is quoted: nothing to give, the closest sentences as related
            closest = [
                Evidence(s.passage, s.start, s.end, s.score) for s in sentence_scores(question, passages)[:3]
            ]
            return ChoicePick(Extraction("", [], 0.0, closest=closest), options)
        win = likeliest(probs, usable)
        support = evidence[win].best[1]  # type: ignore[index]
        quote = support.passage.article.text[support.start : support.end]
        answer = _as_in_quote(terms[win].text, quote)
        judge = self.model.answered
        confidence = judge.probability(pick_features(rows, probs, win)) if judge is not None else probs[win]
        if judge is not None and confidence < judge.threshold:
            return ChoicePick(Extraction(answer, [], confidence, span=True, closest=[support]), options)
        return ChoicePick(Extraction(answer, [support], confidence, span=True), options)

    def _read(
        self, question: Question, passages: list[Passage], terms: list[_OptionTerms]
    ) -> list[_OptionEvidence]:
        total = sum(question.weights.values()) or 1.0
        found = [_OptionEvidence() for _ in terms]
        for p in passages:
            title_stems = text_stems(p.article.title)
            for c, ct in enumerate(terms):
                if ct.stems and all(s in title_stems for s in ct.stems):
                    found[c].title = True
            for i, stems in enumerate(p.sentence_stems):
                cov = sum(w for s, w in question.weights.items() if s in stems) / total
                raw: str | None = None
                for c, ct in enumerate(terms):
                    present = sum(1 for s in ct.stems if s in stems)
                    if not present or ct.named:
                        continue
                    ev = found[c]
                    ev.partial = max(ev.partial, cov * present / len(ct.stems))
                    if present < len(ct.stems):
                        continue
                    if raw is None:
                        raw = p.article.text[slice(*p.sentences[i])]
                        sent_text = f" {normalize_text(raw)} "
                        matched = matched_positions(question, raw)
                        sent_words = [(m.start(), stem(m.group())) for m in word_matches(raw)]
                    if not all(_whole_number_in(n, raw) for n in ct.numbers):
                        continue  # "100" is not mentioned by "100,000"
                    ev.mentions += 1
                    ev.first_rank = p.rank if ev.first_rank is None else min(ev.first_rank, p.rank)
                    ev.phrase = ev.phrase or bool(ct.phrase and f" {ct.phrase} " in sent_text)
                    at = [j for j, (_, s) in enumerate(sent_words) if s in ct.stems]
                    starts = [sent_words[j][0] for j in at]
                    ev.proximity = max([ev.proximity, *(proximity(matched, m, m + 1) for m in starts)])
                    ev.bound = ev.bound or any(
                        s in question.weights for j in at for _, s in sent_words[j + 1 : j + 1 + BOUND_WORDS]
                    )
                    aid = p.article.id
                    ev.coverage_by_article[aid] = max(ev.coverage_by_article.get(aid, 0.0), cov)
                    if ev.best is None or cov > ev.best[0]:
                        ev.best = (cov, Evidence(p, *p.sentences[i], cov))
        return found

    @staticmethod
    def _choice_terms(question: Question, choices: list[str]) -> list[_OptionTerms]:
        stem_sets = [
            [alias]
            if (alias := phrase_stem(c))
            else [stem(w) for w in words(c) if w.lower() not in STOPWORDS]
            for c in choices
        ]
        out: list[_OptionTerms] = []
        for c, stems in enumerate(stem_sets):
            others = set().union(*(set(s) for k, s in enumerate(stem_sets) if k != c))
            distinctive = [s for s in stems if s not in others and s not in question.weights]
            if not distinctive:
                distinctive = [s for s in stems if s not in question.weights]
            named = question.contains(choices[c]) or not choices[c].strip()
            stems_once = list(dict.fromkeys(distinctive))
            numbers = _NUMBER.findall(choices[c])
            out.append(_OptionTerms(choices[c], stems_once, normalize_text(choices[c]), named, numbers))
        return out


def _features(terms: _OptionTerms, ev: _OptionEvidence) -> dict[str, float]:
    coverages = ev.coverage_by_article.values()
    return {
        "mentioned": 1.0 if ev.mentions else 0.0,
        "best_coverage": max(coverages, default=0.0),
        "coverage_sum": sum(coverages),
        "articles": math.log1p(len(ev.coverage_by_article)),
        "mentions": math.log1p(ev.mentions),
        "first_rank": 1.0 / (1.0 + ev.first_rank) if ev.first_rank is not None else 0.0,
        "phrase": 1.0 if ev.phrase else 0.0,
        "proximity": ev.proximity,
        "partial_coverage": ev.partial,
        "title": 1.0 if ev.title and not terms.named else 0.0,
        "bound": 1.0 if ev.bound else 0.0,
        "in_question": 1.0 if terms.named else 0.0,
        "distinctive_words": math.log1p(len(terms.stems)),
    }


def _whole_number_in(number: str, text: str) -> bool:
    """Whether `number` occurs in `text` as a whole number, not as part of a longer one."""
    return re.search(rf"(?<![\d.,]){re.escape(number)}(?![\d]|[.,]\d)", text) is not None


def _as_in_quote(choice: str, quote: str) -> str:
    """The choice as the quote spells it when the quote contains it (case-insensitive), else as given."""
    m = re.search(re.escape(choice.strip()), quote, flags=re.IGNORECASE)
    return m.group() if m else choice.strip()
