"""Extractive answering: supporting sentences, answer spans by answer type, and exact citations.

Usage:
    extractor = SpanExtractor(SpacyParser.load())
    sentences = SentenceIndex()
    passages = [sentences.passage(hit, article, rank) for rank, (hit, article) in enumerate(pairs)]
    q = QuestionAnalyzer(parser).analyze(question)
    result = extractor.extract(q, passages)              # Extraction(answer, support, confidence, ...)
    citations = CitationBuilder().build(result.support)  # quote == article.text[start:end]

Sentences are scored cheaply (stems, no model) over all top passages; spaCy NER runs only over the
few best sentences. A candidate span earns credit from its sentence's score, its closeness to the
matched question terms, and how many articles name it.
"""

from __future__ import annotations

import re
from collections import defaultdict
from collections.abc import Sequence
from dataclasses import dataclass, field
from datetime import date
from typing import Any, NamedTuple

from newsqa.types import Article, Citation, Hit
from qa.answering.candidates import (
    DATELINE_RE,
    NUMBER_RE,
    containments,
    find_candidates,
    sole_new_name,
    trim_span,
)
from qa.question.question import Question
from qa.text.lru import LRU
from qa.text.nlp import (
    STOPWORDS,
    SpacyParser,
    doc_text,
    normalize_text,
    split_sentences,
    stem,
    text_stems,
    word_stems,
)

WORD_SPAN_RE = re.compile(r"[A-Za-z0-9][A-Za-z0-9'’\-\.]*[A-Za-z0-9]|[A-Za-z0-9]")
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
# A place the text never calls by the asked noun, when another one is ("the Nangarhar province").
NOT_CALLED_FACTOR = 0.4
# A candidate the article's headline names, times the share of the question the headline covers.
TITLE_WEIGHT = 2.0
# A candidate that answered an earlier turn of the conversation: the follow-up asks something else.
EARLIER_ANSWER_FACTOR = 0.5
# Per name of the question ("Congress") that the answering article never mentions.
MISSING_NAME_FACTOR = 0.75
# The story's opening sentence, read for each passage read that opens its article.
LEAD_DISCOUNT = 0.8
# A mention in an article RECENCY_DAYS older than the newest one read weighs 1 - RECENCY_WEIGHT / 2.
RECENCY_WEIGHT = 0.3
RECENCY_DAYS = 30.0


@dataclass
class Passage:
    """A retrieved chunk with its article; sentences are (start, end) offsets into `article.text`."""

    hit: Hit
    article: Article
    rank: int
    sentences: list[tuple[int, int]]
    sentence_stems: list[set[str]]


@dataclass
class Evidence:
    """A stretch of an article that supports the answer: article.text[start:end] is the quote."""

    passage: Passage
    start: int
    end: int
    score: float


@dataclass
class Extraction:
    """The answer text, the evidence behind it (best first) and a confidence in [0, 1]."""

    answer: str
    support: list[Evidence]
    confidence: float
    span: bool = False  # the answer is a span inside support[0], not the sentence itself
    closest: list[Evidence] = field(default_factory=list)


@dataclass
class _Sentence:
    passage: Passage
    index: int
    score: float
    coverage: float

    @property
    def start(self) -> int:
        return self.passage.sentences[self.index][0]

    @property
    def end(self) -> int:
        return self.passage.sentences[self.index][1]


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


def sentence_scores(question: Question, passages: list[Passage]) -> list[_Sentence]:
    """Every sentence of the passages scored by weighted question-term coverage, best first."""
    total = sum(question.weights.values()) or 1.0
    out: list[_Sentence] = []
    for p in passages:
        prior = 1.0 / (1.0 + 0.08 * p.rank)
        title_stems = text_stems(p.article.title)
        title_cov = sum(w for s, w in question.weights.items() if s in title_stems) / total
        for i, stems in enumerate(p.sentence_stems):
            cov = sum(w for s, w in question.weights.items() if s in stems) / total
            if cov <= 0 or _is_question(p.article.text, *p.sentences[i]):
                continue
            score = cov * (0.75 + 0.25 * prior) + 0.1 * title_cov
            out.append(_Sentence(passage=p, index=i, score=score, coverage=cov))
    out.sort(key=lambda s: -s.score)
    return out


