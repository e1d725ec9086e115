from __future__ import annotations

import json
from pathlib import Path

from eval.compare_runs import compare, paired_report, record_samples


def _run(folder: Path, answers: list[str], latency: float) -> None:
    (folder / "seed").mkdir(parents=True)
    lines = [json.dumps({"id": f"q{i}", "answer": a, "latency_ms": latency}) for i, a in enumerate(answers)]
    (folder / "seed" / "questions-ours.jsonl").write_text("\n".join(lines) + "\n")


def test_timings_do_not_count_and_a_moved_answer_does(tmp_path: Path) -> None:
    _run(tmp_path / "before", ["Lena Marsh", "Oslo"], latency=10.0)
    _run(tmp_path / "same", ["Lena Marsh", "Oslo"], latency=99.0)
    _run(tmp_path / "moved", ["Lena Marsh", "Bergen"], latency=10.0)
    assert compare(tmp_path / "before", tmp_path / "same")[0] == 0
    total, lines = compare(tmp_path / "before", tmp_path / "moved")
    assert total == 1
    assert "   #1: answer" in lines


def test_a_set_missing_after_is_named(tmp_path: Path) -> None:
    _run(tmp_path / "before", ["Oslo"], latency=1.0)
    (tmp_path / "after").mkdir()
    assert compare(tmp_path / "before", tmp_path / "after")[1][0].startswith("seed: missing")


def _scored(folder: Path, right: list[bool], withheld: list[bool], answerable: list[bool]) -> None:
    (folder / "seed").mkdir(parents=True)
    records = [
        {
            "id": f"q{i}",
            "answerable": a,
            "abstained": w,
            "correct": {"answer_em": (r if a else None), "choice": a and r, "abstention": w != a},
        }
        for i, (r, w, a) in enumerate(zip(right, withheld, answerable, strict=True))
    ]
    (folder / "seed" / "questions-ours.jsonl").write_text("".join(json.dumps(r) + "\n" for r in records))


def test_record_samples_score_like_the_report() -> None:
    records = [
        {"id": "a", "answerable": True, "abstained": False, "correct": {"answer_em": True, "choice": True}},
        {"id": "b", "answerable": True, "abstained": True, "correct": {"answer_em": False, "choice": False}},
        {"id": "c", "answerable": False, "abstained": True, "correct": {"answer_em": None, "choice": False}},
        {"id": "d", "answerable": False, "abstained": False, "correct": {"answer_em": None, "choice": False}},
    ]
    point = record_samples(records).point()
    assert point["answer_em"] == 0.5 and point["choice"] == 0.5  # over the two answerable questions
    assert point["abstain_precision"] == 0.5 and point["abstain_recall"] == 0.5
    with_choices = [
        {**records[0], "choice": "x"},
        {**records[1], "choice": "y"},  # given, wrong
        {**records[2], "choice": None},  # unanswerable, none given
        {**records[3], "choice": "z"},
    ]
    point = record_samples(with_choices).point()
    assert point["choice_wrong"] == 0.5 and point["choice_withheld_unanswerable"] == 0.5


def test_paired_report_shows_a_clear_gain_beyond_noise(tmp_path: Path) -> None:
    n = 60
    answerable = [True] * n
    _scored(tmp_path / "before", [i % 4 == 0 for i in range(n)], [False] * n, answerable)
    _scored(tmp_path / "after", [i % 4 != 3 for i in range(n)], [False] * n, answerable)
    rows = {
        line.split(" | ")[0].strip("| "): line
        for line in paired_report(tmp_path / "before", tmp_path / "after")
    }
    em = rows["answer_em"]
    assert "| 0.250 | 0.750 | +0.500" in em
    low = float(em.rsplit("[", 1)[1].split(",")[0])
    assert low > 0.3, em


def test_paired_report_refuses_other_questions(tmp_path: Path) -> None:
    _scored(tmp_path / "before", [True], [False], [True])
    _scored(tmp_path / "after", [True, False], [False, False], [True, True])
    assert "not paired" in paired_report(tmp_path / "before", tmp_path / "after")[0]
