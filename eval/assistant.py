"""Assistant questions: is what the product shows right, wrong, or withheld?

Usage (one command; `make eval-assistant`):
    python -m eval.assistant --out out/eval-assistant

Every question of `eval/datasets/demo/assistant40.jsonl` goes through `Answerer.ask` (the code path of
the CLI, API and UI) over the cached eval index of the demo articles (`eval.eval_index.EvalIndex`, built
once under `<data_dir>/eval/<key>/`). A follow-up is asked after its `context` questions, with the
history a chat client sends back: each earlier question and the answer it was shown. Each question is
then one of three outcomes (`classify`):

- right: the answer shown carries an accepted fact (`accepted`: any one of them, in the direct answer
  part; `required` + `min_required`: at least that many of the listed facts anywhere in the timeline
  or profile shown), or a question the corpus does not answer (`answerable: false`) was withheld;
- wrong: something was shown that is not right (any answer to an unanswerable question included);
- withheld: an answerable question was withheld.

A wrong answer shown is worse than an answer withheld, so the report gives the wrong-shown rate beside
the right rate, each with a 95% percentile-bootstrap interval over questions (`eval.bootstrap`).
"""

from __future__ import annotations

import argparse
import json
import re
import sys
import time
from collections.abc import Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import numpy as np

from eval.bootstrap import DEFAULT_BOOTSTRAP, BootstrapSpec
from eval.evalsets import DATASETS_DIR, _LineChecker, _read_jsonl, load_articles
from newsqa.errors import InvalidInput

QUESTIONS_PATH = DATASETS_DIR / "demo" / "assistant40.jsonl"
ARTICLES_PATH = DATASETS_DIR / "demo" / "articles.jsonl.gz"
KINDS = ("factual", "timeline", "profile", "followup", "unanswerable")
OUTCOMES = ("right", "wrong", "withheld")
# The direct answer of a readable answer: the span, then an absolute date in brackets if one was added
# ("Thursday (Aug. 26, 2021)"); the quoted sentence after it is evidence, not the answer.
_DATE_NOTE = r"(?:\s*\([^)]*\))?"
_QUOTE_MARKS = str.maketrans({"“": '"', "”": '"', "‘": "'", "’": "'"})


@dataclass(frozen=True)
class AssistantQuestion:
    """One written question; `context` holds the earlier turns of a follow-up's conversation."""

    id: str
    kind: str
    asked_at: str
    question: str
    answerable: bool
    accepted: list[str] = field(default_factory=list)
    required: list[str] = field(default_factory=list)
    min_required: int = 0
    context: list[str] = field(default_factory=list)


@dataclass(frozen=True)
class Shown:
    """What a reader sees: the whole answer text and its direct-answer part (`lead`)."""

    text: str
    lead: str
    withheld: bool


def load_questions(path: str | Path = QUESTIONS_PATH) -> list[AssistantQuestion]:
    """The question file, checked line by line (`InvalidInput("assistant40.jsonl:7: ...")`)."""
    path = Path(path)
    questions: list[AssistantQuestion] = []
    for number, record in _read_jsonl(path):
        check = _LineChecker(path, number, record)
        kind = check.string("kind") or ""
        if kind not in KINDS:
            raise check.fail(f"kind must be one of {', '.join(KINDS)}, got {kind!r}")
        answerable = record.get("answerable")
        if not isinstance(answerable, bool):
            raise check.fail("field 'answerable' must be true or false")
        question = AssistantQuestion(
            id=check.string("id") or "",
            kind=kind,
            asked_at=check.date("asked_at") or "",
            question=check.string("question") or "",
            answerable=answerable,
            accepted=check.string_list("accepted", required=False) or [],
            required=check.string_list("required", required=False) or [],
            min_required=int(record.get("min_required") or 0),
            context=check.string_list("context", required=False) or [],
        )
        _check_gold(check, question)
        questions.append(question)
    if len({q.id for q in questions}) != len(questions):
        raise InvalidInput(f"{path.name}: duplicate question ids")
    return questions


def _check_gold(check: _LineChecker, question: AssistantQuestion) -> None:
    if not question.answerable:
        if question.accepted or question.required:
            raise check.fail("an unanswerable question takes no accepted or required facts")
    elif question.required:
        if not 1 <= question.min_required <= len(question.required):
            raise check.fail("min_required must be between 1 and the number of required facts")
    elif not question.accepted:
        raise check.fail("an answerable question needs 'accepted' answers or 'required' facts")
    if question.kind == "followup" and not question.context:
        raise check.fail("a follow-up needs the earlier questions of its conversation in 'context'")


def fold(text: str) -> str:
    """Case, curly quotes and spacing do not matter when a fact is looked for."""
    return " ".join(text.translate(_QUOTE_MARKS).casefold().split())


