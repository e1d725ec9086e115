from __future__ import annotations

import gzip
import json
from pathlib import Path

import pytest

from eval.evalsets import load_articles, load_conversations, load_evalset, load_questions, shipped_dataset
from newsqa.errors import InvalidInput

ARTICLE = {
    "id": "a1",
    "title": "T",
    "url": None,
    "source": "x.com",
    "published": "2021-08-28",
    "text": "The strike hit Nangarhar province on Saturday.",
}
QUESTION = {
    "id": "q1",
    "question": "Where?",
    "asked_at": "2021-08-28",
    "answers": ["Nangarhar"],
    "relevant_article_ids": ["a1"],
    "answerable": True,
}


def write_lines(path: Path, lines: list[object]) -> Path:
    path.write_text(
        "\n".join(x if isinstance(x, str) else json.dumps(x) for x in lines) + "\n", encoding="utf-8"
    )
    return path


@pytest.fixture
def articles_file(tmp_path: Path) -> Path:
    return write_lines(tmp_path / "articles.jsonl", [ARTICLE])


def questions_error(tmp_path: Path, articles_file: Path, lines: list[object]) -> str:
    path = write_lines(tmp_path / "questions.jsonl", lines)
    with pytest.raises(InvalidInput) as info:
        load_questions(path, load_articles(articles_file))
    return info.value.message


class TestLoadArticles:
    def test_reads_gzip_transparently(self, tmp_path: Path) -> None:
        path = tmp_path / "articles.jsonl.gz"
        with gzip.open(path, "wt", encoding="utf-8") as handle:
            handle.write(json.dumps(ARTICLE) + "\n")
        assert load_articles(path)["a1"].text.startswith("The strike")

    def test_invalid_json_names_line(self, tmp_path: Path) -> None:
        path = write_lines(tmp_path / "articles.jsonl", [ARTICLE, "{not json"])
        with pytest.raises(InvalidInput, match=r"^articles.jsonl:2: invalid JSON"):
            load_articles(path)

    def test_duplicate_id(self, tmp_path: Path) -> None:
        path = write_lines(tmp_path / "articles.jsonl", [ARTICLE, ARTICLE])
        with pytest.raises(InvalidInput, match=r"articles.jsonl:2: duplicate article id 'a1'"):
            load_articles(path)

    def test_invalid_published_date(self, tmp_path: Path) -> None:
        path = write_lines(tmp_path / "articles.jsonl", [{**ARTICLE, "published": "28/08/2021"}])
        with pytest.raises(InvalidInput, match=r"articles.jsonl:1: field 'published' is not an ISO date"):
            load_articles(path)

    def test_missing_text(self, tmp_path: Path) -> None:
        path = write_lines(tmp_path / "articles.jsonl", [{k: v for k, v in ARTICLE.items() if k != "text"}])
        with pytest.raises(InvalidInput, match=r"articles.jsonl:1: missing field 'text'"):
            load_articles(path)

    def test_null_published_allowed(self, tmp_path: Path) -> None:
        path = write_lines(tmp_path / "articles.jsonl", [{**ARTICLE, "published": None}])
        assert load_articles(path)["a1"].published is None


