"""Bounds on the work one HTTP request may cause: its write budget, its reply, its body's arrival.

Configured once in `api.application.create_app` from Settings:

    app.state.write_limits = WriteLimits.from_settings(settings)
    app.add_middleware(BodyReadTimeoutMiddleware, timeout_s=60)

`WriteLimits.reply(summary)` is the POST /articles reply: at most `reply_max_items` items and as
many failures listed in full, the rest counted in `items_omitted` / `failed_omitted`.
"""

from __future__ import annotations

import asyncio
import time
from dataclasses import dataclass
from typing import Annotated, Any

from fastapi import Depends, Request
from starlette.responses import JSONResponse
from starlette.types import ASGIApp, Message, Receive, Scope, Send

from newsqa.errors import InvalidInput
from newsqa.settings import Settings
from newsqa.types import IngestLimits, IngestSummary


@dataclass(frozen=True)
class WriteLimits:
    """The per-request ingest budget (uploads and URLs) and the size of the ingest reply."""

    ingest: IngestLimits
    reply_max_items: int

    @classmethod
    def from_settings(cls, settings: Settings) -> WriteLimits:
        return cls(
            ingest=IngestLimits(
                max_unpacked_bytes=settings.ingest_max_unpacked_bytes,
                max_lines=settings.ingest_max_lines,
                max_entries=settings.ingest_max_articles,
            ),
            reply_max_items=settings.ingest_reply_max_items,
        )

    def reply(self, summary: IngestSummary) -> dict[str, Any]:
        """`summary.to_dict()` with its `items` and `failed` lists cut to `reply_max_items` each."""
        data = summary.to_dict()
        for key in ("items", "failed"):
            listed = data[key][: self.reply_max_items]
            data[f"{key}_omitted"] = len(data[key]) - len(listed)
            data[key] = listed
        return data


def get_write_limits(request: Request) -> WriteLimits:
    return request.app.state.write_limits


WriteLimitsDep = Annotated[WriteLimits, Depends(get_write_limits)]


class BodyReadTimeoutMiddleware:
    """Answers 408 and closes the connection when a request body has not fully arrived within
    `timeout_s` of the request's start: a client that stalls mid-body would otherwise hold a
    connection and the request's worker forever.

    On the deadline the 408 (with `Connection: close`, so the server drops the connection) is
    sent at once, and the app sees the client as gone (`http.disconnect`); anything it sends or
    raises afterwards is dropped.
    """

    def __init__(self, app: ASGIApp, *, timeout_s: float) -> None:
        if timeout_s <= 0:
            raise InvalidInput(f"body read timeout must be positive, got {timeout_s}")
        self.app = app
        self.timeout_s = timeout_s

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return
        deadline = time.monotonic() + self.timeout_s
        body_done = timed_out = response_started = False

        async def timed_receive() -> Message:
            nonlocal body_done, timed_out
            if timed_out:
                return {"type": "http.disconnect"}
            if body_done:  # e.g. a streaming reply listening for the client to go: no deadline
                return await receive()
            try:
                message = await asyncio.wait_for(receive(), max(0.0, deadline - time.monotonic()))
            except TimeoutError:
                timed_out = True
                if not response_started:
                    await self._send_timeout(scope, receive, send)
                return {"type": "http.disconnect"}
            body_done = message["type"] != "http.request" or not message.get("more_body", False)
            return message

        async def guarded_send(message: Message) -> None:
            nonlocal response_started
            if not timed_out:
                response_started = True
                await send(message)

        try:
            await self.app(scope, timed_receive, guarded_send)
        except Exception:
            if not timed_out:
                raise  # the app's own failure; after a 408 it only saw the client go

    async def _send_timeout(self, scope: Scope, receive: Receive, send: Send) -> None:
        message = f"the request body did not arrive within {self.timeout_s:g} s (NEWSQA_BODY_READ_TIMEOUT_S)"
        response = JSONResponse(
            {"error": {"code": "request_timeout", "message": message}},
            status_code=408,
            headers={"Connection": "close"},
        )
        await response(scope, receive, send)
