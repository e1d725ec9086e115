"""`Answerer.ask`: the one code path behind the CLI, `/ask`, the UI and eval.

Usage:
    answerer = build_answerer(Settings())
    answer = answerer.ask("Who is the spokesperson for the US Central Command?", as_of="2021-08-28")
    answer.answer, answer.citations[0].quote          # "Bill Urban", "“US military forces ... said ..."
    for event in answerer.ask_stream("...", mode="extractive"): ...   # token events, then the answer

Flow: check input -> rewrite a follow-up -> search (as_of, filters) -> fetch articles -> extract an
answer span / pick a choice / generate -> cite exact quotes -> abstain when support is too weak.
"""

from __future__ import annotations

import gc
import re
import time
import unicodedata
from collections.abc import Callable, Iterator
from dataclasses import dataclass, replace
from datetime import date
from typing import TYPE_CHECKING, Any, Literal

from newsqa.errors import InvalidInput, LLMNotConfigured, check_unicode
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
    sentence_scores,
)
from qa.answering.fit import AnswerFit
from qa.answering.present import readable_answer
from qa.answering.timeline import TimelineBuilder
from qa.cache import AnswerCache
from qa.question.language import looks_english
from qa.question.question import Question, QuestionAnalyzer
from qa.question.rewrite import QueryRewriter, earlier_answers
from qa.question.timeparse import parse_as_of
from qa.retrieval.rerank import retrieval_support
from qa.text.furniture import FurnitureFilter
from qa.text.lru import LRU
from qa.text.nlp import SpacyParser

if TYPE_CHECKING:
    from newsqa.settings import Settings
    from qa.answering.generate import LLMClient
    from qa.retrieval.search import SearchPipeline, SearchResult

# Whether to answer: with a trained answer model (qa/answering/answer_model.py, `newsqa train`, opt-in through
# Settings.use_answer_model until it is validated on 2023-24 questions, docs/eval.md) the confidence is
# a calibrated probability that the answer is right and the model's trained thresholds decide. Without
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
_NOT_ENGLISH = (
    "The question does not look like English; the indexed articles can only be searched in English."
)
_WH_START = re.compile(r"^(who|whom|whose|what|which|where|when|why|how)\b", re.IGNORECASE)


@dataclass(frozen=True)
class AskRequest:
    """One question and its options, as `Answerer.ask` / `ask_stream` received them."""

    question: str
    history: list[dict] | None = None
    as_of: str | date | None = None
    filters: Filters | None = None
    choices: list[str] | None = None
    top_k: int | None = None
    mode: Literal["extractive", "generative"] = "extractive"
    debug: bool = False


