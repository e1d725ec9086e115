"""The embedding model in a child process, for ingest batches.

Why a process and not the ingest's embedding thread: Chroma's Rust bindings hold the GIL for
the whole of a write (1.0-1.4 s for 512 chunks with their text), and a thread running the model
in the same process needs the GIL between model calls (every batch on ONNX Runtime, every layer
on torch), so it stalls for most of each write. A child process has its own interpreter: the
model never waits for the writer. Measured in docs/eval.md ("Ingest: ... the model in a child
process"): 400-article int8 ingests took 173.2 and 170.0 s with the thread, 159.8 and 155.5 s
with the child.

The child is `python -m index.encoder_process`, spoken to over its stdin/stdout with pickles
(not `multiprocessing`, whose spawn re-runs the parent's main script in the child).

Usage:
    process = EncoderProcess.for_embedder(embedder)   # the child starts loading the model
    process.wait_ready()
    vectors = embedder.embed_texts(texts, encode=process.encode)   # cache here, model there
    process.close()
"""

from __future__ import annotations

import logging
import os
import pickle
import subprocess
import sys
import threading
import weakref
from collections.abc import Callable
from typing import Any, BinaryIO

import numpy as np

logger = logging.getLogger(__name__)


class EncoderProcess:
    """One child process holding a copy of an `Embedder`'s model (no cache: the parent keeps it).

    If the child cannot start or dies, `encode` falls back to `fallback` (the parent's model) and
    says so in the log, so an ingest never fails for it.
    """

    def __init__(self, options: dict[str, Any], fallback: Callable[[list[str]], np.ndarray]) -> None:
        self._fallback = fallback
        self._lock = threading.Lock()
        self._ready = threading.Event()
        self._failed = False
        self._child: subprocess.Popen[bytes] | None = None
        self._stop_child: Callable[[], Any] = lambda: None
        env = dict(os.environ, PYTHONPATH=os.pathsep.join(p for p in sys.path if p))
        try:
            self._child = subprocess.Popen(
                [sys.executable, "-m", "index.encoder_process", str(os.getpid())],
                stdin=subprocess.PIPE,
                stdout=subprocess.PIPE,
                env=env,
            )
            # Stops the child once: on `close`, on giving up, or when a forgotten one is collected.
            self._stop_child = weakref.finalize(self, _stop, self._child)
            _send(self._child.stdin, options)
        except OSError as exc:  # no process could be started, or it died at once
            self._give_up(exc)
            self._ready.set()
            return
        threading.Thread(target=self._await_ready, name="newsqa-encoder-start", daemon=True).start()

    @classmethod
    def for_embedder(cls, embedder: Any) -> EncoderProcess:
        options = {
            "model_path": embedder.model_path,
            "backend": embedder.backend,
            "batch_size": embedder.batch_size,
            "device": embedder.device,
            "onnx_path": getattr(embedder, "onnx_path", None),
        }
        return cls(options, fallback=embedder.encode_uncached)

    def _await_ready(self) -> None:
        try:
            status, detail = _receive(self._child.stdout)  # type: ignore[union-attr]
            if status != "ready":
                raise RuntimeError(detail)
        except Exception as exc:  # EOF: the child died; or it could not load the model
            self._give_up(exc)
        self._ready.set()

    @property
    def pid(self) -> int | None:
        """The child's process id while it runs."""
        return self._child.pid if self._child is not None else None

    def wait_ready(self) -> bool:
        """Block until the child has loaded the model; False when it could not."""
        self._ready.wait()
        return not self._failed

    def ready(self) -> bool:
        """True once the child has loaded the model (never blocks)."""
        return self._ready.is_set() and not self._failed

    def encode(self, texts: list[str]) -> np.ndarray:
        """Unit-length vectors of `texts`, computed in the child (or here, if it is gone)."""
        if self.wait_ready():
            with self._lock:
                child = self._child
                try:
                    if child is None:
                        raise OSError("closed")
                    _send(child.stdin, list(texts))
                    status, detail = _receive(child.stdout)
                except (OSError, EOFError, ValueError, pickle.UnpicklingError) as exc:
                    self._give_up(exc)
                else:
                    if status == "ok":
                        return np.asarray(detail, dtype=np.float32)
                    raise RuntimeError(f"embedding child process: {detail}")
        return self._fallback(list(texts))

    def close(self) -> None:
        self._child = None
        self._failed = True
        self._ready.set()
        self._stop_child()

    def _give_up(self, exc: BaseException) -> None:
        if not self._failed:
            logger.warning("embedding child process unavailable (%s); embedding in this process", exc)
        self._failed = True
        child, self._child = self._child, None
        if child is not None:
            child.kill()
        self._stop_child()

    def __enter__(self) -> EncoderProcess:
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()


def _stop(child: subprocess.Popen[bytes]) -> None:
    for stream in (child.stdin, child.stdout):
        if stream is not None:
            stream.close()  # the child reads EOF and exits
    try:
        child.wait(timeout=10)
    except subprocess.TimeoutExpired:
        child.kill()
        child.wait()


def _send(stream: BinaryIO | None, message: Any) -> None:
    if stream is None:
        raise OSError("the child's pipe is closed")
    pickle.dump(message, stream, protocol=pickle.HIGHEST_PROTOCOL)
    stream.flush()


def _receive(stream: BinaryIO | None) -> tuple[str, Any]:
    if stream is None:
        raise OSError("the child's pipe is closed")
    status, detail = pickle.load(stream)
    return status, detail


def _serve(requests: BinaryIO, replies: BinaryIO) -> None:
    """The child's loop: load the model named by the first message, then encode each list of texts."""
    from index.embedder import Embedder

    try:
        model = Embedder(**pickle.load(requests), cache_dir=None)
        model.embed_texts(["The child process warms the model up."])
    except Exception as exc:
        _send(replies, ("error", f"{type(exc).__name__}: {exc}"))
        return
    _send(replies, ("ready", None))
    while True:
        try:
            texts = pickle.load(requests)
        except EOFError:  # the parent closed the pipe, or died
            return
        try:
            _send(replies, ("ok", model.embed_texts(texts)))
        except Exception as exc:
            _send(replies, ("error", f"{type(exc).__name__}: {exc}"))


def _die_with(parent_pid: int) -> None:
    """On Linux, be killed as soon as the parent dies (a killed ingest must not leave the model
    running on a batch nobody will read); elsewhere the closed pipe ends the loop after the batch.

    Linux ties this to the parent's thread that started the child: if that thread ends first, the
    child goes too, and the parent's own model takes over (see `EncoderProcess.encode`).
    """
    try:
        import ctypes
        import signal

        ctypes.CDLL(None).prctl(1, signal.SIGKILL)  # PR_SET_PDEATHSIG
    except (OSError, AttributeError):
        pass
    if os.getppid() != parent_pid:  # the parent died before prctl took effect
        sys.exit(0)


if __name__ == "__main__":
    _die_with(int(sys.argv[1]))
    # The protocol owns the real stdout; anything a library prints goes to stderr instead.
    protocol_out = os.fdopen(os.dup(1), "wb")
    os.dup2(2, 1)
    _serve(sys.stdin.buffer, protocol_out)
