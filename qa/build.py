"""`build_answerer(settings)`: the `Answerer` a `Settings` describes, its parts loaded once.

Usage:
    answerer = build_answerer(Settings())                 # embedder, store, search, spaCy, model
    answerer = build_answerer(settings, embedder=e, store=s, nlp=parser)   # share loaded parts
"""

from __future__ import annotations

import gc
from typing import TYPE_CHECKING, Any

from qa.answering.answer_model import AnswerModel
from qa.answering.reading import ReaderStage, ReaderWeights
from qa.answering.span_model import SpanModel
from qa.service import Answerer

if TYPE_CHECKING:
    from newsqa.settings import Settings


def build_answerer(
    settings: Settings,
    retrieval: str = "ours",
    *,
    embedder: Any = None,
    store: Any = None,
    nlp: Any = None,
    answer_model: AnswerModel | None = None,
    span_model: SpanModel | None = None,
) -> Answerer:
    """The `Answerer` for `settings`: embedder, store, search pipeline and spaCy, each loaded once.

    Pass an already loaded `embedder` and `store` to share them (the HTTP server hands the Ingestor's
    to the Answerer, so what it writes is what the next question reads), and `nlp` (a `SpacyParser`)
    to share spaCy, and `answer_model` or `span_model` to use another model than the settings name.
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
        answer_model=answer_model or trained_answer_model(settings),
        llm=llm,
        nlp=nlp,
        max_chars=settings.max_question_chars,
        answer_cache_size=settings.answer_cache_size,
        reader=span_reader(settings),
        span_model=span_model or trained_span_model(settings),
    )
    answerer.warm_up()
    # Everything loaded so far (the lexical index's chunk table: ~400k objects at 98k chunks) lives
    # as long as the process; out of the collector's sight, full collections stop pausing queries
    # for 0.4-0.5 s (at 98k chunks: p99 987 -> 793 ms, longest pause 547 -> 111 ms).
    gc.freeze()
    return answerer


def trained_answer_model(settings: Settings) -> AnswerModel | None:
    """The answer model Settings asks for: `answer_model_path`, else the shipped one if `use_answer_model`."""
    if settings.answer_model_path is None and not settings.use_answer_model:
        return None
    return AnswerModel.load(settings.answer_model_path)


def trained_span_model(settings: Settings) -> SpanModel | None:
    """The span model Settings asks for: `span_model_path`, else the shipped one if `use_span_model`."""
    if settings.span_model_path is None and not settings.use_span_model:
        return None
    return SpanModel.load(settings.span_model_path)


def span_reader(settings: Settings) -> ReaderStage | None:
    """The reader stage Settings asks for: `reader_path`, else the shipped reader if `use_reader`."""
    if settings.reader_path is None and not settings.use_reader:
        return None
    weights = ReaderWeights(over_typed_spans=settings.reader_every_question)
    stage = ReaderStage.load(settings.reader_path, weights)
    stage.reader.warm_up()
    return stage
