"""The Gradio chat UI: ask with history and streaming, see numbered citations and their passages.

It only calls what it is given (an Answerer, an Ingestor, a store) and displays what they
return; it builds nothing from Settings. Mounted at "/" by `newsqa.server`.

    ui = ChatUI(answerer, ingestor, store, llm_enabled=False)
    blocks = ui.build()
    gr.mount_gradio_app(app, blocks, path="/")
"""

from __future__ import annotations

import logging
import os
from collections.abc import Iterator
from datetime import date
from typing import Any, Protocol

os.environ.setdefault("GRADIO_ANALYTICS_ENABLED", "False")

import gradio as gr

from newsqa.errors import NewsQAError
from newsqa.types import Answer, Article, Filters, IngestLimits, IngestSummary
from qa.ingest_policy import IngestPolicy, show_client_names
from qa.schemas import MAX_ARTICLES_PER_REQUEST, MAX_URLS_PER_REQUEST
from ui.render import (
    answer_markdown,
    citation_label,
    index_markdown,
    newest_rows,
    outlets_of,
    shown_citations,
    sources_html,
    summary_markdown,
)

log = logging.getLogger(__name__)

NEWEST_SHOWN = 10
CSS = """
.nq-source { border: 1px solid var(--border-color-primary); border-radius: 8px; padding: 8px 10px; margin: 6px 0; }
.nq-selected { border-color: var(--color-accent); box-shadow: 0 0 0 1px var(--color-accent); }
.nq-meta, .nq-also { font-size: 0.85em; opacity: 0.8; }
.nq-passage { margin: 6px 0 0 0; padding-left: 8px; border-left: 3px solid var(--border-color-primary); }
.nq-passage mark { background: #ffe58a; color: inherit; padding: 0 1px; }
.nq-heading { font-weight: 600; margin-bottom: 4px; }
"""


class AnswererLike(Protocol):
    def ask(self, question: str, **kwargs: Any) -> Answer: ...

    def ask_stream(self, question: str, **kwargs: Any) -> Iterator[dict[str, Any]]: ...


class IngestorLike(Protocol):
    def ingest(self, items: list[str], **kwargs: Any) -> IngestSummary: ...


class StoreLike(Protocol):
    def get_article(self, article_id: str) -> Article | None: ...

    def list_articles(self, *, limit: int | None = None, offset: int = 0) -> list[dict[str, Any]]: ...

    def stats(self) -> dict[str, Any]: ...


def _date_or_none(value: str | None, label: str) -> str | None:
    value = (value or "").strip()
    if not value:
        return None
    try:
        return date.fromisoformat(value).isoformat()
    except ValueError as exc:
        raise gr.Error(f"{label} must be a date like 2021-08-28, not {value!r}") from exc


