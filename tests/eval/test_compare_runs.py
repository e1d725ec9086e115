from __future__ import annotations

import json
from pathlib import Path

from eval.compare_runs import compare


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
