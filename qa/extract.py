"""Extractive answering: supporting sentences, answer spans by answer type, and exact citations.

Usage:
    extractor = SpanExtractor(SpacyParser.load())
    passages = build_passages(hits, articles)            # hits whose chunk matches its article text
    q = QuestionAnalyzer(parser).analyze(question)
    result = extractor.extract(q, passages)              # Extraction(answer, support, confidence, ...)
    citations = CitationBuilder().build(result.support)  # quote == article.text[start:end]

Sentences are scored cheaply (stems, no model) over all top passages; spaCy NER runs only over the
few best sentences. A candidate span earns credit from its sentence's score, its closeness to the
matched question terms, and how many articles name it.
"""

from __future__ import annotations

import re
from collections import OrderedDict, defaultdict
from dataclasses import dataclass, field

from newsqa.types import Article, Citation, Hit
from qa.nlp import SpacyParser, normalize_text, split_sentences, stem, words
from qa.question import Question

WORD_SPAN_RE = re.compile(r"[A-Za-z0-9][A-Za-z0-9'’\-\.]*[A-Za-z0-9]|[A-Za-z0-9]")
# Publishers' names in datelines and credits ("New York (CNN Business)") are never the answer.
_PUBLISHERS = frozenset(
    {"cnn", "cnn business", "usa today", "week", "associated press", "ap", "reuters", "getty images"}
)
_DATELINE_RE = re.compile(r"^[A-Z][A-Za-z .,'’]{0,40}\((?:CNN|AP|Reuters)[^)]*\)\s*[—–-]*\s*")
_YEAR_RE = re.compile(r"\b(1[5-9]\d\d|20\d\d)s?\b")
_NUMBER_RE = re.compile(
    r"\d|\b(one|two|three|four|five|six|seven|eight|nine|ten|eleven|twelve|dozen|hundred|thousand|million|billion)\b",
    re.IGNORECASE,
)
# Leading titles dropped from names ("Defence Lloyd J. Austin" -> "Lloyd J. Austin").
_TITLE_WORDS = frozenset(
    [
        "president",
        "minister",
        "secretary",
        "defence",
        "defense",
        "national",
        "captain",
        "capt",
        "gov",
        "gov.",
        "governor",
        "sen",
        "sen.",
        "senator",
        "rep",
        "rep.",
        "dr",
        "dr.",
        "mr",
        "mr.",
        "mrs",
        "mrs.",
        "ms",
        "ms.",
        "prime",
        "deputy",
        "chief",
        "general",
        "gen",
        "gen.",
        "judge",
        "justice",
        "king",
        "queen",
        "prince",
        "princess",
        "pope",
        "sir",
        "lady",
        "lord",
        "foreign",
        "interior",
        "finance",
        "health",
        "former",
        "press",
        "spokesperson",
        "spokesman",
        "spokeswoman",
        "coach",
        "ceo",
        "founder",
        "lt",
        "lt.",
        "col",
        "col.",
        "sgt",
        "sgt.",
        "officer",
        "director",
        "chairman",
    ]
)
_NAME_PARTICLES = frozenset({"bin", "al", "de", "van", "von", "da", "del", "la", "le", "di", "ibn"})
_PRONOUNS = frozenset(
    [
        "he",
        "she",
        "they",
        "it",
        "we",
        "i",
        "you",
        "him",
        "her",
        "them",
        "his",
        "its",
        "their",
        "this",
        "that",
        "these",
        "those",
    ]
)
# spaCy label weights inside a kind: "who" prefers people to organisations to nationalities.
_LABEL_PREFERENCE = {"PERSON": 1.0, "ORG": 0.85, "NORP": 0.6, "GPE": 1.0, "LOC": 0.9, "FAC": 0.8}


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
        self._cache: OrderedDict[tuple[str, int, int], tuple[list[tuple[int, int]], list[set[str]]]] = (
            OrderedDict()
        )
        self._cache_size = cache_size

    def passage(self, hit: Hit, article: Article, rank: int) -> Passage:
        key = (hit.chunk.id, hit.chunk.start, hit.chunk.end)
        cached = self._cache.get(key)
        if cached is None:
            base = hit.chunk.start
            spans = [(base + s, base + e) for s, e in split_sentences(hit.chunk.text)]
            stems = [{stem(w) for w in words(article.text[s:e])} for s, e in spans]
            cached = (spans, stems)
            self._cache[key] = cached
            if len(self._cache) > self._cache_size:
                self._cache.popitem(last=False)
        else:
            self._cache.move_to_end(key)
        return Passage(hit=hit, article=article, rank=rank, sentences=cached[0], sentence_stems=cached[1])


