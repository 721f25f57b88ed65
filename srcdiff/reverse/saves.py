"""Which of a trip's values the forward loop saves for the backward loop.

The policy: a backward trip needs its trip's values. The forward loop saves
(one reference a trip, no copy: arrays are never changed in place) the
values a trip starts from, its random draws, and the arrays a trip makes
with a product or a transcendental function (``np.tanh(W @ h + U @ x_t)``)
that the adjoint reads, as long as each is no larger than the largest value
the loop carries, so that saving at most multiplies the memory the saved
starts take by the number of such values. The backward trip recomputes the
rest from what it restores: arithmetic costs about what a list's append and
pop do. A trip's new state is not saved at all (the previous backward trip
restored it), nor an int counter (counted back down), nor a value every trip
computes alike (``np.exp(c)`` of a ``c`` the loop only reads): the backward
loop computes it once, before its trips (``simplify.hoist``).
"""

from __future__ import annotations

from typing import Any

import numpy as np

from srcdiff.ir.nodes import Assign, Loop, Var
from srcdiff.simplify.hoist import trip_dependent

# Calls that cost more than saving their result: products, transcendentals.
COSTLY = frozenset(
    [
        *("matmul", "dot", "einsum", "tensordot", "inner", "outer"),
        *("exp", "expm1", "exp2", "log", "log1p", "log2", "log10"),
        *("tanh", "sinh", "cosh", "sin", "cos", "tan"),
        *("arctan", "arcsin", "arccos", "arctanh", "arcsinh", "arccosh"),
        *("expit", "erf", "erfc", "logaddexp", "power"),
    ]
)


def worth_saving(
    loop: Loop, body: list[Any], mapping: dict[Var, Any]
) -> list[tuple[Var, Var]]:
    """(the backward trip's copy, the forward value) of each value the
    backward ``body`` would recompute that the policy saves instead."""
    carried = [c.phi.value for c in loop.carried if c.phi.known]
    largest = max((np.size(v) for v in carried if _array(v)), default=0)
    varies = trip_dependent(loop)
    forward = {
        mapping[s.var]: s.var
        for s in loop.body
        if isinstance(s, Assign)
        and s.var in mapping
        and not s.prim.effect
        and s.var in varies
    }
    found = []
    for stmt in body:
        if not isinstance(stmt, Assign) or stmt.var not in forward:
            continue
        value = stmt.var.value
        costly = stmt.prim.name.rsplit(".", 1)[-1] in COSTLY
        if costly and _array(value) and np.size(value) <= largest:
            found.append((stmt.var, forward[stmt.var]))
    return found


def _array(value: Any) -> bool:
    return isinstance(value, np.ndarray) and value.ndim > 0
