"""Scoring the candidate spans found in the sentences read: each mention's score (sentence, closeness
to the question's words, the question's verbs, the headline), then each candidate's total over its
mentions (agreement across articles, newer articles first, short forms counted for long ones).

Usage:
    spans = score_spans(question, targets, parser.parse_many(texts))   # targets: the sentences read
    prefer_recent(spans.found)
    totals = candidate_totals(question, spans)                         # normalised text -> total
"""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Sequence
from dataclasses import dataclass, field
from datetime import date
from typing import Any, NamedTuple

from newsqa.types import Article
from qa.answering.candidates import containments, find_candidates
from qa.answering.sentences import Sentence, matched_positions, proximity
from qa.question.question import Question
from qa.text.nlp import doc_text, normalize_text, text_stems

# A place the text never calls by the asked noun, when another one is ("the Nangarhar province").
NOT_CALLED_FACTOR = 0.4
# A candidate the article's headline names, times the share of the question the headline covers.
TITLE_WEIGHT = 2.0
# A candidate that answered an earlier turn of the conversation: the follow-up asks something else.
EARLIER_ANSWER_FACTOR = 0.5
# A mention in an article RECENCY_DAYS older than the newest one read weighs 1 - RECENCY_WEIGHT / 2.
RECENCY_WEIGHT = 0.3
RECENCY_DAYS = 30.0


class Target(NamedTuple):
    """A sentence read for spans: `sentence` (ranked) and the index of the one read, with a discount."""

    sentence: Sentence
    index: int
    discount: float


# The multipliers of a mention's score, by name (`SpanHit.factors`, with the candidate's own
# PREFERENCE_FACTORS): the sentence's score, the target's discount, the question's verbs in the
# sentence, nearness to the question's words, the headline naming it, the article's age.
MENTION_FACTORS: tuple[str, ...] = ("sentence", "discount", "verbs", "proximity", "title", "recency")


class SpanHit(NamedTuple):
    """One candidate found in a target: its score, the ranked sentence, the target's position in the
    list read, its char offsets inside the sentence read, and its score's multipliers by name."""

    score: float
    sentence: Sentence
    target: int
    start: int
    end: int
    factors: dict[str, float]


@dataclass
class FoundSpans:
    """The candidates of every target, keyed by normalised text, and what scoring needs of them."""

    found: dict[str, list[SpanHit]] = field(default_factory=lambda: defaultdict(list))
    fits: dict[tuple[int, int], float] = field(default_factory=dict)  # (target, start) -> fit
    explicit: set[str] = field(default_factory=set)  # called what the question asks ("Nangarhar province")
    contained: set[tuple[str, str]] = field(default_factory=set)  # (specific, container) pairs


def score_spans(question: Question, targets: list[Target], docs: Sequence[Any]) -> FoundSpans:
    spans = FoundSpans()
    for k, (target, doc) in enumerate(zip(targets, docs, strict=True)):
        s, discount = target.sentence, target.discount
        matched = matched_positions(question, doc_text(doc))
        stems = s.passage.sentence_stems[s.index] | s.passage.sentence_stems[target.index]
        verbs = _verb_support(question, stems)
        candidates = find_candidates(question, doc)
        spans.contained.update(containments(question, doc_text(doc), candidates))
        for cand in candidates:
            factors = {
                "sentence": s.score,
                "discount": discount,
                **cand.factors,
                "verbs": verbs,
                "proximity": 0.55 + 0.45 * proximity(matched, cand.start, cand.end),
            }
            if f" {normalize_text(cand.text)} " in f" {normalize_text(s.passage.article.title)} ":
                # the headline names it and is about the question: often the story's answer
                factors["title"] = 1.0 + TITLE_WEIGHT * _title_coverage(question, s.passage.article)
            score = s.score * discount * cand.pref * verbs * factors["proximity"] * factors.get("title", 1.0)
            hit = SpanHit(score, s, k, cand.start, cand.end, factors)
            spans.found[normalize_text(cand.text)].append(hit)
            if cand.explicit:
                spans.explicit.add(normalize_text(cand.text))
            spans.fits[(k, cand.start)] = cand.fit * verbs**0.5
    return spans


