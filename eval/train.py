"""`newsqa train`: fit the answer model on training questions and write its artifact.

Usage:
    options = TrainOptions(seed=0, asked_before="2024-01-01", command="newsqa train ...")
    model = train_answer_model(settings, [("q.jsonl", "articles.jsonl.gz")], options)
    write_artifact(model, Path("qa/answering/models/answer_model.json"))

Every training question goes through `Answerer.ask` (debug) over its articles' eval index, the code
path of the CLI, API and eval, once as a free question and once with its choices. Each answer it
would give (withheld or not) becomes a row: the features the answerer had, and whether the answer is
right. Logistic regressions learn the probability of "right" (free answers; multiple choice, whose
threshold follows from it) and, for free questions, the probability that the articles answer the
question at all, whose threshold decides abstention (eval/calibration.py). Then the extractor-confidence
floor under which a free answer is withheld anyway is the one with the most right responses
(`fit_confidence_floor`). The artifact records the seed, the command, the sha256 of every data file
and the fit metrics, and holds no timestamps: the same rows write the same bytes (docs/eval.md,
"Reproducible dense candidates", on the rows themselves).
"""

from __future__ import annotations

import hashlib
import json
import sys
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any, TypeVar

from eval.calibration import REGULARISATION_C, choose_threshold, fit_calibrator, right_responses
from eval.evalsets import EvalQuestion, load_evalset
from eval.metrics import contains_answer, exact_match
from newsqa.errors import InvalidInput
from newsqa.settings import Settings
from qa.answering.answer_model import FEATURES, AnswerModel, Calibrator

# A free answer longer than this is not credited for merely containing the gold answer.
MAX_CONTAINS_WORDS = 10
MODEL_KIND = "answer-confidence-logistic-regression"

T = TypeVar("T")


def is_right_free(candidate: str, answers: Sequence[str], answerable: bool) -> int:
    """1 when the free answer is right: exact, or a short answer (<= 10 words) containing the gold one."""
    if not answerable or not candidate.strip():
        return 0
    if exact_match(candidate, answers):
        return 1
    return int(len(candidate.split()) <= MAX_CONTAINS_WORDS and contains_answer(candidate, answers) == 1.0)


def is_right_choice(candidate: str, answers: Sequence[str], answerable: bool) -> int:
    return int(answerable and bool(candidate.strip()) and exact_match(candidate, answers) == 1.0)


def sha256_of(path: Path) -> str:
    digest = hashlib.sha256()
    with path.open("rb") as handle:
        for block in iter(lambda: handle.read(1 << 20), b""):
            digest.update(block)
    return digest.hexdigest()


def _collecting_model() -> AnswerModel:
    """A model that withholds nothing: rows record the features and the answer, whatever the threshold."""
    zero = tuple(0.0 for _ in FEATURES)
    neutral = Calibrator(FEATURES, zero, tuple(1.0 for _ in FEATURES), zero, 0.0, 0.0)
    return AnswerModel(neutral, neutral, neutral, {})


def _row(question: EvalQuestion, kind: str, answer: Any) -> dict[str, Any]:
    assessment = answer.assessment or {"candidate": "", "features": {}}
    judge = is_right_choice if kind == "choice" else is_right_free
    return {
        "id": question.id,
        "asked_at": question.asked_at,
        "kind": kind,
        "answerable": question.answerable,
        "candidate": assessment["candidate"],
        "features": assessment["features"],
        "label": judge(assessment["candidate"], question.answers, question.answerable),
    }


def collect_rows(
    settings: Settings, questions: Sequence[EvalQuestion], answerer: Any, *, progress: bool = False
) -> list[dict[str, Any]]:
    """One "free" row per question and one "choice" row per question with choices."""
    rows: list[dict[str, Any]] = []
    items: Any = questions
    if progress:
        from tqdm import tqdm

        items = tqdm(questions, desc="train", unit="q", file=sys.stderr)
    for q in items:
        rows.append(_row(q, "free", answerer.ask(q.question, as_of=q.asked_at, debug=True)))
        if q.choices:
            answer = answerer.ask(q.question, as_of=q.asked_at, choices=q.choices, debug=True)
            rows.append(_row(q, "choice", answer))
    return rows


def training_data(questions_path: Path, articles_path: Path) -> dict[str, Any]:
    """What an artifact records of one training set: its files and their hashes."""
    return {
        "questions": str(questions_path),
        "questions_sha256": sha256_of(questions_path),
        "articles": str(articles_path),
        "articles_sha256": sha256_of(articles_path),
    }


def cached_json(cache: Path | None, prefix: str, key_parts: list[Any], compute: Callable[[], Any]) -> Any:
    """`compute()`, kept as JSON in `cache` under a name hashed from `key_parts` (None: no cache)."""
    key = hashlib.sha256(json.dumps(key_parts, sort_keys=True).encode()).hexdigest()[:16]
    cached = cache / f"{prefix}-{key}.json" if cache is not None else None
    if cached is not None and cached.is_file():
        return json.loads(cached.read_text(encoding="utf-8"))
    value = compute()
    if cached is not None:
        cached.parent.mkdir(parents=True, exist_ok=True)
        cached.write_text(json.dumps(value), encoding="utf-8")
    return value


def _set_rows(
    settings: Settings, questions_path: Path, articles_path: Path, options: TrainOptions
) -> tuple[list[dict[str, Any]], dict[str, Any]]:
    """Rows of every question of one set (from the features cache when it holds this set's data hashes)."""

    def collect(answerer: Any, questions: Sequence[EvalQuestion]) -> list[dict[str, Any]]:
        return collect_rows(settings, questions, answerer, progress=options.progress)

    cache_key = ("rows", [list(FEATURES)])
    return asked_rows(
        settings, questions_path, articles_path, options, cache_key, collect, answer_model=_collecting_model()
    )


