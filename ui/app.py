"""The Gradio chat UI: ask with history and streaming, see numbered citations and their passages.

It only calls what it is given (an Answerer, an Ingestor, a store) and displays what they
return; it builds nothing from Settings. Mounted at "/" by `app.server`.

    ui = ChatUI(answerer, ingestor, store, llm_enabled=False)
    blocks = ui.build()
    gr.mount_gradio_app(app, blocks, path="/", css=CSS, head=HEAD)   # HEAD: the [n] link script
"""

from __future__ import annotations

import logging
import os
import re
from collections.abc import Callable, Iterator
from typing import Any

os.environ.setdefault("GRADIO_ANALYTICS_ENABLED", "False")

import gradio as gr

from newsqa.errors import NewsQAError
from newsqa.protocols import AnswererLike, ArticleStoreLike, IngestorLike
from newsqa.types import Filters, IngestLimits, TokenEvent
from qa.ingest_policy import MAX_ARTICLES_PER_REQUEST, MAX_URLS_PER_REQUEST, IngestPolicy, show_client_names
from ui.filters import ANY_TIME, DATE_PRESETS, FilterInputError, parse_date, preset_range
from ui.library import HEADERS, ArticleLibrary, row_id
from ui.overview import example_questions, overview_markdown
from ui.render import (
    answer_markdown,
    citation_label,
    index_markdown,
    outlets_of,
    plain_text,
    progress_html,
    shown_citations,
    sources_html,
    summary_markdown,
)

log = logging.getLogger(__name__)

EXAMPLES_SHOWN = 4  # example questions in an empty chat
EXAMPLE_ARTICLES = 60  # newest articles the examples are drawn from
PROGRESS_POLL_S = 2.0  # how often the page asks how far first-start indexing got
COLUMN_WIDTHS = ["14%", "16%", "50%", "20%"]  # published, outlet, title, id
EMPTY_QUESTION_HINT = "Type a question first, or pick one of the examples above the box."
EMPTY_PANEL: dict[str, Any] = {"citations": [], "heading": "Sources"}
CSS = """
.nq-source { border: 1px solid var(--border-color-primary); border-radius: 8px; padding: 8px 10px; margin: 6px 0; }
.nq-selected { border-color: var(--color-accent); box-shadow: 0 0 0 1px var(--color-accent); }
.nq-focused { outline: 3px solid var(--color-accent); outline-offset: 2px; }
.nq-meta, .nq-also { font-size: 0.85em; }
.nq-passage { margin: 6px 0 0 0; padding-left: 8px; border-left: 3px solid var(--border-color-primary); }
/* Dark text on the highlight in both colour schemes (contrast > 12:1). */
.nq-passage mark { background: #ffe58a; color: #1a1a1a; padding: 0 1px; }
.nq-heading { font-weight: 600; margin-bottom: 4px; }
.nq-cite { text-decoration: none; font-weight: 600; cursor: pointer; }
.nq-hidden { display: none !important; }
.nq-progress progress { width: 100%; }
.nq-notice { color: var(--body-text-color); }
"""
# Clicking "[n]" in a chat bubble (a link to #nq-cite-<turn>-<n>) asks the server for that answer's
# sources through a hidden box and button, then scrolls to source n and focuses it.
HEAD = """<script>
document.addEventListener("click", (event) => {
  const link = event.target.closest && event.target.closest('a[href^="#nq-cite-"]');
  if (!link) return;
  event.preventDefault();
  event.stopPropagation();
  const [turn, n] = link.getAttribute("href").slice("#nq-cite-".length).split("-");
  const box = document.querySelector("#nq-focus textarea, #nq-focus input");
  box.value = `${turn}:${n}:${Date.now()}`;
  box.dispatchEvent(new Event("input", {bubbles: true}));
  setTimeout(() => document.querySelector("#nq-focus-go").click(), 50);
  const until = Date.now() + 15000;
  const focus = () => {
    const card = document.querySelector(`#nq-sources .nq-sources[data-turn="${turn}"] #nq-source-${n}`);
    if (!card) { if (Date.now() < until) setTimeout(focus, 100); return; }
    document.querySelectorAll(".nq-focused").forEach((c) => c.classList.remove("nq-focused"));
    card.classList.add("nq-focused");
    card.scrollIntoView({block: "nearest"});
    card.focus({preventScroll: true});
  };
  setTimeout(focus, 100);
}, true);
</script>"""


