"""The tangents of a rolled loop: carried as state, the loop stays rolled.

Each carried value a tangent reaches (through its start or through a trip)
gets a carried tangent ``dh = dinit -> dupdate`` and the body gets the
tangents of its statements, so ``for t in range(n): h = f(h)`` becomes
``for t in range(n): h, dh = f(h), f'(h) dh``. The reverse half is
``srcdiff.reverse.loop``.
"""

from __future__ import annotations

from typing import Any

from srcdiff.forward.context import Context, Sweep
from srcdiff.forward.tangents import name_tangent, tangent_or_zero
from srcdiff.ir import run
from srcdiff.ir.nodes import (
    UNKNOWN,
    Assign,
    Carried,
    Loop,
    Stmt,
    Var,
    has_effects,
    loop_inputs,
    stmt_inputs,
    stmt_outputs,
    walk_vars,
)
from srcdiff.ir.values import token
from srcdiff.reverse.activity import can_carry_gradient


def forward_loop(
    ctx: Context, loop: Loop, tangents: dict[Var, Any], sweep: Sweep
) -> None:
    """Add the tangents to ``loop``: carried ones, and its body's; bind the
    starts of those carried (zeros where only a trip gives one) before it."""
    free = {v for v in loop_inputs(loop) if v in tangents}
    carrying = _carrying(loop, free)
    if not carrying and not free:
        return
    starts = {c: tangent_or_zero(ctx, c.init, tangents) for c in carrying}
    phis: dict[Carried, Var] = {}
    for c in carrying:
        phi = Var(c.phi.hint, _value(starts[c]), c.phi.loc, like=c.phi)
        phi.sym = token(c.phi) if not phi.known else None
        name_tangent(phi, c.phi)
        phis[c] = tangents[c.phi] = phi
    body = sweep(ctx, loop.body, tangents)
    with ctx.builder.block(body):
        updates = {c: tangent_or_zero(ctx, c.update, tangents) for c in carrying}
    loop.body[:] = body
    results = []
    for c in carrying:
        result = Var(c.result.hint, UNKNOWN, c.result.loc, like=c.result)
        name_tangent(result, c.result)
        loop.carried.append(Carried(phis[c], starts[c], updates[c], result))
        results.append((c, result))
    _values(loop, [r for _, r in results])
    for c, result in results:
        if not result.known:
            result.sym = token(c.result)
        tangents[c.result] = result


def _carrying(loop: Loop, free: set[Var]) -> list[Carried]:
    """The carried values a tangent reaches: from their start, or from
    what a trip reads (``h = h + W @ x`` with only ``W`` differentiated)."""
    floats = [c for c in loop.carried if can_carry_gradient(c.phi)]
    found = {c for c in floats if isinstance(c.init, Var) and c.init in free}
    while True:
        reached = reaches(loop.body, free | {c.phi for c in found})
        more = {
            c
            for c in floats
            if c not in found and any(v in reached for v in walk_vars(c.update))
        }
        if not more:
            return [c for c in floats if c in found]
        found |= more


def reaches(stmts: list[Stmt], sources: set[Var]) -> set[Var]:
    """``sources`` and the values computed from them that can hold a tangent."""
    reached = set(sources)
    for stmt in stmts:
        if not any(v in reached for v in stmt_inputs(stmt)):
            continue
        if isinstance(stmt, Assign) and not stmt.prim.differentiable:
            continue
        reached.update(v for v in stmt_outputs(stmt) if can_carry_gradient(v))
    return reached


def _value(value: Any) -> Any:
    return value.value if isinstance(value, Var) else value


def _values(loop: Loop, results: list[Var]) -> None:
    """Run the loop on the example's values, so that the tangents after it
    hold theirs, as the values after a traced loop do (``srcdiff.ir.run``)."""
    known = all(v.known for v in loop_inputs(loop))
    if not known or has_effects(loop):  # a draw is made once, when it runs
        return
    env: dict[Var, Any] = {}
    run.run_loop(loop, env)
    for result in results:
        result.value = env[result]
