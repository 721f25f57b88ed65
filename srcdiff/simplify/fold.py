"""Which values the emitted code spells out where they are read, unnamed.

Takes a simplified program and leaves it as it is; returns a ``Folding``:
single-use temporaries fold back into the one expression that reads them
(up to ``MAX_FOLD`` operations, so lines stay readable), a guard's test
parts fold into one ``if``, tuple results read item by item are unpacked
(``w, v = np.linalg.eigh(A)``), and a loop over ``xs`` that opens with
``x_t = xs[t]`` and reads ``t`` nowhere else iterates the rows
(``for x_t in xs``). Emit writes the program by this plan; names decides
by it which values still need a name.
"""

from __future__ import annotations

from collections import Counter
from dataclasses import dataclass
from typing import Any

import numpy as np

from srcdiff.ir.nodes import (
    Assign,
    Branch,
    Guard,
    Loop,
    Program,
    Stmt,
    Var,
    all_loops,
    all_stmts,
    blocks,
    stmt_inputs,
    walk_vars,
)
from srcdiff.ir.prims import DIM, GETITEM, PRIMS, TESTS, TUPLE_ITEM

# A folded expression holds at most this many operations.
MAX_FOLD = 5


@dataclass
class Folding:
    # How often each Var is read, the program's outputs included.
    uses: Counter[Var]
    # Values written as their expression wherever they are read.
    inline: dict[Var, Assign]
    # Tuple results bound item by item (None: an item nothing reads).
    unpacked: dict[Var, list[Var | None]]
    # Loops written ``for x_t in xs``: the ``x_t = xs[t]`` their trips open with.
    rows: dict[Loop, Assign]

    def expanded(self, values: list[Any]) -> set[Var]:
        """The Vars an expression reads once folded temporaries are spelled out."""
        found: set[Var] = set()
        todo = list(walk_vars(values))
        while todo:
            var = todo.pop()
            if var in found:
                continue
            found.add(var)
            if var in self.inline:
                todo.extend(stmt_inputs(self.inline[var]))
        return found

    def is_unpacked_item(self, stmt: Assign) -> bool:
        return stmt.prim is TUPLE_ITEM and stmt.args[0] in self.unpacked


def fold(program: Program) -> Folding:
    uses: Counter[Var] = Counter()
    blocks: dict[Var, set[int]] = {}
    _count_uses(program.stmts, uses, blocks)
    outputs = set(walk_vars(program.output))
    uses.update(walk_vars(program.output))
    unpacked = _unpackable(program, uses)
    folding = Folding(uses, {}, unpacked, {})
    folding.inline = _choose_inline(program, folding, outputs, blocks)
    folding.rows = _rows(program.stmts, uses)
    for row in folding.rows.values():  # the for's target: never folded
        folding.inline.pop(row.var, None)
    return folding


def _count_uses(
    stmts: list[Stmt], uses: Counter[Var], blocks: dict[Var, set[int]]
) -> None:
    """How often each Var is read, and in which blocks (a loop body is a block
    of its own: a value read there is never folded in from outside)."""

    def read(values: Any, block: list[Stmt]) -> None:
        for var in walk_vars(values):
            uses[var] += 1
            blocks.setdefault(var, set()).add(id(block))

    for stmt in stmts:
        if isinstance(stmt, Branch):
            read(stmt.cond, stmts)
            _count_uses(stmt.then, uses, blocks)
            _count_uses(stmt.orelse, uses, blocks)
            read([m.then for m in stmt.merges], stmt.then)
            read([m.orelse for m in stmt.merges], stmt.orelse)
            continue
        if not isinstance(stmt, Loop):
            read(list(stmt_inputs(stmt)), stmts)
            continue
        read([stmt.bounds, stmt.over, [c.init for c in stmt.carried]], stmts)
        _count_uses(stmt.test, uses, blocks)
        read(stmt.cond, stmt.test)
        _count_uses(stmt.body, uses, blocks)
        stacked = [v for v, _ in stmt.stacks]
        read([[c.update for c in stmt.carried], stmt.saves, stacked], stmt.body)


