"""Follow-up questions -> stand-alone queries, from the entities and topic of earlier turns (no LLM).

Usage:
    rewriter = QueryRewriter(SpacyParser.load())
    history = [{"role": "user", "content": "Who is the spokesperson for the US Central Command?"},
               {"role": "assistant", "content": "Bill Urban"}]
    rewriter.rewrite("What did he say?", history)   # "What did Bill Urban say?"

History items are {"role": "user"|"assistant", "content": str} (OpenAI style) or
{"question": str, "answer": str} pairs. A question that needs no context comes back unchanged.
"""

from __future__ import annotations

import re
from dataclasses import dataclass

from qa.nlp import STOPWORDS, SpacyParser, normalize_text
from qa.question import target_labels

_PERSON_PRONOUNS = {"he": "", "him": "", "his": "'s", "she": "", "her": "", "hers": "'s"}
_GROUP_PRONOUNS = {"they": "", "them": "", "their": "'s", "theirs": "'s"}
_THING_PRONOUNS = {"it": "", "its": "'s"}
_PLACE_PRONOUNS = {"there": ""}
_FOLLOW_UP_START = re.compile(r"^\s*(and|also|so|but|then|what about|how about|and what about)\b[\s,]*", re.I)
_WHAT_ABOUT = re.compile(r"^\s*(?:and\s+)?(?:what|how)\s+about\s+(?P<x>.+?)\s*\??\s*$", re.I)
_GROUP_LABELS = ("ORG", "NORP")
_THING_LABELS = ("ORG", "PRODUCT", "EVENT", "WORK_OF_ART", "LAW", "FAC")
_PLACE_LABELS = ("GPE", "LOC", "FAC")
_POSSESSIVE_HER = re.compile(r"\bher\s+(?=[a-z])")


@dataclass
class _Turn:
    question: str
    answer: str


class QueryRewriter:
    """Resolves pronouns and ellipsis in a follow-up against the previous question and answer."""

    def __init__(self, parser: SpacyParser, max_context_terms: int = 4) -> None:
        self.parser = parser
        self.max_context_terms = max_context_terms

    def rewrite(self, question: str, history: list[dict] | None) -> str:
        turns = _turns(history or [])
        if not turns:
            return question
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
        if not changed and self._is_elliptic(stripped):
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
            for table, labels in (
                (_PERSON_PRONOUNS, ("PERSON",)),
                (_GROUP_PRONOUNS, _GROUP_LABELS),
                (_THING_PRONOUNS, _THING_LABELS),
                (_PLACE_PRONOUNS, _PLACE_LABELS),
            ):
                if low in table and not (own_entities and table is _PLACE_PRONOUNS):
                    if (
                        low == "there"
                        and tok.i + 1 < len(doc)
                        and doc[tok.i + 1].lower_ in ("is", "are", "was", "were")
                    ):
                        break  # existential "there is"
                    if table is _GROUP_PRONOUNS:
                        # "how many of them", "were they allowed": a group is rarely one entity; the
                        # question stays as asked and the previous turn's answer and topic are appended
                        unresolved = True
                        break
                    if table is _PERSON_PRONOUNS and _asks_object(prev_q):
                        ent = _antecedent(labels, prev_q, prev_a)  # "Who did Austin call?" -> he = Austin
                    elif table is _THING_PRONOUNS:
                        ent = _named_answer(prev_q, prev_a) or _antecedent(
                            labels, _whole_entity(prev_a, labels), prev_q
                        )
                    else:
                        ent = _antecedent(labels, prev_a, prev_q)
                    unresolved = unresolved or ent is None
                    if ent is not None:
                        suffix = table[low]
                        if low == "her" and tok.tag_ == "PRP$":
                            suffix = "'s"
                        repl = f"in {ent}" if low == "there" else ent + suffix
                    break
            if repl is not None:
                out.append(repl + tok.whitespace_)
                changed = True
            else:
                out.append(tok.text_with_ws)
        return "".join(out), changed, unresolved

    @staticmethod
    def _has_topic(question: str, prev_q: object, prev_a: object | None) -> bool:
        low = question.lower()
        return any(e.text.lower() in low for e in prev_q.ents)  # type: ignore[attr-defined]

    def _topic(self, prev_q: object, question: str) -> list[str]:
        """Entities, then nouns, of the previous question that the follow-up lacks."""
        low = question.lower()
        terms: list[str] = []
        for e in prev_q.ents:  # type: ignore[attr-defined]
            if e.label_ in ("DATE", "TIME", "CARDINAL", "ORDINAL") or e.text.lower() in low:
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
            if run and any(
                t.lower() not in low for t in run
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
        if answer.startswith(("The indexed articles", "Not found", "No indexed")):
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
    """ "Who did Lloyd J. Austin telephone?": the named person is the subject a later "he" continues."""
    tokens = [t.lower_ for t in prev_q][:2]  # type: ignore[attr-defined]
    has_person = any(e.label_ == "PERSON" for e in prev_q.ents)  # type: ignore[attr-defined]
    return (
        has_person
        and tokens[:1] in (["who"], ["whom"])
        and tokens[1:2]
        in (
            ["did"],
            ["does"],
            ["do"],
            ["will"],
            ["would"],
            ["has"],
            ["had"],
        )
    )


def _antecedent(labels: tuple[str, ...], *docs: object | None) -> str | None:
    """The most recent entity with one of `labels`, the previous answer first, then the question.

    A short answer that is all one name ("Hulusi Akar") counts whole, as a person.
    """
    for doc in docs:
        if doc is None:
            continue
        tokens = [t for t in doc if not t.is_punct]  # type: ignore[attr-defined]
        if doc is docs[0] and 1 <= len(tokens) <= 5 and all(t.text[:1].isupper() for t in tokens):
            labels_here = {e.label_ for e in doc.ents}  # type: ignore[attr-defined]
            if "PERSON" in labels and not labels_here - {"PERSON", "ORG", "GPE", "NORP"}:
                return doc.text.strip()  # type: ignore[attr-defined]
        for e in reversed(doc.ents):  # type: ignore[attr-defined]
            if e.label_ in labels:
                return e.text
    return None


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
    """Pairs of (user question, the answer that followed), oldest first."""
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
    return [t for t in turns if t.question.strip()]
