"""OpenAI-compatible chat: POST /v1/chat/completions and GET /v1/models.

The last user message is the question, the messages before it the history. The reply's
`choices[0].message.content` is the answer with inline `[n]` markers after the sentences they
support; the response also carries `citations` (the sources behind the markers). `stream: true`
sends OpenAI chunk events and ends with `data: [DONE]`.

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
from typing import Any

from fastapi import APIRouter, Depends
from fastapi.responses import StreamingResponse

from newsqa.errors import InvalidInput
from qa.api_ask import SSE_HEADERS, check_question, error_payload, started_stream
from qa.deps import GuardsDep, ServicesDep, rate_limit, read_rate_limit
from qa.schemas import ChatCompletionRequest, ChatCompletionResponse, ModelCard, ModelList

log = logging.getLogger(__name__)

router = APIRouter(prefix="/v1", tags=["openai"])

MARKER = re.compile(r"\[\d+\]")
SENTENCE_END = re.compile(r"(?<=[.!?])[\"'”’)]*\s+")
WORD = re.compile(r"\w+")


def _words(text: str) -> set[str]:
    return {w.lower() for w in WORD.findall(text) if len(w) > 2}


def add_citation_markers(text: str, citations: list[dict[str, Any]]) -> str:
    """Put each citation's `[n]` after the answer sentence sharing most words with its quote.

    Text that already carries markers (e.g. a generated answer) is left as it is; a citation that
    matches no sentence goes after the last one.
    """
    if not citations or MARKER.search(text):
        return text
    bounds = [0] + [m.end() for m in SENTENCE_END.finditer(text)] + [len(text)]
    sentences = [
        (bounds[i], bounds[i + 1]) for i in range(len(bounds) - 1) if text[bounds[i] : bounds[i + 1]].strip()
    ]
    if not sentences:
        return text
    markers: dict[int, list[int]] = {}
    for citation in citations:
        quote_words = _words(str(citation.get("quote", "")))
        overlaps = [len(_words(text[a:b]) & quote_words) for a, b in sentences]
        best = (
            max(range(len(sentences)), key=lambda i: (overlaps[i], i))
            if max(overlaps)
            else len(sentences) - 1
        )
        markers.setdefault(best, []).append(int(citation["n"]))
    out = []
    for i, (a, b) in enumerate(sentences):
        sentence = text[a:b].rstrip()
        if i in markers:
            sentence += " " + "".join(f"[{n}]" for n in sorted(set(markers[i])))
        out.append(sentence)
    return " ".join(out)


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
    question, history = chat_question_and_history(body, guards.max_question_chars)
    completion_id = f"chatcmpl-{uuid.uuid4().hex}"
    created = int(time.time())
    if body.stream:
        events = started_stream(services.answerer.ask_stream(question, **_chat_kwargs(body, history)))
        chunks = _chat_chunks(events, completion_id, created, services.model_name)
        return StreamingResponse(chunks, media_type="text/event-stream", headers=SSE_HEADERS)
    answer = services.answerer.ask(question, **_chat_kwargs(body, history)).to_dict()
    content = add_citation_markers(answer["answer"], answer["citations"])
    return {
        "id": completion_id,
        "object": "chat.completion",
        "created": created,
        "model": services.model_name,
        "choices": [
            {"index": 0, "message": {"role": "assistant", "content": content}, "finish_reason": "stop"}
        ],
        "usage": {"prompt_tokens": 0, "completion_tokens": 0, "total_tokens": 0},
        "citations": answer["citations"],
        "abstained": answer["abstained"],
    }


def _chunk(completion_id: str, created: int, model: str, delta: dict[str, Any], finish: str | None) -> str:
    payload = {
        "id": completion_id,
        "object": "chat.completion.chunk",
        "created": created,
        "model": model,
        "choices": [{"index": 0, "delta": delta, "finish_reason": finish}],
    }
    return f"data: {json.dumps(payload, ensure_ascii=False)}\n\n"


def _chat_chunks(
    events: Iterator[dict[str, Any]], completion_id: str, created: int, model: str
) -> Iterator[str]:
    yield _chunk(completion_id, created, model, {"role": "assistant", "content": ""}, None)
    streamed = ""
    try:
        for event in events:
            if event.get("event") == "token":
                piece = str(event.get("data", ""))
                streamed += piece
                yield _chunk(completion_id, created, model, {"content": piece}, None)
            elif event.get("event") == "answer":
                answer = event["data"]
                marked = add_citation_markers(answer["answer"], answer["citations"])
                tail = (
                    marked[len(streamed) :]
                    if marked.startswith(streamed)
                    else _marker_suffix(streamed, answer)
                )
                if tail:
                    yield _chunk(completion_id, created, model, {"content": tail}, None)
                final = json.loads(_chunk(completion_id, created, model, {}, "stop")[len("data: ") :])
                final["citations"] = answer["citations"]
                final["abstained"] = answer["abstained"]
                yield f"data: {json.dumps(final, ensure_ascii=False)}\n\n"
    except Exception as exc:
        log.exception("chat stream failed")
        yield f"data: {json.dumps(error_payload(exc))}\n\n"
    yield "data: [DONE]\n\n"


def _marker_suffix(streamed: str, answer: dict[str, Any]) -> str:
    missing = [c["n"] for c in answer["citations"] if f"[{c['n']}]" not in streamed]
    return (" " + "".join(f"[{n}]" for n in missing)) if missing else ""