class TestLoadQuestions:
    def test_valid(self, tmp_path: Path, articles_file: Path) -> None:
        path = write_lines(tmp_path / "questions.jsonl", [QUESTION])
        assert load_questions(path, load_articles(articles_file))[0].answers == ["Nangarhar"]

    def test_missing_field(self, tmp_path: Path, articles_file: Path) -> None:
        bad = {k: v for k, v in QUESTION.items() if k != "asked_at"}
        message = questions_error(tmp_path, articles_file, [{**QUESTION, "id": "q0"}, bad])
        assert message == "questions.jsonl:2: missing field 'asked_at'"

    def test_gold_answer_not_in_relevant_article(self, tmp_path: Path, articles_file: Path) -> None:
        message = questions_error(tmp_path, articles_file, [{**QUESTION, "answers": ["Kandahar"]}])
        assert message.startswith("questions.jsonl:1: gold answer 'Kandahar' does not occur verbatim")

    def test_gold_answer_match_is_case_folded(self, tmp_path: Path, articles_file: Path) -> None:
        path = write_lines(tmp_path / "questions.jsonl", [{**QUESTION, "answers": ["NANGARHAR"]}])
        assert load_questions(path, load_articles(articles_file))

    def test_unknown_article_id(self, tmp_path: Path, articles_file: Path) -> None:
        message = questions_error(
            tmp_path, articles_file, [{**QUESTION, "relevant_article_ids": ["a1", "zz"]}]
        )
        assert message == "questions.jsonl:1: unknown article id(s) in relevant_article_ids: zz"

    def test_duplicate_question_id(self, tmp_path: Path, articles_file: Path) -> None:
        message = questions_error(tmp_path, articles_file, [QUESTION, QUESTION])
        assert message == "questions.jsonl:2: duplicate question id 'q1'"

    def test_invalid_asked_at(self, tmp_path: Path, articles_file: Path) -> None:
        message = questions_error(tmp_path, articles_file, [{**QUESTION, "asked_at": "yesterday"}])
        assert message.startswith("questions.jsonl:1: field 'asked_at' is not an ISO date")

    def test_invalid_json(self, tmp_path: Path, articles_file: Path) -> None:
        message = questions_error(tmp_path, articles_file, [QUESTION, '{"id": "q2",'])
        assert message.startswith("questions.jsonl:2: invalid JSON")

    def test_unanswerable_with_relevant_ids_rejected(self, tmp_path: Path, articles_file: Path) -> None:
        message = questions_error(tmp_path, articles_file, [{**QUESTION, "answerable": False}])
        assert message == "questions.jsonl:1: an unanswerable question must have empty relevant_article_ids"

    def test_choices_must_hold_gold_and_blank_options_dropped(
        self, tmp_path: Path, articles_file: Path
    ) -> None:
        message = questions_error(tmp_path, articles_file, [{**QUESTION, "choices": ["Kabul", "Herat"]}])
        assert message == "questions.jsonl:1: choices do not include the gold answer 'Nangarhar'"
        path = write_lines(tmp_path / "ok.jsonl", [{**QUESTION, "choices": ["Kabul", "Nangarhar", ""]}])
        assert load_questions(path, load_articles(articles_file))[0].choices == ["Kabul", "Nangarhar"]


class TestLoadConversations:
    def test_turn_error_names_line_and_turn(self, tmp_path: Path, articles_file: Path) -> None:
        conversation = {
            "id": "c1",
            "asked_at": "2021-08-28",
            "turns": [
                {"question": "Where?", "answers": ["Nangarhar"]},
                {"question": "When?", "answers": ["Monday"]},
            ],
        }
        path = write_lines(tmp_path / "conversations.jsonl", [conversation])
        with pytest.raises(InvalidInput, match=r"conversations.jsonl:1: turn 2: gold answer 'Monday'"):
            load_conversations(path, load_articles(articles_file))

    def test_single_turn_rejected(self, tmp_path: Path) -> None:
        path = write_lines(
            tmp_path / "c.jsonl",
            [{"id": "c", "asked_at": "2021-08-28", "turns": [{"question": "q", "answers": []}]}],
        )
        with pytest.raises(InvalidInput, match="at least two turns"):
            load_conversations(path)