def sentence_scores(question: Question, passages: list[Passage]) -> list[_Sentence]:
    """Every sentence of the passages scored by weighted question-term coverage, best first."""
    total = sum(question.weights.values()) or 1.0
    out: list[_Sentence] = []
    for p in passages:
        prior = 1.0 / (1.0 + 0.08 * p.rank)
        title_stems = {stem(w) for w in words(p.article.title)}
        title_cov = sum(w for s, w in question.weights.items() if s in title_stems) / total
        for i, stems in enumerate(p.sentence_stems):
            cov = sum(w for s, w in question.weights.items() if s in stems) / total
            if cov <= 0:
                continue
            score = cov * (0.75 + 0.25 * prior) + 0.1 * title_cov
            out.append(_Sentence(passage=p, index=i, score=score, coverage=cov))
    out.sort(key=lambda s: -s.score)
    return out


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

    def extract(self, question: Question, passages: list[Passage]) -> Extraction:
        ranked = _dedupe(sentence_scores(question, passages))
        if not ranked:
            return Extraction(answer="", support=[], confidence=0.0)
        best = ranked[0]
        closest = [Evidence(s.passage, s.start, s.end, s.score) for s in ranked[:3]]
        if question.typed:
            span = self._best_span(question, ranked[: self.max_sentences])
            if span is not None:
                answer, evidence, confidence = span
                return Extraction(answer, evidence, confidence, span=True, closest=closest)
        sentence = Evidence(best.passage, best.start, best.end, best.score)
        text = best.passage.article.text[best.start : best.end]
        return Extraction(text, [sentence], _confidence(best.coverage, 0.0, 1), closest=closest)

    def _best_span(
        self, question: Question, ranked: list[_Sentence]
    ) -> tuple[str, list[Evidence], float] | None:
        targets: list[tuple[_Sentence, int, float]] = []  # (sentence, sentence index to read, discount)
        for s in ranked:
            targets.append((s, s.index, 1.0))
        if self.window:
            for s in ranked[:3]:
                if s.index + 1 < len(s.passage.sentences):
                    targets.append((s, s.index + 1, 0.6))
        texts = [s.passage.article.text[slice(*s.passage.sentences[i])] for s, i, _ in targets]
        docs = self.parser.parse_many(texts)
        # candidate key -> list of (score, sentence, doc index, char start, char end)
        found: dict[str, list[tuple[float, _Sentence, int, int, int]]] = defaultdict(list)
        for k, ((s, _idx, discount), doc) in enumerate(zip(targets, docs, strict=True)):
            matched = matched_positions(question, doc.text)
            dateline = _DATELINE_RE.match(doc.text)
            skip_before = dateline.end() if dateline else 0
            spans = [(e.start_char, e.end_char, e.label_) for e in doc.ents if e.label_ in question.labels]
            if "PERSON" in question.labels:
                taken = [(a, b) for a, b, _ in spans]
                spans += [(a, b, "NAME") for a, b in _capitalised_runs(doc) if not _overlaps(a, b, taken)]
            for start, end, label in spans:
                if start < skip_before:
                    continue
                start, end = _strip_titles(doc.text, start, end, label)
                start, end = _extend_time(doc.text, start, end, label)
                text = _trim(doc.text[start:end])
                if label == "NAME" and text.split()[-1].lower() in _TITLE_WORDS | {"us", "u.s."}:
                    continue
                if not _acceptable(question, text):
                    continue
                prox = proximity(matched, start, end)
                pref = _LABEL_PREFERENCE.get(label, 1.0)
                if question.target and normalize_text(text).split()[-1:] == [question.target.lower()]:
                    pref *= 1.3  # "which command" -> "US Central Command"
                score = s.score * discount * pref * (0.55 + 0.45 * prox)
                key = normalize_text(text)
                found[key].append((score, s, k, start, end))
        if not found:
            return None
        totals = {key: _aggregate(items) for key, items in found.items()}
        # A short form ("Urban") supports its long form ("Bill Urban") found elsewhere.
        for key in list(totals):
            toks = set(key.split())
            for other, val in list(totals.items()):
                if other != key and set(other.split()) < toks:
                    totals[key] += 0.5 * val
        best_key = max(totals, key=lambda k: totals[k])
        items = sorted(found[best_key], key=lambda it: -it[0])
        score, s, k, cs, ce = items[0]
        idx = targets[k][1]
        sent_start = s.passage.sentences[idx][0]
        if idx != s.index:  # the answer sits in the next sentence: quote both
            ev_start, ev_end = s.start, s.passage.sentences[idx][1]
        else:
            ev_start, ev_end = s.start, s.end
        answer = s.passage.article.text[sent_start + cs : sent_start + ce]
        answer = _trim(answer)
        evidence = [Evidence(s.passage, ev_start, ev_end, score)]
        seen_articles = {s.passage.article.id}
        for sc, s2, k2, _, _ in items[1:]:
            if s2.passage.article.id in seen_articles:
                continue
            seen_articles.add(s2.passage.article.id)
            i2 = targets[k2][1]
            start2 = s2.start
            end2 = s2.passage.sentences[i2][1] if i2 != s2.index else s2.end
            evidence.append(Evidence(s2.passage, start2, end2, sc))
        confidence = _confidence(s.coverage, totals[best_key], len(seen_articles))
        return answer, evidence, confidence


