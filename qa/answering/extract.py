"""Extractive answering: supporting sentences, answer spans by answer type, and exact citations.

Usage:
    extractor = SpanExtractor(SpacyParser.load())
    sentences = SentenceIndex()
    passages = [sentences.passage(hit, article, rank) for rank, (hit, article) in enumerate(pairs)]
    q = QuestionAnalyzer(parser).analyze(question)
    result = extractor.extract(q, passages)              # Extraction(answer, support, confidence, ...)
    citations = CitationBuilder().build(result.support)  # quote == article.text[start:end]
    citations[0].passage                                 # the chunk around it, from passage_start

Sentences are scored cheaply (stems, no model) over all top passages; spaCy NER runs only over the
few best sentences. A candidate span earns credit from its sentence's score, its closeness to the
matched question terms, and how many articles name it.
"""

from __future__ import annotations

import re
from collections.abc import Sequence
from typing import Any

from newsqa.types import Article, Citation, Hit
from qa.answering.candidates import DATELINE_RE, NUMBER_RE, sole_new_name, trim_span
from qa.answering.cloze import CLOZE_SENTENCES, cloze_answer
from qa.answering.sentences import (
    Evidence,
    Extraction,
    Passage,
    Sentence,
    dedupe,
    sentence_scores,
)
from qa.answering.span_model import SpanModel, best_mention, candidate_features
from qa.answering.span_scoring import (
    FoundSpans,
    SpanHit,
    Target,
    candidate_totals,
    prefer_recent,
    score_spans,
)
from qa.question.question import Question
from qa.text.lru import LRU
from qa.text.nlp import SpacyParser, normalize_text, split_sentences, text_stems

# A one-word person or organisation answer is shown as the article's first full mention, looked for in
# this many opening sentences.
FULL_NAME_LABELS = frozenset({"PERSON", "ORG"})
FULL_NAME_SENTENCES = 40
_ONE_NAME = re.compile(r"[A-Z][\w'’-]+")
_LEADING_THE = re.compile(r"^the\s+", re.IGNORECASE)
# A question that names what it asks for ("what type of drone") is not answered by a sentence lacking one.
UNTYPED_SUPPORT_FACTOR = 0.25
# A typed question ("when", "how many", "which country") whose best sentences hold no such entity.
NO_SPAN_FACTOR = 0.8
# Per name of the question ("Congress") that the answering article never mentions.
MISSING_NAME_FACTOR = 0.75
# The story's opening sentence, read for each passage read that opens its article.
LEAD_DISCOUNT = 0.8
# Candidates an extraction records (debug, the span model's training rows): the best by hand-set total.
WEIGHED_CANDIDATES = 40


class SentenceIndex:
    """Splits chunks into sentences with stems, cached per chunk id (an LRU)."""

    def __init__(self, cache_size: int = 20000) -> None:
        self._cache: LRU[tuple[str, int, int], tuple[list[tuple[int, int]], list[set[str]]]] = LRU(cache_size)

    def passage(self, hit: Hit, article: Article, rank: int) -> Passage:
        key = (hit.chunk.id, hit.chunk.start, hit.chunk.end)
        cached = self._cache.get(key)
        if cached is None:
            base = hit.chunk.start
            spans = [(base + s, base + e) for s, e in split_sentences(hit.chunk.text)]
            stems = [text_stems(article.text[s:e]) for s, e in spans]
            cached = (spans, stems)
            self._cache.put(key, cached)
        return Passage(hit=hit, article=article, rank=rank, sentences=cached[0], sentence_stems=cached[1])


