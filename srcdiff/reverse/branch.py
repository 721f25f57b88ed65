"""The adjoint of a ``Branch``: an ``if`` on the same condition.

Each arm of the adjoint ``if`` holds that arm's adjoint, so the backward
sweep takes the path the forward sweep took; the values the arms read get
the arm's contribution, zeros where the other arm gives none. The forward
half is ``srcdiff.trace.branch``.
"""

from __future__ import annotations

from typing import Any

import numpy as np

from srcdiff.ir.nodes import UNKNOWN, Branch, Const, Merge, Var, branch_inputs
from srcdiff.ir.prims import PRIMS
from srcdiff.ir.values import token
from srcdiff.reverse.accumulate import accumulate
from srcdiff.reverse.activity import active_vars
from srcdiff.reverse.context import Backprop, Context


def reverse_branch(
    ctx: Context,
    branch: Branch,
    active: set[Var],
    adjoints: dict[Var, list[Any]],
    backprop: Backprop,
) -> None:
    """Append ``if cond:`` with each arm's adjoint; what the arms read gets
    the arm's contribution (zeros where the other arm gives none)."""
    builder = ctx.builder
    flowing = [m for m in branch.merges if m.result in active and m.result in adjoints]
    if not flowing:
        return
    seeds = {m: accumulate(ctx, adjoints.pop(m.result), m.result) for m in flowing}
    free = [v for v in branch_inputs(branch) if v in active]
    arms: list[tuple[list[Any], dict[Var, Any]]] = []
    for stmts, side in ((branch.then, "then"), (branch.orelse, "orelse")):
        with builder.block([]) as adjoint_stmts:
            values = [getattr(m, side) for m in flowing]
            arm_active = active_vars(stmts, free, values) | set(free)
            inner: dict[Var, list[Any]] = {}
            for m, value in zip(flowing, values, strict=True):
                if isinstance(value, Var) and value in arm_active:
                    inner.setdefault(value, []).append(seeds[m])
            backprop(ctx, stmts, arm_active, inner)
            sums = {v: accumulate(ctx, inner[v], None) for v in free if inner.get(v)}
        arms.append((adjoint_stmts, sums))
    targets = list(dict.fromkeys(v for _, sums in arms for v in sums))
    for adjoint_stmts, sums in arms:  # zeros where an arm gives none
        with builder.block(adjoint_stmts):
            for v in targets:
                if v not in sums:
                    sums[v] = builder.bind(PRIMS[np.zeros_like], (v,), loc=branch.loc)
    (then, then_sums), (orelse, else_sums) = arms
    merges = []
    for v in targets:
        taken = then_sums[v] if _taken(branch) else else_sums[v]
        value = _value(taken) if _taken(branch) is not None else UNKNOWN
        result = Var(v.hint, value, branch.loc, "adjoint", adjoint_of=v)
        result.like = v
        if value is UNKNOWN:
            result.sym = token(v)
        merges.append(Merge(then_sums[v], else_sums[v], result))
        adjoints.setdefault(v, []).append(result)
    builder.stmts.append(Branch(branch.cond, then, orelse, merges, branch.loc))


def _taken(branch: Branch) -> bool | None:
    cond = branch.cond
    if isinstance(cond, Var) and cond.known:
        return bool(cond.value)
    return None


def _value(value: Any) -> Any:
    if isinstance(value, (Var, Const)):
        return value.value
    return value