def asked_rows(
    settings: Settings,
    questions_path: Path,
    articles_path: Path,
    options: TrainOptions,
    cache_key: tuple[str, list[Any]],
    collect: Callable[[Any, Sequence[EvalQuestion]], list[dict[str, Any]]],
    **answerer_parts: Any,
) -> tuple[list[dict[str, Any]], dict[str, Any]]:
    """The rows `collect(answerer, questions)` gives for one set, its questions asked through
    `build_answerer(..., **answerer_parts)` over the set's eval index, and the set's record. Kept in
    `options.features_cache` under the set's data hashes and `cache_key` (a file prefix, key parts)."""
    data = training_data(questions_path, articles_path)

    def compute() -> list[dict[str, Any]]:
        from eval.eval_index import EvalIndex
        from qa.build import build_answerer

        evalset = load_evalset(articles_path, questions_path)
        index = EvalIndex(settings, articles_path)
        index.ensure(list(evalset.articles.values()), progress=options.progress)
        index_settings = index.settings.model_copy(update={"answer_cache_size": 0})
        return collect(build_answerer(index_settings, **answerer_parts), evalset.questions)

    prefix, parts = cache_key
    key_parts = [data["questions_sha256"], data["articles_sha256"], *parts]
    return cached_json(options.features_cache, prefix, key_parts, compute), data


@dataclass(frozen=True)
class TrainOptions:
    """How a training command runs: its seed, the questions it may use (asked before a date), the
    command it records, where it caches what it collected, and whether it shows progress."""

    seed: int = 0
    asked_before: str | None = None
    command: str = ""
    features_cache: Path | None = None
    progress: bool = False

    def record(self) -> dict[str, Any]:
        """What an artifact keeps of the run, to reproduce it."""
        return {"seed": self.seed, "command": self.command, "asked_before": self.asked_before}


def collect_training_sets(
    sets: Sequence[tuple[Path, Path]],
    collect: Callable[[Path, Path], tuple[list[T], dict[str, Any]]],
    asked_at: Callable[[T], str],
    question_id: Callable[[T], str],
    options: TrainOptions,
) -> tuple[list[T], list[dict[str, Any]]]:
    """Every set's items (`collect(questions, articles)`) asked before `options.asked_before`, and
    each set's record (its files, their hashes, how many questions were used)."""
    if not sets:
        raise InvalidInput("train needs at least one --questions/--articles pair")
    items: list[T] = []
    data: list[dict[str, Any]] = []
    for questions_path, articles_path in sets:
        found, described = collect(Path(questions_path), Path(articles_path))
        before = options.asked_before
        used = [item for item in found if before is None or asked_at(item) < before]
        described["questions_used"] = len({question_id(item) for item in used})
        data.append(described)
        items += used
    return items, data


def train_answer_model(
    settings: Settings, sets: Sequence[tuple[Path, Path]], options: TrainOptions | None = None
) -> AnswerModel:
    """Fit both calibrators on the questions of `sets` ((questions, articles) pairs) asked before the date."""
    options = options or TrainOptions()
    rows, data = collect_training_sets(
        sets,
        lambda q, a: _set_rows(settings, q, a, options),
        lambda row: row["asked_at"],
        lambda row: row["id"],
        options,
    )
    fits = {}
    for part, kind, rule in (
        ("free", "free", "none"),
        ("choice", "choice", "responses"),
        ("answerable", "free", "abstention"),
    ):
        kind_rows = [r for r in rows if r["kind"] == kind]
        if part == "answerable":
            kind_rows = [{**r, "label": int(r["answerable"])} for r in kind_rows]
        if not kind_rows:
            raise InvalidInput(f"no {kind} questions to train on (asked before {options.asked_before})")
        fits[part] = fit_calibrator(kind_rows, seed=options.seed, rule=rule)
    floor, floor_metrics = fit_confidence_floor(
        [r for r in rows if r["kind"] == "free"], fits["answerable"][0]
    )
    import sklearn

    info = {
        "model": MODEL_KIND,
        **options.record(),
        "data": data,
        "training_questions": len({(r["id"], r["asked_at"]) for r in rows}),
        "scikit_learn": sklearn.__version__,
        "regularisation_c": REGULARISATION_C,
        "metrics": {
            **{part: metrics for part, (_, metrics) in fits.items()},
            "confidence_floor": floor_metrics,
        },
    }
    return AnswerModel(fits["free"][0], fits["choice"][0], fits["answerable"][0], info, floor)


def fit_confidence_floor(
    rows: Sequence[dict[str, Any]], answerable: Calibrator
) -> tuple[float, dict[str, int]]:
    """The extractor confidence below which a free answer that `answerable` would give is withheld:
    the floor with the most right responses on the training rows (`choose_threshold`, "responses"),
    and those right responses with the floor and without one."""
    withheld = [answerable.probability(r["features"]) < answerable.threshold for r in rows]
    confidences = [float(r["features"].get("extractor_confidence") or 0.0) for r in rows]
    floor = round(choose_threshold(rows, confidences, "responses", withheld=withheld), 6)
    supported = [
        not w and bool(r["features"].get("support_articles")) for r, w in zip(rows, withheld, strict=True)
    ]

    def right(at: float) -> int:
        return right_responses(rows, [not s or c < at for s, c in zip(supported, confidences, strict=True)])

    return floor, {"right_responses": right(floor), "right_responses_without": right(0.0), "rows": len(rows)}


def write_artifact(model: AnswerModel, path: Path) -> None:
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text(json.dumps(model.to_dict(), indent=2, sort_keys=True) + "\n", encoding="utf-8")
