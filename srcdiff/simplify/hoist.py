"""Loop-invariant hoisting: what a rolled loop's trips all compute alike is
computed once, before the loop.

A backward loop reads the forward values it does not restore afresh each
trip (``W.T`` in ``dh = W.T @ delta``, ``x**2`` in a series' terms), and a
forward loop may do the same; each such statement costs a NumPy call a trip.
A statement of a loop's body moves up in front of the loop when it reads
nothing the loop defines for its trips (carried values, the index, restored
values, the values its trips compute from those), has no effects (a draw
happens once a trip), no guard of the body comes before it (a guard may be
what keeps it from failing, and a loop that runs no trip must fail as the
function would), and the body never writes into its result in place (an
inner loop's running sum starting from it). Nested loops are hoisted from
the inside out, so a value invariant in both leaves both.
"""

from __future__ import annotations

from typing import Any

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
    cse_key,
    defined_in,
    stmt_inputs,
    substitute,
    substitute_value,
)


def hoist_invariants(program: Program) -> Program:
    """Move every loop's trip-invariant statements in front of the loop."""
    start = program.backward_start
    forward = set(map(id, program.stmts[:start])) if start is not None else set()
    program.stmts = hoist_block(program.stmts, forward)
    if start is not None:
        program.backward_start = sum(1 for s in program.stmts if id(s) in forward)
    return program


def hoist_block(stmts: list[Stmt], forward: set[int] | None = None) -> list[Stmt]:
    """A block with each loop in it preceded by what it hoists; a hoisted
    statement the block computes already (the forward ``x**2`` a backward
    loop recomputes) is dropped for that value. ``forward``: the ids of the
    forward sweep's statements, to which a forward loop's hoisted ones join."""
    out: list[Stmt] = []
    seen: dict[Any, Var] = {}
    for stmt in stmts:
        mapping: dict[Var, Any] = {}
        for moved in _hoisted(stmt):
            moved.args = substitute_value(moved.args, mapping)
            moved.kwargs = substitute_value(moved.kwargs, mapping)
            key = _key(moved)
            if key is not None and key in seen:
                mapping[moved.var] = seen[key]
                continue
            if forward is not None and id(stmt) in forward:
                forward.add(id(moved))
            out.append(moved)
            if key is not None:
                seen[key] = moved.var
        if mapping:
            _rename(stmt, mapping)
        key = _key(stmt) if isinstance(stmt, Assign) else None
        if key is not None:
            seen.setdefault(key, stmt.var)  # type: ignore[union-attr]
        out.append(stmt)
    return out


def _hoisted(stmt: Stmt) -> list[Assign]:
    """Hoist inside ``stmt``'s blocks; the statements ``stmt`` itself, a loop,
    gives up to the block it stands in (removed from its body)."""
    if isinstance(stmt, Branch):
        stmt.then, stmt.orelse = hoist_block(stmt.then), hoist_block(stmt.orelse)
        return []
    if not isinstance(stmt, Loop):
        return []
    stmt.test, stmt.body = hoist_block(stmt.test), hoist_block(stmt.body)
    variant, written = _trip_values(stmt), _written(stmt.body)
    kept: list[Stmt] = []
    moved: list[Assign] = []
    guarded = False
    for inner in stmt.body:
        guarded = guarded or isinstance(inner, Guard)
        if not guarded and _invariant(inner, variant) and inner.var not in written:
            moved.append(inner)  # type: ignore[union-attr]
            continue
        kept.append(inner)
        variant.update(defined_in([inner]))
    stmt.body = kept
    return moved


def _rename(loop: Loop, mapping: dict[Var, Any]) -> None:
    """Make ``loop`` read through ``mapping``, keeping what each of its loops
    knows of its copies' forward originals (for their names)."""
    origins = {id(inner): inner.origins for inner in all_loops([loop])}
    for inner in all_loops(substitute([loop], mapping)):
        inner.origins = origins[id(inner)]


def trip_dependent(loop: Loop) -> set[Var]:
    """The values of a loop's trips that may differ from trip to trip (the
    rest, the same each trip, need no saving per trip)."""
    variant = _trip_values(loop)
    for stmt in loop.body:
        if not _invariant(stmt, variant):
            variant.update(defined_in([stmt]))
    return variant


def _invariant(stmt: Stmt, variant: set[Var]) -> bool:
    """A pure statement that reads no value of the trip."""
    return (
        isinstance(stmt, Assign)
        and not stmt.prim.effect
        and not any(v in variant for v in stmt_inputs(stmt))
    )


def _written(stmts: list[Stmt]) -> set[Var]:
    """Arrays a block may write into, so each trip needs its own: the start
    of an inner loop's running sum (emit adds to it in place) and the array
    of ``A[i] = v`` (emit writes into it where nothing else reads it)."""
    found = {c.init for loop in all_loops(stmts) for c in loop.carried}
    for stmt in all_stmts(stmts):
        if isinstance(stmt, Assign) and stmt.prim.statements is not None:
            found.update(stmt.args[:1])
    return {v for v in found if isinstance(v, Var)}


def _trip_values(loop: Loop) -> set[Var]:
    """What differs from trip to trip before the body runs: the carried
    values, the index, what the trip restores, and what its test computes."""
    found = {c.phi for c in loop.carried}
    if loop.index is not None:
        found.add(loop.index)
    found.update(v for v, _ in loop.restores)
    found.update(defined_in(loop.test))
    return found


def _key(stmt: Assign) -> Any:
    """What makes two pure statements compute the same value (None for a
    call with effects)."""
    return None if stmt.prim.effect else cse_key(stmt.prim, stmt.args, stmt.kwargs)
