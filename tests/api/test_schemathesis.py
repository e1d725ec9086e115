"""Fuzz the API from its own OpenAPI schema: no generated request may cause a server error.

Runs against the ASGI app in-process, every operation of the schema (each route and method; a test
below checks the schema lists them all), ~20 examples each. The answering routes run the real
Answerer (time parsing, search, extraction) over a small real store with the fake embedder, so the
fuzz reaches the date arithmetic and the text handling; the rest runs on fakes (no model, and the
fake ingestor refuses URLs, so nothing is fetched).
"""

from __future__ import annotations

import tempfile
from pathlib import Path
from typing import Any

import pytest

schemathesis = pytest.importorskip("schemathesis")
from fastapi.routing import APIRoute  # noqa: E402
from hypothesis import HealthCheck, settings  # noqa: E402
from schemathesis.checks import not_a_server_error  # noqa: E402

from api.application import create_app  # noqa: E402
from newsqa.settings import Settings  # noqa: E402
from tests.api.api_fakes import fake_services  # noqa: E402

# Routes FastAPI serves for its own documentation, not part of the API.
DOC_ROUTES = {"/openapi.json", "/docs", "/docs/oauth2-redirect", "/redoc"}

DATA_DIR = Path(tempfile.mkdtemp(prefix="newsqa-fuzz-"))
SERVICES = fake_services(DATA_DIR)
APP = create_app(
    Settings(data_dir=DATA_DIR, rate_limit_per_minute=0, max_upload_bytes=200_000), services=SERVICES
)
schema = schemathesis.openapi.from_asgi("/openapi.json", APP)


@pytest.fixture(scope="module", autouse=True)
def real_answerer(fake_news_answerer: Any) -> None:
    """The real Answerer behind the answering routes (loaded here, not when the module is collected)."""
    SERVICES.answerer = fake_news_answerer


@schema.parametrize()
@settings(max_examples=20, deadline=None, suppress_health_check=list(HealthCheck))
def test_no_server_errors(case: schemathesis.Case) -> None:
    response = case.call_and_validate(checks=[not_a_server_error])
    assert response.status_code < 500
    content_type = {k.lower(): v for k, v in response.headers.items()}.get("content-type", [""])[0]
    if response.status_code >= 400 and content_type.startswith("application/json"):
        assert set(response.json()) == {"error"}
    if content_type.startswith("text/event-stream"):
        # A stream reports a failure after it started as an event: none may be an internal error.
        assert "internal_error" not in response.text


def _served_routes(routes: list[Any], prefix: str = "") -> set[tuple[str, str]]:
    """(path, method) of every API route; FastAPI 0.165 keeps an included router as one entry that
    holds the router (`original_router`) and its prefix (`include_context.prefix`)."""
    served: set[tuple[str, str]] = set()
    for route in routes:
        if isinstance(route, APIRoute) and route.path not in DOC_ROUTES:
            served |= {(prefix + route.path, method.lower()) for method in route.methods}
        elif hasattr(route, "original_router"):
            inner = prefix + route.include_context.prefix
            served |= _served_routes(route.original_router.routes, inner)
    return served


def test_the_schema_lists_every_route_and_method() -> None:
    """Every route the app serves is an operation of the schema, so the fuzz above reaches it."""
    served = _served_routes(APP.routes)
    documented = {
        (path, method.lower())
        for path, item in APP.openapi()["paths"].items()
        for method in item
        if method.lower() in {"get", "post", "put", "patch", "delete"}
    }
    assert served and served <= documented
    assert {("/ask", "post"), ("/ask/stream", "post"), ("/v1/chat/completions", "post")} <= served
