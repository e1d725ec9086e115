"""`Answerer.ask`: the one code path behind the CLI, `/ask`, the UI and eval.

Usage:
    answerer = build_answerer(Settings())     # qa.build
    answer = answerer.ask("Who is the spokesperson for the US Central Command?", as_of="2021-08-28")
    answer.answer, answer.citations[0].quote          # "Bill Urban", "“US military forces ... said ..."
    for event in answerer.ask_stream("...", mode="extractive"): ...   # token events, then the answer

Flow: check input (`qa.plan`) -> rewrite a follow-up -> search (as_of, filters) -> fetch articles ->
extract an answer span / pick a choice / generate -> cite exact quotes -> abstain when support is
too weak.
"""

from __future__ import annotations

import re
import time
from collections.abc import Callable, Iterator
from dataclasses import replace
from datetime import date
from typing import TYPE_CHECKING, Any, Literal

from newsqa.errors import InvalidInput
from newsqa.types import Answer, AnswerEvent, Article, Filters, Hit, QueryInfo, StreamEvent, TokenEvent
from qa.answering.answer_model import AnswerModel, answer_features
from qa.answering.choices import ChoicePicker
from qa.answering.extract import (
    CitationBuilder,
    Evidence,
    Extraction,
    Passage,
    SentenceIndex,
    SpanExtractor,
)
from qa.answering.fit import AnswerFit
from qa.answering.present import readable_answer
from qa.answering.reading import ReaderStage
from qa.answering.span_model import SpanModel
from qa.answering.timeline import TimelineBuilder
from qa.cache import AnswerCache
from qa.notices import NOT_ENGLISH, not_said_message, nothing_found_message
from qa.plan import (
    MAX_TOP_K,
    AskRequest,
    CheckedRequest,
    QueryPlan,
    RequestLimits,
    check_request,
    clean_question,
)
from qa.question.language import looks_english
from qa.question.question import QuestionAnalyzer
from qa.question.rewrite import QueryRewriter, earlier_answers
from qa.retrieval.rerank import retrieval_support
from qa.text.furniture import FurnitureFilter
from qa.text.lru import LRU
from qa.text.nlp import SpacyParser

if TYPE_CHECKING:
    from qa.answering.generate import LLMClient
    from qa.retrieval.search import SearchPipeline, SearchResult

# Whether to answer: with the trained answer model (qa/answering/answer_model.py, `newsqa train`, on by
# default through Settings.use_answer_model, validated on the 2024 questions, docs/eval.md) the confidence
# is a calibrated probability that the answer is right and the model's trained thresholds decide. Without
# one, the hand-set rule: confidence >= DEFAULT_ABSTAIN_THRESHOLD and, with the reranker, a best passage
# scoring >= DEFAULT_MIN_RETRIEVAL_SCORE (x CHOICE_THRESHOLD_FACTOR with choices). First set on dev; a
# sweep on realtimeqa-2022-train picks 0.18 / 2.7, within noise of these (docs/eval.md, "Dev-only
# patches removed"). Settings may override either number.
DEFAULT_ABSTAIN_THRESHOLD = 0.20
DEFAULT_MIN_RETRIEVAL_SCORE = 2.7
CHOICE_THRESHOLD_FACTOR = 0.75
# Passages read for an answer beyond what is cited: candidates agreeing across articles need breadth.
_READ_PASSAGES = 10
_RETRIEVED_FOR_DEBUG = 20
# Full article texts kept in memory: passages quote them, and popular stories come back often.
_ARTICLE_CACHE_SIZE = 512
_WARM_UP_QUESTION = "Who is the spokesperson for the agency?"


