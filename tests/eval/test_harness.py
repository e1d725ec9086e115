from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import pytest

import eval.harness as harness
from eval.baselines import EvalConfig
from eval.eval_index import index_key
from eval.evalsets import load_evalset
from eval.harness import StoredTexts, build_report, run_configs, run_eval
from eval.report import markdown_report, markdown_table, write_outputs
from newsqa.errors import InvalidInput
from newsqa.settings import Settings
from newsqa.types import Answer, Article, Chunk, Citation, Hit, QueryInfo

TEXT = "Captain Bill Urban said the strike hit Nangarhar. Over 100 people were killed."
ARTICLES = [
    {
        "id": "a1",
        "title": "Strike",
        "source": "dawn.com",
        "url": None,
        "published": "2021-08-28",
        "text": TEXT,
    },
    {
        "id": "a2",
        "title": "Other",
        "source": "x.com",
        "url": None,
        "published": "2021-08-27",
        "text": "Nothing relevant happened here today.",
    },
]
QUESTIONS = [
    {
        "id": "q1",
        "question": "Where was the strike?",
        "asked_at": "2021-08-28",
        "answers": ["Nangarhar"],
        "choices": ["Nangarhar", "Kabul", "Herat", "Kunar"],
        "relevant_article_ids": ["a1"],
        "answerable": True,
    },
    {
        "id": "q2",
        "question": "Who said it?",
        "asked_at": "2021-08-28",
        "answers": ["Bill Urban"],
        "relevant_article_ids": ["a1"],
        "answerable": True,
    },
    {
        "id": "u1",
        "question": "Who was the planner?",
        "asked_at": "2021-08-28",
        "answers": [],
        "relevant_article_ids": [],
        "answerable": False,
    },
]
CONVERSATIONS = [
    {
        "id": "c1",
        "asked_at": "2021-08-28",
        "turns": [
            {"question": "Who said it?", "answers": ["Bill Urban"]},
            {"question": "Where did he say?", "answers": ["Nangarhar"]},
        ],
    },
]


def citation(start: int, end: int, quote: str | None = None) -> Citation:
    return Citation(
        n=1,
        article_id="a1",
        title="Strike",
        source="dawn.com",
        url=None,
        published="2021-08-28",
        quote=TEXT[start:end] if quote is None else quote,
        start=start,
        end=end,
        score=1.0,
    )


def hit(article_id: str, text: str) -> Hit:
    return Hit(
        chunk=Chunk(id=f"{article_id}-0", article_id=article_id, n=0, text=text, start=0, end=len(text)),
        score=1.0,
    )


class FakeStore:
    def get_article(self, article_id: str) -> Article | None:
        return Article(id="a1", title="Strike", text=TEXT) if article_id == "a1" else None


class FakeAnswerer:
    """Scripted answers: q1 right, q2 abstains wrongly, u1 abstains rightly; one bad citation."""

    def __init__(self) -> None:
        self.store = FakeStore()
        self.calls: list[dict[str, Any]] = []

    def ask(self, question: str, **kwargs: Any) -> Answer:
        self.calls.append({"question": question, **kwargs})
        query = QueryInfo(rewritten=question, as_of=kwargs.get("as_of") or "")
        retrieved = [hit("a2", "Nothing."), hit("a1", TEXT), hit("a1", TEXT)]
        if kwargs.get("choices"):
            return Answer("Nangarhar", False, [], [], query, retrieved=None)
        if question.startswith("Where"):
            good = citation(0, 49)
            return Answer(
                "Nangarhar", False, [good], [citation(50, 60, quote="tampered")], query, retrieved=retrieved
            )
        if question.startswith("Who said"):
            return Answer("Bill Urban", False, [citation(8, 18)], [], query, retrieved=retrieved[1:])
        return Answer("Not in the articles.", True, [], [], query, retrieved=[])


def write_set(tmp_path: Path) -> tuple[Path, Path, Path]:
    paths = []
    for name, rows in (("articles", ARTICLES), ("questions", QUESTIONS), ("conversations", CONVERSATIONS)):
        path = tmp_path / f"{name}.jsonl"
        path.write_text("\n".join(json.dumps(r) for r in rows) + "\n", encoding="utf-8")
        paths.append(path)
    return paths[0], paths[1], paths[2]


