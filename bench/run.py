"""`run_bench`: ingest, query, llama-index and HTTP benchmarks in one run, written as JSON + Markdown.

Usage:
    report = run_bench(Settings(), quick=True, json_path=Path("bench.json"),
                       out_md=Path("docs/benchmarks.md"), scale_corpus=None)
    report["ask_p50_ms"], report["ingest_ratio_to_encode"], report["http_rps_16"]

    python -m bench.run --quick --articles 50 --questions 30 --http-requests 60   # sizes by hand

Order: (1) ingest vs encode on the first `ingest_articles` articles, per backend; that index is the
small one; (2) the scale index (the whole corpus) and the 4x one (the corpus again under new ids,
reprint detection off), re-using the embedding cache; (3) warm `ask` on every index and plain
llama-index on the scale corpus, interleaved; (4) `newsqa serve` per index: cold start, /ask latency,
and on the scale index the load levels. Work dirs live in <data_dir>/bench/.
"""

from __future__ import annotations

import argparse
import datetime as dt
import gc
import hashlib
import json
import shlex
import sys
from pathlib import Path
from typing import Any

from bench.corpus import (
    DEV_ARTICLES,
    DEV_QUESTIONS,
    SCALE_CORPUS,
    BenchConfig,
    BenchQuestion,
    read_questions,
    read_raw_articles,
    renamed_copies,
    to_articles,
)
from bench.http import LoadGenerator, ServerProcess
from bench.indexes import build_index, index_settings, settings_fingerprint
from bench.ingest import IngestBenchmark, copy_cached_vectors
from bench.measure import Progress, machine_info
from bench.query import QueryBenchmark
from bench.report import summarize, write_outputs
from newsqa.errors import InvalidInput
from newsqa.settings import Settings
from newsqa.types import Article

LLAMAINDEX = "llamaindex"


def run_bench(
    settings: Settings,
    *,
    quick: bool,
    json_path: Path | None,
    out_md: Path | None,
    scale_corpus: Path | None,
    config: BenchConfig | None = None,
    command: str | None = None,
    progress: bool = True,
) -> dict[str, Any]:
    """Run every benchmark; returns the report (flat headline keys + `details`) and writes the files."""
    config = config or BenchConfig.preset(quick)
    config.check()
    if settings.embedding_backend not in config.backends:
        raise InvalidInput(f"embedding backend {settings.embedding_backend!r} is not among {config.backends}")
    say = Progress(progress)
    work = Path(settings.data_dir) / "bench"
    work.mkdir(parents=True, exist_ok=True)
    started = dt.datetime.now(dt.UTC)
    notes = list(config.notes)
    corpus = _corpus_or_dev_articles(scale_corpus, notes, say)
    raw = read_raw_articles(corpus, limit=config.scale_articles)
    n_small = min(config.ingest_articles, len(raw))
    questions = read_questions(DEV_QUESTIONS, config.questions)
    say.say(
        f"plan: ingest {n_small} articles x {len(config.backends)} backends; indexes of {n_small}, "
        f"{len(raw)} and {len(raw)}x{config.scale_factor} articles; {len(questions)} questions; "
        f"{config.requests_per_level()} HTTP requests per level {list(config.http_concurrency)}"
    )
    details = _run_parts(settings, config, raw, n_small, corpus, questions, work, say)
    meta = {
        "quick": quick,
        "command": command or _command_line(),
        "machine": machine_info(),
        "started_at": started.isoformat(timespec="seconds"),
        "duration_s": round(say.elapsed_s(), 1),
        "corpus": str(corpus),
        "questions_file": str(DEV_QUESTIONS),
        "settings": settings_fingerprint(settings),
        "notes": notes,
    }
    report = summarize(meta, details)
    write_outputs(report, json_path=json_path, out_md=out_md)
    say.say(f"done in {report['duration_s']:.0f} s")
    return report


