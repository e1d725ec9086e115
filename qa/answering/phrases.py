"""Noun phrases from spaCy POS tags (the dependency parser stays off), for answers that are not names.

Usage:
    doc = parser.parse("Veterans of the US Special Forces carried out their own operations.")
    for np in noun_phrases(doc): doc.text[np.start:np.end], np.head      # "Veterans of the US Special Forces"
    role_is_tied(doc.text, role="spokesperson", of={"taliban"}, cand=(0, 10))

A phrase is a run of determiners, adjectives, numbers and nouns (hyphenated compounds joined) ending in
a noun; "X of Y" and coordinations of people ("citizens, green card holders and allies") are joined.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from typing import Any

from qa.text.nlp import STOPWORDS, stem, word_stems, words
from textkit import word_matches

# Nouns for people and groups of people: "who" questions are also answered by such phrases.
PERSON_NOUNS = frozenset(
    stem(w)
    for w in [
        "veterans",
        "personnel",
        "officials",
        "citizens",
        "members",
        "soldiers",
        "troops",
        "forces",
        "workers",
        "residents",
        "students",
        "allies",
        "holders",
        "families",
        "refugees",
        "migrants",
        "civilians",
        "fighters",
        "militants",
        "officers",
        "agents",
        "volunteers",
        "employees",
        "staff",
        "voters",
        "fans",
        "players",
        "parents",
        "children",
        "teachers",
        "nurses",
        "doctors",
        "patients",
        "people",
        "persons",
        "men",
        "women",
        "leaders",
        "lawmakers",
        "protesters",
        "demonstrators",
        "police",
        "investigators",
        "prosecutors",
        "researchers",
        "scientists",
        "experts",
        "diplomats",
        "envoys",
        "negotiators",
        "rebels",
        "insurgents",
        "survivors",
        "victims",
        "passengers",
        "customers",
        "consumers",
        "users",
        "owners",
        "buyers",
        "sellers",
        "shareholders",
        "executives",
        "managers",
        "judges",
        "jurors",
        "senators",
        "representatives",
        "governors",
        "ministers",
        "commanders",
        "generals",
        "sailors",
        "marines",
        "pilots",
        "crew",
        "firefighters",
        "rescuers",
        "supporters",
        "critics",
        "opponents",
        "americans",
        "afghans",
        "immigrants",
    ]
)
_NP_POS = frozenset({"DET", "ADJ", "NOUN", "PROPN", "NUM"})
_TIME_NOUNS = frozenset({"today", "yesterday", "tonight", "tomorrow", "now"})
_DEMONSTRATIVES = frozenset({"this", "that", "these", "those", "such", "their", "its", "his", "her", "our"})
_NEAR_BEFORE = re.compile(r"^[\s,]*(?:(?:the|a|an)\s+)?(?:[A-Z][\w.’'-]*\s+){0,4}$")
_NEAR_AFTER = re.compile(r"^\s*,\s*(?:(?:the|a|an)\s+)?(?:[\w.’'-]+\s+){0,3}$")
# "Juniper's keeper is Oregon botanist and tree specialist Ana Ruiz": the role is the name's
_COPULA_BEFORE = re.compile(r"^\s+(?:is|was)\s+(?:[\w.’'-]+\s+){0,6}$")


@dataclass(frozen=True)
class NounPhrase:
    """Char offsets of a phrase, its head noun's stem, its plural-ness and whether it coordinates heads."""

    start: int
    end: int
    head: str
    heads: tuple[str, ...]
    first_token: int
    last_token: int
    head_pos: str = "NOUN"
    pointed: bool = False  # it began with "these", "their"...: a reference to something named before


def _words(tokens: list[Any]) -> list[tuple[int, int, str]]:
    """Tokens grouped into words: a hyphenated compound ("over-the-horizon") is one word, tagged by its
    last part (a noun stays a noun; "militant-controlled" becomes an adjective)."""
    out: list[tuple[int, int, str]] = []
    i = 0
    while i < len(tokens):
        j = i
        while (
            j + 2 < len(tokens)
            and tokens[j + 1].text == "-"
            and not tokens[j].whitespace_
            and not tokens[j + 1].whitespace_
        ):
            j += 2
        pos = tokens[j].pos_
        if j > i and pos not in ("NOUN", "PROPN"):
            pos = "ADJ"
        if tokens[j].tag_ == "PRP$":
            pos = "DET"  # "their families" is a phrase like "the families"
        if tokens[j].lower_ in _TIME_NOUNS:
            pos = "ADV"  # "operation today": today is not part of the phrase
        out.append((i, j, pos))
        i = j + 1
    return out


