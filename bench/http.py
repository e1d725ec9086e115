"""`/ask` over HTTP on loopback: a `newsqa serve` subprocess, its cold start, RSS, and a load generator.

Usage:
    with ServerProcess(isettings, log_path=work / "server.log") as server:   # starts, waits for /readyz
        server.cold_start_s                                               # process start -> /readyz 200
        load = LoadGenerator(server.base_url, questions)
        load.run(concurrency=4, requests=200)   # {"rps", "latency": {...}, "errors", "status_codes"}
        server.peak_rss_mb()                                              # VmHWM of the server process

The server is the product's command (`python -m app.cli serve`, i.e. `newsqa serve`) with the
index settings passed as NEWSQA_* variables and the per-client rate limit off (every request comes
from 127.0.0.1). Each client is a thread with its own keep-alive connection; a fixed number of
requests is shared among the clients, so a level's duration follows from its throughput.
"""

from __future__ import annotations

import os
import socket
import subprocess
import sys
import threading
import time
from collections.abc import Sequence
from pathlib import Path
from types import TracebackType
from typing import Any

import httpx

from bench.corpus import WARM_UP_QUESTIONS, BenchQuestion
from bench.measure import latency_summary, peak_rss_mb, per_second, rss_mb
from newsqa.errors import Unavailable
from newsqa.settings import Settings


def free_port(host: str = "127.0.0.1") -> int:
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as sock:
        sock.bind((host, 0))
        return int(sock.getsockname()[1])


def server_env(isettings: Settings) -> dict[str, str]:
    """The environment that makes `newsqa serve` open exactly the index of `isettings`."""
    env = {k: v for k, v in os.environ.items() if not k.startswith("NEWSQA_")}
    env.update(
        {
            "HF_HUB_OFFLINE": "1",
            "TRANSFORMERS_OFFLINE": "1",
            "GRADIO_ANALYTICS_ENABLED": "False",
            "ANONYMIZED_TELEMETRY": "False",
            "TOKENIZERS_PARALLELISM": "false",
            "NEWSQA_DATA_DIR": str(isettings.data_dir),
            "NEWSQA_COLLECTION": isettings.collection,
            "NEWSQA_EMBEDDING_BACKEND": isettings.embedding_backend,
            "NEWSQA_CHUNK_TOKENS": str(isettings.chunk_tokens),
            "NEWSQA_CHUNK_OVERLAP_TOKENS": str(isettings.chunk_overlap_tokens),
            "NEWSQA_RETRIEVE_K": str(isettings.retrieve_k),
            "NEWSQA_TOP_K": str(isettings.top_k),
            "NEWSQA_RATE_LIMIT_PER_MINUTE": "0",
            # Every request must do the work: levels repeat the same questions.
            "NEWSQA_ANSWER_CACHE_SIZE": "0",
        }
    )
    if isettings.embedding_model:
        env["NEWSQA_EMBEDDING_MODEL"] = isettings.embedding_model
    if isettings.embedding_batch_size is not None:
        env["NEWSQA_EMBEDDING_BATCH_SIZE"] = str(isettings.embedding_batch_size)
    if isettings.onnx_export_dir is not None:
        env["NEWSQA_ONNX_EXPORT_DIR"] = str(isettings.onnx_export_dir)
    if isettings.abstain_threshold is not None:
        env["NEWSQA_ABSTAIN_THRESHOLD"] = str(isettings.abstain_threshold)
    if isettings.min_retrieval_score is not None:
        env["NEWSQA_MIN_RETRIEVAL_SCORE"] = str(isettings.min_retrieval_score)
    return env


