"""eval.withheld: wrong answers shown / right answers withheld between two runs (records written here)."""

from __future__ import annotations

from eval.withheld import outcome_counts


def _record(qid: str, answer: str | None, gold: list[str], answerable: bool = True) -> dict:
    return {"id": qid, "answer": answer, "abstained": answer is None, "gold": gold, "answerable": answerable}


def test_withholding_a_wrong_answer_and_a_right_one_is_counted_per_kind() -> None:
    before = [
        _record("a", "the blue kettle", ["red teapot"]),  # wrong, shown
        _record("b", "red teapot", ["red teapot"]),  # right, shown
        _record("c", "a guess", [], answerable=False),  # unanswerable, shown: wrong
        _record("d", "green mug", ["green mug"]),  # right, shown, kept
    ]
    after = [
        _record("a", None, ["red teapot"]),
        _record("b", None, ["red teapot"]),
        _record("c", None, [], answerable=False),
        _record("d", "green mug", ["green mug"]),
    ]
    counts = outcome_counts(before, after, resamples=200)
    assert counts["wrong_shown"]["before"] == 2 and counts["wrong_shown"]["after"] == 0
    assert counts["right_shown"]["delta"] == -1
    low, high = counts["wrong_shown"]["delta_ci95"]
    assert low <= -2 <= high <= 0