def _corpus_or_dev_articles(scale_corpus: Path | None, notes: list[str], say: Progress) -> Path:
    """The scale corpus asked for (default SCALE_CORPUS); when it is missing, the shipped dev articles
    instead, with a note saying so."""
    corpus = Path(scale_corpus) if scale_corpus is not None else SCALE_CORPUS
    if corpus.is_file():
        return corpus
    notes.append(
        f"scale corpus not found at {corpus}: the scale sizes use the shipped dev articles "
        f"({DEV_ARTICLES.name}, 1,556 articles) instead, so they are not the 4,886-article corpus"
    )
    say.say(notes[-1])
    return DEV_ARTICLES


def _run_parts(
    settings: Settings,
    config: BenchConfig,
    raw: list[dict[str, Any]],
    n_small: int,
    corpus: Path,
    questions: list[BenchQuestion],
    work: Path,
    say: Progress,
) -> dict[str, Any]:
    """The report's `details`: the ingest benchmark, then (unless `ingest_only`) indexes, ask and HTTP."""
    ingest = _ingest(settings, config, raw[:n_small], work, say)
    indexes: dict[str, dict[str, Any]] = {}
    query: dict[str, Any] = {}
    http: dict[str, Any] = {}
    if not config.ingest_only:
        indexes, articles = _build_indexes(settings, config, raw, n_small, corpus, work, ingest, say)
        query = _query(settings, config, indexes, articles, questions, corpus, work, say)
        http = _http(settings, config, indexes, questions, work, say) if config.http else {}
    return {
        "config": {k: v for k, v in config.__dict__.items() if k != "notes"},
        "ingest": ingest["runs"],
        "indexes": indexes,
        "query": query,
        "http": http,
    }


def _ingest(
    settings: Settings, config: BenchConfig, raw: list[dict[str, Any]], work: Path, say: Progress
) -> dict[str, Any]:
    bench = IngestBenchmark(settings, say)
    primary = settings.embedding_backend
    small_dir = work / f"idx-{len(raw)}"
    repeats = config.ingest_repeats
    runs = {primary: bench.run(raw, backend=primary, data_dir=small_dir, repeats=repeats)}
    texts = bench.last_texts
    for backend in config.backends:
        if backend != primary:
            runs[backend] = bench.run(
                raw, backend=backend, data_dir=work / f"ingest-{backend}", repeats=repeats
            )
    return {"runs": runs, "small_dir": small_dir, "texts": texts}


def _build_indexes(
    settings: Settings,
    config: BenchConfig,
    raw: list[dict[str, Any]],
    n_small: int,
    corpus: Path,
    work: Path,
    ingest: dict[str, Any],
    say: Progress,
) -> tuple[dict[str, dict[str, Any]], list[Article]]:
    """The small index (the ingest benchmark's), the scale one and the `scale_factor` copies one."""
    embedder = _embedder_with_ingest_cache(settings, work, ingest, say)
    run = ingest["runs"][settings.embedding_backend]
    indexes = {"small": _small_index(ingest["small_dir"], run, n_small)}
    say.say(f"cleaning {len(raw)} articles for the larger indexes")
    articles, _ = to_articles(raw)
    key = {
        "corpus": str(corpus),
        "bytes": corpus.stat().st_size,
        "n": len(raw),
        **settings_fingerprint(settings),
    }
    if len(raw) > n_small:
        say.say(f"index 'scale': {len(raw)} articles (cached vectors reused, the rest encoded)")
        folder = work / f"idx-{len(raw)}"
        indexes["scale"] = _new_index(settings, embedder, folder, articles, key, copies=1, say=say)
        indexes["scale"]["articles_in"] = len(raw)
    else:
        indexes["scale"] = indexes["small"]
    if config.scale_factor > 1:
        name = f"x{config.scale_factor}"
        everything = list(articles)
        for copy in range(1, config.scale_factor):
            everything += renamed_copies(articles, copy)
        say.say(f"index '{name}': {len(everything)} articles (reprint detection off, vectors from the cache)")
        folder = work / f"idx-{len(raw)}{name}"
        indexes[name] = _new_index(
            settings, embedder, folder, everything, key, copies=config.scale_factor, say=say
        )
        indexes[name]["articles_in"] = len(everything)
    for label, info in indexes.items():
        say.say(
            f"index {label}: {info['articles']} articles, {info['chunks']} chunks, "
            f"{'reused' if info.get('reused') else str(info.get('seconds')) + ' s'}"
        )
    return indexes, articles


