"""Layering: data flows one way (sources -> ... -> outputs); no import cycles; no arrow back up the chain.

Reads the import statements of bridge/ and retarget/ with ``ast`` (module level and inside functions), so a lazy
import that reaches back up is caught too.
"""

from __future__ import annotations

import ast
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]


def _modules() -> dict[str, Path]:
    out = {}
    for package in ("bridge", "retarget"):
        for path in (ROOT / package).rglob("*.py"):
            name = ".".join(path.relative_to(ROOT).with_suffix("").parts)
            out[name.removesuffix(".__init__")] = path
    return out


def _imports(path: Path, known: dict[str, Path], module_level_only: bool) -> set[str]:
    tree = ast.parse(path.read_text(encoding="utf-8"))
    nodes = tree.body if module_level_only else list(ast.walk(tree))
    deps: set[str] = set()
    for node in nodes:
        if isinstance(node, ast.ImportFrom) and node.module and node.level == 0:
            for alias in node.names:
                candidate = f"{node.module}.{alias.name}"
                deps.add(candidate if candidate in known else node.module)
        elif isinstance(node, ast.Import):
            deps.update(alias.name for alias in node.names)
    return {d for d in deps if d in known}


def _graph(module_level_only: bool) -> dict[str, set[str]]:
    known = _modules()
    return {name: _imports(path, known, module_level_only) - {name} for name, path in known.items()}


def _in(module: str, package: str) -> bool:
    return module == package or module.startswith(package + ".")


# (importer, imported): packages that must never import the other (later stages / the app around them).
FORBIDDEN = [
    ("bridge.sources", "bridge.outputs"), ("bridge.sources", "bridge.app"), ("bridge.sources", "bridge.config"),
    ("bridge.osc", "bridge.outputs"), ("bridge.osc", "bridge.app"), ("bridge.osc", "bridge.config"),
    ("bridge.outputs", "bridge.app"), ("bridge.outputs", "bridge.config"),
    ("bridge.tracking", "bridge.outputs"), ("bridge.tracking", "bridge.app"),
    ("bridge.inference", "bridge.outputs"), ("bridge.inference", "bridge.app"),
    ("bridge.recording_format", "bridge.outputs"), ("bridge.recording_format", "bridge.sources"),
    ("retarget", "bridge.outputs"), ("retarget", "bridge.app"), ("retarget", "bridge.config"),
]


def test_no_module_imports_back_up_the_flow():
    bad = [f"{a} imports {b}" for a, deps in _graph(module_level_only=False).items() for b in deps
           for src, dst in FORBIDDEN if _in(a, src) and _in(b, dst)]
    assert bad == []


def test_no_import_cycles_at_module_level():
    graph = _graph(module_level_only=True)
    index: dict[str, int] = {}
    low: dict[str, int] = {}
    stack: list[str] = []
    on_stack: set[str] = set()
    cycles: list[list[str]] = []

    def visit(v: str) -> None:  # Tarjan's strongly connected components
        index[v] = low[v] = len(index)
        stack.append(v)
        on_stack.add(v)
        for w in graph[v]:
            if w not in index:
                visit(w)
                low[v] = min(low[v], low[w])
            elif w in on_stack:
                low[v] = min(low[v], index[w])
        if low[v] == index[v]:
            component = []
            while True:
                w = stack.pop()
                on_stack.discard(w)
                component.append(w)
                if w == v:
                    break
            if len(component) > 1:
                cycles.append(sorted(component))

    for v in graph:
        if v not in index:
            visit(v)
    assert cycles == []


def test_config_imports_cleanly_on_its_own():
    import subprocess
    import sys

    for module in ("bridge.config", "bridge.outputs.registry", "bridge.sources.replay", "bridge.osc.listener"):
        result = subprocess.run([sys.executable, "-c", f"import {module}"], cwd=ROOT, capture_output=True, text=True)
        assert result.returncode == 0, f"import {module}: {result.stderr.strip().splitlines()[-1:]}"


def test_shared_validator_depends_on_the_standard_library_only():
    """retarget uses bridge.validate and must stay importable without the rest of the bridge."""
    graph = _graph(module_level_only=False)
    assert graph["bridge.validate"] == set() and graph["bridge.fields"] == set()
    retarget_deps = {d for name, deps in graph.items() if _in(name, "retarget") for d in deps}
    assert {d for d in retarget_deps if _in(d, "bridge")} <= {"bridge", "bridge.schema", "bridge.validate"}
