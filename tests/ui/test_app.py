"""ui.app.ChatUI handlers over fake qa objects: streaming chat, sources panel, filters, ingest."""

from __future__ import annotations

import re
from pathlib import Path
from typing import Any

import gradio as gr
import pytest

from qa.ingest_policy import MAX_URLS_PER_REQUEST, IngestPolicy
from tests.api.api_fakes import FakeAnswerer, FakeIngestor, FakeStore, fake_article, fake_services
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
        "answers": None,
        **kw,
    }
    return list(ui.respond(question, history or [], **args))


class TestRespond:
    def test_streams_tokens_then_the_answer_with_markers_and_sources(self, parts: tuple[ChatUI, Any]) -> None:
        ui, _ = parts
        steps = run(ui, "Where did the unmanned airstrike occur?")
        partial = [s[0][-1]["content"] for s in steps[1:-1]]
        assert len(partial) >= 2 and all(b.startswith(a) for a, b in zip(partial, partial[1:], strict=False))
        chat, cleared, state, picker, html, answers, notice = steps[-1]
        assert chat[0] == {"role": "user", "content": "Where did the unmanned airstrike occur?"}
        assert chat[-1]["content"].endswith('class="nq-cite">[1]</a>') and cleared == "" and notice == ""
        assert answers == [state] and state["turn"] == 0
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

    def test_dates_in_common_forms_are_read(self, parts: tuple[ChatUI, Any]) -> None:
        ui, services = parts
        run(ui, "Where?", published_from="Sept 1 2022", published_to="1 October 2022")
        filters = services.answerer.calls[-1]["filters"]
        assert (filters.published_from, filters.published_to) == ("2022-09-01", "2022-10-01")

    def test_a_bad_date_is_an_inline_notice_that_keeps_the_chat_and_question(
        self, parts: tuple[ChatUI, Any]
    ) -> None:
        ui, services = parts
        history = [{"role": "user", "content": "drone strike?"}, {"role": "assistant", "content": "Yes [1]"}]
        earlier = [{"citations": [], "heading": "Sources", "turn": 0}]
        steps = run(ui, "Where exactly?", history, as_of="whenever it suits", answers=earlier)
        assert len(steps) == 1 and services.answerer.calls == []
        chat, question, _, _, _, answers, notice = steps[0]
        assert chat == history and question == "Where exactly?" and answers == earlier
        assert "As of" in notice and "'whenever it suits'" in notice

    def test_an_empty_question_is_a_gentle_hint(self, parts: tuple[ChatUI, Any]) -> None:
        ui, services = parts
        (step,) = run(ui, "   ")
        assert step[-1].startswith("Type a question first") and services.answerer.calls == []

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


class TestSourcesComeWithTheAnswer:
    def test_the_panel_is_built_from_the_citations_without_the_store(
        self, parts: tuple[ChatUI, Any], monkeypatch: pytest.MonkeyPatch
    ) -> None:
        ui, services = parts

        def no_store_reads(article_id: str) -> None:
            raise AssertionError(f"the sources panel read article {article_id} from the store")

        monkeypatch.setattr(services.store, "get_article", no_store_reads)
        _, _, state, _, html, _, _ = run(ui, "Where did the unmanned airstrike occur?")[-1]
        assert re.findall(r"<mark>(.*?)</mark>", html) == [
            "The unmanned airstrike occurred in the Nangarhar province of Afghanistan, Captain Urban said."
        ]
        # the context around the quote is the passage the citation carries
        assert "drone strike on Saturday." in html and "we killed the target." in html
        assert "Nangarhar" in ui.show_source(1, state)


class TestEarlierSources:
    def test_each_answer_keeps_its_sources_and_its_markers_bring_them_back(
        self, parts: tuple[ChatUI, Any]
    ) -> None:
        ui, services = parts
        services.store.articles["rain"] = fake_article(
            "Monsoon rains flooded Lahore on Tuesday.", title="Rain", source="dawn.com", id="rain"
        )
        chat, *_, answers, _ = run(ui, "Where did the unmanned airstrike occur?")[-1]
        chat, *_, answers, _ = run(ui, "Which city did the monsoon flood?", chat, answers=answers)[-1]
        assert [a["citations"][0]["article_id"] for a in answers] == ["drone1", "rain"]
        assert 'href="#nq-cite-1-1"' in chat[-1]["content"]
        state, picker, html = ui.focus_source("0:1:1712345", answers)  # the first answer's [1]
        assert state is answers[0] and picker["value"] == 1
        assert 'data-turn="0"' in html and "Nangarhar" in html and "Lahore" not in html

    def test_an_unknown_turn_changes_nothing(self, parts: tuple[ChatUI, Any]) -> None:
        assert all(u == {"__type__": "update"} for u in parts[0].focus_source("5:1", []))


