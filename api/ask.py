"""POST /ask and POST /ask/stream (Server-Sent Events).

Both run the blocking Answerer in the threadpool (plain `def` endpoints, sync iterators), so
concurrent requests do not wait on each other's model calls.

Stream events, in order: `token` (a piece of the answer text, JSON string) ..., `citations`
(the list of citation dicts), `answer` (the final answer object). A failure after the stream
started arrives as an `error` event with the API's error shape.
"""

from __future__ import annotations

import json
import logging
from collections.abc import Iterator
from typing import Any

from fastapi import APIRouter, Depends
from fastapi.responses import StreamingResponse

from api.deps import GuardsDep, ServicesDep, rate_limit
from api.schemas import AnswerResponse, AskRequest
from newsqa.errors import InvalidInput, NewsQAError
from newsqa.types import StreamEvent, TokenEvent

log = logging.getLogger(__name__)

router = APIRouter(tags=["ask"], dependencies=[Depends(rate_limit)])

SSE_HEADERS = {"Cache-Control": "no-cache", "X-Accel-Buffering": "no"}


def check_question(question: str, max_chars: int) -> str:
    """The question stripped; InvalidInput (400) when it is blank or over the server's `max_chars`.

    What the schemas cannot know: they refuse a missing or empty `question` (422) but let a blank
    one through, and chat messages may hold no text at all. The Answerer checks again, for every
    entry point (`qa.plan.check_request`).
    """
    text = question.strip()
    if not text:
        raise InvalidInput("the question is empty")
    if len(question) > max_chars:
        raise InvalidInput(f"the question has {len(question)} characters; the limit is {max_chars}")
    return text


def ask_kwargs(body: AskRequest) -> dict[str, Any]:
    return {
        "history": [m.model_dump() for m in body.history] if body.history else None,
        "as_of": body.as_of,
        "filters": body.filters.to_filters() if body.filters else None,
        "choices": body.choices,
        "top_k": body.top_k,
        "mode": body.mode,
        "debug": body.debug,
    }


def sse(event: str, data: Any) -> str:
    return f"event: {event}\ndata: {json.dumps(data, ensure_ascii=False)}\n\n"


def error_payload(exc: Exception) -> dict[str, Any]:
    if isinstance(exc, NewsQAError):
        return {"error": {"code": exc.code, "message": exc.message}}
    return {"error": {"code": "internal_error", "message": "internal server error"}}


def started_stream(events: Iterator[StreamEvent]) -> Iterator[StreamEvent]:
    """Pull the first event now, so errors raised before any output get a proper HTTP status."""
    try:
        first = next(events)
    except StopIteration:
        return iter(())

    def chained() -> Iterator[StreamEvent]:
        yield first
        yield from events

    return chained()


def answer_sse(events: Iterator[StreamEvent]) -> Iterator[str]:
    try:
        for event in events:
            if isinstance(event, TokenEvent):
                yield sse("token", event.text)
            else:
                answer = event.answer.to_dict()
                yield sse("citations", answer.get("citations", []))
                yield sse("answer", answer)
    except Exception as exc:
        log.exception("answer stream failed")
        yield sse("error", error_payload(exc))


@router.post("/ask", response_model=AnswerResponse, response_model_exclude_none=True)
def ask(body: AskRequest, services: ServicesDep, guards: GuardsDep) -> dict[str, Any]:
    """Answer a question from the indexed articles, with exact citations or an abstention."""
    question = check_question(body.question, guards.max_question_chars)
    return services.answerer.ask(question, **ask_kwargs(body)).to_dict()


@router.post(
    "/ask/stream",
    response_class=StreamingResponse,
    responses={
        200: {"content": {"text/event-stream": {}}, "description": "token*, citations, answer events"}
    },
)
def ask_stream(body: AskRequest, services: ServicesDep, guards: GuardsDep) -> StreamingResponse:
    """The same answer as Server-Sent Events: tokens first, then citations and the final object."""
    question = check_question(body.question, guards.max_question_chars)
    events = started_stream(services.answerer.ask_stream(question, **ask_kwargs(body)))
    return StreamingResponse(answer_sse(events), media_type="text/event-stream", headers=SSE_HEADERS)
