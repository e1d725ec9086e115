"""The rooms import one way: ui -> qa -> index -> kernel, eval/bench -> qa; only newsqa.cli/server compose."""

from __future__ import annotations

import ast
from pathlib import Path

import pytest

REPO = Path(__file__).resolve().parent.parent
ROOMS = ("newsqa", "index", "qa", "ui", "eval", "bench")
COMPOSERS = {"newsqa/cli.py", "newsqa/server.py"}
# What each room may import from the others (the kernel is newsqa.types/settings/errors).
ALLOWED = {
    "kernel": set(),
    "index": {"kernel"},
    "qa": {"kernel", "index"},
    "ui": {"kernel", "qa"},
    "eval": {"kernel", "qa", "index"},
    "bench": {"kernel", "qa", "index", "eval"},
}
KERNEL = {"newsqa", "newsqa.types", "newsqa.settings", "newsqa.errors"}


def _room_of(module: str) -> str | None:
    if module in KERNEL:
        return "kernel"
    top = module.split(".")[0]
    return top if top in ROOMS and top != "newsqa" else ("composer" if top == "newsqa" else None)


def _imports(path: Path) -> list[str]:
    tree = ast.parse(path.read_text(encoding="utf-8"))
    names: list[str] = []
    for node in ast.walk(tree):
        if isinstance(node, ast.Import):
            names += [a.name for a in node.names]
        elif isinstance(node, ast.ImportFrom) and node.module and node.level == 0:
            names.append(node.module)
    return names


def _modules() -> list[Path]:
    return sorted(p for room in ROOMS for p in (REPO / room).rglob("*.py") if "datasets" not in p.parts)


@pytest.mark.parametrize("path", _modules(), ids=lambda p: str(p.relative_to(REPO)))
def test_imports_go_one_way(path: Path) -> None:
    rel = str(path.relative_to(REPO))
    if rel in COMPOSERS:
        return
    own = "kernel" if rel.startswith("newsqa/") else rel.split("/")[0]
    for name in _imports(path):
        target = _room_of(name)
        if target is None or target == own:
            continue
        assert target in ALLOWED[own], f"{rel} imports {name}: {own} may not import {target}"
