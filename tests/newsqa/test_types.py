"""The kernel's one filter semantics, `Filters.admits` / `Filters.ts_range`, used by every store path."""

from __future__ import annotations

import pytest

from newsqa.errors import InvalidInput
from newsqa.types import SECONDS_PER_DAY, Filters, published_timestamp

SEPT_1 = published_timestamp("2022-09-01")


class TestFilters:
    def test_unknown_date_passes_an_upper_limit_not_a_lower_one(self) -> None:
        assert Filters(published_to="2022-01-01").admits("s.com", 0)
        assert not Filters(published_from="2022-01-01").admits("s.com", 0)

    def test_days_are_inclusive_to_the_last_second(self) -> None:
        one_day = Filters(published_from="2022-09-01", published_to="2022-09-01", sources=["s.com"])
        assert one_day.admits("s.com", SEPT_1)
        assert one_day.admits("s.com", SEPT_1 + SECONDS_PER_DAY - 1)
        assert not one_day.admits("s.com", SEPT_1 + SECONDS_PER_DAY)
        assert not one_day.admits("s.com", SEPT_1 - 1)

    def test_sources(self) -> None:
        assert not Filters(sources=["cnn.com"]).admits("s.com", SEPT_1)
        assert Filters(sources=["cnn.com", "s.com"]).admits("s.com", SEPT_1)
        assert Filters().admits(None, 0)

    def test_ts_range(self) -> None:
        assert Filters().ts_range() == (None, None)
        assert Filters(published_to="2022-09-01").ts_range() == (None, SEPT_1 + SECONDS_PER_DAY - 1)

    @pytest.mark.parametrize("bad", ["Sept 1 2022", "2022-13-01"])
    def test_a_date_that_is_not_iso_is_named(self, bad: str) -> None:
        with pytest.raises(InvalidInput, match=bad):
            Filters(published_from=bad).admits("s.com", SEPT_1)

    def test_published_timestamp_of_unknown_is_zero(self) -> None:
        assert published_timestamp(None) == 0
        assert published_timestamp("not a date") == 0
        assert published_timestamp("2022-09-01T10:00:00Z") == SEPT_1
