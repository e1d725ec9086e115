"""Crash consistency with real SIGKILLs, and concurrent ingests on one data dir."""

from __future__ import annotations

import json
import os
import random
import signal
import subprocess
import sys
import time
from pathlib import Path

import pytest

from index.embedder import FakeEmbedder
from index.lexical import versions_fingerprint
from index.store import ArticleStore
from tests.index.test_pipeline import synthetic_text

REPO = Path(__file__).resolve().parents[2]

# Ingests articles.json into DATA_DIR with FakeEmbedder. With PAUSE_AT=n it prints "PAUSED" with the
# ids committed so far and the ids of the n-th commit (one upsert of article records), then sleeps
# just before that commit, i.e. after those articles' chunks were written.
WORKER = r"""
import json, sys, time
from pathlib import Path
from index.chunker import SentenceChunker
from index.dedup import Deduplicator
from index.embedder import FakeEmbedder
from index.pipeline import Ingestor
from index.store import ArticleStore
from newsqa.types import Article

data_dir, articles_path, pause_at = Path(sys.argv[1]), sys.argv[2], int(sys.argv[3])
embedder = FakeEmbedder(dim=32)
store = ArticleStore(data_dir, embedder.dim, model_id=embedder.model_id)
commits, committed = 0, []
original_upsert = store._articles_col.upsert
def upsert(*args, **kwargs):
    global commits
    commits += 1
    if commits == pause_at:
        print("PAUSED", json.dumps({"committed": committed, "pending": kwargs["ids"]}), flush=True)
        time.sleep(120)
    result = original_upsert(*args, **kwargs)
    committed.extend(kwargs["ids"])
    return result
store._articles_col.upsert = upsert
articles = [Article(**a) for a in json.load(open(articles_path))]
ingestor = Ingestor(store, embedder, SentenceChunker(embedder, 60, 15), Deduplicator(), embed_batch_chunks=8,
                    lock_timeout_s=60)
print("START", flush=True)
summary = ingestor.ingest_articles(articles)
print("DONE", json.dumps(summary.to_dict()), flush=True)
"""


@pytest.fixture
def corpus(tmp_path: Path) -> tuple[Path, list[dict]]:
    articles = [
        {
            "id": f"c{i:02d}",
            "title": f"Story {i}",
            "text": synthetic_text(1000 + i, sentences=20),
            "source": "x.com",
            "published": "2022-07-01",
            "content_hash": f"{i:02d}" * 32,
        }
        for i in range(12)
    ]
    path = tmp_path / "articles.json"
    path.write_text(json.dumps(articles))
    return path, articles


def _start(data_dir: Path, articles_path: Path, pause_at: int = 0) -> subprocess.Popen[str]:
    script = data_dir.parent / "worker.py"
    script.write_text(WORKER)
    env = dict(os.environ, PYTHONPATH=str(REPO), ANONYMIZED_TELEMETRY="False")
    return subprocess.Popen(
        [sys.executable, str(script), str(data_dir), str(articles_path), str(pause_at)],
        cwd=REPO,
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
        env=env,
    )


def _wait_for(proc: subprocess.Popen[str], marker: str, timeout_s: float = 120) -> str:
    deadline = time.monotonic() + timeout_s
    assert proc.stdout is not None
    while time.monotonic() < deadline:
        line = proc.stdout.readline()
        if line.startswith(marker):
            return line
        if not line and proc.poll() is not None:
            raise AssertionError(
                f"worker exited {proc.returncode}: {proc.stderr.read() if proc.stderr else ''}"
            )
    raise AssertionError(f"worker never printed {marker}")


def _check_consistent(data_dir: Path) -> ArticleStore:
    """Every visible article is complete; nothing of an uncommitted article is visible."""
    embedder = FakeEmbedder(dim=32)
    store = ArticleStore(data_dir, embedder.dim, model_id=embedder.model_id)
    versions = store.versions()
    assert store._lexical.fingerprint == versions_fingerprint(versions)
    for aid in versions:
        chunks = store.get_chunks(aid)
        assert len(chunks) == int(store._meta[aid]["chunks"]) > 0
        assert [c.n for c in chunks] == list(range(len(chunks)))
    records = store._chunks_col.get(include=["documents", "metadatas"])
    for cid, doc, meta in zip(records["ids"], records["documents"], records["metadatas"], strict=True):
        visible = meta["version"] == versions.get(meta["article_id"])
        dense = store.dense_search(embedder.embed_query(doc), k=3)
        lexical = store.lexical_search(doc, k=3)
        if not visible:
            assert cid not in {h.chunk.id for h in dense + lexical}
    return store


