"""The HTTP API: `create_app(settings) -> FastAPI`, OpenAPI docs at /docs and /redoc (offline).

Routes: /ask and /ask/stream (api.ask), /v1/chat/completions and /v1/models (api.openai_chat),
/articles (api.articles), /healthz, /readyz, /stats. Every error has one shape,
`{"error": {"code", "message"}}`, FastAPI's own 404/405/422 included.

    app = create_app(settings, services=build_services)   # builds the model and store at start-up
    app = create_app(settings, services=services)         # or runs on objects you built (tests)
"""

from __future__ import annotations

import logging
import math
from collections.abc import AsyncIterator, Callable
from contextlib import AbstractAsyncContextManager, asynccontextmanager
from typing import Any

from fastapi import Depends, FastAPI, Request
from fastapi.concurrency import run_in_threadpool
from fastapi.exceptions import RequestValidationError
from fastapi.middleware.cors import CORSMiddleware
from fastapi.responses import JSONResponse
from starlette.exceptions import HTTPException
from uvicorn.middleware.proxy_headers import ProxyHeadersMiddleware

from api.articles import router as articles_router
from api.ask import router as ask_router
from api.deps import ApiGuards, Services, ServicesDep, read_rate_limit
from api.docs import add_offline_docs
from api.limits import BodyReadTimeoutMiddleware, WriteLimits
from api.openai_chat import router as openai_router
from api.schemas import ErrorResponse, HealthResponse, IngestRequest
from api.security import BodySizeLimitMiddleware, UploadSpool
from newsqa.errors import NewsQAError, Unavailable
from newsqa.settings import Settings

log = logging.getLogger(__name__)

STATUS_CODES = {
    400: "invalid_input",
    401: "unauthorized",
    403: "forbidden",
    404: "not_found",
    405: "method_not_allowed",
    406: "not_acceptable",
    413: "too_large",
    415: "unsupported_media_type",
    422: "validation_error",
    429: "rate_limited",
    503: "unavailable",
}
ERROR_RESPONSES: dict[int | str, dict[str, Any]] = {
    code: {"model": ErrorResponse} for code in (400, 401, 404, 413, 422, 429, 503)
}


def error_response(
    status: int, code: str, message: str, headers: dict[str, str] | None = None
) -> JSONResponse:
    return JSONResponse({"error": {"code": code, "message": message}}, status_code=status, headers=headers)


# JSON's names for the Python values a request body parses to, for "wrong type" messages.
_JSON_TYPES = {bool: "boolean", int: "integer", float: "number", str: "string", list: "array", dict: "object"}


def _validation_message(exc: RequestValidationError) -> str:
    parts = []
    for err in exc.errors()[:5]:
        where = ".".join(str(p) for p in err.get("loc", ()) if p != "body") or "body"
        message = str(err.get("msg", "invalid")).removeprefix("Value error, ")
        if str(err.get("type", "")).endswith("_type") and "input" in err:
            # Strict fields: say what came instead ("top_k: ... integer, got a string").
            given = err["input"]
            message += f", got {'null' if given is None else _JSON_TYPES.get(type(given), 'another type')}"
        parts.append(f"{where}: {message}")
    return "; ".join(parts) or "invalid request"


def install_error_handlers(app: FastAPI) -> None:
    """Map every failure to the one error shape; never leak a stack trace."""

    @app.exception_handler(NewsQAError)
    async def _newsqa_error(request: Request, exc: NewsQAError) -> JSONResponse:
        if exc.status >= 500:
            log.error("%s %s failed: %s", request.method, request.url.path, exc.message)
        retry_after = getattr(exc, "retry_after_s", None)  # e.g. IndexBusy: the write lock's wait
        headers = {"Retry-After": str(math.ceil(retry_after))} if retry_after else None
        return error_response(exc.status, exc.code, exc.message, headers=headers)

    @app.exception_handler(RequestValidationError)
    async def _validation_error(request: Request, exc: RequestValidationError) -> JSONResponse:
        return error_response(422, "validation_error", _validation_message(exc))

    @app.exception_handler(HTTPException)
    async def _http_error(request: Request, exc: HTTPException) -> JSONResponse:
        code = STATUS_CODES.get(exc.status_code, "error" if exc.status_code >= 500 else "bad_request")
        message = exc.detail if isinstance(exc.detail, str) else str(exc.detail)
        if exc.status_code == 404 and message == "Not Found":
            message = f"no route for {request.method} {request.url.path}"
        return error_response(exc.status_code, code, message, headers=getattr(exc, "headers", None))

    @app.exception_handler(Exception)
    async def _unexpected(request: Request, exc: Exception) -> JSONResponse:
        log.exception("%s %s: unexpected error", request.method, request.url.path)
        return error_response(
            500, "internal_error", "internal server error; the details are in the server log"
        )


def _ingest_request_openapi(app: FastAPI) -> None:
    """POST /articles reads JSON or multipart by hand, so its request schemas are added here."""
    generate = app.openapi

    def openapi() -> dict[str, Any]:
        if app.openapi_schema:
            return app.openapi_schema
        schema = generate()
        ingest = IngestRequest.model_json_schema(ref_template="#/components/schemas/{model}")
        components = schema.setdefault("components", {}).setdefault("schemas", {})
        components.update(ingest.pop("$defs", {}))
        components["IngestRequest"] = ingest
        return schema

    app.openapi = openapi  # type: ignore[method-assign]


