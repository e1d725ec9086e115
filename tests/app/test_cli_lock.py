"""`newsqa ingest` waits its turn for the data dir's write lock, saying so (docs/deploy.md):
real CLI processes with the real model, against a lock this test holds and then lets go."""

from __future__ import annotations

import json
import os
import subprocess
import sys
import threading
import time
from pathlib import Path

from index.lock import DataDirLock

REPO = Path(__file__).resolve().parents[2]
WAITING = "waiting for the write lock"


class CliRun:
    """`python -m app.cli ingest FILE --json` in a child process, its stderr read as it comes."""

    def __init__(self, data_dir: Path, file: Path, **env: str) -> None:
        self.proc = subprocess.Popen(
            [sys.executable, "-m", "app.cli", "ingest", str(file), "--data-dir", str(data_dir), "--json"],
            cwd=REPO,
            env={**os.environ, "PYTHONPATH": str(REPO), **env},
            stdout=subprocess.PIPE,
            stderr=subprocess.PIPE,
            text=True,
        )
        self.stderr: list[str] = []
        self._reader = threading.Thread(target=lambda: self.stderr.extend(self.proc.stderr), daemon=True)
        self._reader.start()

    def said(self, text: str) -> bool:
        return any(text in line for line in list(self.stderr))

    def finish(self, timeout_s: float) -> tuple[int, str, str]:
        self.proc.wait(timeout=timeout_s)  # the reply on stdout is one short line: no pipe fills up
        self._reader.join(timeout=5)
        return self.proc.returncode, self.proc.stdout.read(), "".join(self.stderr)  # type: ignore[union-attr]


def _wait_for(condition: object, timeout_s: float) -> None:
    deadline = time.monotonic() + timeout_s
    while not condition():  # type: ignore[operator]
        if time.monotonic() > deadline:
            raise AssertionError(f"not within {timeout_s} s")
        time.sleep(0.1)


def test_concurrent_ingests_wait_for_the_lock_and_all_land(tmp_path: Path) -> None:
    data_dir = tmp_path / "data"
    files = []
    for n, topic in enumerate(["harbour", "orchard"]):
        path = tmp_path / f"{topic}.txt"
        path.write_text(
            f"The {topic} story, number {n}. Volunteers cleaned the {topic} on Sunday morning and "
            f"counted the damage the storm had left behind. The town council promised new funds."
        )
        files.append(path)
    lock = DataDirLock(data_dir)
    lock.acquire()  # an ingest already running
    # The API's bound (0.5 s here) is not the CLI's: by default it waits as long as it takes.
    runs = [CliRun(data_dir, f, NEWSQA_WRITE_LOCK_WAIT_S="0.5") for f in files]
    try:
        _wait_for(lambda: all(run.said(WAITING) for run in runs), timeout_s=180)
        time.sleep(2.0)
        assert all(run.proc.poll() is None for run in runs)  # still waiting, not failed
    finally:
        lock.release()
    results = [run.finish(timeout_s=180) for run in runs]
    for code, stdout, err in results:
        assert code == 0, err
        assert json.loads(stdout.strip().splitlines()[-1])["added"] == 1
        assert "pid" in err and WAITING in err
