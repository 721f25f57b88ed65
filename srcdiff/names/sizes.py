"""Sizes the emitted code names once: ``n = X.shape[0]``, then ``n``.

Emit spells an input's axis (``X.shape[0]``, ``len(y)``) out where it is
read, which reads as well as a name when it is read once; read in several
places, a person names it. Takes a simplified program and binds each axis
that two or more statements outside the entry checks read to a value of its
own, named ``n`` (``m``, ``k`` for more), just before the first of them; the
checks before it keep spelling the axis out. Before that, a tuple of every
axis of one input in order (``(X.shape[0], X.shape[1])``) becomes
``np.shape(X)``, and an axis the entry checks hold equal to one the source
named (``n = len(y)``) reads that name after the check. Returns the program,
changed.
"""

from __future__ import annotations

import dataclasses
from collections import Counter
from typing import Any

import numpy as np

from srcdiff.ir.nodes import (
    Assign,
    Guard,
    Program,
    Stmt,
    Var,
    defined_in,
    reads_within,
    substitute,
    substitute_value,
    walk_vars,
)
from srcdiff.ir.prims import DIM, EITHER, PRIMS

# Names for sizes, in the order sizes are named; a name the function already
# uses is skipped.
NAMES = ("n", "m", "k")


def name_sizes(program: Program) -> Program:
    _whole_shapes(program)
    _read_named_equals(program)
    stmts = program.stmts
    checks = _check_parts(stmts)
    readers: dict[Var, list[Stmt]] = {}
    for index, stmt in enumerate(stmts):
        if index in checks:
            continue
        for var in set(reads_within(stmt)):
            readers.setdefault(var, []).append(stmt)
    outputs = Counter(walk_vars(program.output))
    taken = _names_used(program)
    free = iter(n for n in NAMES if n not in taken)
    for stmt in list(stmts):
        if not _is_axis(stmt):
            continue
        var = stmt.var
        reads = readers.get(var, [])
        if not reads or len(reads) + outputs[var] < 2:
            continue
        name = next(free, None)
        if name is None:
            break
        _bind_once(program, stmt, name, reads[0])
    return program


def _whole_shapes(program: Program) -> None:
    """``np.reshape(g, np.shape(X))``, not ``(X.shape[0], X.shape[1])``."""
    axes = {s.var: s.args for s in program.stmts if _is_axis(s)}
    stmts: list[Stmt] = []
    for index, stmt in enumerate(program.stmts):
        if index == program.backward_start:
            program.backward_start = len(stmts)
        if isinstance(stmt, Assign) and stmt.prim.statements is None:
            args = []
            for arg in stmt.args:
                array = _shape_of(arg, axes)
                if array is not None:
                    shape = Var("shape", np.shape(array.value))
                    stmts.append(Assign(shape, PRIMS[np.shape], (array,), {}))
                    arg = shape
                args.append(arg)
            stmt.args = tuple(args)
        stmts.append(stmt)
    program.stmts = stmts


def _shape_of(value: Any, axes: dict[Var, tuple[Any, ...]]) -> Var | None:
    """The input whose every axis, in order, the tuple ``value`` holds (two
    or more: ``(len(x),)`` reads as well as ``np.shape(x)``)."""
    if not isinstance(value, tuple) or len(value) < 2:
        return None
    reads = [axes.get(v) if isinstance(v, Var) else None for v in value]
    if any(r is None for r in reads):
        return None
    array = reads[0][0]  # type: ignore[index]
    whole = [(array, axis) for axis in range(len(value))]
    if reads != whole or not array.known or np.ndim(array.value) != len(value):
        return None
    return array


def _read_named_equals(program: Program) -> None:
    """After ``if X.shape[0] != n: raise ...``, where the source named
    ``n = len(y)``, the code reads ``n`` for ``X.shape[0]``."""
    defs = {s.var: s for s in program.stmts if isinstance(s, Assign)}
    named = {s.var for s in program.stmts if _is_named_size(s)}
    for index, stmt in enumerate(program.stmts):
        if not isinstance(stmt, Guard) or stmt.expect:
            continue
        for a, b in _checked_equal(stmt.cond, defs):
            for axis, name in ((a, b), (b, a)):
                if name in named and axis in defs and _is_axis(defs[axis]):
                    tail = substitute(program.stmts[index + 1 :], {axis: name})
                    program.stmts[index + 1 :] = tail
                    program.output = substitute_value(program.output, {axis: name})


def _checked_equal(cond: Any, defs: dict[Var, Assign]) -> list[tuple[Any, Any]]:
    """The pairs a guard that raises when ``a != b or ...`` holds equal."""
    stmt = defs.get(cond) if isinstance(cond, Var) else None
    if stmt is None:
        return []
    if stmt.prim is EITHER:
        return [pair for part in stmt.args for pair in _checked_equal(part, defs)]
    return [stmt.args] if stmt.prim.name == "not_equal" else []


def _is_named_size(stmt: Stmt) -> bool:
    """An axis the source itself named (``n = len(y)``)."""
    return isinstance(stmt, Assign) and stmt.prim is DIM and stmt.var.kind == "user"


def _is_axis(stmt: Stmt) -> bool:
    return isinstance(stmt, Assign) and stmt.prim is DIM and stmt.var.kind == "temp"


def _bind_once(program: Program, stmt: Assign, name: str, first: Stmt) -> None:
    """``name = <axis>`` just before ``first``, read from there on."""
    # Named like a value of the user's: emit writes it under its name.
    named = dataclasses.replace(stmt.var, hint=name, kind="user", like=None)
    mapping: dict[Var, Var] = {stmt.var: named}
    at = next(i for i, s in enumerate(program.stmts) if s is first)
    head, tail = program.stmts[:at], program.stmts[at:]
    program.stmts = [*head, Assign(named, DIM, stmt.args, {}, stmt.loc)]
    program.stmts += substitute(tail, mapping)
    program.output = substitute_value(program.output, mapping)
    if program.backward_start is not None and program.backward_start > at:
        program.backward_start += 1


def _check_parts(stmts: list[Stmt]) -> set[int]:
    """The top-level statements that only check the inputs: guards and what
    nothing but a check reads (``np.ndim(X) != 2``, ``len(a) + len(b)``)."""
    parts: set[int] = set()
    read_by: dict[Var, set[int]] = {}
    for index, stmt in enumerate(stmts):
        for var in reads_within(stmt):
            read_by.setdefault(var, set()).add(index)
    for index in reversed(range(len(stmts))):
        stmt = stmts[index]
        if isinstance(stmt, Guard) or (
            isinstance(stmt, Assign)
            and not stmt.prim.effect
            and read_by.get(stmt.var)
            and read_by[stmt.var] <= parts
        ):
            parts.add(index)
    return parts


def _names_used(program: Program) -> set[str]:
    """The names the function's own values and parameters go by."""
    values = [*defined_in(program.stmts), *walk_vars(program.inputs)]
    return set(program.params) | {
        v.hint for v in values if v.kind in ("user", "param", "leaf")
    }