def _base_phrases(doc: Any) -> list[tuple[int, int]]:
    """Token ranges [i, j] of the simple noun runs: determiners, adjectives, numbers, nouns; ends in a noun."""
    out: list[tuple[int, int]] = []
    ws = _words(list(doc))
    n = 0
    while n < len(ws):
        if ws[n][2] not in _NP_POS:
            n += 1
            continue
        m = n
        last_noun: int | None = None
        while m < len(ws) and ws[m][2] in _NP_POS and not (ws[m][2] == "DET" and m > n):
            if ws[m][2] in ("NOUN", "PROPN"):
                last_noun = m
            m += 1
        if last_noun is not None:
            out.append((ws[n][0], ws[last_noun][1]))
        n = max(m, n + 1)
    return out


def noun_phrases(doc: Any) -> list[NounPhrase]:
    """Simple noun phrases, "X of Y" phrases and coordinated phrases, as char spans (determiners dropped)."""
    tokens = list(doc)
    base = _base_phrases(doc)
    out: list[NounPhrase] = []

    def make(i: int, j: int, heads: tuple[str, ...], head_tok: int) -> None:
        if j + 1 < len(tokens) and tokens[j + 1].tag_ == "POS":
            return  # "the planet’s rings": the planet only says whose rings
        pointed = False
        while i < j and (tokens[i].pos_ == "DET" or tokens[i].lower_ in _DEMONSTRATIVES):
            pointed = pointed or tokens[i].lower_ in _DEMONSTRATIVES
            i += 1
        end = tokens[j].idx + len(tokens[j].text)
        out.append(NounPhrase(tokens[i].idx, end, heads[0], heads, i, j, tokens[head_tok].pos_, pointed))

    for k, (i, j) in enumerate(base):
        head = stem(tokens[j].text)
        make(i, j, (head,), j)
        nxt = base[k + 1] if k + 1 < len(base) else None
        if nxt is not None and nxt[0] == j + 2 and tokens[j + 1].lower_ == "of":
            last = nxt[1]
            for ent in doc.ents:  # "attacks of September 11, 2001": the date stays whole
                if ent.start <= last < ent.end:
                    last = ent.end - 1
            make(i, last, (head,), j)
        # "citizens, green card holders and allies": phrases joined by commas and one and/or
        heads = [head]
        end = j
        m = k
        while m + 1 < len(base):
            a, b = base[m + 1]
            between = [t.lower_ for t in tokens[end + 1 : a]]
            if between in ([","], ["and"], ["or"], [",", "and"], [",", "or"]):
                heads.append(stem(tokens[b].text))
                end = b
                m += 1
                if between[-1] in ("and", "or"):
                    break
                continue
            break
        if len(heads) > 1 and end > j:
            joined = [t.lower_ for t in tokens[i : end + 1]]
            if "and" in joined or "or" in joined:
                make(i, end, (heads[-1], *heads[:-1]), end)
    return out


def strip_known(text: str, start: int, end: int, known: set[str] | dict[str, float]) -> int:
    """A new start past leading words the question already has ("militant-controlled outer perimeter");
    the last word always stays."""
    pos = start
    for m in re.finditer(r"\S+\s*", text[start:end]):
        if start + m.end() >= end:
            break
        word = m.group().strip()
        stems = [s for w in words(word) for s in word_stems(w)]
        parts = stems[1:] if len(stems) > 1 else stems
        if word.lower() in STOPWORDS or (parts and all(s in known for s in parts)):
            pos = start + m.end()
            continue
        break
    return pos


def role_is_tied(text: str, role: str, of: frozenset[str], cand: tuple[int, int]) -> bool:
    """The candidate stands beside a mention of `role` ("X, spokesperson for Y" / "Y spokesperson X")
    and that mention names at least half of `of` within a few words of the role."""
    for m in word_matches(text):
        s, e, w = m.start(), m.end(), m.group()
        if role not in word_stems(w):
            continue
        # the body named with the role, within its clause: "Taliban spokesman", "spokesperson for the X"
        before = re.split(r"[,;:“”\"]", text[max(0, s - 40) : s])[-1]
        after = re.split(r"[,;:“”\"]", text[e : e + 60])[0]
        window_stems = {st for ww in words(before + " " + w + " " + after) for st in word_stems(ww)}
        if of and 2 * len(of & window_stems) < len(of):
            continue
        cs, ce = cand
        if ce <= s and _NEAR_AFTER.match(text[ce:s]):
            return True
        if cs >= e:
            gap = text[e:cs]
            tail = re.match(r"^\s+(?:of|for|at|with|to|in)\s+(?:the\s+)?(?:[\w’'.-]+\s+){0,5}", gap)
            if _NEAR_BEFORE.match(gap) or (tail and _NEAR_BEFORE.match(gap[tail.end() :])):
                return True
            if _COPULA_BEFORE.match(gap):
                return True
    return False
