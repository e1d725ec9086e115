"""The `newsqa` command: a thin layer that reads Settings and calls the rooms.

Heavy libraries (torch, chromadb, llama-index) are imported inside the commands so that
`newsqa --help` and argument errors stay instant.
"""

from __future__ import annotations

import json
import math
import os
import sys
from pathlib import Path
from typing import TYPE_CHECKING, Annotated, Any

import typer

from newsqa.errors import NewsQAError
from newsqa.settings import Settings

if TYPE_CHECKING:
    from eval.train import TrainOptions

os.environ.setdefault("HF_HUB_OFFLINE", "1")
os.environ.setdefault("TRANSFORMERS_OFFLINE", "1")
os.environ.setdefault("GRADIO_ANALYTICS_ENABLED", "False")
os.environ.setdefault("ANONYMIZED_TELEMETRY", "False")
os.environ.setdefault("TOKENIZERS_PARALLELISM", "false")

app = typer.Typer(
    help="NewsQA: ask questions about news articles, get answers that quote them.", no_args_is_help=True
)
articles_app = typer.Typer(help="List, show and delete indexed articles.", no_args_is_help=True)
app.add_typer(articles_app, name="articles")

DEMO_DIR = Path(__file__).resolve().parent.parent / "data" / "demo"

DataDir = Annotated[
    Path | None,
    typer.Option("--data-dir", envvar="NEWSQA_DATA_DIR", help="Index folder (default .newsqa)."),
]
JsonOut = Annotated[bool, typer.Option("--json", help="Machine-readable output.")]


def _settings(data_dir: Path | None, **overrides: Any) -> Settings:
    values = {k: v for k, v in overrides.items() if v is not None}
    if data_dir is not None:
        values["data_dir"] = data_dir
    return Settings(**values)


def _emit(obj: Any, as_json: bool, text: str | None = None) -> None:
    if as_json:
        typer.echo(json.dumps(obj, ensure_ascii=False, default=str))
    else:
        typer.echo(text if text is not None else json.dumps(obj, indent=2, ensure_ascii=False, default=str))


def _fail(error: Exception, as_json: bool) -> typer.Exit:
    code = getattr(error, "code", "error")
    message = getattr(error, "message", str(error))
    if as_json:
        typer.echo(json.dumps({"error": {"code": code, "message": message}}), err=False)
    else:
        typer.echo(f"error: {message}", err=True)
    return typer.Exit(2)


def _lock_wait_s(settings: Settings) -> float:
    """The CLI waits its turn for the write lock (docs/deploy.md): 0 means without limit."""
    return settings.cli_lock_wait_s or math.inf


def _lock_notice(message: str) -> None:
    typer.echo(message, err=True)


def _cli_ingestor(settings: Settings) -> Any:
    from index.pipeline import build_ingestor

    return build_ingestor(settings, lock_timeout_s=_lock_wait_s(settings), on_lock_wait=_lock_notice)


def _summary_text(summary: dict[str, Any]) -> str:
    lines = [
        f"added {summary['added']}, updated {summary['updated']}, unchanged {summary['unchanged']}, "
        f"duplicates {summary['duplicates']}, failed {len(summary['failed'])}; "
        f"{summary['chunks']} chunks in {summary['seconds']:.1f} s"
    ]
    for item in summary.get("items", []):
        if item.get("status") == "duplicate":
            lines.append(f"  duplicate: {item.get('id')} is a reprint of {item.get('duplicate_of')}")
    lines += [f"  failed: {f['item']}: {f['error']}" for f in summary["failed"]]
    return "\n".join(lines)