def _unpackable(program: Program, uses: Counter[Var]) -> dict[Var, list[Var | None]]:
    """Tuple results read only item by item: ``w, v = np.linalg.eigh(A)``."""
    items: dict[Var, dict[int, Var]] = {}
    defs: dict[Var, Assign] = {}
    for stmt in all_stmts(program.stmts):
        if isinstance(stmt, Assign):
            defs[stmt.var] = stmt
        if isinstance(stmt, Assign) and stmt.prim is TUPLE_ITEM:
            whole, index = stmt.args
            items.setdefault(whole, {})[index] = stmt.var
    out: dict[Var, list[Var | None]] = {}
    for whole, by_index in items.items():
        arity = len(whole.value) if whole.known else _arity(defs.get(whole))
        arity = arity or max(by_index) + 1
        if uses[whole] == len(by_index):
            out[whole] = [by_index.get(i) for i in range(arity)]
    return out


def _arity(stmt: Assign | None) -> int:
    """How many results a tuple-valued call has (0: unknown)."""
    if stmt is None:
        return 0
    arity = stmt.prim.arity
    return int(arity(stmt.kwargs) if callable(arity) else arity or 0)


def _choose_inline(
    program: Program,
    folding: Folding,
    outputs: set[Var],
    blocks: dict[Var, set[int]],
) -> dict[Var, Assign]:
    uses, unpacked = folding.uses, folding.unpacked
    weight: dict[Var, int] = {}
    inline: dict[Var, Assign] = {}
    updated = {
        s.args[0]
        for s in all_stmts(program.stmts)
        if isinstance(s, Assign) and s.prim.statements is not None
    }
    home = _home_blocks(program.stmts)
    tests = _guard_tests(program.stmts, uses)
    for stmt in all_stmts(program.stmts):
        if not isinstance(stmt, Assign) or stmt.var in unpacked:
            continue
        if stmt.var in updated or stmt.prim.statements is not None:
            continue
        if stmt.prim.effect:  # folded in, a draw could move past another
            continue
        if folding.is_unpacked_item(stmt):
            continue
        weight[stmt.var] = 1 + sum(
            weight.get(v, 0) for v in stmt_inputs(stmt) if v in inline
        )
        if stmt.var in tests or (stmt.prim is DIM and stmt.var.kind == "temp"):
            inline[stmt.var] = stmt  # X.shape[0] reads as well as a name
            continue
        if (
            stmt.var.kind == "temp"
            and uses[stmt.var] == 1
            and stmt.var not in outputs
            and weight[stmt.var] <= MAX_FOLD
            and blocks.get(stmt.var) == {home[stmt.var]}
        ):
            inline[stmt.var] = stmt
    return inline


def _guard_tests(stmts: list[Stmt], uses: Counter[Var]) -> set[Var]:
    """The parts of a guard's condition (``np.ndim(X) != 2 or ...``): one
    ``if`` however long, rather than named pieces."""
    defs = {s.var: s for s in all_stmts(stmts) if isinstance(s, Assign)}
    todo = [
        v for s in all_stmts(stmts) if isinstance(s, Guard) for v in walk_vars(s.cond)
    ]
    out: set[Var] = set()
    while todo:
        var = todo.pop()
        stmt = defs.get(var)
        if stmt is None or var.kind != "temp" or uses[var] != 1 or var in out:
            continue
        if stmt.prim.name in TESTS or stmt.prim in (DIM, PRIMS[np.ndim]):
            out.add(var)
            todo.extend(stmt_inputs(stmt))
    return out


def _home_blocks(stmts: list[Stmt]) -> dict[Var, int]:
    """The block each Assign stands in."""
    home: dict[Var, int] = {}
    for stmt in stmts:
        if isinstance(stmt, Assign):
            home[stmt.var] = id(stmts)
        for block in blocks(stmt):
            home.update(_home_blocks(block))
    return home


def _rows(stmts: list[Stmt], uses: Counter[Var]) -> dict[Loop, Assign]:
    """The forward ``for`` loops over ``xs`` whose trips open with
    ``x_t = xs[t]`` and read ``t`` nowhere else, each with that statement."""
    rows: dict[Loop, Assign] = {}
    for loop in all_loops(stmts):
        if loop.reverse_of is not None or loop.over is None:
            continue
        if loop.test or loop.cond is not None:  # a while
            continue
        first = loop.body[0] if loop.body else None
        if (
            isinstance(first, Assign)
            and first.prim is GETITEM
            and first.args == (loop.over, loop.index)
            and uses[loop.index] == 1
        ):
            rows[loop] = first
    return rows
