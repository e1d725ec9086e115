"""Follow-up questions -> stand-alone queries, from the entities and topic of earlier turns (no LLM).

Usage:
    rewriter = QueryRewriter(SpacyParser.load())
    history = [{"role": "user", "content": "Who is the spokesperson for the US Central Command?"},
               {"role": "assistant", "content": "Bill Urban"}]
    rewriter.rewrite("What did he say?", history)   # "What did Bill Urban say?"

History items are {"role": "user"|"assistant", "content": str} (OpenAI style) or
{"question": str, "answer": str} pairs. A question that needs no context comes back unchanged.
Every turn is cleaned first (`qa.question.history.clean_turn_text`): citation markers, source lists, a readable answer's
quoted sentence and "not found" notices never reach the query.
"""

from __future__ import annotations

import re
from dataclasses import dataclass

from qa.question.answer_type import target_labels
from qa.question.history import clean_turn_text
from qa.text.nlp import STOPWORDS, SpacyParser, normalize_text

_PERSON_PRONOUNS = {"he": "", "him": "", "his": "'s", "she": "", "her": "", "hers": "'s"}
_GROUP_PRONOUNS = {"they": "", "them": "", "their": "'s", "theirs": "'s"}
_THING_PRONOUNS = {"it": "", "its": "'s"}
_PLACE_PRONOUNS = {"there": ""}
_FOLLOW_UP_START = re.compile(r"^\s*(and|also|so|but|then|what about|how about|and what about)\b[\s,]*", re.I)
_WHAT_ABOUT = re.compile(r"^\s*(?:and\s+)?(?:what|how)\s+about\s+(?P<x>.+?)\s*\??\s*$", re.I)
_GROUP_LABELS = ("ORG", "NORP")
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
_POSSESSIVE_END = re.compile(r"['\u2019]s$")
_WH_TAGS = frozenset({"WDT", "WP", "WP$", "WRB"})
# Entities that name what a conversation is about; dates and amounts do not.
_TOPIC_LABELS_SKIPPED = frozenset({"DATE", "TIME", "CARDINAL", "ORDINAL", "QUANTITY", "MONEY", "PERCENT"})
_TIME_NOUNS = frozenset({"year", "day", "month", "date", "time", "week"})
# Nouns of the asking itself ("take place", "what kind of"), not of the topic.
_ASKING_NOUNS = frozenset({"place", "kind", "type", "sort", "name", "part", "thing", "way"})
_DEFINITE = frozenset({"the", "this", "that", "these", "those"})


@dataclass
class _Turn:
    question: str
    answer: str