# "...denied an affair with who?", "...convictions for what charge?", "...was trying to:": the answer
# follows the question's last words.
_CLOZE_END = re.compile(
    r"\b(?:(?:what|which)(?:\s+[a-z]+)?|who|whom|where|when|how (?:many|much))\s*\?\s*$|:\s*$", re.I
)
_LINKING = frozenset(
    {"with", "as", "to", "since", "in", "of", "for", "by", "from", "on", "at", "about", "against"}
    | {"into", "than", "like"}
)
_SPAN_STOP = re.compile(r"[,;:!?()\[\]—–]|\.(?=\s|$)|\s[-–]\s")
_ASKS_SUBJECT = re.compile(
    r"\s*(?:this|these)\s+(?!(?:past\s+)?(?:week|weekend|month|year|summer|fall|autumn|winter|spring)\b)",
    re.I,
)
# Words that end the blank's filler: what follows them adds circumstances ("18.83 inches on Jan. 19").
_FILLER_ENDS = frozenset(
    ["on", "by", "at", "in", "after", "before", "during", "since", "from", "when", "while", "which", "who"]
    + ["that", "because", "and", "but"]
)
_CLOZE_SENTENCES = 3
_CLOZE_MAX_WORDS = 8


def _cloze_context(question: str) -> list[str] | None:
    """Stems of the words the answer should follow: the last word before the blank, and the one before
    it when that last word only links ("affair with", "known as"); None for other questions."""
    m = _CLOZE_END.search(question.strip())
    if m is None or _ASKS_SUBJECT.match(question):  # "This fashion house drew backlash ...:" asks who
        return None
    before = WORD_SPAN_RE.findall(question[: m.start()])
    if not before:
        return None
    n = 2 if before[-1].lower() in _LINKING and len(before) > 1 else 1
    if before[-n].lower() in STOPWORDS and before[-n].lower() not in _LINKING:
        return None
    return [stem(w) for w in before[-n:]]


def _cloze_answer(question: str, sentences: list[_Sentence]) -> tuple[_Sentence, int, int] | None:
    """(sentence, start, end) of the words right after the question's context in the best sentence
    that has it, up to the next punctuation."""
    context = _cloze_context(question)
    if not context:
        return None
    for s in sentences:
        text = s.passage.article.text
        tokens = list(WORD_SPAN_RE.finditer(text, s.start, s.end))
        stems = [stem(t.group()) for t in tokens]
        for i in range(len(tokens) - len(context)):
            if stems[i : i + len(context)] != context:
                continue
            start = tokens[i + len(context)].start()
            stop = _SPAN_STOP.search(text, start, s.end)
            end = min(stop.start() if stop else s.end, s.end)
            words_after = [t for t in tokens[i + len(context) :] if t.end() <= end][:_CLOZE_MAX_WORDS]
            cut = next(
                (k for k, t in enumerate(words_after) if k and t.group().lower() in _FILLER_ENDS), None
            )
            words_after = words_after[:cut]
            if not words_after:
                continue
            end = words_after[-1].end()
            piece = text[start:end]
            opened = piece.find("“") if "”" not in piece else -1
            if opened < 0 and piece.count('"') % 2:
                opened = piece.find('"')
            if opened >= 0:  # the quotation runs on past the span: quote the words inside it only
                start += opened + 1
            return s, start, end
    return None


def _is_question(text: str, start: int, end: int) -> bool:
    """A sentence that asks (news quizzes repeat the very question, with every choice) answers nothing."""
    return text[start:end].rstrip(" \t\n\"'”’)]").endswith("?")


def _dedupe(sentences: list[_Sentence]) -> list[_Sentence]:
    seen: set[str] = set()
    out = []
    for s in sentences:
        key = normalize_text(s.passage.article.text[s.start : s.end])
        if key in seen:
            continue
        seen.add(key)
        out.append(s)
    return out


class _Target(NamedTuple):
    """A sentence read for spans: `sentence` (ranked) and the index of the one read, with a discount."""

    sentence: _Sentence
    index: int
    discount: float


class _SpanHit(NamedTuple):
    """One candidate found in a target: its score, the ranked sentence, the target's position in the
    list read, and its char offsets inside the sentence read."""

    score: float
    sentence: _Sentence
    target: int
    start: int
    end: int


@dataclass
class _FoundSpans:
    """The candidates of every target, keyed by normalised text, and what scoring needs of them."""

    found: dict[str, list[_SpanHit]] = field(default_factory=lambda: defaultdict(list))
    fits: dict[tuple[int, int], float] = field(default_factory=dict)  # (target, start) -> fit
    explicit: set[str] = field(default_factory=set)  # called what the question asks ("Nangarhar province")
    contained: set[tuple[str, str]] = field(default_factory=set)  # (specific, container) pairs