def create_app(
    settings: Settings, *, services: Services | Callable[[Settings], Services] | None = None
) -> FastAPI:
    """The API app on `services`, or on what the factory `services(settings)` builds at start-up.

    Until services are there (None, or the factory still loading the model), every route but
    /healthz answers 503 `unavailable`.
    """
    factory = services if callable(services) else None
    app = FastAPI(
        title="NewsQA",
        summary="Question answering over news articles with exact, clickable citations.",
        version="0.1.0",
        lifespan=_lifespan(settings, factory),
        responses=ERROR_RESPONSES,
        # Served by add_offline_docs from vendored assets: the defaults load them from a CDN.
        docs_url=None,
        redoc_url=None,
    )
    app.state.services = None if factory is not None else services
    app.state.indexing = None  # a qa.background.BackgroundIndexing while the first start indexes
    app.state.guards = ApiGuards.from_settings(settings)
    app.state.write_limits = WriteLimits.from_settings(settings)
    _add_middleware(app, settings)
    install_error_handlers(app)
    app.include_router(ask_router)
    app.include_router(openai_router)
    app.include_router(articles_router)
    _add_health_routes(app)
    add_offline_docs(app)
    _ingest_request_openapi(app)
    return app


def _lifespan(
    settings: Settings, factory: Callable[[Settings], Services] | None
) -> Callable[[FastAPI], AbstractAsyncContextManager[None]]:
    """Start-up: build the services with `factory` (off the event loop), then clear stale uploads."""

    @asynccontextmanager
    async def lifespan(app: FastAPI) -> AsyncIterator[None]:
        if app.state.services is None and factory is not None:
            app.state.services = await run_in_threadpool(factory, settings)
        if app.state.services is None:
            yield
            return
        removed = UploadSpool(app.state.services.upload_dir).remove_stale()
        if removed:
            log.warning("removed %d upload folders left behind by an earlier run", removed)
        yield

    return lifespan


def _add_middleware(app: FastAPI, settings: Settings) -> None:
    """Body limits, then CORS and trusted proxies when configured (the last added runs first)."""
    app.add_middleware(
        BodySizeLimitMiddleware,
        max_body_bytes=settings.max_body_bytes,
        max_upload_bytes=settings.max_upload_bytes,
    )
    app.add_middleware(BodyReadTimeoutMiddleware, timeout_s=settings.body_read_timeout_s)
    if settings.cors_origins:
        app.add_middleware(
            CORSMiddleware,
            allow_origins=settings.cors_origins,
            allow_methods=["GET", "POST", "DELETE", "OPTIONS"],
            allow_headers=["Authorization", "Content-Type"],
        )
    if settings.trusted_proxies:
        # Outermost, so every guard (and the UI) sees the client named by a trusted proxy; from any
        # other peer X-Forwarded-For is ignored.
        app.add_middleware(ProxyHeadersMiddleware, trusted_hosts=settings.trusted_proxies)


def _add_health_routes(app: FastAPI) -> None:
    @app.get("/healthz", tags=["health"])
    def healthz() -> HealthResponse:
        """The process is up (does not touch the model or the store)."""
        return HealthResponse(status="ok")

    @app.get("/readyz", tags=["health"])
    def readyz(request: Request) -> dict[str, Any]:
        """The model is loaded, the store answers and no first-start indexing runs; 503 otherwise.

        While the demo corpus is indexed on first start: 503 with `"ready": false` and
        `"indexing": {"done", "total"}` beside the error.
        """
        services: Services | None = request.app.state.services
        if services is None:
            raise Unavailable("not ready: the model and the store are still loading")
        indexing = getattr(request.app.state, "indexing", None)
        progress = indexing.progress() if indexing is not None else None
        if progress and progress["running"]:  # answering already, from what is indexed so far
            return _indexing_response(progress)
        try:
            stats = services.store.stats()
        except NewsQAError:
            raise
        except Exception as exc:
            raise Unavailable(f"not ready: the store is unreachable ({type(exc).__name__})") from exc
        return {"status": "ready", "articles": stats.get("articles")}

    @app.get("/stats", tags=["articles"], dependencies=[Depends(read_rate_limit)])
    def stats(services: ServicesDep) -> dict[str, Any]:
        """Index counts (articles, chunks, outlets, dates) and whether generative mode is available."""
        return {**services.store.stats(), "llm_enabled": services.llm_enabled}


def _indexing_response(progress: dict[str, Any]) -> JSONResponse:
    """503 in the error shape, with `ready` and `indexing` beside the error for pages and probes."""
    done, total, label = progress["done"], progress["total"], progress.get("label", "articles")
    message = (
        f"not ready: indexing {label}, {done} of {total} done"
        if total is not None
        else f"not ready: loading {label} to index"
    )
    body = {"error": {"code": "unavailable", "message": message}, "ready": False,
            "indexing": {"done": done, "total": total}}  # fmt: skip
    return JSONResponse(body, status_code=503)
