"""What kind of answer a question asks for: its kind (wh-word), the entity labels an answer carries
(spaCy's, plus QUOTED for a title in quotation marks) and the asked noun.

Usage:
    kind, labels, target = answer_type(parser.parse("Which team did Nora Vale play for?"))
    # "which", frozenset({"ORG"}), "team"
    target_labels("countries")      # frozenset({"GPE", "LOC"})
"""

from __future__ import annotations

import re
from pathlib import Path
from typing import Any

# (kind, entity labels of an answer, the asked noun or None)
AnswerType = tuple[str, frozenset[str], str | None]

PERSON = frozenset({"PERSON"})
ORG = frozenset({"ORG"})
_PLACE = frozenset({"GPE", "LOC", "FAC"})
_DATE = frozenset({"DATE", "TIME"})
_COUNT = frozenset({"CARDINAL", "QUANTITY", "MONEY", "PERCENT"})
_AMOUNT = frozenset({"MONEY", "QUANTITY", "PERCENT", "CARDINAL"})
# "How old is he?": a number of years answers.
AGE_LABELS = frozenset({"DATE", "TIME", "QUANTITY", "CARDINAL"})
# "How many days/years ...": spaCy labels the counts asked for ("45 days", "12 years") DATE or TIME.
_TIME_UNITS = frozenset(
    f"{unit}{plural}"
    for unit in ("second", "minute", "hour", "day", "week", "month", "year", "decade")
    for plural in ("", "s")
) | {"century", "centuries"}

# Head noun of "which/what X" -> entity labels an answer of that kind carries (a data file).
ASKED_NOUNS_FILE = Path(__file__).with_name("data") / "asked_nouns.txt"


def load_asked_nouns(path: Path = ASKED_NOUNS_FILE) -> dict[str, frozenset[str]]:
    """noun -> labels from LABELS<TAB>nouns lines ('#' comments); a later line wins for a noun."""
    table: dict[str, frozenset[str]] = {}
    for n, line in enumerate(path.read_text(encoding="utf-8").splitlines(), start=1):
        if not line.strip() or line.startswith("#"):
            continue
        labels, tab, nouns = line.partition("\t")
        if not tab or not labels.strip() or not nouns.split():
            raise ValueError(f"{path}:{n}: expected LABELS<TAB>nouns, got {line!r}")
        for noun in nouns.split():
            table[noun.lower()] = frozenset(labels.strip().split(","))
    return table


_TARGET_LABELS: dict[str, frozenset[str]] = load_asked_nouns()

WH_WORDS = ("who", "whom", "whose", "where", "when", "which", "what", "how", "why")
# The wh-words whose answer type needs no more reading.
_PLAIN_WH_TYPES = {"where": _PLACE, "when": _DATE, "why": frozenset()}
# "How tall/far/...": a measure ("6.2 metres").
_MEASURE_WORDS = frozenset({"tall", "far", "big", "high", "large", "heavy"})

COPULA = frozenset({"is", "was", "are", "were", "'s"})
# "Who is the league's top scorer?", "Who became the first woman to ...": only a person answers.
_HUMAN_NOUNS = frozenset({"man", "woman", "person", "men", "women", "people", "boy", "girl"})
_BECOMING = COPULA | {"became", "becomes", "become"}

# Bodies whose members are countries: "which member of NATO" asks for a country, not a person.
_ALLIANCE = re.compile(
    r"\b(?:NATO|EU|European Union|UN|United Nations|G-?7|G-?20|OPEC\+?|BRICS|ASEAN|African Union"
    r"|Security Council|Commonwealth|eurozone)\b"
)

_TIME_NOUNS = frozenset(
    {"week", "weekend", "month", "year", "summer", "fall", "autumn", "winter", "spring", "season", "time"}
    | {"morning", "afternoon", "evening", "night", "decade", "century"}
)


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


def answer_type(doc: object) -> AnswerType:
    """The kind, answer labels and asked noun of a parsed question, read at the wh-word that asks."""
    tokens = list(doc)  # type: ignore[call-overload]
    wh_positions = [i for i, t in enumerate(tokens) if t.text.lower() in WH_WORDS]
    if not wh_positions:
        return _clue_type(tokens)
    # The last clause with a wh-word asks the question; earlier sentences give context.
    i = asking_wh(tokens)
    i = wh_positions[-1] if i is None else i
    wh = tokens[i].text.lower()
    if wh in ("who", "whom", "whose"):
        return _who_type(tokens, i)
    if wh in _PLAIN_WH_TYPES:
        return wh, _PLAIN_WH_TYPES[wh], None
    if wh == "how":
        return _how_type(tokens, i)
    return _which_type(tokens, i, wh)


