"""What a question asks for: its answer type (spaCy entity labels), target noun and weighted terms.

Usage:
    analyzer = QuestionAnalyzer(SpacyParser.load())
    q = analyzer.analyze("Which team did Sue Bird play for?")
    q.kind, q.labels, q.target      # "which", {"ORG"}, "team"
    q.weights                       # {"sue": 3.0, "bird": 3.0, "play": 1.5, "team": 0.5}
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field

from qa.nlp import STOPWORDS, SpacyParser, normalize_text, stem

_PERSON = frozenset({"PERSON"})
_ORG = frozenset({"ORG"})
_PLACE = frozenset({"GPE", "LOC", "FAC"})
_GPE = frozenset({"GPE", "LOC"})
_DATE = frozenset({"DATE", "TIME"})
_COUNT = frozenset({"CARDINAL", "QUANTITY", "MONEY", "PERCENT"})
_AMOUNT = frozenset({"MONEY", "QUANTITY", "PERCENT", "CARDINAL"})

# Head noun of "which/what X" -> entity labels an answer of that kind carries.
_TARGET_LABELS: dict[str, frozenset[str]] = {}
for _labels, _nouns in (
    (
        _PERSON,
        "person people man woman men women author writer actor actress singer rapper player star designer "
        "president leader ceo founder billionaire politician senator governor judge justice coach "
        "quarterback pitcher artist musician celebrity lawmaker candidate prime minister king queen "
        "prince princess chancellor spokesperson director host comedian athlete golfer driver son "
        "daughter wife husband mother father brother sister chef journalist anchor rival monarch",
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
    (frozenset({"DATE"}), "year day date month decade century age"),
    (frozenset({"NORP"}), "nationality religion ethnicity"),
    (frozenset({"PERCENT"}), "percentage percent rate share"),
    (frozenset({"MONEY", "CARDINAL"}), "price amount cost sum fine salary fee"),
    (
        frozenset({"WORK_OF_ART", "ORG", "PRODUCT"}),
        "movie film book song album show series novel play musical documentary painting",
    ),
    (frozenset({"LAW"}), "law act bill legislation"),
    (frozenset({"EVENT"}), "event tournament festival storm hurricane war battle championship"),
    (frozenset({"PRODUCT", "ORG"}), "product car vehicle drug vaccine device phone model browser"),
    (frozenset({"LANGUAGE"}), "language"),
):
    for _noun in _nouns.split():
        _TARGET_LABELS[_noun] = _labels

_WH_WORDS = ("who", "whom", "whose", "where", "when", "which", "what", "how", "why")
_WH_RE = re.compile(r"\b(who|whom|whose|where|when|which|what|how|why)\b", re.IGNORECASE)


@dataclass
class Question:
    """An analysed question. `weights`: stem -> how much finding it in a sentence counts."""

    text: str
    kind: str  # who | where | when | how_many | how_much | which | what | why | how | other
    labels: frozenset[str]
    target: str | None
    weights: dict[str, float] = field(default_factory=dict)
    norm: str = ""

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
        """The share of the candidate's content words that the question already has."""
        stems = [stem(w) for w in normalize_text(candidate).split() if w not in STOPWORDS]
        if not stems:
            return 1.0
        return sum(1 for s in stems if s in self.weights) / len(stems)


class QuestionAnalyzer:
    """Answer type by wh-word and target noun, plus term weights (names and numbers count most)."""

    def __init__(self, parser: SpacyParser) -> None:
        self.parser = parser

    def analyze(self, question: str) -> Question:
        doc = self.parser.parse(question)
        kind, labels, target = self._answer_type(doc)
        weights: dict[str, float] = {}
        ent_tokens = {t.i for e in doc.ents for t in e}
        target_stem = stem(target) if target else None
        for tok in doc:
            low = tok.text.lower()
            if tok.is_punct or low in STOPWORDS or low in _WH_WORDS or len(low) < 2 and not tok.like_num:
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
            if s == target_stem:
                w = 0.5  # "which team": the answer sentence often names the team without the word
            weights[s] = max(weights.get(s, 0.0), w)
        return Question(
            text=question,
            kind=kind,
            labels=labels,
            target=target,
            weights=weights,
            norm=normalize_text(question),
        )

    @staticmethod
    def _answer_type(doc: object) -> tuple[str, frozenset[str], str | None]:
        tokens = list(doc)  # type: ignore[call-overload]
        wh_positions = [i for i, t in enumerate(tokens) if t.text.lower() in _WH_WORDS]
        if not wh_positions:
            return "other", frozenset(), None
        # The last clause with a wh-word asks the question; earlier sentences give context.
        i = wh_positions[-1]
        for j in reversed(wh_positions):
            if j == 0 or tokens[j - 1].is_sent_start or tokens[j - 1].text in (".", "?", "!", ",", ":"):
                i = j
                break
        wh = tokens[i].text.lower()
        nxt = [t for t in tokens[i + 1 : i + 6]]
        nxt_low = [t.text.lower() for t in nxt]
        if wh in ("who", "whom", "whose"):
            return "who", frozenset({"PERSON", "ORG", "NORP"}), None
        if wh == "where":
            return "where", _PLACE, None
        if wh == "when":
            return "when", _DATE, None
        if wh == "why":
            return "why", frozenset(), None
        if wh == "how":
            if nxt_low[:1] == ["many"]:
                target = _noun_after(nxt[1:])
                return "how_many", _COUNT, target
            if nxt_low[:1] == ["much"]:
                return "how_much", _AMOUNT, None
            if nxt_low[:1] in (["old"], ["long"]):
                return "how_much", frozenset({"DATE", "TIME", "QUANTITY", "CARDINAL"}), None
            if nxt_low[:1] in (["tall"], ["far"], ["big"], ["high"], ["large"], ["heavy"]):
                return "how_much", frozenset({"QUANTITY", "CARDINAL"}), None
            return "how", frozenset(), None
        # which / what (+ "type of", "kind of") X
        rest = nxt
        if nxt_low[:2] in (["type", "of"], ["kind", "of"], ["sort", "of"], ["form", "of"]):
            rest = nxt[2:]
        if nxt_low[:2] == ["of", "the"] or nxt_low[:1] == ["of"]:
            return wh, frozenset(), None
        target = _noun_after(rest)
        if target is None:
            return wh, frozenset(), None
        labels = _TARGET_LABELS.get(target.lower())
        if labels is None:
            labels = _TARGET_LABELS.get(target.lower().rstrip("s"), frozenset())
        return wh, labels, target


def _noun_after(tokens: list[object]) -> str | None:
    """The head of the noun run right after a wh-word ("which UK city" -> "city", "state's" -> "state")."""
    head: str | None = None
    for tok in tokens:
        pos = tok.pos_  # type: ignore[attr-defined]
        text = tok.text  # type: ignore[attr-defined]
        if text in ("'s", "’s", "'"):
            break
        if pos in ("NOUN", "PROPN"):
            head = text
            continue
        if pos in ("ADJ", "NUM", "DET") and head is None:
            continue
        break
    return head
