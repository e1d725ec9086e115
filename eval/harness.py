"""Run an eval set through one or more configurations and report the metrics.

Usage:
    report = run_eval(settings, "eval/datasets/seed/articles.jsonl", "eval/datasets/seed/questions.jsonl",
                      configs=["ours", "bm25"], out_dir=Path("out/eval"))
    report["configs"]["ours"]["mrr@10"]

Every question goes through `Answerer.ask` — the code path of the CLI, API and UI — against an isolated
index built by the ingestion code users run, under `<data_dir>/eval/<key>/`, where the key hashes the
articles file and the index settings, so a second run reuses it.
"""

from __future__ import annotations

import datetime as dt
import sys
import time
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from eval.baselines import KNOWN_CONFIGS, EvalConfig, build_config
from eval.bootstrap import DEFAULT_BOOTSTRAP, BootstrapSpec, MetricSamples, report_sections
from eval.eval_index import EvalIndex
from eval.evalsets import Conversation, EvalQuestion, EvalSet, load_evalset
from eval.metrics import QAEvaluator, QuestionOutcome, TurnOutcome, dedupe_ranking, exact_match, hits_at_k
from eval.report import print_table, write_outputs
from newsqa.errors import InvalidInput, NewsQAError
from newsqa.settings import Settings
from newsqa.types import Answer, Article, Citation

CUTOFF = 10


class StoredTexts:
    """Article id -> stored (cleaned) text, fetched once from the eval index's store."""

    def __init__(self, fetch: Callable[[str], Any]) -> None:
        self._fetch = fetch
        self._texts: dict[str, str | None] = {}

    def get(self, article_id: str) -> str | None:
        if article_id not in self._texts:
            try:
                article = self._fetch(article_id)
            except NewsQAError:
                article = None
            self._texts[article_id] = article.text if article is not None else None
        return self._texts[article_id]

    def exact(self, citation: Citation) -> bool:
        text = self.get(citation.article_id)
        return text is not None and text[citation.start : citation.end] == citation.quote


@dataclass
class ConfigRun:
    row: dict[str, Any]
    records: list[dict[str, Any]]
    turn_records: list[dict[str, Any]]
    hits_curve: list[float | None]
    samples: MetricSamples | None = None  # per-question parts, for confidence intervals


def _progress(items: Sequence[Any], desc: str, enabled: bool) -> Any:
    if not enabled:
        return items
    from tqdm import tqdm

    return tqdm(items, desc=desc, unit="q", file=sys.stderr)