class ChatUI:
    """The chat, sources panel, filters and "Add articles" tab over the given objects.

    `ingestor=None` leaves out the "Add articles" tab. `llm_enabled` shows the extractive /
    generative switch. `indexing_progress` (a `qa.background.BackgroundIndexing.progress`) shows
    first-start indexing on the page while it runs.
    """

    def __init__(
        self,
        answerer: AnswererLike,
        ingestor: IngestorLike | None,
        store: ArticleStoreLike,
        *,
        llm_enabled: bool = False,
        title: str = "NewsQA",
        ingest_policy: IngestPolicy | None = None,
        ingest_limits: IngestLimits | None = None,
        indexing_progress: Callable[[], dict[str, Any]] | None = None,
    ) -> None:
        self.answerer = answerer
        self.ingestor = ingestor
        # Without Gradio's upload folder, only URLs go in (`app.server` passes the folder).
        self.ingest_policy = ingest_policy or IngestPolicy("the chat UI")
        # The same per-request budget as POST /articles (unpacked bytes, lines, articles).
        self.ingest_limits = ingest_limits
        self.store = store
        self.llm_enabled = llm_enabled
        self.title = title
        self.indexing_progress = indexing_progress
        self.library = ArticleLibrary(store)

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
        answers: list[dict[str, Any]] | None = None,
    ) -> Iterator[tuple[Any, ...]]:
        """Stream one answer.

        Yields (chat, question box, shown sources state, sources radio, sources html, every answer's
        sources, notice). Unreadable input yields once: the chat and the typed question unchanged,
        and the reason in the notice.
        """
        answers = list(answers or [])
        try:
            question = (message or "").strip()
            if not question:
                raise FilterInputError(EMPTY_QUESTION_HINT)
            kwargs = self._ask_kwargs(history, outlets, published_from, published_to, as_of, mode)
        except FilterInputError as exc:
            yield history, message, gr.update(), gr.update(), gr.update(), answers, str(exc)
            return
        turn = len([m for m in history if m.get("role") == "assistant"])
        chat = [*history, {"role": "user", "content": question}, {"role": "assistant", "content": ""}]
        yield _without_sources(chat, answers)
        try:
            for event in self.answerer.ask_stream(question, **kwargs):
                if isinstance(event, TokenEvent):
                    chat[-1] = {"role": "assistant", "content": chat[-1]["content"] + event.text}
                    yield chat, "", EMPTY_PANEL, gr.update(), gr.update(), answers, ""
                else:
                    shown = event.answer.to_dict()
                    chat[-1] = {"role": "assistant", "content": answer_markdown(shown, turn=turn)}
                    state = self._panel_state(shown, turn)
                    answers = _with_answer(answers, turn, state)
                    yield chat, "", state, *self._panel(state, None), answers, ""
        except NewsQAError as exc:
            chat[-1] = {"role": "assistant", "content": f"⚠️ {exc.message}"}
            answers = _with_answer(answers, turn, {**EMPTY_PANEL, "turn": turn})
            yield _without_sources(chat, answers)

    def _ask_kwargs(
        self,
        history: list[dict[str, Any]],
        outlets: list[str] | None,
        published_from: str | None,
        published_to: str | None,
        as_of: str | None,
        mode: str | None,
    ) -> dict[str, Any]:
        filters = Filters(
            sources=list(outlets) if outlets else None,
            published_from=parse_date(published_from, "Published from"),
            published_to=parse_date(published_to, "Published to"),
        )
        return {
            "history": [{"role": m["role"], "content": _text(m["content"])} for m in history] or None,
            "as_of": parse_date(as_of, "As of"),
            "filters": None if filters.is_empty() else filters,
            "mode": mode if self.llm_enabled and mode in ("extractive", "generative") else "extractive",
        }

    def _panel_state(self, answer: dict[str, Any], turn: int | None = None) -> dict[str, Any]:
        """The sources panel of an answer: its citations carry the passages shown."""
        citations, heading = shown_citations(answer)
        return {"citations": citations, "heading": heading, "turn": turn}

    def _panel(self, state: dict[str, Any], selected: int | None) -> tuple[Any, str]:
        """(sources radio update, sources html) for one answer's sources, `selected` (or the first) marked."""
        citations = state.get("citations", [])
        if selected is None and citations:
            selected = citations[0]["n"]
        choices = [(citation_label(c), c["n"]) for c in citations]
        return gr.update(choices=choices, value=selected), self.show_source(selected, state)

    def show_source(self, selected: int | None, state: dict[str, Any]) -> str:
        """The sources panel with source `selected` first and marked."""
        return sources_html(state.get("citations", []), selected,
                            heading=state.get("heading", "Sources"), turn=state.get("turn"))  # fmt: skip

    def focus_source(self, target: str | None, answers: list[dict[str, Any]] | None) -> tuple[Any, Any, Any]:
        """Bring back an earlier answer's sources: `target` is "<turn>:<n>[:...]" from a clicked [n]."""
        match = re.match(r"(\d+):(\d+)", target or "")
        answers = answers or []
        if match is None or int(match.group(1)) >= len(answers):
            return gr.update(), gr.update(), gr.update()
        state = answers[int(match.group(1))]
        return state, *self._panel(state, int(match.group(2)))

    def pick_example(self, event: gr.SelectData) -> str:
        """The text of a clicked example question (it is then asked)."""
        value = event.value
        return str(value.get("text", "")) if isinstance(value, dict) else str(value)

    def apply_preset(self, preset: str | None, as_of: str | None) -> tuple[str, str]:
        return preset_range(preset, as_of=as_of)

    def add_articles(
        self, files: list[str] | None, urls: str | None
    ) -> tuple[str, str, str, list[list[str]]]:
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
        return summary_markdown(summary.to_dict()), *self.index_panel()

    def index_panel(self, query: str | None = None) -> tuple[str, str, list[list[str]]]:
        """(index counts, search result count, result rows) for the Add-articles tab."""
        return index_markdown(self.store.stats()), *self.library.search(query)

    def open_article(self, event: gr.SelectData) -> tuple[str | None, str, Any]:
        """(opened id, the article, the delete button shown) for a clicked table row."""
        article_id = row_id(event.row_value)
        return article_id, self.library.open(article_id), gr.update(visible=article_id is not None)

    def delete_article(self, article_id: str | None, query: str | None) -> tuple[Any, ...]:
        """(no article opened, what happened, the delete button hidden, the refreshed index panel)."""
        message = self.library.delete(article_id)
        return None, message, gr.update(visible=False), *self.index_panel(query)

    def overview(self) -> tuple[str, Any, Any, Any]:
        """(progress banner, empty-chat overview and examples, outlets, poll timer) as indexed now."""
        progress = self.indexing_progress() if self.indexing_progress is not None else None
        stats = self.store.stats()
        articles = self.store.list_articles(limit=EXAMPLE_ARTICLES)
        examples = example_questions(articles, self._lead_of, count=EXAMPLES_SHOWN)
        chat = gr.update(
            placeholder=overview_markdown(stats), examples=[{"text": q} for q in examples] or None
        )
        timer = gr.Timer(active=bool(progress and progress.get("running")))
        return progress_html(progress), chat, gr.update(choices=outlets_of(stats)), timer

    def _lead_of(self, article_id: str) -> str | None:
        article = self.store.get_article(article_id)
        return article.text if article is not None else None

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
        state = gr.State(EMPTY_PANEL)
        answers = gr.State([])
        banner = gr.HTML(progress_html(None), elem_id="nq-progress")
        with gr.Row():
            with gr.Column(scale=3):
                chat = gr.Chatbot(label="Chat", height=460, elem_id="nq-chat", feedback_options=None,
                                  placeholder=overview_markdown({}), buttons=["copy"])  # fmt: skip
                notice = gr.Markdown(elem_id="nq-notice", elem_classes=["nq-notice"])
                with gr.Row():
                    question = gr.Textbox(placeholder="Where did the drone strike take place?", label="Question",
                                          elem_id="nq-question", scale=5)  # fmt: skip
                    send = gr.Button("Ask", variant="primary", elem_id="nq-send", scale=1, min_width=80)
                filters = self._filters()
                clear = gr.Button("New conversation", size="sm")
            with gr.Column(scale=2):
                picker = gr.Radio(label="Sources", choices=[], elem_id="nq-source-picker")
                panel = gr.HTML(sources_html([], None), elem_id="nq-sources")
                focus = gr.Textbox(label="Source to show", elem_id="nq-focus", elem_classes=["nq-hidden"])
                focus_go = gr.Button("Show source", elem_id="nq-focus-go", elem_classes=["nq-hidden"])
        outlets, *_ = filters
        inputs = [question, chat, *filters, answers]
        outputs = [chat, question, state, picker, panel, answers, notice]
        question.submit(self.respond, inputs, outputs, concurrency_limit=4)
        send.click(self.respond, inputs, outputs, concurrency_limit=4)
        chat.example_select(self.pick_example, None, question).then(
            self.respond, inputs, outputs, concurrency_limit=4
        )
        picker.input(self.show_source, [picker, state], panel)
        focus_go.click(self.focus_source, [focus, answers], [state, picker, panel])
        clear.click(lambda: ([], EMPTY_PANEL, [], gr.update(choices=[], value=None), sources_html([], None), ""),
                    None, [chat, state, answers, picker, panel, notice])  # fmt: skip
        timer = gr.Timer(PROGRESS_POLL_S, active=self.indexing_progress is not None)
        timer.tick(self.overview, None, [banner, chat, outlets, timer], show_progress="hidden")
        blocks.load(self.overview, None, [banner, chat, outlets, timer])

    def _filters(self) -> list[Any]:
        """The filter controls, in `respond`'s argument order: outlets, from, to, as of, mode."""
        with gr.Accordion("Filters", open=False):
            outlets = gr.Dropdown(label="Outlets", multiselect=True, choices=[], elem_id="nq-outlets")
            preset = gr.Radio([ANY_TIME, *DATE_PRESETS], value=ANY_TIME, label="Published",
                              elem_id="nq-date-preset")  # fmt: skip
            with gr.Row():
                date_hint = "YYYY-MM-DD or e.g. Sept 1 2022"
                published_from = gr.Textbox(label="Published from", placeholder=date_hint, elem_id="nq-from")
                published_to = gr.Textbox(label="Published to", placeholder=date_hint, elem_id="nq-to")
                as_of = gr.Textbox(label="As of", placeholder="default: today", elem_id="nq-as-of")
            mode = gr.Radio(["extractive", "generative"], value="extractive", label="Answer mode",
                            visible=self.llm_enabled)  # fmt: skip
        preset.input(self.apply_preset, [preset, as_of], [published_from, published_to])
        return [outlets, published_from, published_to, as_of, mode]

    def _add_tab(self, blocks: gr.Blocks) -> None:
        opened = gr.State(None)
        with gr.Row():
            with gr.Column():
                files = gr.File(label="Files (text, HTML, JSON/JSONL, RSS/Atom)", file_count="multiple",
                                type="filepath", elem_id="nq-add-files")  # fmt: skip
                urls = gr.Textbox(label="Article or feed URLs, one per line", lines=4, elem_id="nq-add-urls")
                add = gr.Button("Add articles", variant="primary")
                summary = gr.Markdown(elem_id="nq-ingest-summary")
            with gr.Column():
                gr.Markdown("### Index")
                counts = gr.Markdown(elem_id="nq-index-counts")
                search = gr.Textbox(label="Search articles", placeholder="words of the title, outlet, date or id",
                                    elem_id="nq-article-search")  # fmt: skip
                found = gr.Markdown(elem_id="nq-article-count")
                table = gr.Dataframe(headers=HEADERS, label="Articles", interactive=False, elem_id="nq-articles",
                                     wrap=True, max_height=420, column_widths=COLUMN_WIDTHS)  # fmt: skip
                article = gr.Markdown(elem_id="nq-article", max_height=480)
                delete = gr.Button("Delete the opened article", variant="stop", elem_id="nq-delete", size="sm",
                                   visible=False)  # fmt: skip
        add.click(self.add_articles, [files, urls], [summary, counts, found, table], concurrency_limit=1)
        search.change(self.index_panel, search, [counts, found, table], show_progress="hidden")
        table.select(self.open_article, None, [opened, article, delete])
        delete.click(self.delete_article, [opened, search], [opened, article, delete, counts, found, table])
        blocks.load(self.index_panel, None, [counts, found, table])


def _without_sources(chat: list[dict[str, Any]], answers: Any) -> tuple[Any, ...]:
    """The chat's outputs with an empty sources panel (a new question, or an error)."""
    return chat, "", EMPTY_PANEL, gr.update(choices=[], value=None), sources_html([], None), answers, ""


def _with_answer(answers: list[dict[str, Any]], turn: int, state: dict[str, Any]) -> list[dict[str, Any]]:
    """`answers` with `state` at index `turn` (earlier missing turns filled with empty panels)."""
    padded = answers + [{**EMPTY_PANEL, "turn": i} for i in range(len(answers), turn + 1)]
    return [*padded[:turn], state, *padded[turn + 1 :]]


def _text(content: Any) -> str:
    if isinstance(content, str):
        return plain_text(content)
    if isinstance(content, list):  # Gradio's multimodal message parts
        return " ".join(plain_text(str(p.get("text", ""))) for p in content if isinstance(p, dict))
    return str(content)
