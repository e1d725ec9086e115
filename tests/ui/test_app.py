"""ui.app.ChatUI handlers over fake qa objects: streaming chat, sources panel, filters, ingest."""

from __future__ import annotations

import re
from pathlib import Path
from typing import Any

import gradio as gr
import pytest

from qa.ingest_policy import IngestPolicy
from qa.schemas import MAX_URLS_PER_REQUEST
from tests.qa.api_fakes import FakeAnswerer, FakeIngestor, FakeStore, fake_services
from ui.app import ChatUI


@pytest.fixture
def parts(tmp_path: Path) -> tuple[ChatUI, Any]:
    services = fake_services(tmp_path)
    return ChatUI(services.answerer, services.ingestor, services.store, llm_enabled=True), services


def run(ui: ChatUI, question: str, history: list | None = None, **kw: Any) -> list[tuple]:
    args = {
        "outlets": None,
        "published_from": "",
        "published_to": "",
        "as_of": "",
        "mode": "extractive",
        **kw,
    }
    return list(ui.respond(question, history or [], **args))


class TestRespond:
    def test_streams_tokens_then_the_answer_with_markers_and_sources(self, parts: tuple[ChatUI, Any]) -> None:
        ui, _ = parts
        steps = run(ui, "Where did the unmanned airstrike occur?")
        partial = [s[0][-1]["content"] for s in steps[1:-1]]
        assert len(partial) >= 2 and all(b.startswith(a) for a, b in zip(partial, partial[1:], strict=False))
        chat, cleared, state, picker, html = steps[-1]
        assert chat[0] == {"role": "user", "content": "Where did the unmanned airstrike occur?"}
        assert chat[-1]["content"].endswith("[1]") and cleared == ""
        assert picker["value"] == 1 and picker["choices"][0][1] == 1
        assert re.findall(r"<mark>(.*?)</mark>", html)[0].startswith(
            "The unmanned airstrike occurred in the Nangarhar"
        )

    def test_passes_history_filters_as_of_and_mode(self, parts: tuple[ChatUI, Any]) -> None:
        ui, services = parts
        history = [{"role": "user", "content": "drone strike?"}, {"role": "assistant", "content": "Yes [1]"}]
        run(ui, "Where?", history, outlets=["dawn.com"], published_from="2021-08-01", as_of="2021-09-01",
            mode="generative")  # fmt: skip
        call = services.answerer.calls[-1]
        assert call["history"] == history and call["as_of"] == "2021-09-01" and call["mode"] == "generative"
        assert call["filters"].sources == ["dawn.com"] and call["filters"].published_from == "2021-08-01"

    def test_generative_needs_an_llm(self, tmp_path: Path) -> None:
        services = fake_services(tmp_path)
        ui = ChatUI(services.answerer, services.ingestor, services.store, llm_enabled=False)
        run(ui, "Where?", mode="generative")
        assert services.answerer.calls[-1]["mode"] == "extractive"

    def test_bad_date_is_a_user_error(self, parts: tuple[ChatUI, Any]) -> None:
        with pytest.raises(gr.Error):
            run(parts[0], "Where?", as_of="last week")

    def test_abstention_is_shown_as_not_found(self, parts: tuple[ChatUI, Any]) -> None:
        chat = run(parts[0], "Who won Wimbledon?")[-1][0]
        assert chat[-1]["content"].startswith("Not found in the indexed articles")

    def test_answerer_errors_become_a_message(self, parts: tuple[ChatUI, Any]) -> None:
        chat = run(parts[0], "invalid! question")[-1][0]
        assert "refuses" in chat[-1]["content"]

    def test_picking_a_source_shows_its_passage(self, parts: tuple[ChatUI, Any]) -> None:
        ui, _ = parts
        state = run(ui, "Where did the unmanned airstrike occur?")[-1][2]
        html = ui.show_source(1, state)
        assert 'class="nq-source nq-selected" id="nq-source-1"' in html


class TestAddArticles:
    def test_ingests_files_and_urls_and_refreshes_the_index(
        self, parts: tuple[ChatUI, Any], tmp_path: Path
    ) -> None:
        ui, services = parts
        ui.ingest_policy = IngestPolicy.chat_ui(tmp_path)  # tmp_path stands for Gradio's upload folder
        doc = tmp_path / "rain.txt"
        doc.write_text("Rain fell in Lahore on Tuesday, officials said.")
        summary, counts, rows = ui.add_articles([str(doc)], "https://example.com/feed.xml\n\n")
        assert services.ingestor.ingested_paths == [str(doc), "https://example.com/feed.xml"]
        assert "**Added** 1" in summary and "example.com/feed.xml" in summary
        assert "**2** articles" in counts and len(rows) == 2

    def test_nothing_given_is_a_user_error(self, parts: tuple[ChatUI, Any]) -> None:
        with pytest.raises(gr.Error):
            parts[0].add_articles(None, "  ")

    def test_without_an_upload_folder_only_urls_go_in(
        self, parts: tuple[ChatUI, Any], tmp_path: Path
    ) -> None:
        ui, services = parts
        doc = tmp_path / "rain.txt"
        doc.write_text("Rain fell in Lahore on Tuesday, officials said.")
        summary, _, _ = ui.add_articles([str(doc)], "https://example.com/a")
        assert services.ingestor.ingested_paths == ["https://example.com/a"]
        assert "- failed: `rain.txt` — refused: the chat UI takes only http(s) URLs" in summary

    def test_too_many_urls_is_a_user_error(self, parts: tuple[ChatUI, Any]) -> None:
        urls = "\n".join(f"https://example.com/{i}" for i in range(MAX_URLS_PER_REQUEST + 1))
        with pytest.raises(gr.Error, match="at most"):
            parts[0].add_articles(None, urls)
        assert parts[1].ingestor.ingested_paths == []


class TestBuild:
    def test_builds_blocks_with_and_without_the_add_tab(self) -> None:
        store = FakeStore()
        with_add = ChatUI(FakeAnswerer(store), FakeIngestor(store), store).build()
        without = ChatUI(FakeAnswerer(store), None, store).build()
        labels = lambda b: {getattr(c, "label", None) for c in b.blocks.values()}  # noqa: E731
        assert isinstance(with_add, gr.Blocks) and "Add articles" in labels(with_add)
        assert "Add articles" not in labels(without) and "Sources" in labels(without)
