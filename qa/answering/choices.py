"""Multiple choice: which option do the top passages support best?

Usage:
    picker = ChoicePicker()
    result = picker.pick(question, passages, ["Harbor City Hawks", "Chicago Sky"])   # Extraction | None

A choice is mentioned in a sentence when its distinctive words (those not shared with the other
choices or the question) all occur there. Each mention counts by its sentence's question-term
coverage and passage rank; mentions in several articles add up. Choices named in the question
get no credit. No mention at all -> None (the caller abstains).
"""

from __future__ import annotations

import re
from dataclasses import dataclass

from qa.answering.sentences import Evidence, Extraction, Passage, matched_positions, proximity
from qa.question.question import Question
from qa.text.nlp import STOPWORDS, normalize_text, phrase_stem, stem, words
from textkit import word_matches


@dataclass
class _ChoiceTerms:
    text: str
    stems: list[str]  # distinctive stems that must all occur
    phrase: str  # normalised full text


class ChoicePicker:
    """Scores each choice by its mentions in the passages' sentences, weighted by question overlap."""

    def __init__(self, min_score: float = 0.0) -> None:
        self.min_score = min_score

    def pick(self, question: Question, passages: list[Passage], choices: list[str]) -> Extraction | None:
        terms = self._choice_terms(question, choices)
        total = sum(question.weights.values()) or 1.0
        scores = [0.0] * len(terms)
        best_ev: list[tuple[float, float, Evidence] | None] = [None] * len(terms)
        per_article: list[dict[str, float]] = [{} for _ in terms]
        for p in passages:
            prior = 1.0 / (1.0 + 0.1 * p.rank)
            for i, stems in enumerate(p.sentence_stems):
                cov = sum(w for s, w in question.weights.items() if s in stems) / total
                raw: str | None = None
                for c, ct in enumerate(terms):
                    if not ct.stems or not all(s in stems for s in ct.stems):
                        continue
                    if raw is None:
                        raw = p.article.text[slice(*p.sentences[i])]
                        sent_text = normalize_text(raw)
                        matched = matched_positions(question, raw)
                    phrase_bonus = 0.2 if ct.phrase and f" {ct.phrase} " in f" {sent_text} " else 0.0
                    mention = [m.start() for m in word_matches(raw) if stem(m.group()) in ct.stems]
                    prox = max((proximity(matched, m, m + 1) for m in mention), default=0.0)
                    value = prior * (0.15 + cov + phrase_bonus) * (0.7 + 0.3 * prox)
                    aid = p.article.id
                    per_article[c][aid] = max(per_article[c].get(aid, 0.0), value)
                    scores[c] += 0.25 * value
                    if best_ev[c] is None or value > best_ev[c][0]:  # type: ignore[index]
                        s, e = p.sentences[i]
                        best_ev[c] = (value, cov, Evidence(p, s, e, value))
        for c in range(len(terms)):
            scores[c] += sum(per_article[c].values())
        if not terms or max(scores) <= self.min_score:
            return None
        order = sorted(range(len(terms)), key=lambda c: -scores[c])
        win = order[0]
        runner = scores[order[1]] if len(order) > 1 else 0.0
        _, cov, evidence = best_ev[win]  # type: ignore[misc]
        quote = evidence.passage.article.text[evidence.start : evidence.end]
        answer = _as_in_quote(terms[win].text, quote)
        margin = (scores[win] - runner) / scores[win]
        n_articles = len(per_article[win])
        confidence = min(1.0, 0.8 * cov + 0.2 * margin + 0.03 * (n_articles - 1))
        support = [evidence]
        return Extraction(answer=answer, support=support, confidence=confidence, span=True)

    @staticmethod
    def _choice_terms(question: Question, choices: list[str]) -> list[_ChoiceTerms]:
        stem_sets = [
            [alias]
            if (alias := phrase_stem(c))
            else [stem(w) for w in words(c) if w.lower() not in STOPWORDS]
            for c in choices
        ]
        out: list[_ChoiceTerms] = []
        for c, stems in enumerate(stem_sets):
            others = set().union(*(set(s) for k, s in enumerate(stem_sets) if k != c))
            distinctive = [s for s in stems if s not in others and s not in question.weights]
            if not distinctive:
                distinctive = [s for s in stems if s not in question.weights]
            if question.contains(choices[c]) or not choices[c].strip():
                distinctive = []
            out.append(_ChoiceTerms(text=choices[c], stems=distinctive, phrase=normalize_text(choices[c])))
        return out


def _as_in_quote(choice: str, quote: str) -> str:
    """The choice as the quote spells it when the quote contains it (case-insensitive), else as given."""
    m = re.search(re.escape(choice.strip()), quote, flags=re.IGNORECASE)
    return m.group() if m else choice.strip()
