"""qa.answering.present: readable answers, relative dates made absolute, the source list of chat replies."""

from __future__ import annotations

from datetime import date

import pytest

from newsqa.types import Answer, Citation, QueryInfo
from qa.answering.present import (
    absolute_dates,
    ap_date,
    drop_unknown_markers,
    readable_answer,
    sources_block,
)

SATURDAY = "2021-08-28"  # a Saturday


def citation(
    n: int,
    quote: str,
    published: str | None = SATURDAY,
    url: str | None = "https://example.com/{n}",
    title: str = "Story {n}",
) -> Citation:
    return Citation(
        n=n,
        article_id=f"a{n}",
        title=title.format(n=n),
        source="example.com",
        url=url.format(n=n) if url else None,
        published=published,
        quote=quote,
        start=0,
        end=len(quote),
        score=1.0,
    )


def answer(text: str, citations: list[Citation], abstained: bool = False) -> Answer:
    return Answer(text, abstained, citations, [], QueryInfo("q", SATURDAY))


class TestApDate:
    @pytest.mark.parametrize(
        ("day", "expected"),
        [
            (date(2021, 8, 26), "Aug. 26, 2021"),
            (date(2022, 3, 1), "March 1, 2022"),
            (date(2022, 9, 6), "Sept. 6, 2022"),
        ],
    )
    def test_ap_style(self, day: date, expected: str) -> None:
        assert ap_date(day) == expected


class TestAbsoluteDates:
    @pytest.mark.parametrize(
        ("text", "context", "expected"),
        [
            ("Thursday", "The merger closed on Thursday, the firm said.", "Thursday (Aug. 26, 2021)"),
            ("Saturday", "Officials said Saturday that the road had reopened.", "Saturday (Aug. 28, 2021)"),
            ("Thursday", "The council will vote on the budget Thursday.", "Thursday (Sept. 2, 2021)"),
            ("last Saturday", "The fair opened last Saturday.", "last Saturday (Aug. 21, 2021)"),
            ("next Monday", "Talks resume next Monday.", "next Monday (Aug. 30, 2021)"),
            ("Friday night", "The fire started Friday night near the dam.", "Friday night (Aug. 27, 2021)"),
            ("yesterday", "", "yesterday (Aug. 27, 2021)"),
            ("tomorrow", "", "tomorrow (Aug. 29, 2021)"),
            ("last week", "", "last week (the week of Aug. 16, 2021)"),
            ("next month", "", "next month (September 2021)"),
            ("last year", "", "last year (2020)"),
        ],
    )
    def test_relative_dates_are_read_from_the_publication_date(
        self, text: str, context: str, expected: str
    ) -> None:
        assert absolute_dates(text, SATURDAY, context=context) == expected

    def test_month_arithmetic_crosses_the_year(self) -> None:
        assert absolute_dates("last month", "2022-01-15") == "last month (December 2021)"

    @pytest.mark.parametrize(
        "text",
        ["Thursday, Aug. 26", "Thursday in 2019", "March 2022", "Nangarhar", "Black Friday", "USA Today"],
    )
    def test_explicit_dates_and_other_answers_are_unchanged(self, text: str) -> None:
        assert absolute_dates(text, SATURDAY) == text

    @pytest.mark.parametrize("published", [None, "", "not a date"])
    def test_no_publication_date_no_change(self, published: str | None) -> None:
        assert absolute_dates("Thursday", published) == "Thursday"


class TestReadableAnswer:
    def test_direct_answer_then_the_quoted_sentence_and_its_marker(self) -> None:
        quote = "The unmanned airstrike occurred in the Nangarhar province of Afghanistan, officials said."
        assert readable_answer(answer("Nangarhar", [citation(1, quote)])) == f"Nangarhar: “{quote}” [1]"

    def test_a_quote_with_its_own_quotation_marks_is_not_wrapped_again(self) -> None:
        quote = "“The strike hit its target,” the captain said."
        assert readable_answer(answer("the captain", [citation(1, quote)])) == f"the captain: {quote} [1]"

    def test_a_date_answer_gets_its_calendar_date(self) -> None:
        quote = "The company completed the sale on Thursday after months of talks."
        text = readable_answer(answer("Thursday", [citation(1, quote)]))
        assert text.startswith("Thursday (Aug. 26, 2021): “The company completed")

    def test_every_citation_is_marked(self) -> None:
        cited = [citation(1, "The plant failed on Monday, the city said."), citation(2, "A plant failed.")]
        assert readable_answer(answer("the plant", cited)).endswith("” [1][2]")

    def test_a_sentence_answer_gets_markers_after_its_sentences(self) -> None:
        cited = [
            citation(1, "Residents boiled water for weeks."),
            citation(2, "The governor declared an emergency."),
        ]
        text = "The governor declared an emergency. Residents boiled water for weeks."
        assert readable_answer(answer(text, cited)) == (
            "The governor declared an emergency. [2] Residents boiled water for weeks. [1]"
        )

    def test_markers_go_after_sentences_the_text_kernel_reads(self) -> None:
        # "v." and "Dr." end no sentence: a marker never lands inside "Hale v. Ortiz".
        cited = [citation(1, "The court heard Hale v. Ortiz on Monday."), citation(2, "Dr. Wren testified.")]
        text = "The court heard Hale v. Ortiz on Monday. Dr. Wren testified."
        assert readable_answer(answer(text, cited)) == (
            "The court heard Hale v. Ortiz on Monday. [1] Dr. Wren testified. [2]"
        )

    @pytest.mark.parametrize("short", ["Hale v. Ortiz", "Washington", "the St. Louis office"])
    def test_a_short_span_is_a_direct_answer(self, short: str) -> None:
        cited = [citation(1, f"The case named {short} was heard after a long wait in the morning.")]
        assert readable_answer(answer(short, cited)).startswith(f"{short}: “")

    @pytest.mark.parametrize("sentence", ["It rained.", 'He said "no."', "Who won? Nobody"])
    def test_a_short_sentence_is_not_a_direct_answer(self, sentence: str) -> None:
        cited = [citation(1, f"On Monday the mayor of the town wrote that {sentence} in a note.")]
        assert not readable_answer(answer(sentence, cited)).startswith(f"{sentence}: “")

    def test_an_answer_that_is_its_quote_is_not_repeated(self) -> None:
        quote = "The mayor resigned after the audit."
        assert readable_answer(answer("the mayor resigned after the audit", [citation(1, quote)])) == (
            "the mayor resigned after the audit [1]"
        )

    def test_markers_that_cite_nothing_are_dropped(self) -> None:
        cited = [citation(1, "The dam held.")]
        assert readable_answer(answer("The dam held [1] and the town was saved [3].", cited)) == (
            "The dam held [1] and the town was saved."
        )

    def test_an_abstention_reads_as_its_message(self) -> None:
        message = "The indexed articles don't say who won."
        assert readable_answer(answer(message, [], abstained=True)) == message


def test_drop_unknown_markers_keeps_known_ones() -> None:
    assert drop_unknown_markers("A [1][4]. B [2].", {1, 2}) == "A [1]. B [2]."


class TestSourcesBlock:
    def test_one_line_per_citation_with_title_outlet_date_and_url(self) -> None:
        cited = [citation(1, "q").to_dict(), citation(2, "q", published=None, url=None, title="").to_dict()]
        assert sources_block(cited) == (
            "Sources:\n- [1] Story 1 — example.com, Aug. 28, 2021 — https://example.com/1\n- [2] example.com"
        )

    def test_no_citations_no_block(self) -> None:
        assert sources_block([]) == ""