class ConfigRunner:
    """Asks every question (and conversation) of an eval set through one configuration."""

    def __init__(self, config: EvalConfig, stored: StoredTexts, evaluator: QAEvaluator) -> None:
        self.config = config
        self.stored = stored
        self.evaluator = evaluator

    def run(
        self, questions: Sequence[EvalQuestion], conversations: Sequence[Conversation], *, progress: bool
    ) -> ConfigRun:
        started = time.perf_counter()
        outcomes: list[QuestionOutcome] = []
        records: list[dict[str, Any]] = []
        for question in _progress(questions, self.config.name, progress):
            outcome, record = self._ask(question)
            outcomes.append(outcome)
            records.append(record)
        # An answering config whose every free answer came back empty does not answer (yet).
        if not any(
            (o.answer or o.abstained) for o in outcomes if o.answer is not None or o.abstained is not None
        ):
            for outcome, record in zip(outcomes, records, strict=True):
                outcome.answer = outcome.abstained = None
                record["answer"] = record["abstained"] = None
        turns, turn_records = self._conversations(conversations) if self.config.answers else ([], [])
        row = dict(self.evaluator(outcomes, turns))
        row["questions"] = len(outcomes)
        row["answerable"] = sum(1 for o in outcomes if o.answerable)
        row["config"] = {"name": self.config.name, **self.config.description}
        row["seconds"] = round(time.perf_counter() - started, 3)
        curve = QAEvaluator(k_values=range(1, CUTOFF + 1), cutoff=CUTOFF)(
            [o for o in outcomes if o.answerable]
        )
        hits_curve = [curve[f"hits@{k}"] for k in range(1, CUTOFF + 1)]
        return ConfigRun(
            row, records, turn_records, hits_curve, MetricSamples.of(self.evaluator, outcomes, turns)
        )

    def _ask(self, question: EvalQuestion) -> tuple[QuestionOutcome, dict[str, Any]]:
        answerer = self.config.answerer
        started = time.perf_counter()
        answer = answerer.ask(question.question, as_of=question.asked_at, debug=True)
        latency_ms = (time.perf_counter() - started) * 1000.0
        hits = (answer.retrieved or [])[:CUTOFF]
        outcome = QuestionOutcome(
            question_id=question.id,
            answers=question.answers,
            relevant_article_ids=question.relevant_article_ids,
            answerable=question.answerable,
            retrieved_article_ids=[h.chunk.article_id for h in hits],
            retrieved_texts=[h.chunk.text for h in hits],
            latency_ms=latency_ms,
        )
        chosen: str | None = None
        if self.config.answers:
            outcome.answer = answer.answer
            outcome.abstained = answer.abstained
            outcome.cited_quotes = [c.quote for c in answer.citations]
            every_citation = list(answer.citations) + list(answer.related)
            outcome.citations_checked = len(every_citation)
            outcome.citations_exact = sum(1 for c in every_citation if self.stored.exact(c))
            if question.choices and question.answers:
                chosen, outcome.choice_correct = self._choose(question)
        return outcome, self._record(question, outcome, answer, chosen)

    def _choose(self, question: EvalQuestion) -> tuple[str | None, bool | None]:
        try:
            answer = self.config.answerer.ask(
                question.question, as_of=question.asked_at, choices=question.choices
            )
        except NotImplementedError:
            return None, None
        if answer.abstained:
            return None, False
        return answer.answer, exact_match(answer.answer, question.answers) == 1.0

    def _record(
        self, question: EvalQuestion, outcome: QuestionOutcome, answer: Answer, chosen: str | None
    ) -> dict[str, Any]:
        ranking = dedupe_ranking(outcome.retrieved_article_ids)
        relevant = set(question.relevant_article_ids)
        single = self.evaluator.compute([outcome]) if self.config.answers else {}
        return {
            "id": question.id,
            "question": question.question,
            "asked_at": question.asked_at,
            "gold": question.answers,
            "answerable": question.answerable,
            "relevant_article_ids": question.relevant_article_ids,
            "answer": outcome.answer,
            "abstained": outcome.abstained,
            "choice": chosen,
            "rewritten": answer.query.rewritten,
            "retrieved": [
                {"rank": rank, "article_id": h.chunk.article_id, "start": h.chunk.start, "end": h.chunk.end}
                for rank, h in enumerate((answer.retrieved or [])[:CUTOFF], start=1)
            ],
            "retrieved_article_ids": [{"rank": r, "article_id": a} for r, a in enumerate(ranking, start=1)],
            "cited_quotes": outcome.cited_quotes,
            "correct": {
                "hits@1": bool(hits_at_k(ranking, relevant, 1)) if question.answerable else None,
                f"hits@{CUTOFF}": bool(hits_at_k(ranking, relevant, CUTOFF)) if question.answerable else None,
                "answer_em": _flag(single.get("answer_em")),
                "answer_contains": _flag(single.get("answer_contains")),
                "answer_contains_uncapped": _flag(single.get("answer_contains_uncapped")),
                "citation_support": _flag(single.get("citation_support")),
                "abstention": (outcome.abstained == (not question.answerable))
                if outcome.abstained is not None
                else None,
                "choice": outcome.choice_correct,
            },
            "latency_ms": round(outcome.latency_ms or 0.0, 1),
            # What the answerer judged (candidate answer, features, fit), for tuning on training sets.
            "assessment": answer.assessment,
        }

    def _conversations(
        self, conversations: Sequence[Conversation]
    ) -> tuple[list[TurnOutcome], list[dict[str, Any]]]:
        turns: list[TurnOutcome] = []
        records: list[dict[str, Any]] = []
        for conversation in conversations:
            history: list[dict[str, str]] = []
            for position, turn in enumerate(conversation.turns):
                answer = self.config.answerer.ask(
                    turn.question, history=list(history) or None, as_of=conversation.asked_at
                )
                history += [
                    {"role": "user", "content": turn.question},
                    {"role": "assistant", "content": answer.answer},
                ]
                outcome = TurnOutcome(
                    conversation.id, position, turn.answers, answer.answer, answer.abstained
                )
                if position > 0:
                    turns.append(outcome)
                records.append(
                    {
                        "conversation_id": conversation.id,
                        "turn": position,
                        "question": turn.question,
                        "rewritten": answer.query.rewritten,
                        "gold": turn.answers,
                        "answer": answer.answer,
                        "abstained": answer.abstained,
                        "correct": outcome.correct if position > 0 else None,
                    }
                )
        return turns, records


