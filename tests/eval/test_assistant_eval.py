"""The assistant-question scorer: right / wrong / withheld on small hand-made answers."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from eval.assistant import (
    QUESTIONS_PATH,
    AssistantQuestion,
    Shown,
    ask_question,
    classify,
    load_questions,
    paired_deltas,
    rate_interval,
    shown_answer,
    summarise,
)
from eval.bootstrap import BootstrapSpec
from newsqa.errors import InvalidInput
from newsqa.types import Answer, Citation, QueryInfo
from qa.answering.present import readable_answer

FERRY = "The night ferry left Porto for Lisbon on Monday, the harbour office said."


def citation(quote: str, published: str = "2023-03-08") -> Citation:
    return Citation(1, "ferry1", "Ferry sails", "harbour.example", None, published, quote, 0, len(quote), 1.0)


def answer(text: str, *, abstained: bool = False, quote: str = FERRY, readable: bool = True) -> Answer:
    """An answer as the answerer finishes it: with its readable form, unless `readable` is False."""
    cited = [] if abstained else [citation(quote)]
    made = Answer(text, abstained, cited, [], QueryInfo(rewritten="q", as_of="2023-03-08"))
    if readable:
        made.answer_text = readable_answer(made)
    return made


def question(**fields: object) -> AssistantQuestion:
    values: dict = {
        "id": "t1",
        "kind": "factual",
        "asked_at": "2023-03-08",
        "question": "?",
        "answerable": True,
    }
    values.update(fields)
    return AssistantQuestion(**values)


def test_a_direct_answer_is_right_only_when_the_answer_itself_carries_the_fact() -> None:
    wanted = question(accepted=["Lisbon"])
    assert classify(wanted, shown_answer(answer("Lisbon"))) == "right"
    # The quoted sentence names Lisbon too, but the reader is told "Porto".
    shown = shown_answer(answer("Porto"))
    assert "Lisbon" in shown.text and shown.lead.startswith("Porto")
    assert classify(wanted, shown) == "wrong"


def test_a_relative_date_counts_once_it_is_made_absolute() -> None:
    # Published Wednesday March 8, 2023: "Monday" is March 6.
    shown = shown_answer(answer("Monday"))
    assert classify(question(accepted=["March 6"]), shown) == "right"
    assert classify(question(accepted=["March 13"]), shown) == "wrong"
    # Without a readable form (code before readable answers) the bare weekday is shown, not the date.
    assert classify(question(accepted=["March 6"]), shown_answer(answer("Monday", readable=False))) == "wrong"


def test_a_sentence_answer_is_read_whole() -> None:
    sentence = "The night ferry left Porto for Lisbon on Monday."
    shown = shown_answer(answer(sentence, quote=sentence))
    assert classify(question(accepted=["Lisbon"]), shown) == "right"


def test_withheld_is_a_miss_for_an_answerable_question_and_right_for_an_unanswerable_one() -> None:
    withheld = shown_answer(answer("I could not find that in the articles.", abstained=True))
    assert classify(question(accepted=["Lisbon"]), withheld) == "withheld"
    assert classify(question(kind="unanswerable", answerable=False), withheld) == "right"
    assert classify(question(kind="unanswerable", answerable=False), shown_answer(answer("Porto"))) == "wrong"


def test_a_timeline_needs_the_given_number_of_required_facts() -> None:
    wanted = question(kind="timeline", required=["storm", "Lisbon", "cancelled"], min_required=2)
    two = Shown("Mar. 6: the ferry reached Lisbon. Mar. 7: the return trip was cancelled.", "", False)
    one = Shown("Mar. 6: the ferry reached Lisbon.", "", False)
    assert classify(wanted, two) == "right"
    assert classify(wanted, one) == "wrong"


def test_a_follow_up_is_asked_with_the_history_the_reader_saw() -> None:
    class Recorder:
        def __init__(self) -> None:
            self.calls: list[tuple[str, list | None]] = []

        def ask(self, text: str, *, history: list | None = None, as_of: str | None = None) -> Answer:
            self.calls.append((text, history))
            return answer("Lisbon") if not history else answer("Monday")

    recorder = Recorder()
    follow_up = question(kind="followup", context=["Where did the ferry go?"], accepted=["March 6"])
    record = ask_question(recorder, follow_up)
    assert record["outcome"] == "right"
    first_shown = shown_answer(answer("Lisbon")).text
    assert recorder.calls[0] == ("Where did the ferry go?", None)
    assert recorder.calls[1][1] == [
        {"role": "user", "content": "Where did the ferry go?"},
        {"role": "assistant", "content": first_shown},
    ]


def test_summary_counts_and_intervals() -> None:
    records = [{"kind": "factual", "outcome": o} for o in ("right", "right", "wrong", "withheld")]
    summary = summarise(records, BootstrapSpec(resamples=200))
    assert summary["counts"] == {"right": 2, "wrong": 1, "withheld": 1}
    assert summary["by_kind"]["factual"]["right"] == 2 and summary["by_kind"]["profile"]["right"] == 0
    low, high = summary["right_rate_ci95"]
    assert low <= 0.5 <= high and low < high
    assert rate_interval([True] * 5, BootstrapSpec(resamples=50)) == [1.0, 1.0]


def test_the_written_set_loads_with_every_kind(tmp_path: Path) -> None:
    kinds = {q.kind for q in load_questions(QUESTIONS_PATH)}
    assert kinds == {"factual", "timeline", "profile", "followup", "unanswerable"}


@pytest.mark.parametrize(
    ("fields", "reason"),
    [
        ({"kind": "unanswerable", "answerable": False, "accepted": ["x"]}, "no accepted"),
        ({"kind": "followup", "accepted": ["x"]}, "context"),
        ({"kind": "timeline", "required": ["a", "b"], "min_required": 3}, "min_required"),
        ({"kind": "guess", "accepted": ["x"]}, "kind must be"),
    ],
)
def test_bad_lines_are_named(tmp_path: Path, fields: dict, reason: str) -> None:
    line = {"id": "b1", "kind": "factual", "asked_at": "2023-03-08", "question": "?", "answerable": True}
    line.update(fields)
    path = tmp_path / "set.jsonl"
    path.write_text(json.dumps(line) + "\n", encoding="utf-8")
    with pytest.raises(InvalidInput, match=rf"set.jsonl:1: .*{reason}"):
        load_questions(path)


def test_paired_deltas_compare_the_same_questions() -> None:
    before = [{"id": f"q{i}", "outcome": o} for i, o in enumerate(["wrong", "wrong", "withheld", "right"])]
    after = [{"id": f"q{i}", "outcome": o} for i, o in enumerate(["right", "right", "withheld", "right"])]
    deltas = paired_deltas(before, after, BootstrapSpec(resamples=200))
    assert deltas["right"]["delta"] == 0.5 and deltas["wrong"]["delta"] == -0.5
    assert deltas["wrong"]["ci95"][1] <= 0.0
    with pytest.raises(InvalidInput, match="other questions"):
        paired_deltas(before[:3], after)
