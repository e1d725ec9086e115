"""Paired bootstrap between two eval runs of one config on the same questions (e.g. two weight files).

Usage:
    python -m eval.compare_runs out/learned/questions-ours.jsonl out/hand/questions-ours.jsonl \
        --json out/learned-vs-hand.json
    compare_records(first_records, second_records)["paired"]["hits@1"]   # {"delta": .., "ci95": [..]}

`newsqa eval --compare` pairs configs of one run; a setting that changes "ours" itself (the reranker's
weights) needs two runs. Each run's questions-<config>.jsonl records are turned back into outcomes
(questions matched by id) and bootstrapped with the same resamples (eval/bootstrap.py). Metrics that
need passage texts (answer_recall@10) or latencies are not in the records and not compared.
"""

from __future__ import annotations

import argparse
import json
from collections.abc import Sequence
from pathlib import Path
from typing import Any

from eval.bootstrap import DEFAULT_BOOTSTRAP, BootstrapSpec, MetricSamples, intervals, paired_deltas
from eval.metrics import QAEvaluator, QuestionOutcome

COMPARED = (
    "hits@1",
    "hits@10",
    "mrr@10",
    "answer_em",
    "answer_contains",
    "mc_accuracy",
    "abstain_precision",
    "abstain_recall",
)


def outcome_of(record: dict[str, Any]) -> QuestionOutcome:
    """The `QuestionOutcome` a questions-<config>.jsonl record was written from (no texts, no latency)."""
    return QuestionOutcome(
        question_id=record["id"],
        answers=list(record["gold"]),
        relevant_article_ids=list(record["relevant_article_ids"]),
        answerable=bool(record["answerable"]),
        retrieved_article_ids=[r["article_id"] for r in record["retrieved"]],
        retrieved_texts=[],
        answer=record.get("answer"),
        abstained=record.get("abstained"),
        cited_quotes=list(record.get("cited_quotes") or []),
        choice_correct=(record.get("correct") or {}).get("choice"),
    )


def compare_records(
    first: Sequence[dict[str, Any]], second: Sequence[dict[str, Any]], spec: BootstrapSpec = DEFAULT_BOOTSTRAP
) -> dict[str, Any]:
    """Point values and 95% intervals of both runs, and first - second paired, over shared question ids."""
    by_id = {r["id"]: r for r in second}
    shared = [r for r in first if r["id"] in by_id]
    if not shared or len(shared) != len(first) or len(shared) != len(second):
        raise ValueError(f"the runs differ in questions: {len(first)}, {len(second)}, {len(shared)} shared")
    evaluator = QAEvaluator(k_values=(1, 5, 10), cutoff=10)
    samples = [
        MetricSamples.of(evaluator, [outcome_of(r) for r in shared]),
        MetricSamples.of(evaluator, [outcome_of(by_id[r["id"]]) for r in shared]),
    ]
    points = [s.point() for s in samples]
    cis = [intervals(s, spec) for s in samples]
    paired = paired_deltas(samples[0], samples[1], spec)
    return {
        "questions": len(shared),
        "bootstrap": spec.describe(),
        "first": {m: {"value": points[0].get(m), "ci95": cis[0].get(m)} for m in COMPARED},
        "second": {m: {"value": points[1].get(m), "ci95": cis[1].get(m)} for m in COMPARED},
        "paired": {m: paired.get(m) for m in COMPARED},
    }


def _read(path: Path) -> list[dict[str, Any]]:
    return [json.loads(line) for line in path.read_text(encoding="utf-8").splitlines() if line.strip()]


def _row(name: str, comparison: dict[str, Any]) -> str:
    def cell(part: dict[str, Any]) -> str:
        value, ci = part["value"], part["ci95"]
        return "n/a" if value is None else f"{value:.3f} [{ci[0]:.2f}, {ci[1]:.2f}]"

    delta = comparison["paired"][name]
    shown = (
        "n/a"
        if delta is None
        else f"{delta['delta']:+.3f} [{delta['ci95'][0]:+.3f}, {delta['ci95'][1]:+.3f}]"
    )
    return f"| {name} | {cell(comparison['first'][name])} | {cell(comparison['second'][name])} | {shown} |"


def main(argv: Sequence[str] | None = None) -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("first", type=Path, help="questions-<config>.jsonl of the first run")
    parser.add_argument("second", type=Path, help="questions-<config>.jsonl of the second run")
    parser.add_argument("--json", type=Path, help="write the comparison here")
    parser.add_argument("--resamples", type=int, default=DEFAULT_BOOTSTRAP.resamples)
    parser.add_argument("--seed", type=int, default=DEFAULT_BOOTSTRAP.seed)
    args = parser.parse_args(argv)
    spec = BootstrapSpec(resamples=args.resamples, seed=args.seed)
    comparison = compare_records(_read(args.first), _read(args.second), spec)
    comparison["runs"] = [str(args.first), str(args.second)]
    if args.json:
        args.json.parent.mkdir(parents=True, exist_ok=True)
        args.json.write_text(json.dumps(comparison, indent=2) + "\n", encoding="utf-8")
    print("| metric | first | second | first - second (paired) |\n|---|---:|---:|---:|")
    for name in COMPARED:
        print(_row(name, comparison))


if __name__ == "__main__":
    main()
