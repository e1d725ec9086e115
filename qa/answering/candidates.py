"""Answer candidates inside a parsed sentence: entities of the asked type, names spaCy missed, and noun
phrases for questions that a name does not answer ("who" -> "veterans of the US Special Forces",
"what kind of operation" -> "over-the-horizon counterterrorism operation").

Usage:
    for cand in find_candidates(question, doc):        # doc: a spaCy Doc of one sentence
        doc.text[cand.start:cand.end], cand.label, cand.pref

`pref` folds in what the sentence says about the candidate beyond its type: a count bound to the asked
noun ("13 service members" for "how many service members"), the most specific of nested places.

Where the spans are found is `span_finding`, how each is preferred `candidate_preference`; this module
places them (titles off, times and sums whole) and rules out those that cannot answer.
"""

from __future__ import annotations

import re
from typing import Any

from qa.answering.candidate_preference import WIDE_PLACES, Candidate, asked_places, scored_candidate
from qa.answering.phrases import role_is_tied
from qa.answering.span_finding import NAME_LABELS, TITLE_WORDS, candidate_spans, proper_runs
from qa.question.question import Question
from qa.text.nlp import STOPWORDS, doc_text, normalize_text, stem

# Publishers' names in datelines and credits ("New York (CNN Business)") are never the answer.
_PUBLISHERS = frozenset(
    {"cnn", "cnn business", "usa today", "week", "associated press", "ap", "reuters", "getty images"}
)
# A dateline or wire credit opening a sentence: "(CNN) ", "New York (CNN Business) ", "WASHINGTON – ",
# "WILMINGTON, Del. – " (an en or em dash and a capital after it: not "US - China talks").
DATELINE_RE = re.compile(
    r"^(?:(?:[A-Z][A-Za-z .,'’]{0,40})?\((?:CNN|AP|Reuters)[^)]{0,30}\)\s*[—–-]*"
    r"|[A-Z]{3}[A-Z .'’-]{0,27}(?:,\s+[A-Z][A-Za-z.]{1,12})?\s*[—–])\s*(?=[A-Z0-9“\"‘'])"
)
_YEAR_RE = re.compile(r"\b(1[5-9]\d\d|20\d\d)s?\b")
NUMBER_RE = re.compile(
    r"\d|\b(one|two|three|four|five|six|seven|eight|nine|ten|eleven|twelve|dozen|hundred|thousand|million|billion)\b",
    re.IGNORECASE,
)
_PRONOUNS = frozenset(
    [
        "he",
        "she",
        "they",
        "it",
        "we",
        "i",
        "you",
        "him",
        "her",
        "them",
        "his",
        "its",
        "their",
        "this",
        "that",
        "these",
        "those",
    ]
)


def _strip_titles(text: str, start: int, end: int, label: str) -> tuple[int, int]:
    if label not in ("PERSON", "NAME", "ORG"):
        return start, end
    while True:
        m = re.match(r"\S+\s+", text[start:end])
        if not m or text[start : start + len(m.group())].strip().lower() not in TITLE_WORDS:
            return start, end
        if label == "ORG" and end - start - len(m.group()) < 3:
            return start, end
        start += len(m.group())


# "Which governor/leader ...": the office is part of the answer ("Ohio Gov. Mark Ellison").
_OFFICE_NOUNS = frozenset(
    "leader governor official politician lawmaker senator candidate mayor premier".split()  # noqa: SIM905
)
_OFFICE_WORD = re.compile(r"(\S+)\s+$")


def _office_start(text: str, start: int) -> int:
    """Where the office before a name begins: its title words ("President", "Gov.") and at most one
    capitalised word naming where ("French", "Florida"); `start` when no title stands there."""
    new_start, titled = start, False
    while True:
        m = _OFFICE_WORD.search(text, max(0, new_start - 40), new_start)
        word = m.group(1) if m else ""
        if word.lower() in TITLE_WORDS and word[:1].isupper():
            titled, new_start = True, m.start()  # type: ignore[union-attr]
            continue
        if titled and word[:1].isupper() and word.isalpha() and word.lower() not in STOPWORDS:
            return m.start()  # type: ignore[union-attr]  # the place: nothing before it counts
        return new_start if titled else start


