"""HTML and Markdown for the chat UI, from the dicts `qa` returns (no Gradio here, so it tests fast).

passage_html("... in the Nangarhar province ...", 15, 24)   # '... in the <mark>Nangarhar</mark> ...'
sources_html(citations, selected=1, turn=0)   # each citation dict carries its passage
answer_markdown(answer, turn=0)   # "... [1]" with [1] a link that shows answer 0's source 1
"""

from __future__ import annotations

import re
from html import escape
from typing import Any

from qa.answering.present import add_citation_markers

NOT_FOUND = "Not found in the indexed articles"
CONTEXT_CHARS = 280
# A citation link in a chat bubble: "#nq-cite-<answer turn>-<source n>" (the page script reads it).
CITE_LINK = '<a href="#nq-cite-{turn}-{n}" class="nq-cite">{text}</a>'
SUMMARY_ROWS = 50  # rows of an ingest summary shown; the counts above cover the rest
MARKER = re.compile(r"\[(\d+)\]")
# The confidence shown under an answer; UI text, so it is dropped again from the history the answerer reads.
CONFIDENCE_NOTE = "\n\n<small>confidence {confidence:.2f}</small>"
CONFIDENCE_NOTE_RE = re.compile(r"\s*<small>confidence [0-9.]+</small>")
LINK_TAG = re.compile(r"<a\b[^>]*>(.*?)</a>", re.S)


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


def source_card(citation: dict[str, Any], *, selected: bool) -> str:
    """One source: title, outlet, date, link, and the passage it carries with the cited span marked."""
    text, offset = citation.get("passage") or "", citation.get("passage_start", 0)
    start, end = citation["start"] - offset, citation["end"] - offset
    if 0 <= start <= end <= len(text) and text[start:end] == citation["quote"]:
        passage = passage_html(text, start, end)
    else:  # no passage came with it: the quote itself is still exact
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
        f'<div class="{css}" id="nq-source-{citation["n"]}" data-n="{citation["n"]}" tabindex="-1">'
        f'<div class="nq-title"><span class="nq-n">[{citation["n"]}]</span> {link}</div>'
        f'<div class="nq-meta">{meta}</div><blockquote class="nq-passage">{passage}</blockquote>{also_html}</div>'
    )


def sources_html(
    citations: list[dict[str, Any]],
    selected: int | None,
    *,
    heading: str = "Sources",
    turn: int | None = None,
) -> str:
    """The sources panel: the selected source first (marked), then the others, with anchors to each.

    `turn` (the answer's index in the conversation) is written on the panel so the page script
    knows whose sources it shows.
    """
    if not citations:
        return '<div class="nq-sources nq-empty">Sources of the answer appear here.</div>'
    if turn is not None:
        heading = f"{heading} of answer {turn + 1}"
    chosen = next((c for c in citations if c["n"] == selected), citations[0])
    ordered = [chosen] + [c for c in citations if c is not chosen]
    anchors = " ".join(f'<a href="#nq-source-{c["n"]}">[{c["n"]}]</a>' for c in citations)
    cards = "".join(source_card(c, selected=c is chosen) for c in ordered)
    data_turn = f' data-turn="{turn}"' if turn is not None else ""
    return (
        f'<div class="nq-sources"{data_turn}><div class="nq-heading">{escape(heading)} {anchors}</div>'
        f"{cards}</div>"
    )


def answer_markdown(answer: dict[str, Any], turn: int | None = None) -> str:
    """The chat message of an answer: its readable text with [n] markers and its confidence, or the
    abstention said plainly.

    With `turn`, each [n] is a link that brings back source n of that answer.
    """
    if answer.get("abstained"):
        text = answer.get("answer") or ""
        lead = text if NOT_FOUND.lower() in text.lower() else f"{NOT_FOUND}. {text}".strip()
        related = answer.get("related") or []
        if related and turn is None:
            lead += "\n\nRelated passages are in the sources panel."
        elif related:
            link = CITE_LINK.format(turn=turn, n=related[0]["n"], text="Show the related passages")
            lead += f"\n\n{link}"
        return lead
    # The readable form (the answer, its quoted sentence, or a dated timeline) when the answerer gave one.
    text = answer.get("answer_text") or answer.get("answer", "")
    if not MARKER.search(text):
        text = add_citation_markers(text, answer.get("citations", []))
    if answer.get("confidence") is not None:
        text += CONFIDENCE_NOTE.format(confidence=float(answer["confidence"]))
    if turn is None:
        return text
    cited = {c["n"] for c in answer.get("citations", [])}
    return MARKER.sub(lambda m: _marker_link(m, turn) if int(m.group(1)) in cited else m.group(0), text)


def _marker_link(match: re.Match[str], turn: int) -> str:
    return CITE_LINK.format(turn=turn, n=match.group(1), text=match.group(0))


def plain_text(message: str) -> str:
    """A chat message as the answerer should read it: citation links back to "[n]", other links dropped."""
    message = CONFIDENCE_NOTE_RE.sub("", message)
    return LINK_TAG.sub(lambda m: m.group(1) if MARKER.fullmatch(m.group(1)) else "", message).strip()


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
    # Failed items are listed once, from `failed`, with their reason (they have no title or id).
    done = [
        i for i in summary.get("items", []) if i.get("status") != "failed" and (i.get("title") or i.get("id"))
    ]
    for item in done[:SUMMARY_ROWS]:
        lines.append(f"- {item.get('status', '')}: {item.get('title') or item.get('id')}")
    for failure in summary.get("failed", [])[:SUMMARY_ROWS]:
        reason = failure.get("error") or "could not be read"
        lines.append(f"- **failed**: `{failure.get('item') or 'an item'}` — {reason}")
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


def progress_html(progress: dict[str, Any] | None) -> str:
    """The first-start banner: a progress bar while indexing runs, a short note when it ended."""
    if not progress:
        return ""
    label = escape(str(progress.get("label") or "articles"))
    done, total = progress.get("done", 0), progress.get("total")
    if progress.get("running"):
        if total is None:
            return f'<div class="nq-progress" role="status">Loading {label} to index …</div>'
        return (
            f'<div class="nq-progress" role="status">Indexing {label}: <b>{done}</b> of <b>{total}</b> '
            f"articles. Ask already: answers come from what is indexed so far. "
            f'<progress value="{done}" max="{total or 1}" aria-label="Indexing progress"></progress></div>'
        )
    if progress.get("error"):
        return (
            f'<div class="nq-progress nq-warn" role="status">Indexing {label} stopped after {done} '
            f"articles: {escape(str(progress['error']))}. The server log has the details.</div>"
        )
    return f'<div class="nq-progress" role="status">Indexed {label}: {done} articles.</div>'