def _score_spans(question: Question, targets: list[_Target], docs: Sequence[Any]) -> _FoundSpans:
    spans = _FoundSpans()
    for k, (target, doc) in enumerate(zip(targets, docs, strict=True)):
        s, discount = target.sentence, target.discount
        matched = matched_positions(question, doc_text(doc))
        stems = s.passage.sentence_stems[s.index] | s.passage.sentence_stems[target.index]
        verbs = _verb_support(question, stems)
        candidates = find_candidates(question, doc)
        spans.contained.update(containments(question, doc_text(doc), candidates))
        for cand in candidates:
            prox = proximity(matched, cand.start, cand.end)
            score = s.score * discount * cand.pref * verbs * (0.55 + 0.45 * prox)
            if f" {normalize_text(cand.text)} " in f" {normalize_text(s.passage.article.title)} ":
                # the headline names it and is about the question: often the story's answer
                score *= 1.0 + TITLE_WEIGHT * _title_coverage(question, s.passage.article)
            spans.found[normalize_text(cand.text)].append(_SpanHit(score, s, k, cand.start, cand.end))
            if cand.explicit:
                spans.explicit.add(normalize_text(cand.text))
            spans.fits[(k, cand.start)] = cand.fit * verbs**0.5
    return spans


def _candidate_totals(question: Question, spans: _FoundSpans) -> dict[str, float]:
    """Each candidate's total over its mentions, after the rules that move credit between them."""
    totals = {key: _aggregate(items) for key, items in spans.found.items()}
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


