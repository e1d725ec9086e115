"""Request guards for the HTTP API: API keys, per-client rate limits, body size, upload paths.

Each guard is a small class configured once in `api.application.create_app` and used as a FastAPI
dependency or ASGI middleware:

    keys = ApiKeyChecker(["s3cret"], require_for_reads=False)
    limiter = TokenBucketLimiter(per_minute=120)
    app.add_middleware(BodySizeLimitMiddleware, max_body_bytes=1_000_000, max_upload_bytes=20_000_000)
"""

from __future__ import annotations

import contextlib
import hmac
import json
import math
import re
import shutil
import tempfile
import threading
import time
import uuid
from pathlib import Path

from starlette.exceptions import HTTPException
from starlette.types import ASGIApp, Message, Receive, Scope, Send

from newsqa.errors import InvalidInput

# Suffixes the loaders read by name; any other file is stored without one and its format sniffed.
UPLOAD_SUFFIXES = {
    ".txt", ".text", ".md", ".markdown", ".html", ".htm", ".xhtml", ".json", ".jsonl", ".ndjson",
    ".xml", ".rss", ".atom",
}  # fmt: skip


class Unauthorized(HTTPException):
    """401 with a bearer challenge; rendered in the API's error shape."""

    def __init__(self, message: str) -> None:
        super().__init__(status_code=401, detail=message, headers={"WWW-Authenticate": "Bearer"})


class ApiKeyChecker:
    """Checks `Authorization: Bearer <key>` against the configured keys (constant-time compare).

    Without keys every request passes. With keys, writes always need one and reads need one when
    `require_for_reads` is set.

        checker = ApiKeyChecker(["k1"], require_for_reads=False)
        checker.check("Bearer k1", write=True)   # returns "k1"
    """

    def __init__(self, keys: list[str], *, require_for_reads: bool) -> None:
        if any(not k for k in keys):
            raise InvalidInput("API keys must be non-empty strings")
        self.keys = [k.encode() for k in keys]
        self.require_for_reads = require_for_reads

    @property
    def enabled(self) -> bool:
        return bool(self.keys)

    def is_valid(self, key: str) -> bool:
        candidate = key.encode()
        # Compare against every key so the time taken does not reveal which one matched.
        return any([hmac.compare_digest(candidate, k) for k in self.keys])

    def check(self, authorization: str | None, *, write: bool) -> str | None:
        """Return the caller's key (None when none is needed) or raise `Unauthorized`."""
        if not self.enabled or (not write and not self.require_for_reads):
            return None
        if not authorization:
            raise Unauthorized("this endpoint needs an API key: send 'Authorization: Bearer <key>'")
        scheme, _, token = authorization.partition(" ")
        if scheme.lower() != "bearer" or not token.strip():
            raise Unauthorized("malformed Authorization header: expected 'Bearer <key>'")
        if not self.is_valid(token.strip()):
            raise Unauthorized("invalid API key")
        return token.strip()


class RateLimitExceeded(HTTPException):
    """429 with Retry-After (seconds until one request's worth of tokens is back)."""

    def __init__(self, retry_after_s: float) -> None:
        seconds = max(1, math.ceil(retry_after_s))
        super().__init__(
            status_code=429,
            detail=f"rate limit exceeded: retry in {seconds} s",
            headers={"Retry-After": str(seconds)},
        )


