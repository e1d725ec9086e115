"""HTML and Markdown for the chat UI, from the dicts `qa` returns (no Gradio here, so it tests fast).

passage_html("... in the Nangarhar province ...", 15, 24)   # '... in the <mark>Nangarhar</mark> ...'
sources_html(citations, {"a1": article_text}, selected=1)
"""

from __future__ import annotations

from html import escape
from typing import Any

from qa.api_openai import add_citation_markers

NOT_FOUND = "Not found in the indexed articles"
CONTEXT_CHARS = 280


def passage_html(text: str, start: int, end: int, context_chars: int = CONTEXT_CHARS) -> str:
    """`text[start:end]` in a <mark>, with up to `context_chars` of escaped context on each side."""
    if not 0 <= start <= end <= len(text):
        raise ValueError(f"span {start}:{end} is outside a text of {len(text)} characters")
    left = max(0, start - context_chars)
    right = min(len(text), end + context_chars)
    # Cut the context at whitespace so no word is shown half.
    if left > 0:
        space = text.find(" ", left, start)
        left = space + 1 if space != -1 else left
    if right < len(text):
        space = text.rfind(" ", end, right)
        right = space if space != -1 else right
    before = ("… " if left > 0 else "") + escape(text[left:start])
    after = escape(text[end:right]) + (" …" if right < len(text) else "")
    body = f"{before}<mark>{escape(text[start:end])}</mark>{after}"
    return body.replace("\n\n", "<br><br>")


def citation_label(citation: dict[str, Any]) -> str:
    title = citation.get("title") or citation.get("article_id", "")
    outlet = citation.get("source") or "unknown outlet"
    return f"[{citation['n']}] {title} — {outlet}"


def source_card(citation: dict[str, Any], article_text: str | None, *, selected: bool) -> str:
    """One source: title, outlet, date, link, and the passage with the cited span marked."""
    if article_text is not None and article_text[citation["start"] : citation["end"]] == citation["quote"]:
        passage = passage_html(article_text, citation["start"], citation["end"])
    else:  # the article changed or is gone: the quote itself is still exact
        passage = passage_html(citation["quote"], 0, len(citation["quote"]))
    title = escape(citation.get("title") or citation.get("article_id", ""))
    url = citation.get("url")
    link = (
        f'<a href="{escape(url, quote=True)}" target="_blank" rel="noopener noreferrer">{title}</a>'
        if url
        else title
    )
    meta = " · ".join(escape(str(v)) for v in (citation.get("source"), citation.get("published")) if v)
    also = citation.get("also_reported_by") or []
    also_html = (
        f'<div class="nq-also">Also reported by: {escape(", ".join(map(str, also)))}</div>' if also else ""
    )
    css = "nq-source nq-selected" if selected else "nq-source"
    return (
        f'<div class="{css}" id="nq-source-{citation["n"]}" data-n="{citation["n"]}">'
        f'<div class="nq-title"><span class="nq-n">[{citation["n"]}]</span> {link}</div>'
        f'<div class="nq-meta">{meta}</div><blockquote class="nq-passage">{passage}</blockquote>{also_html}</div>'
    )


def sources_html(
    citations: list[dict[str, Any]],
    article_texts: dict[str, str],
    selected: int | None,
    *,
    heading: str = "Sources",
) -> str:
    """The sources panel: the selected source first (marked), then the others, with anchors to each."""
    if not citations:
        return '<div class="nq-sources nq-empty">Sources of the answer appear here.</div>'
    chosen = next((c for c in citations if c["n"] == selected), citations[0])
    ordered = [chosen] + [c for c in citations if c is not chosen]
    anchors = " ".join(f'<a href="#nq-source-{c["n"]}">[{c["n"]}]</a>' for c in citations)
    cards = "".join(source_card(c, article_texts.get(c["article_id"]), selected=c is chosen) for c in ordered)
    return f'<div class="nq-sources"><div class="nq-heading">{escape(heading)} {anchors}</div>{cards}</div>'


def answer_markdown(answer: dict[str, Any]) -> str:
    """The chat message of an answer: text with [n] markers, or the abstention said plainly."""
    if answer.get("abstained"):
        text = answer.get("answer") or ""
        lead = text if NOT_FOUND.lower() in text.lower() else f"{NOT_FOUND}. {text}".strip()
        if answer.get("related"):
            lead += "\n\nRelated passages are in the sources panel."
        return lead
    return add_citation_markers(answer.get("answer", ""), answer.get("citations", []))


def shown_citations(answer: dict[str, Any]) -> tuple[list[dict[str, Any]], str]:
    """What the sources panel lists: the citations, or for an abstention the related passages."""
    if answer.get("abstained"):
        return list(answer.get("related") or []), "Related passages"
    return list(answer.get("citations") or []), "Sources"


def summary_markdown(summary: dict[str, Any]) -> str:
    lines = [
        f"**Added** {summary.get('added', 0)} · **updated** {summary.get('updated', 0)} · "
        f"**unchanged** {summary.get('unchanged', 0)} · **duplicates** {summary.get('duplicates', 0)} · "
        f"**chunks** {summary.get('chunks', 0)} · {summary.get('seconds', 0)} s"
    ]
    for item in summary.get("items", [])[:50]:
        lines.append(f"- {item.get('status', '')}: {item.get('title') or item.get('id', '')}")
    for failure in summary.get("failed", [])[:50]:
        lines.append(f"- failed: `{failure.get('item', '')}` — {failure.get('error', '')}")
    return "\n".join(lines)


def outlets_of(stats: dict[str, Any]) -> list[str]:
    sources = stats.get("sources") or {}
    return sorted(s for s in sources if s)


def index_markdown(stats: dict[str, Any]) -> str:
    outlets = stats.get("sources") or {}
    span = ""
    if stats.get("published_min"):
        span = f" · published {stats['published_min']} to {stats.get('published_max')}"
    return (
        f"**{stats.get('articles', 0)}** articles · **{stats.get('chunks', 0)}** chunks · "
        f"**{len([o for o in outlets if o])}** outlets{span}"
    )


def newest_rows(articles: list[dict[str, Any]]) -> list[list[str]]:
    return [
        [a.get("published") or "", a.get("source") or "", a.get("title") or "", a.get("id", "")]
        for a in articles
    ]