def candidate_totals(question: Question, spans: FoundSpans) -> dict[str, float]:
    """Each candidate's total over its mentions, after the rules that move credit between them."""
    totals = {key: aggregate(items) for key, items in spans.found.items()}
    if spans.explicit and question.labels & {"GPE", "LOC"}:
        # "which province": when the text calls one candidate a province, the others are less likely
        totals = {key: v if key in spans.explicit else v * NOT_CALLED_FACTOR for key, v in totals.items()}
    for key in totals:
        if any(set(key.split()) <= set(earlier.split()) for earlier in question.earlier_answers):
            totals[key] *= EARLIER_ANSWER_FACTOR  # "Marsh" after "Lena Marsh" as well
    for specific, container in spans.contained:
        if specific in totals and container in totals:
            totals[specific] += totals[container]
            totals[container] *= NOT_CALLED_FACTOR
    # A short form ("Urban", "the South") is the long form ("Bill Urban", "South Sudan") named again:
    # it supports the long form, and gives way to it when only one long form contains it.
    for key in sorted(totals, key=lambda k: len(k.split())):
        toks = set(key.split())
        longer = [o for o in totals if o != key and toks < set(o.split())]
        if len(longer) == 1 and totals[key] <= totals[longer[0]]:
            totals[longer[0]] += 0.5 * totals.pop(key)
        else:
            for other in longer:
                totals[other] += 0.5 * totals[key]
    return totals


def _published_day(article: Article) -> date | None:
    try:
        return date.fromisoformat(article.published[:10]) if article.published else None
    except ValueError:
        return None


def prefer_recent(found: dict[str, list[SpanHit]]) -> None:
    """Mentions in older articles than the newest one read count less: news moves on ("$740
    million" in October's verdict over "$2 million" in August's). Undated articles are not discounted."""
    days = {
        s.passage.article.id: _published_day(s.passage.article)
        for items in found.values()
        for _, s, *_ in items
    }
    dated = [d for d in days.values() if d is not None]
    if not dated:
        return
    newest = max(dated)
    for key, items in found.items():
        weighted = []
        for hit in items:
            day = days[hit.sentence.passage.article.id]
            factor = 1.0 if day is None else _recency_factor((newest - day).days)
            weighted.append(
                hit._replace(score=hit.score * factor, factors={**hit.factors, "recency": factor})
            )
        found[key] = weighted


def _recency_factor(days_older: int) -> float:
    return 1.0 - RECENCY_WEIGHT + RECENCY_WEIGHT / (1.0 + days_older / RECENCY_DAYS)


def _title_coverage(question: Question, article: Article) -> float:
    total = sum(question.weights.values()) or 1.0
    stems = text_stems(article.title)
    return sum(w for s, w in question.weights.items() if s in stems) / total


def _verb_support(question: Question, stems: set[str]) -> float:
    """1 when the sentence has the question's verbs ("died" ~ "killed"), down to 0.6 when it has none."""
    if not question.verbs:
        return 1.0
    return 0.6 + 0.4 * len(question.verbs & stems) / len(question.verbs)


def aggregate(items: list[SpanHit]) -> float:
    """A candidate's hand-set total before the rules between candidates: the best mention plus a share
    of the best mention in each other article (agreement)."""
    ordered = article_bests(items)
    extra = sum(v for v, _ in zip(ordered[1:], range(4), strict=False))
    mentions = len(items) - len(ordered)
    return ordered[0] + 0.35 * extra + 0.05 * min(mentions, 4) * ordered[0]


def article_bests(items: list[SpanHit]) -> list[float]:
    """The best mention's score in each article that names the candidate, highest first."""
    per_article: dict[str, float] = {}
    for hit in items:
        aid = hit.sentence.passage.article.id
        per_article[aid] = max(per_article.get(aid, 0.0), hit.score)
    return sorted(per_article.values(), reverse=True)
