"""The benchmark report: headline keys with their targets, Markdown tables and the scaling plot.

Usage:
    report = summarize(meta, details)            # flat keys ("ask_p50_ms", ...) + "targets" + "details"
    write_outputs(report, json_path=Path("bench.json"), out_md=Path("docs/benchmarks.md"))
    print(markdown_report(report))

Every ratio compares two figures measured in the same run (see bench/run.py), never a stored one.
"""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

from bench.measure import ratio, target_check

# (key, target, at_most, what it means) — the targets the issue sets.
TARGETS: tuple[tuple[str, float, bool, str], ...] = (
    ("ingest_ratio_to_encode", 0.95, False, "ingest chunks/s ÷ fp32 encode-alone chunks/s"),
    (
        "onnx_ingest_ratio_to_fp32_encode",
        0.95,
        False,
        "ONNX fp32 ingest chunks/s ÷ torch fp32 encode-alone chunks/s",
    ),
    (
        "onnx_int8_ingest_ratio_to_fp32_encode",
        1.8,
        False,
        "ONNX int8 ingest chunks/s ÷ torch fp32 encode-alone chunks/s",
    ),
    ("ask_p50_ms", 60.0, True, "warm ask p50, whole scale corpus, in process"),
    ("ask_p95_ms", 150.0, True, "warm ask p95, whole scale corpus, in process"),
    ("ask_ratio_to_llamaindex", 1.5, True, "our ask p50 ÷ llama-index retrieval-only p50"),
    ("scaling_p50_ratio_4x", 1.5, True, "ask p50 on 4x the corpus ÷ on the corpus"),
    ("http_rps_16", 20.0, False, "/ask requests/s with 16 concurrent clients"),
    ("cold_start_s", 15.0, True, "`newsqa serve` process start -> /readyz 200"),
    ("peak_rss_mb", 2048.0, True, "server peak RSS (VmHWM) after the load test"),
)


def _get(data: dict[str, Any] | None, *path: str) -> Any:
    for key in path:
        if not isinstance(data, dict) or key not in data:
            return None
        data = data[key]
    return data


def summarize(meta: dict[str, Any], details: dict[str, Any]) -> dict[str, Any]:
    """Headline keys from the detailed results; a key is None when its part did not run."""
    flat = {
        **_ingest_keys(details.get("ingest", {})),
        **_ask_keys(_get(details, "query", "targets") or {}),
        **_http_keys(details.get("http", {})),
        "sizes": _sizes(details),
    }
    flat["targets"] = {
        key: {**target_check(flat.get(key), target, at_most=at_most), "meaning": meaning}
        for key, target, at_most, meaning in TARGETS
    }
    return {**meta, **flat, "details": details}


def _ingest_keys(ingest: dict[str, Any]) -> dict[str, Any]:
    """Ingest throughput, each ONNX backend against the torch fp32 encode-alone ceiling."""
    torch = ingest.get("torch", {})
    flat: dict[str, Any] = {}
    for backend in ("onnx", "onnx-int8"):
        run, key = ingest.get(backend, {}), backend.replace("-", "_")
        flat[f"{key}_ingest_chunks_per_s"] = run.get("chunks_per_s")
        flat[f"{key}_ingest_ratio_to_own_encode"] = run.get("ratio_to_encode")
        flat[f"{key}_ingest_ratio_to_fp32_encode"] = ratio(
            run.get("chunks_per_s"), torch.get("encode_chunks_per_s")
        )
    return flat | {
        "ingest_ratio_to_encode": torch.get("ratio_to_encode"),
        "ingest_articles_per_s": torch.get("articles_per_s"),
        "ingest_chunks_per_s": torch.get("chunks_per_s"),
        "ingest_tokens_per_s": torch.get("tokens_per_s"),
        "encode_chunks_per_s": torch.get("encode_chunks_per_s"),
    }


def _ask_keys(targets: dict[str, Any]) -> dict[str, Any]:
    """In-process ask latency on the scale index, against llama-index and the largest index."""
    scale = targets.get("scale", {})
    largest = next((targets[k] for k in targets if k.startswith("x")), {})
    llama = targets.get("llamaindex", {})
    return {
        "ask_p50_ms": _get(scale, "latency", "p50_ms"),
        "ask_p95_ms": _get(scale, "latency", "p95_ms"),
        "ask_p99_ms": _get(scale, "latency", "p99_ms"),
        "ask_stage_p50_ms": {s: v.get("p50_ms") for s, v in (scale.get("stages") or {}).items()},
        "llamaindex_p50_ms": _get(llama, "latency", "p50_ms"),
        "ask_ratio_to_llamaindex": ratio(_get(scale, "latency", "p50_ms"), _get(llama, "latency", "p50_ms")),
        "ask_p95_ratio_to_llamaindex": ratio(
            _get(scale, "latency", "p95_ms"), _get(llama, "latency", "p95_ms")
        ),
        "scaling_p50_ratio_4x": ratio(_get(largest, "latency", "p50_ms"), _get(scale, "latency", "p50_ms")),
        "scaling_p95_ratio_4x": ratio(_get(largest, "latency", "p95_ms"), _get(scale, "latency", "p95_ms")),
    }


