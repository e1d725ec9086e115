"""ui.render: passages with exactly the cited span marked, source cards, abstentions, summaries."""

from __future__ import annotations

import re

import pytest

from ui.render import (
    answer_markdown,
    index_markdown,
    outlets_of,
    passage_html,
    plain_text,
    progress_html,
    shown_citations,
    source_card,
    sources_html,
    summary_markdown,
)

TEXT = "Officials said <b>the</b> strike hit the Nangarhar province & nearby areas. Nothing else happened."


def citation(n: int = 1, quote: str = "the Nangarhar province & nearby areas", **extra: object) -> dict:
    """A citation of TEXT as the answerer makes it: the passage it was read from is the whole TEXT."""
    start = TEXT.index(quote)
    return {"n": n, "article_id": "a1", "title": "Strike <report>", "source": "dawn.com", "url": "https://x.test/a?b=1&c=2",
            "published": "2021-08-28", "quote": quote, "start": start, "end": start + len(quote), "score": 1.0,
            "also_reported_by": [], "passage": TEXT, "passage_start": 0, **extra}  # fmt: skip


def marked(html: str) -> list[str]:
    return re.findall(r"<mark>(.*?)</mark>", html)


class TestPassageHtml:
    def test_marks_exactly_the_span_html_escaped(self) -> None:
        c = citation()
        html = passage_html(TEXT, c["start"], c["end"])
        assert marked(html) == ["the Nangarhar province &amp; nearby areas"]
        assert "&lt;b&gt;the&lt;/b&gt;" in html and "<b>" not in html

    def test_context_is_cut_at_words(self) -> None:
        text = "word " * 200 + "TARGET" + " word" * 200
        start = text.index("TARGET")
        html = passage_html(text, start, start + 6, context_chars=30)
        assert html.startswith("… word") and html.endswith("word …") and marked(html) == ["TARGET"]

    def test_span_outside_the_text_is_refused(self) -> None:
        with pytest.raises(ValueError):
            passage_html("short", 2, 50)


class TestSources:
    def test_card_shows_title_outlet_date_link_and_passage(self) -> None:
        html = source_card(citation(), selected=True)
        assert "Strike &lt;report&gt;" in html and "dawn.com" in html and "2021-08-28" in html
        assert 'href="https://x.test/a?b=1&amp;c=2"' in html and "nq-selected" in html
        assert marked(html) == ["the Nangarhar province &amp; nearby areas"]
        assert "Officials said" in html and "Nothing else happened." in html  # the passage around it

    def test_a_passage_from_inside_the_article_is_marked_at_the_quote(self) -> None:
        passage_start = TEXT.index("strike hit")
        passage = TEXT[passage_start : TEXT.index(" Nothing")]
        html = source_card(citation(passage=passage, passage_start=passage_start), selected=False)
        assert marked(html) == ["the Nangarhar province &amp; nearby areas"]
        assert "strike hit" in html and "Officials" not in html and "Nothing" not in html

    def test_card_falls_back_to_the_quote_without_its_passage(self) -> None:
        without = {k: v for k, v in citation().items() if k not in ("passage", "passage_start")}
        for cited in (without, citation(passage=""), citation(passage="a different text entirely")):
            html = source_card(cited, selected=False)
            assert marked(html) == ["the Nangarhar province &amp; nearby areas"] and "Officials" not in html

    def test_selected_source_comes_first(self) -> None:
        cites = [citation(1), citation(2, quote="Nothing else happened.")]
        html = sources_html(cites, 2)
        assert marked(html) == ["Nothing else happened.", "the Nangarhar province &amp; nearby areas"]
        assert 'href="#nq-source-1"' in html and 'id="nq-source-2"' in html

    def test_empty_panel(self) -> None:
        assert "<mark>" not in sources_html([], None)


class TestAnswers:
    def test_answer_gets_markers(self) -> None:
        answer = {
            "answer": "In Nangarhar province.",
            "abstained": False,
            "citations": [citation()],
            "related": [],
        }
        assert answer_markdown(answer) == "In Nangarhar province. [1]"
        assert shown_citations(answer) == ([citation()], "Sources")

    def test_abstention_says_not_found_and_lists_related(self) -> None:
        answer = {"answer": "The indexed articles don't say who won.", "abstained": True, "citations": [],
                  "related": [citation()]}  # fmt: skip
        text = answer_markdown(answer)
        assert text.startswith("Not found in the indexed articles") and "Related passages" in text
        assert shown_citations(answer) == ([citation()], "Related passages")


