"""The hand-set abstention rule replayed offline over collected answers: threshold sweeps and ablations.

`newsqa train --features-cache DIR` asks every question once free and once with its choices, withholding
nothing, and keeps each answer with the numbers the hand-set rule of `qa.service` reads (the extractor's
confidence, the best passage's retrieval support). From those rows this module decides again, at any
thresholds, what `Answerer.ask` would have withheld, and scores the result with `eval.metrics`, so
thresholds can be swept on training questions and two code versions compared question by question
(paired bootstrap) without asking again. Retrieval metrics are not replayed (the rows keep no ranking).

Usage:
    rows = load_rows(Path("features/rows-3b14....json"))        # a list (train cache) or JSON lines
    gold = {q.id: q for q in load_evalset(articles_path, questions_path).questions}
    outcomes = replay(rows, gold, HandSetRule(0.18, 2.7))
    best = pick_rule(rows, gold)                                  # issue #21's rule on a grid

    python -m eval.replay --articles A.jsonl.gz --questions Q.jsonl --rows before.json \
        [--against after.json] [--sweep]
"""

from __future__ import annotations

import argparse
import json
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from eval.bootstrap import DEFAULT_BOOTSTRAP, MetricSamples, paired_deltas
from eval.calibration import ABSTENTION_TARGET
from eval.evalsets import EvalQuestion, load_evalset
from eval.metrics import QAEvaluator, QuestionOutcome, exact_match
from qa.service import CHOICE_THRESHOLD_FACTOR, DEFAULT_ABSTAIN_THRESHOLD, DEFAULT_MIN_RETRIEVAL_SCORE

ANSWER_METRICS = (
    "answer_em",
    "answer_contains",
    "answer_contains_uncapped",
    "mc_accuracy",
    "abstain_precision",
    "abstain_recall",
)
# The grid a sweep walks: confidence 0 to 0.5 by 0.02, retrieval support 0 to 4 by 0.1.
CONFIDENCE_GRID = tuple(round(0.02 * i, 2) for i in range(26))
SUPPORT_GRID = tuple(round(0.1 * i, 1) for i in range(41))


@dataclass(frozen=True)
class HandSetRule:
    """`qa.service`'s rule without a model: answer when confidence >= `abstain_threshold` and the best
    passage's support >= `min_retrieval_score`, both x `choice_factor` when choices are given."""

    abstain_threshold: float = DEFAULT_ABSTAIN_THRESHOLD
    min_retrieval_score: float = DEFAULT_MIN_RETRIEVAL_SCORE
    choice_factor: float = CHOICE_THRESHOLD_FACTOR

    def withholds(self, row: Mapping[str, Any]) -> bool:
        features = row.get("features") or {}
        confidence, support = features.get("extractor_confidence"), features.get("retrieval_support")
        if confidence is None or not features.get("support_articles"):
            return True  # nothing found, or an extraction without supporting sentences
        factor = self.choice_factor if row["kind"] == "choice" else 1.0
        if support is not None and support < self.min_retrieval_score * factor:
            return True
        return confidence < self.abstain_threshold * factor


def load_rows(path: Path) -> list[dict[str, Any]]:
    """Rows of `newsqa train --features-cache` (a JSON list) or the same rows as JSON lines."""
    text = path.read_text(encoding="utf-8")
    if text.lstrip().startswith("["):
        return list(json.loads(text))
    return [json.loads(line) for line in text.splitlines() if line.strip()]


def replay(
    rows: Sequence[Mapping[str, Any]], questions: Mapping[str, EvalQuestion], rule: HandSetRule
) -> list[QuestionOutcome]:
    """One outcome per question with a free row, in row order, as the harness would score it."""
    choices = {r["id"]: r for r in rows if r["kind"] == "choice"}
    out: list[QuestionOutcome] = []
    for row in (r for r in rows if r["kind"] == "free"):
        q = questions[row["id"]]
        outcome = QuestionOutcome(
            q.id,
            q.answers,
            q.relevant_article_ids,
            q.answerable,
            [],
            [],
            row["candidate"],
            rule.withholds(row),
        )
        chosen = choices.get(q.id)
        if chosen is not None and q.answers:
            right = exact_match(chosen["candidate"], q.answers) == 1.0
            outcome.choice_correct = right and not rule.withholds(chosen)
        out.append(outcome)
    return out