class TokenBucketLimiter:
    """A token bucket per client: `per_minute` requests of burst, refilled at `per_minute`/60 per second.

    `per_minute <= 0` disables the limit. Buckets idle long enough to be full are dropped so the
    table does not grow without bound.

        limiter = TokenBucketLimiter(per_minute=60)
        limiter.acquire("203.0.113.7")   # raises RateLimitExceeded when the bucket is empty
    """

    def __init__(
        self, per_minute: int, *, clock: object = time.monotonic, max_clients: int = 100_000
    ) -> None:
        if max_clients < 1:
            raise InvalidInput(f"max_clients must be >= 1, got {max_clients}")
        self.capacity = float(per_minute)
        self.rate_per_s = per_minute / 60.0
        self.clock = clock
        self.max_clients = max_clients
        self._buckets: dict[str, tuple[float, float]] = {}  # client -> (tokens, last refill time)
        self._lock = threading.Lock()

    @property
    def enabled(self) -> bool:
        return self.capacity > 0

    def acquire(self, client: str) -> None:
        if not self.enabled:
            return
        now = self.clock()  # type: ignore[operator]
        with self._lock:
            tokens, last = self._buckets.get(client, (self.capacity, now))
            tokens = min(self.capacity, tokens + (now - last) * self.rate_per_s)
            if tokens < 1.0:
                self._buckets[client] = (tokens, now)
                raise RateLimitExceeded((1.0 - tokens) / self.rate_per_s)
            self._buckets[client] = (tokens - 1.0, now)
            if len(self._buckets) > self.max_clients:
                self._evict_full(now)

    def retry_after_s(self, client: str) -> float:
        """Seconds until `client` has a whole token again (0 when it has one now); takes nothing."""
        if not self.enabled:
            return 0.0
        now = self.clock()  # type: ignore[operator]
        with self._lock:
            tokens, last = self._buckets.get(client, (self.capacity, now))
        tokens = min(self.capacity, tokens + (now - last) * self.rate_per_s)
        return 0.0 if tokens >= 1.0 else (1.0 - tokens) / self.rate_per_s

    def _evict_full(self, now: float) -> None:
        full_after_s = self.capacity / self.rate_per_s
        for client, (_, last) in list(self._buckets.items()):
            if now - last >= full_after_s:
                del self._buckets[client]


class FailedAuthLimiter:
    """Slows guessing of keys or passwords: `per_minute` failures per client, then 429 until refilled.

    Each failure takes a token from the client's own bucket (separate from the request limits).
    While the bucket is empty, `check` refuses the client before its credentials are looked at,
    so a correct guess cannot be told from a wrong one; it refills at `per_minute`/60 per second.

        failures = FailedAuthLimiter(per_minute=10)
        failures.check("203.0.113.7")        # raises RateLimitExceeded while the client is blocked
        if not password_ok:
            failures.record("203.0.113.7")
    """

    def __init__(self, per_minute: int, *, clock: object = time.monotonic) -> None:
        self.bucket = TokenBucketLimiter(per_minute, clock=clock)

    @property
    def enabled(self) -> bool:
        return self.bucket.enabled

    def check(self, client: str) -> None:
        wait_s = self.bucket.retry_after_s(client)
        if wait_s > 0:
            raise RateLimitExceeded(wait_s)

    def record(self, client: str) -> None:
        """Count one failure; the failure itself is still answered as such (401), not with 429."""
        with contextlib.suppress(RateLimitExceeded):  # already empty: nothing left to take
            self.bucket.acquire(client)


class BodyTooLarge(HTTPException):
    def __init__(self, limit: int) -> None:
        super().__init__(status_code=413, detail=f"request body is larger than the limit of {limit} bytes")


class BodySizeLimitMiddleware:
    """Refuses bodies over the limit with 413: by Content-Length up front, else while streaming.

    Multipart uploads get `max_upload_bytes`, every other request `max_body_bytes`.
    """

    def __init__(self, app: ASGIApp, *, max_body_bytes: int, max_upload_bytes: int) -> None:
        if max_body_bytes < 1 or max_upload_bytes < 1:
            raise InvalidInput("body size limits must be positive")
        self.app = app
        self.max_body_bytes = max_body_bytes
        self.max_upload_bytes = max_upload_bytes

    def limit_for(self, scope: Scope) -> int:
        headers = dict(scope.get("headers") or [])
        content_type = headers.get(b"content-type", b"").decode("latin-1").lower()
        return self.max_upload_bytes if content_type.startswith("multipart/") else self.max_body_bytes

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return
        limit = self.limit_for(scope)
        headers = dict(scope.get("headers") or [])
        declared = headers.get(b"content-length")
        if declared is not None and (not declared.isdigit() or int(declared) > limit):
            await _send_error(send, 413, "too_large", BodyTooLarge(limit).detail)
            return

        received = 0
        response_started = False

        async def limited_receive() -> Message:
            nonlocal received
            message = await receive()
            if message["type"] == "http.request":
                received += len(message.get("body", b""))
                if received > limit:
                    # FastAPI re-raises HTTPExceptions from body parsing, so this becomes a 413.
                    raise BodyTooLarge(limit)
            return message

        async def tracking_send(message: Message) -> None:
            nonlocal response_started
            if message["type"] == "http.response.start":
                response_started = True
            await send(message)

        try:
            await self.app(scope, limited_receive, tracking_send)
        except BodyTooLarge as exc:
            if response_started:
                raise
            await _send_error(send, 413, "too_large", exc.detail)