class TestIndexPanel:
    def test_summary_and_counts(self) -> None:
        summary = {"added": 2, "updated": 0, "unchanged": 1, "duplicates": 0, "chunks": 5, "seconds": 0.5,
                   "items": [{"id": "a", "title": "T", "status": "added"}],
                   "failed": [{"item": "x.pdf", "error": "binary content"}]}  # fmt: skip
        md = summary_markdown(summary)
        assert "**Added** 2" in md and "- added: T" in md and "x.pdf" in md
        stats = {"articles": 3, "chunks": 9, "sources": {"cnn.com": 2, "": 1}, "published_min": "2022-01-01",
                 "published_max": "2022-02-01"}  # fmt: skip
        assert "**3** articles" in index_markdown(stats) and "**1** outlets" in index_markdown(stats)
        assert outlets_of(stats) == ["cnn.com"]


class TestCitationLinks:
    def test_markers_link_to_their_answer_and_source_and_read_back_as_markers(self) -> None:
        answer = {"answer": "Nangarhar", "abstained": False, "citations": [citation(1), citation(2)]}
        text = answer_markdown(answer, turn=3)
        links = re.findall(r'<a href="#nq-cite-(\d+)-(\d+)"[^>]*>\[(\d+)\]</a>', text)
        assert links == [("3", "1", "1"), ("3", "2", "2")]
        assert plain_text(text) == answer_markdown(answer)  # what the answerer reads as history

    def test_an_abstention_links_its_related_passages_and_the_link_is_not_history(self) -> None:
        answer = {"answer": "Not found in the indexed articles.", "abstained": True, "citations": [],
                  "related": [citation(2)]}  # fmt: skip
        text = answer_markdown(answer, turn=0)
        assert 'href="#nq-cite-0-2"' in text
        assert plain_text(text) == "Not found in the indexed articles."

    def test_the_panel_says_whose_sources_it_shows(self) -> None:
        html = sources_html([citation()], 1, turn=1)
        assert 'data-turn="1"' in html and "Sources of answer 2" in html


class TestIngestSummary:
    def test_failures_are_listed_once_with_their_reason_and_never_as_none(self) -> None:
        summary = {"added": 1, "items": [{"id": "a", "title": "T", "status": "added"},
                                         {"id": None, "title": None, "status": "failed", "item": "x.pdf"}],
                   "failed": [{"item": "x.pdf", "error": "binary content"}]}  # fmt: skip
        md = summary_markdown(summary)
        assert "None" not in md and md.count("x.pdf") == 1 and "binary content" in md


class TestProgress:
    def test_running_finished_and_stopped(self) -> None:
        running = progress_html({"running": True, "done": 12, "total": 40, "label": "the demo corpus"})
        assert "12</b> of <b>40" in running and '<progress value="12" max="40"' in running
        assert "Loading" in progress_html({"running": True, "done": 0, "total": None})
        assert "Indexed" in progress_html({"running": False, "done": 40, "total": 40})
        assert "stopped after 3" in progress_html(
            {"running": False, "done": 3, "total": 40, "error": "OSError: x"}
        )
        assert progress_html(None) == ""


def test_an_answer_shows_its_readable_text_and_confidence() -> None:
    answer = {
        "answer": "Lahore",
        "answer_text": "Lahore: “Monsoon rains flooded Lahore on Tuesday.” [1]",
        "abstained": False,
        "confidence": 0.8125,
        "citations": [{"n": 1, "quote": "Monsoon rains flooded Lahore on Tuesday."}],
    }
    shown = answer_markdown(answer)
    assert shown.startswith("Lahore: “Monsoon rains flooded Lahore on Tuesday.” [1]")
    assert shown.count("[1]") == 1  # the readable text's own marker, not a second one
    assert "confidence 0.81" in shown


def test_the_confidence_note_never_reaches_the_history() -> None:
    answer = {"answer": "Lahore", "abstained": False, "confidence": 0.5, "citations": []}
    assert plain_text(answer_markdown(answer, turn=0)) == "Lahore"
