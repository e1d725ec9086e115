"""Small measuring helpers shared by the benchmarks: latency summaries, ratios, RSS, the machine.

Usage:
    summary = latency_summary([12.0, 15.5, 40.1])     # {"n": 3, "p50_ms": 15.5, "p95_ms": ..., ...}
    ratio(our_p50, their_p50)                          # rounded, None when either side is missing
    peak_rss_mb(pid)                                   # VmHWM of a running process, in MiB
    machine_info()                                     # cores, CPU model, python, platform
"""

from __future__ import annotations

import os
import platform
import sys
import time
from collections.abc import Sequence
from pathlib import Path
from typing import Any

from eval.metrics import percentile


def latency_summary(values_ms: Sequence[float]) -> dict[str, Any]:
    """n, p50/p95/p99, mean and max of latencies in milliseconds (None when there are none)."""
    values = [float(v) for v in values_ms]

    def pct(q: float) -> float | None:
        found = percentile(values, q)
        return None if found is None else round(found, 2)

    return {
        "n": len(values),
        "p50_ms": pct(50),
        "p95_ms": pct(95),
        "p99_ms": pct(99),
        "mean_ms": round(sum(values) / len(values), 2) if values else None,
        "max_ms": round(max(values), 2) if values else None,
    }


def ratio(numerator: float | None, denominator: float | None, digits: int = 3) -> float | None:
    """numerator / denominator, rounded; None when either is missing or the denominator is not > 0."""
    if numerator is None or denominator is None or denominator <= 0:
        return None
    return round(float(numerator) / float(denominator), digits)


def per_second(count: float, seconds: float) -> float | None:
    return None if seconds <= 0 else round(count / seconds, 2)


def target_check(value: float | None, target: float, *, at_most: bool) -> dict[str, Any]:
    """{"value", "target", "op", "met"}: met is None when the value was not measured."""
    met = None if value is None else (value <= target if at_most else value >= target)
    return {"value": value, "target": target, "op": "<=" if at_most else ">=", "met": met}


def _proc_status_kb(pid: int, field: str) -> int | None:
    try:
        text = Path(f"/proc/{pid}/status").read_text(encoding="ascii")
    except OSError:
        return None
    for line in text.splitlines():
        if line.startswith(field + ":"):
            return int(line.split()[1])
    return None


def peak_rss_mb(pid: int) -> float | None:
    """Peak resident set size (VmHWM) of a live process, MiB; psutil's current RSS where /proc lacks it."""
    kb = _proc_status_kb(pid, "VmHWM")
    if kb is not None:
        return round(kb / 1024.0, 1)
    try:
        import psutil  # optional: not a dependency
    except ImportError:
        return None
    try:
        return round(psutil.Process(pid).memory_info().rss / 2**20, 1)
    except psutil.Error:
        return None


def rss_mb(pid: int) -> float | None:
    kb = _proc_status_kb(pid, "VmRSS")
    return None if kb is None else round(kb / 1024.0, 1)


def machine_info() -> dict[str, Any]:
    cpu = platform.processor() or ""
    try:
        for line in Path("/proc/cpuinfo").read_text(encoding="utf-8", errors="replace").splitlines():
            if line.startswith("model name"):
                cpu = line.split(":", 1)[1].strip()
                break
    except OSError:
        pass
    try:
        usable = len(os.sched_getaffinity(0))
    except AttributeError:
        usable = os.cpu_count() or 0
    try:
        load = [round(x, 2) for x in os.getloadavg()]
    except OSError:
        load = []
    return {
        "cores": os.cpu_count(),
        "usable_cores": usable,
        "cpu": cpu,
        "python": sys.version.split()[0],
        "platform": platform.platform(),
        "load_average_at_start": load,
    }


class Progress:
    """Prints stage headers and progress lines with the elapsed time since the run began."""

    def __init__(self, enabled: bool = True, stream: Any = None) -> None:
        self.enabled = enabled
        self.stream = stream if stream is not None else sys.stderr
        self.started = time.perf_counter()

    def elapsed_s(self) -> float:
        return time.perf_counter() - self.started

    def say(self, message: str) -> None:
        if self.enabled:
            print(f"[bench {self.elapsed_s():7.1f}s] {message}", file=self.stream, flush=True)