class TestOverview:
    def test_progress_overview_and_examples_from_the_index(self, tmp_path: Path) -> None:
        services = fake_services(tmp_path)
        talks = fake_article(
            "Talks resumed on Monday.", title="Talks with Nadia Rahimi resume", id="t", source="x.com"
        )
        services.store.articles["t"] = talks
        progress = {"running": True, "done": 1, "total": 3, "failed": 0, "error": None, "label": "demo"}
        ui = ChatUI(services.answerer, services.ingestor, services.store, indexing_progress=lambda: progress)
        banner, chat, outlets, timer = ui.overview()
        assert (
            "1</b> of <b>3" in banner and timer.active is True and outlets["choices"] == ["dawn.com", "x.com"]
        )
        assert (
            "**2** articles from **2** outlets." in chat["placeholder"]
            and "dawn.com (1)" in chat["placeholder"]
        )
        assert chat["examples"] == [{"text": "What is the latest on Nadia Rahimi?"}]
        progress["running"] = False
        assert ui.overview()[3].active is False

    def test_presets_fill_the_dates_back_from_as_of(self, parts: tuple[ChatUI, Any]) -> None:
        assert parts[0].apply_preset("Past week", "2022-09-08") == ("2022-09-01", "2022-09-08")
        assert parts[0].apply_preset("Any time", "2022-09-08") == ("", "")


class TestAddArticles:
    def test_ingests_files_and_urls_and_refreshes_the_index(
        self, parts: tuple[ChatUI, Any], tmp_path: Path
    ) -> None:
        ui, services = parts
        ui.ingest_policy = IngestPolicy.chat_ui(tmp_path)  # tmp_path stands for Gradio's upload folder
        doc = tmp_path / "rain.txt"
        doc.write_text("Rain fell in Lahore on Tuesday, officials said.")
        summary, counts, found, rows = ui.add_articles([str(doc)], "https://example.com/feed.xml\n\n")
        assert services.ingestor.ingested_paths == [str(doc), "https://example.com/feed.xml"]
        assert "**Added** 1" in summary and "example.com/feed.xml" in summary and "None" not in summary
        assert "**2** articles" in counts and found.startswith("2 articles") and len(rows) == 2

    def test_search_open_and_delete(self, parts: tuple[ChatUI, Any]) -> None:
        ui, services = parts
        services.store.articles["rain"] = fake_article("Rain fell in Lahore.", title="Lahore rain", id="rain")
        _, found, rows = ui.index_panel("lahore")
        assert found.startswith("1 of 2 articles match") and rows == [["", "", "Lahore rain", "rain"]]
        assert "Rain fell in Lahore." in ui.library.open("rain")
        opened, message, button, counts, found, rows = ui.delete_article("rain", "lahore")
        assert opened is None and message.startswith("Deleted") and "rain" not in services.store.articles
        assert button["visible"] is False
        assert found.startswith("0 of 1 article match") and rows == []
        assert "already deleted" in ui.delete_article("rain", "")[1]

    def test_nothing_given_is_a_user_error(self, parts: tuple[ChatUI, Any]) -> None:
        with pytest.raises(gr.Error):
            parts[0].add_articles(None, "  ")

    def test_without_an_upload_folder_only_urls_go_in(
        self, parts: tuple[ChatUI, Any], tmp_path: Path
    ) -> None:
        ui, services = parts
        doc = tmp_path / "rain.txt"
        doc.write_text("Rain fell in Lahore on Tuesday, officials said.")
        summary, *_ = ui.add_articles([str(doc)], "https://example.com/a")
        assert services.ingestor.ingested_paths == ["https://example.com/a"]
        assert "- **failed**: `rain.txt` — refused: the chat UI takes only http(s) URLs" in summary

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