@dataclass(frozen=True)
class QueryPlan:
    """One request read once (`Answerer._plan`): what retrieval and answering take from then on."""

    request: AskRequest
    rewritten: str  # the stand-alone question (a follow-up rewritten from the history)
    day: date  # the as-of day
    k: int  # passages cited at most
    choices: list[str] | None  # the options, blanks dropped
    query: QueryInfo  # how the question was understood, as the answer reports it
    t0: float  # when the request came in (perf_counter)

    @property
    def mode(self) -> str:
        return self.request.mode

    @property
    def debug(self) -> bool:
        return self.request.debug


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
    ) -> None:
        if not 1 <= top_k <= 50:
            raise InvalidInput(f"top_k must be between 1 and 50, got {top_k}")
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
        self.extractor = SpanExtractor(parser)
        self.chooser = ChoicePicker()
        self.fit = answer_fit or AnswerFit()
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
        return self._answer(AskRequest(question, history, as_of, filters, choices, top_k, mode, debug))

    def _answer(self, request: AskRequest) -> Answer:
        t0 = time.perf_counter()
        _check_texts(request)
        key = None
        revision = getattr(self.store, "revision", None)
        if request.mode == "extractive" and not request.debug and isinstance(revision, int):
            key = AnswerCache.key(
                revision,
                request.question,
                request.history,
                parse_as_of(request.as_of),
                request.filters,
                request.choices,
                self._check_top_k(request.top_k),
            )
            cached = self.answer_cache.get(key)
            if cached is not None:
                cached.timings_ms = {
                    "retrieve": 0.0,
                    "answer": 0.0,
                    "cache_lookup": _ms(t0),
                    "total": _ms(t0),
                }
                return cached
        answer = self._ask(request)
        if key is not None:
            self.answer_cache.put(key, answer)
        return answer

    def _ask(self, request: AskRequest) -> Answer:
        plan = self._plan(request)
        if not looks_english(plan.rewritten):
            return self._finish(
                Answer(_NOT_ENGLISH, True, [], [], plan.query), {}, plan.t0, None, plan.debug, None
            )
        result, timings = self._retrieve(plan)
        generate = None
        if plan.mode == "generative" and self.llm is not None:
            from qa.answering.generate import GenerativeAnswerer

            generator = GenerativeAnswerer(self.llm)
            generate = lambda passages: generator.answer(plan.rewritten, passages[: plan.k])  # noqa: E731
        return self._respond(plan, result, timings, generate=generate)

    def _plan(self, request: AskRequest) -> QueryPlan:
        """The request read once: checked, its as-of day parsed, the follow-up made stand-alone."""
        t0 = time.perf_counter()
        question = self.clean_question(request.question)
        day = parse_as_of(request.as_of)
        k = self._check_top_k(request.top_k)
        self._check_mode(request.mode)
        choices = request.choices
        if choices is not None:
            choices = [str(c) for c in choices if str(c).strip()]
        history = request.history
        rewritten = self.rewriter.rewrite(question, history) if history else question
        query = QueryInfo(
            rewritten=rewritten, as_of=day.isoformat(), filters=(request.filters or Filters()).to_dict()
        )
        return QueryPlan(request, rewritten, day, k, choices, query, t0)

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
            answer = Answer(self._nothing_found_message(plan.request.filters, result), True, [], [], query)
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
        if extraction is None and choices:
            extraction = self._pick_choice(analysed, passages, choices)
        fit = None  # free extracted answers only: choices name the candidates themselves
        if extraction is None:
            extraction = self.furniture.trim(self.extractor.extract(analysed, passages))
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
            fitted = fit.features if fit is not None else {}
            answer.assessment = {
                "candidate": extraction.answer,
                "features": features,
                "fit": fitted,
                "fits": fits,
            }
        return self._finish(answer, timings, plan.t0, hits, plan.debug, probability)

    def _pick_choice(self, analysed: Question, passages: list[Passage], choices: list[str]) -> Extraction:
        """The best-supported option, or an empty extraction with the closest sentences."""
        picked = self.chooser.pick(analysed, passages, choices)
        if picked is not None:
            return picked
        closest = [
            Evidence(s.passage, s.start, s.end, s.score) for s in sentence_scores(analysed, passages)[:3]
        ]
        return Extraction("", [], 0.0, closest=closest)

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
        request = AskRequest(question, history, as_of, filters, choices, top_k, mode, debug)
        _check_texts(request)
        self._check_mode(mode)
        if mode == "generative" and self.llm is not None:
            yield from self._stream_generative(request)
            return
        answer = self._answer(replace(request, mode="extractive"))
        for piece in re.findall(r"\S+\s*", answer.answer):
            yield TokenEvent(piece)
        yield AnswerEvent(answer)

    def clean_question(self, question: str) -> str:
        """Control characters out, whitespace collapsed; empty or too long -> InvalidInput."""
        if not isinstance(question, str):
            raise InvalidInput(f"question must be a string, got {type(question).__name__}")
        cleaned = "".join(
            " " if unicodedata.category(ch) in ("Cc", "Cf", "Zl", "Zp") else ch for ch in question
        )
        cleaned = " ".join(cleaned.split())
        if not cleaned:
            raise InvalidInput("question is empty")
        if len(cleaned) > self.max_chars:
            raise InvalidInput(f"question is {len(cleaned)} characters long; the limit is {self.max_chars}")
        return cleaned

    def warm_up(self) -> None:
        """Load lazily initialised model state: one query embedding and one spaCy parse."""
        embed = getattr(self.embedder, "embed_query", None)
        if callable(embed):
            embed("warm up")
        self.analyzer.analyze(_WARM_UP_QUESTION)
        self.parser.parse_many(["The warm-up sentence names Jane Doe of Acme Corp. in Paris on Monday."])

    # --- internals ---------------------------------------------------------------------------

    def _check_top_k(self, top_k: int | None) -> int:
        if top_k is None:
            return self.top_k
        # A bool is an int to Python, but `top_k=True` is a mistake, not 1.
        if not isinstance(top_k, int) or isinstance(top_k, bool) or not 1 <= top_k <= 50:
            raise InvalidInput(f"top_k must be an integer between 1 and 50, got {top_k!r}")
        return top_k

    def _check_mode(self, mode: str) -> None:
        if mode not in ("extractive", "generative"):
            raise InvalidInput(f"mode must be 'extractive' or 'generative', got {mode!r}")
        if mode == "generative" and self.llm is None:
            raise LLMNotConfigured(
                "generative mode needs an LLM, and none is configured (set NEWSQA_LLM_URL and "
                "NEWSQA_LLM_MODEL); ask in extractive mode for an answer quoted from the articles"
            )

    def _stream_generative(self, request: AskRequest) -> Iterator[StreamEvent]:
        """The model's tokens as it writes, then the answer built from the same plan and passages."""
        from qa.answering.generate import GenerativeAnswerer

        plan = self._plan(request)
        if not looks_english(plan.rewritten):
            yield AnswerEvent(
                self._finish(
                    Answer(_NOT_ENGLISH, True, [], [], plan.query), {}, plan.t0, None, plan.debug, None
                )
            )
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
            about = _topic_phrase(query.rewritten)
            msg = (
                f"The indexed articles don't say {about}." if about else "Not found in the indexed articles."
            )
            return Answer(msg, True, [], related, query)
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

    def _nothing_found_message(self, filters: Filters | None, result: Any) -> str:
        try:
            stats = self.store.stats()
        except Exception:
            stats = None
        count = _article_count(stats)
        if count == 0:
            return "The index is empty: add articles first."
        if (filters is not None and not filters.is_empty()) or result.time_window:
            return "No indexed articles match the filters or time window of the question."
        return "Not found in the indexed articles."


