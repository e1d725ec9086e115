"""/docs and /redoc work offline: every asset they load is served by the app (real uvicorn server),
and Swagger UI renders the operations in chromium with every request off this host blocked."""

from __future__ import annotations

import re
from collections.abc import Iterator
from pathlib import Path
from urllib.parse import urljoin, urlsplit

import httpx
import pytest

from api.application import create_app
from newsqa.settings import Settings
from tests.api.api_fakes import LiveServer, fake_services

CHROMIUM = Path("/usr/bin/chromium")
SCREENSHOTS = Path(__file__).resolve().parents[2] / "docs" / "screenshots"
ASSET_URL = re.compile(r"""(?:src|href)\s*=\s*["']([^"']+)["']|url\s*:\s*['"]([^'"]+)['"]""")


@pytest.fixture(scope="module")
def base_url(tmp_path_factory: pytest.TempPathFactory) -> Iterator[str]:
    tmp = tmp_path_factory.mktemp("docs")
    app = create_app(Settings(data_dir=tmp / "data"), services=fake_services(tmp))
    with LiveServer(app) as url:
        yield url


def referenced_urls(page_url: str, html: str) -> list[str]:
    return [urljoin(page_url, a or b) for a, b in ASSET_URL.findall(html)]


@pytest.mark.parametrize("page", ["/docs", "/redoc"])
def test_every_asset_a_docs_page_loads_is_served_locally(base_url: str, page: str) -> None:
    response = httpx.get(base_url + page)
    assert response.status_code == 200 and "text/html" in response.headers["content-type"]
    urls = referenced_urls(base_url + page, response.text)
    assert any(u.endswith(".js") for u in urls), urls
    for url in urls:
        assert urlsplit(url).netloc == urlsplit(base_url).netloc, f"{page} loads {url} from another host"
        asset = httpx.get(url)
        assert asset.status_code == 200 and asset.content, url


def test_assets_have_their_content_types(base_url: str) -> None:
    js = httpx.get(base_url + "/static/docs/swagger-ui-bundle.js")
    css = httpx.get(base_url + "/static/docs/swagger-ui.css")
    assert "javascript" in js.headers["content-type"] and "text/css" in css.headers["content-type"]
    assert httpx.get(base_url + "/static/docs/../api.py").status_code == 404


@pytest.mark.browser
@pytest.mark.skipif(not CHROMIUM.exists(), reason="needs /usr/bin/chromium")
def test_swagger_ui_and_redoc_render_offline(base_url: str) -> None:
    from playwright.sync_api import expect, sync_playwright

    local = urlsplit(base_url).netloc
    blocked: list[str] = []

    def only_local(route) -> None:
        if urlsplit(route.request.url).netloc == local:
            route.continue_()
        else:
            blocked.append(route.request.url)
            route.abort()

    SCREENSHOTS.mkdir(parents=True, exist_ok=True)
    with sync_playwright() as p:
        browser = p.chromium.launch(executable_path=str(CHROMIUM), args=["--no-sandbox"], headless=True)
        try:
            page = browser.new_page(viewport={"width": 1280, "height": 900})
            page.route("**/*", only_local)
            page.goto(base_url + "/docs", wait_until="domcontentloaded", timeout=60_000)
            expect(page.locator(".opblock-summary-path", has_text="/v1/chat/completions")).to_be_visible(
                timeout=60_000
            )
            expect(page.locator(".opblock-summary-path", has_text="/ask").first).to_be_visible()
            page.screenshot(path=str(SCREENSHOTS / "api-docs-offline.png"))
            page.goto(base_url + "/redoc", wait_until="domcontentloaded", timeout=60_000)
            expect(page.get_by_role("heading", name=re.compile("NewsQA")).first).to_be_visible(timeout=60_000)
            expect(page.locator("body")).to_contain_text("/v1/chat/completions", timeout=30_000)
        finally:
            browser.close()
    assert blocked == []
