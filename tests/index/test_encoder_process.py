from __future__ import annotations

import logging
import os
import signal
import subprocess
import sys
import time
from collections.abc import Callable
from pathlib import Path

import numpy as np
import pytest

from index.chunker import SentenceChunker
from index.dedup import Deduplicator
from index.embedder import Embedder
from index.encoder_process import EncoderProcess
from index.pipeline import Ingestor
from index.store import ArticleStore
from newsqa.types import Article

REPO = Path(__file__).resolve().parents[2]

TEXTS = [
    "The council voted on Tuesday to raise parking fees downtown.",
    "A baby giraffe was born at the city zoo over the weekend.",
    "Officials said the bridge will reopen on Monday after two years of repairs.",
]


class TestEncoderProcess:
    def test_the_child_gives_the_parents_vectors(self, int8_embedder: Embedder) -> None:
        with EncoderProcess.for_embedder(int8_embedder) as process:
            assert process.wait_ready()
            assert process.ready()
            got = process.encode(TEXTS)
        np.testing.assert_allclose(got, int8_embedder.encode_uncached(TEXTS), atol=1e-5)

    def test_a_child_that_cannot_load_the_model_leaves_the_work_here(
        self, int8_embedder: Embedder, tmp_path: Path, caplog: pytest.LogCaptureFixture
    ) -> None:
        options = {"model_path": str(tmp_path / "no-model"), "backend": "onnx-int8"}
        with (
            caplog.at_level(logging.WARNING),
            EncoderProcess(options, int8_embedder.encode_uncached) as process,
        ):
            assert process.wait_ready() is False
            assert not process.ready()
            got = process.encode(TEXTS[:1])
        np.testing.assert_allclose(got, int8_embedder.encode_uncached(TEXTS[:1]), atol=1e-6)
        assert "embedding child process unavailable" in caplog.text

    def test_a_child_that_cannot_be_started_leaves_the_work_here(
        self, int8_embedder: Embedder, monkeypatch: pytest.MonkeyPatch
    ) -> None:
        def no_process(*args: object, **kwargs: object) -> None:
            raise OSError("fork: Resource temporarily unavailable")

        monkeypatch.setattr(subprocess, "Popen", no_process)
        process = EncoderProcess.for_embedder(int8_embedder)
        assert process.wait_ready() is False and process.pid is None
        got = process.encode(TEXTS[:1])
        np.testing.assert_allclose(got, int8_embedder.encode_uncached(TEXTS[:1]), atol=1e-6)
        process.close()

    def test_a_child_killed_mid_run_leaves_the_work_here(self, int8_embedder: Embedder) -> None:
        with EncoderProcess.for_embedder(int8_embedder) as process:
            assert process.wait_ready()
            assert process.pid is not None
            os.kill(process.pid, signal.SIGKILL)
            got = process.encode(TEXTS)
            assert not process.ready()
        np.testing.assert_allclose(got, int8_embedder.encode_uncached(TEXTS), atol=1e-6)

    def test_the_child_dies_with_its_parent(self, int8_embedder: Embedder) -> None:
        # The parent dies while the child is busy with a batch of a minute's work: an idle child
        # would also end on the closed pipe, a busy one only when the batch is done.
        code = (
            "import threading, time; from index.embedder import Embedder; "
            "from index.encoder_process import EncoderProcess; "
            "p = EncoderProcess.for_embedder(Embedder(backend='onnx-int8')); p.wait_ready(); "
            "threading.Thread(target=p.encode, args=(['many words in a long chunk ' * 40] * 2000,)).start(); "
            "time.sleep(1); print(p.pid, flush=True); time.sleep(120)"
        )
        parent = subprocess.Popen([sys.executable, "-c", code], stdout=subprocess.PIPE, text=True, cwd=REPO)
        try:
            child_pid = int(parent.stdout.readline())  # type: ignore[union-attr]
            os.kill(child_pid, 0)  # running
        finally:
            parent.kill()
            parent.wait()
        deadline = time.monotonic() + 10
        while time.monotonic() < deadline and _running(child_pid):
            time.sleep(0.1)
        assert not _running(child_pid)


def _running(pid: int) -> bool:
    try:
        with open(f"/proc/{pid}/stat") as fh:
            return fh.read().split(") ")[1][0] != "Z"  # a zombie is gone, only not yet reaped
    except OSError:
        return False


class TestIngestWithEncoderProcess:
    def test_batches_go_to_the_child_once_it_is_ready(
        self, int8_embedder: Embedder, tmp_path: Path, make_test_article: Callable[..., Article]
    ) -> None:
        store = ArticleStore(tmp_path / "data", int8_embedder.dim, model_id=int8_embedder.model_id)
        ingestor = _ingestor(store, int8_embedder, embed_batch_chunks=4)
        ingestor.wait_ready()
        encoder = ingestor._encoder
        assert encoder is not None and encoder.ready()
        batches: list[int] = []
        encode = encoder.encode
        encoder.encode = lambda texts: batches.append(len(texts)) or encode(texts)  # type: ignore[method-assign]
        articles = [
            make_test_article(id=f"e{i}", text=" ".join([text] * 12), source="x.com")
            for i, text in enumerate(TEXTS)
        ]
        try:
            summary = ingestor.ingest_articles(articles)
        finally:
            ingestor.close()
        assert (summary.added, summary.failed) == (3, [])
        assert sum(batches) == summary.chunks > 3
        # The stored vectors are the model's: each article's own text finds it first.
        for i, text in enumerate(TEXTS):
            assert store.dense_search(int8_embedder.embed_query(text), k=1)[0].chunk.article_id == f"e{i}"

    def test_a_small_ingest_never_starts_the_child_and_a_full_batch_does(
        self, int8_embedder: Embedder, tmp_path: Path, make_test_article: Callable[..., Article]
    ) -> None:
        store = ArticleStore(tmp_path / "data", int8_embedder.dim, model_id=int8_embedder.model_id)
        ingestor = _ingestor(store, int8_embedder)
        summary = ingestor.ingest_articles([make_test_article(id="one", text=" ".join(TEXTS * 4))])
        assert summary.added == 1
        assert ingestor._encoder is None
        larger = _ingestor(store, int8_embedder, embed_batch_chunks=4)
        try:
            summary = larger.ingest_articles([make_test_article(id="two", text=" ".join(TEXTS[::-1] * 4))])
            assert summary.added == 1
            assert larger._encoder is not None
        finally:
            larger.close()


def _ingestor(store: ArticleStore, embedder: Embedder, embed_batch_chunks: int = 512) -> Ingestor:
    return Ingestor(
        store,
        embedder,
        SentenceChunker(embedder, 40, 8),
        Deduplicator(),
        embed_batch_chunks=embed_batch_chunks,
        encoder_process=True,
    )
