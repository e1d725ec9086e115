"""The chat page in chromium against the real server app over fake qa objects (no model: fast).

The server starts on an empty index with a small corpus to index on first start, held at a gate,
so the first test sees the progress; the others run on the indexed corpus.
"""

from __future__ import annotations

import os
import re
import threading
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import httpx
import pytest

from newsqa.types import Article, IngestFailure, IngestSummary
from tests.api.api_fakes import FakeAnswerer, FakeIngestor, FakeStore, LiveServer, fake_article
from tests.ui.browser_helpers import CHROMIUM, CHROMIUM_ARGS, WCAG_AA_TEXT, element_contrast, unnamed_controls

SCREENSHOTS = Path(__file__).resolve().parents[2] / "docs" / "screenshots"

pytestmark = [
    pytest.mark.browser,
    pytest.mark.skipif(not CHROMIUM.exists(), reason="needs /usr/bin/chromium (apt-get install chromium)"),
]

STORIES = {
    "lahore-floods.txt": "Monsoon floods in Lahore\n\nMonsoon rains flooded the streets of Lahore on Tuesday, "
    "the Punjab Emergency Service said. Rescue teams moved two hundred families to higher ground.",
    "harbour-bridge.txt": "Harbour bridge reopens\n\nThe Kestrel Harbour bridge reopened to traffic on Friday "
    "after eight months of repairs, the Marlow County council said.",
    "orchard-fire.txt": "Orchard fire contained\n\nFirefighters contained a fire at the Willow Creek orchard "
    "near Fresno on Sunday, Cal Fire said. No buildings were lost.",
}
QUESTION_A = "Which streets did the monsoon rains flood?"
QUESTION_B = "When did the harbour bridge reopen to traffic?"


class GatedIngestor(FakeIngestor):
    """The fake ingestor, holding each first-start batch until `gate` is set."""

    def __init__(self, store: FakeStore) -> None:
        super().__init__(store)
        self.gate = threading.Event()

    def ingest_articles(self, articles: list[Article | IngestFailure]) -> IngestSummary:
        self.gate.wait(60)
        return super().ingest_articles([a for a in articles if isinstance(a, Article)])


@dataclass
class Site:
    url: str
    ingestor: GatedIngestor
    answerer: FakeAnswerer
    browser: Any

    def indexed(self) -> None:
        self.ingestor.gate.set()
        for _ in range(200):
            if httpx.get(f"{self.url}/readyz", timeout=5).status_code == 200:
                return
            threading.Event().wait(0.05)
        raise TimeoutError("first-start indexing did not finish")

    def page(self, **options: Any) -> Any:
        page = self.browser.new_page(viewport={"width": 1400, "height": 1000}, **options)
        page.goto(self.url + "/", wait_until="domcontentloaded", timeout=60_000)
        page.locator("#nq-question textarea").wait_for(timeout=60_000)
        return page


@pytest.fixture(scope="module")
def site(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Site]:
    from playwright.sync_api import sync_playwright

    from api.deps import Services
    from app.server import create_server_app
    from newsqa.settings import Settings

    root = tmp_path_factory.mktemp("chat-site")
    corpus = root / "stories"
    corpus.mkdir()
    for name, text in STORIES.items():
        (corpus / name).write_text(text, encoding="utf-8")
    os.environ["GRADIO_TEMP_DIR"] = str(root / "data" / "uploads" / "ui")
    store = FakeStore()
    ingestor = GatedIngestor(store)
    answerer = FakeAnswerer(store)
    services = Services(answerer=answerer, ingestor=ingestor, store=store, make_article=fake_article,
                        upload_dir=root / "data" / "uploads")  # fmt: skip
    settings = Settings(data_dir=root / "data", rate_limit_per_minute=0)
    app = create_server_app(settings, index_if_empty=corpus, services=services)
    with LiveServer(app) as url, sync_playwright() as p:
        browser = p.chromium.launch(executable_path=str(CHROMIUM), args=CHROMIUM_ARGS, headless=True)
        try:
            yield Site(url, ingestor, answerer, browser)
        finally:
            ingestor.gate.set()
            browser.close()


def ask(page: Any, question: str) -> None:
    page.locator("#nq-question textarea").fill(question)
    page.locator("#nq-send").click()


def test_first_start_shows_progress_then_what_is_indexed_and_examples(site: Site) -> None:
    from playwright.sync_api import expect

    ready = httpx.get(f"{site.url}/readyz", timeout=5)
    assert ready.status_code == 503 and ready.json()["ready"] is False
    assert ready.json()["indexing"] == {"done": 0, "total": len(STORIES)}
    page = site.page()
    expect(page.locator("#nq-progress")).to_contain_text(f"0 of {len(STORIES)}", timeout=30_000)
    SCREENSHOTS.mkdir(parents=True, exist_ok=True)
    page.screenshot(path=str(SCREENSHOTS / "first-start.png"))
    site.indexed()
    expect(page.locator("#nq-progress")).to_contain_text(f"Indexed the stories corpus: {len(STORIES)}",
                                                         timeout=30_000)  # fmt: skip
    chat = page.locator("#nq-chat")
    expect(chat).to_contain_text(f"{len(STORIES)} articles", timeout=30_000)
    examples = chat.get_by_role("button", name=re.compile("^Select example"))
    expect(examples).to_have_count(len(STORIES), timeout=30_000)  # one per story: each names someone
    asked = examples.last.inner_text().strip()
    assert asked.startswith("What is the latest on "), asked
    examples.last.click()  # asks it
    expect(chat.locator(".user")).to_contain_text(asked, timeout=30_000)
    expect(chat.locator("a.nq-cite").first).to_be_visible(timeout=30_000)
    page.close()


