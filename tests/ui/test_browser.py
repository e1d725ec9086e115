"""The chat UI in a real browser: the real server (uvicorn, real model) over an index of the seed article.

Asks "Where did the drone strike take place?", checks the answer names Nangarhar and the sources
panel marks a span containing it, and saves the screenshots in docs/screenshots/ (chat light and
dark, the sources panel, the Add-articles tab):

    pytest tests/ui/test_browser.py
"""

from __future__ import annotations

import os
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import httpx
import pytest
from playwright.sync_api import expect

from tests.api.api_fakes import LiveServer
from tests.ui.browser_helpers import CHROMIUM, CHROMIUM_ARGS, WCAG_AA_TEXT, element_contrast

REPO = Path(__file__).resolve().parents[2]
SCREENSHOTS = REPO / "docs" / "screenshots"
QUESTION = "Where did the drone strike take place?"

pytestmark = [
    pytest.mark.browser,
    pytest.mark.skipif(not CHROMIUM.exists(), reason="needs /usr/bin/chromium (apt-get install chromium)"),
]


def _seed_article(repo_dir: Path) -> Path:
    shared = REPO.parent / "shared" / "seeds" / "000_7999bad3e4a4883b.txt"
    return shared if shared.exists() else repo_dir / "data" / "demo" / "dawn-us-drone-strike-nangarhar.txt"


@pytest.fixture(scope="module")
def server_url(tmp_path_factory: pytest.TempPathFactory) -> Iterator[str]:
    from app.server import create_server_app
    from newsqa.settings import Settings

    data_dir = tmp_path_factory.mktemp("browser") / "data"
    os.environ["GRADIO_TEMP_DIR"] = str(data_dir / "uploads" / "ui")
    app = create_server_app(Settings(data_dir=data_dir, rate_limit_per_minute=0))
    with LiveServer(app) as url:
        seed = _seed_article(REPO)
        with seed.open("rb") as fh:
            summary = httpx.post(f"{url}/articles", files=[("files", (seed.name, fh, "text/plain"))],
                                 timeout=300).json()  # fmt: skip
        assert summary["added"] == 1, summary
        yield url


def ask(page: Any, url: str, empty_screenshot: str | None = None) -> Any:
    page.goto(url + "/", wait_until="domcontentloaded", timeout=60_000)
    box = page.locator("#nq-question textarea")
    box.wait_for(timeout=60_000)
    if empty_screenshot:  # what an empty chat says: what is indexed, example questions
        expect(page.locator("#nq-chat")).to_contain_text("1 article from", timeout=30_000)
        page.screenshot(path=str(SCREENSHOTS / empty_screenshot), full_page=True)
    box.fill(QUESTION)
    box.press("Enter")
    chat = page.locator("#nq-chat")
    expect(chat.locator("a.nq-cite").first).to_be_visible(timeout=120_000)  # the final answer's markers
    expect(page.locator("#nq-sources mark").first).to_be_visible(timeout=30_000)
    return chat


def test_ask_shows_answer_and_highlighted_source(server_url: str) -> None:
    from playwright.sync_api import sync_playwright

    SCREENSHOTS.mkdir(parents=True, exist_ok=True)
    with sync_playwright() as p:
        browser = p.chromium.launch(executable_path=str(CHROMIUM), args=CHROMIUM_ARGS, headless=True)
        try:
            page = browser.new_page(viewport={"width": 1400, "height": 900})
            chat = ask(page, server_url, empty_screenshot="empty-chat.png")
            page.screenshot(path=str(SCREENSHOTS / "chat.png"), full_page=True)
            answer_text = chat.inner_text().split(QUESTION, 1)[-1]
            marked_texts = page.locator("#nq-sources mark").all_inner_texts()

            # The answer's [1] brings its source to the top of the panel, marked and focused.
            chat.locator("a.nq-cite").first.click()
            expect(page.locator("#nq-sources .nq-focused mark")).to_be_visible(timeout=30_000)
            page.locator("#nq-sources").screenshot(path=str(SCREENSHOTS / "sources.png"))

            page.get_by_role("tab", name="Add articles").click()
            expect(page.locator("#nq-article-count")).to_contain_text("1 article.", timeout=30_000)
            page.screenshot(path=str(SCREENSHOTS / "add-articles.png"), full_page=True)

            dark = browser.new_page(viewport={"width": 1400, "height": 900}, color_scheme="dark")
            ask(dark, server_url)
            assert element_contrast(dark.locator("#nq-sources mark").first) >= WCAG_AA_TEXT
            dark.screenshot(path=str(SCREENSHOTS / "chat-dark.png"), full_page=True)
        finally:
            browser.close()
    assert any("Nangarhar" in t for t in marked_texts), marked_texts
    assert "Nangarhar" in answer_text, answer_text
