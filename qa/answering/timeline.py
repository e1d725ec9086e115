"""Timelines and profiles across articles: one cited sentence per development, reprints merged,
ordered by date. Extractive: every entry quotes the stored article text at its offsets.

Usage:
    builder = TimelineBuilder(CitationBuilder())
    overview = OverviewDetector.load().detect("What happened with the Jackson water crisis?")
    answer = builder.answer(overview, passages, query)   # passages: furniture already stripped
    answer.answer        # "3 developments, Aug. 29 – Sept. 2, 2022"
    answer.answer_text   # "... :\n- Aug. 30, 2022 (cnn.com): “Jackson has no safe water ...” [1]\n..."

A sentence is on topic when it holds enough of the topic's words (names count most); each article
gives at most its best one, a sentence much like one already picked (token Jaccard) only adds its
outlet to that entry. "Who is X?" puts the sentences that define X ("X, the ...", "X is a ...") first.
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field
from datetime import date

from newsqa.types import Answer, Citation, QueryInfo
from qa.answering.extract import CitationBuilder, without_credit
from qa.answering.present import ap_date
from qa.answering.sentences import Evidence, Passage
from qa.question.overview import Overview
from qa.text.nlp import STOPWORDS, content_stems, stem, words


@dataclass(frozen=True)
class TimelineWeights:
    """The tunable numbers of `TimelineBuilder` (chosen by hand on the demo corpus, docs/eval.md)."""

    # Share of the topic's words other than names a sentence must hold to be on topic (besides one of
    # its names, when it has any).
    min_topic_share: float = 0.5
    # Weight of a capitalised topic word (a name) against 1.0 for any other topic word.
    name_weight: float = 3.0
    # Content-word Jaccard at or above which two sentences tell the same development (a reprint).
    duplicate_jaccard: float = 0.5
    # Entries in one timeline or profile at most.
    max_entries: int = 6
    # Bonus for a sentence at the very top of its article (news leads sum a development up),
    # falling linearly to 0 at the article's end.
    lead_bonus: float = 0.2
    # Sentences shorter than this (in words) tell no development ("Read more.", "Watch.").
    min_words: int = 6
    # Retrieved passages read for a timeline.
    passages: int = 20


@dataclass
class TimelineEntry:
    """One development: the evidence to cite, its article's date and the outlets that reprinted it."""

    evidence: Evidence
    published: date | None
    stems: set[str]
    defines: bool = False
    reprinted_by: list[str] = field(default_factory=list)


class TimelineBuilder:
    """Builds the dated timeline ("timeline") or profile ("profile") answer for an `Overview`."""

    def __init__(self, citations: CitationBuilder, weights: TimelineWeights | None = None) -> None:
        self.citations = citations
        self.weights = weights or TimelineWeights()

    def entries(
        self, overview: Overview, passages: list[Passage], window: tuple[str, str] | None = None
    ) -> list[TimelineEntry]:
        """The distinct on-topic developments, in the order they are shown; with a `window` (ISO
        dates, inclusive: the question's "this week") only those of articles published in it."""
        terms = topic_terms(overview.topic, self.weights.name_weight)
        if not terms:
            return []
        names = {s for s, w in terms.items() if w > 1.0}
        defines = definition_pattern(overview.topic) if overview.kind == "profile" else None
        candidates = self._best_per_article(passages, terms, names, defines)
        if window is not None:
            first, last = published_day(window[0]), published_day(window[1])
            candidates = [c for c in candidates if c.published and first <= c.published <= last]  # type: ignore[operator]
        chosen: list[TimelineEntry] = []
        for entry in candidates:
            same = next(
                (c for c in chosen if jaccard(c.stems, entry.stems) >= self.weights.duplicate_jaccard), None
            )
            if same is not None:
                outlet = entry.evidence.passage.article.source
                if outlet and outlet not in same.reprinted_by:
                    same.reprinted_by.append(outlet)
                continue
            if len(chosen) < self.weights.max_entries:
                chosen.append(entry)
        return sorted(chosen, key=_order)

    def answer(
        self,
        overview: Overview,
        passages: list[Passage],
        query: QueryInfo,
        window: tuple[str, str] | None = None,
    ) -> Answer:
        """The timeline or profile as an `Answer`; an abstention when nothing is on topic."""
        entries = self.entries(overview, passages, window)
        if not entries:
            related = self.citations.build(
                [Evidence(p, *p.sentences[0], p.hit.score) for p in passages[:3] if p.sentences], limit=3
            )
            when = f" from {date_range([published_day(d) for d in window])}" if window else ""  # type: ignore[misc]
            msg = f"The indexed articles have nothing on {overview.topic}{when}."
            return Answer(msg, True, [], related, query, confidence=0.0)
        citations = self.citations.build([e.evidence for e in entries])
        for citation, entry in zip(citations, entries, strict=False):
            for outlet in entry.reprinted_by:
                if outlet != citation.source and outlet not in citation.also_reported_by:
                    citation.also_reported_by.append(outlet)
        short = summary(overview, citations)
        text = "\n".join([f"{short}:", *(timeline_line(c) for c in citations)])
        confidence = sum(e.evidence.score for e in entries) / len(entries)
        return Answer(short, False, citations, [], query, confidence=min(1.0, confidence), answer_text=text)

    def _best_per_article(
        self,
        passages: list[Passage],
        terms: dict[str, float],
        names: set[str],
        defines: re.Pattern[str] | None,
    ) -> list[TimelineEntry]:
        """Each article's best on-topic sentence, best first."""
        plain = {s: w for s, w in terms.items() if s not in names}
        best: dict[str, tuple[float, TimelineEntry]] = {}
        for p in passages:
            text = p.article.text
            for (start, end), stems in zip(p.sentences, p.sentence_stems, strict=True):
                sentence = text[start:end]
                if len(sentence.split()) < self.weights.min_words or sentence.rstrip("”’\"' )").endswith("?"):
                    continue
                # A name of the topic, and enough of its other words ("Jackson" alone is not the
                # "Jackson water crisis"), in the sentence itself.
                if names and not names & stems or _share(plain, stems) < self.weights.min_topic_share:
                    continue
                share = _share(terms, stems)
                defining = defines is not None and defines.search(sentence) is not None
                score = share + self.weights.lead_bonus * (1.0 - start / max(1, len(text)))
                if p.article.id in best and best[p.article.id][0] >= score + defining:
                    continue
                start = end - len(without_credit(sentence))  # "WASHINGTON (AP) — " is no development
                entry = TimelineEntry(
                    Evidence(p, start, end, round(share, 4)),
                    published_day(p.article.published),
                    content_stems(sentence),
                    defines=defining,
                )
                best[p.article.id] = (score + defining, entry)
        return [entry for _, entry in sorted(best.values(), key=lambda x: -x[0])]