def _capitalised_runs(doc: object) -> list[tuple[int, int]]:
    """Runs of two or more capitalised words (names spaCy's small model misses), as char offsets."""
    runs: list[tuple[int, int]] = []
    current: list[object] = []
    for tok in list(doc) + [None]:  # type: ignore[call-overload]
        if (
            tok is not None
            and tok.i > 0
            and (
                tok.text[:1].isupper()
                and tok.is_alpha
                or tok.text.lower() in _NAME_PARTICLES
                and current
                or (len(tok.text) == 2 and tok.text[1] == "." and tok.text[0].isupper() and current)
            )
        ):
            current.append(tok)
            continue
        while current and current[-1].text.lower() in _NAME_PARTICLES:  # type: ignore[attr-defined]
            current.pop()
        if len(current) >= 2:
            first, last = current[0], current[-1]
            runs.append((first.idx, last.idx + len(last.text)))  # type: ignore[attr-defined]
        current = []
    return runs


def _overlaps(a: int, b: int, spans: list[tuple[int, int]]) -> bool:
    return any(a < y and x < b for x, y in spans)


def _strip_titles(text: str, start: int, end: int, label: str) -> tuple[int, int]:
    if label not in ("PERSON", "NAME", "ORG"):
        return start, end
    while True:
        m = re.match(r"\S+\s+", text[start:end])
        if not m or text[start : start + len(m.group())].strip().lower() not in _TITLE_WORDS:
            return start, end
        if label == "ORG" and end - start - len(m.group()) < 3:
            return start, end
        start += len(m.group())


_TIME_PREFIX_RE = re.compile(r"(?:late|early|earlier|later)\s+(?:on\s+|in\s+)?$", re.IGNORECASE)


def _extend_time(text: str, start: int, end: int, label: str) -> tuple[int, int]:
    """ "Friday" -> "late on Friday" when the sentence says so."""
    if label not in ("DATE", "TIME"):
        return start, end
    m = _TIME_PREFIX_RE.search(text[max(0, start - 20) : start])
    return (start - len(m.group()), end) if m else (start, end)


def _acceptable(question: Question, text: str) -> bool:
    """Rules out spans that cannot answer: pronouns, publishers, the question's own words, wrong form."""
    if not text or text.lower() in _PRONOUNS or normalize_text(text) in _PUBLISHERS:
        return False
    if question.contains(text) or question.overlap_share(text) >= 0.5:
        return False
    if question.target in ("year", "decade", "century") and not _YEAR_RE.search(text):
        return False
    return not (question.kind == "how_many" and not _NUMBER_RE.search(text))


def _aggregate(items: list[tuple[float, _Sentence, int, int, int]]) -> float:
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
    return [m.start() for m in WORD_SPAN_RE.finditer(text) if stem(m.group()) in question.weights]


def proximity(matched: list[int], start: int, end: int) -> float:
    """1 next to a matched question term, falling with the distance in characters."""
    if not matched:
        return 0.0
    dist = min(0 if start <= m < end else min(abs(m - end), abs(start - m)) for m in matched)
    return 1.0 / (1.0 + dist / 40.0)


def _trim(text: str) -> str:
    text = text.strip().strip(",;:").strip()
    if text.endswith("'s") or text.endswith("’s"):
        text = text[:-2]
    return text


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
