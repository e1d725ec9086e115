"""Pronouns of a follow-up -> what they stand for in the previous turn (no LLM).

Usage:
    prev_q, prev_a = parser.parse("Where did the flood hit hardest?"), parser.parse("Millbrook")
    resolve_pronouns(parser.parse("Who is the mayor there?"), prev_q, prev_a)
    # ("Who is the mayor in Millbrook?", True, False): the question, whether a pronoun was replaced,
    # whether one was left unresolved

"he"/"she" stand for the person answered or asked about, "it"/"its" for the thing or place answered
or the event asked about, "there" for the place, "then" for the time, "that"/"this" for the event;
"they"/"them" are left as they are (a group is rarely one entity) and reported unresolved.
"""

from __future__ import annotations

import re

from qa.question.answer_type import target_labels

_PERSON_PRONOUNS = {"he": "", "him": "", "his": "'s", "she": "", "her": "", "hers": "'s"}
_GROUP_PRONOUNS = {"they": "", "them": "", "their": "'s", "theirs": "'s"}
_THING_PRONOUNS = {"it": "", "its": "'s"}
_PLACE_PRONOUNS = {"there": ""}
_THING_LABELS = ("ORG", "PRODUCT", "EVENT", "WORK_OF_ART", "LAW", "FAC")
_PLACE_LABELS = ("GPE", "LOC", "FAC")
_EVENT_PRONOUNS = frozenset({"that", "this"})
_BE_OR_MODAL = frozenset(
    "is are was were be been being will would can could shall should may might must has have had".split()  # noqa: SIM905 - a word list reads better as text
)
# "travel there" -> "travel to Birmingham"; elsewhere "there" becomes "in <place>".
_MOTION_VERBS = frozenset(
    """go goes went gone going travel travels traveled travelled traveling travelling fly flies flew
    flown come comes came coming move moves moved return returns returned send sent take taken took
    head headed drive drove driven""".split()  # noqa: SIM905 - a word list reads better as text
)
_NOT_PERSON_LABELS = frozenset(
    {"GPE", "LOC", "FAC", "ORG", "NORP", "DATE", "TIME", "MONEY", "CARDINAL", "PERCENT", "QUANTITY"}
)
POSSESSIVE_END = re.compile(r"['\u2019]s$")
_WH_TAGS = frozenset({"WDT", "WP", "WP$", "WRB"})
_TIME_NOUNS = frozenset({"year", "day", "month", "date", "time", "week"})
# Nouns of the asking itself ("take place", "what kind of"), not of the topic.
ASKING_NOUNS = frozenset({"place", "kind", "type", "sort", "name", "part", "thing", "way"})
DEFINITE = frozenset({"the", "this", "that", "these", "those"})


def resolve_pronouns(doc: object, prev_q: object, prev_a: object | None) -> tuple[str, bool, bool]:
    """The parsed question's text with its pronouns replaced by what they stand for in the previous
    question `prev_q` and answer `prev_a`; whether any was; whether one was left unresolved."""
    own_entities = bool(any(e.label_ in ("PERSON", "ORG", "GPE") for e in doc.ents))  # type: ignore[attr-defined]
    out: list[str] = []
    changed = False
    unresolved = False
    for tok in doc:  # type: ignore[attr-defined]
        low = tok.text.lower()
        repl: str | None = None
        found = True
        if low == "there" and (own_entities or _is_existential(doc, tok.i)):
            found = False  # "Were there casualties?", or a place the question names itself
        elif low == "then" and tok.i > 0:
            when = _time_antecedent(prev_q, prev_a)
            repl = _time_phrase(when) if when else None
        elif low in _EVENT_PRONOUNS and _is_pronoun_use(doc, tok.i):
            repl = _topic_phrase(prev_q)  # "When did that happen?": the previous question's event
            # an event phrase is vague ("the strike"): the answer it had goes with it
            unresolved = unresolved or repl is not None
        elif low in _THING_PRONOUNS:
            repl = _it_antecedent(prev_q, prev_a, event=low == "it")  # an event owns nothing
            unresolved = unresolved or (repl is not None and repl == _topic_phrase(prev_q, singular=True))
            repl = repl + _THING_PRONOUNS[low] if repl else None
        elif low in _GROUP_PRONOUNS:
            # "how many of them", "were they allowed": a group is rarely one entity; the
            # question stays as asked and the previous turn's answer and topic are appended
            found, unresolved = False, True
        elif low in _PERSON_PRONOUNS or low in _PLACE_PRONOUNS:
            repl = _person_or_place(tok, prev_q, prev_a)
        else:
            found = False
        unresolved = unresolved or (found and repl is None)
        if repl is not None:
            out.append(repl + tok.whitespace_)
            changed = True
        else:
            out.append(tok.text_with_ws)
    return "".join(out), changed, unresolved