@app.command()
def ingest(
    items: Annotated[list[str], typer.Argument(help="Files, folders, URLs or RSS/Atom feeds.")],
    data_dir: DataDir = None,
    as_json: JsonOut = False,
    allow_private_urls: Annotated[
        bool, typer.Option("--allow-private-urls", help="Allow fetching loopback/private addresses.")
    ] = False,
) -> None:
    """Clean, chunk, embed and index articles. Re-ingesting unchanged articles changes nothing.

    While another ingest writes the same data dir, this one waits its turn (NEWSQA_CLI_LOCK_WAIT_S)."""
    settings = _settings(data_dir, allow_private_urls=allow_private_urls or None)
    try:
        from qa.ingest_policy import IngestPolicy

        policy = IngestPolicy.command_line()
        summary = policy.ingest(_cli_ingestor(settings), items, progress=not as_json).to_dict()
    except NewsQAError as error:
        raise _fail(error, as_json) from error
    _emit(summary, as_json, _summary_text(summary))
    if summary["failed"]:
        raise typer.Exit(1)


@articles_app.command("list")
def articles_list(
    data_dir: DataDir = None,
    as_json: JsonOut = False,
    source: Annotated[list[str] | None, typer.Option("--source", help="Only these outlets.")] = None,
    since: Annotated[str | None, typer.Option(help="Published on or after (YYYY-MM-DD).")] = None,
    until: Annotated[str | None, typer.Option(help="Published on or before (YYYY-MM-DD).")] = None,
    limit: Annotated[int | None, typer.Option(help="At most this many.")] = None,
) -> None:
    """List indexed articles, newest first."""
    store = _open_store(_settings(data_dir))
    rows = store.list_articles(sources=source or None, published_from=since, published_to=until, limit=limit)
    text = "\n".join(
        f"{r['id']}  {r.get('published') or '----------'}  {r.get('source', ''):<16} {r.get('chunks', 0):>3}  {r['title']}"
        for r in rows
    )
    _emit(rows, as_json, text or "(no articles)")


@articles_app.command("show")
def articles_show(article_id: str, data_dir: DataDir = None, as_json: JsonOut = False) -> None:
    """Print one article's metadata and cleaned text."""
    article = _open_store(_settings(data_dir)).get_article(article_id)
    if article is None:
        raise _fail(_not_found(article_id), as_json)
    data = article.to_dict()
    header = "\n".join(f"{k}: {v}" for k, v in data.items() if k != "text" and v not in (None, "", []))
    _emit(data, as_json, f"{header}\n\n{article.text}")


@articles_app.command("delete")
def articles_delete(article_id: str, data_dir: DataDir = None, as_json: JsonOut = False) -> None:
    """Delete an article and every one of its chunks (vector and lexical index)."""
    from index.lock import DataDirLock

    settings = _settings(data_dir)
    store = _open_store(settings)
    try:
        with DataDirLock(settings.data_dir, timeout_s=_lock_wait_s(settings), on_wait=_lock_notice):
            deleted = store.delete_article(article_id)
    except NewsQAError as error:
        raise _fail(error, as_json) from error
    if not deleted:
        raise _fail(_not_found(article_id), as_json)
    _emit({"deleted": article_id}, as_json, f"deleted {article_id}")


@app.command()
def ask(
    question: Annotated[
        str, typer.Argument(help="The question, or - to read one question per line from stdin.")
    ],
    data_dir: DataDir = None,
    as_json: JsonOut = False,
    as_of: Annotated[str | None, typer.Option("--as-of", help="Answer as of this date (YYYY-MM-DD).")] = None,
    source: Annotated[list[str] | None, typer.Option("--source", help="Only these outlets.")] = None,
    since: Annotated[str | None, typer.Option(help="Published on or after (YYYY-MM-DD).")] = None,
    until: Annotated[str | None, typer.Option(help="Published on or before (YYYY-MM-DD).")] = None,
    choice: Annotated[list[str] | None, typer.Option("--choice", help="A multiple-choice option.")] = None,
    top_k: Annotated[int | None, typer.Option("--top-k", help="Citations to return.")] = None,
    debug: Annotated[bool, typer.Option("--debug", help="Include the ranked retrieved chunks.")] = False,
) -> None:
    """Answer a question from the indexed articles, with exact citations."""
    from newsqa.types import Filters
    from qa.build import build_answerer

    settings = _settings(data_dir)
    filters = Filters(sources=source or None, published_from=since, published_to=until)
    try:
        answerer = build_answerer(settings)
    except NewsQAError as error:
        raise _fail(error, as_json) from error
    questions = (line.strip() for line in sys.stdin) if question == "-" else iter([question])
    failed = False
    for q in questions:
        if question == "-" and not q:
            continue
        try:
            answer = answerer.ask(
                q, as_of=as_of, filters=filters, choices=choice or None, top_k=top_k, debug=debug
            )
        except NewsQAError as error:
            failed = True
            _fail(error, as_json)
            continue
        _emit(answer.to_dict(), as_json, _answer_text(answer.to_dict()))
    if failed:
        raise typer.Exit(2)


