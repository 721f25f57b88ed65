"""Python int lists a function only indexes with: data, not structure.

A char-RNN's ``loss(params, inputs, targets, hprev)`` gets a new
``inputs = [3, 1, 4, ...]`` with every window. Read as plain Python values,
those numbers would be baked into the derivative and every window would
trace it again. A parameter whose items the function only uses as indices
(``Wxh[:, inputs[t]]``, ``xs[t][inputs[t]] = 1``, ``ps[t][targets[t], 0]``)
and whose length it may read (``len(inputs)``) is traced instead, when its
argument is a list of ints, as a one-dimensional int array of that name: the
emitted code reads ``inputs[t]`` when it runs, and the list's length is a
size like an array's (``srcdiff.ir.sizes``), never a value the derivative is
specialised on. An index never changes the shape of what it selects, so no
size depends on those values.

Any other use (``for c in inputs``, ``inputs[t] + 1``, ``np.zeros(n[0])``,
passing the list on to another function, rebinding it) leaves the list a
Python value, as before. A trace that fails with the list as data
(``vocab[inputs[t]]`` indexes a Python list with it) is made again with the
list's values (``api``).
"""

from __future__ import annotations

import ast
import functools
from typing import Any

import numpy as np

KIND = "ints"


@functools.lru_cache(maxsize=256)
def indexed_only(node: ast.FunctionDef) -> frozenset[str]:
    """The parameters of ``node`` read only as ``len(p)`` and as ``p[i]`` used
    as an index itself (``x[p[i]]``, ``x[:, p[i]]``)."""
    args = node.args
    params = [a.arg for a in args.posonlyargs + args.args + args.kwonlyargs]
    parents: dict[ast.AST, ast.AST] = {}
    for parent in ast.walk(node):
        for child in ast.iter_child_nodes(parent):
            parents[child] = parent
    bad: set[str] = set()
    for child in ast.walk(node):
        if isinstance(child, ast.arg) and child.arg in params:
            if parents.get(child) is not args:  # shadowed in a nested function
                bad.add(child.arg)
        elif (
            isinstance(child, ast.Name)
            and child.id in params
            and not _indexed(child, parents)
        ):
            bad.add(child.id)
    return frozenset(p for p in params if p not in bad)


def _indexed(name: ast.Name, parents: dict[ast.AST, ast.AST]) -> bool:
    parent = parents.get(name)
    if not isinstance(name.ctx, ast.Load):
        return False
    if isinstance(parent, ast.Subscript) and parent.value is name:
        if not isinstance(parent.ctx, ast.Load) or _has_slice(parent.slice):
            return False
        return _an_index(parent, parents)
    return (
        isinstance(parent, ast.Call)
        and isinstance(parent.func, ast.Name)
        and parent.func.id == "len"
        and parent.args == [name]
        and not parent.keywords
    )


def _an_index(item: ast.expr, parents: dict[ast.AST, ast.AST]) -> bool:
    """Whether ``item`` is the index of a subscript, or one part of it."""
    up = parents.get(item)
    if isinstance(up, ast.Tuple) and isinstance(parents.get(up), ast.Subscript):
        item, up = up, parents.get(up)
    return isinstance(up, ast.Subscript) and up.slice is item


def _has_slice(index: ast.expr) -> bool:
    parts = index.elts if isinstance(index, ast.Tuple) else [index]
    return any(isinstance(p, (ast.Slice, ast.Starred)) for p in parts)


def is_int_list(value: Any) -> bool:
    """A list of Python ints (not bools) that fit an int64."""
    if type(value) is not list:
        return False
    if not all(type(v) is int for v in value):
        return False
    return all(-(2**63) <= v < 2**63 for v in value)


def as_array(value: list[int]) -> np.ndarray:
    """What the trace holds for such a list (the emitted code reads the list)."""
    return np.asarray(value, dtype=np.int64).reshape(len(value))


def fact(value: list[int]) -> tuple[Any, ...]:
    """The spec's fact for it: the kind and the length (a size)."""
    return (KIND, len(value))
