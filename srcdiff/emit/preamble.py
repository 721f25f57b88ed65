"""What an emitted module holds before its function: the import lines its
primitives need, copies of the ``srcdiff.helpers`` functions it calls and of
the user's primitives (``copies``), and the ``PathChanged`` class its guards
raise.

Takes the primitives the function body used and the program; also says which
names the preamble binds (so no value is named like them) and renames calls
of an imported function that an argument's name hides.
"""

from __future__ import annotations

import ast
import inspect
import textwrap
from typing import Any

from srcdiff import helpers
from srcdiff.emit.copies import copied_names, copies
from srcdiff.ir.nodes import Assign, Guard, Program, all_stmts
from srcdiff.ir.prims import NUMPY, Prim

GUARD_CLASS = "PathChanged"

_GUARD_SOURCE = f'''
class {GUARD_CLASS}(RuntimeError):
    """The inputs take another path than the example this code was made for."""

    def __init__(self, where, what):
        super().__init__(f"{{where}}: {{what}}; emit the gradient again for them")
'''


def preamble(prims: list[Prim], program: Program) -> list[ast.stmt]:
    out: list[ast.stmt] = []
    copied = copies(prims)
    for line in _imports(prims, copied.imports):
        out.extend(_aliased(ast.parse(line).body, set(program.params)))
    for fn in _helpers_needed(prims):
        out.extend(ast.parse(textwrap.dedent(inspect.getsource(fn))).body)
    out.extend(copied.statements())
    if any(isinstance(s, Guard) for s in all_stmts(program.stmts)) or program.statics:
        out.extend(ast.parse(_GUARD_SOURCE).body)
    return out


def bound_names(program: Program) -> set[str]:
    """Every name the preamble may bind: ``np``, the helpers, the functions
    imported by name, the guard class."""
    imported = _imported_names(program)
    return {"np", GUARD_CLASS, *_helper_names(), *imported, *copied_names(program)}


def alias_calls(func: ast.FunctionDef, program: Program) -> None:
    """Calls of an imported function an argument's name hides go by its alias
    (a called name is never an argument: arguments hold arrays)."""
    params = set(program.params) & _imported_names(program)
    for node in ast.walk(func):
        if (
            isinstance(node, ast.Call)
            and isinstance(node.func, ast.Name)
            and node.func.id in params
        ):
            node.func.id += "_"


def _imports(prims: list[Prim], extra: set[str]) -> list[str]:
    """Import lines in isort's order: ``import x`` first, then ``from x import``,
    the names one module gives merged into one line."""
    lines = {line for p in prims for line in p.imports} | {NUMPY} | extra
    plain = sorted(line for line in lines if not line.startswith("from"))
    names: dict[str, set[str]] = {}
    for line in lines - set(plain):
        module, _, imported = line.removeprefix("from ").partition(" import ")
        names.setdefault(module, set()).update(n.strip() for n in imported.split(","))
    merged = [f"from {m} import {', '.join(sorted(names[m]))}" for m in sorted(names)]
    return plain + merged


def _imported_names(program: Program) -> set[str]:
    """Names that ``from scipy.special import logsumexp`` and the like bind."""
    lines = {
        line
        for s in all_stmts(program.stmts)
        if isinstance(s, Assign)
        for line in s.prim.imports
    }
    names: set[str] = set()
    for line in lines:
        for node in ast.parse(line).body:
            if isinstance(node, (ast.Import, ast.ImportFrom)):
                names.update(a.asname or a.name.split(".")[0] for a in node.names)
    return names


def _helper_names() -> list[str]:
    return [
        name
        for name, fn in inspect.getmembers(helpers, inspect.isfunction)
        if fn.__module__ == helpers.__name__
    ]


def _aliased(imports: list[ast.stmt], params: set[str]) -> list[ast.stmt]:
    """``from scipy.special import beta as beta_`` where an argument is called
    ``beta`` (the function body calls it by the alias, see ``alias_calls``)."""
    for node in imports:
        if isinstance(node, ast.ImportFrom):
            for alias in node.names:
                if alias.name in params:
                    alias.asname = alias.name + "_"
    return imports


def _helpers_needed(prims: list[Prim]) -> list[Any]:
    """Helpers the code calls, and the helpers those call, in source order."""
    available = dict(inspect.getmembers(helpers, inspect.isfunction))
    needed: set[str] = set()
    todo = [p.helper.__name__ for p in prims if p.helper is not None]
    while todo:
        name = todo.pop()
        if name in needed:
            continue
        needed.add(name)
        tree = ast.parse(textwrap.dedent(inspect.getsource(available[name])))
        todo.extend(
            n.id
            for n in ast.walk(tree)
            if isinstance(n, ast.Name) and n.id in available
        )
    ordered = sorted(needed, key=lambda n: inspect.getsourcelines(available[n])[1])
    return [available[n] for n in ordered]
