"""What a question asks for: its answer type (spaCy entity labels), target noun and weighted terms.

Usage:
    analyzer = QuestionAnalyzer(SpacyParser.load())
    q = analyzer.analyze("Which team did Nora Vale play for?")
    q.kind, q.labels, q.target      # "which", {"ORG"}, "team"
    q.weights                       # {"sue": 3.0, "bird": 3.0, "play": 1.5, "team": 0.5}

The answer type itself (kind, labels, asked noun) is read by `qa.question.answer_type`.
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field

from qa.question.answer_type import AGE_LABELS, COPULA, ORG, PERSON, WH_WORDS, answer_type, asking_wh
from qa.question.overview import Overview, OverviewDetector
from qa.text.nlp import STOPWORDS, SpacyParser, normalize_text, stem, words

_EVENT_PREDICATE_STEMS = frozenset(stem(w) for w in ("happen", "occur", "take", "place"))


@dataclass
class Question:
    """An analysed question. `weights`: stem -> how much finding it in a sentence counts."""

    text: str
    kind: str  # who | where | when | how_many | how_much | which | what | why | how | other
    labels: frozenset[str]
    target: str | None
    weights: dict[str, float] = field(default_factory=dict)
    norm: str = ""
    # Stems of the names in the question: an article that has none of one cannot be about it.
    names: frozenset[str] = frozenset()
    # Stems of the asking clause's content verbs ("died" -> "kill"): the answer sentence should have them.
    verbs: frozenset[str] = frozenset()
    # "Who is the spokesman of the Taliban?": role "spokesperson", of {"taliban"}. The answer must stand
    # beside the role in a sentence that ties the role to all of `role_of`.
    role: str | None = None
    role_of: frozenset[str] = frozenset()
    # "What kind of operation ...": the answer is a noun phrase headed by `target`.
    phrase: bool = False
    kind_of: bool = False  # "what type/kind of X": only an X answers
    copular: bool = False  # "What is the deadline for ...": the asked noun must be in the answer sentence
    # "Which part of the airport ...": stems of the whole the asked part belongs to.
    part_of: frozenset[str] = frozenset()
    # "which national park": stems of the words that qualify the asked noun ("nation").
    target_qualifiers: frozenset[str] = frozenset()
    asks_age: bool = False  # "How old is he?": a number of years old answers
    answer_count: int = 1  # "Which two countries ...": two names answer together
    # Normalised answers of earlier turns: "Which browser are its users sent to now?" after
    # "Internet Explorer" asks for another one.
    earlier_answers: frozenset[str] = frozenset()
    # "What happened with X?", "Who is X?": a timeline or profile across articles (qa.answering.timeline).
    overview: Overview | None = None

    @property
    def typed(self) -> bool:
        """The answer is an entity of a known type (so a span, not a sentence, answers it)."""
        return bool(self.labels)

    def contains(self, candidate: str) -> bool:
        """The candidate span is already in the question (so it cannot be the answer)."""
        cand = normalize_text(candidate)
        if not cand:
            return True
        if f" {cand} " in f" {self.norm} ":
            return True
        stems = {stem(w) for w in cand.split() if w not in STOPWORDS}
        return bool(stems) and stems <= set(self.weights)

    def overlap_share(self, candidate: str) -> float:
        """The share of the candidate's content words that the question already has.

        The asked noun and its qualifiers do not count: "which command" is answered by "US Central
        Command", "which national park" by "Yosemite National Park".
        """
        target = stem(self.target) if self.target else None
        stems = [stem(w) for w in normalize_text(candidate).split() if w not in STOPWORDS]
        asked = set(self.target_qualifiers) | ({target} if target else set())
        if self.asks_age:
            asked.add("old")  # "21 years old" answers "how old"
        stems = [s for s in stems if s not in asked]
        if not stems:
            return 0.0 if target else 1.0
        return sum(1 for s in stems if s in self.weights) / len(stems)


_COUNT_WORDS = {"two": 2, "three": 3}


_AGE_QUESTION = re.compile(
    r"\bhow\s+old\b|\bwhat\s+(?:is|was)\s+(?:his|her|their|its|the)\s+age\b(?!\s+\w)", re.I
)


def _answer_count(question: str) -> int:
    m = re.search(r"\b(?:which|what)\s+(two|three)\b", question, re.I)
    return _COUNT_WORDS[m.group(1).lower()] if m else 1


def _qualifiers(question: str, target: str | None) -> frozenset[str]:
    """Stems of the (up to three) lower-case words between "which"/"what" and the asked noun."""
    if not target:
        return frozenset()
    m = re.search(rf"\b(?:which|what)\s+((?:[\w'’-]+\s+){{1,3}}?){re.escape(target)}\b", question, re.I)
    if not m:
        return frozenset()
    # Lower-case words only: a name in the question ("Golden Lantern-winning") still rules out a
    # candidate that repeats it.
    return frozenset(stem(w) for w in m.group(1).split() if w.islower() and w not in STOPWORDS) - {""}


class QuestionAnalyzer:
    """Answer type by wh-word and target noun, plus term weights (names and numbers count most)."""

    def __init__(self, parser: SpacyParser, overviews: OverviewDetector | None = None) -> None:
        self.parser = parser
        self.overviews = overviews or OverviewDetector.load()

    def analyze(self, question: str) -> Question:
        asked, context = _split_context(question)
        doc = self.parser.parse(asked)
        kind, labels, target = answer_type(doc)
        weights, names = _term_weights(doc, kind, target)
        _add_context_terms(weights, context)
        role, role_of = _role(doc)
        if role is not None and kind in ("what", "which") and not labels:
            labels = PERSON | ORG  # "the name of the planner" asks for a name
        phrase, kind_of, part_of = _phrase_target(doc, target, labels)
        if role is not None and kind == "what":
            target = role  # "the name of the hurricane": a name given right after "hurricane" answers
        asks_age = kind in ("how_much", "what") and _AGE_QUESTION.search(question) is not None
        if asks_age:  # "How old is he?", "What is his age?": a number of years
            kind, labels = "how_much", AGE_LABELS
        return Question(
            text=question,
            kind=kind,
            labels=labels,
            target=target,
            weights=weights,
            norm=normalize_text(question),
            names=frozenset(names),
            verbs=_verbs(doc, _asking_clause_start(doc)),
            copular=_is_copular(doc),
            role=role,
            role_of=role_of,
            phrase=phrase and role is None,
            kind_of=kind_of,
            part_of=part_of,
            target_qualifiers=_qualifiers(question, target),
            asks_age=asks_age,
            answer_count=_answer_count(question) if kind in ("which", "what") else 1,
            overview=self.overviews.detect(asked),
        )


# How much finding a question's term in a sentence counts, by what the term is.
_NAME_OR_NUMBER_WEIGHT = 3.0  # a name, a number, an entity's word
_CONTENT_WEIGHT = 1.5  # a noun, verb or adjective
_OTHER_WEIGHT = 1.0
# "take place" / "happen" / "occur": the predicate of any event, worded freely by the answer sentence;
# the event itself ("the drone strike") is what must match.
_EVENT_PREDICATE_WEIGHT = 0.75
_ASKED_NOUN_WEIGHT = 0.5  # "which team": the answer sentence often names the team without the word
# Terms a follow-up took from earlier turns ("(drone strike, Nangarhar)") count less.
_CONTEXT_NAME_WEIGHT = 1.0
_CONTEXT_WORD_WEIGHT = 0.5


def _term_weights(doc: object, kind: str, target: str | None) -> tuple[dict[str, float], set[str]]:
    """Stem -> weight of the question's terms (those of scene-setting sentences scaled by
    BACKGROUND_WEIGHT), and the stems of the names among them."""
    weights: dict[str, float] = {}
    background: dict[str, float] = {}
    names: set[str] = set()
    ent_tokens = {t.i for e in doc.ents for t in e}  # type: ignore[attr-defined]
    target_stem = stem(target) if target else None
    asking_start = _asking_sentence_start(doc)
    for tok in doc:  # type: ignore[attr-defined]
        s = _term_stem(tok, doc)
        if s is None:
            continue
        w = _token_weight(tok, tok.i in ent_tokens)
        if s in _EVENT_PREDICATE_STEMS:
            w = _EVENT_PREDICATE_WEIGHT
            for synonym in _EVENT_PREDICATE_STEMS:
                weights.setdefault(synonym, w)
        elif s == target_stem and kind != "how_many":
            w = _ASKED_NOUN_WEIGHT
        elif w == _NAME_OR_NUMBER_WEIGHT and not tok.like_num and tok.pos_ != "NUM" and len(s) > 1:
            names.add(s)
        terms = background if tok.i < asking_start else weights
        terms[s] = max(terms.get(s, 0.0), w)
    return _with_background(weights, background), names


def _term_stem(tok: object, doc: object) -> str | None:
    """The stem a token counts as a term with; None for punctuation, stopwords, wh-words, the "many"
    of "how many" and single letters."""
    low = tok.text.lower()  # type: ignore[attr-defined]
    if tok.is_punct or low in STOPWORDS or low in WH_WORDS or len(low) < 2 and not tok.like_num:  # type: ignore[attr-defined]
        return None
    if low in ("many", "much") and tok.i > 0 and doc[tok.i - 1].lower_ == "how":  # type: ignore[attr-defined,index]
        return None
    s = stem(low)
    if not s or s in STOPWORDS:
        return None
    return s


def _token_weight(tok: object, in_entity: bool) -> float:
    """Names and numbers count most, then content words (see the weights above)."""
    if (
        tok.like_num  # type: ignore[attr-defined]
        or tok.pos_ == "NUM"  # type: ignore[attr-defined]
        or tok.pos_ == "PROPN"  # type: ignore[attr-defined]
        or in_entity
        or (tok.text[:1].isupper() and tok.i > 0)  # type: ignore[attr-defined]
    ):
        return _NAME_OR_NUMBER_WEIGHT
    if tok.pos_ in ("NOUN", "VERB", "ADJ"):  # type: ignore[attr-defined]
        return _CONTENT_WEIGHT
    return _OTHER_WEIGHT


def _with_background(weights: dict[str, float], background: dict[str, float]) -> dict[str, float]:
    """The asking sentence's weights, with the scene-setting sentences' terms added at
    BACKGROUND_WEIGHT (at full weight when the asking sentence has no words of its own: "What was it?")."""
    if weights:
        background = {s: w * BACKGROUND_WEIGHT for s, w in background.items()}
    for s, w in background.items():
        weights[s] = max(weights.get(s, 0.0), w)
    return weights


def _add_context_terms(weights: dict[str, float], context: str) -> None:
    """The terms a follow-up took from earlier turns, where the question lacks them: they count less."""
    for word in words(context):
        s = stem(word)
        if s and word.lower() not in STOPWORDS and s not in STOPWORDS:
            weights.setdefault(s, _CONTEXT_NAME_WEIGHT if word[:1].isupper() else _CONTEXT_WORD_WEIGHT)


_CONTEXT_RE = re.compile(r"\s*\(([^()]*)\)\s*(\?*)\s*$")


def _split_context(question: str) -> tuple[str, str]:
    """ "How many were killed (drone strike, Nangarhar)?" -> ("How many were killed?", "drone strike, ...")."""
    m = _CONTEXT_RE.search(question)
    if not m or m.start() == 0:
        return question, ""
    return question[: m.start()] + (m.group(2) or ""), m.group(1)


_ROLE_LINKS = frozenset({"of", "for", "at", "with", "to", "in"})
# Partitive nouns: "which part of the airport" asks for a named part of the airport.
_PARTS = frozenset({"part", "section", "area", "portion", "side", "end", "half", "wing", "floor"})


# Words of the sentences before the one that asks ("Brittney Griner was released ... . How long was
# Griner detained?") set the scene; the answer sentence is worded like the asking one.
BACKGROUND_WEIGHT = 0.5
_SENTENCE_ENDS = frozenset({".", "?", "!"})


def _asking_sentence_start(doc: object) -> int:
    """Index of the first token of the sentence that asks: the last one with a wh-word (0 if none)."""
    tokens = list(doc)  # type: ignore[call-overload]
    wh = [i for i, t in enumerate(tokens) if t.text.lower() in WH_WORDS]
    if not wh:
        return 0
    start = max((i + 1 for i in range(wh[-1]) if tokens[i].text in _SENTENCE_ENDS), default=0)
    # "Following the flood in Dunmore last week, which fellow mayor ...": a leading clause too
    first = next(j for j in wh if j >= start)
    if first > start and tokens[first - 1].text in (",", ":", ";"):
        return first
    return start


def _asking_clause_start(doc: object) -> int:
    """Index of the wh-word that asks; the first wh-word when none opens a clause, 0 without one."""
    tokens = list(doc)  # type: ignore[call-overload]
    i = asking_wh(tokens)
    if i is not None:
        return i
    return next((j for j, t in enumerate(tokens) if t.text.lower() in WH_WORDS), 0)


def _is_copular(doc: object) -> bool:
    low = [t.text.lower() for t in doc]  # type: ignore[attr-defined]
    i = _asking_clause_start(doc)
    return low[i : i + 1] in (["what"], ["which"]) and low[i + 1 : i + 3] in (
        ["is", "the"],
        ["was", "the"],
        ["are", "the"],
        ["were", "the"],
    )


def _verbs(doc: object, start: int = 0) -> frozenset[str]:
    """Content verb stems of the asking clause (verbs of a leading context clause do not count)."""
    out = set()
    for tok in list(doc)[start:]:  # type: ignore[call-overload]
        low = tok.text.lower()
        if tok.pos_ == "VERB" and low not in STOPWORDS and low not in WH_WORDS:
            s = stem(low)
            if s and s not in STOPWORDS:
                out.add(s)
    return frozenset(out)


def _role(doc: object) -> tuple[str | None, frozenset[str]]:
    """A copular "who is the ROLE of X" / "who is X's ROLE" / "... the name of the ROLE": (role, X)."""
    tokens = [t for t in doc if not t.is_punct or t.text == "-"]  # type: ignore[attr-defined]
    low = [t.text.lower() for t in tokens]
    if len(low) < 3 or low[0] not in ("who", "what") or low[1] not in COPULA:
        return None, frozenset()
    rest = tokens[2:]
    if low[0] == "what":
        if low[-2:] in (["'s", "name"], ["’s", "name"]) and low[2:3] == ["the"]:
            rest = tokens[3:-2]  # "What was the planner's name?"
        elif low[2:5] in (["the", "name", "of"], ["the", "names", "of"]):
            rest = tokens[5:]
        else:
            return None, frozenset()
    elif low[0] == "who" and not rest:
        return None, frozenset()
    # The noun run that names the role: its last noun is the role, the rest (and an "of X") qualify it.
    head_i: int | None = None
    for i, tok in enumerate(rest):
        if tok.pos_ == "NOUN" and tok.text.lower() not in STOPWORDS:
            head_i = i
        elif tok.pos_ not in ("DET", "ADJ", "PROPN", "PART", "PUNCT", "NOUN", "NUM"):
            break
    if head_i is None:
        return None, frozenset()
    qualifiers = [t for t in rest[:head_i] if t.pos_ in ("PROPN", "NOUN", "ADJ")]
    after = rest[head_i + 1 :]
    if after and after[0].text.lower() in _ROLE_LINKS:
        for tok in after[1:]:
            if tok.pos_ in ("PROPN", "NOUN", "ADJ", "NUM") or tok.text == "-":
                qualifiers.append(tok)
            elif tok.pos_ != "DET":
                break
    # Only names tie a role to its body ("spokesman of the Taliban"); "star guest" is no such tie.
    of = {stem(t.text) for t in qualifiers if t.pos_ == "PROPN" and t.text.lower() not in STOPWORDS}
    of.discard("")
    if low[0] == "who" and not of:
        return None, frozenset()  # "Who is the president?" needs no relation
    return stem(rest[head_i].text), frozenset(of)


def _phrase_target(
    doc: object, target: str | None, labels: frozenset[str]
) -> tuple[bool, bool, frozenset[str]]:
    """Whether a noun phrase headed by `target` answers, whether the question says "type of", and for
    "which part of X" the stems of X."""
    if target is None:
        return False, False, frozenset()
    tokens = list(doc)  # type: ignore[call-overload]
    low = [t.text.lower() for t in tokens]
    kind_of = any(
        low[i + 1 : i + 3] in (["type", "of"], ["kind", "of"], ["sort", "of"]) for i in range(len(low))
    )
    if target.lower() in _PARTS:
        idx = next((i for i, t in enumerate(low) if t == target.lower()), None)
        if idx is not None and idx + 1 < len(low) and low[idx + 1] == "of":
            whole = []
            for tok in tokens[idx + 2 :]:
                if tok.pos_ in ("NOUN", "PROPN", "ADJ"):
                    whole.append(stem(tok.text))
                elif tok.pos_ != "DET":
                    break
            return False, False, frozenset(whole)
    return kind_of or not labels, kind_of, frozenset()
