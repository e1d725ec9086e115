"""The chat's filter inputs read forgivingly: dates in common forms, and date presets.

parse_date("Sept 1 2022", "Published from")          # '2022-09-01'
parse_date("soonish", "Published from")              # raises FilterInputError (shown inline)
preset_range("Past week", as_of="2022-09-08")         # ('2022-09-01', '2022-09-08')
"""

from __future__ import annotations

from datetime import date, timedelta

ANY_TIME = "Any time"
# Days back from the "as of" date (today when empty) that each preset covers.
DATE_PRESETS: dict[str, int] = {"Past day": 1, "Past week": 7, "Past month": 30}
# dateparser reads these forms; the inline message names them.
DATE_EXAMPLES = "2022-09-01, Sept 1 2022 or 1 September 2022"


class FilterInputError(ValueError):
    """A filter the user typed that cannot be read; its message is shown beside the question."""


def parse_date(value: str | None, label: str) -> str | None:
    """An ISO date from `value` (None when empty); FilterInputError naming `label` when unreadable."""
    text = (value or "").strip()
    if not text:
        return None
    try:
        return date.fromisoformat(text).isoformat()
    except ValueError:
        pass
    import dateparser  # slow to import: only when a date is not already ISO

    parsed = dateparser.parse(
        text, languages=["en"], settings={"PREFER_DAY_OF_MONTH": "first", "RETURN_AS_TIMEZONE_AWARE": False}
    )
    if parsed is None:
        raise FilterInputError(f"{label}: could not read {text!r} as a date; try {DATE_EXAMPLES}.")
    return parsed.date().isoformat()


def preset_range(preset: str | None, *, as_of: str | None, today: date | None = None) -> tuple[str, str]:
    """(published from, published to) for a preset, ending on `as_of` (or today); ("", "") for any time."""
    days = DATE_PRESETS.get(preset or "")
    if days is None:
        return "", ""
    try:
        end = date.fromisoformat(parse_date(as_of, "As of") or "")
    except (ValueError, FilterInputError):
        end = today or date.today()
    return (end - timedelta(days=days)).isoformat(), end.isoformat()