class SpanExtractor:
    """Picks the answer span (or sentence) for an analysed question from ranked passages.

    `max_sentences` bounds spaCy work per question; `window` also reads the sentence after each
    candidate sentence, for answers that span two sentences. `span_model` (trained, `SpanModel`) ranks
    the candidate spans; without it their hand-set totals do.
    """

    def __init__(
        self,
        parser: SpacyParser,
        max_sentences: int = 6,
        window: bool = True,
        span_model: SpanModel | None = None,
    ) -> None:
        if max_sentences < 1:
            raise ValueError(f"max_sentences must be >= 1, got {max_sentences}")
        self.parser = parser
        self.span_model = span_model
        self.max_sentences = max_sentences
        self.window = window
        self._article_stems: LRU[str, set[str]] = LRU(256)

    def extract(self, question: Question, passages: list[Passage], *, record: bool = False) -> Extraction:
        """The answer to `question` from `passages`; with `record`, the candidate spans weighed with
        their span-model features too (`Extraction.candidates`: debug records, training rows)."""
        result = self._extract(question, passages, record)
        if result.support:
            result.confidence *= self._names_support(question, result.support[0].passage.article)
        return result

    def _names_support(self, question: Question, article: Article) -> float:
        """Each name of the question that the answer's article never mentions lowers the confidence."""
        if not question.names:
            return 1.0
        stems = self._article_stems.get(article.id)
        if stems is None:
            stems = text_stems(article.title) | text_stems(article.text)
            self._article_stems.put(article.id, stems)
        missing = sum(1 for name in question.names if not mentioned(name, stems))
        return max(MISSING_NAME_FACTOR**missing, MISSING_NAME_FACTOR**2)

    def _extract(self, question: Question, passages: list[Passage], record: bool) -> Extraction:
        ranked = dedupe(sentence_scores(question, passages))
        if not ranked:
            return Extraction(answer="", support=[], confidence=0.0)
        best = ranked[0]
        closest = [Evidence(s.passage, s.start, s.end, s.score) for s in ranked[:3]]
        confidence = _confidence(best.coverage, 0.0, 1)
        cloze = cloze_answer(question.text, ranked[:CLOZE_SENTENCES])
        if cloze is not None:
            sentence, start, end = cloze
            evidence = [Evidence(sentence.passage, sentence.start, sentence.end, sentence.score)]
            text = sentence.passage.article.text[start:end]
            # The blank found right after the question's own words ties the span to it like a typed
            # span's support would (0.5 of the span part of the confidence).
            return Extraction(
                text, evidence, _confidence(sentence.coverage, 0.5, 1), span=True, closest=closest
            )
        if question.typed or question.phrase or question.part_of:
            readable = ranked
            if question.kind in ("how_many", "how_much"):  # only sentences with a number can answer
                readable = [s for s in ranked if NUMBER_RE.search(s.passage.article.text[s.start : s.end])]
            span = self._best_span(question, readable[: self.max_sentences], _openings(readable), record)
            if span is not None:
                answer, evidence, span_confidence, weighed = span
                return Extraction(
                    answer, evidence, span_confidence, span=True, closest=closest, candidates=weighed
                )
            if question.role is not None or question.kind_of:
                # "the spokesman of the Taliban", "what type of drone": no sentence names one
                confidence *= UNTYPED_SUPPORT_FACTOR
            elif question.typed:
                confidence *= UNTYPED_SUPPORT_FACTOR if question.copular else NO_SPAN_FACTOR
            further = readable[self.max_sentences : 3 * self.max_sentences]
            span = self._best_span(question, further, (), record) if further else None
            if span is not None and span[2] >= confidence:
                # none of the best sentences names such a thing, a lower one does, and better
                # than the best sentence answers the question
                return Extraction(span[0], span[1], span[2], span=True, closest=closest, candidates=span[3])
        end = _continuation_end(question, best)
        sentence = Evidence(best.passage, best.start, end, best.score)
        text = best.passage.article.text[best.start : end]
        if question.phrase and not question.labels and not question.kind_of:
            name = sole_new_name(question, self.parser.parse(text))
            if name is not None:  # "which cereal": the sentence names one thing, "Oatsy"
                return Extraction(name, [sentence], confidence, span=True, closest=closest)
        return Extraction(without_credit(text), [sentence], confidence, closest=closest)

    def _best_span(
        self, question: Question, ranked: list[Sentence], openings: Sequence[Sentence], record: bool
    ) -> tuple[str, list[Evidence], float, list[dict[str, Any]]] | None:
        """The best candidate span in the `ranked` sentences (and, with `window`, the sentences around
        them and the first sentence of each passage in `openings`), and with `record` the candidates
        weighed (none otherwise: the features cost nothing on a plain `ask` without the span model)."""
        targets = self._read_targets(question, ranked, openings)
        texts = [
            t.sentence.passage.article.text[slice(*t.sentence.passage.sentences[t.index])] for t in targets
        ]
        spans = score_spans(question, targets, self.parser.parse_many(texts))
        if not spans.found:
            return None
        prefer_recent(spans.found)
        totals = candidate_totals(question, spans)
        ranks = record or self.span_model is not None
        features = candidate_features(question, spans, totals) if ranks else {}
        if self.span_model is not None:
            best_key = self.span_model.best(features)
        else:
            best_key = max(totals, key=lambda k: totals[k])
        items = sorted(spans.found[best_key], key=lambda it: -it.score)
        best = items[0]
        answer, evidence = self._answer_evidence(question, best, targets[best.target].index)
        seen_articles = {best.sentence.passage.article.id}
        for other in items[1:]:
            s2 = other.sentence
            if s2.passage.article.id in seen_articles:
                continue
            seen_articles.add(s2.passage.article.id)
            i2 = targets[other.target].index
            start2 = min(s2.start, s2.passage.sentences[i2][0])
            end2 = max(s2.end, s2.passage.sentences[i2][1])
            evidence.append(Evidence(s2.passage, start2, end2, other.score))
        fit = spans.fits[(best.target, best.start)]
        confidence = _confidence(best.sentence.coverage, totals[best_key], len(seen_articles)) * fit
        weighed = [
            {"text": _mention_text(spans, targets, key), "features": features[key]}
            for key in sorted(totals, key=lambda k: -totals[k])[:WEIGHED_CANDIDATES]
            if record
        ]
        return answer, evidence, confidence, weighed

    def _read_targets(
        self, question: Question, ranked: list[Sentence], openings: Sequence[Sentence]
    ) -> list[Target]:
        """The sentences to read for spans: the ranked ones, and with `window` their neighbours and
        the stories' opening sentences, each with its discount."""
        targets = [Target(s, s.index, 1.0) for s in ranked]
        if not self.window:
            return targets
        for s in ranked[:3]:
            if s.index + 1 < len(s.passage.sentences):
                targets.append(Target(s, s.index + 1, 0.6))
        if question.kind == "who":  # "... asked to allow these people": the people are named before
            for s in ranked[:2]:
                if s.index > 0:
                    targets.append(Target(s, s.index - 1, 0.5))
        # A story's first sentence says who, what and where ("... after a powerful earthquake
        # struck the northern Philippines"); sentences further down say "the country".
        read = {(t.sentence.passage.hit.chunk.id, t.index): n for n, t in enumerate(targets)}
        for s in openings:
            n = read.get((s.passage.hit.chunk.id, 0))
            if n is None:
                targets.append(Target(s, 0, LEAD_DISCOUNT))
            elif targets[n].sentence.score * targets[n].discount < s.score * LEAD_DISCOUNT:
                # "Subway is launching a new menu" read on its own scores low; it is the lead of
                # "... a refreshed menu board in its roughly 21,000 US restaurants": read it as such
                targets[n] = Target(s, 0, LEAD_DISCOUNT)
        return targets

    def _answer_evidence(self, question: Question, best: SpanHit, idx: int) -> tuple[str, list[Evidence]]:
        """The answer text of the best span and the evidence that quotes it (both sentences when the
        span sits in a neighbour; the first full mention of a name too)."""
        s = best.sentence
        sent_start = s.passage.sentences[idx][0]
        if idx > s.index:  # the answer sits in the next sentence: quote both
            ev_start, ev_end = s.start, s.passage.sentences[idx][1]
        elif idx < s.index:
            ev_start, ev_end = s.passage.sentences[idx][0], s.end
        else:
            ev_start, ev_end = s.start, s.end
        answer = trim_span(s.passage.article.text[sent_start + best.start : sent_start + best.end])
        evidence = [Evidence(s.passage, ev_start, ev_end, best.score)]
        full = self._full_name(question, answer, s.passage.article.text)
        if full is not None:
            answer, quote_start, quote_end = full
            if not ev_start <= quote_start < quote_end <= ev_end:
                evidence.append(Evidence(s.passage, quote_start, quote_end, best.score))
        return answer, evidence

    def _full_name(self, question: Question, name: str, text: str) -> tuple[str, int, int] | None:
        """A one-word name answer ("Kowalczyk", "Falcons") as the article first writes it in full
        ("Marta Kowalczyk", "Denver Falcons"), with the sentence that does: (name, start, end).
        News names a person or team in full once, then by the short form."""
        if not question.labels & FULL_NAME_LABELS or not _ONE_NAME.fullmatch(name):
            return None
        longer = re.compile(rf"[A-Z][\w'’.-]*\s+{re.escape(name)}\b")
        if not longer.search(text):  # most short names: no article split, no parse
            return None
        for start, end in split_sentences(text)[:FULL_NAME_SENTENCES]:
            if not longer.search(text, start, end):
                continue
            doc = self.parser.parse(text[start:end])
            for ent in doc.ents:
                full = _LEADING_THE.sub("", ent.text)
                if ent.label_ not in FULL_NAME_LABELS or not full.endswith(f" {name}"):
                    continue
                # "Hurricane Ian" adds nothing when the question asks for the hurricane's name
                if question.contains(full.removesuffix(name)):
                    return None
                return full, start, end
        return None


