"""Eval-set files: loading and validation of articles, questions and conversations (JSON Lines).

Usage:
    evalset = load_evalset("eval/datasets/seed/articles.jsonl", "eval/datasets/seed/questions.jsonl")
    evalset.questions[0].answers, evalset.articles["7999bad3e4a4883b"].text

Every problem is raised as `InvalidInput("questions.jsonl:17: ...")` naming the file and line, so a
bad eval file fails before any indexing starts. Files ending in `.gz` are read transparently.

Named with "evalsets" rather than "datasets" so the module never shadows the data folder
`eval/datasets/` that ships the sets themselves.
"""

from __future__ import annotations

import copy
import datetime as dt
import gzip
import json
from collections.abc import Iterator
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from newsqa.errors import InvalidInput

DATASETS_DIR = Path(__file__).resolve().parent / "datasets"


@dataclass(frozen=True)
class EvalArticle:
    """One article line as written in the eval file (raw text; ingestion cleans it)."""

    id: str
    title: str
    text: str
    source: str = ""
    url: str | None = None
    published: str | None = None


@dataclass(frozen=True)
class EvalQuestion:
    id: str
    question: str
    asked_at: str
    answers: list[str]
    relevant_article_ids: list[str]
    answerable: bool
    choices: list[str] | None = None
    evidence: str = ""


@dataclass(frozen=True)
class ConversationTurn:
    question: str
    answers: list[str]  # [] marks a turn whose right response is an abstention

    @property
    def answerable(self) -> bool:
        return bool(self.answers)


@dataclass(frozen=True)
class Conversation:
    id: str
    asked_at: str
    turns: list[ConversationTurn]


@dataclass(frozen=True)
class AskedWindow:
    """Inclusive range of `asked_at` dates; either end may be open (None)."""

    start: dt.date | None = None
    end: dt.date | None = None

    @classmethod
    def parse(cls, asked_from: str | None, asked_to: str | None) -> AskedWindow:
        window = cls(_iso_date("asked_from", asked_from), _iso_date("asked_to", asked_to))
        if window.start and window.end and window.start > window.end:
            raise InvalidInput(f"asked_from {window.start} is after asked_to {window.end}")
        return window

    def holds(self, asked_at: str) -> bool:
        day = dt.date.fromisoformat(asked_at)
        return (self.start is None or day >= self.start) and (self.end is None or day <= self.end)

    def __str__(self) -> str:
        return f"from {self.start or 'the start'} to {self.end or 'the end'}"


def _iso_date(name: str, value: str | None) -> dt.date | None:
    if not value:
        return None
    try:
        return dt.date.fromisoformat(value)
    except ValueError as exc:
        raise InvalidInput(f"{name} is not an ISO date (YYYY-MM-DD): {value!r}") from exc


@dataclass
class EvalSet:
    """Articles by id (file order kept), questions, and optional conversations."""

    articles: dict[str, EvalArticle]
    questions: list[EvalQuestion]
    conversations: list[Conversation] = field(default_factory=list)
    articles_path: Path | None = None
    questions_path: Path | None = None
    conversations_path: Path | None = None

    def select(
        self,
        *,
        ids: list[str] | None = None,
        limit: int | None = None,
        asked_from: str | None = None,
        asked_to: str | None = None,
    ) -> EvalSet:
        """A copy restricted to the question ids given (in file order), to questions (and conversations)
        asked between `asked_from` and `asked_to` (ISO dates, both inclusive), then to the first `limit`.

            dev.select(asked_from="2024-01-01")   # a time split: only the questions asked in 2024 on
        """
        questions = self.questions
        conversations = self.conversations
        if asked_from or asked_to:
            window = AskedWindow.parse(asked_from, asked_to)
            questions = [q for q in questions if window.holds(q.asked_at)]
            conversations = [c for c in conversations if window.holds(c.asked_at)]
            if not questions:
                raise InvalidInput(f"no question was asked {window}")
        if ids:
            known = {q.id for q in questions}
            unknown = [i for i in ids if i not in known]
            if unknown:
                raise InvalidInput(f"unknown question id(s): {', '.join(unknown)}")
            wanted = set(ids)
            questions = [q for q in questions if q.id in wanted]
        if limit is not None:
            if limit < 0:
                raise InvalidInput(f"limit must be >= 0, got {limit}")
            questions = questions[:limit]
        return EvalSet(
            articles=self.articles,
            questions=questions,
            conversations=conversations,
            articles_path=self.articles_path,
            questions_path=self.questions_path,
            conversations_path=self.conversations_path,
        )


