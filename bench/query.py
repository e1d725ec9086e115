"""Warm `ask` latency, in process, for several indexes and the plain llama-index pipeline, interleaved.

Usage:
    bench = QueryBenchmark(embedder, SpacyParser.load().nlp, progress=Progress())
    answerer = bench.answerer(index_settings(settings, work / "idx-4886"))
    results = bench.run({"4886": answerer.ask, "llamaindex": baseline.ask}, questions, warmup=3)
    results["4886"]["latency"]["p50_ms"], results["4886"]["stages"]["dense_search"]["p50_ms"]

Each question goes to every target in turn (the starting target rotating), so machine noise lands
on all of them alike and their ratios stay meaningful. Latency is the wall time around the call;
the per-stage split comes from `Answer.timings_ms`. Every answerer gets its own `SpacyParser` (its
own parse cache) over one loaded spaCy pipeline, and warm-up uses questions outside the measured
set, so no target is served from parses another target or the warm-up made.
"""

from __future__ import annotations

import time
from collections.abc import Callable, Sequence
from typing import Any

from bench.corpus import WARM_UP_QUESTIONS, BenchQuestion
from bench.measure import Progress, latency_summary
from newsqa.errors import NewsQAError
from newsqa.settings import Settings
from newsqa.types import Answer

AskFn = Callable[..., Answer]
# Report name -> key in Answer.timings_ms (qa.service: "retrieve_<stage>" from the search pipeline).
STAGES: dict[str, str] = {
    "embed_query": "retrieve_embed",
    "dense_search": "retrieve_dense",
    "lexical_search": "retrieve_lexical",
    "fusion": "retrieve_fusion",
    "rerank": "retrieve_rerank",
    "answer_extraction": "answer",
    "retrieve": "retrieve",
    "total": "total",
}


class QueryBenchmark:
    """Times `ask` callables on the same questions, round-robin."""

    def __init__(self, embedder: Any, spacy_nlp: Any, progress: Progress | None = None) -> None:
        self.embedder = embedder
        self.spacy_nlp = spacy_nlp
        self.progress = progress or Progress(enabled=False)

    def answerer(self, isettings: Settings) -> Any:
        """The product's Answerer over the index of `isettings`, on the shared model and spaCy pipeline."""
        from index.pipeline import build_store
        from qa import build
        from qa.text.nlp import SpacyParser

        isettings = isettings.model_copy(update={"answer_cache_size": 0})  # time the work, not the cache
        store = build_store(isettings, self.embedder)
        parser = SpacyParser(self.spacy_nlp)
        return build.build_answerer(isettings, embedder=self.embedder, store=store, nlp=parser)

    def run(
        self, targets: dict[str, AskFn], questions: Sequence[BenchQuestion], *, warmup: int = 3
    ) -> dict[str, dict[str, Any]]:
        names = list(targets)
        for i in range(warmup):
            for name in names:
                _call(targets[name], WARM_UP_QUESTIONS[i % len(WARM_UP_QUESTIONS)])
        walls: dict[str, list[float]] = {n: [] for n in names}
        stages: dict[str, dict[str, list[float]]] = {n: {s: [] for s in STAGES} for n in names}
        errors = dict.fromkeys(names, 0)
        abstained = dict.fromkeys(names, 0)
        step = max(1, len(questions) // 5)
        for i, q in enumerate(questions):
            for j in range(len(names)):
                name = names[(i + j) % len(names)]
                started = time.perf_counter()
                answer = _call(targets[name], q)
                wall_ms = (time.perf_counter() - started) * 1000.0
                if answer is None:
                    errors[name] += 1
                    continue
                walls[name].append(wall_ms)
                abstained[name] += int(answer.abstained)
                for stage, key in STAGES.items():
                    if key in answer.timings_ms:
                        stages[name][stage].append(float(answer.timings_ms[key]))
            if (i + 1) % step == 0 or i + 1 == len(questions):
                self.progress.say(f"ask: {i + 1}/{len(questions)} questions x {len(names)} targets")
        return {
            name: {
                "latency": latency_summary(walls[name]),
                "stages": {s: latency_summary(v) for s, v in stages[name].items() if v},
                "errors": errors[name],
                "abstained": abstained[name],
            }
            for name in names
        }


def _call(ask: AskFn, q: BenchQuestion) -> Answer | None:
    try:
        return ask(q.question, as_of=q.asked_at)
    except NewsQAError:
        return None