def _person_or_place(tok: object, prev_q: object, prev_a: object | None) -> str | None:
    """ "he"/"her"/"his" -> the person answered or asked about; "there" -> the place answered."""
    low = tok.lower_  # type: ignore[attr-defined]
    if low == "there":
        place = _place_answer(prev_q, prev_a) or _antecedent(_PLACE_LABELS, prev_a, prev_q)
        moving = tok.i > 0 and tok.doc[tok.i - 1].lower_ in _MOTION_VERBS  # type: ignore[attr-defined]
        return _place_phrase(place, "to" if moving else "in") if place else None
    if _asks_object(prev_q):
        ent = _antecedent(("PERSON",), prev_q, prev_a)  # "Who did Austin call?" -> he = Austin
    elif _asks_person(prev_q):  # the short name answered, whatever the tagger made of it
        ent = _short_name(prev_a) or _antecedent(("PERSON",), prev_a, prev_q)
    else:  # "Where did Rajapaksa fly?" -> "Maldives": "he" is still Rajapaksa
        ent = _asked_person(prev_q) or _antecedent(("PERSON",), prev_a, whole_answer=False)
    if ent is None:
        return None
    suffix = _PERSON_PRONOUNS[low]
    if low == "her" and tok.tag_ == "PRP$":  # type: ignore[attr-defined]
        suffix = "'s"
    return ent + suffix


def _is_existential(doc: object, i: int) -> bool:
    """ "there is/are/was/were", "were there", "is there", "will there be": no place is meant."""
    tokens = list(doc)  # type: ignore[call-overload]
    if tokens[i].tag_ == "EX":
        return True
    after = tokens[i + 1].lower_ if i + 1 < len(tokens) else ""
    before = tokens[i - 1].lower_ if i > 0 else ""
    return after in _BE_OR_MODAL or before in _BE_OR_MODAL


def _is_pronoun_use(doc: object, i: int) -> bool:
    """ "that"/"this" standing alone ("When did that happen?"), not before a noun ("that support")
    and not a conjunction or relative pronoun ("said that ...", "the deal that ...")."""
    tokens = list(doc)  # type: ignore[call-overload]
    if tokens[i].tag_ != "DT":
        return False
    after = tokens[i + 1] if i + 1 < len(tokens) else None
    return after is None or after.pos_ not in ("NOUN", "PROPN", "ADJ", "NUM")


def _topic_phrase(doc: object, *, singular: bool = False, naming: str | None = None) -> str | None:
    """ "Where did the American drone strike happen?" -> "the American drone strike": the first noun
    phrase after the wh-phrase that has a common noun in it (a singular one for "it"; the one that
    contains `naming` when one does: "NASA's Orion capsule" for NASA); else None."""
    tokens = list(doc)  # type: ignore[call-overload]
    i = 0
    while i < len(tokens) and (tokens[i].tag_ not in _WH_TAGS):
        i += 1
    i = i + 1 if i < len(tokens) else 0  # no wh-word: read from the start
    while i < len(tokens) and tokens[i].pos_ in ("ADJ", "NOUN", "PROPN", "ADV"):
        i += 1  # the wh-phrase's own noun: "Which Qatari official", "How much"
    run: list[object] = []
    found: str | None = None
    for tok in tokens[i:] + [None]:
        if tok is not None and (
            tok.pos_ in ("ADJ", "NOUN", "PROPN", "NUM")
            or tok.tag_ == "POS"
            or (not run and (tok.lower_ in DEFINITE or tok.tag_ == "PRP$"))
        ):
            run.append(tok)
            continue
        while run and run[-1].pos_ not in ("NOUN", "PROPN"):
            run.pop()  # "the Powerball ticket worth" ends at its noun
        nouns = [t for t in run if t.pos_ == "NOUN" and t.lower_ not in ASKING_NOUNS]
        # a phrase that names a thing ("the strike", "NASA's capsule"), not a verb tagged as a noun
        definite = bool(run) and (run[0].tag_ in ("DT", "PRP$") or any(t.tag_ == "POS" for t in run))
        if nouns and definite and not (singular and nouns[-1].tag_ == "NNS"):
            text = re.sub(r"^(?:a|an)\s", "the ", "".join(t.text_with_ws for t in run).strip())
            if naming is None or naming in text:
                return text
            found = found or text
        run = []
    return None if naming is not None else found