def _flag(value: float | None) -> bool | None:
    return None if value is None else value == 1.0


def run_configs(
    evalset: EvalSet,
    configs: Sequence[EvalConfig],
    stored: StoredTexts,
    *,
    progress: bool = False,
) -> dict[str, ConfigRun]:
    """Every config over the eval set; the part of `run_eval` that needs no index (tests use fakes)."""
    evaluator = QAEvaluator(k_values=(1, 5, 10), cutoff=CUTOFF)
    return {
        config.name: ConfigRunner(config, stored, evaluator).run(
            evalset.questions, evalset.conversations, progress=progress
        )
        for config in configs
    }


def build_report(
    evalset: EvalSet,
    runs: dict[str, ConfigRun],
    *,
    index_info: dict[str, Any] | None,
    seconds: float,
    limit: int | None = None,
    ids: Sequence[str] | None = None,
    asked: tuple[str | None, str | None] = (None, None),
    bootstrap: BootstrapSpec | None = DEFAULT_BOOTSTRAP,
) -> dict[str, Any]:
    """The report dict; with `bootstrap`, each metric's 95% interval and paired deltas beside the rows."""
    sampled = {name: run.samples for name, run in runs.items() if run.samples is not None}
    report = {
        "primary_metric": QAEvaluator.primary_metric,
        "run": {
            "dataset": {
                "articles": str(evalset.articles_path) if evalset.articles_path else None,
                "questions": str(evalset.questions_path) if evalset.questions_path else None,
                "conversations": str(evalset.conversations_path) if evalset.conversations_path else None,
                "article_count": len(evalset.articles),
                "question_count": len(evalset.questions),
                "conversation_count": len(evalset.conversations),
            },
            "command": " ".join(sys.argv),
            "timestamp": dt.datetime.now(dt.UTC).isoformat(timespec="seconds"),
            "limit": limit,
            "ids": list(ids) if ids else None,
            "asked_from": asked[0],
            "asked_to": asked[1],
            "index": index_info,
            "durations": {
                "total_seconds": round(seconds, 3),
                "index_seconds": (index_info or {}).get("seconds")
                if not (index_info or {}).get("reused")
                else 0.0,
                "configs": {name: run.row["seconds"] for name, run in runs.items()},
            },
        },
        "configs": {name: run.row for name, run in runs.items()},
        "hits_at_k": {name: run.hits_curve for name, run in runs.items()},
    }
    if bootstrap is not None and sampled:
        report.update(report_sections(sampled, bootstrap))
    return report


