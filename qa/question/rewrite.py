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

from qa.question.history import clean_turn_text
from qa.question.pronouns import ASKING_NOUNS, DEFINITE, POSSESSIVE_END, resolve_pronouns
from qa.text.nlp import STOPWORDS, SpacyParser, normalize_text
from textkit import words

_FOLLOW_UP_START = re.compile(r"^\s*(and|also|so|but|then|what about|how about|and what about)\b[\s,]*", re.I)
_WHAT_ABOUT = re.compile(r"^\s*(?:and\s+)?(?:what|how)\s+about\s+(?P<x>.+?)\s*\??\s*$", re.I)
# Entities that name what a conversation is about; dates and amounts do not.
_TOPIC_LABELS_SKIPPED = frozenset({"DATE", "TIME", "CARDINAL", "ORDINAL", "QUANTITY", "MONEY", "PERCENT"})


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
        replaced, changed, unresolved = resolve_pronouns(self.parser.parse(question), prev_q, prev_a)
        if unresolved and not changed and len(turns) > 1:
            # "Who is his owner?" two turns after the cat was named: look one turn further back
            earlier = turns[-2]
            e_q = self.parser.parse(earlier.question)
            e_a = self.parser.parse(earlier.answer) if earlier.answer else None
            retry, retry_changed, _ = resolve_pronouns(self.parser.parse(question), e_q, e_a)
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

    def _names_a_topic(self, question: str, last: _Turn) -> bool:
        """Whether a follow-up names what it is about: a name of its own, or "the X" where X is new to
        the conversation ("Who won the game?"). "Were there civilian casualties?" names none."""
        doc = self.parser.parse(question)
        if any(e.label_ not in _TOPIC_LABELS_SKIPPED for e in doc.ents):
            return True
        if any(t.pos_ == "PROPN" for t in doc):
            return True
        known = {w.lower() for w in words(f"{last.question} {last.answer}")}
        for i, tok in enumerate(doc):
            if tok.lower_ not in DEFINITE:
                continue
            nouns = [t for t in doc[i + 1 : i + 5] if t.pos_ == "NOUN"]
            if nouns and nouns[0].lower_ not in known and nouns[0].lower_.rstrip("s") not in known:
                return True
        return False

    @staticmethod
    def _has_topic(question: str, prev_q: object, prev_a: object | None) -> bool:
        low = question.lower()
        return any(POSSESSIVE_END.sub("", e.text).lower() in low for e in prev_q.ents)  # type: ignore[attr-defined]

    def _topic(self, prev_q: object, question: str) -> list[str]:
        """Entities, then nouns, of the previous question that the follow-up lacks."""
        low = question.lower()
        terms: list[str] = []
        for e in prev_q.ents:  # type: ignore[attr-defined]
            if (
                e.label_ in ("DATE", "TIME", "CARDINAL", "ORDINAL")
                or POSSESSIVE_END.sub("", e.text).lower() in low
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
                and not (len(run) == 1 and run[0].lower() in ASKING_NOUNS)
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