class QueryRewriter:
    """Resolves pronouns and ellipsis in a follow-up against the previous question and answer."""

    def __init__(self, parser: SpacyParser, max_context_terms: int = 4, max_turns: int = 4) -> None:
        self.parser = parser
        self.max_context_terms = max_context_terms
        # Earlier questions are themselves rewritten against the turns before them, so the topic of the
        # conversation carries on; this many recent turns are read.
        self.max_turns = max_turns

    def rewrite(self, question: str, history: list[dict] | None) -> str:
        turns = _turns(history or [])[-self.max_turns :]
        if not turns:
            return question
        resolved: list[_Turn] = []
        for turn in turns:
            asked = self._rewrite_one(turn.question, resolved) if resolved else turn.question
            resolved.append(_Turn(asked, turn.answer))
        return self._rewrite_one(question, resolved)

    def _rewrite_one(self, question: str, turns: list[_Turn]) -> str:
        last = turns[-1]
        m = _WHAT_ABOUT.match(question)
        if m:
            return self._what_about(m.group("x"), last)
        prev_q = self.parser.parse(last.question)
        prev_a = self.parser.parse(last.answer) if last.answer else None
        replaced, changed, unresolved = self._resolve_pronouns(question, prev_q, prev_a)
        if unresolved and not changed and len(turns) > 1:
            # "Who is his owner?" two turns after the cat was named: look one turn further back
            earlier = turns[-2]
            e_q = self.parser.parse(earlier.question)
            e_a = self.parser.parse(earlier.answer) if earlier.answer else None
            retry, retry_changed, _ = self._resolve_pronouns(question, e_q, e_a)
            if retry_changed:
                replaced, changed, unresolved = retry, True, False
        stripped = _FOLLOW_UP_START.sub("", replaced, count=1)
        if stripped != replaced:
            stripped = stripped[:1].upper() + stripped[1:]
            changed = True
        answer_terms = self._answer_terms(last.answer, stripped) if unresolved else []
        if unresolved or (changed and not self._has_topic(stripped, prev_q, prev_a)):
            return _append_context(stripped, answer_terms + self._topic(prev_q, stripped))
        if not changed and (self._is_elliptic(stripped) or not self._names_a_topic(stripped, last)):
            return _append_context(stripped, self._topic(prev_q, stripped))
        return stripped if changed else question

    def _resolve_pronouns(
        self, question: str, prev_q: object, prev_a: object | None
    ) -> tuple[str, bool, bool]:
        """The question with pronouns replaced; whether any was; whether one was left unresolved."""
        doc = self.parser.parse(question)
        own_entities = bool(any(e.label_ in ("PERSON", "ORG", "GPE") for e in doc.ents))
        out: list[str] = []
        changed = False
        unresolved = False
        for tok in doc:
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
                repl = self._person_or_place(tok, prev_q, prev_a)
            else:
                found = False
            unresolved = unresolved or (found and repl is None)
            if repl is not None:
                out.append(repl + tok.whitespace_)
                changed = True
            else:
                out.append(tok.text_with_ws)
        return "".join(out), changed, unresolved

    @staticmethod
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

    def _names_a_topic(self, question: str, last: _Turn) -> bool:
        """Whether a follow-up names what it is about: a name of its own, or "the X" where X is new to
        the conversation ("Who won the game?"). "Were there civilian casualties?" names none."""
        doc = self.parser.parse(question)
        if any(e.label_ not in _TOPIC_LABELS_SKIPPED for e in doc.ents):
            return True
        if any(t.pos_ == "PROPN" for t in doc):
            return True
        known = set(re.findall(r"[a-z]+", f"{last.question} {last.answer}".lower()))
        for i, tok in enumerate(doc):
            if tok.lower_ not in _DEFINITE:
                continue
            nouns = [t for t in doc[i + 1 : i + 5] if t.pos_ == "NOUN"]
            if nouns and nouns[0].lower_ not in known and nouns[0].lower_.rstrip("s") not in known:
                return True
        return False

    @staticmethod
    def _has_topic(question: str, prev_q: object, prev_a: object | None) -> bool:
        low = question.lower()
        return any(_POSSESSIVE_END.sub("", e.text).lower() in low for e in prev_q.ents)  # type: ignore[attr-defined]

    def _topic(self, prev_q: object, question: str) -> list[str]:
        """Entities, then nouns, of the previous question that the follow-up lacks."""
        low = question.lower()
        terms: list[str] = []
        for e in prev_q.ents:  # type: ignore[attr-defined]
            if (
                e.label_ in ("DATE", "TIME", "CARDINAL", "ORDINAL")
                or _POSSESSIVE_END.sub("", e.text).lower() in low
            ):
                continue
            terms.append(e.text)
        ent_tokens = {t.i for e in prev_q.ents for t in e}  # type: ignore[attr-defined]
        run: list[str] = []
        for tok in list(prev_q) + [None]:  # type: ignore[call-overload]
            if (
                tok is not None
                and tok.i not in ent_tokens
                and tok.pos_ in ("NOUN", "PROPN", "ADJ")
                and tok.lower_ not in STOPWORDS
                and any(ch.isalnum() for ch in tok.text)
            ):
                run.append(tok.text)
                continue
            if (
                run
                and not (len(run) == 1 and run[0].lower() in _ASKING_NOUNS)
                and any(t.lower() not in low for t in run)
            ):  # a noun phrase like "drone strike" the follow-up does not repeat
                terms.append(" ".join(run))
            run = []
        return terms[: self.max_context_terms]

    @staticmethod
    def _answer_terms(answer: str, question: str) -> list[str]:
        """The previous answer when it is a short phrase ("Over 100 people"), not a sentence."""
        answer = answer.strip().rstrip(".")
        if not answer or len(answer.split()) > 8 or answer.lower() in question.lower():
            return []
        return [answer]

    @staticmethod
    def _is_elliptic(question: str) -> bool:
        tokens = question.split()
        return len(tokens) <= 3

    def _what_about(self, x: str, last: _Turn) -> str:
        """ "What about X?" asks the previous question again about X instead of its main entity."""
        prev = self.parser.parse(last.question)
        x_doc = self.parser.parse(x)
        x_label = x_doc.ents[0].label_ if x_doc.ents else None
        ents = [e for e in prev.ents if e.label_ not in ("DATE", "TIME", "CARDINAL", "ORDINAL")]
        same = [e for e in ents if x_label and e.label_ == x_label]
        text = last.question.rstrip().rstrip("?")
        if same:
            e = same[-1]
            return f"{text[: e.start_char]}{x}{text[e.end_char :]}?"
        run = _first_noun_run(prev)
        if run is not None:
            start, end = run
            return f"{text[:start]}{x}{text[end:]}?"
        return f"{text} {x}?"


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
            or (not run and (tok.lower_ in _DEFINITE or tok.tag_ == "PRP$"))
        ):
            run.append(tok)
            continue
        while run and run[-1].pos_ not in ("NOUN", "PROPN"):
            run.pop()  # "the Powerball ticket worth" ends at its noun
        nouns = [t for t in run if t.pos_ == "NOUN" and t.lower_ not in _ASKING_NOUNS]
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
                return _POSSESSIVE_END.sub("", e.text)
    return None