class TestCrashConsistency:
    def test_kill_between_chunks_and_commit(self, tmp_path: Path, corpus: tuple[Path, list[dict]]) -> None:
        path, articles = corpus
        data_dir = tmp_path / "data"
        worker = _start(data_dir, path, pause_at=3)
        paused = json.loads(_wait_for(worker, "PAUSED")[len("PAUSED ") :])
        worker.send_signal(signal.SIGKILL)
        worker.wait(timeout=30)

        store = _check_consistent(data_dir)
        assert paused["committed"] and paused["pending"]
        assert set(store.versions()) == set(paused["committed"])
        half = next(a for a in articles if a["id"] == paused["pending"][0])
        assert store.has_article(half["id"]) is None
        assert half["id"] not in {h.chunk.article_id for h in store.lexical_search(half["text"][:200], k=20)}
        orphans = store.repair()
        assert orphans > 0 and store.repair() == 0

        rerun = _start(data_dir, path)
        done = json.loads(_wait_for(rerun, "DONE")[len("DONE ") :])
        rerun.wait(timeout=30)
        assert (done["added"], done["unchanged"]) == (12 - len(paused["committed"]), len(paused["committed"]))
        final = _check_consistent(data_dir)
        assert set(final.versions()) == {a["id"] for a in articles}
        assert final.lexical_search(half["text"][:200], k=1)[0].chunk.article_id == half["id"]

    def test_kills_at_random_points(self, tmp_path: Path, corpus: tuple[Path, list[dict]]) -> None:
        path, articles = corpus
        data_dir = tmp_path / "data"
        rng = random.Random(3)
        for _ in range(2):
            worker = _start(data_dir, path)
            _wait_for(worker, "START")
            time.sleep(rng.uniform(0.05, 0.6))
            worker.send_signal(signal.SIGKILL)
            worker.wait(timeout=30)
            _check_consistent(data_dir)
        rerun = _start(data_dir, path)
        _wait_for(rerun, "DONE")
        rerun.wait(timeout=30)
        assert set(_check_consistent(data_dir).versions()) == {a["id"] for a in articles}


class TestStoreOpenedBeforeAnotherProcessWrote:
    """chromadb 1.5 caches a collection's vector index per process as first read: opened empty here,
    written by another process, it raised "Error creating hnsw segment reader: Nothing found on disk"
    on every dense search in this process until the store reconnects."""

    def test_open_store_and_new_store_search_what_another_process_wrote(
        self, tmp_path: Path, corpus: tuple[Path, list[dict]]
    ) -> None:
        path, articles = corpus
        data_dir = tmp_path / "data"
        embedder = FakeEmbedder(dim=32)
        early = ArticleStore(data_dir, embedder.dim, model_id=embedder.model_id)
        assert early.dense_search(embedder.embed_query("anything"), k=3) == []
        worker = _start(data_dir, path)
        _wait_for(worker, "DONE")
        worker.wait(timeout=30)

        assert set(_check_consistent(data_dir).versions()) == {a["id"] for a in articles}
        assert early.refresh()
        chunk = early.get_chunks("c03")[1]
        found = early.dense_search(embedder.embed_query(chunk.text), k=1)
        assert [h.chunk.id for h in found] == [chunk.id]


class TestConcurrentIngest:
    def test_two_ingests_serialize(self, tmp_path: Path, corpus: tuple[Path, list[dict]]) -> None:
        path, articles = corpus
        data_dir = tmp_path / "data"
        data_dir.mkdir()
        first, second = _start(data_dir, path), _start(data_dir, path)
        results = [json.loads(_wait_for(p, "DONE")[len("DONE ") :]) for p in (first, second)]
        for p in (first, second):
            p.wait(timeout=30)
        assert sorted((r["added"], r["unchanged"]) for r in results) == [(0, 12), (12, 0)]
        assert set(_check_consistent(data_dir).versions()) == {a["id"] for a in articles}

    def test_processes_opening_a_new_store_at_once(self, tmp_path: Path) -> None:
        # Without the open lock one of four such processes failed about one time in six with
        # "table collections already exists" (Chroma's schema created twice).
        opener = "import sys; from pathlib import Path; from index.store import ArticleStore\n"
        opener += "ArticleStore(Path(sys.argv[1]), 32, model_id='fake'); print('opened')"
        env = dict(os.environ, PYTHONPATH=str(REPO), ANONYMIZED_TELEMETRY="False")
        procs = [
            subprocess.Popen(
                [sys.executable, "-c", opener, str(tmp_path / "data")],
                cwd=REPO,
                stdout=subprocess.PIPE,
                stderr=subprocess.PIPE,
                text=True,
                env=env,
            )
            for _ in range(4)
        ]
        outcomes = [p.communicate(timeout=120) for p in procs]
        assert [(p.returncode, out.strip()) for p, (out, _) in zip(procs, outcomes, strict=True)] == [
            (0, "opened")
        ] * 4, [err[-500:] for _, err in outcomes]