class Answerer:
    """Answers questions over an `ArticleStore` with exact citations, or abstains.

    `answer_model`: a trained `AnswerModel`; its calibrated probability that the answer is right is
    the confidence, and its thresholds decide (None: the extractor's confidence and the hand-set rule).
    `abstain_threshold`: the confidence below which the answer is withheld (None: the model's decision,
    or DEFAULT_ABSTAIN_THRESHOLD); `min_retrieval_score`: a reranker score (`Hit.scores["rerank"]`) the
    best passage needs, or the answer is withheld (None: none with a model, else
    DEFAULT_MIN_RETRIEVAL_SCORE; not applied to retrieval modes without the reranker).
    `nlp`: a loaded spaCy pipeline or `SpacyParser` (None: load the model once here).
    `llm`: an `LLMClient` for `mode="generative"`.
    `answer_fit`: the subject/type fit check that withholds a free answer to another question (None:
    `AnswerFit()` with its default `FitWeights`).
    `reader`: the span reader's stage, which may take its span over the extractor's (qa/answering/reading.py).
    """

    def __init__(
        self,
        store: Any,
        embedder: Any,
        search: SearchPipeline,
        *,
        top_k: int = 5,
        abstain_threshold: float | None = None,
        min_retrieval_score: float | None = None,
        answer_model: AnswerModel | None = None,
        llm: LLMClient | None = None,
        nlp: Any = None,
        max_chars: int = 2000,
        answer_cache_size: int = 1024,
        answer_fit: AnswerFit | None = None,
        reader: ReaderStage | None = None,
        span_model: SpanModel | None = None,
    ) -> None:
        if not 1 <= top_k <= MAX_TOP_K:
            raise InvalidInput(f"top_k must be between 1 and {MAX_TOP_K}, got {top_k}")
        if abstain_threshold is not None and not 0.0 <= abstain_threshold <= 1.0:
            raise InvalidInput(f"abstain_threshold must be in [0, 1], got {abstain_threshold}")
        if max_chars < 1:
            raise InvalidInput(f"max_chars must be >= 1, got {max_chars}")
        self.store = store
        self.embedder = embedder
        self.search = search
        self.top_k = top_k
        self.abstain_threshold = abstain_threshold
        self.min_retrieval_score = min_retrieval_score
        self.answer_model = answer_model
        self.llm = llm
        self.max_chars = max_chars
        if nlp is None:
            parser = SpacyParser.load()
        elif isinstance(nlp, SpacyParser):
            parser = nlp
        else:
            parser = SpacyParser(nlp)
        self.parser = parser
        self.analyzer = QuestionAnalyzer(parser)
        self.extractor = SpanExtractor(parser, span_model=span_model)
        self.chooser = ChoicePicker()
        self.fit = answer_fit or AnswerFit()
        self.reader = reader
        self.rewriter = QueryRewriter(parser)
        self.citations = CitationBuilder()
        self.sentences = SentenceIndex()
        self.furniture = FurnitureFilter.load()
        self.timeline = TimelineBuilder(self.citations)
        self._articles: LRU[str, Article] = LRU(_ARTICLE_CACHE_SIZE)
        self.answer_cache = AnswerCache(answer_cache_size)

    # --- public ------------------------------------------------------------------------------

    def ask(
        self,
        question: str,
        *,
        history: list[dict] | None = None,
        as_of: str | date | None = None,
        filters: Filters | None = None,
        choices: list[str] | None = None,
        top_k: int | None = None,
        mode: Literal["extractive", "generative"] = "extractive",
        debug: bool = False,
    ) -> Answer:
        """Answer one question (or follow-up, given `history`) from the indexed articles.

        Extractive answers to a question asked before with the same options, over unchanged
        articles, come from `answer_cache` (timings then show `cache_lookup` only).
        """
        return self._answer(
            self._check(AskRequest(question, history, as_of, filters, choices, top_k, mode, debug))
        )

    def _answer(self, checked: CheckedRequest) -> Answer:
        """The answer to a checked request: from `answer_cache` when it holds one, else answered."""
        key = self._cache_key(checked)
        if key is not None:
            cached = self.answer_cache.get(key)
            if cached is not None:
                t0 = checked.t0
                cached.timings_ms = {
                    "retrieve": 0.0,
                    "answer": 0.0,
                    "cache_lookup": _ms(t0),
                    "total": _ms(t0),
                }
                return cached
        answer = self._ask(checked)
        if key is not None:
            self.answer_cache.put(key, answer)
        return answer

    def _cache_key(self, checked: CheckedRequest) -> Any:
        """The answer cache's key for an extractive, non-debug request over a versioned store; else None."""
        request = checked.request
        revision = getattr(self.store, "revision", None)
        if request.mode != "extractive" or request.debug or not isinstance(revision, int):
            return None
        return AnswerCache.key(
            revision,
            request.question,
            request.history,
            checked.day,
            request.filters,
            request.choices,
            checked.k,
        )

    def _ask(self, checked: CheckedRequest) -> Answer:
        plan = self._plan(checked)
        if not looks_english(plan.rewritten):
            return self._not_english(plan)
        result, timings = self._retrieve(plan)
        generate = None
        if plan.mode == "generative" and self.llm is not None:
            from qa.answering.generate import GenerativeAnswerer

            generator = GenerativeAnswerer(self.llm)
            generate = lambda passages: generator.answer(plan.rewritten, passages[: plan.k])  # noqa: E731
        return self._respond(plan, result, timings, generate=generate)

    def _check(self, request: AskRequest) -> CheckedRequest:
        """The request's inputs checked, once (`qa.plan.check_request`)."""
        return check_request(request, RequestLimits(self.top_k, self.max_chars, self.llm is not None))

    def _plan(self, checked: CheckedRequest) -> QueryPlan:
        """The checked request with its follow-up made stand-alone."""
        history = checked.request.history
        rewritten = self.rewriter.rewrite(checked.question, history) if history else checked.question
        return QueryPlan.of(checked, rewritten)

    def _not_english(self, plan: QueryPlan) -> Answer:
        return self._finish(
            Answer(NOT_ENGLISH, True, [], [], plan.query), {}, plan.t0, None, plan.debug, None
        )

    def _retrieve(self, plan: QueryPlan) -> tuple[SearchResult, dict[str, float]]:
        """The plan's passages, with the retrieval timings; the query notes the filters applied."""
        t1 = time.perf_counter()
        result = self.search.search(
            plan.rewritten, as_of=plan.day, filters=plan.request.filters, k=max(_RETRIEVED_FOR_DEBUG, plan.k)
        )
        timings = {"retrieve": _ms(t1)}
        for name, value in (result.timings_ms or {}).items():
            timings.setdefault(f"retrieve_{name}", round(float(value), 2))
        query = plan.query
        query.filters = result.filters.to_dict() if result.filters is not None else query.filters
        if result.time_window:
            query.filters.setdefault("time_window", list(result.time_window))
        return result, timings

    def _respond(
        self,
        plan: QueryPlan,
        result: SearchResult,
        timings: dict[str, float],
        *,
        generate: Callable[[list[Passage]], Extraction | None] | None = None,
    ) -> Answer:
        """Answer from the retrieved passages: a timeline or profile, a generated answer (`generate`;
        None from it falls back to the extractive answer on the same passages), a choice, or a span."""
        t2 = time.perf_counter()
        hits, query, choices = list(result.hits), plan.query, plan.choices
        if not hits:
            notice = nothing_found_message(self._store_stats(), plan.request.filters, result.time_window)
            answer = Answer(notice, True, [], [], query)
            timings["answer"] = _ms(t2)
            return self._finish(answer, timings, plan.t0, hits, plan.debug, 0.0)
        analysed = self.analyzer.analyze(plan.rewritten)
        if analysed.overview is not None and plan.mode == "extractive" and not choices:
            # "What happened with X?", "Who is X?": a dated timeline or profile across articles.
            passages = self._passages(hits[: self.timeline.weights.passages])
            answer = self.timeline.answer(analysed.overview, passages, query, result.time_window)
            timings["answer"] = _ms(t2)
            return self._finish(answer, timings, plan.t0, hits, plan.debug, answer.confidence)
        passages = self._passages(hits[: max(_READ_PASSAGES, plan.k)])
        if plan.request.history:
            analysed = replace(analysed, earlier_answers=earlier_answers(plan.request.history))
        extraction = generate(passages) if generate is not None else None
        options: list[dict[str, Any]] | None = None  # each option's features and probability, for debug
        if extraction is None and choices:
            picked = self.chooser.pick(analysed, passages, choices)
            extraction, options = picked.extraction, picked.options
        fit = None  # free extracted answers only: choices name the candidates themselves
        read: dict[str, Any] | None = None  # what the span reader did, for debug
        if extraction is None:
            extraction = self.furniture.trim(self.extractor.extract(analysed, passages, record=plan.debug))
            if self.reader is not None:
                chosen, read = self.reader.answer(analysed, passages, extraction)
                extraction = self.furniture.trim(chosen)
            fit = self.fit.assess(analysed, extraction)
        timed = bool(result.time_window)
        support = retrieval_support(hits, timed=timed, weights=self.search.weights)
        features = answer_features(extraction, hits, support, timed=timed)
        probability = self._confidence(extraction, features, choices is not None)
        fits = fit is None or fit.fits
        answer = self._to_answer(
            extraction, passages, query, plan.k, choices is not None, support, (probability, features), fits
        )
        timings["answer"] = _ms(t2)
        if plan.debug:
            answer.assessment = {
                "candidate": extraction.answer,
                "features": features,
                "fit": fit.features if fit is not None else {},
                "fits": fits,
                **({"reader": read} if read is not None else {}),
                **({"options": options} if options is not None else {}),
                **({"spans": extraction.candidates} if extraction.candidates else {}),
            }
        return self._finish(answer, timings, plan.t0, hits, plan.debug, probability)

    def ask_stream(
        self,
        question: str,
        *,
        history: list[dict] | None = None,
        as_of: str | date | None = None,
        filters: Filters | None = None,
        choices: list[str] | None = None,
        top_k: int | None = None,
        mode: Literal["extractive", "generative"] = "extractive",
        debug: bool = False,
    ) -> Iterator[StreamEvent]:
        """`TokenEvent`s, then one `AnswerEvent`.

        Generative mode streams the model's tokens as they come; the final answer event holds only
        the sentences that survived the support check and is the one to keep.
        """
        checked = self._check(AskRequest(question, history, as_of, filters, choices, top_k, mode, debug))
        if mode == "generative" and self.llm is not None:
            yield from self._stream_generative(checked)
            return
        answer = self._answer(checked)  # extractive: a generative request without an LLM was refused
        for piece in re.findall(r"\S+\s*", answer.answer):
            yield TokenEvent(piece)
        yield AnswerEvent(answer)

    def clean_question(self, question: str) -> str:
        """Control characters out, whitespace collapsed; empty or too long -> InvalidInput."""
        return clean_question(question, self.max_chars)

    def warm_up(self) -> None:
        """Load lazily initialised model state: one query embedding and one spaCy parse."""
        embed = getattr(self.embedder, "embed_query", None)
        if callable(embed):
            embed("warm up")
        self.analyzer.analyze(_WARM_UP_QUESTION)
        self.parser.parse_many(["The warm-up sentence names Jane Doe of Acme Corp. in Paris on Monday."])

    # --- internals ---------------------------------------------------------------------------

    def _stream_generative(self, checked: CheckedRequest) -> Iterator[StreamEvent]:
        """The model's tokens as it writes, then the answer built from the same plan and passages."""
        from qa.answering.generate import GenerativeAnswerer

        plan = self._plan(checked)
        if not looks_english(plan.rewritten):
            yield AnswerEvent(self._not_english(plan))
            return
        result, timings = self._retrieve(plan)
        passages = self._passages(list(result.hits)[: max(_READ_PASSAGES, plan.k)])
        generated: Extraction | None = None
        if passages:
            for kind, value in GenerativeAnswerer(self.llm).stream(plan.rewritten, passages[: plan.k]):  # type: ignore[arg-type]
                if kind == "token":
                    yield TokenEvent(str(value))
                else:
                    generated = value  # type: ignore[assignment]
        if generated is None:  # nothing kept from the draft: extractive, over the same passages
            plan = replace(plan, request=replace(plan.request, mode="extractive"))
        yield AnswerEvent(self._respond(plan, result, timings, generate=lambda _: generated))

    def _passages(self, hits: list[Hit]) -> list[Passage]:
        """Hits paired with their article; a hit whose chunk no longer matches its article is dropped."""
        self._prefetch_articles([h.chunk.article_id for h in hits])
        out: list[Passage] = []
        for hit in hits:
            article = self._article(hit.chunk.article_id)
            if article is None or article.text[hit.chunk.start : hit.chunk.end] != hit.chunk.text:
                self._articles.pop(hit.chunk.article_id, None)
                article = self._article(hit.chunk.article_id)
                if article is None or article.text[hit.chunk.start : hit.chunk.end] != hit.chunk.text:
                    continue
            # Captions, credits, "JUST WATCHED" blocks and the like never answer: dropped here.
            out.append(self.furniture.strip(self.sentences.passage(hit, article, rank=len(out))))
        return out

    def _prefetch_articles(self, article_ids: list[str]) -> None:
        missing = [aid for aid in dict.fromkeys(article_ids) if aid not in self._articles]
        get_many = getattr(self.store, "get_articles", None)
        if not missing or get_many is None:
            return
        for aid, article in get_many(missing).items():
            self._articles.put(aid, article)

    def _article(self, article_id: str) -> Article | None:
        article = self._articles.get(article_id)
        if article is None:
            article = self.store.get_article(article_id)
            if article is None:
                return None
            self._articles.put(article_id, article)
        return article

    def _confidence(self, ex: Extraction, features: dict[str, float | None], with_choices: bool) -> float:
        if self.answer_model is None:
            return ex.confidence
        return self.answer_model.probability(features, with_choices=with_choices)

    def _confident(
        self,
        confidence: float,
        features: dict[str, float | None],
        with_choices: bool,
        retrieval_support: float | None,
    ) -> bool:
        """Whether the answer is supported well enough to give (see the module constants)."""
        factor = 1.0
        floor, threshold = self.min_retrieval_score, self.abstain_threshold
        if self.answer_model is None:
            factor = CHOICE_THRESHOLD_FACTOR if with_choices else 1.0
            floor = DEFAULT_MIN_RETRIEVAL_SCORE if floor is None else floor
            threshold = DEFAULT_ABSTAIN_THRESHOLD if threshold is None else threshold
        if floor is not None and retrieval_support is not None and retrieval_support < floor * factor:
            return False
        if threshold is None:
            return self.answer_model.answers(features, with_choices=with_choices)  # type: ignore[union-attr]
        return confidence >= threshold * factor

    def _to_answer(
        self,
        ex: Extraction,
        passages: list[Passage],
        query: QueryInfo,
        k: int,
        with_choices: bool,
        retrieval_support: float | None,
        judged: tuple[float, dict[str, float | None]],
        fits: bool = True,
    ) -> Answer:
        """`judged`: the confidence (the model's probability, else the extractor's) and the features;
        `fits`: the answer fits the question's subject and type (`qa.answering.fit`), else it is withheld."""
        probability, features = judged
        supported = (
            bool(ex.support)
            and fits
            and self._confident(probability, features, with_choices, retrieval_support)
        )
        if not supported:
            related_ev = ex.closest or [
                Evidence(p, *p.sentences[0], p.hit.score) for p in passages[:3] if p.sentences
            ]
            related = self.citations.build(related_ev, limit=3)
            return Answer(not_said_message(query.rewritten), True, [], related, query)
        citations = self.citations.build(ex.support, limit=k)
        cited = {c.article_id for c in citations}
        related: list[Evidence] = []
        for p in passages:
            if p.article.id in cited or not p.sentences or len(related) >= 3:
                continue
            cited.add(p.article.id)
            related.append(Evidence(p, p.hit.chunk.start, p.hit.chunk.end, p.hit.score))
        related_citations = self.citations.build(related, start_n=len(citations) + 1)
        return Answer(ex.answer, False, citations, related_citations, query)

    def _finish(
        self,
        answer: Answer,
        timings: dict[str, float],
        t0: float,
        hits: list[Hit] | None,
        debug: bool,
        confidence: float | None,
    ) -> Answer:
        timings.setdefault("retrieve", 0.0)
        timings.setdefault("answer", 0.0)
        timings["total"] = _ms(t0)
        answer.timings_ms = timings
        answer.confidence = None if confidence is None else round(float(confidence), 4)
        if answer.answer_text is None:  # a timeline comes with its own readable form
            answer.answer_text = readable_answer(answer)
        if debug:
            answer.retrieved = list(hits or [])[:_RETRIEVED_FOR_DEBUG]
        return answer

    def _store_stats(self) -> Any:
        """The store's stats, or None when it cannot give them (a notice then says less)."""
        try:
            return self.store.stats()
        except Exception:
            return None


def _ms(since: float) -> float:
    return round((time.perf_counter() - since) * 1000.0, 2)