def run_eval(
    settings: Settings,
    articles_path: str | Path,
    questions_path: str | Path,
    *,
    configs: Sequence[str] = ("ours",),
    limit: int | None = None,
    ids: Sequence[str] | None = None,
    out_dir: str | Path | None = None,
    json_path: str | Path | None = None,
    conversations_path: str | Path | None = None,
    progress: bool = True,
    show_table: bool = True,
    asked_from: str | None = None,
    asked_to: str | None = None,
    bootstrap: BootstrapSpec | None = DEFAULT_BOOTSTRAP,
) -> dict[str, Any]:
    """Evaluate `configs` on an eval set; returns the report and writes it to `out_dir` / `json_path`.

    `asked_from` / `asked_to` (ISO dates, inclusive) keep the questions asked in that window (a time
    split); `bootstrap` adds 95% intervals (None: none). out_dir gets report.json, report.md, questions-<config>.jsonl (+ conversations-<config>.jsonl)
    and hits_at_k.png; json_path gets report.json alone. Raises InvalidInput for a bad eval file.
    """
    started = time.perf_counter()
    _check_config_names(configs)
    evalset = load_evalset(articles_path, questions_path, conversations_path).select(
        ids=list(ids) if ids else None, limit=limit, asked_from=asked_from, asked_to=asked_to
    )
    eval_index = EvalIndex(settings, Path(articles_path))
    index_info = eval_index.ensure(list(evalset.articles.values()), progress=progress)
    built = _build_configs(configs, eval_index, evalset, progress=progress)
    stored = StoredTexts(_store_lookup(eval_index.settings, built))
    runs = run_configs(evalset, built, stored, progress=progress)
    report = build_report(
        evalset,
        runs,
        index_info=index_info,
        seconds=time.perf_counter() - started,
        limit=limit,
        ids=ids,
        asked=(asked_from, asked_to),
        bootstrap=bootstrap,
    )
    write_outputs(
        report,
        {name: run.records for name, run in runs.items()},
        {name: run.turn_records for name, run in runs.items()},
        out_dir=Path(out_dir) if out_dir else None,
        json_path=Path(json_path) if json_path else None,
    )
    if show_table:
        print_table(report)
    return report


def _check_config_names(configs: Sequence[str]) -> None:
    unknown = [c for c in configs if c not in KNOWN_CONFIGS]
    if unknown or not configs:
        raise InvalidInput(f"unknown eval config(s) {unknown or configs} (known: {', '.join(KNOWN_CONFIGS)})")


def _build_configs(
    configs: Sequence[str], eval_index: EvalIndex, evalset: EvalSet, *, progress: bool
) -> list[EvalConfig]:
    """Each named config over the eval index; llama-index builds its own index from the cleaned articles."""
    return [
        build_config(
            name,
            eval_index.settings,
            index_dir=eval_index.path,
            articles=_cleaned_articles(evalset) if name == "llamaindex" else [],
            progress=progress,
        )
        for name in configs
    ]


def _cleaned_articles(evalset: EvalSet) -> list[Article]:
    """The eval articles as ingestion stores them; ones it rejects are already in the index report."""
    return [a for a in EvalIndex._loaded(list(evalset.articles.values())) if isinstance(a, Article)]


def _store_lookup(index_settings: Settings, configs: Sequence[EvalConfig]) -> Callable[[str], Any]:
    """`get_article` of the eval index's store: an answerer's own store when it exposes one."""
    for config in configs:
        store = getattr(config.answerer, "store", None)
        if store is not None and hasattr(store, "get_article"):
            return store.get_article
    holder: dict[str, Any] = {}

    def fetch(article_id: str) -> Any:
        if "store" not in holder:
            from index.pipeline import build_embedder, build_store

            holder["store"] = build_store(index_settings, build_embedder(index_settings))
        return holder["store"].get_article(article_id)

    return fetch


def run_shipped(
    settings: Settings, name: str, *, configs: Sequence[str] = ("ours",), **kwargs: Any
) -> dict[str, Any]:
    """`run_eval` on a set shipped in eval/datasets/<name>/ (e.g. "seed"), its conversations included."""
    from eval.evalsets import shipped_dataset

    articles, questions, conversations = shipped_dataset(name)
    kwargs.setdefault("conversations_path", conversations)
    return run_eval(settings, articles, questions, configs=configs, **kwargs)
