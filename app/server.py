"""The one module that composes the HTTP API and the chat UI into a server.

    app = create_server_app(Settings())     # FastAPI: the API routes, the Gradio UI at "/"
    serve(Settings(host="0.0.0.0"))          # uvicorn, with a warning when open without API keys
    serve(settings, index_if_empty=DEMO_DIR) # opens the port at once, indexes the demo meanwhile

`uvicorn --factory --no-proxy-headers --http h11 app.server:app_from_env` runs the same app
configured from NEWSQA_* variables (the app reads X-Forwarded-For itself, from NEWSQA_TRUSTED_PROXIES
only; h11 bounds the header block, see `header_limit_options`).
"""

from __future__ import annotations

import ipaddress
import logging
import os
import sys
from pathlib import Path
from typing import Any

from fastapi import FastAPI

from newsqa.settings import Settings

log = logging.getLogger(__name__)

# Articles per committed batch when indexing on first start: small enough that the first answers
# come within seconds and /readyz moves often, large enough that per-batch overhead stays small.
FIRST_START_BATCH_ARTICLES = 20

OPEN_BIND_WARNING = (
    "WARNING: NewsQA is listening on {host}:{port} without API keys: anyone who can reach this address "
    "can add and delete articles. Set NEWSQA_API_KEYS (comma-separated bearer tokens), or bind to "
    "127.0.0.1 behind a proxy that authenticates."
)


def is_loopback(host: str) -> bool:
    if host == "localhost":
        return True
    try:
        return ipaddress.ip_address(host).is_loopback
    except ValueError:
        return False


def _ui_login(keys: list[str]) -> object:
    """Gradio login for servers with API keys: any user name, an API key as the password."""
    import hmac

    encoded = [k.encode() for k in keys]

    def check(username: str, password: str) -> bool:
        given = (password or "").encode()
        return any([hmac.compare_digest(given, k) for k in encoded])

    return check


def create_server_app(
    settings: Settings, *, index_if_empty: Path | None = None, services: Any = None
) -> FastAPI:
    """The API of `api.application.create_app` with the chat UI mounted at "/", on one set of services.

    `index_if_empty`: a folder of articles indexed on a background thread when the index is empty
    (the port opens at once; /readyz and the page show progress). `services`: prebuilt (tests).
    """
    os.environ.setdefault("GRADIO_ANALYTICS_ENABLED", "False")
    # Gradio stores uploads in GRADIO_TEMP_DIR: keep them inside the data dir.
    upload_dir = Path(settings.data_dir).resolve() / "uploads" / "ui"
    upload_dir.mkdir(parents=True, exist_ok=True)
    os.environ.setdefault("GRADIO_TEMP_DIR", str(upload_dir))

    import gradio as gr
    from gradio.utils import get_upload_folder

    from api.application import create_app
    from api.limits import WriteLimits
    from app.services import build_services
    from qa.ingest_policy import IngestPolicy
    from ui.app import CSS, HEAD, ChatUI

    services = services if services is not None else build_services(settings)
    app = create_app(settings, services=services)
    if index_if_empty is not None and not services.store.stats().get("articles"):
        app.state.indexing = _index_in_background(services.ingestor, index_if_empty, settings)
    indexing = app.state.indexing
    ui = ChatUI(
        services.answerer,
        services.ingestor,
        services.store,
        llm_enabled=services.llm_enabled,
        ingest_policy=IngestPolicy.chat_ui(Path(get_upload_folder())),
        ingest_limits=WriteLimits.from_settings(settings).ingest,
        indexing_progress=indexing.progress if indexing is not None else None,
    )
    blocks = ui.build()
    app = gr.mount_gradio_app(
        app,
        blocks,
        path="/",
        auth=_ui_login(settings.api_keys) if settings.api_keys else None,
        auth_message="Sign in with any user name and one of the server's API keys as the password.",
        max_file_size=settings.max_upload_bytes,
        ssr_mode=False,
        footer_links=["api"],
        css=CSS,
        head=HEAD,
    )
    # Gradio checks that an input file was uploaded by a user (not any path a client names, which it
    # would copy into its upload folder) only once the Blocks count as launched; a mounted app never is.
    blocks.has_launched = True
    _add_ui_guards(app, settings)
    _unknown_routes_in_error_shape(app)
    return app


