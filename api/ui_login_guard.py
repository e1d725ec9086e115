"""Sign-in limits for the chat UI: Gradio's own login route lets a client guess keys at full speed.

`LoginGuardMiddleware` sits in front of Gradio's `POST /login`: a client with too many failed
sign-ins in the last minute gets 429 (with Retry-After) before its password is even checked,
and Gradio's wrong-credentials reply is given the API's error shape.

    limiter = FailedLoginLimiter(per_minute=10)
    app.add_middleware(LoginGuardMiddleware, limiter=limiter)
"""

from __future__ import annotations

import threading
import time
from collections import deque
from collections.abc import Callable

from starlette.types import ASGIApp, Message, Receive, Scope, Send

from api.application import error_response
from api.security import RateLimitExceeded

# Gradio's login routes (mounted at "/"); Gradio answers 200 to a good password, 400 to a wrong one.
LOGIN_PATHS = frozenset({"/login", "/login/"})
WRONG_CREDENTIALS_STATUS = 400
WINDOW_S = 60.0


class FailedLoginLimiter:
    """At most `per_minute` failed sign-ins per client in any 60 s window; `per_minute <= 0`: no limit.

    An attempt counts as a failure from the moment it starts, so many guesses sent at once cannot
    all pass the check before the first one fails; a successful one is forgiven afterwards.

        limiter = FailedLoginLimiter(per_minute=10)
        attempt = limiter.begin("203.0.113.7")      # RateLimitExceeded when the client is over
        limiter.forgive("203.0.113.7", attempt)     # it signed in
    """

    def __init__(
        self, per_minute: int, *, clock: Callable[[], float] = time.monotonic, max_clients: int = 100_000
    ) -> None:
        self.per_minute = per_minute
        self.clock = clock
        self.max_clients = max_clients
        self._failures: dict[str, deque[float]] = {}  # client -> start times of its recent failures
        self._lock = threading.Lock()

    @property
    def enabled(self) -> bool:
        return self.per_minute > 0

    def begin(self, client: str) -> float:
        """Count an attempt by `client` (returned: its time, for `forgive`), or raise RateLimitExceeded."""
        now = self.clock()
        with self._lock:
            times = self._failures.setdefault(client, deque())
            while times and times[0] <= now - WINDOW_S:
                times.popleft()
            if len(times) >= self.per_minute:
                raise RateLimitExceeded(times[0] + WINDOW_S - now)
            times.append(now)
            if len(self._failures) > self.max_clients:
                self._drop_idle(now)
        return now

    def forgive(self, client: str, attempt: float) -> None:
        with self._lock:
            times = self._failures.get(client)
            if times is not None and attempt in times:
                times.remove(attempt)

    def _drop_idle(self, now: float) -> None:
        for client, times in list(self._failures.items()):
            if not times or times[-1] <= now - WINDOW_S:
                del self._failures[client]


class LoginGuardMiddleware:
    """Applies a `FailedLoginLimiter` to `POST /login` per client address; other requests pass."""

    def __init__(self, app: ASGIApp, *, limiter: FailedLoginLimiter) -> None:
        self.app = app
        self.limiter = limiter

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http" or scope["method"] != "POST" or scope["path"] not in LOGIN_PATHS:
            await self.app(scope, receive, send)
            return
        client = scope["client"][0] if scope.get("client") else "unknown"
        try:
            attempt = self.limiter.begin(client) if self.limiter.enabled else 0.0
        except RateLimitExceeded as exc:
            response = error_response(429, "rate_limited", f"too many failed sign-ins: {exc.detail}",
                                      headers=exc.headers)  # fmt: skip
            await response(scope, receive, send)
            return
        status = 0

        async def reply(message: Message) -> None:
            nonlocal status
            if message["type"] == "http.response.start":
                status = message["status"]
            if status != WRONG_CREDENTIALS_STATUS:
                await send(message)
            elif message["type"] == "http.response.body" and not message.get("more_body"):
                # Gradio's {"detail": "Incorrect credentials."}, in the API's error shape instead.
                response = error_response(
                    WRONG_CREDENTIALS_STATUS,
                    "invalid_credentials",
                    "incorrect credentials: sign in with any user name and an API key as the password",
                )
                await response(scope, receive, send)

        await self.app(scope, receive, reply)
        if status == 200 and self.limiter.enabled:
            self.limiter.forgive(client, attempt)
