"""95% bootstrap confidence intervals over questions, and paired deltas between configs of one run.

Usage:
    spec = BootstrapSpec()                                   # 1000 resamples, seed 0, percentile method
    samples = MetricSamples.of(evaluator, outcomes, turns)   # per-question parts of every metric
    intervals(samples, spec)["answer_em"]                    # [0.41, 0.55]
    paired_deltas(ours, bm25, spec)["answer_em"]             # {"delta": 0.045, "ci95": [0.0, 0.09]}

Every metric is written as sum(numerator) / sum(denominator) over questions (a mean over the questions
it applies to, or a ratio of counts such as citation integrity), so a resample of question indices
recomputes it exactly as `QAEvaluator` does; latency percentiles are recomputed on the resampled
latencies, follow-up accuracy on resampled follow-up turns. With the same spec and the same number of
questions every config draws the same resamples, which is what pairs two configs of one run.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass, field

import numpy as np

from eval.metrics import QAEvaluator, QuestionOutcome, TurnOutcome

# Metrics that are not a mean over the questions they apply to (every other metric of `QAEvaluator` is
# taken to be one; a new metric of another kind must be listed here and given its parts in `of`).
LATENCY_PERCENTILES = {"latency_ms_p50": 50.0, "latency_ms_p95": 95.0}
TURN_METRICS = ("followup_accuracy",)
RATIO_OF_COUNTS = ("citation_integrity",)


@dataclass(frozen=True)
class BootstrapSpec:
    """How intervals are drawn: `resamples` draws of n questions with replacement, a fixed `seed`."""

    resamples: int = 1000
    seed: int = 0
    level: float = 0.95

    def __post_init__(self) -> None:
        if self.resamples < 1:
            raise ValueError(f"resamples must be >= 1, got {self.resamples}")
        if not 0.0 < self.level < 1.0:
            raise ValueError(f"level must be in (0, 1), got {self.level}")

    def describe(self) -> dict[str, object]:
        return {"method": "percentile", "resamples": self.resamples, "seed": self.seed, "level": self.level}

    def indices(self, n: int, stream: int) -> np.ndarray:
        """resamples x n question indices; `stream` keeps questions and turns independent."""
        rng = np.random.default_rng([self.seed, stream])
        return rng.integers(0, n, size=(self.resamples, n))


DEFAULT_BOOTSTRAP = BootstrapSpec()

Ratio = tuple[np.ndarray, np.ndarray]  # per-item numerator, per-item denominator


@dataclass
class MetricSamples:
    """Per-question (and per-turn) parts of every metric of one config."""

    questions: dict[str, Ratio] = field(default_factory=dict)
    turns: dict[str, Ratio] = field(default_factory=dict)
    latencies: np.ndarray = field(default_factory=lambda: np.zeros(0))

    @classmethod
    def of(
        cls,
        evaluator: QAEvaluator,
        outcomes: Sequence[QuestionOutcome],
        turns: Sequence[TurnOutcome] | None = None,
    ) -> MetricSamples:
        # A metric of one question is its part: None (does not apply) -> 0/0, a value v -> v/1.
        singles = [evaluator.compute([o]) for o in outcomes]
        skipped = set(LATENCY_PERCENTILES) | set(TURN_METRICS) | set(RATIO_OF_COUNTS)
        names = [name for name in (singles[0] if singles else {}) if name not in skipped]
        questions: dict[str, Ratio] = {}
        for name in names:
            values = [single[name] for single in singles]
            questions[name] = (
                np.array([v or 0.0 for v in values], dtype=float),
                np.array([v is not None for v in values], dtype=float),
            )
        answered = [o.answer is not None and o.abstained is not None for o in outcomes]
        questions["citation_integrity"] = (
            np.array([o.citations_exact if a else 0 for o, a in zip(outcomes, answered, strict=True)], float),
            np.array(
                [o.citations_checked if a else 0 for o, a in zip(outcomes, answered, strict=True)], float
            ),
        )
        correct = np.array([1.0 if t.correct else 0.0 for t in turns or []])
        latencies = np.array([o.latency_ms for o in outcomes if o.latency_ms is not None], dtype=float)
        return cls(questions, {"followup_accuracy": (correct, np.ones(len(correct)))}, latencies)

    @property
    def sizes(self) -> tuple[int, int, int]:
        """(questions, follow-up turns, latencies) sampled."""
        first = next(iter(self.questions.values()), (np.zeros(0),))[0]
        turns = next(iter(self.turns.values()), (np.zeros(0),))[0]
        return len(first), len(turns), len(self.latencies)

    def resampled(self, spec: BootstrapSpec) -> dict[str, np.ndarray]:
        """Metric name -> its value in each resample (NaN where it does not apply)."""
        stats: dict[str, np.ndarray] = {}
        for stream, parts in ((0, self.questions), (1, self.turns)):
            n = len(next(iter(parts.values()))[0]) if parts else 0
            if n == 0:
                continue
            drawn = spec.indices(n, stream)
            for name, (numerator, denominator) in parts.items():
                stats[name] = _ratio(numerator[drawn].sum(axis=1), denominator[drawn].sum(axis=1))
        if len(self.latencies):
            drawn = spec.indices(len(self.latencies), 2)
            for name, q in LATENCY_PERCENTILES.items():
                stats[name] = np.percentile(self.latencies[drawn], q, axis=1)
        return stats

    def point(self) -> dict[str, float | None]:
        """Every metric on the full sample (equal to `QAEvaluator.compute` up to float rounding)."""
        values: dict[str, float | None] = {}
        for parts in (self.questions, self.turns):
            for name, (numerator, denominator) in parts.items():
                total = float(denominator.sum())
                values[name] = float(numerator.sum()) / total if total else None
        for name, q in LATENCY_PERCENTILES.items():
            values[name] = float(np.percentile(self.latencies, q)) if len(self.latencies) else None
        return values


def _ratio(numerator: np.ndarray, denominator: np.ndarray) -> np.ndarray:
    with np.errstate(divide="ignore", invalid="ignore"):
        return np.where(denominator > 0, numerator / np.where(denominator > 0, denominator, 1.0), np.nan)


def _interval(stats: np.ndarray, spec: BootstrapSpec) -> list[float] | None:
    defined = stats[~np.isnan(stats)]
    if not len(defined):
        return None
    tail = (1.0 - spec.level) / 2.0 * 100.0
    low, high = np.percentile(defined, [tail, 100.0 - tail])
    return [round(float(low), 4), round(float(high), 4)]


def intervals(samples: MetricSamples, spec: BootstrapSpec) -> dict[str, list[float] | None]:
    """Metric name -> [low, high] percentile interval; None where the metric does not apply."""
    point = samples.point()
    return {
        name: _interval(stats, spec) if point.get(name) is not None else None
        for name, stats in samples.resampled(spec).items()
    }


def paired_deltas(
    first: MetricSamples, second: MetricSamples, spec: BootstrapSpec
) -> dict[str, dict[str, float | list[float] | None]]:
    """first - second for each metric both report, with the interval of the delta over shared resamples.

    Both must come from the same questions in the same order (two configs of one run); an interval
    that excludes 0 is a difference that beats resampling noise.
    """
    if first.sizes[0] != second.sizes[0]:
        raise ValueError(f"paired bootstrap needs the same questions: {first.sizes[0]} != {second.sizes[0]}")
    unpaired = set()  # a group one config did not run (follow-ups of a retrieval-only config)
    if first.sizes[1] != second.sizes[1]:
        unpaired |= set(TURN_METRICS)
    if first.sizes[2] != second.sizes[2]:
        unpaired |= set(LATENCY_PERCENTILES)
    point_first, point_second = first.point(), second.point()
    stats_first, stats_second = first.resampled(spec), second.resampled(spec)
    deltas: dict[str, dict[str, float | list[float] | None]] = {}
    for name, stats in stats_first.items():
        a, b = point_first.get(name), point_second.get(name)
        if a is None or b is None or name not in stats_second or name in unpaired:
            continue
        deltas[name] = {"delta": round(a - b, 4), "ci95": _interval(stats - stats_second[name], spec)}
    return deltas


def report_sections(samples: dict[str, MetricSamples], spec: BootstrapSpec) -> dict[str, object]:
    """The report's `bootstrap`, `ci95` (config -> metric -> [low, high]) and `paired_deltas` parts.

    Deltas are the first config minus each other one ("ours - bm25"), over the same resamples.
    """
    names = list(samples)
    paired = {
        f"{names[0]} - {other}": paired_deltas(samples[names[0]], samples[other], spec) for other in names[1:]
    }
    return {
        "bootstrap": spec.describe(),
        "ci95": {name: intervals(config_samples, spec) for name, config_samples in samples.items()},
        "paired_deltas": paired,
    }
