"""bench.measure and bench.report: summaries, ratios, headline keys, the written files."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import pytest

from bench.measure import latency_summary, peak_rss_mb, ratio, target_check
from bench.report import markdown_report, summarize, write_outputs

REQUIRED_KEYS = (
    "ingest_ratio_to_encode",
    "ingest_chunks_per_s",
    "ask_p50_ms",
    "ask_p95_ms",
    "ask_ratio_to_llamaindex",
    "scaling_p50_ratio_4x",
    "http_rps_16",
    "cold_start_s",
    "peak_rss_mb",
    "sizes",
)


class TestMeasure:
    def test_latency_summary_percentiles(self) -> None:
        summary = latency_summary([float(v) for v in range(1, 101)])
        assert summary["n"] == 100
        assert summary["p50_ms"] == pytest.approx(50.5)
        assert summary["p95_ms"] == pytest.approx(95.05)
        assert summary["max_ms"] == 100.0

    def test_latency_summary_empty(self) -> None:
        assert latency_summary([])["p50_ms"] is None

    def test_ratio(self) -> None:
        assert ratio(30.0, 20.0) == 1.5
        assert ratio(None, 2.0) is None
        assert ratio(1.0, 0.0) is None

    def test_target_check(self) -> None:
        assert target_check(50.0, 60.0, at_most=True)["met"] is True
        assert target_check(0.9, 0.95, at_most=False)["met"] is False
        assert target_check(None, 1.0, at_most=True)["met"] is None

    def test_peak_rss_of_this_process(self) -> None:
        import os

        value = peak_rss_mb(os.getpid())
        assert value is None or value > 1.0


def _lat(p50: float, p95: float) -> dict[str, Any]:
    return {"n": 10, "p50_ms": p50, "p95_ms": p95, "p99_ms": p95, "mean_ms": p50, "max_ms": p95}


def _details() -> dict[str, Any]:
    level = {"requests": 10, "rps": 25.0, "latency": _lat(40.0, 80.0), "errors": 1, "status_codes": {}}
    return {
        "config": {"http_requests": 30, "http_concurrency": (1, 4, 16)},
        "ingest": {
            "torch": {
                "articles_in": 5,
                "chunks": 50,
                "articles_per_s": 1.0,
                "chunks_per_s": 19.0,
                "tokens_per_s": 3000.0,
                "encode_chunks_per_s": 20.0,
                "ratio_to_encode": 0.95,
            },
            "onnx-int8": {
                "articles_in": 5,
                "chunks": 50,
                "articles_per_s": 2.0,
                "chunks_per_s": 40.0,
                "tokens_per_s": 6000.0,
                "encode_chunks_per_s": 42.0,
                "ratio_to_encode": 0.952,
            },
        },
        "indexes": {
            "small": {"articles": 5, "chunks": 50},
            "scale": {"articles": 10, "chunks": 100},
            "x4": {"articles": 40, "chunks": 400},
        },
        "query": {
            "questions": 10,
            "targets": {
                "scale": {
                    "latency": _lat(50.0, 100.0),
                    "stages": {"dense_search": _lat(5.0, 9.0)},
                    "errors": 0,
                    "abstained": 1,
                },
                "small": {"latency": _lat(45.0, 90.0), "stages": {}, "errors": 0, "abstained": 0},
                "x4": {"latency": _lat(60.0, 130.0), "stages": {}, "errors": 0, "abstained": 0},
                "llamaindex": {"latency": _lat(25.0, 40.0), "stages": {}, "errors": 0, "abstained": 0},
            },
        },
        "http": {
            "scale": {
                "cold_start_s": 9.5,
                "peak_rss_mb": 900.0,
                "rss_at_ready_mb": 800.0,
                "command": "newsqa serve",
                "levels": {"1": level, "4": level, "16": level},
            }
        },
    }


def _meta() -> dict[str, Any]:
    return {
        "quick": True,
        "command": "newsqa bench --quick",
        "started_at": "2026-01-01T00:00:00+00:00",
        "duration_s": 12.0,
        "corpus": "c.jsonl.gz",
        "questions_file": "q.jsonl",
        "notes": [],
        "machine": {
            "cores": 2,
            "usable_cores": 2,
            "cpu": "x",
            "python": "3.11",
            "load_average_at_start": [1.0],
        },
    }


class TestSummarize:
    def test_required_keys(self) -> None:
        report = summarize(_meta(), _details())
        missing = [k for k in REQUIRED_KEYS if k not in report]
        assert not missing

    def test_ratios_are_computed_from_the_same_run(self) -> None:
        report = summarize(_meta(), _details())
        assert report["ask_ratio_to_llamaindex"] == 2.0  # 50 / 25
        assert report["scaling_p50_ratio_4x"] == 1.2  # 60 / 50
        assert report["onnx_int8_ingest_ratio_to_fp32_encode"] == 2.0  # 40 / 20
        assert report["onnx_int8_ingest_ratio_to_own_encode"] == 0.952
        assert report["onnx_ingest_ratio_to_fp32_encode"] is None  # not run
        assert report["ingest_ratio_to_encode"] == 0.95
        assert report["http_rps_16"] == 25.0
        assert report["http_errors"] == 3

    def test_targets_and_sizes(self) -> None:
        report = summarize(_meta(), _details())
        assert report["targets"]["ask_p50_ms"]["met"] is True
        assert report["targets"]["ask_ratio_to_llamaindex"]["met"] is False
        assert report["sizes"]["index_articles"] == {"small": 5, "scale": 10, "x4": 40}
        assert report["sizes"]["http_requests_per_level"] == 10

    def test_missing_parts_give_none(self) -> None:
        report = summarize(_meta(), {"config": {}, "ingest": {}, "indexes": {}, "query": {}, "http": {}})
        assert report["ask_p50_ms"] is None
        assert report["http_rps_16"] is None
        assert report["targets"]["cold_start_s"]["met"] is None


class TestWriteOutputs:
    def test_writes_json_markdown_and_plot(self, tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
        report = summarize(_meta(), _details())
        out_md = tmp_path / "docs" / "benchmarks.md"
        write_outputs(report, json_path=tmp_path / "bench.json", out_md=out_md)
        assert json.loads((tmp_path / "bench.json").read_text())["ask_p50_ms"] == 50.0
        text = out_md.read_text()
        assert "newsqa bench --quick" in text and "2 cores" in text
        assert "benchmarks-scaling.png" in text
        assert (tmp_path / "docs" / "benchmarks-scaling.png").stat().st_size > 1000
        assert "## Against the targets" in capsys.readouterr().out

    def test_markdown_marks_missed_targets(self) -> None:
        text = markdown_report(summarize(_meta(), _details()))
        assert "**missed**" in text
