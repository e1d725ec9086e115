"""ui.overview and ui.filters: what an empty chat says, example questions, forgiving dates."""

from __future__ import annotations

from datetime import date

import pytest

from ui.filters import FilterInputError, parse_date, preset_range
from ui.overview import example_questions, overview_markdown


def article(id: str, title: str, source: str = "dawn.com") -> dict:
    return {"id": id, "title": title, "source": source}


class TestOverviewMarkdown:
    def test_counts_outlets_by_size_and_the_date_range(self) -> None:
        stats = {"articles": 5, "sources": {"cnn.com": 1, "dawn.com": 3, "": 1}, "published_min": "2022-01-03",
                 "published_max": "2022-12-30"}  # fmt: skip
        md = overview_markdown(stats)
        assert md.startswith("**5** articles from **2** outlets, published 2022-01-03 to 2022-12-30.")
        assert "Outlets: dawn.com (3), cnn.com (1)" in md

    def test_an_empty_index_says_how_to_fill_it(self) -> None:
        assert "Add articles" in overview_markdown({"articles": 0})


class TestExampleQuestions:
    def test_subjects_come_from_titles_and_for_title_case_or_bare_titles_from_the_lead(self) -> None:
        leads = {"c": "MARSEILLE — Port workers led by Odile Ferrand ended a strike on Friday. More text."}
        articles = [
            article("a", "Floods: rescue teams reach the villages of Upper Dir", "dawn.com"),
            article("b", "Dock Workers End Their Long Strike In The Port", "lemonde.fr"),
            article("c", "Dock workers go back", "afp.com"),
        ]
        questions = example_questions(articles, leads.get, count=3)
        assert questions == ["What is the latest on Upper Dir?", "What is the latest on Odile Ferrand?"]

    def test_outlets_take_turns_and_subjects_are_not_repeated(self) -> None:
        articles = [
            article("a", "Talks with Nadia Rahimi resume", "x.com"),
            article("b", "Why Nadia Rahimi left the talks", "x.com"),
            article("c", "Storm hits the Faroe Islands", "y.com"),
            article("d", "Markets rise after the Central Bank decision", "x.com"),
        ]
        questions = example_questions(articles, lambda _: None, count=2)
        assert questions == ["What is the latest on Nadia Rahimi?", "What is the latest on Faroe Islands?"]


class TestDates:
    @pytest.mark.parametrize("typed", ["2022-09-01", "Sept 1 2022", "1 September 2022", "September 1, 2022"])
    def test_common_forms(self, typed: str) -> None:
        assert parse_date(typed, "Published from") == "2022-09-01"

    def test_unreadable_names_the_field_and_the_text(self) -> None:
        with pytest.raises(FilterInputError, match="Published to: could not read 'the 40th of Smarch'"):
            parse_date("the 40th of Smarch", "Published to")
        assert parse_date("  ", "Published to") is None

    def test_presets_end_on_as_of_or_today(self) -> None:
        assert preset_range("Past day", as_of="2022-03-01") == ("2022-02-28", "2022-03-01")
        assert preset_range("Past month", as_of="", today=date(2022, 5, 31)) == ("2022-05-01", "2022-05-31")
        assert preset_range("Past week", as_of="not a date", today=date(2022, 5, 8)) == (
            "2022-05-01",
            "2022-05-08",
        )