def _it_antecedent(prev_q: object, prev_a: object | None, *, event: bool = True) -> str | None:
    """ "it"/"its": the thing or place just answered, a thing the question named, else its event."""
    place = _place_answer(prev_q, prev_a)
    named = _named_answer(prev_q, prev_a) or (place if place and place[:1].isupper() else None)
    if named:
        return named
    ent = _antecedent(_THING_LABELS, _whole_entity(prev_a, _THING_LABELS), prev_q)
    if ent:  # "NASA's Orion capsule", not its owner "NASA"
        return _topic_phrase(prev_q, singular=True, naming=ent) or ent
    return _topic_phrase(prev_q, singular=True) if event else None


def _wh_head(doc: object, within: int | None = None) -> str | None:
    """The noun a "which"/"what" asks for: "Which luxury company ..." -> "company"; else None."""
    tokens = list(doc)  # type: ignore[call-overload]
    for i, tok in enumerate(tokens[:within]):
        if tok.lower_ in ("which", "what"):
            run = []
            for nxt in tokens[i + 1 :]:
                if nxt.pos_ not in ("ADJ", "NOUN", "PROPN"):
                    break
                run.append(nxt.text)
            return run[-1] if run else None
    return None


def _asks_place(prev_q: object) -> bool:
    if [t.lower_ for t in prev_q][:1] == ["where"]:  # type: ignore[attr-defined]
        return True
    head = _wh_head(prev_q, within=3)
    return head is not None and bool(set(target_labels(head)) & set(_PLACE_LABELS))


def _place_answer(prev_q: object, prev_a: object | None) -> str | None:
    """The previous answer when the previous question asked where ("parking garage", "Nangarhar")."""
    if prev_a is None or not _asks_place(prev_q):
        return None
    text = prev_a.text.strip().rstrip(".")  # type: ignore[attr-defined]
    return text if 0 < len(text.split()) <= 6 else None


def _place_phrase(place: str, preposition: str = "in") -> str:
    """ "Nangarhar" -> "in Nangarhar"; "parking garage" -> "in the parking garage"."""
    if place[:1].isupper() or place.split()[0].lower() in ("the", "a", "an"):
        return f"{preposition} {place}"
    return f"{preposition} the {place}"


def _time_antecedent(prev_q: object, prev_a: object | None) -> str | None:
    """ "then": the time just answered ("Saturday"), else the date the previous question named."""
    low = [t.lower_ for t in prev_q][:4]  # type: ignore[attr-defined]
    asked_when = low[:1] == ["when"] or bool(set(low) & _TIME_NOUNS and set(low) & {"what", "which"})
    if prev_a is not None:
        dates = [e.text for e in prev_a.ents if e.label_ in ("DATE", "TIME")]  # type: ignore[attr-defined]
        if asked_when and len(prev_a.text.split()) <= 6:  # type: ignore[attr-defined]
            return prev_a.text.strip().rstrip(".")  # type: ignore[attr-defined]
        if dates:
            return dates[0]
    dates = [e.text for e in prev_q.ents if e.label_ in ("DATE", "TIME")]  # type: ignore[attr-defined]
    return dates[-1] if dates else None


def _time_phrase(when: str) -> str:
    """ "2002" -> "in 2002", "Saturday" -> "on Saturday", "last week" stays as it is."""
    first = when.split()[0].lower()
    if first in ("in", "on", "at", "by", "this", "last", "next", "that", "early", "late"):
        return when
    if re.fullmatch(
        r"\d{4}|[A-Z][a-z]+ \d{4}|(?:January|February|March|April|May|June|July|August|"
        r"September|October|November|December)",
        when,
    ):
        return f"in {when}"
    return f"on {when}"


