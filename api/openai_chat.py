"""OpenAI-compatible chat: POST /v1/chat/completions and GET /v1/models.

The last user message is the question, the messages before it the history. The reply's
`choices[0].message.content` is the readable answer with `[n]` markers, then a "Sources:" list
(title, outlet, date, URL per marker) that any chat client shows; the response also carries the
NewsQA fields `citations`, `answer` (the short answer), `abstained` and `confidence`. `stream: true`
sends OpenAI chunk events (the last one, `finish_reason: "stop"`, with `usage` and those fields)
and ends with `data: [DONE]`. `model` must be one listed at /v1/models (404 otherwise), `n` 1.
`usage` counts words and punctuation marks (`count_tokens`).

    client = openai.OpenAI(base_url="http://127.0.0.1:8000/v1", api_key="...")
    client.chat.completions.create(model="newsqa", messages=[{"role": "user", "content": "..."}])
"""

from __future__ import annotations

import json
import logging
import re
import time
import uuid
from collections.abc import Iterator
from dataclasses import dataclass
from typing import Any

from fastapi import APIRouter, Depends
from fastapi.responses import StreamingResponse

from api.ask import SSE_HEADERS, check_question, error_payload, started_stream
from api.deps import GuardsDep, ServicesDep, rate_limit, read_rate_limit
from api.schemas import ChatCompletionRequest, ChatCompletionResponse, ModelCard, ModelList
from newsqa.errors import InvalidInput, NotFound
from newsqa.types import AnswerEvent, StreamEvent
from qa.answering.present import add_citation_markers, drop_unknown_markers, sources_block

log = logging.getLogger(__name__)

router = APIRouter(prefix="/v1", tags=["openai"])

# `usage` counts words and punctuation marks: no model tokenizer is involved in extractive answers,
# and this count is stable across releases of the embedding model.
TOKEN = re.compile(r"\w+|[^\w\s]")


class ModelNotFound(NotFound):
    code = "model_not_found"


def count_tokens(text: str) -> int:
    """Words and punctuation marks in `text`: `count_tokens("Who won?") == 3`."""
    return len(TOKEN.findall(text))


def usage(body: ChatCompletionRequest, content: str) -> dict[str, int]:
    prompt = sum(count_tokens(m.text()) for m in body.messages)
    completion = count_tokens(content)
    return {"prompt_tokens": prompt, "completion_tokens": completion, "total_tokens": prompt + completion}


def reply_content(answer: dict[str, Any]) -> str:
    """The readable answer with `[n]` markers, then the numbered source list behind them."""
    citations = answer.get("citations") or []
    text = answer.get("answer_text") or answer["answer"]
    text = drop_unknown_markers(add_citation_markers(text, citations), {int(c["n"]) for c in citations})
    sources = sources_block(citations)
    return f"{text}\n\n{sources}" if sources else text


def check_model(body: ChatCompletionRequest, served: str) -> None:
    if body.model != served:
        raise ModelNotFound(f"model {body.model[:100]!r} is not served here; use {served!r} (see /v1/models)")


def chat_question_and_history(
    body: ChatCompletionRequest, max_chars: int
) -> tuple[str, list[dict[str, str]]]:
    conversation = [m for m in body.messages if m.role in ("user", "assistant")]
    if not conversation or conversation[-1].role != "user":
        raise InvalidInput("the last message must be a user message: it is the question")
    question = check_question(conversation[-1].text(), max_chars)
    history = [{"role": m.role, "content": m.text()} for m in conversation[:-1]]
    return question, history


def _chat_kwargs(body: ChatCompletionRequest, history: list[dict[str, str]]) -> dict[str, Any]:
    return {
        "history": history or None,
        "as_of": body.as_of,
        "filters": body.filters.to_filters() if body.filters else None,
        "top_k": body.top_k,
        "mode": body.mode,
    }


@router.get("/models", dependencies=[Depends(read_rate_limit)])
def list_models(services: ServicesDep) -> ModelList:
    """The one model this server answers as."""
    return ModelList(data=[ModelCard(id=services.model_name)])


@router.post(
    "/chat/completions",
    response_model=ChatCompletionResponse,
    dependencies=[Depends(rate_limit)],
    responses={200: {"content": {"text/event-stream": {}}, "description": "chunks when `stream` is true"}},
)
def chat_completions(body: ChatCompletionRequest, services: ServicesDep, guards: GuardsDep) -> Any:
    """Answer the last user message; earlier messages are the conversation so far."""
    check_model(body, services.model_name)
    question, history = chat_question_and_history(body, guards.max_question_chars)
    completion_id = f"chatcmpl-{uuid.uuid4().hex}"
    created = int(time.time())
    if body.stream:
        events = started_stream(services.answerer.ask_stream(question, **_chat_kwargs(body, history)))
        chunks = _chat_chunks(events, _ChunkHeader(completion_id, created, services.model_name), body)
        return StreamingResponse(chunks, media_type="text/event-stream", headers=SSE_HEADERS)
    answer = services.answerer.ask(question, **_chat_kwargs(body, history)).to_dict()
    content = reply_content(answer)
    return {
        "id": completion_id,
        "object": "chat.completion",
        "created": created,
        "model": services.model_name,
        "choices": [
            {"index": 0, "message": {"role": "assistant", "content": content}, "finish_reason": "stop"}
        ],
        "usage": usage(body, content),
        **_extras(answer),
    }


def _extras(answer: dict[str, Any]) -> dict[str, Any]:
    """NewsQA's fields beside OpenAI's: the sources, the short answer, abstention and confidence."""
    return {
        "citations": answer["citations"],
        "abstained": answer["abstained"],
        "answer": answer["answer"],
        "confidence": answer.get("confidence"),
    }


@dataclass(frozen=True)
class _ChunkHeader:
    id: str
    created: int
    model: str


def _chunk(head: _ChunkHeader, delta: dict[str, Any], finish: str | None, **extra: Any) -> str:
    payload = {
        "id": head.id,
        "object": "chat.completion.chunk",
        "created": head.created,
        "model": head.model,
        "choices": [{"index": 0, "delta": delta, "finish_reason": finish}],
        **extra,
    }
    return f"data: {json.dumps(payload, ensure_ascii=False)}\n\n"


def _chat_chunks(
    events: Iterator[StreamEvent], head: _ChunkHeader, body: ChatCompletionRequest
) -> Iterator[str]:
    """The final answer's content, a word at a time, then a `stop` chunk with usage and sources.

    Token events are not forwarded: a generated draft can hold sentences the support check drops
    and markers that then cite nothing, and a client cannot take back what it was sent.
    """
    yield _chunk(head, {"role": "assistant", "content": ""}, None)
    try:
        for event in events:
            if not isinstance(event, AnswerEvent):
                continue
            answer = event.answer.to_dict()
            content = reply_content(answer)
            for piece in re.findall(r"\s*\S+", content):
                yield _chunk(head, {"content": piece}, None)
            yield _chunk(head, {}, "stop", usage=usage(body, content), **_extras(answer))
    except Exception as exc:
        log.exception("chat stream failed")
        yield f"data: {json.dumps(error_payload(exc))}\n\n"
    yield "data: [DONE]\n\n"