def _mention_text(spans: FoundSpans, targets: list[Target], key: str) -> str:
    """The candidate `key`'s best mention as written."""
    best = best_mention(spans.found[key])
    sentence_start = best.sentence.passage.sentences[targets[best.target].index][0]
    return trim_span(
        best.sentence.passage.article.text[sentence_start + best.start : sentence_start + best.end]
    )


def _openings(ranked: list[Sentence]) -> list[Sentence]:
    """The best sentence of each passage that opens its article: its first sentence is read with it."""
    out: dict[str, Sentence] = {}
    for s in ranked:
        if s.passage.hit.chunk.n == 0:
            out.setdefault(s.passage.hit.chunk.id, s)
    return list(out.values())


def mentioned(name: str, stems: set[str]) -> bool:
    """The name's stem, or for a longer one a word sharing its first five letters ("Qatari" ~ "Qatar")."""
    if name in stems:
        return True
    return len(name) >= 6 and any(s.startswith(name[:5]) for s in stems)


def without_credit(sentence: str) -> str:
    """`sentence` from after a leading dateline or wire credit, when enough is left to read."""
    credit = DATELINE_RE.match(sentence)
    if credit is None or len(sentence[credit.end() :].split()) < 4:
        return sentence
    return sentence[credit.end() :]


