"""Per-question records of two eval runs compared: which answers a change moved.

Usage:
    python -m eval.compare_runs BEFORE_DIR AFTER_DIR
    # BEFORE_DIR/<set>/ and AFTER_DIR/<set>/ hold the `--out` folders of `newsqa eval` (its
    # questions-*.jsonl and conversations-*.jsonl) or of `python -m eval.assistant` (report.json)

It prints, per set and file, how many records differ (timings ignored) with the first few changed
fields, and the total; a refactor that must not change answers should print `TOTAL differing records: 0`.

    python -m eval.compare_runs BEFORE_DIR AFTER_DIR --paired
    # per set, each answer metric before and after, and after - before with its paired 95% bootstrap
    # interval over the same questions (`eval.bootstrap`): the test of a change to answering
"""

from __future__ import annotations

import argparse
import json
from pathlib import Path
from typing import Any

import numpy as np

from eval.bootstrap import DEFAULT_BOOTSTRAP, MetricSamples, paired_deltas

# Fields that differ between any two runs of the same code.
TIMING_FIELDS = frozenset({"latency_ms", "timings_ms", "run_seconds", "seconds"})


def without_timings(value: Any) -> Any:
    if isinstance(value, dict):
        return {k: without_timings(v) for k, v in value.items() if k not in TIMING_FIELDS}
    if isinstance(value, list):
        return [without_timings(v) for v in value]
    return value


def run_records(folder: Path) -> dict[str, list[Any]]:
    """{file name: records} of one set's run folder."""
    out = {str(f.relative_to(folder)): [without_timings(json.loads(line)) for line in f.open()]
           for f in sorted(folder.rglob("*.jsonl"))}  # fmt: skip
    report = folder / "report.json"
    if report.exists():
        out["report.json:records"] = without_timings(json.loads(report.read_text()).get("records", []))
    return out


def differing(before: list[Any], after: list[Any]) -> list[int]:
    """Positions whose records differ (a record missing on one side differs)."""
    n = max(len(before), len(after))
    return [i for i in range(n) if i >= len(before) or i >= len(after) or before[i] != after[i]]


def changed_fields(before: dict[str, Any] | None, after: dict[str, Any] | None) -> list[str]:
    a, b = before or {}, after or {}
    return sorted(k for k in set(a) | set(b) if a.get(k) != b.get(k))


def compare(before_dir: Path, after_dir: Path, shown: int = 3) -> tuple[int, list[str]]:
    """(total differing records, report lines) over the sets both folders hold."""
    total, lines = 0, []
    for name in sorted(p.name for p in before_dir.iterdir() if p.is_dir()):
        if not (after_dir / name).is_dir():
            lines.append(f"{name}: missing in {after_dir}")
            continue
        before, after = run_records(before_dir / name), run_records(after_dir / name)
        for file in sorted(set(before) | set(after)):
            a, b = before.get(file, []), after.get(file, [])
            diff = differing(a, b)
            total += len(diff)
            lines.append(f"{name}/{file}: {len(a)} vs {len(b)} records, {len(diff)} differ")
            for i in diff[:shown]:
                x, y = (a[i] if i < len(a) else None), (b[i] if i < len(b) else None)
                lines.append(f"   #{i}: {', '.join(changed_fields(x, y))}")
    lines.append(f"TOTAL differing records: {total}")
    return total, lines


def record_samples(records: list[dict[str, Any]]) -> MetricSamples:
    """Per-question parts of each metric of `newsqa eval` records: every `correct` entry over the
    answerable questions it applies to (None: it does not), abstention precision and recall, and with
    choices the share of wrong options given and of unanswerable questions given none."""
    names = [name for name in (records[0]["correct"] if records else {}) if name != "abstention"]
    questions = {
        name: (
            np.array([float(bool(r["answerable"] and r["correct"][name])) for r in records]),
            np.array([float(bool(r["answerable"]) and r["correct"][name] is not None) for r in records]),
        )
        for name in names
    }
    withheld_right = np.array([float(r["abstained"] and not r["answerable"]) for r in records])
    questions["abstain_precision"] = (withheld_right, np.array([float(r["abstained"]) for r in records]))
    questions["abstain_recall"] = (withheld_right, np.array([float(not r["answerable"]) for r in records]))
    # With choices: a wrong option given (answerable questions), and no option given (unanswerable).
    asked = [r["correct"].get("choice") is not None for r in records]
    given = [r.get("choice") is not None for r in records]
    questions["choice_wrong"] = (
        np.array(
            [
                float(r["answerable"] and a and g and not r["correct"]["choice"])
                for r, a, g in zip(records, asked, given, strict=True)
            ]
        ),
        np.array([float(r["answerable"] and a) for r, a in zip(records, asked, strict=True)]),
    )
    questions["choice_withheld_unanswerable"] = (
        np.array(
            [
                float(not r["answerable"] and a and not g)
                for r, a, g in zip(records, asked, given, strict=True)
            ]
        ),
        np.array([float(not r["answerable"] and a) for r, a in zip(records, asked, strict=True)]),
    )
    return MetricSamples(questions)


def paired_report(before_dir: Path, after_dir: Path) -> list[str]:
    """Markdown rows per set: metric, before, after, after - before [95% interval]."""
    lines = []
    for name in sorted(p.name for p in before_dir.iterdir() if p.is_dir() and (after_dir / p.name).is_dir()):
        for file in sorted(f.name for f in (before_dir / name).glob("questions-*.jsonl")):
            before = [json.loads(line) for line in (before_dir / name / file).open()]
            after = [json.loads(line) for line in (after_dir / name / file).open()]
            if [r["id"] for r in before] != [r["id"] for r in after]:
                lines.append(f"{name}/{file}: the runs asked other questions; not paired")
                continue
            a, b = record_samples(before), record_samples(after)
            deltas = paired_deltas(b, a, DEFAULT_BOOTSTRAP)
            lines += [
                f"{name}/{file} (n={len(before)})",
                "| metric | before | after | after - before [95%] |",
            ]
            lines.append("|---|---:|---:|---:|")
            for metric, (pa, pb) in ((m, (a.point()[m], b.point()[m])) for m in deltas):
                ci = deltas[metric]["ci95"]
                lines.append(f"| {metric} | {pa:.3f} | {pb:.3f} | {deltas[metric]['delta']:+.3f} {ci} |")
    return lines


def main(argv: list[str] | None = None) -> None:
    parser = argparse.ArgumentParser(prog="python -m eval.compare_runs", description=__doc__.split("\n")[0])
    parser.add_argument("before", type=Path)
    parser.add_argument("after", type=Path)
    parser.add_argument(
        "--paired", action="store_true", help="Metric deltas with paired bootstrap intervals."
    )
    args = parser.parse_args(argv)
    if args.paired:
        print("\n".join(paired_report(args.before, args.after)))
    else:
        print("\n".join(compare(args.before, args.after)[1]))


if __name__ == "__main__":
    main()