class ServerProcess:
    """A `newsqa serve` subprocess on a free loopback port, stopped on exit."""

    def __init__(self, isettings: Settings, *, log_path: Path, start_timeout_s: float = 300.0) -> None:
        if start_timeout_s <= 0:
            raise ValueError(f"start_timeout_s must be > 0, got {start_timeout_s}")
        self.isettings = isettings
        self.log_path = Path(log_path)
        self.start_timeout_s = start_timeout_s
        self.port = free_port()
        self.base_url = f"http://127.0.0.1:{self.port}"
        self.command = [
            sys.executable,
            "-m",
            "app.cli",
            "serve",
            "--host",
            "127.0.0.1",
            "--port",
            str(self.port),
        ]
        self.cold_start_s: float | None = None
        self.rss_at_ready_mb: float | None = None
        self._proc: subprocess.Popen[bytes] | None = None
        self._log: Any = None

    @property
    def shown_command(self) -> str:
        return f"NEWSQA_DATA_DIR={self.isettings.data_dir} newsqa serve --host 127.0.0.1 --port {self.port}"

    def __enter__(self) -> ServerProcess:
        self.start()
        return self

    def __exit__(
        self, kind: type[BaseException] | None, exc: BaseException | None, tb: TracebackType | None
    ) -> None:
        self.stop()

    def start(self) -> float:
        self.log_path.parent.mkdir(parents=True, exist_ok=True)
        self._log = self.log_path.open("wb")
        started = time.perf_counter()
        self._proc = subprocess.Popen(
            self.command,
            env=server_env(self.isettings),
            stdout=self._log,
            stderr=subprocess.STDOUT,
            preexec_fn=_die_with_parent if sys.platform.startswith("linux") else None,
        )
        deadline = started + self.start_timeout_s
        with httpx.Client(base_url=self.base_url, timeout=2.0) as client:
            while time.perf_counter() < deadline:
                if self._proc.poll() is not None:
                    self.stop()
                    raise Unavailable(
                        f"newsqa serve exited with {self._proc.returncode}; see {self.log_path}"
                    )
                try:
                    if client.get("/readyz").status_code == 200:
                        self.cold_start_s = round(time.perf_counter() - started, 2)
                        self.rss_at_ready_mb = rss_mb(self._proc.pid)
                        return self.cold_start_s
                except httpx.HTTPError:
                    pass
                time.sleep(0.1)
        self.stop()
        raise Unavailable(
            f"newsqa serve was not ready within {self.start_timeout_s:.0f} s; see {self.log_path}"
        )

    def peak_rss_mb(self) -> float | None:
        if self._proc is None or self._proc.poll() is not None:
            return None
        return peak_rss_mb(self._proc.pid)

    def stop(self) -> None:
        if self._proc is not None and self._proc.poll() is None:
            self._proc.terminate()
            try:
                self._proc.wait(timeout=20)
            except subprocess.TimeoutExpired:
                self._proc.kill()
                self._proc.wait(timeout=10)
        if self._log is not None:
            self._log.close()
            self._log = None


class LoadGenerator:
    """POSTs the questions to /ask from `concurrency` client threads until `requests` are done."""

    def __init__(self, base_url: str, questions: Sequence[BenchQuestion], timeout_s: float = 120.0) -> None:
        if not questions:
            raise ValueError("LoadGenerator needs at least one question")
        self.base_url = base_url
        self.questions = list(questions)
        self.timeout_s = timeout_s

    def warm_up(self, count: int) -> None:
        with httpx.Client(base_url=self.base_url, timeout=self.timeout_s) as client:
            for i in range(count):
                client.post("/ask", json=_body(WARM_UP_QUESTIONS[i % len(WARM_UP_QUESTIONS)]))

    def run(self, concurrency: int, requests: int) -> dict[str, Any]:
        if concurrency < 1 or requests < 1:
            raise ValueError("concurrency and requests must be >= 1")
        lock = threading.Lock()
        next_index = [0]
        latencies: list[float] = []
        statuses: dict[str, int] = {}

        def take() -> int | None:
            with lock:
                if next_index[0] >= requests:
                    return None
                next_index[0] += 1
                return next_index[0] - 1

        def client_loop() -> None:
            with httpx.Client(base_url=self.base_url, timeout=self.timeout_s) as client:
                while (i := take()) is not None:
                    q = self.questions[i % len(self.questions)]
                    started = time.perf_counter()
                    try:
                        status = str(client.post("/ask", json=_body(q)).status_code)
                    except httpx.HTTPError as exc:
                        status = type(exc).__name__
                    elapsed_ms = (time.perf_counter() - started) * 1000.0
                    with lock:
                        statuses[status] = statuses.get(status, 0) + 1
                        if status == "200":
                            latencies.append(elapsed_ms)

        threads = [threading.Thread(target=client_loop, daemon=True) for _ in range(concurrency)]
        started = time.perf_counter()
        for thread in threads:
            thread.start()
        for thread in threads:
            thread.join()
        seconds = time.perf_counter() - started
        ok = statuses.get("200", 0)
        return {
            "concurrency": concurrency,
            "requests": requests,
            "seconds": round(seconds, 3),
            "rps": per_second(ok, seconds),
            "latency": latency_summary(latencies),
            "errors": requests - ok,
            "status_codes": dict(sorted(statuses.items())),
        }


def _die_with_parent() -> None:
    """Linux: the server gets SIGTERM when the benchmark dies, so a killed run leaves no server behind."""
    import ctypes
    import signal

    ctypes.CDLL("libc.so.6", use_errno=True).prctl(1, signal.SIGTERM)  # 1 = PR_SET_PDEATHSIG


def _body(q: BenchQuestion) -> dict[str, Any]:
    body: dict[str, Any] = {"question": q.question}
    if q.asked_at:
        body["as_of"] = q.asked_at
    return body
