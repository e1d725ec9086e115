"""Eval outputs: report.json, a Markdown table, per-question JSONL, and the hits@k plot.

Usage:
    write_outputs(report, {"ours": records}, {"ours": turn_records}, out_dir=Path("out/eval"))
    print(markdown_table(report))
"""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

from eval.metrics import MAX_CONTAINS_WORDS

# (column header, metric key, kind): kind picks the number format.
TABLE_COLUMNS: tuple[tuple[str, str, str], ...] = (
    ("n", "questions", "int"),
    ("hits@1", "hits@1", "ratio"),
    ("hits@5", "hits@5", "ratio"),
    ("hits@10", "hits@10", "ratio"),
    ("MRR@10", "mrr@10", "ratio"),
    ("nDCG@10", "ndcg@10", "ratio"),
    ("R@10", "recall@10", "ratio"),
    ("ansR@10", "answer_recall@10", "ratio"),
    ("EM", "answer_em", "ratio"),
    ("F1", "answer_f1", "ratio"),
    ("contains", "answer_contains", "ratio"),
    ("contains, any length", "answer_contains_uncapped", "ratio"),
    ("cite support", "citation_support", "ratio"),
    ("cite exact", "citation_integrity", "ratio"),
    ("MC acc", "mc_accuracy", "ratio"),
    ("abstain P", "abstain_precision", "ratio"),
    ("abstain R", "abstain_recall", "ratio"),
    ("follow-up", "followup_accuracy", "ratio"),
    ("p50 ms", "latency_ms_p50", "ms"),
    ("p95 ms", "latency_ms_p95", "ms"),
)


def format_value(value: float | int | None, kind: str) -> str:
    if value is None:
        return "—"
    if kind == "int":
        return str(int(value))
    if kind == "ms":
        return f"{value:.0f}"
    return f"{value:.3f}"


def format_interval(interval: list[float] | None, kind: str) -> str:
    """ " [0.41, 0.55]" (" [27, 30]" for milliseconds); "" without an interval."""
    if not interval:
        return ""
    low, high = interval
    return f" [{low:.0f}, {high:.0f}]" if kind == "ms" else f" [{low:.2f}, {high:.2f}]"


def table_rows(report: dict[str, Any]) -> tuple[list[str], list[list[str]]]:
    """One row per config; a metric with a bootstrap interval reads "0.480 [0.41, 0.55]"."""
    headers = ["config"] + [header for header, _, _ in TABLE_COLUMNS]
    intervals = report.get("ci95") or {}
    rows = [
        [name]
        + [
            format_value(row.get(key), kind) + format_interval(intervals.get(name, {}).get(key), kind)
            for _, key, kind in TABLE_COLUMNS
        ]
        for name, row in report["configs"].items()
    ]
    return headers, rows


def paired_table(report: dict[str, Any]) -> str:
    """Deltas between the first config and each other one, with their 95% intervals ("" if none)."""
    paired = report.get("paired_deltas") or {}
    if not paired:
        return ""
    columns = [(header, key, kind) for header, key, kind in TABLE_COLUMNS if kind != "int"]
    lines = [
        "| delta | " + " | ".join(header for header, _, _ in columns) + " |",
        "|" + "|".join(["---"] + ["---:"] * len(columns)) + "|",
    ]
    for label, deltas in paired.items():
        cells = []
        for _, key, kind in columns:
            delta = deltas.get(key)
            if delta is None:
                cells.append("—")
                continue
            number = f"{delta['delta']:+.0f}" if kind == "ms" else f"{delta['delta']:+.3f}"
            cells.append(number + format_interval(delta.get("ci95"), kind))
        lines.append(f"| {label} | " + " | ".join(cells) + " |")
    return "\n".join(lines)


def markdown_table(report: dict[str, Any]) -> str:
    headers, rows = table_rows(report)
    lines = [
        "| " + " | ".join(headers) + " |",
        "|" + "|".join(["---"] + ["---:"] * (len(headers) - 1)) + "|",
    ]
    lines += ["| " + " | ".join(row) + " |" for row in rows]
    return "\n".join(lines)