def _answer_text(answer: dict[str, Any]) -> str:
    """The readable answer, its confidence, then each source (with its quote unless shown above)."""
    shown = answer.get("answer_text") or answer["answer"]
    lines = [shown]
    if answer.get("confidence") is not None and not answer["abstained"]:
        lines.append(f"(confidence {answer['confidence']:.2f})")
    lines.append("")
    cited = answer["citations"] or answer["related"]
    if answer["abstained"] and cited:
        lines.append("Closest passages:")
    for c in cited:
        meta = ", ".join(x for x in (c.get("source"), c.get("published")) if x)
        lines.append(f"[{c['n']}] {c['title']} ({meta})" + (f" {c['url']}" if c.get("url") else ""))
        if " ".join(c["quote"].split()) not in shown:
            lines.append(f'    "{c["quote"]}"')
    return "\n".join(lines).rstrip()


@app.command(name="eval")
def eval_command(
    articles: Annotated[Path, typer.Option("--articles", help="articles.jsonl(.gz) of the eval set.")],
    questions: Annotated[Path, typer.Option("--questions", help="questions.jsonl of the eval set.")],
    data_dir: DataDir = None,
    json_path: Annotated[Path | None, typer.Option("--json", help="Write report.json here.")] = None,
    out: Annotated[Path | None, typer.Option("--out", help="Folder for report, tables and plot.")] = None,
    compare: Annotated[
        str, typer.Option(help="Configs, comma-separated: ours,hybrid,bm25,dense,llamaindex")
    ] = "ours",
    limit: Annotated[int | None, typer.Option(help="Only the first N questions.")] = None,
    ids: Annotated[str | None, typer.Option(help="Only these question ids, comma-separated.")] = None,
    conversations: Annotated[Path | None, typer.Option(help="Follow-up conversations JSONL.")] = None,
    asked_from: Annotated[
        str | None, typer.Option(help="Only questions asked on or after this ISO date (a time split).")
    ] = None,
    asked_to: Annotated[
        str | None, typer.Option(help="Only questions asked on or before this ISO date.")
    ] = None,
    resamples: Annotated[
        int, typer.Option(min=0, help="Bootstrap resamples for the 95% intervals (0: no intervals).")
    ] = 1000,
    seed: Annotated[int, typer.Option(help="Seed of the bootstrap resamples.")] = 0,
) -> None:
    """Run an eval set end to end through the same code path as `ask` and print a results table."""
    from eval.bootstrap import BootstrapSpec
    from eval.harness import run_eval

    settings = _settings(data_dir)
    try:
        run_eval(
            settings,
            articles,
            questions,
            configs=[c.strip() for c in compare.split(",") if c.strip()],
            limit=limit,
            ids=[i.strip() for i in ids.split(",")] if ids else None,
            out_dir=out,
            json_path=json_path,
            conversations_path=conversations,
            asked_from=asked_from,
            asked_to=asked_to,
            bootstrap=BootstrapSpec(resamples=resamples, seed=seed) if resamples > 0 else None,
        )
    except NewsQAError as error:
        raise _fail(error, False) from error


_FITS = ("answer", "rerank", "reader", "options", "spans")
_FITS_TEXT = "'answer', 'rerank', 'reader', 'options' or 'spans'"