def _asked_person(prev_q: object) -> str | None:
    """The first person a question names in its own words, not in the context appended to it."""
    context = prev_q.text.find(" (")  # type: ignore[attr-defined]
    for e in prev_q.ents:  # type: ignore[attr-defined]
        if e.label_ == "PERSON" and (context < 0 or e.start_char < context):
            return _POSSESSIVE_END.sub("", e.text)
    return None


def _short_name(doc: object | None) -> str | None:
    """ "Sarah Natochenny": an answer of one to five capitalised words, else None."""
    if doc is None:
        return None
    tokens = [t for t in doc if not t.is_punct]  # type: ignore[attr-defined]
    if 1 <= len(tokens) <= 5 and all(t.text[:1].isupper() for t in tokens):
        return _POSSESSIVE_END.sub("", doc.text.strip().rstrip("."))  # type: ignore[attr-defined]
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


def _first_noun_run(doc: object) -> tuple[int, int] | None:
    """Char span of the first run of nouns/proper nouns ("US service members"), the question's subject."""
    run: list[object] = []
    for tok in doc:  # type: ignore[attr-defined]
        if tok.pos_ in ("NOUN", "PROPN") and tok.lower_ not in STOPWORDS - {"us"}:
            run.append(tok)
        elif run:
            break
    if not run:
        return None
    return run[0].idx, run[-1].idx + len(run[-1].text)  # type: ignore[attr-defined]


def _append_context(question: str, terms: list[str]) -> str:
    if not terms:
        return question
    body = question.rstrip().rstrip("?")
    return f"{body} ({', '.join(terms)})?"


def earlier_answers(history: list[dict] | None, max_words: int = 6) -> frozenset[str]:
    """The short answers given earlier in the conversation, normalised: a follow-up asks something
    new. A sentence answer does not count (the names in it may well answer the follow-up)."""
    answers = (normalize_text(t.answer) for t in _turns(history or []))
    return frozenset(a for a in answers if a and len(a.split()) <= max_words)


def _turns(history: list[dict]) -> list[_Turn]:
    """Pairs of (user question, the answer that followed), oldest first, cleaned of UI text."""
    turns: list[_Turn] = []
    for item in history:
        if not isinstance(item, dict):
            continue
        if "question" in item:
            turns.append(_Turn(str(item.get("question") or ""), str(item.get("answer") or "")))
            continue
        role, content = item.get("role"), str(item.get("content") or "")
        if role == "user":
            turns.append(_Turn(content, ""))
        elif role == "assistant" and turns and not turns[-1].answer:
            turns[-1].answer = content
    cleaned = (_Turn(clean_turn_text(t.question), clean_turn_text(t.answer, answer=True)) for t in turns)
    return [t for t in cleaned if t.question.strip()]