def topic_terms(topic: str, name_weight: float) -> dict[str, float]:
    """Stem -> weight of the topic's content words; capitalised words (names) weigh `name_weight`."""
    out: dict[str, float] = {}
    for i, word in enumerate(words(topic)):
        low = word.lower()
        s = stem(low)
        if low in STOPWORDS or not s or s in STOPWORDS or len(low) < 2 and not low.isdigit():
            continue
        weight = name_weight if word[:1].isupper() and (i > 0 or low not in STOPWORDS) else 1.0
        out[s] = max(out.get(s, 0.0), weight)
    return out


def definition_pattern(topic: str) -> re.Pattern[str]:
    """A sentence defining `topic`: "Gautam Adani, the ...", "Adani is a ...", "Adani, who ..."."""
    name = words(topic)[-1] if words(topic) else topic
    return re.compile(
        rf"\b{re.escape(name)}(?:['’]s)?(?:,\s+(?:the|a|an|who|[a-z][\w-]+ (?:of|at|for|and))\b"
        rf"|\s+(?:is|was|has been|became|remains)\s+(?:a|an|the|one of)\b)"
    )


def _share(terms: dict[str, float], stems: set[str]) -> float:
    """The share of the terms' weight that `stems` hold; 1.0 without terms."""
    total = sum(terms.values())
    return sum(w for s, w in terms.items() if s in stems) / total if total else 1.0


def jaccard(a: set[str], b: set[str]) -> float:
    return len(a & b) / len(a | b) if a or b else 0.0


def published_day(value: str | None) -> date | None:
    try:
        return date.fromisoformat(value[:10]) if value else None
    except ValueError:
        return None


def _order(entry: TimelineEntry) -> tuple[bool, bool, date, int]:
    """Definitions first (profiles), then by date, undated last, then by place in the article."""
    day = entry.published or date.max
    return (not entry.defines, entry.published is None, day, entry.evidence.start)


def date_range(days: list[date]) -> str:
    """ "Aug. 30, 2022"; "Aug. 29 – Sept. 2, 2022"; "Dec. 30, 2021 – Jan. 2, 2022"; "" without dates."""
    if not days:
        return ""
    first, last = min(days), max(days)
    if first == last:
        return ap_date(first)
    if first.year == last.year:
        return f"{ap_date(first).rsplit(',', 1)[0]} – {ap_date(last)}"
    return f"{ap_date(first)} – {ap_date(last)}"


def summary(overview: Overview, citations: list[Citation]) -> str:
    """The short answer: "3 developments, Aug. 29 – Sept. 2, 2022" or "Gautam Adani: 2 articles, ..."."""
    days = [d for d in (published_day(c.published) for c in citations) if d is not None]
    span = date_range(days)
    n = len(citations)
    if overview.kind == "profile":
        articles = len({c.article_id for c in citations})
        head = f"{overview.topic}: {articles} article{'s' if articles != 1 else ''}"
    else:
        head = f"{n} development{'s' if n != 1 else ''}"
    return f"{head}, {span}" if span else head


def timeline_line(citation: Citation) -> str:
    """ "- Aug. 30, 2022 (cnn.com, also usatoday.com): “…” [1]" """
    day = published_day(citation.published)
    outlets = ", ".join([citation.source, *(f"also {o}" for o in citation.also_reported_by[:2])])
    when = ap_date(day) if day else "undated"
    quote = " ".join(citation.quote.split())
    quoted = quote if quote.startswith(("“", '"')) else f"“{quote}”"
    return f"- {when} ({outlets}): {quoted} [{citation.n}]"
