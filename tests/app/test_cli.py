"""The `newsqa` command end to end, in-process (typer's runner), with the real model and Chroma."""

from __future__ import annotations

import json
from pathlib import Path

import pytest
from typer.testing import CliRunner

from app.cli import app

BODY_START = "The US military has said"
BODY_END = "between the two sides."


@pytest.fixture(scope="module")
def runner() -> CliRunner:
    return CliRunner()


@pytest.fixture(scope="module")
def data_dir(tmp_path_factory: pytest.TempPathFactory) -> Path:
    return tmp_path_factory.mktemp("cli-data")


def _json(runner: CliRunner, *args: str) -> object:
    result = runner.invoke(app, [*args, "--json"])
    assert result.exit_code == 0, result.output
    return json.loads(result.stdout.strip().splitlines()[-1])


class TestIngestAndArticles:
    def test_seed_capture_is_cleaned_and_stored(
        self, runner: CliRunner, data_dir: Path, seed_path: Path
    ) -> None:
        summary = _json(runner, "ingest", str(seed_path), "--data-dir", str(data_dir))
        assert summary["added"] == 1 and summary["failed"] == [] and summary["chunks"] > 0
        article_id = summary["items"][0]["id"]
        shown = _json(runner, "articles", "show", article_id, "--data-dir", str(data_dir))
        assert shown["text"].startswith(BODY_START)
        assert shown["text"].rstrip().endswith(BODY_END)
        for junk in ("Bullish stock market", "Updated 23 Nov, 2024", "New Energy Vehicle"):
            assert junk not in shown["text"]
        assert {"id", "title", "source", "url", "published", "text"} <= set(shown)
        assert shown["title"]

    def test_reingest_reports_unchanged(self, runner: CliRunner, data_dir: Path, seed_path: Path) -> None:
        summary = _json(runner, "ingest", str(seed_path), "--data-dir", str(data_dir))
        assert (summary["added"], summary["updated"], summary["unchanged"]) == (0, 0, 1)
        assert summary["chunks"] == 0

    def test_list_agrees_with_summary(self, runner: CliRunner, data_dir: Path) -> None:
        rows = _json(runner, "articles", "list", "--data-dir", str(data_dir))
        assert len(rows) == 1
        assert {"id", "title", "source", "url", "published", "chunks"} <= set(rows[0])
        assert rows[0]["chunks"] > 0

    def test_bad_file_fails_alone_with_exit_status(
        self, runner: CliRunner, data_dir: Path, tmp_path: Path
    ) -> None:
        bad = tmp_path / "empty.txt"
        bad.write_text("")
        good = tmp_path / "note.txt"
        good.write_text(  # also a distractor for the next test: "take place" without a strike
            "The city council approved the new bridge over the Elm river after a long debate. "
            "The opening parade will take place over Springfield on Saturday, the mayor said."
        )
        result = runner.invoke(app, ["ingest", str(bad), str(good), "--data-dir", str(data_dir), "--json"])
        assert result.exit_code == 1
        summary = json.loads(result.stdout.strip().splitlines()[-1])
        assert summary["added"] == 1
        assert [f["item"] for f in summary["failed"]] == [str(bad)]
        assert summary["failed"][0]["error"]

    def test_ask_cites_exact_text(self, runner: CliRunner, data_dir: Path) -> None:
        answer = _json(runner, "ask", "Where did the drone strike take place?", "--data-dir", str(data_dir))
        assert not answer["abstained"]
        assert "Nangarhar" in answer["answer"]
        assert answer["answer"] in answer["citations"][0]["quote"]
        assert answer["citations"]
        rows = _json(runner, "articles", "list", "--data-dir", str(data_dir))
        texts = {
            r["id"]: _json(runner, "articles", "show", r["id"], "--data-dir", str(data_dir))["text"]
            for r in rows
        }
        for c in answer["citations"]:
            assert texts[c["article_id"]][c["start"] : c["end"]] == c["quote"]

    def test_ask_shows_the_readable_answer(self, runner: CliRunner, data_dir: Path) -> None:
        question = "Where did the drone strike take place?"
        answer = _json(runner, "ask", question, "--data-dir", str(data_dir))
        result = runner.invoke(app, ["ask", question, "--data-dir", str(data_dir)])
        assert result.exit_code == 0, result.output
        first, confidence, _, source = result.stdout.splitlines()[:4]
        assert first == answer["answer_text"] and first.startswith(answer["answer"] + ": ")
        assert first.endswith("[1]") and answer["citations"][0]["quote"].split()[-1] in first
        assert confidence == f"(confidence {answer['confidence']:.2f})"
        assert source.startswith("[1] ")

    def test_ask_reads_questions_from_stdin(self, runner: CliRunner, data_dir: Path) -> None:
        result = runner.invoke(
            app,
            ["ask", "-", "--data-dir", str(data_dir), "--json"],
            input="Who is the spokesperson for US Central Command?\n\nWhat is the capital of Peru?\n",
        )
        assert result.exit_code == 0, result.output
        lines = [json.loads(line) for line in result.stdout.strip().splitlines()]
        assert len(lines) == 2
        assert all("answer" in line and "citations" in line for line in lines)

    def test_delete_removes_every_chunk(self, runner: CliRunner, data_dir: Path) -> None:
        rows = _json(runner, "articles", "list", "--data-dir", str(data_dir))
        seed = next(
            r for r in rows if r["title"].startswith("The US military") or "drone" in r["title"].lower()
        )
        assert _json(runner, "articles", "delete", seed["id"], "--data-dir", str(data_dir)) == {
            "deleted": seed["id"]
        }
        missing = runner.invoke(app, ["articles", "show", seed["id"], "--data-dir", str(data_dir), "--json"])
        assert missing.exit_code == 2
        assert json.loads(missing.stdout)["error"]["code"] == "not_found"
        answer = _json(
            runner, "ask", "Where did the drone strike take place?", "--data-dir", str(data_dir), "--debug"
        )
        assert all(h["article_id"] != seed["id"] for h in answer.get("retrieved", []))
        assert all(c["article_id"] != seed["id"] for c in answer["citations"] + answer["related"])


def test_train_fits_the_reranker_weights_when_asked(runner: CliRunner, tmp_path: Path) -> None:
    from qa.retrieval.rerank_model import load_rerank_weights
    from tests.eval.test_rank_train import _write_set

    questions, articles = _write_set(tmp_path)
    out = tmp_path / "rerank_weights.json"
    args = ["train", "--questions", str(questions), "--articles", str(articles), "--out", str(out)]
    wrong = runner.invoke(app, [*args, "--fit", "everything", "--data-dir", str(tmp_path / "data")])
    assert (
        wrong.exit_code != 0
        and "--fit must be 'answer', 'rerank', 'reader', 'options' or 'spans'" in wrong.output
    )
    assert not out.exists()
    result = runner.invoke(app, [*args, "--fit", "rerank", "--data-dir", str(tmp_path / "data")])
    assert result.exit_code == 0, result.output
    weights = load_rerank_weights(out)
    assert json.loads(result.stdout[result.stdout.index("{") :])["weights"] == weights.linear()
    assert json.loads(out.read_text(encoding="utf-8"))["command"].startswith("newsqa train --fit rerank ")