def classify(question: AssistantQuestion, shown: Shown) -> str:
    """'right', 'wrong' or 'withheld' (see the module docstring)."""
    if shown.withheld:
        return "withheld" if question.answerable else "right"
    if not question.answerable:
        return "wrong"
    if question.required:
        text = fold(shown.text)
        found = sum(1 for fact in question.required if fold(fact) in text)
        return "right" if found >= question.min_required else "wrong"
    lead = fold(shown.lead)
    return "right" if any(fold(a) in lead for a in question.accepted) else "wrong"


def shown_answer(answer: Any) -> Shown:
    """What the chat UI and API show: the readable form `Answer.answer_text` (the direct answer with
    relative dates made absolute and its quoted sentence, or a dated timeline or profile).

    Code from before readable answers (commit a6108dc) has no `answer_text`; it showed `Answer.answer`
    with the citations beside it, and that is what is scored for it.
    """
    text = getattr(answer, "answer_text", None) or answer.answer
    lead = text
    direct = re.match(re.escape(answer.answer) + _DATE_NOTE, text) if answer.answer else None
    if direct is not None and direct.end() < len(text):
        lead = direct.group(0)
    return Shown(text=text, lead=lead, withheld=bool(answer.abstained))


def ask_question(answerer: Any, question: AssistantQuestion) -> dict[str, Any]:
    """Ask the question (after its context turns) and score what is shown; one report record."""
    history: list[dict[str, str]] = []
    for earlier in question.context:
        earlier_answer = answerer.ask(earlier, history=list(history) or None, as_of=question.asked_at)
        shown = shown_answer(earlier_answer)
        history += [{"role": "user", "content": earlier}, {"role": "assistant", "content": shown.text}]
    answer = answerer.ask(question.question, history=list(history) or None, as_of=question.asked_at)
    shown = shown_answer(answer)
    return {
        "id": question.id,
        "kind": question.kind,
        "question": question.question,
        "context": question.context,
        "asked_at": question.asked_at,
        "answerable": question.answerable,
        "outcome": classify(question, shown),
        "shown": shown.text,
        "lead": shown.lead,
        "rewritten": answer.query.rewritten,
    }


def rate_interval(flags: Sequence[float], spec: BootstrapSpec) -> list[float] | None:
    """95% percentile-bootstrap interval of the mean of per-question values (a share of True flags,
    or a mean of paired differences), resampling questions."""
    if not len(flags):
        return None
    values = np.array(flags, dtype=float)
    means = values[spec.indices(len(values), 0)].mean(axis=1)
    tail = (1.0 - spec.level) / 2.0 * 100.0
    low, high = np.percentile(means, [tail, 100.0 - tail])
    return [round(float(low), 4), round(float(high), 4)]


def summarise(records: Sequence[dict[str, Any]], spec: BootstrapSpec = DEFAULT_BOOTSTRAP) -> dict[str, Any]:
    """Counts per kind and overall, the right and wrong-shown rates with their intervals."""
    by_kind = {
        kind: {o: sum(1 for r in records if r["kind"] == kind and r["outcome"] == o) for o in OUTCOMES}
        for kind in KINDS
    }
    total = {o: sum(1 for r in records if r["outcome"] == o) for o in OUTCOMES}
    n = len(records)
    return {
        "questions": n,
        "counts": total,
        "by_kind": by_kind,
        "right_rate": round(total["right"] / n, 4) if n else None,
        "right_rate_ci95": rate_interval([r["outcome"] == "right" for r in records], spec),
        "wrong_rate": round(total["wrong"] / n, 4) if n else None,
        "wrong_rate_ci95": rate_interval([r["outcome"] == "wrong" for r in records], spec),
        "bootstrap": spec.describe(),
    }


def paired_deltas(
    baseline: Sequence[dict[str, Any]],
    records: Sequence[dict[str, Any]],
    spec: BootstrapSpec = DEFAULT_BOOTSTRAP,
) -> dict[str, dict[str, Any]]:
    """records minus baseline for the right and wrong-shown rates, question by question, with the
    interval of each difference (one that excludes 0 beats resampling noise)."""
    before = {r["id"]: r["outcome"] for r in baseline}
    if set(before) != {r["id"] for r in records}:
        raise InvalidInput("the baseline report holds other questions than this run")
    deltas: dict[str, dict[str, Any]] = {}
    for outcome in ("right", "wrong"):
        diffs = [float(r["outcome"] == outcome) - float(before[r["id"]] == outcome) for r in records]
        deltas[outcome] = {
            "delta": round(sum(diffs) / len(diffs), 4) if diffs else None,
            "ci95": rate_interval(diffs, spec),
        }
    return deltas


def _interval_text(rate: float | None, interval: list[float] | None) -> str:
    if rate is None or interval is None:
        return "-"
    return f"{rate:.3f} ({interval[0]:.3f}-{interval[1]:.3f})"


