"""One writer per data dir: an exclusive fcntl lock on DATA_DIR/ingest.lock.

Usage:
    with DataDirLock(data_dir, timeout_s=30):
        ...write the store...

`DataDirLock.opening(data_dir)` is a second, short lock (DATA_DIR/open.lock) held while a process
opens embedded Chroma: two processes creating a new store at once otherwise race on its schema
("table collections already exists").

The lock dies with its process (the kernel releases it on exit or SIGKILL), so a crashed ingest
never leaves the data dir locked. The holder's pid is written into the file for the error message.
"""

from __future__ import annotations

import fcntl
import os
import time
from pathlib import Path
from types import TracebackType

from newsqa.errors import IndexBusy, InvalidInput

_POLL_S = 0.1


class DataDirLock:
    """Exclusive, process-wide lock on a data dir; raises IndexBusy when held past `timeout_s`."""

    def __init__(
        self,
        path: Path,
        timeout_s: float = 0,
        *,
        name: str = "ingest.lock",
        busy: str = "another ingest is running",
    ) -> None:
        if timeout_s < 0:
            raise InvalidInput(f"lock timeout must be >= 0, got {timeout_s}")
        self.data_dir = Path(path)
        self.path = self.data_dir / name
        self.timeout_s = timeout_s
        self._busy = busy
        self._fd: int | None = None

    @classmethod
    def opening(cls, path: Path, timeout_s: float = 60) -> DataDirLock:
        return cls(path, timeout_s, name="open.lock", busy="another process is opening the store")

    @property
    def held(self) -> bool:
        return self._fd is not None

    def acquire(self) -> None:
        if self._fd is not None:
            return
        self.data_dir.mkdir(parents=True, exist_ok=True)
        fd = os.open(self.path, os.O_RDWR | os.O_CREAT, 0o644)
        deadline = time.monotonic() + self.timeout_s
        while True:
            try:
                fcntl.flock(fd, fcntl.LOCK_EX | fcntl.LOCK_NB)
                break
            except BlockingIOError:
                if time.monotonic() >= deadline:
                    holder = _read_pid(fd)
                    os.close(fd)
                    who = f" (pid {holder})" if holder else ""
                    raise IndexBusy(f"{self._busy} on {self.data_dir}{who}") from None
                time.sleep(_POLL_S)
        os.ftruncate(fd, 0)
        os.pwrite(fd, str(os.getpid()).encode(), 0)
        self._fd = fd

    def release(self) -> None:
        if self._fd is None:
            return
        fd, self._fd = self._fd, None
        try:
            os.ftruncate(fd, 0)
            fcntl.flock(fd, fcntl.LOCK_UN)
        finally:
            os.close(fd)

    def __enter__(self) -> DataDirLock:
        self.acquire()
        return self

    def __exit__(
        self, exc_type: type[BaseException] | None, exc: BaseException | None, tb: TracebackType | None
    ) -> None:
        self.release()


def _read_pid(fd: int) -> str:
    try:
        return os.pread(fd, 32, 0).decode("ascii", "ignore").strip()
    except OSError:
        return ""
