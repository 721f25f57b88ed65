"""Copies of the user's own functions an emitted file calls: each
``srcdiff.primitive`` and rule it uses, as a plain ``def`` (decorators and
annotations dropped), with what the copies read from their module.

A copy may read the builtins, NumPy and SciPy (modules, or functions imported
by name), other primitives (copied too) and plain numbers and strings (written
out as assignments); the emitted file could hold nothing else, so any other
global is a located error.
"""

from __future__ import annotations

import ast
import builtins
import copy
import importlib
import types
from dataclasses import dataclass, field
from typing import Any

from srcdiff.emit.literals import literal
from srcdiff.errors import TraceError
from srcdiff.ir.nodes import Assign, Program, all_stmts
from srcdiff.ir.prim import Prim
from srcdiff.ir.prims import NUMPY, lookup
from srcdiff.parse.source import Source, parse

_LIBRARIES = ("numpy", "scipy")
_PLAIN = (int, float, complex, str, bool, type(None))


@dataclass
class Copies:
    imports: set[str] = field(default_factory=set)
    # Plain values the copies read by name, in the order first read.
    values: dict[str, Any] = field(default_factory=dict)
    defs: list[ast.FunctionDef] = field(default_factory=list)

    def statements(self) -> list[ast.stmt]:
        assigns: list[ast.stmt] = [
            ast.Assign([ast.Name(name, ast.Store())], literal(value))
            for name, value in self.values.items()
        ]
        return [*assigns, *self.defs]

    def names(self) -> set[str]:
        """Every name the copies and their imports bind."""
        imported = {
            alias.asname or alias.name.split(".")[0]
            for line in self.imports
            for node in ast.parse(line).body
            if isinstance(node, (ast.Import, ast.ImportFrom))
            for alias in node.names
        }
        return {*imported, *self.values, *(d.name for d in self.defs)}


def copies(prims: list[Prim]) -> Copies:
    """The copies the calls of ``prims`` need, each once, in the order used."""
    out = Copies()
    done: set[Prim] = set()
    placed: dict[str, tuple[str, int]] = {}
    todo = [p for p in prims if p.copied is not None]
    while todo:
        prim = todo.pop(0)
        if prim in done or prim.copied is None:
            continue
        done.add(prim)
        source = parse(prim.copied)
        node = _as_def(prim.name, source.node)
        placed[node.name] = (source.path, source.first_line)
        out.defs.append(node)
        for name, read in _free_names(node).items():
            todo.extend(_global(source, name, read, out))
    out.defs.sort(key=lambda d: placed[d.name])  # as the user's file has them
    return out


def _as_def(name: str, node: ast.FunctionDef | ast.Lambda) -> ast.FunctionDef:
    """A copy of the def (a lambda's as a def), called ``name``, without
    annotations: the file imports no typing names."""
    node = copy.deepcopy(node)
    if isinstance(node, ast.Lambda):
        node = ast.FunctionDef(name, node.args, [ast.Return(node.body)], [], None)
    node.name, node.returns = name, None
    for n in ast.walk(node):
        if isinstance(n, ast.arg):
            n.annotation = None
    return node


def copied_names(program: Program) -> set[str]:
    """The names the copies a program needs bind in the emitted file."""
    prims = [
        s.prim
        for s in all_stmts(program.stmts)
        if isinstance(s, Assign) and s.prim.copied is not None
    ]
    return copies(prims).names() if prims else set()


def _global(source: Source, name: str, read: ast.Name, out: Copies) -> list[Prim]:
    """Note what the emitted file needs for ``name``; the primitives to copy."""
    try:
        value = source.lookup(name)
    except NameError:
        raise TraceError(
            f"{source.name} reads {name}, which is not defined",
            source.loc(read),
            f"Define {name} before calling {source.name}.",
        ) from None
    if value is getattr(builtins, name, None):
        return []
    prim = lookup(value)
    if prim is not None and prim.copied is not None:
        return [prim]
    line = _import_line(name, value)
    if line is not None:
        out.imports.add(line)
        return []
    if isinstance(value, _PLAIN):
        out.values.setdefault(name, value)
        return []
    raise TraceError(
        f"{source.name} reads {name} from {source.scope_of(name)}, which the "
        "emitted file cannot hold (it copies this function)",
        source.loc(read),
        "Read only NumPy, SciPy, numbers and other srcdiff primitives there, or "
        f"pass {name} as an argument.",
    )


def _import_line(name: str, value: Any) -> str | None:
    """``import numpy as np`` or ``from scipy.special import expit`` for a
    NumPy or SciPy module or function; None for anything else."""
    if isinstance(value, types.ModuleType):
        module = value.__name__
        if module.split(".")[0] not in _LIBRARIES:
            return None
        if (module, name) == ("numpy", "np"):
            return NUMPY
        return f"import {module}" if module == name else f"import {module} as {name}"
    module = getattr(value, "__module__", None) or ""
    attr = getattr(value, "__name__", "")
    if module.split(".")[0] not in _LIBRARIES:
        return None
    for where in (module, module.split(".")[0]):
        try:
            found = getattr(importlib.import_module(where), attr, None)
        except ImportError:
            continue
        if found is value:
            alias = "" if attr == name else f" as {name}"
            return f"from {where} import {attr}{alias}"
    return None


def _free_names(node: ast.FunctionDef) -> dict[str, ast.Name]:
    """Names the function reads but never binds, each at its first read."""
    bound = {a.arg for a in ast.walk(node) if isinstance(a, ast.arg)}
    bound |= {
        n.id
        for n in ast.walk(node)
        if isinstance(n, ast.Name) and not isinstance(n.ctx, ast.Load)
    }
    bound |= {
        n.name
        for n in ast.walk(node)
        if isinstance(n, (ast.FunctionDef, ast.ClassDef)) and n is not node
    }
    reads: dict[str, ast.Name] = {}
    for n in ast.walk(node):
        if (
            isinstance(n, ast.Name)
            and isinstance(n.ctx, ast.Load)
            and n.id not in bound
        ):
            reads.setdefault(n.id, n)
    return dict(sorted(reads.items(), key=lambda r: (r[1].lineno, r[1].col_offset)))
