"""The chat UI in a real browser: the real server (uvicorn, real model) over an index of the seed article.

Asks "Where did the drone strike take place?", checks the answer names Nangarhar and the sources
panel marks a span containing it, and saves screenshots to docs/screenshots/.
"""

from __future__ import annotations

import os
import re
from collections.abc import Iterator
from pathlib import Path

import httpx
import pytest

from tests.qa.api_fakes import LiveServer

CHROMIUM = Path("/usr/bin/chromium")
REPO = Path(__file__).resolve().parents[2]
SCREENSHOTS = REPO / "docs" / "screenshots"
CHROMIUM_ARGS = [
    "--no-sandbox", "--disable-gpu", "--disable-background-networking", "--disable-component-update",
    "--no-first-run", "--disable-sync",
]  # fmt: skip

pytestmark = [
    pytest.mark.browser,
    pytest.mark.skipif(not CHROMIUM.exists(), reason="needs /usr/bin/chromium (apt-get install chromium)"),
]


def _seed_article(repo_dir: Path) -> Path:
    shared = REPO.parent / "shared" / "seeds" / "000_7999bad3e4a4883b.txt"
    return shared if shared.exists() else repo_dir / "data" / "demo" / "dawn-us-drone-strike-nangarhar.txt"


@pytest.fixture(scope="module")
def server_url(tmp_path_factory: pytest.TempPathFactory) -> Iterator[str]:
    from newsqa.server import create_server_app
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


def test_ask_shows_answer_and_highlighted_source(server_url: str) -> None:
    from playwright.sync_api import expect, sync_playwright

    SCREENSHOTS.mkdir(parents=True, exist_ok=True)
    with sync_playwright() as p:
        browser = p.chromium.launch(executable_path=str(CHROMIUM), args=CHROMIUM_ARGS, headless=True)
        try:
            page = browser.new_page(viewport={"width": 1400, "height": 900})
            page.goto(server_url + "/", wait_until="domcontentloaded", timeout=60_000)
            box = page.locator("#nq-question textarea")
            box.wait_for(timeout=60_000)
            box.fill("Where did the drone strike take place?")
            box.press("Enter")

            chat = page.locator("#nq-chat")
            expect(chat).to_contain_text("[1]", timeout=120_000)  # the final answer carries its markers
            marks = page.locator("#nq-sources mark")
            expect(marks.first).to_be_visible(timeout=30_000)
            page.screenshot(path=str(SCREENSHOTS / "chat.png"), full_page=True)
            answer_text = chat.inner_text().split("Where did the drone strike take place?", 1)[-1]
            marked_texts = marks.all_inner_texts()

            # Picking a source shows its passage first.
            page.locator("#nq-source-picker label").first.click()
            expect(page.locator("#nq-sources .nq-selected mark")).to_be_visible(timeout=30_000)

            page.get_by_role("tab", name="Add articles").click()
            expect(page.get_by_text("Newest articles")).to_be_visible(timeout=30_000)
            expect(page.locator("body")).to_contain_text(re.compile(r"\b1\b.*articles"), timeout=30_000)
            page.screenshot(path=str(SCREENSHOTS / "add-articles.png"), full_page=True)
        finally:
            browser.close()
    assert any("Nangarhar" in t for t in marked_texts), marked_texts
    assert "Nangarhar" in answer_text, answer_text