def answer_metrics(outcomes: Sequence[QuestionOutcome]) -> dict[str, float | None]:
    row = QAEvaluator().compute(outcomes)
    return {name: row[name] for name in ANSWER_METRICS}


def compare(before: Sequence[QuestionOutcome], after: Sequence[QuestionOutcome]) -> dict[str, dict[str, Any]]:
    """after - before for each answer metric, with its paired 95% bootstrap interval."""
    evaluator = QAEvaluator()
    deltas = paired_deltas(
        MetricSamples.of(evaluator, after), MetricSamples.of(evaluator, before), DEFAULT_BOOTSTRAP
    )
    return {name: deltas[name] for name in ANSWER_METRICS if name in deltas}


def changed_rows(before: Sequence[Mapping[str, Any]], after: Sequence[Mapping[str, Any]]) -> list[str]:
    """ "id/kind" of the rows whose answer or confidence differs between two collections."""
    seen = {(r["id"], r["kind"]): r for r in before}
    out = []
    for row in after:
        old = seen[(row["id"], row["kind"])]
        confidences = [(r.get("features") or {}).get("extractor_confidence") for r in (old, row)]
        if old["candidate"] != row["candidate"] or confidences[0] != confidences[1]:
            out.append(f"{row['id']}/{row['kind']}")
    return out


def pick_rule(
    rows: Sequence[Mapping[str, Any]], questions: Mapping[str, EvalQuestion]
) -> tuple[HandSetRule, dict[str, float | None]]:
    """The grid point of issue #21's rule (eval.calibration.choose_threshold's "abstention"): abstention
    precision and recall both >= ABSTENTION_TARGET with the best F1, else the largest min(P, R)."""
    best: tuple[tuple[float, ...], HandSetRule, dict[str, float | None]] | None = None
    for confidence in CONFIDENCE_GRID:
        for support in SUPPORT_GRID:
            rule = HandSetRule(confidence, support)
            metrics = answer_metrics(replay(rows, questions, rule))
            precision, recall = metrics["abstain_precision"] or 0.0, metrics["abstain_recall"] or 0.0
            f1 = 2 * precision * recall / (precision + recall) if precision + recall else 0.0
            worse = min(precision, recall)
            key = (1.0, f1) if worse >= ABSTENTION_TARGET else (0.0, worse, f1)
            if best is None or key > best[0]:
                best = (key, rule, metrics)
    assert best is not None
    return best[1], best[2]


def main(argv: Sequence[str] | None = None) -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--articles", type=Path, required=True)
    parser.add_argument("--questions", type=Path, required=True)
    parser.add_argument("--rows", type=Path, required=True)
    parser.add_argument("--against", type=Path, help="rows of another code version: paired deltas")
    parser.add_argument("--sweep", action="store_true", help="pick both thresholds on these rows")
    parser.add_argument("--abstain-threshold", type=float, default=DEFAULT_ABSTAIN_THRESHOLD)
    parser.add_argument("--min-retrieval-score", type=float, default=DEFAULT_MIN_RETRIEVAL_SCORE)
    args = parser.parse_args(argv)
    questions = {q.id: q for q in load_evalset(args.articles, args.questions).questions}
    rows = load_rows(args.rows)
    rule = HandSetRule(args.abstain_threshold, args.min_retrieval_score)
    result: dict[str, Any] = {"rule": vars(rule), "metrics": answer_metrics(replay(rows, questions, rule))}
    if args.against is not None:
        other = load_rows(args.against)
        result["changed"] = changed_rows(rows, other)
        result["deltas"] = compare(replay(rows, questions, rule), replay(other, questions, rule))
    if args.sweep:
        picked, metrics = pick_rule(rows, questions)
        result["picked"] = {"rule": vars(picked), "metrics": metrics}
    print(json.dumps(result, indent=2))


if __name__ == "__main__":
    main()
