"""What a question asks for: its answer type (spaCy entity labels), target noun and weighted terms.

Usage:
    analyzer = QuestionAnalyzer(SpacyParser.load())
    q = analyzer.analyze("Which team did Nora Vale play for?")
    q.kind, q.labels, q.target      # "which", {"ORG"}, "team"
    q.weights                       # {"sue": 3.0, "bird": 3.0, "play": 1.5, "team": 0.5}
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field
from typing import Any

from qa.question.overview import Overview, OverviewDetector
from qa.text.nlp import STOPWORDS, SpacyParser, normalize_text, stem, words

_PERSON = frozenset({"PERSON"})
_ORG = frozenset({"ORG"})
_PLACE = frozenset({"GPE", "LOC", "FAC"})
_GPE = frozenset({"GPE", "LOC"})
_DATE = frozenset({"DATE", "TIME"})
_COUNT = frozenset({"CARDINAL", "QUANTITY", "MONEY", "PERCENT"})
_AMOUNT = frozenset({"MONEY", "QUANTITY", "PERCENT", "CARDINAL"})
# "How many days/years ...": spaCy labels the counts asked for ("45 days", "27 years") DATE or TIME.
_TIME_UNITS = frozenset(
    f"{unit}{plural}"
    for unit in ("second", "minute", "hour", "day", "week", "month", "year", "decade")
    for plural in ("", "s")
) | {"century", "centuries"}

# Head noun of "which/what X" -> entity labels an answer of that kind carries.
_TARGET_LABELS: dict[str, frozenset[str]] = {}
for _labels, _nouns in (
    (
        _PERSON,
        "person people man woman men women author writer actor actress singer rapper player star designer "
        "president leader ceo founder billionaire politician senator governor judge justice coach "
        "quarterback pitcher artist musician celebrity lawmaker candidate prime minister king queen "
        "prince princess chancellor spokesperson director host comedian athlete golfer driver son "
        "daughter wife husband mother father brother sister chef journalist anchor rival monarch member",
    ),
    (
        _ORG,
        "team company firm organization organisation group network brand retailer chain airline agency "
        "party bank service newspaper union club university college school store restaurant manufacturer "
        "automaker carrier studio label channel publication outlet magazine department committee "
        "league startup platform app website giant maker business corporation franchise command",
    ),
    (
        _GPE,
        "country state city nation island province region capital town county area territory continent "
        "republic kingdom neighborhood neighbourhood village district",
    ),
    (_PLACE, "place location venue river mountain ocean sea lake destination site landmark park airport"),
    (frozenset({"DATE"}), "year day date month decade century age deadline"),
    (frozenset({"NORP"}), "nationality religion ethnicity"),
    (frozenset({"PERCENT"}), "percentage percent rate share"),
    (frozenset({"MONEY", "CARDINAL"}), "price amount cost sum fine salary fee"),
    (
        # QUOTED: a title in quotation marks, which spaCy's NER often misses ("Succession")
        frozenset({"WORK_OF_ART", "ORG", "PRODUCT", "QUOTED"}),
        "movie film book song album show series novel play musical documentary painting sitcom memoir",
    ),
    (frozenset({"QUOTED"}), "term word phrase slogan motto catchphrase hashtag"),
    (frozenset({"LAW"}), "law act bill legislation"),
    (frozenset({"EVENT"}), "event tournament festival storm hurricane war battle championship"),
    (frozenset({"PRODUCT", "ORG"}), "product car vehicle drug vaccine device phone model browser"),
    (frozenset({"LANGUAGE"}), "language"),
):
    for _noun in _nouns.split():
        _TARGET_LABELS[_noun] = _labels


def singular_forms(noun: str) -> tuple[str, ...]:
    """The lower-cased noun and the forms its singular may take ("countries" -> "country",
    "businesses" -> "business", "teams" -> "team"), the noun itself first."""
    low = noun.lower()
    return tuple(
        dict.fromkeys((low, re.sub(r"ies$", "y", low), low.removesuffix("es"), low.removesuffix("s")))
    )


def target_labels(noun: str) -> frozenset[str]:
    """The entity labels that answer "which <noun>" ("company" -> {"ORG"}); empty when unknown."""
    return next((_TARGET_LABELS[f] for f in singular_forms(noun) if f in _TARGET_LABELS), frozenset())


_WH_WORDS = ("who", "whom", "whose", "where", "when", "which", "what", "how", "why")


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
_AGE_LABELS = frozenset({"DATE", "TIME", "QUANTITY", "CARDINAL"})


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
    # Lower-case words only: a name in the question ("Nobel Peace Prize-winning") still rules out a
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
        kind, labels, target = self._answer_type(doc)
        weights: dict[str, float] = {}
        names: set[str] = set()
        ent_tokens = {t.i for e in doc.ents for t in e}
        target_stem = stem(target) if target else None
        asking_start = _asking_sentence_start(doc)
        background: dict[str, float] = {}
        for tok in doc:
            low = tok.text.lower()
            if tok.is_punct or low in STOPWORDS or low in _WH_WORDS or len(low) < 2 and not tok.like_num:
                continue
            if low in ("many", "much") and tok.i > 0 and doc[tok.i - 1].lower_ == "how":
                continue
            s = stem(low)
            if not s or s in STOPWORDS:
                continue
            if (
                tok.like_num
                or tok.pos_ == "NUM"
                or tok.pos_ == "PROPN"
                or tok.i in ent_tokens
                or (tok.text[:1].isupper() and tok.i > 0)
            ):
                w = 3.0
            elif tok.pos_ in ("NOUN", "VERB", "ADJ"):
                w = 1.5
            else:
                w = 1.0
            if s in _EVENT_PREDICATE_STEMS:
                # "take place" / "happen" / "occur": the predicate of any event, worded freely by the
                # answer sentence; the event itself ("the drone strike") is what must match.
                w = 0.75
                for synonym in _EVENT_PREDICATE_STEMS:
                    weights.setdefault(synonym, w)
            elif s == target_stem and kind != "how_many":
                w = 0.5  # "which team": the answer sentence often names the team without the word
            elif w == 3.0 and not tok.like_num and tok.pos_ != "NUM" and len(s) > 1:
                names.add(s)
            if tok.i < asking_start:
                background[s] = max(background.get(s, 0.0), w)
                continue
            weights[s] = max(weights.get(s, 0.0), w)
        if weights:  # the asking sentence has words of its own ("What was it?" has none)
            background = {s: w * BACKGROUND_WEIGHT for s, w in background.items()}
        for s, w in background.items():
            weights[s] = max(weights.get(s, 0.0), w)
        for word in words(context):  # terms a follow-up took from earlier turns count less
            s = stem(word)
            if s and word.lower() not in STOPWORDS and s not in STOPWORDS:
                weights.setdefault(s, 1.0 if word[:1].isupper() else 0.5)
        role, role_of = _role(doc)
        if role is not None and kind in ("what", "which") and not labels:
            labels = _PERSON | _ORG  # "What is the name of the planner?" asks for a name
        phrase, kind_of, part_of = _phrase_target(doc, target, labels)
        phrase = phrase and role is None
        if role is not None and kind == "what":
            target = role  # "the name of the hurricane": a name given right after "hurricane" answers
        qualifiers = _qualifiers(question, target)
        asks_age = kind in ("how_much", "what") and _AGE_QUESTION.search(question) is not None
        if asks_age:  # "How old is he?", "What is his age?": a number of years
            kind, labels = "how_much", _AGE_LABELS
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
            phrase=phrase,
            kind_of=kind_of,
            part_of=part_of,
            target_qualifiers=qualifiers,
            asks_age=asks_age,
            answer_count=_answer_count(question) if kind in ("which", "what") else 1,
            overview=self.overviews.detect(asked),
        )

    @staticmethod
    def _answer_type(doc: object) -> tuple[str, frozenset[str], str | None]:
        tokens = list(doc)  # type: ignore[call-overload]
        wh_positions = [i for i, t in enumerate(tokens) if t.text.lower() in _WH_WORDS]
        if not wh_positions:
            return _clue_type(tokens)
        # The last clause with a wh-word asks the question; earlier sentences give context.
        i = _asking_wh(tokens)
        i = wh_positions[-1] if i is None else i
        wh = tokens[i].text.lower()
        nxt = list(tokens[i + 1 : i + 9])
        nxt_low = [t.text.lower() for t in nxt]
        if wh in ("who", "whom", "whose"):
            if _names_a_human(nxt_low):
                return "who", frozenset({"PERSON"}), None
            return "who", frozenset({"PERSON", "ORG", "NORP"}), None
        if wh == "where":
            return "where", _PLACE, None
        if wh == "when":
            return "when", _DATE, None
        if wh == "why":
            return "why", frozenset(), None
        if wh == "how":
            if nxt_low[:1] == ["many"]:
                after = nxt[1:]
                if nxt_low[1:2] == ["of"] and nxt_low[3:4] in (["were"], ["are"], ["was"], ["is"]):
                    after = list(tokens[i + 5 : i + 10])  # "how many of them were US service members"
                target = _noun_after(after)
                return (
                    "how_many",
                    (_COUNT | _DATE) if (target or "").lower() in _TIME_UNITS else _COUNT,
                    target,
                )
            if nxt_low[:1] == ["much"]:
                return "how_much", _AMOUNT, None
            if nxt_low[:1] in (["old"], ["long"]):
                return "how_much", _AGE_LABELS, None
            if nxt_low[:1] in (["tall"], ["far"], ["big"], ["high"], ["large"], ["heavy"]):
                return "how_much", frozenset({"QUANTITY"}), None  # a measure: "18.83 inches"
            return "how", frozenset(), None
        # which / what (+ "type of", "kind of") X
        rest = nxt
        if nxt_low[:1] in (["is"], ["was"], ["are"], ["were"]) and nxt_low[1:2] in (["the"], ["a"], ["an"]):
            nxt, nxt_low = nxt[2:], nxt_low[2:]  # "What is the deadline for ...": the deadline is asked
            nxt += list(tokens[i + 6 : i + 8])
            nxt_low = [t.text.lower() for t in nxt]
            rest = nxt
            if nxt_low[:2] in (["name", "of"], ["names", "of"]):  # the name of the storm -> a storm
                named = _noun_after(list(tokens[i + 5 : i + 10]))
                return wh, _TARGET_LABELS.get((named or "").lower(), frozenset()), named
        if nxt_low[:2] in (["type", "of"], ["kind", "of"], ["sort", "of"], ["form", "of"]):
            rest = nxt[2:]
        if nxt_low[:3] == ["of", "the", "following"]:  # "Which of the following US cities ..."
            rest = list(tokens[i + 4 : i + 9])
        elif nxt_low[:2] == ["of", "these"]:  # "Which of these shows ..."
            rest = list(tokens[i + 3 : i + 8])
        elif nxt_low[:2] == ["of", "the"] or nxt_low[:1] == ["of"]:
            return wh, frozenset(), None
        target = _noun_after(rest)
        if target is None:
            return wh, frozenset(), None
        if target.lower() in ("member", "members") and _ALLIANCE.search(tokens[0].doc.text):
            return wh, target_labels("country"), target  # "Which NATO member ...": a country
        return wh, target_labels(target), target


# Bodies whose members are countries: "which member of NATO" asks for a country, not a person.
_ALLIANCE = re.compile(
    r"\b(?:NATO|EU|European Union|UN|United Nations|G-?7|G-?20|OPEC\+?|BRICS|ASEAN|African Union"
    r"|Security Council|Commonwealth|eurozone)\b"
)

_TIME_NOUNS = frozenset(
    {"week", "weekend", "month", "year", "summer", "fall", "autumn", "winter", "spring", "season", "time"}
    | {"morning", "afternoon", "evening", "night", "decade", "century"}
)


def _names_a_human(after_who: list[str]) -> bool:
    """The words after "who" say the answer is a human: "is now the world's richest man"."""
    if not after_who or after_who[0] not in _BECOMING:
        return False
    return any(w in _HUMAN_NOUNS for w in after_who[1:])


def _clue_type(tokens: list[Any]) -> tuple[str, frozenset[str], str | None]:
    """A quiz clue without a wh-word ("Elon Musk purchased this company for $44 billion.") asks for
    the thing its "this X" points at, like "which X"; "this week" points at no thing."""
    for i, tok in enumerate(tokens):
        if tok.text.lower() not in ("this", "these"):
            continue
        target = _noun_after(tokens[i + 1 : i + 6])
        if target is None or not _TIME_NOUNS.isdisjoint(singular_forms(target)):
            continue
        return "which", target_labels(target), target
    return "other", frozenset(), None


def _noun_after(tokens: list[object]) -> str | None:
    """The head of the noun run right after a wh-word ("which UK city" -> "city", "state's" -> "state")."""
    head: str | None = None
    for i, tok in enumerate(tokens):
        pos = tok.pos_  # type: ignore[attr-defined]
        text = tok.text  # type: ignore[attr-defined]
        if text in ("'s", "’s", "'"):
            break
        # "which well-known pizza chain", "which Nobel Peace Prize-winning former leader": spaCy splits
        # a compound modifier into well / - / known; the noun run goes on after it
        hyphenated = text == "-" or any(
            0 <= j < len(tokens) and tokens[j].text == "-"  # type: ignore[attr-defined]
            for j in (i - 1, i + 1)
        )
        if hyphenated:
            head = None
            continue
        if pos in ("NOUN", "PROPN"):
            head = text
            continue
        if pos in ("ADJ", "NUM", "DET") and head is None:
            continue
        break
    return head


_CONTEXT_RE = re.compile(r"\s*\(([^()]*)\)\s*(\?*)\s*$")


def _split_context(question: str) -> tuple[str, str]:
    """ "How many were killed (drone strike, Nangarhar)?" -> ("How many were killed?", "drone strike, ...")."""
    m = _CONTEXT_RE.search(question)
    if not m or m.start() == 0:
        return question, ""
    return question[: m.start()] + (m.group(2) or ""), m.group(1)


_COPULA = frozenset({"is", "was", "are", "were", "'s"})
# "Who is the world's richest man?", "Who became the first woman to ...": only a person answers.
_HUMAN_NOUNS = frozenset({"man", "woman", "person", "men", "women", "people", "boy", "girl"})
_BECOMING = _COPULA | {"became", "becomes", "become"}
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
    wh = [i for i, t in enumerate(tokens) if t.text.lower() in _WH_WORDS]
    if not wh:
        return 0
    start = max((i + 1 for i in range(wh[-1]) if tokens[i].text in _SENTENCE_ENDS), default=0)
    # "Following the attack on Salman Rushdie last week, which fellow author ...": a leading clause too
    first = next(j for j in wh if j >= start)
    if first > start and tokens[first - 1].text in (",", ":", ";"):
        return first
    return start


def _asking_wh(tokens: list[Any]) -> int | None:
    """Index of the last wh-word that opens a clause (after "According to the officer who speaks ...,
    where ..."), not counting a relative clause inside the question; None when no wh-word opens one."""
    for j in reversed([i for i, t in enumerate(tokens) if t.text.lower() in _WH_WORDS]):
        opens = j == 0 or tokens[j - 1].is_sent_start or tokens[j - 1].text in (".", "?", "!", ",", ":", ";")
        if opens and not _inserted_relative(tokens, j):
            return j
    return None


def _asking_clause_start(doc: object) -> int:
    """Index of the wh-word that asks; the first wh-word when none opens a clause, 0 without one."""
    tokens = list(doc)  # type: ignore[call-overload]
    i = _asking_wh(tokens)
    if i is not None:
        return i
    return next((j for j, t in enumerate(tokens) if t.text.lower() in _WH_WORDS), 0)


def _inserted_relative(tokens: list[Any], j: int) -> bool:
    """ "How much has Deborah James, who died aged 40, raised?": after a comma, the wh-word at `j`
    opens a relative clause when its sentence already opened with a wh-word."""
    if j == 0 or tokens[j - 1].text != "," or tokens[j].text.lower() not in ("who", "whom", "whose", "which"):
        return False
    for k in range(j - 1, -1, -1):
        if tokens[k].text in (".", "?", "!"):
            return False
        if tokens[k].text.lower() in _WH_WORDS and (k == 0 or tokens[k - 1].text in (".", "?", "!")):
            return True
    return False


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
        if tok.pos_ == "VERB" and low not in STOPWORDS and low not in _WH_WORDS:
            s = stem(low)
            if s and s not in STOPWORDS:
                out.add(s)
    return frozenset(out)


def _role(doc: object) -> tuple[str | None, frozenset[str]]:
    """A copular "who is the ROLE of X" / "who is X's ROLE" / "what is the name of the ROLE": (role, X)."""
    tokens = [t for t in doc if not t.is_punct or t.text == "-"]  # type: ignore[attr-defined]
    low = [t.text.lower() for t in tokens]
    if len(low) < 3 or low[0] not in ("who", "what") or low[1] not in _COPULA:
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