def _read_jsonl(path: Path) -> Iterator[tuple[int, dict[str, Any]]]:
    """(line number, object) for every non-blank line; bad JSON names file and line."""
    if not path.is_file():
        raise InvalidInput(f"{path}: eval file not found")
    opener = gzip.open if path.suffix == ".gz" else open
    with opener(path, "rt", encoding="utf-8") as handle:
        for number, line in enumerate(handle, start=1):
            if not line.strip():
                continue
            try:
                value = json.loads(line)
            except json.JSONDecodeError as exc:
                raise InvalidInput(f"{path.name}:{number}: invalid JSON ({exc.msg})") from exc
            if not isinstance(value, dict):
                raise InvalidInput(f"{path.name}:{number}: expected a JSON object")
            yield number, value


class _LineChecker:
    """Field checks for one line; every message starts with `file:line:`."""

    def __init__(self, path: Path, number: int, record: dict[str, Any]) -> None:
        self.where = f"{path.name}:{number}"
        self.record = record

    def fail(self, reason: str) -> InvalidInput:
        return InvalidInput(f"{self.where}: {reason}")

    def part(self, label: str, record: dict[str, Any]) -> _LineChecker:
        """Checks for an object inside this line; its messages start with `file:line: label:`."""
        checker = copy.copy(self)
        checker.where, checker.record = f"{self.where}: {label}", record
        return checker

    def string(self, key: str, *, required: bool = True, nullable: bool = False) -> str | None:
        if key not in self.record:
            if required:
                raise self.fail(f"missing field '{key}'")
            return None
        value = self.record[key]
        if value is None and nullable:
            return None
        if not isinstance(value, str) or (required and not value.strip()):
            raise self.fail(f"field '{key}' must be a non-empty string")
        return value

    def date(self, key: str, *, required: bool = True) -> str | None:
        value = self.string(key, required=required, nullable=not required)
        if value is None:
            return None
        try:
            dt.date.fromisoformat(value)
        except ValueError as exc:
            raise self.fail(f"field '{key}' is not an ISO date (YYYY-MM-DD): {value!r}") from exc
        return value

    def string_list(self, key: str, *, required: bool = True) -> list[str] | None:
        if key not in self.record:
            if required:
                raise self.fail(f"missing field '{key}'")
            return None
        value = self.record[key]
        if value is None and not required:
            return None
        if not isinstance(value, list) or not all(isinstance(v, str) and v.strip() for v in value):
            raise self.fail(f"field '{key}' must be a list of non-empty strings")
        return list(value)


def _lines_with_ids(path: Path, kind: str) -> Iterator[tuple[_LineChecker, str]]:
    """(checker, id) for every line of `path`; an id already seen fails as a duplicate `kind` id."""
    seen: set[str] = set()
    for number, record in _read_jsonl(path):
        check = _LineChecker(path, number, record)
        item_id = check.string("id") or ""
        if item_id in seen:
            raise check.fail(f"duplicate {kind} id '{item_id}'")
        seen.add(item_id)
        yield check, item_id


def _choices(check: _LineChecker, value: Any) -> list[str] | None:
    """Options as given, minus blank ones (RealTime QA pads some lists with an empty fifth option)."""
    if value is None:
        return None
    if not isinstance(value, list) or not all(isinstance(v, str) for v in value):
        raise check.fail("field 'choices' must be a list of strings")
    options = [v for v in value if v.strip()]
    if len(options) < 2:
        raise check.fail("field 'choices' needs at least two non-blank options")
    return options


def load_articles(path: str | Path) -> dict[str, EvalArticle]:
    path = Path(path)
    articles: dict[str, EvalArticle] = {}
    for check, article_id in _lines_with_ids(path, "article"):
        articles[article_id] = EvalArticle(
            id=article_id,
            title=check.string("title", required=False, nullable=True) or "",
            text=check.string("text") or "",
            source=check.string("source", required=False, nullable=True) or "",
            url=check.string("url", required=False, nullable=True),
            published=check.date("published", required=False),
        )
    if not articles:
        raise InvalidInput(f"{path.name}: no articles")
    return articles


