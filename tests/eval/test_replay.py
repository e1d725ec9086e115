"""Replaying the hand-set abstention rule over collected rows (eval/replay.py), on rows written here."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from eval.evalsets import EvalQuestion
from eval.replay import HandSetRule, answer_metrics, changed_rows, compare, load_rows, pick_rule, replay


def _question(qid: str, gold: str | None, choices: list[str] | None = None) -> EvalQuestion:
    return EvalQuestion(
        qid, f"Question {qid}?", "2022-05-01", [gold] if gold else [], [], gold is not None, choices
    )


def _row(qid: str, answer: str, confidence: float, support: float | None, kind: str = "free") -> dict:
    features = {"extractor_confidence": confidence, "retrieval_support": support, "support_articles": 1.0}
    return {"id": qid, "kind": kind, "answerable": True, "candidate": answer, "features": features}


class TestHandSetRule:
    def test_both_thresholds_withhold(self) -> None:
        rule = HandSetRule(abstain_threshold=0.2, min_retrieval_score=2.0, choice_factor=0.5)
        assert not rule.withholds(_row("a", "Oslo", 0.3, 2.5))
        assert rule.withholds(_row("a", "Oslo", 0.1, 2.5))  # unsure
        assert rule.withholds(_row("a", "Oslo", 0.3, 1.5))  # the best passage is about something else
        assert not rule.withholds(_row("a", "Oslo", 0.3, None))  # a retrieval mode without the reranker

    def test_choices_scale_both_thresholds(self) -> None:
        rule = HandSetRule(abstain_threshold=0.2, min_retrieval_score=2.0, choice_factor=0.5)
        assert rule.withholds(_row("a", "Oslo", 0.15, 1.5))
        assert not rule.withholds(_row("a", "Oslo", 0.15, 1.5, kind="choice"))

    def test_an_answer_without_support_is_withheld_whatever_the_thresholds(self) -> None:
        row = _row("a", "Oslo", 0.9, 5.0)
        row["features"]["support_articles"] = 0.0
        assert HandSetRule(0.0, 0.0).withholds(row)


def test_replay_scores_answers_and_choices_as_the_harness_does() -> None:
    questions = {"a": _question("a", "Oslo", ["Oslo", "Bergen"]), "b": _question("b", None)}
    rows = [_row("a", "Oslo", 0.5, 3.0), _row("a", "Oslo", 0.5, 3.0, "choice"), _row("b", "Bergen", 0.1, 3.0)]
    outcomes = replay(rows, questions, HandSetRule(0.2, 2.0))
    assert [(o.question_id, o.abstained) for o in outcomes] == [("a", False), ("b", True)]
    metrics = answer_metrics(outcomes)
    assert metrics["answer_em"] == 1.0 and metrics["mc_accuracy"] == 1.0
    assert metrics["abstain_precision"] == 1.0 and metrics["abstain_recall"] == 1.0
    stricter = answer_metrics(replay(rows, questions, HandSetRule(0.7, 2.0)))  # 0.7 x 0.75 > 0.5
    assert stricter["answer_em"] == 0.0 and stricter["mc_accuracy"] == 0.0  # both withheld


def test_compare_pairs_two_collections_question_by_question() -> None:
    questions = {f"q{i}": _question(f"q{i}", "Oslo") for i in range(20)}
    before = [_row(f"q{i}", "Bergen", 0.5, 3.0) for i in range(20)]
    after = [_row(f"q{i}", "Oslo" if i < 10 else "Bergen", 0.5, 3.0) for i in range(20)]
    assert changed_rows(before, after) == [f"q{i}/free" for i in range(10)]
    rule = HandSetRule()
    em = compare(replay(before, questions, rule), replay(after, questions, rule))["answer_em"]
    assert em["delta"] == pytest.approx(0.5)
    assert 0.0 < em["ci95"][0] <= em["ci95"][1] <= 1.0  # ten answers fixed: beyond resampling noise


def test_the_sweep_finds_the_confidence_that_separates_the_two_kinds() -> None:
    questions = {f"a{i}": _question(f"a{i}", "Oslo") for i in range(10)}
    questions |= {f"u{i}": _question(f"u{i}", None) for i in range(10)}
    rows = [_row(f"a{i}", "Oslo", 0.40, 3.0) for i in range(10)] + [
        _row(f"u{i}", "Bergen", 0.10, 3.0) for i in range(10)
    ]
    rule, metrics = pick_rule(rows, questions)
    assert 0.10 < rule.abstain_threshold <= 0.40
    assert metrics["abstain_precision"] == 1.0 and metrics["abstain_recall"] == 1.0


def test_rows_load_from_the_train_cache_or_json_lines(tmp_path: Path) -> None:
    rows = [_row("a", "Oslo", 0.5, 3.0), _row("b", "Bergen", 0.1, None)]
    (tmp_path / "list.json").write_text(json.dumps(rows), encoding="utf-8")
    (tmp_path / "lines.jsonl").write_text("".join(json.dumps(r) + "\n" for r in rows), encoding="utf-8")
    assert load_rows(tmp_path / "list.json") == load_rows(tmp_path / "lines.jsonl") == rows
