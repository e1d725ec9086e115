"""The rooms import one way, with no exceptions:

    kernel (newsqa: types, settings, errors)  <-  index  <-  qa  <-  api, ui, eval  <-  bench
    text kernel (textkit: sentences, words, stems, stop words)          app (composes all of them)

The kernel imports no room; nor does the text kernel, which every other room may use; `index/` writes the store; `qa/` reads it and answers; the HTTP API,
the UI and eval only call `qa` (and the kernel); `app/` (the CLI and the server assembly) is the one
room that knows them all. Modules of a room import each other freely, but the import graph between
rooms and modules has no cycle.
"""

from __future__ import annotations

import ast
from pathlib import Path

import pytest

REPO = Path(__file__).resolve().parent.parent
ROOMS = ("newsqa", "textkit", "index", "qa", "api", "ui", "eval", "bench", "app")
# What each room may import from the others.
ALLOWED = {
    "newsqa": set(),
    "textkit": set(),
    "index": {"newsqa", "textkit"},
    "qa": {"newsqa", "textkit", "index"},
    "api": {"newsqa", "textkit", "qa"},
    "ui": {"newsqa", "textkit", "qa"},
    "eval": {"newsqa", "textkit", "qa", "index"},
    "bench": {"newsqa", "textkit", "qa", "index", "eval"},
    "app": {"newsqa", "textkit", "index", "qa", "api", "ui", "eval", "bench"},
}


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


def _module_name(path: Path) -> str:
    parts = list(path.relative_to(REPO).with_suffix("").parts)
    return ".".join(parts[:-1] if parts[-1] == "__init__" else parts)


@pytest.mark.parametrize("path", _modules(), ids=lambda p: str(p.relative_to(REPO)))
def test_imports_go_one_way(path: Path) -> None:
    own = path.relative_to(REPO).parts[0]
    for name in _imports(path):
        target = name.split(".")[0]
        if target not in ROOMS or target == own:
            continue
        assert target in ALLOWED[own], (
            f"{path.relative_to(REPO)} imports {name}: {own} may not import {target}"
        )


def test_every_top_level_package_is_a_room() -> None:
    packages = {p.parent.name for p in REPO.glob("*/__init__.py")} - {"tests"}
    assert packages == set(ROOMS), f"rooms not listed in the architecture test: {packages ^ set(ROOMS)}"


def test_no_import_cycle_between_modules() -> None:
    """Module-level imports (not those inside functions, which run later) form no cycle."""
    names = {_module_name(p): p for p in _modules()}
    graph: dict[str, set[str]] = {}
    for name, path in names.items():
        tree = ast.parse(path.read_text(encoding="utf-8"))
        targets: set[str] = set()
        for node in tree.body:  # top level only
            if isinstance(node, ast.Import):
                targets |= {a.name for a in node.names}
            elif isinstance(node, ast.ImportFrom) and node.module and node.level == 0:
                targets.add(node.module)
                targets |= {f"{node.module}.{a.name}" for a in node.names}
        graph[name] = {t for t in targets if t in names and t != name}
    cycle = find_cycle(graph)
    assert cycle is None, "import cycle: " + " -> ".join(cycle or [])


def find_cycle(graph: dict[str, set[str]]) -> list[str] | None:
    """A path that returns to its start in `graph`, or None (depth-first search)."""
    state: dict[str, int] = {}  # 1: on the current path, 2: done

    def visit(node: str, trail: list[str]) -> list[str] | None:
        state[node] = 1
        for nxt in sorted(graph.get(node, ())):
            if state.get(nxt) == 1:
                return [*trail, node, nxt]
            if nxt not in state and (found := visit(nxt, [*trail, node])):
                return found
        state[node] = 2
        return None

    for name in sorted(graph):
        if name not in state and (found := visit(name, [])):
            return found
    return None


def test_find_cycle() -> None:
    assert find_cycle({"a": {"b"}, "b": {"c"}, "c": set()}) is None
    assert find_cycle({"a": {"b"}, "b": {"c"}, "c": {"a"}}) == ["a", "b", "c", "a"]


# Inside qa/, the stages import one way too: text <- question <- retrieval, answering; the modules at
# qa/'s top (service: the pipeline that runs the stages; plan, build, notices, cache, ingest policy,
# background indexing) may import every stage. Imports only for type hints (under `if TYPE_CHECKING:`)
# do not count.
QA_STAGES = {
    "text": set(),
    "question": {"text"},
    "retrieval": {"text", "question"},
    "answering": {"text", "question"},
}


def _runtime_imports(path: Path) -> list[str]:
    tree = ast.parse(path.read_text(encoding="utf-8"))
    hinted = {
        id(n)
        for node in ast.walk(tree)
        if isinstance(node, ast.If) and isinstance(node.test, ast.Name) and node.test.id == "TYPE_CHECKING"
        for n in ast.walk(node)
    }
    names: list[str] = []
    for node in ast.walk(tree):
        if id(node) in hinted:
            continue
        if isinstance(node, ast.Import):
            names += [a.name for a in node.names]
        elif isinstance(node, ast.ImportFrom) and node.module and node.level == 0:
            names.append(node.module)
    return names


@pytest.mark.parametrize("path", sorted((REPO / "qa").glob("*/*.py")), ids=lambda p: str(p.relative_to(REPO)))
def test_qa_stages_import_one_way(path: Path) -> None:
    stage = path.parent.name
    assert stage in QA_STAGES, f"qa/{stage}/ is not a listed stage"
    for name in _runtime_imports(path):
        parts = name.split(".")
        if parts[0] != "qa" or len(parts) < 3 or parts[1] == stage:
            continue
        assert parts[1] in QA_STAGES[stage], (
            f"{path.relative_to(REPO)} imports {name}: {stage} may not import {parts[1]}"
        )


# Sizes a newcomer can read: a module holds one concern, a function one step. A longer function
# says why on its `def` line with a comment that starts "# long:".
MAX_MODULE_LINES = 500
MAX_FUNCTION_LINES = 60


def long_functions(source: str) -> list[str]:
    """Functions of `source` over MAX_FUNCTION_LINES lines without a "# long:" reason, as "name (n lines)"."""
    lines = source.splitlines()
    return [
        f"{node.name} ({node.end_lineno - node.lineno + 1} lines)"
        for node in ast.walk(ast.parse(source))
        if isinstance(node, ast.FunctionDef | ast.AsyncFunctionDef)
        and node.end_lineno is not None
        and node.end_lineno - node.lineno + 1 > MAX_FUNCTION_LINES
        and "# long:" not in lines[node.lineno - 1]
    ]


class TestSizes:
    @pytest.mark.parametrize("path", _modules(), ids=lambda p: str(p.relative_to(REPO)))
    def test_module_and_function_sizes(self, path: Path) -> None:
        source = path.read_text()
        assert len(source.splitlines()) <= MAX_MODULE_LINES, f"{path.name}: split it by concern"
        assert not long_functions(source), f"{path.name}: split into named steps"

    def test_long_functions_finds_a_long_function_and_accepts_a_reason(self) -> None:
        body = "".join(f"    x{i} = {i}\n" for i in range(MAX_FUNCTION_LINES))
        assert long_functions(f"def grow():\n{body}") == [f"grow ({MAX_FUNCTION_LINES + 1} lines)"]
        assert long_functions(f"def grow():  # long: one table, read top to bottom\n{body}") == []
        assert long_functions("def short():\n    return 1\n") == []