def _embedder_with_ingest_cache(settings: Settings, work: Path, ingest: dict[str, Any], say: Progress) -> Any:
    """One embedder for every later index, its cache (work/cache) seeded with the ingest benchmark's
    vectors: that makes the copies cheap."""
    from index.pipeline import build_embedder

    embedder = build_embedder(index_settings(settings, work))
    copied = copy_cached_vectors(
        ingest["small_dir"] / "cache", work / "cache", ingest["texts"], embedder.model_id, embedder.dim
    )
    say.say(f"embedding cache: {copied} vectors carried over from the ingest benchmark")
    return embedder


def _small_index(small_dir: Path, run: dict[str, Any], n_small: int) -> dict[str, Any]:
    """The index the ingest benchmark wrote with the configured backend, described like the others."""
    return {
        "path": str(small_dir),
        "articles": run["articles_written"],
        "chunks": run["chunks"],
        "articles_in": n_small,
        "seconds": run["ingest_s"],
        "reused": False,
    }


def _new_index(
    settings: Settings,
    embedder: Any,
    folder: Path,
    articles: list[Article],
    key: dict[str, Any],
    *,
    copies: int,
    say: Progress,
) -> dict[str, Any]:
    """`build_index` in `folder`; with copies > 1 the reprint detection is off (the copies are reprints)."""
    return build_index(
        index_settings(settings, folder),
        embedder,
        articles,
        key={**key, "copies": copies},
        detect_reprints=copies == 1,
        progress=say.enabled,
    )


def _query(
    settings: Settings,
    config: BenchConfig,
    indexes: dict[str, dict[str, Any]],
    articles: list[Article],
    questions: list[BenchQuestion],
    corpus: Path,
    work: Path,
    say: Progress,
) -> dict[str, Any]:
    from eval.baselines import LlamaIndexBaseline
    from index.embedder import Embedder
    from qa.text.nlp import SpacyParser

    embedder = Embedder(
        model_path=settings.embedding_model,
        backend=settings.embedding_backend,
        batch_size=settings.embedding_batch_size,
        export_dir=settings.onnx_export_dir,
    )
    bench = QueryBenchmark(embedder, SpacyParser.load().nlp, say)
    targets: dict[str, Any] = {}
    for label, info in _distinct(indexes).items():
        targets[label] = bench.answerer(index_settings(settings, Path(info["path"]))).ask
    llama_info: dict[str, Any] | None = None
    if config.llamaindex:
        digest = hashlib.sha256(
            json.dumps(
                [corpus.stat().st_size, len(articles), settings.embedding_model, settings.embedding_backend]
            ).encode()
        ).hexdigest()[:12]
        folder = work / f"llamaindex-{len(articles)}-{digest}"
        say.say(f"llama-index baseline over {len(articles)} articles at {folder}")
        baseline = LlamaIndexBaseline(embedder, folder, articles, progress=say.enabled)
        targets[LLAMAINDEX] = baseline.ask
        llama_info = {
            "path": str(folder),
            "articles": len(articles),
            "chunk_size": baseline.chunk_size,
            "top_k": baseline.top_k,
        }
    say.say(f"ask: {len(questions)} questions on {', '.join(targets)} (warm-up {config.warmup} each)")
    results = bench.run(targets, questions, warmup=config.warmup)
    targets.clear()
    gc.collect()
    return {"targets": results, "llamaindex": llama_info, "questions": len(questions)}