class ChatUI:
    """The chat, sources panel, filters and "Add articles" tab over the given objects.

    `ingestor=None` leaves out the "Add articles" tab. `llm_enabled` shows the extractive /
    generative switch.
    """

    def __init__(
        self,
        answerer: AnswererLike,
        ingestor: IngestorLike | None,
        store: StoreLike,
        *,
        llm_enabled: bool = False,
        title: str = "NewsQA",
        ingest_policy: IngestPolicy | None = None,
        ingest_limits: IngestLimits | None = None,
    ) -> None:
        self.answerer = answerer
        self.ingestor = ingestor
        # Without Gradio's upload folder, only URLs go in (`newsqa.server` passes the folder).
        self.ingest_policy = ingest_policy or IngestPolicy("the chat UI")
        # The same per-request budget as POST /articles (unpacked bytes, lines, articles).
        self.ingest_limits = ingest_limits
        self.store = store
        self.llm_enabled = llm_enabled
        self.title = title

    # -- handlers (plain methods, so tests call them without a browser) -------------------------

    def respond(
        self,
        message: str,
        history: list[dict[str, Any]],
        outlets: list[str] | None,
        published_from: str | None,
        published_to: str | None,
        as_of: str | None,
        mode: str | None,
    ) -> Iterator[tuple[list[dict[str, Any]], str, dict[str, Any], Any, str]]:
        """Stream one answer: yields (chat, cleared input, answer state, sources radio, sources html)."""
        question = (message or "").strip()
        if not question:
            raise gr.Error("Type a question first.")
        filters = Filters(
            sources=list(outlets) if outlets else None,
            published_from=_date_or_none(published_from, "Published from"),
            published_to=_date_or_none(published_to, "Published to"),
        )
        kwargs = {
            "history": [{"role": m["role"], "content": _text(m["content"])} for m in history] or None,
            "as_of": _date_or_none(as_of, "As of"),
            "filters": None if filters.is_empty() else filters,
            "mode": mode if self.llm_enabled and mode in ("extractive", "generative") else "extractive",
        }
        chat = [*history, {"role": "user", "content": question}, {"role": "assistant", "content": ""}]
        empty: dict[str, Any] = {"citations": [], "texts": {}, "heading": "Sources"}
        yield chat, "", empty, gr.update(choices=[], value=None), sources_html([], {}, None)
        try:
            for event in self.answerer.ask_stream(question, **kwargs):
                if event.get("event") == "token":
                    chat[-1] = {
                        "role": "assistant",
                        "content": chat[-1]["content"] + str(event.get("data", "")),
                    }
                    yield chat, "", empty, gr.update(), gr.update()
                elif event.get("event") == "answer":
                    answer = event["data"]
                    chat[-1] = {"role": "assistant", "content": answer_markdown(answer)}
                    state = self._panel_state(answer)
                    first = state["citations"][0]["n"] if state["citations"] else None
                    choices = [(citation_label(c), c["n"]) for c in state["citations"]]
                    html = sources_html(state["citations"], state["texts"], first, heading=state["heading"])
                    yield chat, "", state, gr.update(choices=choices, value=first), html
        except NewsQAError as exc:
            chat[-1] = {"role": "assistant", "content": f"⚠️ {exc.message}"}
            yield chat, "", empty, gr.update(choices=[], value=None), sources_html([], {}, None)

    def _panel_state(self, answer: dict[str, Any]) -> dict[str, Any]:
        citations, heading = shown_citations(answer)
        texts: dict[str, str] = {}
        for citation in citations:
            aid = citation["article_id"]
            if aid not in texts:
                article = self.store.get_article(aid)
                if article is not None:
                    texts[aid] = article.text
        return {"citations": citations, "texts": texts, "heading": heading}

    def show_source(self, selected: int | None, state: dict[str, Any]) -> str:
        """The sources panel with source `selected` first and marked."""
        return sources_html(state.get("citations", []), state.get("texts", {}), selected,
                            heading=state.get("heading", "Sources"))  # fmt: skip

    def add_articles(self, files: list[str] | None, urls: str | None) -> tuple[str, str, list[list[str]]]:
        """Ingest uploaded files and pasted page/feed URLs; returns the summary and the refreshed index panel.

        `self.ingest_policy` decides what goes in: files of Gradio's upload folder and http(s) URLs;
        any other line (a path, a folder) is refused by name while the rest are ingested.
        """
        if self.ingestor is None:
            raise gr.Error("Adding articles is disabled on this server.")
        paths = [str(f) for f in files or []]
        lines = [u.strip() for u in (urls or "").splitlines() if u.strip()]
        if not paths and not lines:
            raise gr.Error("Upload files or paste URLs first.")
        if len(paths) > MAX_ARTICLES_PER_REQUEST or len(lines) > MAX_URLS_PER_REQUEST:
            raise gr.Error(
                f"Add at most {MAX_ARTICLES_PER_REQUEST} files and {MAX_URLS_PER_REQUEST} URLs at a time."
            )
        try:
            bounded = {"limits": self.ingest_limits} if self.ingest_limits else {}
            summary = self.ingest_policy.ingest(self.ingestor, paths + lines, **bounded)
        except NewsQAError as exc:
            raise gr.Error(exc.message) from exc
        show_client_names(summary, {p: os.path.basename(p) for p in paths})  # Gradio keeps the name
        stats_md, rows = self.index_panel()
        return summary_markdown(summary.to_dict()), stats_md, rows

    def index_panel(self) -> tuple[str, list[list[str]]]:
        return index_markdown(self.store.stats()), newest_rows(self.store.list_articles(limit=NEWEST_SHOWN))

    def outlet_choices(self) -> Any:
        return gr.update(choices=outlets_of(self.store.stats()))

    # -- layout ---------------------------------------------------------------------------------

    def build(self) -> gr.Blocks:
        with gr.Blocks(title=self.title, analytics_enabled=False) as blocks:
            gr.Markdown(f"# {self.title}\nAsk about the indexed news. Every answer cites the exact passages.")
            with gr.Tab("Ask"):
                self._ask_tab(blocks)
            if self.ingestor is not None:
                with gr.Tab("Add articles"):
                    self._add_tab(blocks)
        return blocks

    def _ask_tab(self, blocks: gr.Blocks) -> None:
        state = gr.State({"citations": [], "texts": {}, "heading": "Sources"})
        with gr.Row():
            with gr.Column(scale=3):
                chat = gr.Chatbot(label="Chat", height=460, elem_id="nq-chat", feedback_options=None)
                question = gr.Textbox(placeholder="Where did the drone strike take place?", label="Question",
                                      elem_id="nq-question", submit_btn=True)  # fmt: skip
                with gr.Accordion("Filters", open=False):
                    outlets = gr.Dropdown(label="Outlets", multiselect=True, choices=[], elem_id="nq-outlets")
                    with gr.Row():
                        published_from = gr.Textbox(label="Published from", placeholder="YYYY-MM-DD")
                        published_to = gr.Textbox(label="Published to", placeholder="YYYY-MM-DD")
                        as_of = gr.Textbox(label="As of", placeholder="YYYY-MM-DD (default: today)")
                    mode = gr.Radio(["extractive", "generative"], value="extractive", label="Answer mode",
                                    visible=self.llm_enabled)  # fmt: skip
                clear = gr.Button("New conversation", size="sm")
            with gr.Column(scale=2):
                picker = gr.Radio(label="Sources", choices=[], elem_id="nq-source-picker")
                panel = gr.HTML(sources_html([], {}, None), elem_id="nq-sources")
        inputs = [question, chat, outlets, published_from, published_to, as_of, mode]
        question.submit(self.respond, inputs, [chat, question, state, picker, panel], concurrency_limit=4)
        picker.change(self.show_source, [picker, state], panel)
        clear.click(
            lambda: (
                [],
                {"citations": [], "texts": {}, "heading": "Sources"},
                gr.update(choices=[], value=None),
                sources_html([], {}, None),
            ),  # fmt: skip
            None,
            [chat, state, picker, panel],
        )
        blocks.load(self.outlet_choices, None, outlets)

    def _add_tab(self, blocks: gr.Blocks) -> None:
        with gr.Row():
            with gr.Column():
                files = gr.File(label="Files (text, HTML, JSON/JSONL, RSS/Atom)", file_count="multiple",
                                type="filepath")  # fmt: skip
                urls = gr.Textbox(label="Article or feed URLs, one per line", lines=4)
                add = gr.Button("Add articles", variant="primary")
                summary = gr.Markdown()
            with gr.Column():
                gr.Markdown("### Index")
                counts = gr.Markdown()
                newest = gr.Dataframe(headers=["published", "outlet", "title", "id"], label="Newest articles",
                                      interactive=False)  # fmt: skip
        add.click(self.add_articles, [files, urls], [summary, counts, newest], concurrency_limit=1)
        blocks.load(self.index_panel, None, [counts, newest])


def _text(content: Any) -> str:
    if isinstance(content, str):
        return content
    if isinstance(content, list):  # Gradio's multimodal message parts
        return " ".join(str(p.get("text", "")) for p in content if isinstance(p, dict))
    return str(content)