def counts_table(summary: dict[str, Any]) -> list[str]:
    """Markdown lines: right / wrong / withheld by kind and overall, then the two rates."""
    lines = ["| kind | n | right | wrong | withheld |", "|---|---:|---:|---:|---:|"]
    for kind, counts in summary["by_kind"].items():
        lines.append(
            f"| {kind} | {sum(counts.values())} | " + " | ".join(str(counts[o]) for o in OUTCOMES) + " |"
        )
    total = summary["counts"]
    lines.append(f"| all | {summary['questions']} | " + " | ".join(str(total[o]) for o in OUTCOMES) + " |")
    lines += [
        "",
        f"right rate {_interval_text(summary['right_rate'], summary['right_rate_ci95'])}, "
        f"wrong-shown rate {_interval_text(summary['wrong_rate'], summary['wrong_rate_ci95'])} "
        "(95% bootstrap intervals)",
    ]
    return lines


def delta_lines(against: dict[str, Any] | None) -> list[str]:
    """One line per rate: this run minus the baseline, with its 95% paired interval."""
    lines = []
    for outcome in ("right", "wrong"):
        if against and against.get(outcome, {}).get("ci95"):
            delta = against[outcome]
            low, high = delta["ci95"]
            lines.append(
                f"{outcome} rate minus baseline: {delta['delta']:+.3f} (95% paired interval {low:+.3f} to {high:+.3f})"
            )
    return lines


def markdown(
    summary: dict[str, Any], records: Sequence[dict[str, Any]], against: dict[str, Any] | None = None
) -> str:
    """The counts table by kind, the two rates (and differences from a baseline), one line per question."""
    lines = [
        *counts_table(summary),
        *(["", *delta_lines(against)] if against else []),
        "",
        "| id | kind | outcome | question | shown (first 160 characters) |",
        "|---|---|---|---|---|",
    ]
    for r in records:
        shown = " ".join(r["shown"].split())[:160].replace("|", "\\|")
        lines.append(f"| {r['id']} | {r['kind']} | {r['outcome']} | {r['question']} | {shown} |")
    return "\n".join(lines) + "\n"


def build_answerer(settings: Any, articles_path: Path) -> Any:
    """The product's answerer over the cached eval index of `articles_path` (built if missing)."""
    from eval.eval_index import EvalIndex
    from qa.build import build_answerer as build_product_answerer

    index = EvalIndex(settings, articles_path)
    index.ensure(list(load_articles(articles_path).values()))
    return build_product_answerer(index.settings)


def run(
    settings: Any,
    questions_path: Path = QUESTIONS_PATH,
    articles_path: Path = ARTICLES_PATH,
    out_dir: Path | None = None,
    baseline: Path | None = None,
) -> dict[str, Any]:
    """Ask every question; writes report.json and report.md to `out_dir`; returns the report.

    With `baseline` (the report.json of an earlier run, e.g. older code), the report also holds the
    paired differences of the right and wrong-shown rates against it.
    """
    questions = load_questions(questions_path)
    started = time.perf_counter()
    answerer = build_answerer(settings, articles_path)
    records = [ask_question(answerer, q) for q in questions]
    report = {
        "questions_file": str(questions_path),
        "articles_file": str(articles_path),
        "command": " ".join(sys.argv),
        "seconds": round(time.perf_counter() - started, 1),
        "summary": summarise(records),
        "records": records,
    }
    if baseline is not None:
        earlier = json.loads(Path(baseline).read_text(encoding="utf-8"))
        report["against"] = {"baseline": str(baseline), **paired_deltas(earlier["records"], records)}
    if out_dir is not None:
        out_dir.mkdir(parents=True, exist_ok=True)
        (out_dir / "report.json").write_text(
            json.dumps(report, indent=2, ensure_ascii=False), encoding="utf-8"
        )
        (out_dir / "report.md").write_text(
            markdown(report["summary"], records, report.get("against")), encoding="utf-8"
        )
    return report


def main(argv: Sequence[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m eval.assistant", description=__doc__.splitlines()[0])
    parser.add_argument("--questions", type=Path, default=QUESTIONS_PATH)
    parser.add_argument("--articles", type=Path, default=ARTICLES_PATH)
    parser.add_argument("--out", type=Path, default=Path("out/eval-assistant"))
    parser.add_argument("--baseline", type=Path, help="report.json of an earlier run: paired differences")
    args = parser.parse_args(argv)
    from newsqa.settings import Settings

    try:
        report = run(Settings(), args.questions, args.articles, args.out, args.baseline)
    except InvalidInput as exc:
        print(f"error: {exc}", file=sys.stderr)
        return 2
    summary = report["summary"]
    counts = summary["counts"]
    print("\n".join(counts_table(summary)))
    print(
        f"{summary['questions']} questions: right {counts['right']}, wrong {counts['wrong']}, "
        f"withheld {counts['withheld']} ({report['seconds']} s; {args.out / 'report.md'})"
    )
    for outcome, delta in report.get("against", {}).items():
        if outcome in OUTCOMES:
            low, high = delta["ci95"]
            print(
                f"{outcome} rate minus baseline: {delta['delta']:+.3f} (95% paired interval {low:+.3f} to {high:+.3f})"
            )
    return 0


if __name__ == "__main__":
    sys.exit(main())