def _http(
    settings: Settings,
    config: BenchConfig,
    indexes: dict[str, dict[str, Any]],
    questions: list[BenchQuestion],
    work: Path,
    say: Progress,
) -> dict[str, Any]:
    out: dict[str, Any] = {}
    for label, info in _distinct(indexes).items():
        isettings = index_settings(settings, Path(info["path"]))
        say.say(f"http [{label}]: starting newsqa serve")
        with ServerProcess(
            isettings, log_path=work / f"server-{label}.log", start_timeout_s=config.server_start_timeout_s
        ) as server:
            say.say(f"http [{label}]: ready in {server.cold_start_s} s")
            load = LoadGenerator(server.base_url, questions)
            load.warm_up(config.warmup)
            levels: dict[str, Any] = {}
            if label == "scale":
                for clients in config.http_concurrency:
                    levels[str(clients)] = load.run(clients, config.requests_per_level())
                    say.say(
                        f"http [{label}]: {clients} clients: {levels[str(clients)]['rps']} req/s, "
                        f"{levels[str(clients)]['errors']} errors"
                    )
            else:
                levels["1"] = load.run(1, len(questions))
                say.say(f"http [{label}]: 1 client: p50 {levels['1']['latency']['p50_ms']} ms")
            out[label] = {
                "cold_start_s": server.cold_start_s,
                "rss_at_ready_mb": server.rss_at_ready_mb,
                "peak_rss_mb": server.peak_rss_mb(),
                "command": server.shown_command,
                "levels": levels,
            }
    return out


def _distinct(indexes: dict[str, dict[str, Any]]) -> dict[str, dict[str, Any]]:
    """The indexes by label, each path once (with a corpus no bigger than the small size, scale == small)."""
    seen: set[str] = set()
    out: dict[str, dict[str, Any]] = {}
    for label in sorted(
        indexes, key=lambda name: ("scale", "small").index(name) if name in ("scale", "small") else 2
    ):
        if indexes[label]["path"] not in seen:
            seen.add(indexes[label]["path"])
            out[label] = indexes[label]
    return out


def _command_line() -> str:
    name = Path(sys.argv[0]).name
    shown = "newsqa" if name in ("newsqa", "__main__.py", "cli.py") else "python -m bench.run"
    return " ".join([shown, *map(shlex.quote, sys.argv[1:])])


def main(argv: list[str] | None = None) -> None:
    """`python -m bench.run`: the same run as `newsqa bench`, with every size settable."""
    parser = argparse.ArgumentParser(prog="python -m bench.run", description=__doc__.split("\n")[0])
    parser.add_argument("--quick", action="store_true", help="Small sizes: a few minutes.")
    parser.add_argument("--json", dest="json_path", type=Path, help="Write the report JSON here.")
    parser.add_argument("--out-md", type=Path, default=None, help="Write the Markdown report here.")
    parser.add_argument("--scale-corpus", type=Path, default=None, help="articles.jsonl(.gz) to scale on.")
    parser.add_argument(
        "--articles", type=int, dest="ingest_articles", help="Ingest benchmark / small index."
    )
    parser.add_argument("--scale-articles", type=int, help="Scale index size (default: the whole corpus).")
    parser.add_argument("--scale-factor", type=int, help="Largest index = scale corpus x this (default 4).")
    parser.add_argument("--questions", type=int, help="Questions timed per index.")
    parser.add_argument("--http-requests", type=int, help="HTTP requests over all concurrency levels.")
    parser.add_argument("--backends", help="Comma-separated: torch,onnx,onnx-int8.")
    parser.add_argument(
        "--ingest-repeats", type=int, help="Alternate ingest and encode-alone this many times (best counts)."
    )
    parser.add_argument("--no-http", action="store_true", help="Skip the HTTP benchmarks.")
    parser.add_argument("--ingest-only", action="store_true", help="Only the ingest benchmark.")
    parser.add_argument("--no-llamaindex", action="store_true", help="Skip the llama-index baseline.")
    args = parser.parse_args(argv)
    config = BenchConfig.preset(args.quick).with_overrides(
        ingest_articles=args.ingest_articles,
        scale_articles=args.scale_articles,
        scale_factor=args.scale_factor,
        questions=args.questions,
        http_requests=args.http_requests,
        ingest_repeats=args.ingest_repeats,
        backends=tuple(b.strip() for b in args.backends.split(",")) if args.backends else None,
        http=False if args.no_http else None,
        ingest_only=True if args.ingest_only else None,
        llamaindex=False if args.no_llamaindex else None,
    )
    run_bench(
        Settings(),
        quick=args.quick,
        json_path=args.json_path,
        out_md=args.out_md,
        scale_corpus=args.scale_corpus,
        config=config,
    )


if __name__ == "__main__":
    main()
