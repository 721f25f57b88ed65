"""Dead-code elimination: keep only what the outputs and guards read.

Calls with effects (random draws, seeds: ``Prim.effect``) are kept even when
nothing reads their result, like guards: each draw advances its generator, so
dropping one would change every draw after it, and the function itself makes
it. A gradient call leaves a generator in the state a call of the function
would.
"""

from __future__ import annotations

from srcdiff.ir.nodes import (
    Assign,
    Branch,
    Carried,
    Guard,
    Loop,
    Program,
    Stmt,
    Var,
    has_effects,
    stmt_inputs,
    stmt_outputs,
    walk_vars,
)


def eliminate_dead_code(program: Program) -> Program:
    """Drop every statement whose results no output, guard or live statement reads."""
    kept = live_block(program.stmts, set(walk_vars(program.output)))
    start = program.backward_start
    if start is not None:
        forward = set(map(id, program.stmts[:start]))
        start = sum(1 for s in kept if id(s) in forward)
    program.stmts = kept
    program.backward_start = start
    return program


def live_block(stmts: list[Stmt], live: set[Var]) -> list[Stmt]:
    """The statements of a block that ``live`` (updated in place) needs."""
    kept: list[Stmt] = []
    reversed_loops: set[int] = set()
    for stmt in reversed(stmts):
        if isinstance(stmt, Loop):
            if stmt.reverse_of is None and id(stmt) not in reversed_loops:
                stmt.saves = []
            if not _prune_loop(stmt, live):
                continue
            if stmt.reverse_of is not None:
                reversed_loops.add(id(stmt.reverse_of))
                stmt.reverse_of.saves = [phi for _, phi in stmt.restores]
        elif isinstance(stmt, Branch):
            if not _prune_branch(stmt, live):
                continue
        elif isinstance(stmt, Assign) and stmt.var not in live and not stmt.prim.effect:
            continue
        live.update(stmt_inputs(stmt))
        kept.append(stmt)
    kept.reverse()
    return kept


def _prune_loop(loop: Loop, live: set[Var]) -> bool:
    """Keep the carried values the loop's readers or its own trips need;
    whether the loop is needed at all."""
    needed = [
        c
        for c in loop.carried
        if c.result in live or c.phi in loop.saves or c is loop.counter
    ]
    loop.stacks = [(v, stack) for v, stack in loop.stacks if stack in live]
    # What the trips stack, and the trip's values the backward loop restores.
    stacked = [v for v, _ in loop.stacks] + list(loop.saves)
    has_guard = any(isinstance(s, Guard) for s in [*loop.test, *loop.body])
    has_effect = any(has_effects(s) for s in [*loop.test, *loop.body])
    if not (needed or stacked) and (
        loop.reverse_of is not None or not (has_guard or has_effect)
    ):
        return False
    if loop.stop is not None and loop.stop not in needed:  # it ends the loop
        needed.append(loop.stop)
    while True:  # a carried value whose phi a needed update reads is needed
        inner = _reads(loop, needed, stacked)
        more = [c for c in loop.carried if c.phi in inner and c not in needed]
        if not more:
            break
        needed += more
    loop.carried = [c for c in loop.carried if c in needed]
    inner = set(walk_vars([c.update for c in needed]))
    inner.update(walk_vars(loop.cond))
    inner.update(stacked)
    loop.body = live_block(loop.body, inner)
    loop.test = live_block(loop.test, inner)
    loop.restores = [(v, phi) for v, phi in loop.restores if v in inner]
    return True


def _prune_branch(branch: Branch, live: set[Var]) -> bool:
    """Keep the merges something reads; whether the if is needed at all."""
    branch.merges = [m for m in branch.merges if m.result in live]
    # What the arms define is also read directly by the adjoint's own if.
    then = live | set(walk_vars([m.then for m in branch.merges]))
    orelse = live | set(walk_vars([m.orelse for m in branch.merges]))
    branch.then = live_block(branch.then, then)
    branch.orelse = live_block(branch.orelse, orelse)
    return bool(branch.merges or branch.then or branch.orelse)


def _reads(loop: Loop, needed: list[Carried], stacked: list[Var]) -> set[Var]:
    """What the trips read to compute ``needed`` and the values they stack or
    save (nested loops taken whole)."""
    live = set(walk_vars([c.update for c in needed])) | set(stacked)
    live.update(walk_vars(loop.cond))
    for stmt in reversed([*loop.test, *loop.body]):
        kept = isinstance(stmt, Guard) or has_effects(stmt)
        if kept or any(v in live for v in stmt_outputs(stmt)):
            live.update(stmt_inputs(stmt))
    return live