class SpanExtractor:
    """Picks the answer span (or sentence) for an analysed question from ranked passages.

    `max_sentences` bounds spaCy work per question; `window` also reads the sentence after each
    candidate sentence, for answers that span two sentences.
    """

    def __init__(self, parser: SpacyParser, max_sentences: int = 6, window: bool = True) -> None:
        if max_sentences < 1:
            raise ValueError(f"max_sentences must be >= 1, got {max_sentences}")
        self.parser = parser
        self.max_sentences = max_sentences
        self.window = window
        self._article_stems: LRU[str, set[str]] = LRU(256)

    def extract(self, question: Question, passages: list[Passage]) -> Extraction:
        result = self._extract(question, passages)
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

    def _extract(self, question: Question, passages: list[Passage]) -> Extraction:
        ranked = _dedupe(sentence_scores(question, passages))
        if not ranked:
            return Extraction(answer="", support=[], confidence=0.0)
        best = ranked[0]
        closest = [Evidence(s.passage, s.start, s.end, s.score) for s in ranked[:3]]
        confidence = _confidence(best.coverage, 0.0, 1)
        cloze = _cloze_answer(question.text, ranked[:_CLOZE_SENTENCES])
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
            span = self._best_span(question, readable[: self.max_sentences], _openings(readable))
            if span is not None:
                answer, evidence, span_confidence = span
                return Extraction(answer, evidence, span_confidence, span=True, closest=closest)
            if question.role is not None or question.kind_of:
                # "the spokesman of the Taliban", "what type of drone": no sentence names one
                confidence *= UNTYPED_SUPPORT_FACTOR
            elif question.typed:
                confidence *= UNTYPED_SUPPORT_FACTOR if question.copular else NO_SPAN_FACTOR
            further = readable[self.max_sentences : 3 * self.max_sentences]
            span = self._best_span(question, further) if further else None
            if span is not None and span[2] >= confidence:
                # none of the best sentences names such a thing, a lower one does, and better
                # than the best sentence answers the question
                return Extraction(span[0], span[1], span[2], span=True, closest=closest)
        end = _continuation_end(question, best)
        sentence = Evidence(best.passage, best.start, end, best.score)
        text = best.passage.article.text[best.start : end]
        if question.phrase and not question.labels and not question.kind_of:
            name = sole_new_name(question, self.parser.parse(text))
            if name is not None:  # "which beverage": the sentence names one thing, "Sprite"
                return Extraction(name, [sentence], confidence, span=True, closest=closest)
        return Extraction(without_credit(text), [sentence], confidence, closest=closest)

    def _best_span(
        self, question: Question, ranked: list[_Sentence], openings: Sequence[_Sentence] = ()
    ) -> tuple[str, list[Evidence], float] | None:
        """The best candidate span in the `ranked` sentences (and, with `window`, the sentences around
        them and the first sentence of each passage in `openings`)."""
        targets = self._read_targets(question, ranked, openings)
        texts = [
            t.sentence.passage.article.text[slice(*t.sentence.passage.sentences[t.index])] for t in targets
        ]
        spans = _score_spans(question, targets, self.parser.parse_many(texts))
        if not spans.found:
            return None
        _prefer_recent(spans.found)
        totals = _candidate_totals(question, spans)
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
        return answer, evidence, confidence

    def _read_targets(
        self, question: Question, ranked: list[_Sentence], openings: Sequence[_Sentence]
    ) -> list[_Target]:
        """The sentences to read for spans: the ranked ones, and with `window` their neighbours and
        the stories' opening sentences, each with its discount."""
        targets = [_Target(s, s.index, 1.0) for s in ranked]
        if not self.window:
            return targets
        for s in ranked[:3]:
            if s.index + 1 < len(s.passage.sentences):
                targets.append(_Target(s, s.index + 1, 0.6))
        if question.kind == "who":  # "... asked to allow these people": the people are named before
            for s in ranked[:2]:
                if s.index > 0:
                    targets.append(_Target(s, s.index - 1, 0.5))
        # A story's first sentence says who, what and where ("... after a powerful earthquake
        # struck the northern Philippines"); sentences further down say "the country".
        read = {(t.sentence.passage.hit.chunk.id, t.index): n for n, t in enumerate(targets)}
        for s in openings:
            n = read.get((s.passage.hit.chunk.id, 0))
            if n is None:
                targets.append(_Target(s, 0, LEAD_DISCOUNT))
            elif targets[n].sentence.score * targets[n].discount < s.score * LEAD_DISCOUNT:
                # "Subway is launching a new menu" read on its own scores low; it is the lead of
                # "... a refreshed menu board in its roughly 21,000 US restaurants": read it as such
                targets[n] = _Target(s, 0, LEAD_DISCOUNT)
        return targets

    def _answer_evidence(self, question: Question, best: _SpanHit, idx: int) -> tuple[str, list[Evidence]]:
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
        """A one-word name answer ("Gorbachev", "Braves") as the article first writes it in full
        ("Mikhail Gorbachev", "Atlanta Braves"), with the sentence that does: (name, start, end).
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


def _openings(ranked: list[_Sentence]) -> list[_Sentence]:
    """The best sentence of each passage that opens its article: its first sentence is read with it."""
    out: dict[str, _Sentence] = {}
    for s in ranked:
        if s.passage.hit.chunk.n == 0:
            out.setdefault(s.passage.hit.chunk.id, s)
    return list(out.values())


def _published_day(article: Article) -> date | None:
    try:
        return date.fromisoformat(article.published[:10]) if article.published else None
    except ValueError:
        return None


def _prefer_recent(found: dict[str, list[_SpanHit]]) -> None:
    """Mentions in older articles than the newest one read count less: news moves on ("$965
    million" in October's verdict over "$4 million" in August's). Undated articles are not discounted."""
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
            weighted.append(hit._replace(score=hit.score * factor))
        found[key] = weighted


def _recency_factor(days_older: int) -> float:
    return 1.0 - RECENCY_WEIGHT + RECENCY_WEIGHT / (1.0 + days_older / RECENCY_DAYS)


def _title_coverage(question: Question, article: Article) -> float:
    total = sum(question.weights.values()) or 1.0
    stems = text_stems(article.title)
    return sum(w for s, w in question.weights.items() if s in stems) / total


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


def _continuation_end(question: Question, best: _Sentence) -> int:
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


def _verb_support(question: Question, stems: set[str]) -> float:
    """1 when the sentence has the question's verbs ("died" ~ "killed"), down to 0.6 when it has none."""
    if not question.verbs:
        return 1.0
    return 0.6 + 0.4 * len(question.verbs & stems) / len(question.verbs)


def _aggregate(items: list[_SpanHit]) -> float:
    """The best mention plus a share of the best mention in each other article (agreement)."""
    per_article: dict[str, float] = {}
    for score, s, *_ in items:
        aid = s.passage.article.id
        per_article[aid] = max(per_article.get(aid, 0.0), score)
    ordered = sorted(per_article.values(), reverse=True)
    extra = sum(v for v, _ in zip(ordered[1:], range(4), strict=False))
    mentions = len(items) - len(per_article)
    return ordered[0] + 0.35 * extra + 0.05 * min(mentions, 4) * ordered[0]


def _confidence(coverage: float, span_score: float, n_articles: int) -> float:
    return min(1.0, 0.7 * coverage + 0.3 * min(span_score, 1.0) + 0.03 * (n_articles - 1))


def matched_positions(question: Question, text: str) -> list[int]:
    return [
        m.start()
        for m in WORD_SPAN_RE.finditer(text)
        if any(s in question.weights for s in word_stems(m.group()))
    ]


def proximity(matched: list[int], start: int, end: int) -> float:
    """1 next to a matched question term, falling with the distance in characters."""
    if not matched:
        return 0.0
    dist = min(0 if start <= m < end else min(abs(m - end), abs(start - m)) for m in matched)
    return 1.0 / (1.0 + dist / 40.0)


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
            by_quote[norm] = cit
            citations.append(cit)
        return citations


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
