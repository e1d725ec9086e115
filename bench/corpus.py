"""What the benchmarks run on: the sizes to measure, the articles of the scale corpus, the questions.

Usage:
    config = BenchConfig.preset(quick=True).with_overrides(questions=30)
    raw = read_raw_articles(Path("../shared/data/realtimeqa-2022-articles.jsonl.gz"), limit=200)
    articles, failures = to_articles(raw)                  # cleaned exactly as `newsqa ingest` does
    copies = renamed_copies(articles, copy=1)             # same texts under new ids ("<id>~x1")
    questions = read_questions(DEV_QUESTIONS, limit=30)
"""

from __future__ import annotations

import gzip
import json
from collections.abc import Iterator, Sequence
from dataclasses import dataclass, field, fields, replace
from pathlib import Path
from typing import Any

from index.embedder import BACKENDS
from newsqa.errors import InvalidInput, NewsQAError
from newsqa.types import Article, IngestFailure

REPO = Path(__file__).resolve().parent.parent
# The scale corpus lives beside the project (../shared); the shipped dev set is the fallback.
SCALE_CORPUS = REPO.parent / "shared" / "data" / "realtimeqa-2022-articles.jsonl.gz"
DEV_ARTICLES = REPO / "eval" / "datasets" / "realtimeqa-2022" / "articles.jsonl.gz"
DEV_QUESTIONS = REPO / "eval" / "datasets" / "realtimeqa-2022" / "questions.jsonl"


@dataclass(frozen=True)
class BenchConfig:
    """Sizes of one benchmark run. `scale_articles=None` means the whole corpus."""

    ingest_articles: int = 1000  # the ingest benchmark and the smallest index
    scale_articles: int | None = None  # the "whole corpus" index
    scale_factor: int = 4  # the largest index holds the scale corpus this many times
    questions: int = 240
    warmup: int = 3
    http_requests: int = 2000  # total over the concurrency levels, on the scale index
    http_concurrency: tuple[int, ...] = (1, 4, 16)
    backends: tuple[str, ...] = ("torch", "onnx", "onnx-int8")
    ingest_repeats: int = 1  # ingest and encode-alone alternate this many times; best of each counts
    llamaindex: bool = True
    http: bool = True
    ingest_only: bool = False  # skip the indexes, query, llama-index and HTTP parts
    server_start_timeout_s: float = 300.0
    notes: list[str] = field(default_factory=list)

    @classmethod
    def preset(cls, quick: bool) -> BenchConfig:
        if quick:
            return cls(ingest_articles=60, scale_articles=120, questions=60, http_requests=200)
        return cls()

    def with_overrides(self, **values: Any) -> BenchConfig:
        known = {f.name for f in fields(self)}
        unknown = sorted(set(values) - known)
        if unknown:
            raise InvalidInput(f"unknown bench setting(s): {', '.join(unknown)}")
        return replace(self, **{k: v for k, v in values.items() if v is not None})

    def check(self) -> None:
        if self.ingest_articles < 1:
            raise InvalidInput(f"ingest_articles must be >= 1, got {self.ingest_articles}")
        if self.scale_articles is not None and self.scale_articles < self.ingest_articles:
            raise InvalidInput(
                f"scale_articles ({self.scale_articles}) must be >= ingest_articles ({self.ingest_articles})"
            )
        if self.scale_factor < 1:
            raise InvalidInput(f"scale_factor must be >= 1, got {self.scale_factor}")
        if self.ingest_repeats < 1:
            raise InvalidInput(f"ingest_repeats must be >= 1, got {self.ingest_repeats}")
        if self.questions < 1 or self.warmup < 0:
            raise InvalidInput("questions must be >= 1 and warmup >= 0")
        if self.http_requests < len(self.http_concurrency) or any(c < 1 for c in self.http_concurrency):
            raise InvalidInput("http_requests must cover every concurrency level, each level >= 1 client")
        bad = [b for b in self.backends if b not in BACKENDS]
        if bad or "torch" not in self.backends:
            raise InvalidInput(
                f"backends must include 'torch' and be among {', '.join(BACKENDS)}, got {self.backends}"
            )

    def requests_per_level(self) -> int:
        return self.http_requests // len(self.http_concurrency)


@dataclass(frozen=True)
class BenchQuestion:
    id: str
    question: str
    asked_at: str | None


# Warm-up questions, none of them in the measured set (parse caches must not hold measured questions).
WARM_UP_QUESTIONS = (
    BenchQuestion("warm-1", "Who won the election for governor this week?", None),
    BenchQuestion("warm-2", "Which company announced layoffs in November 2022?", None),
    BenchQuestion("warm-3", "What did the Federal Reserve decide about interest rates?", None),
    BenchQuestion("warm-4", "Where did the hurricane make landfall?", None),
    BenchQuestion("warm-5", "How many people were killed in the shooting?", None),
)


def read_raw_articles(path: Path, limit: int | None = None) -> list[dict[str, Any]]:
    """The first `limit` article objects of a JSONL(.gz) file (all when None)."""
    if not path.is_file():
        raise InvalidInput(f"{path}: articles file not found")
    out: list[dict[str, Any]] = []
    opener = gzip.open if path.suffix == ".gz" else open
    with opener(path, "rt", encoding="utf-8") as handle:
        for number, line in enumerate(handle, start=1):
            if limit is not None and len(out) >= limit:
                break
            if not line.strip():
                continue
            try:
                out.append(json.loads(line))
            except ValueError as exc:
                raise InvalidInput(f"{path}:{number}: not JSON ({exc})") from exc
    return out


def to_article(raw: dict[str, Any]) -> Article:
    """One corpus line cleaned by the loader users' JSONL goes through."""
    from index.loaders import make_article

    return make_article(
        str(raw.get("text", "")),
        title=raw.get("title") or None,
        url=raw.get("url"),
        source=raw.get("source") or None,
        published=raw.get("published"),
        id=raw.get("id"),
        clean=True,
    )


def iter_articles(raw: Sequence[dict[str, Any]]) -> Iterator[Article | IngestFailure]:
    for item in raw:
        try:
            yield to_article(item)
        except NewsQAError as exc:
            yield IngestFailure(item=str(item.get("id", "?")), error=exc.message)


def to_articles(raw: Sequence[dict[str, Any]]) -> tuple[list[Article], list[IngestFailure]]:
    articles: list[Article] = []
    failures: list[IngestFailure] = []
    for entry in iter_articles(raw):
        (failures if isinstance(entry, IngestFailure) else articles).append(entry)  # type: ignore[arg-type]
    return articles, failures


def renamed_copies(articles: Sequence[Article], copy: int) -> list[Article]:
    """The same articles under new ids, so the store holds their text once more."""
    return [replace(a, id=f"{a.id}~x{copy}", also_reported_by=[]) for a in articles]


def read_questions(path: Path, limit: int) -> list[BenchQuestion]:
    """The first `limit` questions of a questions.jsonl (id, question, asked_at)."""
    if not path.is_file():
        raise InvalidInput(f"{path}: questions file not found")
    out: list[BenchQuestion] = []
    with path.open(encoding="utf-8") as handle:
        for line in handle:
            if len(out) >= limit:
                break
            if line.strip():
                item = json.loads(line)
                out.append(BenchQuestion(str(item["id"]), str(item["question"]), item.get("asked_at")))
    if not out:
        raise InvalidInput(f"{path}: no questions")
    return out
