"""Function object -> its source AST, file position and name resolver.

Free names are resolved through the function's own closure cells, globals and
builtins, so ``np``, ``import numpy as xp`` and ``from numpy import exp``
all reach the same NumPy object.
"""

from __future__ import annotations

import ast
import builtins
import functools
import inspect
import os
import textwrap
import types
from dataclasses import dataclass
from typing import Any

from .errors import Loc, NoSource


@dataclass(frozen=True)
class Source:
    """A parsed function: its def (or lambda) node and where it came from."""

    fn: types.FunctionType
    node: ast.FunctionDef | ast.Lambda
    file: str
    lines: tuple[str, ...]
    first_line: int
    indent: int

    @property
    def name(self) -> str:
        return self.fn.__name__ if self.fn.__name__ != "<lambda>" else "f"

    def loc(self, node: ast.AST) -> Loc:
        line = getattr(node, "lineno", 1)
        col = getattr(node, "col_offset", 0)
        index = line - 1
        text = self.lines[index] if 0 <= index < len(self.lines) else ""
        return Loc(self.file, line + self.first_line - 1, col + self.indent, text)

    def lookup(self, name: str) -> Any:
        """Resolve a free name: closure cell, then globals, then builtins."""
        code = self.fn.__code__
        if name in code.co_freevars and self.fn.__closure__:
            cell = self.fn.__closure__[code.co_freevars.index(name)]
            try:
                return cell.cell_contents
            except ValueError:
                pass
        if name in self.fn.__globals__:
            return self.fn.__globals__[name]
        if hasattr(builtins, name):
            return getattr(builtins, name)
        raise NameError(name)


def display_path(path: str) -> str:
    """A file path as users see it: relative to the working directory if inside."""
    try:
        rel = os.path.relpath(path)
    except ValueError:
        return path
    return rel if not rel.startswith("..") else path


@functools.lru_cache(maxsize=512)
def parse(fn: types.FunctionType) -> Source:
    """Parse ``fn``'s source; decorators are stripped, lambdas located."""
    fn = inspect.unwrap(fn)
    if not isinstance(fn, types.FunctionType):
        raise NoSource(
            f"{fn!r} is not a Python function, so it has no source to read",
            hint="Pass a function written in Python with `def` or `lambda`; "
            "to differentiate a NumPy function such as np.tanh, wrap it: "
            "`def f(x): return np.sum(np.tanh(x))`.",
        )
    try:
        lines, first_line = inspect.getsourcelines(fn)
    except (OSError, TypeError) as exc:
        raise NoSource(
            f"the source of {fn.__qualname__} is not available ({exc})",
            hint="Define the function in a .py file (or a notebook cell) so "
            "srcdiff can read it; functions made with exec() have no source.",
        ) from None
    text = "".join(lines)
    dedented = textwrap.dedent(text)
    indent = len(lines[0]) - len(lines[0].lstrip()) if dedented != text else 0
    file = display_path(inspect.getsourcefile(fn) or "<unknown>")
    first_line = max(first_line, 1)
    tree = _parse_text(dedented, fn, file, first_line)
    node = _find_node(tree, fn)
    if node is None:
        raise NoSource(
            f"could not find the definition of {fn.__qualname__} in its source",
            Loc(file, first_line, 0, lines[0]),
            hint="Give the function its own `def`, or put the lambda on a line "
            "of its own.",
        )
    if isinstance(node, ast.FunctionDef):
        node.decorator_list = []
    original = tuple(line.rstrip("\n") for line in lines)
    return Source(fn, node, file, original, first_line, indent)


def _parse_text(text: str, fn: types.FunctionType, file: str, line: int) -> ast.Module:
    try:
        return ast.parse(text)
    except SyntaxError:
        # A lambda inside a larger expression that spans lines: try the
        # lambda's line alone, wrapped so that it parses.
        first = text.splitlines()[0].strip().rstrip(",")
        for candidate in (first, f"({first})", f"{first})", f"({first}"):
            try:
                return ast.parse(candidate)
            except SyntaxError:
                continue
    raise NoSource(
        f"could not parse the source of {fn.__qualname__}",
        Loc(file, line, 0, text.splitlines()[0] if text else ""),
        hint="Define the function with `def` on lines of its own.",
    )


def _find_node(tree: ast.Module, fn: types.FunctionType) -> Any:
    params = fn.__code__.co_varnames[: fn.__code__.co_argcount]
    if fn.__name__ == "<lambda>":
        candidates = [
            n
            for n in ast.walk(tree)
            if isinstance(n, ast.Lambda) and tuple(a.arg for a in n.args.args) == params
        ]
        return candidates[0] if len(candidates) == 1 else None
    for n in ast.walk(tree):
        if isinstance(n, ast.FunctionDef) and n.name == fn.__name__:
            return n
    return None