class TestRunConfigs:
    def test_metrics_and_records(self, tmp_path: Path) -> None:
        articles, questions, conversations = write_set(tmp_path)
        evalset = load_evalset(articles, questions, conversations)
        answerer = FakeAnswerer()
        configs = [
            EvalConfig("fake", answerer, answers=True),
            EvalConfig("retrieval", FakeAnswerer(), answers=False),
        ]
        runs = run_configs(evalset, configs, StoredTexts(answerer.store.get_article))
        row = runs["fake"].row
        assert row["hits@1"] == pytest.approx(0.5)  # q1 ranks a2 first, q2 ranks a1 first
        assert row["mrr@10"] == pytest.approx(0.75)
        assert row["answer_em"] == pytest.approx(1.0)
        assert row["citation_integrity"] == pytest.approx(2 / 3)
        assert row["mc_accuracy"] == 1.0
        assert row["abstain_precision"] == 1.0 and row["abstain_recall"] == 1.0
        assert row["followup_accuracy"] == 1.0
        assert (row["questions"], row["answerable"]) == (3, 2)
        assert runs["retrieval"].row["answer_em"] is None
        assert runs["retrieval"].row["followup_accuracy"] is None
        free = [c for c in answerer.calls if "debug" in c]
        assert all(c["as_of"] == "2021-08-28" and c["debug"] for c in free)
        second_turn = [c for c in answerer.calls if c["question"] == "Where did he say?"][0]
        assert second_turn["history"] == [
            {"role": "user", "content": "Who said it?"},
            {"role": "assistant", "content": "Bill Urban"},
        ]
        record = runs["fake"].records[0]
        assert record["retrieved_article_ids"] == [
            {"rank": 1, "article_id": "a2"},
            {"rank": 2, "article_id": "a1"},
        ]
        assert record["correct"]["hits@1"] is False and record["correct"]["choice"] is True

    def test_all_empty_answers_mean_no_answer_metrics(self, tmp_path: Path) -> None:
        class Silent(FakeAnswerer):
            def ask(self, question: str, **kwargs: Any) -> Answer:
                return Answer(
                    "", False, [], [], QueryInfo(question, "2021-08-28"), retrieved=[hit("a1", TEXT)]
                )

        articles, questions, _ = write_set(tmp_path)
        runs = run_configs(
            load_evalset(articles, questions),
            [EvalConfig("s", Silent(), answers=True)],
            StoredTexts(FakeStore().get_article),
        )
        assert runs["s"].row["answer_em"] is None
        assert runs["s"].row["hits@1"] == 1.0


class TestReport:
    def test_outputs_written(self, tmp_path: Path) -> None:
        articles, questions, conversations = write_set(tmp_path)
        evalset = load_evalset(articles, questions, conversations)
        answerer = FakeAnswerer()
        runs = run_configs(
            evalset, [EvalConfig("fake", answerer, answers=True)], StoredTexts(FakeStore().get_article)
        )
        report = build_report(evalset, runs, index_info={"path": "x", "reused": True}, seconds=1.0)
        out = tmp_path / "out"
        write_outputs(
            report,
            {"fake": runs["fake"].records},
            {"fake": runs["fake"].turn_records},
            out_dir=out,
            json_path=tmp_path / "r.json",
        )
        saved = json.loads((out / "report.json").read_text())
        expected = {
            "hits@1",
            "hits@5",
            "hits@10",
            "mrr@10",
            "ndcg@10",
            "recall@10",
            "answer_recall@10",
            "answer_em",
            "answer_f1",
            "answer_contains",
            "answer_contains_uncapped",
            "citation_support",
            "citation_integrity",
            "mc_accuracy",
            "abstain_precision",
            "abstain_recall",
            "followup_accuracy",
            "latency_ms_p50",
            "latency_ms_p95",
            "questions",
            "answerable",
            "config",
            "seconds",
        }
        assert set(saved["configs"]["fake"]) == expected
        assert set(saved["ci95"]["fake"]) == expected - {"questions", "answerable", "config", "seconds"}
        assert saved["bootstrap"]["resamples"] == 1000
        assert saved["run"]["dataset"]["question_count"] == 3
        assert (tmp_path / "r.json").is_file()
        assert "| fake |" in (out / "report.md").read_text()
        assert (out / "hits_at_k.png").read_bytes()[:4] == b"\x89PNG"
        lines = (out / "questions-fake.jsonl").read_text().splitlines()
        assert [json.loads(line)["id"] for line in lines] == ["q1", "q2", "u1"]
        assert (out / "conversations-fake.jsonl").is_file()

    def test_intervals_and_paired_deltas_beside_the_rows(self, tmp_path: Path) -> None:
        articles, questions, conversations = write_set(tmp_path)
        evalset = load_evalset(articles, questions, conversations)
        configs = [
            EvalConfig("fake", FakeAnswerer(), answers=True),
            EvalConfig("retrieval", FakeAnswerer(), answers=False),
        ]
        runs = run_configs(evalset, configs, StoredTexts(FakeStore().get_article))
        report = build_report(evalset, runs, index_info=None, seconds=1.0)
        low, high = report["ci95"]["fake"]["hits@1"]
        assert 0.0 <= low <= report["configs"]["fake"]["hits@1"] <= high <= 1.0
        assert report["ci95"]["retrieval"]["answer_em"] is None  # not measured: no interval either
        deltas = report["paired_deltas"]["fake - retrieval"]
        assert deltas["hits@1"]["delta"] == 0.0 and deltas["hits@1"]["ci95"] == [0.0, 0.0]
        assert "answer_em" not in deltas and "followup_accuracy" not in deltas
        table = markdown_table(report)
        assert f"{report['configs']['fake']['hits@1']:.3f} [{low:.2f}, {high:.2f}]" in table
        assert "| fake - retrieval | +0.000 [0.00, 0.00] |" in markdown_report(report)
        assert "ci95" not in build_report(evalset, runs, index_info=None, seconds=1.0, bootstrap=None)

    def test_markdown_shows_none_as_dash(self) -> None:
        report = {"configs": {"x": {"questions": 2, "answer_em": None, "mrr@10": 0.5}}}
        table = markdown_table(report)
        assert "| x | 2 |" in table and "—" in table and "0.500" in table