def _named_answer(prev_q: object, prev_a: object | None) -> str | None:
    """ "Which company recalled ...?" -> "Abbott": a short capitalised answer to a question asking for an
    organisation or a thing is what a later "it"/"its" refers to."""
    if prev_a is None:
        return None
    tokens = [t for t in prev_a if not t.is_punct]  # type: ignore[attr-defined]
    if not 1 <= len(tokens) <= 5 or not all(t.text[:1].isupper() or t.is_digit for t in tokens):
        return None
    low = [t.lower_ for t in prev_q]  # type: ignore[attr-defined]
    for i, word in enumerate(low[:-1]):
        if word in ("which", "what"):
            noun = next((t.text for t in list(prev_q)[i + 1 : i + 4] if t.pos_ == "NOUN"), None)  # type: ignore[call-overload]
            if noun is not None and set(target_labels(noun)) & set(_THING_LABELS):
                return prev_a.text.strip().rstrip(".")  # type: ignore[attr-defined]
    return None


def _whole_entity(doc: object | None, labels: tuple[str, ...]) -> object | None:
    """The answer's doc when the answer is one entity of `labels` ("ISIS-K"), else None."""
    if doc is None:
        return None
    ents = list(doc.ents)  # type: ignore[attr-defined]
    text = doc.text.strip().strip(".")  # type: ignore[attr-defined]
    if len(ents) == 1 and ents[0].label_ in labels and len(ents[0].text) >= len(text) - 4:
        return doc
    return None


def _asks_object(prev_q: object) -> bool:
    """ "Who did Lloyd J. Austin telephone?": the named person is the subject a later "he" continues
    ("Who has voiced Ash?" asks for the subject: a verb follows the auxiliary)."""
    tokens = list(prev_q)[:3]  # type: ignore[call-overload]
    low = [t.lower_ for t in tokens]
    has_person = any(e.label_ == "PERSON" for e in prev_q.ents)  # type: ignore[attr-defined]
    return (
        has_person
        and low[:1] in (["who"], ["whom"])
        and low[1:2] in (["did"], ["does"], ["do"], ["will"], ["would"], ["has"], ["had"])
        and len(tokens) > 2
        and tokens[2].pos_ not in ("VERB", "AUX")
    )


def _antecedent(labels: tuple[str, ...], *docs: object | None, whole_answer: bool = True) -> str | None:
    """The most recent entity with one of `labels` in the first doc that has one (the previous
    answer, then the question, as the caller orders them).

    A short first doc that is all one name ("Hulusi Akar") counts whole, as a person.
    """
    for doc in docs:
        if doc is None:
            continue
        tokens = [t for t in doc if not t.is_punct]  # type: ignore[attr-defined]
        short_name = 1 <= len(tokens) <= 5 and all(t.text[:1].isupper() for t in tokens)
        if whole_answer and doc is docs[0] and short_name:
            labels_here = {e.label_ for e in doc.ents}  # type: ignore[attr-defined]
            if "PERSON" in labels and not labels_here - {"PERSON", "ORG", "GPE", "NORP"}:
                return doc.text.strip()  # type: ignore[attr-defined]
        context = doc.text.find(" (")  # type: ignore[attr-defined]
        for e in reversed(doc.ents):  # type: ignore[attr-defined]
            if e.label_ in labels and (context < 0 or e.start_char < context):  # not appended context
                return POSSESSIVE_END.sub("", e.text)
    return None


def _asked_person(prev_q: object) -> str | None:
    """The first person a question names in its own words, not in the context appended to it."""
    context = prev_q.text.find(" (")  # type: ignore[attr-defined]
    for e in prev_q.ents:  # type: ignore[attr-defined]
        if e.label_ == "PERSON" and (context < 0 or e.start_char < context):
            return POSSESSIVE_END.sub("", e.text)
    return None


def _short_name(doc: object | None) -> str | None:
    """ "Sarah Natochenny": an answer of one to five capitalised words, else None."""
    if doc is None:
        return None
    tokens = [t for t in doc if not t.is_punct]  # type: ignore[attr-defined]
    if 1 <= len(tokens) <= 5 and all(t.text[:1].isupper() for t in tokens):
        return POSSESSIVE_END.sub("", doc.text.strip().rstrip("."))  # type: ignore[attr-defined]
    return None


def _asks_person(prev_q: object) -> bool:
    """Whether the previous question may have asked for someone ("Who ...", "Which cat ...", "What is
    X called?"), so a later "he" may be its answer; not for a place, organisation, time, amount or
    reason ("Which company", "Where", "When", "Why", "How many")."""
    first = [t.lower_ for t in prev_q][:1]  # type: ignore[attr-defined]
    if first in (["where"], ["when"], ["why"], ["how"]):
        return False
    head = _wh_head(prev_q, within=3)  # "What is the new character called?" asks for a name
    return head is None or not set(target_labels(head)) & _NOT_PERSON_LABELS