def _continuation_end(question: Question, best: Sentence) -> int:
    """The end of the answer sentence, or of the next one when that one has asked words the first lacks
    ("... agreed to stay closely engaged" after the sentence naming who agreed)."""
    text = best.passage.article.text
    following = split_sentences(text[best.end : best.end + 600])
    if not following:
        return best.end
    start, end = following[0]
    have = best.passage.sentence_stems[best.index]
    missing = {s for s, w in question.weights.items() if w >= 1.0 and s not in have}
    if end < 600 and missing & text_stems(text[best.end + start : best.end + end]):
        return best.end + end
    return best.end


def _confidence(coverage: float, span_score: float, n_articles: int) -> float:
    return min(1.0, 0.7 * coverage + 0.3 * min(span_score, 1.0) + 0.03 * (n_articles - 1))


class CitationBuilder:
    """Turns evidence into numbered citations, collapsing reprints and identical quotes."""

    def build(self, evidence: list[Evidence], start_n: int = 1, limit: int | None = None) -> list[Citation]:
        citations: list[Citation] = []
        by_quote: dict[str, Citation] = {}
        cited_articles: set[tuple[str, int, int]] = set()
        for ev in evidence:
            article = ev.passage.article
            key = (article.id, ev.start, ev.end)
            if key in cited_articles:
                continue
            quote = article.text[ev.start : ev.end]
            norm = normalize_text(quote)
            if norm in by_quote:
                other = by_quote[norm]
                if article.id != other.article_id:
                    for name in [article.source or article.url or article.id, *_outlets(article)]:
                        if name and name not in other.also_reported_by and name != other.source:
                            other.also_reported_by.append(name)
                continue
            if limit is not None and len(citations) >= limit:
                break
            cited_articles.add(key)
            cit = Citation(
                n=start_n + len(citations),
                article_id=article.id,
                title=article.title,
                source=article.source,
                url=article.url,
                published=article.published,
                quote=quote,
                start=ev.start,
                end=ev.end,
                score=round(float(ev.score), 4),
                also_reported_by=_outlets(article),
            )
            cit.passage_start, passage_end = _passage_span(ev)
            cit.passage = article.text[cit.passage_start : passage_end]
            by_quote[norm] = cit
            citations.append(cit)
        return citations


def _passage_span(ev: Evidence) -> tuple[int, int]:
    """(start, end) in the article of the passage a quote is shown in: the retrieved chunk it was read
    from, widened to the whole quote where the quote runs on past it (the next sentence read on); a
    quote read elsewhere in the article (a name's first full mention) is its own passage."""
    chunk = ev.passage.hit.chunk
    if ev.start <= chunk.end and chunk.start <= ev.end:
        return min(chunk.start, ev.start), max(chunk.end, ev.end)
    return ev.start, ev.end


def _outlets(article: Article) -> list[str]:
    out: list[str] = []
    for other in article.also_reported_by or []:
        if isinstance(other, dict):
            name = other.get("source") or other.get("url") or other.get("id") or ""
        else:
            name = str(other)
        if name and name not in out:
            out.append(str(name))
    return out
