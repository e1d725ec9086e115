"""Question limits for the chat UI: Gradio's API starts the same work as /ask, outside its limits.

`UiEventLimitMiddleware` takes one token from the API's question bucket of the client address
for every Gradio event a client starts (`POST /gradio_api/queue/join`, `/call/<name>`,
`/call/v2/<name>`, `/run/<name>`, `/api/<name>`), so the UI and /ask share one budget per client
(`NEWSQA_RATE_LIMIT_PER_MINUTE`); past it, 429 in the API's error shape with Retry-After.

    app.add_middleware(UiEventLimitMiddleware, limiter=guards.limiter)
"""

from __future__ import annotations

import re

from starlette.types import ASGIApp, Receive, Scope, Send

from api.application import error_response
from api.security import RateLimitExceeded, TokenBucketLimiter

# Gradio's routes that start an event (its queue and its named-endpoint API), mounted at "/".
EVENT_PATH = re.compile(r"^/gradio_api/(queue/join|call/v2/[^/]+|call/[^/]+|run/[^/]+|api/[^/]+)/?$")


class UiEventLimitMiddleware:
    def __init__(self, app: ASGIApp, *, limiter: TokenBucketLimiter) -> None:
        self.app = app
        self.limiter = limiter

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        starts_event = (
            scope["type"] == "http" and scope["method"] == "POST" and EVENT_PATH.match(scope["path"])
        )
        if starts_event and self.limiter.enabled:
            client = scope["client"][0] if scope.get("client") else "unknown"
            try:
                self.limiter.acquire(f"ip:{client}")  # the bucket /ask uses for this address
            except RateLimitExceeded as exc:
                response = error_response(429, "rate_limited", f"too many questions: {exc.detail}",
                                          headers=exc.headers)  # fmt: skip
                await response(scope, receive, send)
                return
        await self.app(scope, receive, send)