@app.command()
def train(
    questions: Annotated[list[Path], typer.Option("--questions", help="Training questions.jsonl (repeat).")],
    articles: Annotated[list[Path], typer.Option("--articles", help="Their articles.jsonl(.gz), in order.")],
    out: Annotated[Path, typer.Option("--out", help="Where to write the answer model JSON.")],
    asked_before: Annotated[
        str | None, typer.Option("--asked-before", help="Only questions asked before this date.")
    ] = None,
    seed: Annotated[int, typer.Option(help="Seed of the fit and its cross-validation.")] = 0,
    features_cache: Annotated[
        Path | None, typer.Option(help="Folder keeping collected features per data set (reused).")
    ] = None,
    data_dir: DataDir = None,
    fit: Annotated[
        str,
        typer.Option(
            "--fit",
            help="answer: the answer model; rerank: the reranker's weights; reader: the span reader; "
            "options: the multiple-choice option model; spans: the span model.",
        ),
    ] = "answer",
    epochs: Annotated[int, typer.Option(help="--fit reader: passes over the examples.")] = 2,
    synthetic: Annotated[
        int,
        typer.Option(help="--fit reader: synthetic examples from the articles to pre-train on (0: none)."),
    ] = 0,
    device: Annotated[str, typer.Option(help="--fit reader: torch device of the fit, e.g. cuda.")] = "cpu",
) -> None:
    """Fit the answer model (calibrated confidence, abstention), or with --fit rerank the reranker's
    weights, --fit reader the span reader (a folder), --fit options the multiple-choice option model,
    --fit spans the span model, on training questions; never on dev."""
    from eval.train import TrainOptions, train_answer_model, write_artifact

    if len(questions) != len(articles):
        raise _fail(NewsQAError("give one --articles per --questions, in the same order"), False)
    if fit not in _FITS:
        raise _fail(NewsQAError(f"--fit must be {_FITS_TEXT}, not {fit!r}"), False)
    sets = list(zip(questions, articles, strict=True))
    command = _train_command(fit, sets, out, seed, asked_before, (epochs, synthetic))
    options = TrainOptions(seed, asked_before, command, features_cache, progress=True)
    try:
        if fit == "reader":
            report = _train_reader(sets, out, seed, asked_before, command, (epochs, synthetic, device))
        elif fit in ("options", "spans"):
            report = _train_ranker(fit, _settings(data_dir), sets, out, options)
        elif fit == "rerank":
            from eval.rank_train import train_rerank_weights
            from qa.retrieval.rerank_model import write_rerank_weights

            weights, info = train_rerank_weights(_settings(data_dir), sets, options)
            write_rerank_weights(weights, info, out)
            report = {"out": str(out), "weights": weights.linear(), "metrics": info["metrics"]}
        else:
            model = train_answer_model(_settings(data_dir), sets, options)
            write_artifact(model, out)
            report = {"out": str(out), "metrics": model.info["metrics"]}
    except (NewsQAError, ValueError) as error:
        raise _fail(error, False) from error
    typer.echo(json.dumps(report, indent=2))


def _train_command(
    fit: str,
    sets: list[tuple[Path, Path]],
    out: Path,
    seed: int,
    asked_before: str | None,
    reader_passes: tuple[int, int],
) -> str:
    """The command an artifact records: the one that writes it again."""
    parts = [f"--fit {fit}"] if fit != "answer" else []
    parts += [f"--questions {q} --articles {a}" for q, a in sets]
    parts += [f"--out {out}", f"--seed {seed}"] + ([f"--asked-before {asked_before}"] if asked_before else [])
    parts += [f"--epochs {reader_passes[0]} --synthetic {reader_passes[1]}"] if fit == "reader" else []
    return "newsqa train " + " ".join(parts)