_TIME_PREFIX_RE = re.compile(r"(?:late|early|earlier|later)\s+(?:on\s+|in\s+)?$", re.IGNORECASE)


def _extend_time(text: str, start: int, end: int, label: str) -> tuple[int, int]:
    """ "Friday" -> "late on Friday" when the sentence says so."""
    if label not in ("DATE", "TIME"):
        return start, end
    m = _TIME_PREFIX_RE.search(text[max(0, start - 20) : start])
    return (start - len(m.group()), end) if m else (start, end)


_CURRENCY_BEFORE = re.compile(r"(?:US|A|C|NZ|HK)?[$£€¥₹]$")
# "£7m", "$2bn": a multiplier written onto the number; "$19 an hour": the rate the amount is paid at.
_AMOUNT_AFTER = re.compile(
    r"(?:m|bn|tn|k)?(?:\s*(?:an?|per)\s+(?:hour|day|week|month|year|gallon|barrel|share|person))?\b",
    re.IGNORECASE,
)


def _extend_money(text: str, start: int, end: int, label: str) -> tuple[int, int]:
    """spaCy's "19" in "$19 an hour" -> "$19 an hour", "more than £7" in "more than £7m" -> "more than £7m"."""
    if label != "MONEY":
        return start, end
    symbol = _CURRENCY_BEFORE.search(text[max(0, start - 3) : start])
    if symbol:
        start -= len(symbol.group())
    after = _AMOUNT_AFTER.match(text, end)
    return start, after.end() if after else end


def _acceptable(question: Question, text: str, label: str = "") -> bool:
    """Rules out spans that cannot answer: pronouns, publishers, the question's own words, wrong form."""
    if not text or text.lower() in _PRONOUNS or normalize_text(text) in _PUBLISHERS:
        return False
    if question.contains(text) or (label != "PART" and question.overlap_share(text) >= 0.5):
        return False
    if question.target in ("year", "decade", "century") and not _YEAR_RE.search(text):
        return False
    if label in ("GPE", "NORP") and " " not in text and len(text) >= 4:
        # "which Japanese island" is not answered by "Japan": the question already places it
        root = stem(text)[:5]
        if any(term.startswith(root) for term in question.weights):
            return False
    target = (question.target or "").lower()
    if target in _SUBNATIONAL and normalize_text(text) in _COUNTRY_NAMES:
        return False  # "which state" -> not "US"
    if question.kind == "how_many" and label == "MONEY" and target not in _MONEY_NOUNS:
        return False  # "how many days": not "£115,000"
    if question.kind == "how_many" and label == "PERCENT" and target and target not in _PERCENT_NOUNS:
        return False  # "how many years": not "1.25%"
    return not (question.kind == "how_many" and not NUMBER_RE.search(text))


_TRAILING_LINK = re.compile(r"(?<=\S)\s+(?:to|and|or|of|from|by|in|at|for|with|the|a|an)$")


def trim_span(text: str) -> str:
    """Edges cleaned; a span cut inside a parenthesis ("ISIS- Khorasan (ISIS-K") keeps the short form."""
    text = text.strip().strip(",;:").strip()
    if text.count("(") > text.count(")"):
        before, _, inside = text.rpartition("(")
        text = inside if inside.strip() and len(inside.split()) <= 3 else before
        text = text.strip().strip(",;:").strip()
    if text.endswith("'s") or text.endswith("’s"):
        text = text[:-2]
    # spaCy sometimes ends an entity on a linking word ("59% to" of "from 59% to 46%")
    return _TRAILING_LINK.sub("", text)


