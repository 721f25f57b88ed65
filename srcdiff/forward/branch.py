"""The tangents of a ``Branch``: computed in the arm that runs.

Each arm gets the tangents of its statements, and each name the ``if`` may
rebind whose value has a tangent in either arm gets a merged tangent (zeros
from the arm that gives none). The reverse half is ``srcdiff.reverse.branch``.
"""

from __future__ import annotations

from typing import Any

from srcdiff.forward.context import Context, Sweep
from srcdiff.forward.tangents import has_tangent, name_tangent, tangent_or_zero
from srcdiff.ir.nodes import UNKNOWN, Branch, Merge, Var, branch_inputs, walk_vars
from srcdiff.ir.values import token
from srcdiff.reverse.activity import can_carry_gradient


def forward_branch(
    ctx: Context, branch: Branch, tangents: dict[Var, Any], sweep: Sweep
) -> None:
    if not any(v in tangents for v in branch_inputs(branch)):
        return
    then = sweep(ctx, branch.then, tangents)
    orelse = sweep(ctx, branch.orelse, tangents)
    merges = []
    for m in branch.merges:
        if not can_carry_gradient(m.result):
            continue
        if not (has_tangent(m.then, tangents) or has_tangent(m.orelse, tangents)):
            continue
        with ctx.builder.block(then):
            d_then = tangent_or_zero(ctx, m.then, tangents)
        with ctx.builder.block(orelse):
            d_else = tangent_or_zero(ctx, m.orelse, tangents)
        taken = _taken(branch)
        value = UNKNOWN if taken is None else _value(d_then if taken else d_else)
        result = Var(m.result.hint, value, m.result.loc, like=m.result)
        if not result.known:
            result.sym = token(m.result)
        name_tangent(ctx, result, m.result)
        merges.append(Merge(d_then, d_else, result))
        tangents[m.result] = result
    branch.then[:] = then
    branch.orelse[:] = orelse
    branch.merges.extend(merges)


def _taken(branch: Branch) -> bool | None:
    cond = branch.cond
    if isinstance(cond, Var) and cond.known:
        return bool(cond.value)
    return None


def _value(value: Any) -> Any:
    if isinstance(value, Var):
        return value.value
    return value if not list(walk_vars(value)) else UNKNOWN