def _train_reader(
    sets: list[tuple[Path, Path]],
    out: Path,
    seed: int,
    asked_before: str | None,
    command: str,
    passes: tuple[int, int, str],
) -> dict[str, object]:
    """--fit reader; `passes`: epochs over the real examples, synthetic examples before them, and the
    torch device."""
    from eval.evalsets import load_evalset
    from eval.reader_train import ReaderTrainOptions, train_reader
    from eval.train import sha256_of

    evalsets = [load_evalset(a, q) for q, a in sets]
    hashes = {str(path): sha256_of(path) for pair in sets for path in pair}
    epochs, synthetic, device = passes
    options = ReaderTrainOptions(seed, asked_before, command, epochs, synthetic, device=device, progress=True)
    info = train_reader(evalsets, options, out, hashes)
    return {
        "out": str(out),
        **{
            k: info[k]
            for k in ("examples", "positives", "synthetic_examples", "training_seconds", "model_bytes")
        },
    }


def _train_ranker(
    fit: str, settings: Settings, sets: list[tuple[Path, Path]], out: Path, options: TrainOptions
) -> dict[str, object]:
    """--fit options or spans: a conditional logit over a question's options or candidate spans."""
    if fit == "options":
        from eval.option_train import train_option_model, write_option_model

        model: Any = train_option_model(settings, sets, options)
        write_option_model(model, out)
    else:
        from eval.span_train import train_span_model, write_span_model

        model = train_span_model(settings, sets, options)
        write_span_model(model, out)
    return {
        "out": str(out),
        "coef": dict(zip(model.features, model.coef, strict=True)),
        "metrics": model.info["metrics"],
    }


@app.command()
def demo(data_dir: DataDir = None, as_json: JsonOut = False) -> None:
    """Index the bundled demo corpus (the seed article and 199 real 2022 news articles)."""
    settings = _settings(data_dir)
    summary = _cli_ingestor(settings).ingest([str(DEMO_DIR)], progress=not as_json).to_dict()
    _emit(summary, as_json, _summary_text(summary))


@app.command()
def bench(
    data_dir: DataDir = None,
    quick: Annotated[bool, typer.Option("--quick", help="Small sizes: a few minutes.")] = False,
    json_path: Annotated[Path | None, typer.Option("--json", help="Write the results JSON here.")] = None,
    out_md: Annotated[Path, typer.Option("--out-md", help="Markdown report.")] = Path("docs/benchmarks.md"),
    scale_corpus: Annotated[
        Path | None,
        typer.Option(help="Scale corpus (default ../shared/data/realtimeqa-2022-articles.jsonl.gz)."),
    ] = None,
) -> None:
    """Benchmarks side by side: ingest vs encode, ask latency vs llama-index, scaling, HTTP load."""
    from bench import run_bench

    run_bench(
        _settings(data_dir),
        quick=quick,
        json_path=json_path,
        out_md=out_md,
        scale_corpus=scale_corpus,
        command=" ".join(["newsqa", *sys.argv[1:]]),
    )


@app.command()
def serve(
    data_dir: DataDir = None,
    host: Annotated[str | None, typer.Option(help="Bind address (default 127.0.0.1).")] = None,
    port: Annotated[int | None, typer.Option(help="Port (default 8000).")] = None,
    demo_if_empty: Annotated[
        bool,
        typer.Option(
            "--demo-if-empty",
            help="When the index is empty, index the demo corpus in the background (the server answers meanwhile).",
        ),
    ] = False,
) -> None:
    """Serve the HTTP API and the chat UI in one process."""
    from app.server import serve as run_server

    settings = _settings(data_dir, host=host, port=port)
    run_server(settings, index_if_empty=DEMO_DIR if demo_if_empty else None)


def _open_store(settings: Settings) -> Any:
    from index.pipeline import build_embedder, build_store

    return build_store(settings, build_embedder(settings))


def _not_found(article_id: str) -> NewsQAError:
    from newsqa.errors import NotFound

    return NotFound(f"no article with id {article_id!r}")


def main() -> None:
    app()


if __name__ == "__main__":
    main()
