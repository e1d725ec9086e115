"""One writer per data dir: an exclusive fcntl lock on DATA_DIR/ingest.lock.

Usage:
    with DataDirLock(data_dir, timeout_s=30):
        ...write the store...
    with DataDirLock(data_dir, timeout_s=math.inf, on_wait=print):   # wait its turn, saying so
        ...

`DataDirLock.opening(data_dir)` is a second, short lock (DATA_DIR/open.lock) held while a process
opens embedded Chroma: two processes creating a new store at once otherwise race on its schema
("table collections already exists").

The lock dies with its process (the kernel releases it on exit or SIGKILL), so a crashed ingest
never leaves the data dir locked. The holder's pid is written into the file for the error message.
"""

from __future__ import annotations

import fcntl
import math
import os
import time
from collections.abc import Callable
from pathlib import Path
from types import TracebackType

from newsqa.errors import IndexBusy, InvalidInput

_POLL_S = 0.1
# While waiting for the lock, `on_wait` hears again after this many seconds.
_NOTICE_EVERY_S = 15.0


class DataDirLock:
    """Exclusive, process-wide lock on a data dir; raises IndexBusy when held past `timeout_s`
    (`math.inf`: wait as long as it takes). `on_wait(message)` is told when the lock is found busy
    and every `_NOTICE_EVERY_S` seconds after, while this one waits its turn."""

    def __init__(
        self,
        path: Path,
        timeout_s: float = 0,
        *,
        name: str = "ingest.lock",
        busy: str = "another ingest is running",
        on_wait: Callable[[str], None] | None = None,
    ) -> None:
        if timeout_s < 0:
            raise InvalidInput(f"lock timeout must be >= 0, got {timeout_s}")
        self.data_dir = Path(path)
        self.path = self.data_dir / name
        self.timeout_s = timeout_s
        self._busy = busy
        self._on_wait = on_wait
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
        started = time.monotonic()
        next_notice = started
        while True:
            try:
                fcntl.flock(fd, fcntl.LOCK_EX | fcntl.LOCK_NB)
                break
            except BlockingIOError:
                waited = time.monotonic() - started
                if waited >= self.timeout_s:
                    os.close(fd)
                    raise self._busy_error() from None
                if self._on_wait is not None and time.monotonic() >= next_notice:
                    self._on_wait(self._wait_notice(waited))
                    next_notice += _NOTICE_EVERY_S
                time.sleep(_POLL_S)
        os.ftruncate(fd, 0)
        os.pwrite(fd, str(os.getpid()).encode(), 0)
        self._fd = fd

    def _who(self, holder: str) -> str:
        return f"{self._busy} on {self.data_dir}" + (f" (pid {holder})" if holder else "")

    def _wait_notice(self, waited: float) -> str:
        holder = self._who(_read_pid_of(self.path))
        limit = "" if math.isinf(self.timeout_s) else f", up to {self.timeout_s:g} s"
        return f"waiting for the write lock: {holder} (waited {waited:.0f} s{limit})"

    def _busy_error(self) -> IndexBusy:
        holder = self._who(_read_pid_of(self.path))
        retry_s = max(1, math.ceil(self.timeout_s))
        waited = f"waited {self.timeout_s:g} s for the write lock"
        return IndexBusy(f"{holder}; {waited}: retry after {retry_s} s", retry_after_s=retry_s)

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


def _read_pid_of(path: Path) -> str:
    try:
        with path.open("rb") as fh:
            return fh.read(32).decode("ascii", "ignore").strip()
    except OSError:
        return ""