class TestRunEval:
    def test_end_to_end_with_fakes(self, tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
        articles, questions, conversations = write_set(tmp_path)
        built: list[str] = []

        def fake_ensure(
            self: harness.EvalIndex, items: list[Any], *, progress: bool = False
        ) -> dict[str, Any]:
            built.append(self.key)
            return {"key": self.key, "path": str(self.path), "reused": False, "seconds": 0.1}

        monkeypatch.setattr(harness.EvalIndex, "ensure", fake_ensure)
        monkeypatch.setattr(harness, "_cleaned_articles", lambda evalset: [])
        monkeypatch.setattr(
            harness,
            "build_config",
            lambda name, settings, **_: EvalConfig(name, FakeAnswerer(), answers=name != "llamaindex"),
        )
        settings = Settings(data_dir=tmp_path / "data")
        report = run_eval(
            settings,
            articles,
            questions,
            configs=["ours", "llamaindex"],
            ids=["q1", "u1"],
            out_dir=tmp_path / "out",
            conversations_path=conversations,
            progress=False,
            show_table=False,
        )
        assert list(report["configs"]) == ["ours", "llamaindex"]
        assert report["configs"]["ours"]["questions"] == 2
        assert report["configs"]["llamaindex"]["answer_em"] is None
        assert built == [index_key(articles.read_bytes(), settings)] and len(built[0]) == 16
        assert (tmp_path / "out" / "questions-llamaindex.jsonl").is_file()

    def test_asked_window_selects_questions_and_is_recorded(
        self, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
    ) -> None:
        articles, _, _ = write_set(tmp_path)
        dated = [{**QUESTIONS[0], "id": f"d{m}", "asked_at": f"2021-{m:02d}-01"} for m in (3, 6, 9)]
        questions = tmp_path / "dated.jsonl"
        questions.write_text("\n".join(json.dumps(r) for r in dated) + "\n", encoding="utf-8")
        monkeypatch.setattr(
            harness.EvalIndex, "ensure", lambda self, items, progress=False: {"path": str(self.path)}
        )
        monkeypatch.setattr(
            harness,
            "build_config",
            lambda name, settings, **_: EvalConfig(name, FakeAnswerer(), answers=True),
        )
        report = run_eval(
            Settings(data_dir=tmp_path / "data"),
            articles,
            questions,
            json_path=tmp_path / "r.json",
            asked_from="2021-06-01",
            progress=False,
            show_table=False,
        )
        assert report["configs"]["ours"]["questions"] == 2
        assert (report["run"]["asked_from"], report["run"]["asked_to"]) == ("2021-06-01", None)
        assert json.loads((tmp_path / "r.json").read_text())["run"]["asked_from"] == "2021-06-01"

    def test_unknown_config(self, tmp_path: Path) -> None:
        articles, questions, _ = write_set(tmp_path)
        with pytest.raises(InvalidInput, match="unknown eval config"):
            run_eval(Settings(data_dir=tmp_path), articles, questions, configs=["nope"], show_table=False)


class TestIndexKey:
    def test_changes_with_file_and_index_settings_only(self) -> None:
        base = Settings()
        assert index_key(b"x", base) == index_key(b"x", base.model_copy(update={"top_k": 3}))
        assert index_key(b"x", base) != index_key(b"y", base)
        assert index_key(b"x", base) != index_key(b"x", base.model_copy(update={"chunk_tokens": 100}))
        assert index_key(b"x", base) != index_key(
            b"x", base.model_copy(update={"embedding_backend": "torch"})
        )


class FakeIngestor:
    def __init__(self) -> None:
        self.calls: list[dict[str, Any]] = []

    def ingest_articles(self, articles: Any, *, progress: bool = False, detect_reprints: bool = True) -> Any:
        from newsqa.types import IngestSummary

        items = list(articles)
        self.calls.append({"ids": [a.id for a in items], "detect_reprints": detect_reprints})
        return IngestSummary(added=len(items), chunks=len(items))


class TestEvalIndex:
    def test_builds_once_without_reprint_detection(
        self, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
    ) -> None:
        import index.pipeline

        articles, _, _ = write_set(tmp_path)
        ingestor = FakeIngestor()
        seen_settings: list[Settings] = []

        def fake_build_ingestor(settings: Settings) -> FakeIngestor:
            seen_settings.append(settings)
            return ingestor

        monkeypatch.setattr(index.pipeline, "build_ingestor", fake_build_ingestor)
        settings = Settings(data_dir=tmp_path / "data", chroma_url="http://127.0.0.1:9")
        items = list(load_evalset(articles, write_set(tmp_path)[1]).articles.values())
        eval_index = harness.EvalIndex(settings, articles)
        first = eval_index.ensure(items)
        assert first["reused"] is False and first["added"] == 2
        assert ingestor.calls == [{"ids": ["a1", "a2"], "detect_reprints": False}]
        assert seen_settings[0].data_dir == tmp_path / "data" / "eval" / eval_index.key
        assert seen_settings[0].chroma_url is None
        second = harness.EvalIndex(settings, articles).ensure(items)
        assert second["reused"] is True and len(ingestor.calls) == 1

    def test_a_second_eval_waits_for_the_build_and_reuses_it(
        self, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
    ) -> None:
        """Two evals of one articles file at once: the second used to wipe the first's unfinished
        build as a leftover; now it waits its turn and finds the build complete."""
        import threading

        import index.pipeline

        articles, questions, _ = write_set(tmp_path)
        items = list(load_evalset(articles, questions).articles.values())
        building, release = threading.Event(), threading.Event()
        ingestor = FakeIngestor()

        class SlowIngestor:
            def ingest_articles(
                self, articles: Any, progress: bool = False, detect_reprints: bool = True
            ) -> Any:
                building.set()
                release.wait(10)
                return ingestor.ingest_articles(articles, detect_reprints=detect_reprints)

        monkeypatch.setattr(index.pipeline, "build_ingestor", lambda settings: SlowIngestor())
        settings = Settings(data_dir=tmp_path / "data")
        results: list[dict[str, Any]] = []
        first = threading.Thread(
            target=lambda: results.append(harness.EvalIndex(settings, articles).ensure(items))
        )
        first.start()
        assert building.wait(10)
        second = threading.Thread(
            target=lambda: results.append(harness.EvalIndex(settings, articles).ensure(items))
        )
        second.start()
        second.join(0.5)
        assert second.is_alive()  # waiting for the lock, not wiping the build under way
        release.set()
        first.join(10)
        second.join(10)
        assert [r["reused"] for r in results] == [False, True]
        assert len(ingestor.calls) == 1

    def test_incomplete_build_is_redone(self, tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
        import index.pipeline

        articles, questions, _ = write_set(tmp_path)
        monkeypatch.setattr(index.pipeline, "build_ingestor", lambda settings: FakeIngestor())
        eval_index = harness.EvalIndex(Settings(data_dir=tmp_path / "data"), articles)
        eval_index.path.mkdir(parents=True)
        (eval_index.path / "leftover").write_text("x")
        eval_index.ensure(list(load_evalset(articles, questions).articles.values()))
        assert not (eval_index.path / "leftover").exists() and eval_index.is_complete()
