"""resolve_time: every supported expression against a fixed as-of date, edges and as-of formats."""

from __future__ import annotations

from datetime import UTC, date, datetime

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from newsqa.errors import InvalidInput
from qa.question.timeparse import (
    AS_OF_MAX,
    AS_OF_MIN,
    TimeWindow,
    as_of_range_error,
    parse_as_of,
    resolve_time,
)

THURSDAY = date(2022, 9, 15)  # a Thursday
# One phrase of each kind of time expression resolve_time reads.
TIME_PHRASES = [
    "on 2022-09-01",
    "on August 28",
    "on 3rd of March 2021",
    "in August 2021",
    "in May",
    "in August last year",
    "last March",
    "in 2020",
    "this week",
    "last week",
    "yesterday",
    "today",
    "this month",
    "last month",
    "this year",
    "recently",
    "three days ago",
    "on Monday",
    "last Friday",
]


def window(question: str, as_of: date | str = THURSDAY) -> TimeWindow:
    result = resolve_time(question, as_of)
    assert result is not None, question
    return result


class TestRelativeExpressions:
    def test_this_week_is_the_seven_days_up_to_as_of(self) -> None:
        w = window("Who resigned this week?")
        assert (w.start, w.end, w.strength) == (date(2022, 9, 9), THURSDAY, "boost")
        assert w.days == 7
        assert w.expression == "this week"

    def test_last_week_is_the_seven_days_before_that(self) -> None:
        w = window("Following the attack last week, who spoke?")
        assert (w.start, w.end) == (date(2022, 9, 2), date(2022, 9, 8))

    def test_yesterday_and_today(self) -> None:
        assert window("What happened yesterday?").start == date(2022, 9, 14)
        assert window("What is happening today?").as_iso() == ("2022-09-15", "2022-09-15")

    def test_usa_today_is_a_newspaper_not_a_date(self) -> None:
        assert resolve_time("According to a USA TODAY poll, who leads?", THURSDAY) is None

    def test_this_month_last_month_this_year(self) -> None:
        assert window("Which bill passed this month?").as_iso() == ("2022-09-01", "2022-09-15")
        assert window("Who won last month?").as_iso() == ("2022-08-01", "2022-08-31")
        assert window("Who won last month?", date(2022, 1, 10)).as_iso() == ("2021-12-01", "2021-12-31")
        assert window("Where is this year's conference?").as_iso() == ("2022-01-01", "2022-09-15")

    def test_weekday_is_the_most_recent_one_on_or_before_as_of(self) -> None:
        assert window("The awards were presented on Monday.").start == date(2022, 9, 12)
        assert window("What launched Thursday?").start == THURSDAY
        assert window("What launched last Thursday?").start == date(2022, 9, 8)
        assert window("Who spoke on Friday?").start == date(2022, 9, 9)

    def test_weekday_in_a_name_is_not_a_date(self) -> None:
        assert resolve_time("Who hosts Thursday Night Football?", THURSDAY) is None

    def test_recently_and_days_ago(self) -> None:
        w = window("Which country recently defeated Wales?")
        assert (w.start, w.end, w.strength) == (date(2022, 8, 17), THURSDAY, "boost")
        assert window("Who won two days ago?").start == date(2022, 9, 13)


class TestExplicitDates:
    def test_month_and_year_filters(self) -> None:
        w = window("What happened in August 2021?")
        assert (w.start, w.end, w.strength) == (date(2021, 8, 1), date(2021, 8, 31), "filter")

    def test_february_of_a_leap_year(self) -> None:
        assert window("in February 2020", date(2022, 1, 1)).end == date(2020, 2, 29)

    def test_bare_month_is_the_latest_one_not_after_as_of(self) -> None:
        assert window("Who retired in February?", date(2022, 12, 30)).as_iso() == ("2022-02-01", "2022-02-28")
        assert window("Who retired in October?", date(2022, 9, 15)).as_iso() == ("2021-10-01", "2021-10-31")
        # The current month stops at as-of.
        assert window("Who won in September?").as_iso() == ("2022-09-01", "2022-09-15")

    def test_a_month_of_last_year(self) -> None:
        as_of = date(2022, 8, 19)
        assert window("Who left in August last year?", as_of).as_iso() == ("2021-08-01", "2021-08-31")
        assert window("What happened last August?", as_of).as_iso() == ("2021-08-01", "2021-08-31")
        assert window("What happened last March?", as_of).as_iso() == ("2022-03-01", "2022-03-31")
        assert resolve_time("It was the last march of the season.", as_of) is None

    def test_year(self) -> None:
        w = window("Who won the election in 2020?")
        assert (w.start, w.end, w.strength) == (date(2020, 1, 1), date(2020, 12, 31), "filter")

    def test_year_as_a_noun_modifier_is_not_a_filter(self) -> None:
        assert resolve_time("Who won the 2022 World Cup final?", THURSDAY) is None
        assert resolve_time("Interference in 2020 elections", THURSDAY) is None

    def test_future_year_is_ignored(self) -> None:
        assert resolve_time("How high will prices climb in 2023?", THURSDAY) is None

    def test_month_day_without_year_is_this_year_or_last(self) -> None:
        assert window("What happened on August 28?").as_iso() == ("2022-08-28", "2022-08-28")
        assert window("What happened on August 28?", date(2022, 3, 1)).start == date(2021, 8, 28)

    def test_month_day_shortly_ahead_is_upcoming_not_last_year(self) -> None:
        assert resolve_time("A celebration runs from December 26.", date(2022, 12, 22)) is None

    def test_explicit_dates_in_several_forms(self) -> None:
        assert window("released on Nov. 1", date(2022, 11, 4)).start == date(2022, 11, 1)
        assert window("news from Sept. 3, 2022").start == date(2022, 9, 3)
        assert window("on the 3rd of March").start == date(2022, 3, 3)
        assert window("on 2022-08-30").as_iso() == ("2022-08-30", "2022-08-30")
        assert window("on 2022-08-30").strength == "filter"

    def test_impossible_date_is_ignored(self) -> None:
        assert resolve_time("on February 30", THURSDAY) is None