def test_conversation_markers_earlier_sources_inline_hints_and_names(site: Site) -> None:
    """One page (page loads are slow): [n] focuses its source, earlier answers' sources come back,
    bad dates and empty questions are inline hints that keep the chat, presets fill the dates,
    and every control of the Ask tab has an accessible name."""
    from playwright.sync_api import expect

    site.indexed()
    page = site.page()
    ask(page, QUESTION_A)
    expect(page.locator("#nq-sources")).to_contain_text("Lahore", timeout=30_000)
    ask(page, QUESTION_B)
    expect(page.locator('#nq-sources .nq-sources[data-turn="1"]')).to_contain_text("Kestrel", timeout=30_000)

    page.locator('#nq-chat a[href="#nq-cite-0-1"]').click()  # the first answer's [1]
    card = page.locator('#nq-sources .nq-sources[data-turn="0"] #nq-source-1')
    expect(card).to_contain_text("Lahore", timeout=30_000)
    expect(card).to_have_class("nq-source nq-selected nq-focused", timeout=10_000)
    expect(card).to_be_focused()
    expect(page.locator("#nq-sources")).to_contain_text("Sources of answer 1")

    page.get_by_text("Filters").click()
    assert not unnamed_controls(page), unnamed_controls(page)
    page.locator("#nq-from textarea, #nq-from input").fill("Sept 1 2022")
    ask(page, QUESTION_B)
    expect(page.locator("#nq-chat a.nq-cite")).to_have_count(3, timeout=30_000)
    assert site.answerer.calls[-1]["filters"].published_from == "2022-09-01"

    page.locator("#nq-from textarea, #nq-from input").fill("the day after the flood")
    ask(page, QUESTION_A)
    notice = page.locator("#nq-notice")
    expect(notice).to_contain_text("could not read 'the day after the flood' as a date", timeout=30_000)
    expect(page.locator("#nq-question textarea")).to_have_value(QUESTION_A)
    expect(page.locator("#nq-chat a.nq-cite")).to_have_count(3)  # the conversation is all there
    page.locator("#nq-question textarea").fill("   ")
    page.locator("#nq-send").click()
    expect(notice).to_contain_text("Type a question first", timeout=30_000)
    expect(page.get_by_text("Error", exact=True)).to_have_count(0)

    page.get_by_role("radio", name="Past week").check()
    iso = re.compile(r"^\d{4}-\d{2}-\d{2}$")
    expect(page.locator("#nq-from textarea, #nq-from input")).to_have_value(iso, timeout=10_000)
    page.close()


def test_dark_mode_highlight_is_readable(site: Site) -> None:
    from playwright.sync_api import expect

    site.indexed()
    page = site.page(color_scheme="dark")
    assert page.evaluate("matchMedia('(prefers-color-scheme: dark)').matches")
    ask(page, QUESTION_A)
    mark = page.locator("#nq-sources mark").first
    expect(mark).to_be_visible(timeout=30_000)
    for locator in (mark, page.locator("#nq-sources .nq-meta").first, page.locator("#nq-chat p").last):
        assert element_contrast(locator) >= WCAG_AA_TEXT, locator
    page.close()


def test_add_articles_reports_real_failures_finds_opens_and_deletes_and_names_controls(
    site: Site, tmp_path: Path
) -> None:
    from playwright.sync_api import expect

    site.indexed()
    page = site.page()
    page.get_by_role("tab", name="Add articles").click()
    expect(page.locator("#nq-articles")).to_be_visible(timeout=30_000)
    assert not unnamed_controls(page), unnamed_controls(page)
    story = tmp_path / "ferry-strike.txt"
    story.write_text("Ferry crews strike\n\nFerry crews on the Tamsin line walked out on Monday over pay.")
    page.locator("#nq-add-files input[type=file]").set_input_files(str(story))
    page.locator("#nq-add-urls textarea").fill("https://example.com/feed.xml")
    page.get_by_role("button", name="Add articles").click()
    summary = page.locator("#nq-ingest-summary")
    expect(summary).to_contain_text("example.com/feed.xml", timeout=30_000)
    expect(summary).to_contain_text("added: ferry-strike")
    assert "None" not in summary.inner_text()

    page.locator("#nq-article-search textarea, #nq-article-search input").fill("ferry")
    count = page.locator("#nq-article-count")
    expect(count).to_contain_text(f"1 of {len(STORIES) + 1} articles match", timeout=30_000)
    page.locator("#nq-articles").get_by_test_id("cell-0-2").click()  # the title of the one match
    expect(page.locator("#nq-article")).to_contain_text("walked out on Monday over pay", timeout=30_000)
    page.get_by_role("button", name="Delete the opened article").click()  # shown once one is open
    expect(page.locator("#nq-article")).to_contain_text("Deleted", timeout=30_000)
    expect(count).to_contain_text(f"0 of {len(STORIES)} articles match", timeout=30_000)
    page.close()
