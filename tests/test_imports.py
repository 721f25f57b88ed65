"""The package's import graph has no cycles, and none hides from this test.

Every ``import``/``from ... import`` of a srcdiff module counts, wherever it
stands: at module level, inside a function, or under ``TYPE_CHECKING``. A
package ``__init__`` may import its own submodules (Python runs the parent
first, so that edge is not a dependency on the parent's names); a module that
imports *names* from its own package's ``__init__`` makes a cycle and fails.
"""

from __future__ import annotations

import ast
from pathlib import Path

import srcdiff

PACKAGE = Path(srcdiff.__file__).parent


def _modules() -> dict[str, Path]:
    found = {}
    for path in PACKAGE.rglob("*.py"):
        parts = list(path.relative_to(PACKAGE.parent).with_suffix("").parts)
        if parts[-1] == "__init__":
            parts.pop()
        found[".".join(parts)] = path
    return found


MODULES = _modules()


def _target(name: str) -> str | None:
    """The srcdiff module ``name`` denotes, or its closest enclosing one."""
    while name and name not in MODULES:
        name = name.rpartition(".")[0]
    return name or None


def _imports(module: str, path: Path) -> list[tuple[str, int]]:
    """(imported srcdiff module, line) for every import statement in the file."""
    is_package = path.name == "__init__.py"
    found = []
    for node in ast.walk(ast.parse(path.read_text())):
        if isinstance(node, ast.Import):
            names = [alias.name for alias in node.names]
        elif isinstance(node, ast.ImportFrom):
            base = node.module or ""
            if node.level:
                anchor = module.split(".")
                anchor = anchor[: len(anchor) - node.level + (1 if is_package else 0)]
                base = ".".join([*anchor, base] if base else anchor)
            names = [f"{base}.{alias.name}" for alias in node.names]
        else:
            continue
        for name in names:
            target = _target(name) if name.startswith("srcdiff") else None
            if target and target != module:
                found.append((target, node.lineno))
    return found


GRAPH = {m: _imports(m, p) for m, p in MODULES.items()}


def _cycles() -> list[list[str]]:
    """Strongly connected components with more than one module (Tarjan)."""
    index: dict[str, int] = {}
    low: dict[str, int] = {}
    stack: list[str] = []
    on_stack: set[str] = set()
    components = []

    def visit(v: str) -> None:
        index[v] = low[v] = len(index)
        stack.append(v)
        on_stack.add(v)
        for w, _ in GRAPH[v]:
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
                components.append(sorted(component))

    for v in sorted(GRAPH):
        if v not in index:
            visit(v)
    return components


def test_the_graph_sees_the_stages():
    # A resolver that found nothing would pass the cycle test vacuously.
    imported = {target for target, _ in GRAPH["srcdiff.trace.tracer"]}
    assert {"srcdiff.ir.nodes", "srcdiff.trace.builder"} <= imported


def test_no_import_cycles():
    assert _cycles() == []


def test_reverse_never_imports_trace():
    for module, imports in GRAPH.items():
        if module.startswith("srcdiff.reverse"):
            bad = [(t, line) for t, line in imports if t.startswith("srcdiff.trace")]
            assert bad == [], f"{module} imports the trace stage: {bad}"


def test_forward_never_imports_trace():
    for module, imports in GRAPH.items():
        if module.startswith("srcdiff.forward"):
            bad = [(t, line) for t, line in imports if t.startswith("srcdiff.trace")]
            assert bad == [], f"{module} imports the trace stage: {bad}"
    assert any(module.startswith("srcdiff.forward") for module in GRAPH)


def test_ir_imports_nothing_of_the_stages():
    stages = ("srcdiff.rules", "srcdiff.trace", "srcdiff.reverse", "srcdiff.emit")
    for module, imports in GRAPH.items():
        if module.startswith("srcdiff.ir"):
            bad = [(t, line) for t, line in imports if t.startswith(stages)]
            assert bad == [], f"{module} imports a later stage: {bad}"


def _stage(module: str) -> str:
    """``srcdiff.trace.loop`` -> ``trace``; top-level modules are their own."""
    parts = module.split(".")
    return parts[1] if len(parts) > 1 else parts[0]


def test_stages_import_one_way():
    # Module by module the graph may be acyclic while two stages still lean
    # on each other through different modules: check the stages too.
    stage_graph: dict[str, set[str]] = {}
    for module, imports in GRAPH.items():
        for target, _ in imports:
            if _stage(target) != _stage(module):
                stage_graph.setdefault(_stage(module), set()).add(_stage(target))

    def reaches(start: str, goal: str, seen: set[str]) -> bool:
        for nxt in stage_graph.get(start, ()):
            if nxt == goal or (nxt not in seen and reaches(nxt, goal, seen | {nxt})):
                return True
        return False

    looped = sorted(s for s in stage_graph if reaches(s, s, {s}))
    assert looped == []
    assert "reverse" not in stage_graph["ir"]
    assert "trace" in stage_graph["pipeline"]  # the graph is not empty


def test_nothing_below_the_tracer_imports_it():
    # trace and reverse drive the work; the stages they use (and emit, which
    # only reads their result) never reach back into them.
    for module, imports in GRAPH.items():
        if _stage(module) in ("ir", "parse", "rules", "simplify", "names", "emit"):
            bad = [
                t for t, _ in imports if _stage(t) in ("trace", "reverse", "pipeline")
            ]
            assert bad == [], f"{module} imports {bad}"
