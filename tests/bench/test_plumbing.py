"""bench.corpus, bench.query, bench.http and bench.ingest plumbing, without the real model."""

from __future__ import annotations

import json
import threading
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path
from typing import Any

import numpy as np
import pytest

from bench.corpus import BenchConfig, BenchQuestion, read_questions, renamed_copies
from bench.http import LoadGenerator, free_port, server_env
from bench.ingest import copy_cached_vectors
from bench.query import QueryBenchmark
from newsqa.errors import InvalidInput, NotFound
from newsqa.settings import Settings
from newsqa.types import Answer, Article, QueryInfo

QUESTIONS = [BenchQuestion(f"q{i}", f"Who won race {i}?", "2022-10-01") for i in range(4)]


class TestBenchConfig:
    def test_quick_is_smaller(self) -> None:
        assert BenchConfig.preset(True).ingest_articles < BenchConfig.preset(False).ingest_articles

    def test_overrides_and_checks(self) -> None:
        config = BenchConfig.preset(True).with_overrides(questions=7, scale_articles=None)
        assert config.questions == 7
        with pytest.raises(InvalidInput):
            config.with_overrides(nonsense=1)
        with pytest.raises(InvalidInput):
            config.with_overrides(ingest_articles=500, scale_articles=10).check()
        with pytest.raises(InvalidInput):
            config.with_overrides(backends=("onnx",)).check()
        with pytest.raises(InvalidInput):
            config.with_overrides(backends=("torch", "onnx-fp16")).check()
        with pytest.raises(InvalidInput):
            config.with_overrides(ingest_repeats=0).check()
        config.with_overrides(backends=("torch", "onnx", "onnx-int8"), ingest_repeats=2).check()
        assert config.with_overrides(http_requests=31).requests_per_level() == 10


class TestCorpus:
    def test_renamed_copies_keep_text(self) -> None:
        article = Article(id="a1", title="t", text="Some text.", content_hash="h")
        copy = renamed_copies([article], 2)[0]
        assert copy.id == "a1~x2" and copy.text == article.text and article.id == "a1"

    def test_read_questions_limit(self, tmp_path: Path) -> None:
        path = tmp_path / "q.jsonl"
        lines = [json.dumps({"id": str(i), "question": f"q{i}?", "asked_at": "2022-01-01"}) for i in range(5)]
        path.write_text("\n".join(lines), encoding="utf-8")
        found = read_questions(path, 3)
        assert [q.id for q in found] == ["0", "1", "2"]


def _answer(timings: dict[str, float]) -> Answer:
    return Answer("x", False, [], [], QueryInfo("q", "2022-10-01"), timings_ms=timings)


class TestQueryBenchmark:
    def test_round_robin_stages_and_errors(self) -> None:
        calls: list[str] = []

        def ours(question: str, **_: Any) -> Answer:
            calls.append("ours")
            return _answer({"retrieve_dense": 2.0, "answer": 3.0, "total": 6.0})

        def failing(question: str, **_: Any) -> Answer:
            calls.append("failing")
            raise NotFound("nothing")

        result = QueryBenchmark(embedder=None, spacy_nlp=None).run(
            {"ours": ours, "failing": failing}, QUESTIONS, warmup=1
        )
        assert calls.count("ours") == 5  # 1 warm-up + 4 timed
        assert result["ours"]["latency"]["n"] == 4
        assert result["ours"]["stages"]["dense_search"]["p50_ms"] == 2.0
        assert result["ours"]["stages"]["answer_extraction"]["p50_ms"] == 3.0
        assert "rerank" not in result["ours"]["stages"]
        assert result["failing"]["errors"] == 4


class _AskHandler(BaseHTTPRequestHandler):
    def do_POST(self) -> None:
        body = json.loads(self.rfile.read(int(self.headers["Content-Length"])))
        status = 500 if "3" in body["question"] else 200
        payload = b'{"answer": "x"}'
        self.send_response(status)
        self.send_header("Content-Type", "application/json")
        self.send_header("Content-Length", str(len(payload)))
        self.end_headers()
        self.wfile.write(payload)

    def log_message(self, *args: Any) -> None:
        pass


class TestLoadGenerator:
    def test_counts_requests_and_errors(self) -> None:
        server = ThreadingHTTPServer(("127.0.0.1", free_port()), _AskHandler)
        thread = threading.Thread(target=server.serve_forever, daemon=True)
        thread.start()
        try:
            url = f"http://127.0.0.1:{server.server_address[1]}"
            result = LoadGenerator(url, QUESTIONS, timeout_s=10).run(concurrency=3, requests=8)
        finally:
            server.shutdown()
        assert result["status_codes"] == {"200": 6, "500": 2}  # q3 fails, asked twice
        assert result["errors"] == 2
        assert result["latency"]["n"] == 6
        assert result["rps"] is not None and result["rps"] > 0

    def test_server_env_points_at_the_index(self, tmp_path: Path) -> None:
        env = server_env(Settings(data_dir=tmp_path, top_k=3))
        assert env["NEWSQA_DATA_DIR"] == str(tmp_path)
        assert env["NEWSQA_RATE_LIMIT_PER_MINUTE"] == "0"
        assert env["NEWSQA_ANSWER_CACHE_SIZE"] == "0"  # every timed request does the work
        assert env["NEWSQA_TOP_K"] == "3"
        assert "NEWSQA_CHROMA_URL" not in env


class TestCopyCachedVectors:
    def test_copies_only_the_given_texts(self, tmp_path: Path) -> None:
        from index.embedder import EmbeddingCache

        source = EmbeddingCache(tmp_path / "a" / "embeddings.sqlite", "m", 4)
        texts = ["one", "two", "three"]
        source.put_many({source.key(t): np.full(4, i, dtype=np.float32) for i, t in enumerate(texts)})
        source.close()
        assert copy_cached_vectors(tmp_path / "a", tmp_path / "b", ["one", "three", "absent"], "m", 4) == 2
        target = EmbeddingCache(tmp_path / "b" / "embeddings.sqlite", "m", 4)
        found = target.get_many([target.key(t) for t in texts])
        target.close()
        assert sorted(float(v[0]) for v in found.values()) == [0.0, 2.0]