def load_questions(path: str | Path, articles: dict[str, EvalArticle]) -> list[EvalQuestion]:
    """Questions checked against `articles`: known relevant ids, gold answers present verbatim."""
    path = Path(path)
    folded_texts: dict[str, str] = {}
    questions: list[EvalQuestion] = []
    for check, question_id in _lines_with_ids(path, "question"):
        record = check.record
        answerable = record.get("answerable")
        if not isinstance(answerable, bool):
            raise check.fail("field 'answerable' must be true or false")
        answers = check.string_list("answers") or []
        relevant = check.string_list("relevant_article_ids") or []
        unknown = [a for a in relevant if a not in articles]
        if unknown:
            raise check.fail(f"unknown article id(s) in relevant_article_ids: {', '.join(unknown)}")
        if answerable:
            if not answers:
                raise check.fail("an answerable question needs at least one gold answer")
            if not relevant:
                raise check.fail("an answerable question needs relevant_article_ids")
            for gold in answers:
                for article_id in relevant:
                    if article_id not in folded_texts:
                        folded_texts[article_id] = articles[article_id].text.casefold()
                if not any(gold.casefold() in folded_texts[a] for a in relevant):
                    raise check.fail(
                        f"gold answer {gold!r} does not occur verbatim in any relevant article "
                        f"({', '.join(relevant)})"
                    )
        elif relevant:
            raise check.fail("an unanswerable question must have empty relevant_article_ids")
        choices = _choices(check, record.get("choices"))
        if (
            choices is not None
            and answers
            and not any(c.casefold() == answers[0].casefold() for c in choices)
        ):
            raise check.fail(f"choices do not include the gold answer {answers[0]!r}")
        questions.append(
            EvalQuestion(
                id=question_id,
                question=check.string("question") or "",
                asked_at=check.date("asked_at") or "",
                answers=answers,
                relevant_article_ids=relevant,
                answerable=answerable,
                choices=choices,
                evidence=check.string("evidence", required=False, nullable=True) or "",
            )
        )
    if not questions:
        raise InvalidInput(f"{path.name}: no questions")
    return questions


def load_conversations(
    path: str | Path, articles: dict[str, EvalArticle] | None = None
) -> list[Conversation]:
    """Conversations; with `articles`, every gold answer must occur in some article of the set."""
    path = Path(path)
    corpus = "\n".join(a.text.casefold() for a in articles.values()) if articles else None
    conversations: list[Conversation] = []
    for check, conversation_id in _lines_with_ids(path, "conversation"):
        raw_turns = check.record.get("turns")
        if not isinstance(raw_turns, list) or len(raw_turns) < 2:
            raise check.fail("field 'turns' must be a list of at least two turns")
        turns: list[ConversationTurn] = []
        for position, raw in enumerate(raw_turns, start=1):
            if not isinstance(raw, dict):
                raise check.fail(f"turn {position} must be an object")
            turn_check = check.part(f"turn {position}", raw)
            answers = turn_check.string_list("answers") or []
            if corpus is not None:
                for gold in answers:
                    if gold.casefold() not in corpus:
                        raise turn_check.fail(f"gold answer {gold!r} occurs in no article of the set")
            turns.append(ConversationTurn(question=turn_check.string("question") or "", answers=answers))
        conversations.append(
            Conversation(id=conversation_id, asked_at=check.date("asked_at") or "", turns=turns)
        )
    return conversations


def load_evalset(
    articles_path: str | Path,
    questions_path: str | Path,
    conversations_path: str | Path | None = None,
) -> EvalSet:
    articles = load_articles(articles_path)
    questions = load_questions(questions_path, articles)
    conversations = load_conversations(conversations_path, articles) if conversations_path else []
    return EvalSet(
        articles=articles,
        questions=questions,
        conversations=conversations,
        articles_path=Path(articles_path),
        questions_path=Path(questions_path),
        conversations_path=Path(conversations_path) if conversations_path else None,
    )


def shipped_dataset(name: str) -> tuple[Path, Path, Path | None]:
    """(articles, questions, conversations or None) of a set shipped in eval/datasets/<name>/.

    `articles.jsonl` or `articles.jsonl.gz`; conversations from `<name>/conversations.jsonl`, else
    `conversations/<name>.jsonl`.
    """
    folder = DATASETS_DIR / name
    if not folder.is_dir():
        known = sorted(p.name for p in DATASETS_DIR.iterdir() if (p / "questions.jsonl").is_file())
        raise InvalidInput(f"unknown eval set '{name}' (shipped: {', '.join(known)})")
    articles = next(
        (folder / n for n in ("articles.jsonl", "articles.jsonl.gz") if (folder / n).is_file()), None
    )
    if articles is None:
        raise InvalidInput(f"eval set '{name}' has no articles.jsonl(.gz)")
    conversations = next(
        (
            p
            for p in (folder / "conversations.jsonl", DATASETS_DIR / "conversations" / f"{name}.jsonl")
            if p.is_file()
        ),
        None,
    )
    return articles, folder / "questions.jsonl", conversations
