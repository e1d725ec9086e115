"""Where answer candidates may be in a parsed sentence: entities of the asked labels, and what the
small NER model misses (runs of capitalised words and proper nouns, coordinated names, counts read as
dates, quoted titles, noun phrases for "who" and "what kind of", names in apposition to the asked noun).

Usage:
    spans = candidate_spans(question, doc, doc_text(doc), asked_places(question))  # [(start, end, label)]
"""

from __future__ import annotations

import re
from typing import Any

from qa.answering.phrases import PERSON_NOUNS, noun_phrases, strip_known
from qa.question.question import Question
from qa.text.nlp import doc_text, stem, words

# Leading titles dropped from names ("Defence Lloyd J. Austin" -> "Lloyd J. Austin").
TITLE_WORDS = frozenset(
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


def proper_runs(
    doc: Any, taken: list[tuple[int, int]], target: str | None, any_name: bool
) -> list[tuple[int, int, str]]:
    """Runs of proper nouns the small NER model left unlabelled, sentence-initial ones included
    ("Pfizer says it will seek FDA approval", "Subway is launching a new menu"), labelled "PROPN";
    with `any_name` false only those that end in the asked noun.

    A run that ends in the asked noun ("Baton Rouge Metropolitan Airport" for "which airport")
    is kept even where it contains an entity ("Baton Rouge"): the whole run names the thing asked for.
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
        if proper and tok.lower_ not in TITLE_WORDS or joins:  # titles end a name: "Meat Chief ..."
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
    name: "(CNN Business) Beyond Tofu suspended", "Under Armour"."""
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
    """ "Chile and Uruguay", "Russia, China and Iran": `count` names of one label joined by commas and
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


NAME_LABELS = frozenset({"PERSON", "ORG", "PRODUCT", "WORK_OF_ART", "EVENT", "GPE", "LOC", "FAC", "LAW"})
_APPOSITION = re.compile(r"^,\s+(?:a|an|the)\s+((?:[\w’'.-]+\s*){1,7})")
BIRTHDAY = re.compile(r"\b(\d{1,3})(?:st|nd|rd|th)\s+birthday\b", re.IGNORECASE)
_PART_MODIFIER = re.compile(
    r"^(?:north|south|east|west|central|upper|lower|inner|outer|northern|southern|eastern|western|"
    r"north-?eastern|north-?western|south-?eastern|south-?western|rural|coastal)\b",
    re.IGNORECASE,
)
# "Rosie’s Bakery", "Harlan's Corp.": a possessive inside one name is a business named after someone.
_INNER_POSSESSIVE = re.compile(r"\w['’]s\s+\w")


def entity_label(ent: Any) -> str:
    """spaCy's label for `ent`, except that a "PERSON" with a possessive inside ("Rosie's Bakery") is
    an "ORG"."""
    if ent.label_ == "PERSON" and _INNER_POSSESSIVE.search(ent.text):
        return "ORG"
    return ent.label_


def candidate_spans(
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
        spans += proper_runs(doc, taken, question.target, any_name=bool(labels & _PROPER_LABELS))
    if question.kind == "how_many":
        spans += _misread_counts(doc)
    if question.asks_age:  # "celebrates his 80th birthday": spaCy's ORDINAL is the age
        spans += [(m.start(1), m.end(1), "CARDINAL") for m in BIRTHDAY.finditer(text)]
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
    `titles_only`) or a coined term ("cozy chaos"); a quoted remark is longer."""
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


def _named_before_target(doc: Any, target: str) -> list[tuple[int, int, str]]:
    """ "Juniper, a 300-year-old Douglas fir": a name in apposition to the asked noun."""
    out: list[tuple[int, int, str]] = []
    names = [(e.start_char, e.end_char) for e in doc.ents if e.label_ in NAME_LABELS]
    names += _capitalised_runs(doc)
    for start, end in names:
        m = _APPOSITION.match(doc_text(doc)[end:])
        if m and any(stem(w) == target for w in words(m.group(1))):
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