class TestChoice:
    def test_no_expression(self) -> None:
        assert resolve_time("Which team did Maya Lindqvist play for?", THURSDAY) is None

    def test_background_clause_is_ignored(self) -> None:
        q = "Which city reopened its libraries after shutting their doors in March 2020?"
        assert resolve_time(q, THURSDAY) is None
        q = "The zoo let visitors back in, having been shut since June 13. Why?"
        assert resolve_time(q, THURSDAY) is None
        # the event's date, not when the news asked about came out (a later inquiry's finding)
        q = "How many hours did the ferry drift during the blizzard on January 6, 2021?"
        assert resolve_time(q, THURSDAY) is None
        assert resolve_time("What happened at the harbor on January 6, 2021?", THURSDAY) is not None

    def test_narrowest_window_wins(self) -> None:
        q = "The town's spring fair in April was confirmed this week. Who will open it?"
        assert window(q).expression == "this week"

    def test_the_asking_sentence_names_the_time(self) -> None:
        q = (
            "This week marked a year since the river flooded the old mill town. "
            "How many families moved away in August last year?"
        )
        assert window(q, date(2022, 8, 19)).expression == "in August last year"  # not the narrower week
        q = "Gov. Newsom signed a law this week. What did he sign in May?"  # "Gov." ends no sentence
        assert window(q).expression == "in May"

    def test_window_never_passes_as_of(self) -> None:
        assert window("this year").end == THURSDAY


class TestAsOf:
    @pytest.mark.parametrize(
        "value", [date(2022, 9, 15), datetime(2022, 9, 15, 23, 59), "2022-09-15", "2022-09-15T08:00:00Z"]
    )
    def test_formats(self, value: date | datetime | str) -> None:
        assert parse_as_of(value) == THURSDAY
        assert window("this week", value).end == THURSDAY

    def test_bad_as_of(self) -> None:
        with pytest.raises(InvalidInput, match="not an ISO date"):
            parse_as_of("15/09/2022")

    def test_out_of_range_as_of(self) -> None:
        with pytest.raises(InvalidInput, match="outside the supported range"):
            parse_as_of("9999-12-31")

    def test_default_is_today_in_utc(self) -> None:
        assert parse_as_of(None) == datetime.now(UTC).date()


class TestCalendarEdges:
    """Windows near the ends of Python's calendar (years 1 and 9999) are dropped, never overflow."""

    @pytest.mark.parametrize(
        "question", ["Who resigned last week?", "What opened in May?", "Who won last March?"]
    )
    def test_windows_before_year_one_are_no_window(self, question: str) -> None:
        assert resolve_time(question, date.min) is None

    def test_windows_inside_the_calendar_still_resolve_at_its_ends(self) -> None:
        assert window("Who won this week?", date.max).end == date.max
        assert window("Who spoke today?", date.min).start == date.min

    @settings(max_examples=150, deadline=None)
    @given(
        day=st.dates(),
        words=st.lists(st.sampled_from(TIME_PHRASES + ["Who", "spoke", "the", ",", "after"]), max_size=6),
    )
    def test_any_day_and_expression(self, day: date, words: list[str]) -> None:
        found = resolve_time(" ".join(words), day)
        assert found is None or found.start <= found.end <= day

    def test_the_as_of_range(self) -> None:
        assert as_of_range_error(AS_OF_MIN) is None and as_of_range_error(AS_OF_MAX) is None
        assert "outside the supported range" in str(as_of_range_error(date(1899, 12, 31)))
        assert "outside the supported range" in str(as_of_range_error(date(2101, 1, 1)))
