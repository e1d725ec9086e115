"""Synthetic questions whose answer is a verb phrase or a plain noun phrase, cut from a dependency parse.

Usage:
    doc = nlp("Officials urged drivers to avoid the highway until Monday.")   # spaCy with its parser
    clause_question(doc, ClauseLimits())
    # ("What did officials urge drivers to do?", 27, 44)  -> the answer is doc.text[27:44], "avoid the highway"

Entity cloze questions (`eval/reader_synthetic.py`) only ever ask for names, dates and numbers, so a
reader trained on them and on RealTime QA (whose answers are names) turns "what did X tell Y to do?"
into a name. Two forms are cut here, each asked with do-support from the sentence's own verb:
- "to do": a verb with a non-pronoun subject and an infinitive complement ("told residents to leave
  at once") asks "What did <subject> tell residents to do?", answered by the complement's core;
- "what": a verb with a non-pronoun subject and a direct object that is no named entity ("raised its
  key rate by half a point") asks "What did <subject> raise by half a point?", answered by the object.
An answer's core is its head with the dependents that follow it contiguously, cut at the first
preposition, clause, conjunction or punctuation: "leave at once" stays "leave" when "at once"
hangs off the main verb, "close three factories in Ohio" becomes "close three factories".
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

# Dependents that end an answer's core: what follows is circumstance, not the thing asked for.
_CORE_STOP = frozenset(
    {"prep", "advcl", "mark", "cc", "conj", "punct", "relcl", "ccomp", "agent", "appos", "parataxis", "dep"}
)
# Do-support by the main verb's tag; other tags (a participle without an auxiliary) give no question.
_DO_SUPPORT = {"VBD": "did", "VBZ": "does", "VBP": "do"}


@dataclass(frozen=True)
class ClauseLimits:
    """Sizes of the phrases a question is cut from (set once, a priori, like `SyntheticLimits`)."""

    max_answer_tokens: int = 6
    max_subject_tokens: int = 10
    max_middle_tokens: int = 10  # words between the verb and its complement, or after the object


def clause_question(doc: Any, limits: ClauseLimits) -> tuple[str, int, int] | None:
    """(question, answer start, answer end) for the first verb of `doc` that gives one, character
    offsets into `doc.text`; None when no verb does. `doc` needs spaCy's dependency parse."""
    for verb in doc:
        if verb.pos_ not in {"VERB", "AUX"} or verb.dep_ not in {"ROOT", "conj", "ccomp"}:
            continue
        found = _infinitive_question(doc, verb, limits) or _object_question(doc, verb, limits)
        if found:
            return found
    return None


def _infinitive_question(doc: Any, verb: Any, limits: ClauseLimits) -> tuple[str, int, int] | None:
    complement = next((c for c in verb.rights if c.dep_ == "xcomp" and c.pos_ == "VERB"), None)
    if complement is None:
        return None
    to = next((c for c in complement.lefts if c.dep_ == "aux" and c.lower_ == "to"), None)
    opening = _opening(doc, verb, limits)
    if to is None or opening is None or to.i <= verb.i:
        return None
    middle = doc[verb.i + 1 : to.i]
    if len(middle) > limits.max_middle_tokens or any(t.is_punct for t in middle):
        return None
    start, end = _core(complement, first=to.i + 1)
    if end - start + 1 > limits.max_answer_tokens:
        return None
    question = " ".join(p for p in [opening, middle.text, "to do?"] if p)
    return question, doc[start].idx, doc[end].idx + len(doc[end].text)


def _object_question(doc: Any, verb: Any, limits: ClauseLimits) -> tuple[str, int, int] | None:
    obj = next((c for c in verb.rights if c.dep_ == "dobj"), None)
    opening = _opening(doc, verb, limits)
    if obj is None or opening is None or obj.pos_ == "PRON" or obj.ent_type_:
        return None
    start, end = _core(obj, first=obj.left_edge.i)
    if end - start + 1 > limits.max_answer_tokens or start != verb.i + 1:
        return None
    rest = [t for t in doc[end + 1 : verb.right_edge.i + 1] if not t.is_punct]
    if len(rest) > limits.max_middle_tokens:
        return None
    question = " ".join([opening, *(t.text for t in rest)]) + "?"
    return question, doc[start].idx, doc[end].idx + len(doc[end].text)


def _opening(doc: Any, verb: Any, limits: ClauseLimits) -> str | None:
    """ "What did the council tell" / "What has the company decided": the question up to the verb."""
    subject = next((c for c in verb.lefts if c.dep_ == "nsubj"), None)
    if subject is None or subject.pos_ == "PRON" or any(c.dep_ == "neg" for c in verb.children):
        return None
    phrase = doc[subject.left_edge.i : subject.right_edge.i + 1]
    if len(phrase) > limits.max_subject_tokens or any(t.is_punct for t in phrase):
        return None
    first = phrase[0].text if phrase[0].pos_ == "PROPN" else phrase[0].lower_
    words = " ".join([first, phrase[1:].text]).strip()
    auxiliary = next((c for c in verb.lefts if c.dep_ == "aux" and c.i > subject.i), None)
    if auxiliary is not None:
        return f"What {auxiliary.lower_} {words} {verb.text}"
    if verb.tag_ not in _DO_SUPPORT:
        return None
    return f"What {_DO_SUPPORT[verb.tag_]} {words} {verb.lemma_}"


def _core(head: Any, first: int) -> tuple[int, int]:
    """Token range [start, end] of `head`'s core, starting no earlier than token `first`."""
    start = head.i
    for child in reversed(list(head.lefts)):
        if child.dep_ in _CORE_STOP or child.dep_ in {"aux", "nsubj"} or child.right_edge.i != start - 1:
            break
        if child.left_edge.i < first:
            break
        start = child.left_edge.i
    end = head.i
    for child in head.rights:
        if child.dep_ in _CORE_STOP or child.left_edge.i != end + 1:
            break
        end = _core(child, first=end + 1)[1]
    return max(start, first), end
