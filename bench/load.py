"""The serving load test: a real `newsqa serve` on loopback, N concurrent clients POSTing /ask.

Usage:
    python -m bench.load --data-dir .newsqa --concurrency 8 --requests 2000 --json docs/results/load.json

Builds the demo index in the data dir first when it is empty; the questions are the quick CI
gate's (eval/datasets/gate), which the demo corpus answers. Bounded in count, loopback only.
"""

from __future__ import annotations

import argparse
import json
import os
import platform
from pathlib import Path

from bench.corpus import read_questions
from bench.http import LoadGenerator, ServerProcess
from newsqa.settings import Settings

REPO = Path(__file__).resolve().parent.parent
GATE_QUESTIONS = REPO / "eval" / "datasets" / "gate" / "questions.jsonl"
DEMO = REPO / "data" / "demo"


def run_load_test(settings: Settings, *, concurrency: int, requests: int) -> dict[str, object]:
    from index.pipeline import build_ingestor

    ingestor = build_ingestor(settings)
    if not ingestor.store.stats().get("articles"):
        ingestor.ingest([str(DEMO)])
    articles = ingestor.store.stats().get("articles")
    del ingestor
    questions = read_questions(GATE_QUESTIONS, limit=1000)
    with ServerProcess(settings, log_path=settings.data_dir / "bench" / "load-server.log") as server:
        generator = LoadGenerator(server.base_url, questions)
        generator.warm_up(5)
        result = generator.run(concurrency, requests)
        result["peak_rss_mb"] = server.peak_rss_mb()
        result["cold_start_s"] = server.cold_start_s
    result.update(
        {
            "articles": articles,
            "questions": len(questions),
            "cores": os.cpu_count(),
            "machine": platform.machine(),
            "embedding_backend": settings.embedding_backend,
        }
    )
    return result


def main(argv: list[str] | None = None) -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--data-dir", type=Path, default=Path(".newsqa"))
    parser.add_argument("--concurrency", type=int, default=8)
    parser.add_argument("--requests", type=int, default=2000)
    parser.add_argument("--json", type=Path, default=None)
    args = parser.parse_args(argv)
    result = run_load_test(
        Settings(data_dir=args.data_dir), concurrency=args.concurrency, requests=args.requests
    )
    text = json.dumps(result, indent=2)
    print(text)
    if args.json:
        args.json.parent.mkdir(parents=True, exist_ok=True)
        args.json.write_text(text + "\n")


if __name__ == "__main__":
    main()
