"""No test quotes an eval-set question: tests check rules on sentences written for them.

A run of six words (lower-cased letters and digits) shared with a question of the shipped dev set,
or of the training sets in ../shared/data when present, counts as a quote. Run:
    pytest tests/test_no_eval_questions.py
"""

from __future__ import annotations

import json
import re
from functools import cache
from pathlib import Path

import pytest

from tests.conftest import REPO, SHARED

RUN_LENGTH = 6
DEV_QUESTIONS = REPO / "eval" / "datasets" / "realtimeqa-2022" / "questions.jsonl"
TRAINING_QUESTIONS = {
    "realtimeqa-2022-train": SHARED / "data" / "realtimeqa-2022-train" / "questions.jsonl",
    "realtimeqa-2023-24": SHARED / "data" / "realtimeqa-2023-24" / "questions.jsonl",
}
_WORD = re.compile(r"[a-z0-9]+")


def word_runs(text: str) -> set[tuple[str, ...]]:
    """Every run of RUN_LENGTH consecutive words of the text, lower-cased."""
    words = _WORD.findall(text.lower())
    return {tuple(words[i : i + RUN_LENGTH]) for i in range(len(words) - RUN_LENGTH + 1)}


@cache
def question_runs(path: Path) -> dict[tuple[str, ...], str]:
    """Each word run of the questions in a questions.jsonl, mapped to the id of a question it is in."""
    runs: dict[tuple[str, ...], str] = {}
    with path.open(encoding="utf-8") as fh:
        for line in fh:
            if line.strip():
                record = json.loads(line)
                for run in word_runs(record["question"]):
                    runs.setdefault(run, record["id"])
    return runs


@cache
def runs_by_test_file() -> dict[str, set[tuple[str, ...]]]:
    """The word runs of each .py file under tests/, by its path from the repository root."""
    return {
        path.relative_to(REPO).as_posix(): word_runs(path.read_text(encoding="utf-8"))
        for path in sorted((REPO / "tests").rglob("*.py"))
    }


def quotes(questions: dict[tuple[str, ...], str], files: dict[str, set[tuple[str, ...]]]) -> list[str]:
    """'file quotes question ID: "the words"' for each file and question it quotes, naming its alphabetically first shared run."""
    found: dict[tuple[str, str], tuple[str, ...]] = {}
    for name, runs in files.items():
        for run in sorted(runs & questions.keys()):
            found.setdefault((name, questions[run]), run)
    return [f'{name} quotes question {qid}: "{" ".join(run)}"' for (name, qid), run in sorted(found.items())]


def assert_no_quotes(questions_path: Path) -> None:
    found = quotes(question_runs(questions_path), runs_by_test_file())
    assert not found, "write your own sentences instead of eval questions:\n" + "\n".join(found)


def test_no_dev_question_is_quoted() -> None:
    assert_no_quotes(DEV_QUESTIONS)


@pytest.mark.parametrize("name", sorted(TRAINING_QUESTIONS))
def test_no_training_question_is_quoted(name: str) -> None:
    if not TRAINING_QUESTIONS[name].is_file():
        pytest.skip(f"{TRAINING_QUESTIONS[name]} is not present")
    assert_no_quotes(TRAINING_QUESTIONS[name])


def test_a_quoted_question_is_found_and_named() -> None:
    questions = {run: "q1" for run in word_runs("Which bakery won the national sourdough prize this week?")}
    files = {
        "a.py": word_runs('ask("Which bakery won the National Sourdough prize?")'),
        "b.py": word_runs("It won the national sourdough prize"),  # five of its words
    }
    assert quotes(questions, files) == ['a.py quotes question q1: "bakery won the national sourdough prize"']
