"""A question and its options, checked once (`check_request`), then planned (`QueryPlan`).

Usage:
    limits = RequestLimits(top_k=5, max_chars=2000, generative=False)
    checked = check_request(AskRequest("Who won?", as_of="2022-09-15", top_k=3), limits)
    checked.question, checked.day, checked.k    # "Who won?", date(2022, 9, 15), 3
    plan = QueryPlan.of(checked, rewritten="Who won?")

These are the domain's checks of a request, made once per `Answerer.ask` / `ask_stream` call: every
entry point (CLI, API, UI, eval) reaches them; the API's own checks at the edge come first
(docs/architecture.md, "Where input is checked").
"""

from __future__ import annotations

import time
import unicodedata
from dataclasses import dataclass
from datetime import date
from typing import Literal

from newsqa.errors import InvalidInput, LLMNotConfigured, check_unicode
from newsqa.types import Filters, QueryInfo
from qa.question.timeparse import parse_as_of

# The most passages an answer may cite (`top_k`), the same bound as the API's.
MAX_TOP_K = 50


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
class RequestLimits:
    """What a request is checked against: the answerer's default `top_k`, its question length limit
    and whether an LLM is configured for generative mode."""

    top_k: int
    max_chars: int
    generative: bool


@dataclass(frozen=True)
class CheckedRequest:
    """A request whose inputs passed `check_request`, read into the values answering takes."""

    request: AskRequest
    question: str  # control characters out, whitespace collapsed
    day: date  # the as-of day
    k: int  # passages cited at most
    choices: list[str] | None  # the options, blanks dropped
    t0: float  # when the request came in (perf_counter)


@dataclass(frozen=True)
class QueryPlan:
    """One checked request with its stand-alone question: what retrieval and answering take."""

    request: AskRequest
    rewritten: str  # the stand-alone question (a follow-up rewritten from the history)
    day: date  # the as-of day
    k: int  # passages cited at most
    choices: list[str] | None  # the options, blanks dropped
    query: QueryInfo  # how the question was understood, as the answer reports it
    t0: float  # when the request came in (perf_counter)

    @classmethod
    def of(cls, checked: CheckedRequest, rewritten: str) -> QueryPlan:
        filters = (checked.request.filters or Filters()).to_dict()
        query = QueryInfo(rewritten=rewritten, as_of=checked.day.isoformat(), filters=filters)
        return cls(checked.request, rewritten, checked.day, checked.k, checked.choices, query, checked.t0)

    @property
    def mode(self) -> str:
        return self.request.mode

    @property
    def debug(self) -> bool:
        return self.request.debug


def check_request(request: AskRequest, limits: RequestLimits) -> CheckedRequest:
    """Every input of the request checked once: InvalidInput (LLMNotConfigured for generative mode
    without an LLM) naming the first one that is bad and why."""
    t0 = time.perf_counter()
    check_texts(request)
    question = clean_question(request.question, limits.max_chars)
    day = parse_as_of(request.as_of)
    k = check_top_k(request.top_k, limits.top_k)
    check_mode(request.mode, generative=limits.generative)
    choices = request.choices
    if choices is not None:
        choices = [str(c) for c in choices if str(c).strip()]
    return CheckedRequest(request, question, day, k, choices, t0)


def check_texts(request: AskRequest) -> None:
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


def clean_question(question: str, max_chars: int) -> str:
    """Control characters out, whitespace collapsed; empty or longer than `max_chars` -> InvalidInput."""
    if not isinstance(question, str):
        raise InvalidInput(f"question must be a string, got {type(question).__name__}")
    cleaned = "".join(" " if unicodedata.category(ch) in ("Cc", "Cf", "Zl", "Zp") else ch for ch in question)
    cleaned = " ".join(cleaned.split())
    if not cleaned:
        raise InvalidInput("question is empty")
    if len(cleaned) > max_chars:
        raise InvalidInput(f"question is {len(cleaned)} characters long; the limit is {max_chars}")
    return cleaned


def check_top_k(top_k: int | None, default: int) -> int:
    """`top_k`, or `default` when None; InvalidInput unless an integer in 1..MAX_TOP_K."""
    if top_k is None:
        return default
    # A bool is an int to Python, but `top_k=True` is a mistake, not 1.
    if not isinstance(top_k, int) or isinstance(top_k, bool) or not 1 <= top_k <= MAX_TOP_K:
        raise InvalidInput(f"top_k must be an integer between 1 and {MAX_TOP_K}, got {top_k!r}")
    return top_k


def check_mode(mode: str, *, generative: bool) -> None:
    """InvalidInput for an unknown mode; LLMNotConfigured for generative mode without an LLM."""
    if mode not in ("extractive", "generative"):
        raise InvalidInput(f"mode must be 'extractive' or 'generative', got {mode!r}")
    if mode == "generative" and not generative:
        raise LLMNotConfigured(
            "generative mode needs an LLM, and none is configured (set NEWSQA_LLM_URL and "
            "NEWSQA_LLM_MODEL); ask in extractive mode for an answer quoted from the articles"
        )
