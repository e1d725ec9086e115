"""How much a candidate span is preferred over the others in its sentence: its label, what the text
calls it, how a count binds the asked noun, a stated age, the most specific of nested places, the kind
of place asked for.

Usage:
    places = asked_places(question)                 # the gazetteer of "which country", "which state"
    cand = scored_candidate(question, doc, text, (start, end, span_text), label, places)
    cand.pref, cand.fit, cand.explicit
"""

from __future__ import annotations

import math
import re
from dataclasses import dataclass, field
from typing import Any

from qa.answering.gazetteer import COUNTRIES, COUNTRY_MENTIONS, REGIONS, US_STATE_MENTIONS, US_STATES
from qa.answering.span_finding import BIRTHDAY, TITLE_WORDS
from qa.question.question import Question
from qa.text.nlp import normalize_text, stem, word_stems

# spaCy label weights inside a kind: "who" prefers people to organisations to nationalities.
_LABEL_PREFERENCE = {
    "PERSON": 1.0,
    "ORG": 0.85,
    "NORP": 0.6,
    "GPE": 1.0,
    "LOC": 0.9,
    "FAC": 0.8,
    "GROUP": 0.8,  # "veterans of the US Special Forces": a name, when there is one, answers "who" better
    "NAMED": 1.1,  # "news service Politico": named right after the asked noun
    "QUOTED": 1.2,  # quoted in the text: what titles and coined terms look like in news
    "PHRASE": 0.8,
    "PROPN": 0.7,  # a proper noun with no entity label: a name of some kind, perhaps not the asked one
}


# The multipliers of a candidate's preference, by name (`Candidate.factors`).
PREFERENCE_FACTORS: tuple[str, ...] = (
    "label",  # the entity label's weight (_LABEL_PREFERENCE)
    "ends_in_target",  # "US Central Command" for "which command"
    "called_target",  # "Nangarhar province" for "which province"
    "count_binding",  # a count bound to the asked noun ("13 service members"), or to another one
    "target_unmentioned",  # a copular question's noun ("deadline") is not in the sentence
    "qualifies_title",  # a country before a title ("US Secretary ...")
    "attributive",  # a place modifying a noun ("Kabul airport")
    "specificity",  # the contained or the containing place of "X province of Y"
    "stated_age",  # an age stated as one ("21-year-old"), or a bare number for "how old"
    "asked_place",  # in the gazetteer of the asked kind of place, or not
    "several_names",  # a list of names for "which two ...", or a single one
    "bare_count",  # a bare count for "how much" of money
    "one",  # "one" for "how many"
)


# The factors that are also the candidate's fit (how well the sentence ties it to the question).
_FIT_FACTORS = frozenset({"count_binding", "target_unmentioned"})


@dataclass
class Candidate:
    """A span of the sentence's text that may answer; `pref` weighs it against the others."""

    start: int
    end: int
    label: str
    pref: float
    text: str
    fit: float = 1.0  # how well the sentence ties it to the question (also lowers the confidence)
    explicit: bool = False  # the text calls it by the asked noun ("Nangarhar province")
    # Each multiplier of `pref` by name (`PREFERENCE_FACTORS`; absent: 1), features of the span model.
    factors: dict[str, float] = field(default_factory=dict)


_CONTAINER_AFTER = re.compile(
    r"^\s*(?:province|state|county|city|district|region|prefecture)\b", re.IGNORECASE
)
_CONTAINED_BEFORE = re.compile(
    r"(?:province|state|county|city|district|region|prefecture)\s+of\s+(?:the\s+)?$", re.IGNORECASE
)
_AGE_AFTER = re.compile(r"(\d[\d.¼½¾]*)\s*-?\s*(?:year|month|week|day)s?[- ]old\b", re.IGNORECASE)
_AGE_BEFORE = re.compile(r"\b(?:aged|age of|age)\s+$", re.IGNORECASE)

_COUNTRY_NOUNS = frozenset({"country", "countries", "nation", "nations"})
_REGION_QUESTION = re.compile(
    r"\b(European|African|Asian|South\s+American|Latin\s+American|Middle\s+Eastern)\s+(?:countr|nation)",
    re.IGNORECASE,
)
# "Which state", "which US state": a US state (not "which Indian state", not "the state's ...").
_US_STATE_QUESTION = re.compile(r"\bwhich\s+(?:(?:u\.?s\.?|american)\s+)?states?\b", re.IGNORECASE)

# "Which country/state": the container is what is asked, not the most specific place.
WIDE_PLACES = frozenset({"country", "nation", "state", "continent", "region"})
_COUNT_UNITS = frozenset(
    stem(w)
    for w in [
        "percent",
        "%",
        "million",
        "billion",
        "thousand",
        "hundred",
        "dozen",
        "times",
        "year",
        "years",
        "month",
        "months",
        "day",
        "days",
        "hours",
        "minutes",
        "inches",
        "feet",
        "miles",
        "pounds",
        "dollars",
    ]
)


