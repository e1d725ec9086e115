"""What the HTTP API and the UI run on: one Answerer, one Ingestor and one store, built once.

`app.services.build_services(settings)` (the composition root) loads the embedding model and opens
the store a single time and hands the same objects to the Answerer and the Ingestor, so a write is
visible to the next question. Endpoints get them through the `get_services` dependency (modelled on
the dependency providers of fastapi/full-stack-fastapi-template); tests pass their own `Services`
with fakes.

    app = create_app(settings, services=build_services)   # built at start-up
    app = create_app(settings, services=fake_services)    # or objects you built (tests)
"""

from __future__ import annotations

import logging
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path
from typing import Annotated

from fastapi import Depends, Request

from api.security import ApiKeyChecker, FailedAuthLimiter, TokenBucketLimiter, Unauthorized
from newsqa.errors import Unavailable
from newsqa.protocols import AnswererLike, ArticleStoreLike, IngestorLike
from newsqa.settings import Settings
from newsqa.types import Article

log = logging.getLogger(__name__)


@dataclass
class Services:
    """The shared objects behind every endpoint and the UI.

    `make_article(text, title=..., url=..., source=..., published=..., author=..., id=...)` turns
    JSON input into an `Article` (index.loaders.make_article in production).
    """

    answerer: AnswererLike
    ingestor: IngestorLike
    store: ArticleStoreLike
    make_article: Callable[..., Article]
    upload_dir: Path
    llm_enabled: bool = False
    model_name: str = "newsqa"


def get_services(request: Request) -> Services:
    services: Services | None = getattr(request.app.state, "services", None)
    if services is None:
        raise Unavailable("the service is still starting: the model or the store is not loaded yet")
    return services


ServicesDep = Annotated[Services, Depends(get_services)]


@dataclass
class ApiGuards:
    """The request limits of one app, from Settings at the edge.

    `limiter` counts questions, `read_limiter` and `write_limiter` the article and index
    endpoints, each in its own buckets; `auth_failures` counts failed key checks per address.
    """

    keys: ApiKeyChecker
    limiter: TokenBucketLimiter
    max_question_chars: int
    max_upload_bytes: int
    read_limiter: TokenBucketLimiter
    write_limiter: TokenBucketLimiter
    auth_failures: FailedAuthLimiter

    @classmethod
    def from_settings(cls, settings: Settings) -> ApiGuards:
        return cls(
            keys=ApiKeyChecker(settings.api_keys, require_for_reads=settings.require_key_for_reads),
            limiter=TokenBucketLimiter(settings.rate_limit_per_minute),
            max_question_chars=settings.max_question_chars,
            max_upload_bytes=settings.max_upload_bytes,
            read_limiter=TokenBucketLimiter(settings.read_rate_limit_per_minute),
            write_limiter=TokenBucketLimiter(settings.write_rate_limit_per_minute),
            auth_failures=FailedAuthLimiter(settings.auth_failures_per_minute),
        )


def get_guards(request: Request) -> ApiGuards:
    return request.app.state.guards


GuardsDep = Annotated[ApiGuards, Depends(get_guards)]


def client_address(request: Request) -> str:
    """The caller's address: the peer, or X-Forwarded-For when the peer is a trusted proxy."""
    return request.client.host if request.client else "unknown"


def _checked_key(request: Request, guards: ApiGuards, *, write: bool) -> str | None:
    """The key check, refused with 429 while the client is blocked for failing it too often."""
    authorization = request.headers.get("authorization")
    needs_key = guards.keys.enabled and (write or guards.keys.require_for_reads)
    if not needs_key:
        return None
    address = client_address(request)
    guards.auth_failures.check(address)
    try:
        return guards.keys.check(authorization, write=write)
    except Unauthorized:
        guards.auth_failures.record(address)
        raise


def require_read_key(request: Request, guards: GuardsDep) -> str | None:
    return _checked_key(request, guards, write=False)


def require_write_key(request: Request, guards: GuardsDep) -> str | None:
    return _checked_key(request, guards, write=True)


def _caller(request: Request, guards: ApiGuards, key: str | None) -> str:
    """The bucket name: the API key when the caller has a valid one, else the client address."""
    if key:
        return f"key:{key}"
    if guards.keys.enabled:
        # A valid key that reads do not require still identifies the caller.
        token = request.headers.get("authorization", "").partition(" ")[2].strip()
        if token and guards.keys.is_valid(token):
            return f"key:{token}"
    return f"ip:{client_address(request)}"


def rate_limit(
    request: Request, guards: GuardsDep, key: Annotated[str | None, Depends(require_read_key)]
) -> None:
    """One token per question, per API key when the caller has a valid one, else per client IP."""
    guards.limiter.acquire(_caller(request, guards, key))


def read_rate_limit(
    request: Request, guards: GuardsDep, key: Annotated[str | None, Depends(require_read_key)]
) -> None:
    """One token per article or index read (after the key check), per key or client IP."""
    guards.read_limiter.acquire(_caller(request, guards, key))


def write_rate_limit(
    request: Request, guards: GuardsDep, key: Annotated[str | None, Depends(require_write_key)]
) -> None:
    """One token per write request (ingest, upload, delete; after the key check), per key or client IP."""
    guards.write_limiter.acquire(_caller(request, guards, key))