_SUBNATIONAL = frozenset({"state", "city", "county", "town", "province", "district", "village", "borough"})
_COUNTRY_NAMES = frozenset(
    {"us", "u s", "usa", "united states", "america", "uk", "britain", "united kingdom"}
)
_MONEY_NOUNS = frozenset({"dollars", "pounds", "euros", "yuan", "yen", "rupees", "money", "cash"})
_PERCENT_NOUNS = frozenset({"percent", "percentage", "points", "%"})


def find_candidates(question: Question, doc: Any) -> list[Candidate]:
    """Every acceptable answer span of `doc` for `question`, trimmed, with its preference."""
    text = doc_text(doc)
    dateline = DATELINE_RE.match(text)
    skip_before = dateline.end() if dateline else 0
    places = asked_places(question)
    out: list[Candidate] = []
    for start, end, label in dict.fromkeys(candidate_spans(question, doc, text, places)):
        if start < skip_before:
            continue
        placed = _placed_span(question, text, start, end, label)
        if placed is not None:
            out.append(scored_candidate(question, doc, text, placed, label, places))
    return out


def _placed_span(
    question: Question, text: str, start: int, end: int, label: str
) -> tuple[int, int, str] | None:
    """The span trimmed and extended (titles off, times and sums whole), or None when it cannot answer."""
    start, end = _strip_titles(text, start, end, label)
    if label in ("PERSON", "NAME") and (question.target or "").lower() in _OFFICE_NOUNS:
        start = _office_start(text, start)
    start, end = _extend_time(text, start, end, label)
    start, end = _extend_money(text, start, end, label)
    cand = trim_span(text[start:end])
    if not cand:
        return None
    start = text.find(cand, start)
    end = start + len(cand)
    if label == "NAME" and cand.split()[-1].lower() in TITLE_WORDS | {"us", "u.s."}:
        return None
    if not _acceptable(question, cand, label):
        return None
    if question.role is not None and not role_is_tied(text, question.role, question.role_of, (start, end)):
        return None
    return start, end, cand


def sole_new_name(question: Question, doc: Any) -> str | None:
    """The one name in `doc` that the question does not have yet, when there is exactly one.

    "Which cereal is getting a new box design?": no entity type is known to answer, so the best
    sentence answers; when it names one new thing ("Oatsy is retiring its yellow cardboard boxes"),
    that name is what the sentence says in answer.
    """
    text = doc_text(doc)
    dateline = DATELINE_RE.match(text)
    skip_before = dateline.end() if dateline else 0
    entities = [(e.start_char, e.end_char) for e in doc.ents]
    spans = [(e.start_char, e.end_char) for e in doc.ents if e.label_ in NAME_LABELS]
    spans += [(a, b) for a, b, _ in proper_runs(doc, entities, None, any_name=True)]  # not "Thursday"
    names: dict[str, str] = {}
    for start, end in spans:
        name = trim_span(text[start:end])
        if start < skip_before or not name or name.lower() in _PUBLISHERS or question.contains(name):
            continue
        names.setdefault(normalize_text(name), name)
    return next(iter(names.values())) if len(names) == 1 else None


_CONTAINED_IN = re.compile(
    r"^\s*(?:province|state|county|city|district|region|prefecture)\s+of\s+(?:the\s+)?$", re.IGNORECASE
)


def containments(question: Question, text: str, candidates: list[Candidate]) -> list[tuple[str, str]]:
    """(specific, container) pairs of place candidates: "Nangarhar province of Afghanistan".

    A sentence that names only the container ("a strike in eastern Afghanistan") then supports
    the more specific place another sentence gives, unless the question asks for the container.
    """
    if (question.target or "").lower() in WIDE_PLACES:
        return []
    places = sorted((c for c in candidates if c.label in ("GPE", "LOC", "FAC")), key=lambda c: c.start)
    return [
        (normalize_text(a.text), normalize_text(b.text))
        for a in places
        for b in places
        if a.end <= b.start and _CONTAINED_IN.match(text[a.end : b.start])
    ]