def build_answerer(
    settings: Settings,
    retrieval: str = "ours",
    *,
    embedder: Any = None,
    store: Any = None,
    nlp: Any = None,
    answer_model: AnswerModel | None = None,
) -> Answerer:
    """The `Answerer` for `settings`: embedder, store, search pipeline and spaCy, each loaded once.

    Pass an already loaded `embedder` and `store` to share them (the HTTP server hands the Ingestor's
    to the Answerer, so what it writes is what the next question reads), and `nlp` (a `SpacyParser`)
    to share spaCy, and `answer_model` to use another model than `settings.answer_model_path`'s.
    The answerer is warmed up
    (one query embedding, one spaCy parse) so that the first real question is not the slow one.
    """
    from index.pipeline import build_embedder, build_store
    from qa.retrieval.rerank_model import rerank_weights_for
    from qa.retrieval.search import SearchPipeline

    if embedder is None:
        embedder = build_embedder(settings)
    if store is None:
        store = build_store(settings, embedder)
    weights = rerank_weights_for(settings.rerank_weights_path, use_learned=settings.use_learned_rerank)
    search = SearchPipeline(store, embedder, mode=retrieval, candidates=settings.retrieve_k, weights=weights)  # type: ignore[arg-type]
    llm = None
    if settings.llm_url and settings.llm_model:
        from qa.answering.generate import LLMClient

        llm = LLMClient(settings.llm_url, settings.llm_model, api_key=settings.llm_api_key)
    answerer = Answerer(
        store,
        embedder,
        search,
        top_k=settings.top_k,
        abstain_threshold=settings.abstain_threshold,
        min_retrieval_score=settings.min_retrieval_score,
        answer_model=answer_model or _trained_model(settings),
        llm=llm,
        nlp=nlp,
        max_chars=settings.max_question_chars,
        answer_cache_size=settings.answer_cache_size,
    )
    answerer.warm_up()
    # Everything loaded so far (the lexical index's chunk table: ~400k objects at 98k chunks) lives
    # as long as the process; out of the collector's sight, full collections stop pausing queries
    # for 0.4-0.5 s (at 98k chunks: p99 987 -> 793 ms, longest pause 547 -> 111 ms).
    gc.freeze()
    return answerer


def _trained_model(settings: Settings) -> AnswerModel | None:
    """The answer model Settings asks for: `answer_model_path`, else the shipped one if `use_answer_model`."""
    if settings.answer_model_path is None and not settings.use_answer_model:
        return None
    return AnswerModel.load(settings.answer_model_path)


def _check_texts(request: AskRequest) -> None:
    """InvalidInput naming the first text of the request that is not valid Unicode."""
    texts = [("question", request.question)]
    texts += [
        (f"history[{i}].content", turn.get("content"))
        for i, turn in enumerate(request.history or [])
        if isinstance(turn, dict)
    ]
    texts += [(f"choices[{i}]", choice) for i, choice in enumerate(request.choices or [])]
    for name, text in texts:
        if isinstance(text, str):
            check_unicode(text, name)


def _topic_phrase(question: str) -> str:
    """The asked clause for "The indexed articles don't say ...": "Who won?" -> "who won"; else ""."""
    q = question.strip().rstrip("?").strip()
    m = _WH_START.match(q)
    if not m or len(q) > 160:
        return ""
    return q[0].lower() + q[1:]


def _article_count(stats: Any) -> int | None:
    if stats is None:
        return None
    if isinstance(stats, dict):
        for key in ("articles", "article_count", "n_articles"):
            if key in stats:
                return int(stats[key])
        return None
    for key in ("articles", "article_count", "n_articles"):
        if hasattr(stats, key):
            return int(getattr(stats, key))
    return None


def _ms(since: float) -> float:
    return round((time.perf_counter() - since) * 1000.0, 2)
