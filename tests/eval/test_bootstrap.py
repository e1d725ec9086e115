from __future__ import annotations

import numpy as np
import pytest

from eval.bootstrap import BootstrapSpec, MetricSamples, intervals, paired_deltas, report_sections
from eval.metrics import QAEvaluator, QuestionOutcome, TurnOutcome


def outcome(index: int, *, right: bool, answerable: bool = True, **kwargs: object) -> QuestionOutcome:
    """An answered question: right -> the gold answer and its article first; wrong -> neither."""
    base: dict[str, object] = {
        "question_id": f"q{index}",
        "answers": ["Lampedusa"] if answerable else [],
        "relevant_article_ids": ["gold"] if answerable else [],
        "answerable": answerable,
        "retrieved_article_ids": ["gold", "other"] if right else ["other"],
        "retrieved_texts": ["to Lampedusa"] if right else ["elsewhere"],
        "answer": "Lampedusa" if right else "Malta",
        "abstained": False,
        "latency_ms": 10.0 + index % 7,
    }
    base.update(kwargs)
    return QuestionOutcome(**base)  # type: ignore[arg-type]


def samples(n: int, right_every: int = 2) -> MetricSamples:
    outcomes = [outcome(i, right=i % right_every == 0) for i in range(n)]
    return MetricSamples.of(QAEvaluator(), outcomes)


class TestSamples:
    def test_point_estimates_equal_the_evaluator(self) -> None:
        evaluator = QAEvaluator()
        outcomes = [
            outcome(i, right=i % 3 == 0, citations_checked=i % 4, citations_exact=i % 2) for i in range(30)
        ]
        outcomes += [outcome(30 + i, right=False, answerable=False, abstained=i % 2 == 0) for i in range(6)]
        turns = [TurnOutcome("c", 1, ["Malta"], "Malta", False), TurnOutcome("c", 2, [], "no", False)]
        row = evaluator(outcomes, turns)
        point = MetricSamples.of(evaluator, outcomes, turns).point()
        assert set(point) == set(row)
        for name, value in row.items():
            assert point[name] == pytest.approx(value) if value is not None else point[name] is None, name


class TestIntervals:
    def test_deterministic_with_the_seed(self) -> None:
        data = samples(80)
        assert intervals(data, BootstrapSpec(seed=7)) == intervals(data, BootstrapSpec(seed=7))
        assert intervals(data, BootstrapSpec(seed=7)) != intervals(data, BootstrapSpec(seed=8))

    def test_interval_contains_the_point_estimate(self) -> None:
        data = samples(60, right_every=3)
        point = data.point()
        for name, interval in intervals(data, BootstrapSpec()).items():
            if interval is not None:
                assert interval[0] <= point[name] <= interval[1], name

    def test_narrows_as_questions_grow(self) -> None:
        spec = BootstrapSpec()
        small, large = intervals(samples(40), spec)["answer_em"], intervals(samples(640), spec)["answer_em"]
        assert small is not None and large is not None
        assert (large[1] - large[0]) < (small[1] - small[0]) / 2  # ~1/sqrt(16) of the width

    def test_width_near_the_normal_approximation(self) -> None:
        interval = intervals(samples(400), BootstrapSpec())["answer_em"]
        assert interval is not None
        half_width = 1.96 * np.sqrt(0.5 * 0.5 / 400)
        assert (interval[1] - interval[0]) / 2 == pytest.approx(half_width, rel=0.15)

    def test_metric_that_does_not_apply_has_no_interval(self) -> None:
        data = samples(20)  # no unanswerable question, no follow-up turn
        found = intervals(data, BootstrapSpec())
        assert found["abstain_recall"] is None
        assert "followup_accuracy" not in found

    def test_spec_rejects_nonsense(self) -> None:
        with pytest.raises(ValueError):
            BootstrapSpec(resamples=0)
        with pytest.raises(ValueError):
            BootstrapSpec(level=1.0)


class TestPaired:
    def test_identical_configs_have_a_zero_delta(self) -> None:
        delta = paired_deltas(samples(50), samples(50), BootstrapSpec())["answer_em"]
        assert delta == {"delta": 0.0, "ci95": [0.0, 0.0]}

    def test_pairing_is_tighter_than_two_independent_intervals(self) -> None:
        spec = BootstrapSpec()
        # the second config is the first plus 10 more right answers out of 200
        first = [outcome(i, right=i % 2 == 0) for i in range(200)]
        second = [outcome(i, right=i % 2 == 0 or i % 20 == 1) for i in range(200)]
        a, b = MetricSamples.of(QAEvaluator(), first), MetricSamples.of(QAEvaluator(), second)
        delta = paired_deltas(b, a, spec)["answer_em"]
        assert delta["delta"] == pytest.approx(0.05)
        low, high = delta["ci95"]
        assert 0.0 < low <= 0.05 <= high  # beats noise: unpaired intervals of +-0.07 would overlap
        separate = intervals(a, spec)["answer_em"]
        assert separate is not None and high - low < (separate[1] - separate[0]) / 2

    def test_different_question_sets_are_refused(self) -> None:
        with pytest.raises(ValueError, match="same questions"):
            paired_deltas(samples(10), samples(12), BootstrapSpec())

    def test_report_sections_name_first_minus_other(self) -> None:
        sections = report_sections(
            {"ours": samples(30, 2), "bm25": samples(30, 3)}, BootstrapSpec(resamples=200)
        )
        assert list(sections["paired_deltas"]) == ["ours - bm25"]
        assert sections["paired_deltas"]["ours - bm25"]["answer_em"]["delta"] > 0
        assert sections["bootstrap"] == {"method": "percentile", "resamples": 200, "seed": 0, "level": 0.95}
        assert set(sections["ci95"]) == {"ours", "bm25"}
