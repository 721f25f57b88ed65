"""Activity analysis: which values carry a derivative from ``wrt`` to the output.

Only statements on a path from a differentiated input to the output get an
adjoint; everything else is left out of the backward sweep.
"""

from __future__ import annotations

from typing import Any

import numpy as np

from srcdiff.ir import effects
from srcdiff.ir.nodes import (
    Assign,
    Branch,
    Loop,
    Var,
    stmt_inputs,
    stmt_outputs,
    walk_vars,
)


def active_vars(stmts: list[Any], sources: list[Var], output: Any) -> set[Var]:
    """Vars that depend on ``sources`` and that ``output`` depends on.

    A rolled loop counts as one statement defining all its results (its body
    gets an exact analysis of its own when it is reversed). A random draw whose
    arguments depend on ``sources`` and whose result reaches ``output`` is
    refused: it has no gradient, and treating it as constant would be wrong.
    """
    forward = set(sources)
    draws: list[Assign] = []
    for stmt in stmts:
        if isinstance(stmt, (Loop, Branch)):
            if any(v in forward for v in stmt_inputs(stmt)):
                forward.update(v for v in stmt_outputs(stmt) if can_carry_gradient(v))
            continue
        if isinstance(stmt, Assign) and stmt.prim.effect:
            reads = [v for v in stmt_inputs(stmt) if v in forward]
            if any(can_carry_gradient(v) for v in reads):
                draws.append(stmt)
        if not isinstance(stmt, Assign) or not stmt.prim.differentiable:
            continue
        reached = any(v in forward for v in stmt_inputs(stmt))
        if reached and can_carry_gradient(stmt.var):
            forward.add(stmt.var)
    backward = set(walk_vars(output))
    for stmt in reversed(stmts):
        if any(v in backward for v in stmt_outputs(stmt)):
            backward.update(stmt_inputs(stmt))
    for stmt in draws:
        if stmt.var in backward:
            raise effects.draw_needs_gradient(stmt.prim, stmt.loc)
    return forward & backward


def can_carry_gradient(var: Var) -> bool:
    """Integer and boolean results (``x.astype(int)``, masks) have no gradient."""
    if var.exact:
        return False
    dtype = var.dtype
    return dtype is None or np.issubdtype(dtype, np.inexact)