def markdown_report(report: dict[str, Any]) -> str:
    run = report["run"]
    dataset = run["dataset"]
    index = run.get("index") or {}
    lines = [
        "# NewsQA eval report",
        "",
        f"- questions: `{dataset['questions']}` ({dataset['question_count']} asked)",
        f"- articles: `{dataset['articles']}` ({dataset['article_count']})",
    ]
    if dataset.get("conversations"):
        lines.append(f"- conversations: `{dataset['conversations']}` ({dataset['conversation_count']})")
    lines += [
        f"- index: `{index.get('path', '—')}` ({'reused' if index.get('reused') else 'built'})",
        f"- run at {run['timestamp']}, {run['durations']['total_seconds']:.1f} s",
        f"- command: `{run['command']}`",
        "",
        markdown_table(report),
        "",
        "Retrieval metrics are article-level over answerable questions; — means not applicable "
        "(no such questions, or a retrieval-only configuration).",
        "",
    ]
    bootstrap = report.get("bootstrap")
    if bootstrap:
        lines += [
            f"[low, high]: {bootstrap['level']:.0%} {bootstrap['method']} bootstrap interval over questions "
            f"({bootstrap['resamples']} resamples, seed {bootstrap['seed']}); `contains` counts answers of "
            f"at most {MAX_CONTAINS_WORDS} words, `contains, any length` any answer.",
            "",
        ]
    deltas = paired_table(report)
    if deltas:
        lines += ["Paired deltas (same questions, same resamples):", "", deltas, ""]
    return "\n".join(lines)


def plot_hits_at_k(report: dict[str, Any], path: Path) -> None:
    """hits@k for k = 1..10, one line per configuration."""
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    figure, axes = plt.subplots(figsize=(6, 4), dpi=100)
    try:
        for name, curve in report["hits_at_k"].items():
            points = [(k, v) for k, v in enumerate(curve, start=1) if v is not None]
            if points:
                axes.plot(*zip(*points, strict=True), marker="o", label=name)
        axes.set_xlabel("k (articles)")
        axes.set_ylabel("hits@k")
        axes.set_xticks(range(1, 11))
        axes.set_ylim(0, 1.02)
        axes.grid(alpha=0.3)
        axes.set_title("Answerable questions with a relevant article in the top k")
        if axes.lines:
            axes.legend(loc="lower right")
        figure.tight_layout()
        figure.savefig(path, format="png")
    finally:
        plt.close(figure)


def _write_jsonl(path: Path, records: list[dict[str, Any]]) -> None:
    with path.open("w", encoding="utf-8") as handle:
        for record in records:
            handle.write(json.dumps(record, ensure_ascii=False) + "\n")


def write_outputs(
    report: dict[str, Any],
    records: dict[str, list[dict[str, Any]]],
    turn_records: dict[str, list[dict[str, Any]]],
    *,
    out_dir: Path | None,
    json_path: Path | None = None,
) -> list[Path]:
    """Writes what is asked for; returns the paths written."""
    written: list[Path] = []
    report_json = json.dumps(report, indent=2, ensure_ascii=False)
    if out_dir is not None:
        out_dir.mkdir(parents=True, exist_ok=True)
        (out_dir / "report.json").write_text(report_json + "\n", encoding="utf-8")
        (out_dir / "report.md").write_text(markdown_report(report), encoding="utf-8")
        written += [out_dir / "report.json", out_dir / "report.md"]
        for name, items in records.items():
            _write_jsonl(out_dir / f"questions-{name}.jsonl", items)
            written.append(out_dir / f"questions-{name}.jsonl")
        for name, items in turn_records.items():
            if items:
                _write_jsonl(out_dir / f"conversations-{name}.jsonl", items)
                written.append(out_dir / f"conversations-{name}.jsonl")
        plot_hits_at_k(report, out_dir / "hits_at_k.png")
        written.append(out_dir / "hits_at_k.png")
    if json_path is not None:
        json_path.parent.mkdir(parents=True, exist_ok=True)
        json_path.write_text(report_json + "\n", encoding="utf-8")
        written.append(json_path)
    return written


def print_table(report: dict[str, Any]) -> None:
    """The comparison as a Markdown table on stdout: readable in any terminal width, pasteable in docs."""
    print(markdown_table(report))
    deltas = paired_table(report)
    if deltas:
        print()
        print(deltas)