def _next_words(tokens: list[Any], i: int) -> tuple[list[Any], list[str]]:
    """The (up to eight) tokens after the wh-word at `i`, and their lower-cased texts."""
    nxt = list(tokens[i + 1 : i + 9])
    return nxt, [t.text.lower() for t in nxt]


def _who_type(tokens: list[Any], i: int) -> AnswerType:
    """ "Who": a person, or an organisation or group unless the words after it name a human."""
    if _names_a_human(_next_words(tokens, i)[1]):
        return "who", frozenset({"PERSON"}), None
    return "who", frozenset({"PERSON", "ORG", "NORP"}), None


def _how_type(tokens: list[Any], i: int) -> AnswerType:
    """ "How many X" (a count, of a time unit a duration too), "how much" (an amount), "how old/long"
    (an age or duration), "how tall/far/..." (a measure); else a plain "how"."""
    nxt, nxt_low = _next_words(tokens, i)
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
        return "how_much", AGE_LABELS, None
    if nxt_low[:1] and nxt_low[0] in _MEASURE_WORDS:
        return "how_much", frozenset({"QUANTITY"}), None  # a measure: "6.2 metres"
    return "how", frozenset(), None


def _which_type(tokens: list[Any], i: int, wh: str) -> AnswerType:
    """which / what (+ "type of", "kind of") X: the labels that answer X."""
    nxt, nxt_low = _next_words(tokens, i)
    rest = nxt
    if nxt_low[:1] in (["is"], ["was"], ["are"], ["were"]) and nxt_low[1:2] in (["the"], ["a"], ["an"]):
        # "What is the deadline for ...": the deadline is asked
        nxt = nxt[2:] + list(tokens[i + 6 : i + 8])
        nxt_low = [t.text.lower() for t in nxt]
        rest = nxt
        if nxt_low[:2] in (["name", "of"], ["names", "of"]):  # the name of the storm -> a storm
            named = _noun_after(list(tokens[i + 5 : i + 10]))
            return wh, _TARGET_LABELS.get((named or "").lower(), frozenset()), named
    if nxt_low[:2] in (["type", "of"], ["kind", "of"], ["sort", "of"], ["form", "of"]):
        rest = nxt[2:]
    if nxt_low[:3] == ["of", "the", "following"]:  # "Which of the following rivers ..."
        rest = list(tokens[i + 4 : i + 9])
    elif nxt_low[:2] == ["of", "these"]:  # "Which of these shows ..."
        rest = list(tokens[i + 3 : i + 8])
    elif nxt_low[:2] == ["of", "the"] or nxt_low[:1] == ["of"]:
        return wh, frozenset(), None
    return _asked_noun_type(wh, _noun_after(rest), tokens)


def _asked_noun_type(wh: str, target: str | None, tokens: list[Any]) -> AnswerType:
    """The labels that answer "which <target>"; a member of an alliance is a country."""
    if target is None:
        return wh, frozenset(), None
    if target.lower() in ("member", "members") and _ALLIANCE.search(tokens[0].doc.text):
        return wh, target_labels("country"), target  # "Which NATO member ...": a country
    return wh, target_labels(target), target


def _names_a_human(after_who: list[str]) -> bool:
    """The words after "who" say the answer is a human: "is now the league's top scorer"."""
    if not after_who or after_who[0] not in _BECOMING:
        return False
    return any(w in _HUMAN_NOUNS for w in after_who[1:])


def _clue_type(tokens: list[Any]) -> AnswerType:
    """A quiz clue without a wh-word ("Mara Quint bought this bakery chain for $2 million.") asks for
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
        # "which well-known pizza chain", "which award-winning former mayor": spaCy splits
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


def asking_wh(tokens: list[Any]) -> int | None:
    """Index of the last wh-word that opens a clause (after "According to the officer who speaks ...,
    where ..."), not counting a relative clause inside the question; None when no wh-word opens one."""
    for j in reversed([i for i, t in enumerate(tokens) if t.text.lower() in WH_WORDS]):
        opens = j == 0 or tokens[j - 1].is_sent_start or tokens[j - 1].text in (".", "?", "!", ",", ":", ";")
        if opens and not _inserted_relative(tokens, j):
            return j
    return None


def _inserted_relative(tokens: list[Any], j: int) -> bool:
    """ "How much has Deborah James, who died aged 40, raised?": after a comma, the wh-word at `j`
    opens a relative clause when its sentence already opened with a wh-word."""
    if j == 0 or tokens[j - 1].text != "," or tokens[j].text.lower() not in ("who", "whom", "whose", "which"):
        return False
    for k in range(j - 1, -1, -1):
        if tokens[k].text in (".", "?", "!"):
            return False
        if tokens[k].text.lower() in WH_WORDS and (k == 0 or tokens[k - 1].text in (".", "?", "!")):
            return True
    return False
