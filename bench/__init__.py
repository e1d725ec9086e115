"""Benchmarks of issue 6: ingest throughput, ask latency and scaling, llama-index, HTTP load.

    from bench import run_bench
    report = run_bench(settings, quick=True, json_path=None, out_md=Path("docs/benchmarks.md"), scale_corpus=None)

May import qa, index, eval and the kernel; nothing imports bench except the CLI.
"""

from __future__ import annotations

from typing import Any


def run_bench(*args: Any, **kwargs: Any) -> dict[str, Any]:
    """See bench.run.run_bench; imported lazily so `import bench` stays light."""
    from bench.run import run_bench as run

    return run(*args, **kwargs)


__all__ = ["run_bench"]