def scored_candidate(
    question: Question,
    doc: Any,
    text: str,
    placed: tuple[int, int, str],
    label: str,
    places: tuple[frozenset[str], re.Pattern[str]] | None,
) -> Candidate:
    """The candidate with its preference: what the text calls it, how it binds the question."""
    start, end, cand = placed
    factors = {"label": _LABEL_PREFERENCE.get(label, 1.0)}
    explicit = False
    if label == "PHRASE":
        pass  # a phrase ends in the asked noun by construction
    elif question.target and normalize_text(cand).split()[-1:] == [question.target.lower()]:
        factors["ends_in_target"] = 1.3  # "which command" -> "US Central Command"
    elif question.target and _next_word_stem(text, end) == stem(question.target):
        factors["called_target"] = 1.6  # "which province" -> "Nangarhar province": the text calls it one
        explicit = True
    if question.kind == "how_many":
        factors["count_binding"] = _count_binding(question, doc, end)
    if question.copular and question.target and not _mentions(doc, stem(question.target)):
        # "What is the deadline for ...": a date in a sentence without "deadline"
        factors["target_unmentioned"] = 0.4
    fit = factors.get("count_binding", 1.0) * factors.get("target_unmentioned", 1.0)
    if label in ("GPE", "NORP") and _next_word(text, end) in TITLE_WORDS:
        # "US Secretary of Defence Lloyd J. Austin": the country qualifies a title
        factors["qualifies_title"] = 0.5
    elif (
        label == "GPE" and not explicit and _attributive(doc, end) and not _CONTAINER_AFTER.match(text[end:])
    ):
        # "US military", "Kabul airport": a modifier of what the sentence is about
        factors["attributive"] = 0.6
    if label in ("GPE", "LOC", "FAC") and (question.target or "").lower() not in WIDE_PLACES:
        factors["specificity"] = _specificity(text, start, end)
    if question.asks_age:
        factors["stated_age"], end, cand = _stated_age(text, start, end, cand)
    if places is not None and label.rstrip("+") in ("GPE", "LOC", "NAME"):
        named = [normalize_text(part) for part in re.split(r",\s*|\s+(?:and|&)\s+", cand)]
        # "which country": not "Bali"
        factors["asked_place"] = 1.3 if all(n in places[0] for n in named) else 0.6
    if question.answer_count > 1:
        factors["several_names"] = 1.3 if label.endswith("+") else 0.7  # "which two countries": both answer
    if question.kind == "how_much" and label == "CARDINAL" and "MONEY" in question.labels:
        # "how much": an amount (money, a measure, a share) more often than a bare count
        factors["bare_count"] = 0.7
    if question.kind == "how_many" and cand.lower() == "one":
        factors["one"] = 0.5  # "one of the ...": rarely the count asked for
    # the sentence's fit last, as it always was multiplied in (the same floats, the same ties)
    pref = math.prod(v for k, v in factors.items() if k not in _FIT_FACTORS) * fit
    return Candidate(start, end, label, pref, cand, min(fit, 1.0), explicit, factors)


def _stated_age(text: str, start: int, end: int, cand: str) -> tuple[float, int, str]:
    """For "how old": 1.5 when the text states the number as an age ("the 21-year-old chihuahua",
    "aged 91", "his 80th birthday"), else 0.5 ("four cats"); "21-year-old" answers with its number."""
    years_old = _AGE_AFTER.match(text, start)
    if years_old:
        end = start + len(years_old.group(1))
        cand = text[start:end]
    stated = (
        years_old
        or BIRTHDAY.match(text, start)
        or _AGE_BEFORE.search(text, max(0, start - 12), start)
        or (text[max(0, start - 2) : start] == ", " and text[end : end + 1] == ",")  # "Biden, 79,"
    )
    return (1.5 if stated else 0.5), end, cand


def _attributive(doc: Any, end: int) -> bool:
    """The span is followed directly by a noun it modifies ("US service members")."""
    for tok in doc:
        if tok.idx >= end:
            return tok.pos_ == "NOUN" and tok.idx - end <= 1
    return False


def _next_word(text: str, end: int) -> str:
    m = re.match(r"\s+([\w’'.-]+)", text[end:])
    return m.group(1).lower() if m else ""


def _next_word_stem(text: str, end: int) -> str:
    word = _next_word(text, end)
    return stem(word) if word else ""


def asked_places(question: Question) -> tuple[frozenset[str], re.Pattern[str]] | None:
    """The gazetteer of the kind of place asked for ("which country", "which European nation", "which
    state"), if any."""
    if (question.target or "").lower() in _COUNTRY_NOUNS:
        region = _REGION_QUESTION.search(question.text)
        return (REGIONS[" ".join(region.group(1).lower().split())] if region else COUNTRIES), COUNTRY_MENTIONS
    if (question.target or "").lower() in ("state", "states") and _US_STATE_QUESTION.search(question.text):
        return US_STATES, US_STATE_MENTIONS
    return None


def _count_binding(question: Question, doc: Any, end: int) -> float:
    """A number followed by the counted noun wins ("13 US service members" for "how many service
    members"); one that counts something else ("80,000 people" for "how many troops") loses."""
    if not question.target:
        return 1.0
    target = stem(question.target)
    run: list[str] = []
    for tok in doc:
        if tok.idx < end:
            continue
        if tok.pos_ in ("NOUN", "PROPN", "ADJ") or (tok.text == "-" and run):
            if tok.text != "-":
                run.append(stem(tok.text))
            continue
        break
    if not run:
        return 1.0
    if target in run:
        return 1.4
    return 1.0 if run[-1] in _COUNT_UNITS or run[0] in _COUNT_UNITS else 0.45


def _mentions(doc: Any, target: str) -> bool:
    return any(target in word_stems(tok.text) for tok in doc)


def _specificity(text: str, start: int, end: int) -> float:
    """ "Nangarhar province of Afghanistan": the province answers "where", the country contains it."""
    if _CONTAINER_AFTER.match(text[end:]):
        return 1.25
    if _CONTAINED_BEFORE.search(text[max(0, start - 30) : start]) and start > 0:
        return 0.7
    return 1.0
