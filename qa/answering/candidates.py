"""Answer candidates inside a parsed sentence: entities of the asked type, names spaCy missed, and noun
phrases for questions that a name does not answer ("who" -> "veterans of the US Special Forces",
"what kind of operation" -> "over-the-horizon counterterrorism operation").

Usage:
    for cand in find_candidates(question, doc):        # doc: a spaCy Doc of one sentence
        doc.text[cand.start:cand.end], cand.label, cand.pref

`pref` folds in what the sentence says about the candidate beyond its type: a count bound to the asked
noun ("13 service members" for "how many service members"), the most specific of nested places.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from typing import Any

from qa.answering.gazetteer import COUNTRIES, COUNTRY_MENTIONS, REGIONS, US_STATE_MENTIONS, US_STATES
from qa.answering.phrases import PERSON_NOUNS, noun_phrases, role_is_tied, strip_known
from qa.question.question import Question
from qa.text.nlp import STOPWORDS, doc_text, normalize_text, stem, word_stems

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
# Leading titles dropped from names ("Defence Lloyd J. Austin" -> "Lloyd J. Austin").
_TITLE_WORDS = frozenset(
    [
        "president",
        "minister",
        "secretary",
        "defence",
        "defense",
        "national",
        "captain",
        "capt",
        "gov",
        "gov.",
        "governor",
        "sen",
        "sen.",
        "senator",
        "rep",
        "rep.",
        "dr",
        "dr.",
        "mr",
        "mr.",
        "mrs",
        "mrs.",
        "ms",
        "ms.",
        "prime",
        "deputy",
        "chief",
        "general",
        "gen",
        "gen.",
        "judge",
        "justice",
        "king",
        "queen",
        "prince",
        "princess",
        "pope",
        "sir",
        "lady",
        "lord",
        "foreign",
        "interior",
        "finance",
        "health",
        "former",
        "press",
        "spokesperson",
        "spokesman",
        "spokeswoman",
        "coach",
        "ceo",
        "founder",
        "lt",
        "lt.",
        "col",
        "col.",
        "sgt",
        "sgt.",
        "officer",
        "director",
        "chairman",
    ]
)
_NAME_PARTICLES = frozenset({"bin", "al", "de", "van", "von", "da", "del", "la", "le", "di", "ibn"})
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


def _capitalised_runs(doc: Any) -> list[tuple[int, int]]:
    """Runs of two or more capitalised words (names spaCy's small model misses), as char offsets."""
    runs: list[tuple[int, int]] = []
    current: list[object] = []
    for tok in list(doc) + [None]:  # type: ignore[call-overload]
        if (
            tok is not None
            and tok.i > 0
            and (
                tok.text[:1].isupper()
                and tok.is_alpha
                or tok.text.lower() in _NAME_PARTICLES
                and current
                or (len(tok.text) == 2 and tok.text[1] == "." and tok.text[0].isupper() and current)
            )
        ):
            current.append(tok)
            continue
        while current and current[-1].text.lower() in _NAME_PARTICLES:  # type: ignore[attr-defined]
            current.pop()
        if len(current) >= 2:
            first, last = current[0], current[-1]
            runs.append((first.idx, last.idx + len(last.text)))  # type: ignore[attr-defined]
        current = []
    return runs


# Answer types a proper noun can be, whatever label spaCy gave it (or none).
_PROPER_LABELS = frozenset({"ORG", "PRODUCT", "WORK_OF_ART", "EVENT"})


def _proper_runs(
    doc: Any, taken: list[tuple[int, int]], target: str | None, any_name: bool
) -> list[tuple[int, int, str]]:
    """Runs of proper nouns the small NER model left unlabelled, sentence-initial ones included
    ("Pfizer says it will seek FDA approval", "Subway is launching a new menu"), labelled "PROPN";
    with `any_name` false only those that end in the asked noun.

    A run that ends in the asked noun ("Dallas-Fort Worth International Airport" for "which airport")
    is kept even where it contains an entity ("Dallas"): the whole run names the thing asked for.
    """
    target_stem = stem(target) if target else None
    out: list[tuple[int, int, str]] = []
    current: list[Any] = []
    tokens = list(doc)
    for i, tok in enumerate([*tokens, None]):
        joins = (
            tok is not None
            and current
            and tok.text == "-"
            and not tok.whitespace_
            and i + 1 < len(tokens)
            and tokens[i + 1].pos_ == "PROPN"
        )
        # a capitalised common noun inside a sentence is part of a name too ("the Internet Explorer icon")
        proper = (
            tok is not None
            and tok.text[:1].isupper()
            and (tok.pos_ == "PROPN" or tok.pos_ == "NOUN" and tok.i > 0)
        )
        if proper and tok.lower_ not in _TITLE_WORDS or joins:  # titles end a name: "Meat Chief ..."
            current.append(tok)
            continue
        if _opens_name(tok, tokens):
            current = [tok]
            continue
        if any(t.pos_ == "PROPN" for t in current):
            start, end = current[0].idx, current[-1].idx + len(current[-1].text)
            names_target = target_stem is not None and stem(current[-1].text) == target_stem
            if names_target and len(current) > 1 or any_name and not _overlaps(start, end, taken):
                out.append((start, end, "PROPN"))
        current = []
    return out


def _opens_name(tok: Any, tokens: list[Any]) -> bool:
    """A capitalised preposition or modifier inside a sentence, before a proper noun, begins a
    name: "(CNN Business) Beyond Meat suspended", "Under Armour"."""
    return (
        tok is not None
        and tok.i > 0
        and tok.text[:1].isupper()
        and tok.pos_ in ("ADP", "ADV", "ADJ", "VERB")
        and tok.i + 1 < len(tokens)
        and tokens[tok.i + 1].pos_ == "PROPN"
    )


_NUMBER_START = re.compile(
    r"^(\d[\d,]*)\s+(?!(?:years?|months?|weeks?|days?|hours?|minutes?|decades?)\b)[A-Za-z]"
)


def _misread_counts(doc: Any) -> list[tuple[int, int, str]]:
    """The count in a "date" spaCy misread ("77 Christmas" in "77 Christmas trees"), as a CARDINAL."""
    out = []
    for ent in doc.ents:
        m = _NUMBER_START.match(ent.text) if ent.label_ == "DATE" else None
        if m:
            out.append((ent.start_char, ent.start_char + len(m.group(1)), "CARDINAL"))
    return out


_AND = re.compile(r",?\s+(?:and|&)\s+")
_COMMA = re.compile(r",\s*")


def _coordinated(text: str, spans: list[tuple[int, int, str]], count: int) -> list[tuple[int, int, str]]:
    """ "Sweden and Finland", "Russia, China and Iran": `count` names of one label joined by commas and
    a last "and", as one span labelled e.g. "GPE+"."""
    ordered = sorted(spans)
    out: list[tuple[int, int, str]] = []
    for i in range(len(ordered) - count + 1):
        group = ordered[i : i + count]
        if len({label for _, _, label in group}) != 1:
            continue
        gaps = [text[end:start] for (_, end, _), (start, _, _) in zip(group, group[1:], strict=False)]
        if _AND.fullmatch(gaps[-1]) and all(_COMMA.fullmatch(g) for g in gaps[:-1]):
            out.append((group[0][0], group[-1][1], group[0][2] + "+"))
    return out


def _overlaps(a: int, b: int, spans: list[tuple[int, int]]) -> bool:
    return any(a < y and x < b for x, y in spans)


def _strip_titles(text: str, start: int, end: int, label: str) -> tuple[int, int]:
    if label not in ("PERSON", "NAME", "ORG"):
        return start, end
    while True:
        m = re.match(r"\S+\s+", text[start:end])
        if not m or text[start : start + len(m.group())].strip().lower() not in _TITLE_WORDS:
            return start, end
        if label == "ORG" and end - start - len(m.group()) < 3:
            return start, end
        start += len(m.group())


# "Which governor/leader ...": the office is part of the answer ("Florida Gov. Ron DeSantis").
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
        if word.lower() in _TITLE_WORDS and word[:1].isupper():
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
# "£7m", "$2bn": a multiplier written onto the number; "$22 an hour": the rate the amount is paid at.
_AMOUNT_AFTER = re.compile(
    r"(?:m|bn|tn|k)?(?:\s*(?:an?|per)\s+(?:hour|day|week|month|year|gallon|barrel|share|person))?\b",
    re.IGNORECASE,
)


def _extend_money(text: str, start: int, end: int, label: str) -> tuple[int, int]:
    """spaCy's "22" in "$22 an hour" -> "$22 an hour", "more than £7" in "more than £7m" -> "more than £7m"."""
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


_CONTAINER_AFTER = re.compile(
    r"^\s*(?:province|state|county|city|district|region|prefecture)\b", re.IGNORECASE
)
_CONTAINED_BEFORE = re.compile(
    r"(?:province|state|county|city|district|region|prefecture)\s+of\s+(?:the\s+)?$", re.IGNORECASE
)
# "Which country/state": the container is what is asked, not the most specific place.
_NAME_LABELS = frozenset({"PERSON", "ORG", "PRODUCT", "WORK_OF_ART", "EVENT", "GPE", "LOC", "FAC", "LAW"})
_APPOSITION = re.compile(r"^,\s+(?:a|an|the)\s+((?:[\w’'.-]+\s*){1,7})")
_SUBNATIONAL = frozenset({"state", "city", "county", "town", "province", "district", "village", "borough"})
_COUNTRY_NAMES = frozenset(
    {"us", "u s", "usa", "united states", "america", "uk", "britain", "united kingdom"}
)
_MONEY_NOUNS = frozenset({"dollars", "pounds", "euros", "yuan", "yen", "rupees", "money", "cash"})
_AGE_AFTER = re.compile(r"(\d[\d.¼½¾]*)\s*-?\s*(?:year|month|week|day)s?[- ]old\b", re.IGNORECASE)
_AGE_BEFORE = re.compile(r"\b(?:aged|age of|age)\s+$", re.IGNORECASE)
_BIRTHDAY = re.compile(r"\b(\d{1,3})(?:st|nd|rd|th)\s+birthday\b", re.IGNORECASE)
_COUNTRY_NOUNS = frozenset({"country", "countries", "nation", "nations"})
_REGION_QUESTION = re.compile(
    r"\b(European|African|Asian|South\s+American|Latin\s+American|Middle\s+Eastern)\s+(?:countr|nation)",
    re.IGNORECASE,
)
# "Which state", "which US state": a US state (not "which Indian state", not "the state's ...").
_US_STATE_QUESTION = re.compile(r"\bwhich\s+(?:(?:u\.?s\.?|american)\s+)?states?\b", re.IGNORECASE)
_PERCENT_NOUNS = frozenset({"percent", "percentage", "points", "%"})
_WIDE_PLACES = frozenset({"country", "nation", "state", "continent", "region"})
_PART_MODIFIER = re.compile(
    r"^(?:north|south|east|west|central|upper|lower|inner|outer|northern|southern|eastern|western|"
    r"north-?eastern|north-?western|south-?eastern|south-?western|rural|coastal)\b",
    re.IGNORECASE,
)
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


# "Domino’s Pizza", "McDonald's Corp.": a possessive inside one name is a business named after someone.
_INNER_POSSESSIVE = re.compile(r"\w['’]s\s+\w")


def entity_label(ent: Any) -> str:
    """spaCy's label for `ent`, except that a "PERSON" with a possessive inside ("Domino's Pizza") is
    an "ORG"."""
    if ent.label_ == "PERSON" and _INNER_POSSESSIVE.search(ent.text):
        return "ORG"
    return ent.label_


def find_candidates(question: Question, doc: Any) -> list[Candidate]:
    """Every acceptable answer span of `doc` for `question`, trimmed, with its preference."""
    text = doc_text(doc)
    dateline = DATELINE_RE.match(text)
    skip_before = dateline.end() if dateline else 0
    places = _asked_places(question)
    out: list[Candidate] = []
    for start, end, label in dict.fromkeys(_candidate_spans(question, doc, text, places)):
        if start < skip_before:
            continue
        placed = _placed_span(question, text, start, end, label)
        if placed is not None:
            out.append(_scored_candidate(question, doc, text, placed, label, places))
    return out


def _candidate_spans(
    question: Question, doc: Any, text: str, places: tuple[frozenset[str], re.Pattern[str]] | None
) -> list[tuple[int, int, str]]:
    """(start, end, label) of every span that may answer: entities of the asked labels, names and
    phrases spaCy misses, counts, ages, quoted titles, places inside longer names."""
    labels = question.labels
    spans = [(e.start_char, e.end_char, label) for e in doc.ents if (label := entity_label(e)) in labels]
    if question.answer_count > 1:
        spans += _coordinated(text, spans, question.answer_count)
    if "PERSON" in labels:
        taken = [(a, b) for a, b, _ in spans]
        spans += [(a, b, "NAME") for a, b in _capitalised_runs(doc) if not _overlaps(a, b, taken)]
    if labels and (labels & _PROPER_LABELS or question.target):
        taken = [(a, b) for a, b, _ in spans] + [(e.start_char, e.end_char) for e in doc.ents]
        spans += _proper_runs(doc, taken, question.target, any_name=bool(labels & _PROPER_LABELS))
    if question.kind == "how_many":
        spans += _misread_counts(doc)
    if question.asks_age:  # "celebrates his 80th birthday": spaCy's ORDINAL is the age
        spans += [(m.start(1), m.end(1), "CARDINAL") for m in _BIRTHDAY.finditer(text)]
    if "QUOTED" in labels:
        spans += _quoted_spans(text, titles_only=bool(labels - {"QUOTED"}))
    spans += _phrase_spans(question, doc)
    if places is not None and "GPE" in labels:
        # "the Illinois Lottery": a country or state inside a longer name still answers
        spans += [(m.start(), m.end(), "GPE") for m in places[1].finditer(text)]
    if question.target and (labels or question.phrase):
        spans += _named_after_target(doc, stem(question.target))
    if question.target and question.phrase and not question.kind_of:
        spans += _named_before_target(doc, stem(question.target))
    return spans


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
    if label == "NAME" and cand.split()[-1].lower() in _TITLE_WORDS | {"us", "u.s."}:
        return None
    if not _acceptable(question, cand, label):
        return None
    if question.role is not None and not role_is_tied(text, question.role, question.role_of, (start, end)):
        return None
    return start, end, cand


def _scored_candidate(
    question: Question,
    doc: Any,
    text: str,
    placed: tuple[int, int, str],
    label: str,
    places: tuple[frozenset[str], re.Pattern[str]] | None,
) -> Candidate:
    """The candidate with its preference: what the text calls it, how it binds the question."""
    start, end, cand = placed
    pref = _LABEL_PREFERENCE.get(label, 1.0)
    explicit = False
    if label == "PHRASE":
        pass  # a phrase ends in the asked noun by construction
    elif question.target and normalize_text(cand).split()[-1:] == [question.target.lower()]:
        pref *= 1.3  # "which command" -> "US Central Command"
    elif question.target and _next_word_stem(text, end) == stem(question.target):
        pref *= 1.6  # "which province" -> "Nangarhar province": the text calls it one
        explicit = True
    fit = _count_binding(question, doc, end) if question.kind == "how_many" else 1.0
    if question.copular and question.target and not _mentions(doc, stem(question.target)):
        fit *= 0.4  # "What is the deadline for ...": a date in a sentence without "deadline"
    if label in ("GPE", "NORP") and _next_word(text, end) in _TITLE_WORDS:
        pref *= 0.5  # "US Secretary of Defence Lloyd J. Austin": the country qualifies a title
    elif (
        label == "GPE" and not explicit and _attributive(doc, end) and not _CONTAINER_AFTER.match(text[end:])
    ):
        pref *= 0.6  # "US military", "Kabul airport": a modifier of what the sentence is about
    if label in ("GPE", "LOC", "FAC") and (question.target or "").lower() not in _WIDE_PLACES:
        pref *= _specificity(text, start, end)
    if question.asks_age:
        years_old = _AGE_AFTER.match(text, start)
        if years_old:  # "21-year-old" answers with its number
            end = start + len(years_old.group(1))
            cand = text[start:end]
        stated = (
            years_old
            or _BIRTHDAY.match(text, start)
            or _AGE_BEFORE.search(text, max(0, start - 12), start)
            or (text[max(0, start - 2) : start] == ", " and text[end : end + 1] == ",")  # "Biden, 79,"
        )
        # "the 21-year-old chihuahua", "aged 91", "his 80th birthday"; not "four cats"
        pref *= 1.5 if stated else 0.5
    if places is not None and label.rstrip("+") in ("GPE", "LOC", "NAME"):
        named = [normalize_text(part) for part in re.split(r",\s*|\s+(?:and|&)\s+", cand)]
        pref *= 1.3 if all(n in places[0] for n in named) else 0.6  # "which country": not "Bali"
    if question.answer_count > 1:
        pref *= 1.3 if label.endswith("+") else 0.7  # "which two countries": both names answer
    if question.kind == "how_much" and label == "CARDINAL" and "MONEY" in question.labels:
        pref *= 0.7  # "how much": an amount (money, a measure, a share) more often than a bare count
    if question.kind == "how_many" and cand.lower() == "one":
        pref *= 0.5  # "one of the ...": rarely the count asked for
    return Candidate(start, end, label, pref * fit, cand, min(fit, 1.0), explicit)


def sole_new_name(question: Question, doc: Any) -> str | None:
    """The one name in `doc` that the question does not have yet, when there is exactly one.

    "Which beverage is getting a new bottle design?": no entity type is known to answer, so the best
    sentence answers; when it names one new thing ("Sprite is retiring its green plastic bottles"),
    that name is what the sentence says in answer.
    """
    text = doc_text(doc)
    dateline = DATELINE_RE.match(text)
    skip_before = dateline.end() if dateline else 0
    entities = [(e.start_char, e.end_char) for e in doc.ents]
    spans = [(e.start_char, e.end_char) for e in doc.ents if e.label_ in _NAME_LABELS]
    spans += [(a, b) for a, b, _ in _proper_runs(doc, entities, None, any_name=True)]  # not "Thursday"
    names: dict[str, str] = {}
    for start, end in spans:
        name = trim_span(text[start:end])
        if start < skip_before or not name or name.lower() in _PUBLISHERS or question.contains(name):
            continue
        names.setdefault(normalize_text(name), name)
    return next(iter(names.values())) if len(names) == 1 else None


def _phrase_spans(question: Question, doc: Any) -> list[tuple[int, int, str]]:
    """Noun phrases that answer: people for "who", `target`-headed for "what kind of", parts of a whole."""
    wants_people = question.kind == "who" and question.role is None
    if not (wants_people or question.phrase or question.part_of):
        return []
    text = doc_text(doc)
    target = stem(question.target) if question.target else None
    out: list[tuple[int, int, str]] = []
    groups: list[tuple[int, int]] = []
    for np in noun_phrases(doc):
        if (
            wants_people
            and all(h in PERSON_NOUNS for h in np.heads)
            and (np.head_pos == "NOUN" or len(np.heads) > 1)
            and not np.pointed
            and np.end - np.start > 2
        ):
            out.append((np.start, np.end, "GROUP"))
            groups.append((np.start, np.end))
        elif question.phrase and np.head == target:
            start = strip_known(text, np.start, np.end, question.weights)
            # "which band" is not answered by "hard rock band": only "what kind of band" is
            named = question.kind_of or _NAMING_WORD.search(text[start : np.end])
            if len(text[start : np.end].split()) >= 2 and named:
                out.append((start, np.end, "PHRASE"))
        elif question.part_of and np.head != target:
            after = re.match(r"\s+of\s+(?:the\s+)?([\w’'-]+(?:\s+[\w’'-]+){0,2})", text[np.end :])
            if after and question.part_of & {stem(w) for w in after.group(1).split()}:
                out.append((strip_known(text, np.start, np.end, question.weights), np.end, "PART"))
            elif np.head in question.part_of and _PART_MODIFIER.match(text[np.start : np.end]):
                out.append((np.start, np.end, "PART"))  # "eastern Afghanistan"
    if groups:
        # "veterans of the US Special Forces" and "citizens, card holders and allies" answer whole:
        # neither the organisation nor one member alone
        out = [
            s for s in out if not any(a <= s[0] and s[1] <= b and (a, b) != (s[0], s[1]) for a, b in groups)
        ]
    return out


_QUOTED = re.compile(r"[“\"]([^“”\"]{1,60}?)[,.]?[”\"]")
_QUOTED_MAX_WORDS = 6


def _quoted_spans(text: str, titles_only: bool) -> list[tuple[int, int, str]]:
    """Short runs in quotation marks: how news names a show or book ("Succession", capitalised:
    `titles_only`) or a coined term ("goblin mode"); a quoted remark is longer."""
    out = []
    for m in _QUOTED.finditer(text):
        quoted = m.group(1)
        if len(quoted.split()) <= _QUOTED_MAX_WORDS and (
            quoted[0].isupper() or quoted[0].isdigit() or not titles_only
        ):
            out.append((m.start(1), m.end(1), "QUOTED"))
    return out


# A capitalised word (not a determiner) or a number: the phrase names one X, not a kind of X.
_NAMING_WORD = re.compile(r"\b(?!(?:The|A|An|This|That|These|Those|Its|Their|His|Her|Our)\b)[A-Z0-9]")


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


def _asked_places(question: Question) -> tuple[frozenset[str], re.Pattern[str]] | None:
    """The gazetteer of the kind of place asked for ("which country", "which European nation", "which
    state"), if any."""
    if (question.target or "").lower() in _COUNTRY_NOUNS:
        region = _REGION_QUESTION.search(question.text)
        return (REGIONS[" ".join(region.group(1).lower().split())] if region else COUNTRIES), COUNTRY_MENTIONS
    if (question.target or "").lower() in ("state", "states") and _US_STATE_QUESTION.search(question.text):
        return US_STATES, US_STATE_MENTIONS
    return None


def _named_before_target(doc: Any, target: str) -> list[tuple[int, int, str]]:
    """ "Fenrir, a 2-year-old Savannah cat": a name in apposition to the asked noun."""
    out: list[tuple[int, int, str]] = []
    names = [(e.start_char, e.end_char) for e in doc.ents if e.label_ in _NAME_LABELS]
    names += _capitalised_runs(doc)
    for start, end in names:
        m = _APPOSITION.match(doc_text(doc)[end:])
        if m and any(stem(w) == target for w in re.findall(r"[\w’'-]+", m.group(1))):
            out.append((start, end, "NAMED"))
    return out


# The last word of an institution's name: "the National Park Service" does not name a park "Service".
_INSTITUTION_HEADS = frozenset(
    """service department agency association foundation board commission council authority
    administration institute society office bureau center centre committee fund trust corporation
    league union conservancy system""".split()  # noqa: SIM905 - a word list reads better as text
)


def _named_after_target(doc: Any, target: str) -> list[tuple[int, int, str]]:
    """ "a news service Politico": the capitalised run right after the asked noun names it, whatever
    label the tagger gave it."""
    out: list[tuple[int, int, str]] = []
    tokens = list(doc)
    for i, tok in enumerate(tokens[:-1]):
        if tok.pos_ not in ("NOUN", "PROPN") or stem(tok.text) != target:
            continue
        j = i + 1
        while j < len(tokens) and tokens[j].pos_ == "PROPN":
            j += 1
        if j > i + 1 and tokens[j - 1].lower_ not in _INSTITUTION_HEADS:
            out.append((tokens[i + 1].idx, tokens[j - 1].idx + len(tokens[j - 1].text), "NAMED"))
    return out


def _count_binding(question: Question, doc: Any, end: int) -> float:
    """A number followed by the counted noun wins ("13 US service members" for "how many service
    members"); one that counts something else ("100,000 people" for "how many troops") loses."""
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


_CONTAINED_IN = re.compile(
    r"^\s*(?:province|state|county|city|district|region|prefecture)\s+of\s+(?:the\s+)?$", re.IGNORECASE
)


def containments(question: Question, text: str, candidates: list[Candidate]) -> list[tuple[str, str]]:
    """(specific, container) pairs of place candidates: "Nangarhar province of Afghanistan".

    A sentence that names only the container ("a strike in eastern Afghanistan") then supports
    the more specific place another sentence gives, unless the question asks for the container.
    """
    if (question.target or "").lower() in _WIDE_PLACES:
        return []
    places = sorted((c for c in candidates if c.label in ("GPE", "LOC", "FAC")), key=lambda c: c.start)
    return [
        (normalize_text(a.text), normalize_text(b.text))
        for a in places
        for b in places
        if a.end <= b.start and _CONTAINED_IN.match(text[a.end : b.start])
    ]


def _specificity(text: str, start: int, end: int) -> float:
    """ "Nangarhar province of Afghanistan": the province answers "where", the country contains it."""
    if _CONTAINER_AFTER.match(text[end:]):
        return 1.25
    if _CONTAINED_BEFORE.search(text[max(0, start - 30) : start]) and start > 0:
        return 0.7
    return 1.0
