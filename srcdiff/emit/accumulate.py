"""A backward loop's running sum added to in place: ``dW += g @ h.T``.

Rebuilding ``dW = dW + ...`` makes a new array a trip; ``+=`` writes into the
one there is. It may only where the array belongs to the sum alone: it starts
as a new array the sum's name takes over (``np.zeros_like(W)``, or a
product, never a view of another array or an argument), nothing else reads
the sum within a trip, and what is added has the sum's shape and keeps its
dtype (so that ``+=`` gives the values ``+`` would).
"""

from __future__ import annotations

from typing import Any

import numpy as np

from srcdiff.ir.nodes import Assign, Loop, Var
from srcdiff.ir.prims import ADD, SUB, VIEWS
from srcdiff.simplify.fold import Folding

# Calls whose result is a new array (never one of their arguments or a view).
_NEW = frozenset({"zeros_like", "zeros", "ones", "full", "outer", "matmul", "dot"})


def in_place_sums(
    loop: Loop,
    defs: dict[Var, Assign],
    folding: Folding,
    names: dict[Var, str],
    aliased: set[Var],
) -> dict[Var, Assign]:
    """The running sums of an adjoint ``loop`` that trips may add to in
    place, by phi: the statement adding to each."""
    found: dict[Var, Assign] = {}
    if loop.reverse_of is None:
        return found
    for c in loop.carried:
        update = defs.get(c.update) if isinstance(c.update, Var) else None
        if update is None or update.prim not in (ADD, SUB) or update.kwargs:
            continue
        phi, added = update.args
        if phi is not c.phi or update.var not in folding.inline:
            continue
        if (
            folding.uses[phi] != 1
            or phi in aliased
            or not _owned(c.init, defs, folding)
        ):
            continue
        shares = names.get(phi) == names.get(c.init) or c.init in folding.inline
        if not shares or not _keeps(phi, added):  # (inline: written as its start)
            continue
        found[phi] = update
    return found


def _owned(init: Any, defs: dict[Var, Assign], folding: Folding) -> bool:
    """A new array nothing but the sum reads."""
    stmt = defs.get(init) if isinstance(init, Var) else None
    if stmt is None or folding.uses[init] != 1 or init.kind in ("param", "leaf"):
        return False
    name = stmt.prim.name.rsplit(".", 1)[-1]
    arithmetic = stmt.prim.shape == "broadcast" and name not in VIEWS
    return name in _NEW or arithmetic


def _keeps(phi: Var, added: Any) -> bool:
    """``phi += added`` gives ``phi + added``: an array the shape of what is
    added, whose dtype the sum keeps."""
    if not (phi.known and isinstance(phi.value, np.ndarray) and phi.value.ndim):
        return False
    value = added.value if isinstance(added, Var) else added
    if isinstance(added, Var) and not added.known:
        return False
    return (
        np.shape(value) == phi.value.shape
        and np.result_type(phi.value, value) == phi.value.dtype
    )