class TestSelect:
    def test_ids_then_limit(self, tmp_path: Path, articles_file: Path) -> None:
        questions = write_lines(tmp_path / "questions.jsonl", [{**QUESTION, "id": f"q{i}"} for i in range(5)])
        evalset = load_evalset(articles_file, questions)
        assert [q.id for q in evalset.select(ids=["q3", "q1", "q4"], limit=2).questions] == ["q1", "q3"]
        with pytest.raises(InvalidInput, match="unknown question id"):
            evalset.select(ids=["nope"])

    def test_asked_window_is_inclusive_at_both_ends(self, tmp_path: Path, articles_file: Path) -> None:
        dates = ["2023-12-31", "2024-01-01", "2024-06-30", "2024-07-01"]
        lines = [{**QUESTION, "id": f"q{i}", "asked_at": d} for i, d in enumerate(dates)]
        evalset = load_evalset(articles_file, write_lines(tmp_path / "questions.jsonl", lines))
        assert [q.asked_at for q in evalset.select(asked_from="2024-01-01").questions] == dates[1:]
        window = evalset.select(asked_from="2024-01-01", asked_to="2024-06-30")
        assert [q.asked_at for q in window.questions] == dates[1:3]
        assert [q.asked_at for q in evalset.select(asked_to="2023-12-31").questions] == dates[:1]
        assert [q.id for q in evalset.select(asked_from="2024-01-01", limit=1).questions] == ["q1"]

    def test_asked_window_errors_name_the_problem(self, tmp_path: Path, articles_file: Path) -> None:
        evalset = load_evalset(articles_file, write_lines(tmp_path / "questions.jsonl", [QUESTION]))
        with pytest.raises(InvalidInput, match="asked_from is not an ISO date"):
            evalset.select(asked_from="2024-13-01")
        with pytest.raises(InvalidInput, match="is after asked_to"):
            evalset.select(asked_from="2024-02-01", asked_to="2024-01-01")
        with pytest.raises(InvalidInput, match="no question was asked from 2024-01-01"):
            evalset.select(asked_from="2024-01-01")


SEED_BODY_END = "between the two sides."


class TestShippedSets:
    def test_seed_set_is_valid_and_gold_answers_are_in_cleaned_body(self) -> None:
        evalset = load_evalset(*shipped_dataset("seed"))
        text = evalset.articles["7999bad3e4a4883b"].text
        body = text[: text.index(SEED_BODY_END) + len(SEED_BODY_END)].casefold()
        answerable = [q for q in evalset.questions if q.answerable]
        assert len(evalset.questions) >= 40 and len(evalset.questions) - len(answerable) >= 8
        assert sum(1 for q in answerable if q.choices) * 2 >= len(answerable)
        for question in answerable:
            assert any(gold.casefold() in body for gold in question.answers), question.id
        assert "New Energy Vehicle" in text  # the raw teaser ships; ingestion has to clean it

    def test_gate_and_dev_sets_load(self) -> None:
        gate = load_evalset(*shipped_dataset("gate"))
        assert len(gate.questions) == 40
        assert sum(1 for q in gate.questions if not q.answerable) == 8
        dev = load_evalset(*shipped_dataset("realtimeqa-2022"))
        assert len(dev.questions) == 240

    def test_conversations_ship_at_least_ten(self) -> None:
        total = 0
        for name in ("seed", "gate"):
            articles, questions, conversations = shipped_dataset(name)
            assert conversations is not None, name
            total += len(load_evalset(articles, questions, conversations).conversations)
        assert total >= 10

    def test_unknown_set(self) -> None:
        with pytest.raises(InvalidInput, match="unknown eval set"):
            shipped_dataset("nope")


SHARED = Path(__file__).resolve().parents[3] / "shared" / "data" / "realtimeqa-2022"


@pytest.mark.skipif(not SHARED.is_dir(), reason="shared dev set not present")
class TestSharedDevSet:
    def test_shipped_copy_matches_shared(self) -> None:
        shipped = load_evalset(*shipped_dataset("realtimeqa-2022")[:2])
        shared = load_evalset(SHARED / "articles.jsonl", SHARED / "questions.jsonl")
        assert [q.id for q in shipped.questions] == [q.id for q in shared.questions]
        assert shipped.articles.keys() == shared.articles.keys()
