"""Fuzz the API from its own OpenAPI schema: no generated request may cause a server error.

Runs against the ASGI app in-process over fake services (no model, nothing is fetched: the fake
ingestor refuses URLs), ~20 examples per operation.
"""

from __future__ import annotations

import tempfile
from pathlib import Path

import pytest

schemathesis = pytest.importorskip("schemathesis")
from hypothesis import HealthCheck, settings  # noqa: E402
from schemathesis.checks import not_a_server_error  # noqa: E402

from newsqa.settings import Settings  # noqa: E402
from qa.api import create_app  # noqa: E402
from tests.qa.api_fakes import fake_services  # noqa: E402

DATA_DIR = Path(tempfile.mkdtemp(prefix="newsqa-fuzz-"))
APP = create_app(
    Settings(data_dir=DATA_DIR, rate_limit_per_minute=0, max_upload_bytes=200_000),
    services=fake_services(DATA_DIR),
)
schema = schemathesis.openapi.from_asgi("/openapi.json", APP)


@schema.parametrize()
@settings(max_examples=20, deadline=None, suppress_health_check=list(HealthCheck))
def test_no_server_errors(case: schemathesis.Case) -> None:
    response = case.call_and_validate(checks=[not_a_server_error])
    assert response.status_code < 500
    content_type = {k.lower(): v for k, v in response.headers.items()}.get("content-type", [""])[0]
    if response.status_code >= 400 and content_type.startswith("application/json"):
        assert set(response.json()) == {"error"}