def _http_keys(http: dict[str, Any]) -> dict[str, Any]:
    """The HTTP server on the scale index: one client's latency, errors, start-up, memory, load levels."""
    http_scale = http.get("scale", {})
    levels = http_scale.get("levels", {})
    flat = {
        "ask_http_p50_ms": _get(levels, "1", "latency", "p50_ms"),
        "ask_http_p95_ms": _get(levels, "1", "latency", "p95_ms"),
        "http_errors": sum(level.get("errors", 0) for s in http.values() for level in s["levels"].values())
        if http
        else None,
        "cold_start_s": http_scale.get("cold_start_s"),
        "peak_rss_mb": http_scale.get("peak_rss_mb"),
    }
    for clients, level in levels.items():
        flat[f"http_rps_{clients}"] = level.get("rps")
        flat[f"http_p50_ms_{clients}"] = _get(level, "latency", "p50_ms")
        flat[f"http_p95_ms_{clients}"] = _get(level, "latency", "p95_ms")
    for clients in (1, 4, 16):
        flat.setdefault(f"http_rps_{clients}", None)
    return flat


def _sizes(details: dict[str, Any]) -> dict[str, Any]:
    """How much each part measured: articles, chunks, questions, requests."""
    torch = details.get("ingest", {}).get("torch", {})
    indexes = details.get("indexes", {})
    requests = _get(details, "config", "http_requests")
    concurrency = _get(details, "config", "http_concurrency")
    return {
        "ingest_articles": torch.get("articles_in"),
        "ingest_chunks": torch.get("chunks"),
        "index_articles": {k: v.get("articles") for k, v in indexes.items()},
        "index_chunks": {k: v.get("chunks") for k, v in indexes.items()},
        "questions": _get(details, "query", "questions"),
        "http_requests_per_level": requests // max(1, len(concurrency or (1,))) if requests else None,
        "http_concurrency": list(concurrency or []),
    }


# -- Markdown ---------------------------------------------------------------------------------


def _fmt(value: Any, digits: int = 1) -> str:
    if value is None:
        return "—"
    if isinstance(value, bool):
        return "yes" if value else "no"
    if isinstance(value, float):
        return f"{value:,.{digits}f}"
    if isinstance(value, int):
        return f"{value:,}"
    return str(value)


def _table(headers: list[str], rows: list[list[Any]]) -> str:
    lines = ["| " + " | ".join(headers) + " |", "|" + "|".join("---" for _ in headers) + "|"]
    lines += ["| " + " | ".join(_fmt(c) if not isinstance(c, str) else c for c in row) + " |" for row in rows]
    return "\n".join(lines)


def targets_table(report: dict[str, Any]) -> str:
    rows = []
    for key, check in report["targets"].items():
        met = {True: "met", False: "**missed**", None: "not measured"}[check["met"]]
        digits = 3 if "ratio" in key else 1
        rows.append(
            [
                f"`{key}`",
                _fmt(check["value"], digits),
                f"{check['op']} {check['target']:g}",
                met,
                check["meaning"],
            ]
        )
    return _table(["figure", "measured", "target", "", "what"], rows)


def ingest_table(report: dict[str, Any]) -> str:
    rows = []
    runs = report["details"].get("ingest", {})
    fp32_ceiling = runs.get("torch", {}).get("encode_chunks_per_s")
    for backend, r in runs.items():
        rows.append(
            [
                backend,
                r.get("repeats", 1),
                r.get("batch_size", ""),
                r["articles_in"],
                r["chunks"],
                r["articles_per_s"],
                r["chunks_per_s"],
                r["tokens_per_s"],
                r["encode_chunks_per_s"],
                _fmt(r["ratio_to_encode"], 3),
                _fmt(ratio(r["chunks_per_s"], fp32_ceiling), 3),
            ]
        )
    return _table(
        [
            "backend",
            "rounds (best counts)",
            "batch",
            "articles",
            "chunks",
            "articles/s",
            "chunks/s",
            "tokens/s",
            "encode alone chunks/s",
            "ingest ÷ own encode",
            "ingest ÷ torch fp32 encode",
        ],
        rows,
    )


def query_table(report: dict[str, Any]) -> str:
    indexes = report["details"].get("indexes", {})
    rows = []
    for name, r in (report["details"].get("query", {}).get("targets") or {}).items():
        lat = r["latency"]
        info = indexes.get(name, {})
        rows.append(
            [
                name,
                info.get("articles", "—") if name != "llamaindex" else "scale corpus",
                info.get("chunks"),
                lat["n"],
                lat["p50_ms"],
                lat["p95_ms"],
                lat["p99_ms"],
                r["errors"],
            ]
        )
    return _table(["index", "articles", "chunks", "n", "p50 ms", "p95 ms", "p99 ms", "errors"], rows)