async def _send_error(send: Send, status: int, code: str, message: str) -> None:
    body = json.dumps({"error": {"code": code, "message": message}}).encode()
    await send(
        {
            "type": "http.response.start",
            "status": status,
            "headers": [(b"content-type", b"application/json"), (b"content-length", str(len(body)).encode())],
        }
    )
    await send({"type": "http.response.body", "body": body})


class UploadSpool:
    """Where uploaded files are written before parsing: a fresh private folder under `root` per request.

    The client's filename is never used as a path: only a sanitised stem (letters, digits, `-`, `_`)
    and a known suffix survive, prefixed with a random id, so `../../etc/passwd` or `/abs/x.txt`
    land inside the request's own folder.

        spool = UploadSpool(data_dir / "uploads")
        folder = spool.new_folder()
        path = spool.path_for(folder, "../../etc/passwd")   # <folder>/<hex>_passwd
    """

    def __init__(self, root: Path) -> None:
        self.root = Path(root).resolve()

    def new_folder(self) -> Path:
        self.root.mkdir(parents=True, exist_ok=True)
        return Path(tempfile.mkdtemp(prefix="upload-", dir=self.root))

    @staticmethod
    def safe_name(client_name: str | None) -> str:
        name = (client_name or "").replace("\\", "/").rsplit("/", 1)[-1]
        stem, dot, suffix = name.rpartition(".")
        if not dot:
            stem, suffix = name, ""
        suffix = "." + suffix.lower() if suffix else ""
        if suffix not in UPLOAD_SUFFIXES:
            suffix = ""
        clean_stem = re.sub(r"[^A-Za-z0-9_-]+", "-", stem).strip("-")[:80] or "upload"
        return f"{uuid.uuid4().hex[:12]}_{clean_stem}{suffix}"

    @staticmethod
    def display_name(client_name: str | None) -> str:
        """The client's file name for messages: its last path part, printable, bounded."""
        name = (client_name or "").replace("\\", "/").rsplit("/", 1)[-1]
        return "".join(c for c in name if c.isprintable())[:200] or "upload"

    def path_for(self, folder: Path, client_name: str | None) -> Path:
        folder = folder.resolve()
        if not folder.is_relative_to(self.root):
            raise InvalidInput(f"upload folder {folder} is outside {self.root}")
        path = (folder / self.safe_name(client_name)).resolve()
        if path.parent != folder:
            raise InvalidInput(f"upload name {client_name!r} escapes the upload folder")
        return path

    def remove_stale(self, older_than_s: float | None = None) -> int:
        """Remove request folders left behind by a process that died mid-request; returns how many.

        Only this spool's own folders (`upload-*`) untouched for `older_than_s` (default
        `STALE_UPLOAD_AGE_S`) go: another process on the same data dir may be filling a younger one.
        """
        cutoff = time.time() - (STALE_UPLOAD_AGE_S if older_than_s is None else older_than_s)
        removed = 0
        for folder in self.root.glob("upload-*") if self.root.is_dir() else []:
            try:
                if folder.is_dir() and not folder.is_symlink() and folder.stat().st_mtime < cutoff:
                    shutil.rmtree(folder)
                    removed += 1
            except OSError:  # gone already (another process cleaned it), or not ours to remove
                continue
        return removed


# An upload request's spool folder lives seconds to minutes; one older than this was left by a crash.
STALE_UPLOAD_AGE_S = 3600.0