def _add_ui_guards(app: FastAPI, settings: Settings) -> None:
    """Sign-in and question limits in front of the mounted UI (api.ui_login_guard, api.ui_event_guard)."""
    from uvicorn.middleware.proxy_headers import ProxyHeadersMiddleware

    from api.ui_event_guard import UiEventLimitMiddleware
    from api.ui_login_guard import FailedLoginLimiter, LoginGuardMiddleware

    app.add_middleware(
        LoginGuardMiddleware, limiter=FailedLoginLimiter(settings.ui_login_failures_per_minute)
    )
    app.add_middleware(UiEventLimitMiddleware, limiter=app.state.guards.limiter)
    if settings.trusted_proxies:
        # Outermost again (create_app's copy is now inside the UI guards): the UI guards count the
        # client a trusted proxy names, not the proxy. From other peers the header changes nothing.
        app.add_middleware(ProxyHeadersMiddleware, trusted_hosts=settings.trusted_proxies)


def _index_in_background(ingestor: Any, folder: Path, settings: Settings) -> Any:
    from index.loaders import load_items
    from qa.background import BackgroundIndexing

    log.info("the index is empty: indexing %s in the background; the server answers meanwhile", folder)
    loader = lambda: list(load_items([str(folder)]))  # noqa: E731
    return BackgroundIndexing(
        ingestor, loader, batch_size=FIRST_START_BATCH_ARTICLES, label=f"the {folder.name} corpus"
    ).start()


def _unknown_routes_in_error_shape(app: FastAPI) -> None:
    """The UI mounted at "/" receives every unknown path: answer those 404/405s, Gradio's 401s
    (not signed in) and 403s (a file it will not serve) in the API's shape. An API path with
    another method (`PUT /articles`) is 405 with `Allow`, as FastAPI would answer it unmounted."""
    from starlette.exceptions import HTTPException
    from starlette.requests import Request
    from starlette.responses import Response
    from starlette.routing import Mount, Route

    from api.application import STATUS_CODES, error_response

    def leaf_routes(routes: list[Any]) -> list[Route]:
        # FastAPI 0.165 keeps an included router's routes behind `original_router` (no prefixes here).
        nested = [r.original_router.routes for r in routes if hasattr(r, "original_router")]
        return [r for r in routes if isinstance(r, Route)] + [r for n in nested for r in leaf_routes(n)]

    def allowed_methods(path: str) -> set[str]:
        matching = [r for r in leaf_routes(app.routes) if r.methods and r.path_regex.match(path)]
        return {method for route in matching for method in route.methods or ()}

    async def handler(request: Request, exc: Exception) -> Response:
        status = exc.status_code if isinstance(exc, HTTPException) else 404
        detail = exc.detail if isinstance(exc, HTTPException) else "Not Found"
        allow = allowed_methods(request.url.path) if status == 404 else set()
        if allow and request.method not in allow:
            message = f"{request.method} is not allowed on {request.url.path}; use {', '.join(sorted(allow))}"
            return error_response(
                405, STATUS_CODES[405], message, headers={"Allow": ", ".join(sorted(allow))}
            )
        message = (
            f"no route for {request.method} {request.url.path}" if detail == "Not Found" else str(detail)
        )
        return error_response(status, STATUS_CODES[status], message)

    async def unauthorized(request: Request, exc: Exception) -> Response:
        detail = exc.detail if isinstance(exc, HTTPException) else None
        hint = detail.get("auth_message") if isinstance(detail, dict) else None
        message = "not signed in to the chat UI" + (f": {hint}" if hint else "")
        return error_response(401, STATUS_CODES[401], message)

    for route in app.routes:
        if isinstance(route, Mount) and route.path in ("", "/"):
            route.app.add_exception_handler(404, handler)  # type: ignore[attr-defined]
            route.app.add_exception_handler(405, handler)  # type: ignore[attr-defined]
            route.app.add_exception_handler(403, handler)  # type: ignore[attr-defined]
            route.app.add_exception_handler(401, unauthorized)  # type: ignore[attr-defined]


def app_from_env() -> FastAPI:
    """Factory for `uvicorn --factory app.server:app_from_env` (settings from NEWSQA_*)."""
    return create_server_app(Settings())


def serve(settings: Settings, *, index_if_empty: Path | None = None) -> None:
    """Run the server with uvicorn on settings.host:settings.port (see `create_server_app`)."""
    import uvicorn

    if not settings.api_keys and not is_loopback(settings.host):
        print(OPEN_BIND_WARNING.format(host=settings.host, port=settings.port), file=sys.stderr, flush=True)
    app = create_server_app(settings, index_if_empty=index_if_empty)
    # X-Forwarded-For is read by the app itself, from `settings.trusted_proxies` only (api.application).
    # h11, because it bounds the header block (httptools, uvicorn's default, buffers any size).
    uvicorn.run(app, host=settings.host, port=settings.port, proxy_headers=False, log_level="info",
                **header_limit_options(settings))  # fmt: skip


def header_limit_options(settings: Settings) -> dict[str, Any]:
    """uvicorn options that refuse a request line plus headers over `settings.max_header_bytes`."""
    return {"http": "h11", "h11_max_incomplete_event_size": settings.max_header_bytes}