def stage_table(report: dict[str, Any]) -> str:
    targets = report["details"].get("query", {}).get("targets") or {}
    names = [n for n in targets if n != "llamaindex"]
    stages = list(dict.fromkeys(s for n in names for s in targets[n]["stages"]))
    rows = [[s] + [_get(targets[n], "stages", s, "p50_ms") for n in names] for s in stages]
    return _table(["stage (p50 ms)"] + names, rows)


def http_table(report: dict[str, Any]) -> str:
    rows = []
    for name, r in report["details"].get("http", {}).items():
        for clients, level in r["levels"].items():
            lat = level["latency"]
            rows.append(
                [
                    name,
                    clients,
                    level["requests"],
                    level["rps"],
                    lat["p50_ms"],
                    lat["p95_ms"],
                    lat["p99_ms"],
                    level["errors"],
                    r["cold_start_s"],
                    r["peak_rss_mb"],
                ]
            )
    return _table(
        [
            "index",
            "clients",
            "requests",
            "req/s",
            "p50 ms",
            "p95 ms",
            "p99 ms",
            "errors",
            "cold start s",
            "peak RSS MB",
        ],
        rows,
    )


def markdown_report(report: dict[str, Any], plot_name: str | None = None) -> str:
    machine = report["machine"]
    parts = [
        "# Benchmarks",
        "",
        "Generated by `bench/` — do not edit by hand. Every ratio compares two figures measured side by "
        "side in the same run, because these machines are noisy.",
        "",
        f"- command: `{report['command']}`" + (" (quick sizes)" if report["quick"] else ""),
        f"- machine: {machine['cores']} cores ({machine['usable_cores']} usable), {machine['cpu']}, "
        f"Python {machine['python']}, load average at start {machine['load_average_at_start']}",
        f"- started {report['started_at']}, took {report['duration_s']:.0f} s",
        f"- corpus: `{report['corpus']}`; questions: `{report['questions_file']}`",
        f"- sizes: `{json.dumps(report['sizes'])}`",
    ]
    parts += [f"- note: {n}" for n in report.get("notes", [])]
    parts += ["", "## Against the targets", "", targets_table(report)]
    parts += ["", "## Ingest throughput vs the embedding model alone", "", ingest_table(report)]
    if report["details"].get("query"):
        parts += [
            "",
            "## Warm `ask` latency in process (and llama-index retrieval only)",
            "",
            query_table(report),
        ]
        parts += ["", "### By stage", "", stage_table(report)]
    if plot_name:
        parts += ["", f"![ask latency by index size]({plot_name})"]
    if report["details"].get("http"):
        parts += ["", "## `/ask` over HTTP (loopback, `newsqa serve`)", "", http_table(report)]
    return "\n".join(parts) + "\n"


def plot_scaling(report: dict[str, Any], path: Path) -> bool:
    """p50/p95 ask latency against index size (chunks); False when fewer than two sizes ran."""
    targets = report["details"].get("query", {}).get("targets") or {}
    indexes = report["details"].get("indexes", {})
    points = sorted(
        (indexes[n]["chunks"], t["latency"]["p50_ms"], t["latency"]["p95_ms"], n)
        for n, t in targets.items()
        if n in indexes and t["latency"]["p50_ms"] is not None
    )
    if len(points) < 2:
        return False
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    figure, axes = plt.subplots(figsize=(6, 4), dpi=100)
    try:
        xs = [p[0] for p in points]
        axes.plot(xs, [p[1] for p in points], marker="o", label="p50")
        axes.plot(xs, [p[2] for p in points], marker="s", label="p95")
        for x, y, _, name in points:
            axes.annotate(name, (x, y), textcoords="offset points", xytext=(4, -12), fontsize=8)
        axes.set_xscale("log")
        axes.set_xlabel("chunks in the index")
        axes.set_ylabel("warm ask latency (ms)")
        axes.set_ylim(bottom=0)
        axes.grid(alpha=0.3)
        axes.legend(loc="upper left")
        axes.set_title("ask latency by index size (in process)")
        figure.tight_layout()
        figure.savefig(path, format="png")
    finally:
        plt.close(figure)
    return True


def write_outputs(report: dict[str, Any], *, json_path: Path | None, out_md: Path | None) -> None:
    """The JSON, the Markdown (with its PNG beside it), and the tables on stdout."""
    if json_path is not None:
        json_path.parent.mkdir(parents=True, exist_ok=True)
        json_path.write_text(json.dumps(report, indent=2, default=str) + "\n", encoding="utf-8")
    plot_name = None
    if out_md is not None:
        out_md.parent.mkdir(parents=True, exist_ok=True)
        plot = out_md.with_name(out_md.stem + "-scaling.png")
        if plot_scaling(report, plot):
            plot_name = plot.name
        out_md.write_text(markdown_report(report, plot_name), encoding="utf-8")
    print(markdown_report(report, plot_name))
