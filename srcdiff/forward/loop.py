"""The tangents of a rolled loop: carried as state, the loop stays rolled.

Each carried value a tangent reaches (through its start or through a trip)
gets a carried tangent ``dh = dinit -> dupdate`` and the body gets the
tangents of its statements, so ``for t in range(n): h = f(h)`` becomes
``for t in range(n): h, dh = f(h), f'(h) dh``. The reverse half is
``srcdiff.reverse.loop``. Over a gradient (``srcdiff.hvp``) the adjoint
sweep's loops carry tangents too: the forward loop saves each trip's carried
tangent beside the value (``h_dots.append(h_dot)``), the backward trips pop
it where they pop the value, and what they stack (``deltas``) has its
tangents stacked beside it (``delta_dots``).
"""

from __future__ import annotations

from typing import Any

import numpy as np

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
    loop_locals,
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
    restored = _restored(ctx, loop, tangents)
    free = {v for v in loop_inputs(loop) if v in tangents} | restored
    carrying = _carrying(loop, free)
    if not carrying and not free:
        return
    starts = {c: tangent_or_zero(ctx, c.init, tangents) for c in carrying}
    phis: dict[Carried, Var] = {}
    for c in carrying:
        phi = Var(c.phi.hint, _value(starts[c]), c.phi.loc, like=c.phi)
        phi.sym = token(c.phi) if not phi.known else None
        name_tangent(ctx, phi, c.phi)
        phis[c] = tangents[c.phi] = phi
    body = sweep(ctx, loop.body, tangents)
    with ctx.builder.block(body):
        updates = {c: tangent_or_zero(ctx, c.update, tangents) for c in carrying}
    loop.body[:] = body
    _stacked(loop, tangents)
    results = []
    for c in carrying:
        result = Var(c.result.hint, UNKNOWN, c.result.loc, like=c.result)
        name_tangent(ctx, result, c.result)
        loop.carried.append(Carried(phis[c], starts[c], updates[c], result))
        results.append((c, result))
    if loop.reverse_of is None:
        _values(loop, [r for _, r in results])
    for c, result in results:
        if loop.reverse_of is not None:  # its shape is what counts (as dh's)
            result.value = phis[c].value
        if not result.known:
            result.sym = token(c.result)
        tangents[c.result] = result


def _restored(ctx: Context, loop: Loop, tangents: dict[Var, Any]) -> set[Var]:
    """A backward loop pops, beside each forward value it restores, that
    value's tangent (which its forward loop then saves), or reads it where
    the forward loop did not make it; the restored values that have one."""
    forward = loop.reverse_of
    if forward is None:
        return set()
    made = {c.phi for c in forward.carried} | set(loop_locals(forward))
    restored = set()
    for var, value in list(loop.restores):
        saved = tangents.get(value)
        if saved is None:
            continue
        restored.add(var)
        if not isinstance(saved, Var) or saved not in made:
            tangents[var] = saved  # the same for every trip
            continue
        tangent = Var(var.hint, _zeros(saved), var.loc, like=var)
        tangent.sym = token(var) if not tangent.known else None
        name_tangent(ctx, tangent, var)
        loop.restores.append((tangent, saved))
        forward.saves.append(saved)
        tangents[var] = tangent
    return restored


def _stacked(loop: Loop, tangents: dict[Var, Any]) -> None:
    """Each value a backward trip stacks that has a tangent has it stacked
    too, into the tangent of the stacked list."""
    for value, stack in list(loop.stacks):
        tangent = tangents.get(value)
        if not isinstance(tangent, Var):
            continue
        like = UNKNOWN  # a trip's value per trip the stacked list holds
        if isinstance(stack.value, list) and tangent.known:
            like = [tangent.value] * len(stack.value)
        stacked = Var(stack.hint, like, stack.loc, "temp")
        loop.stacks.append((tangent, stacked))
        tangents[stack] = stacked


def _zeros(value: Var) -> Any:
    """A tangent's value while tracing, where only its shape counts."""
    return np.zeros_like(value.value) if value.known else UNKNOWN


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
