"""Counters a backward loop counts back down instead of saving.

A forward trip's ``i = i + 1`` on a Python int is undone exactly by
``i = i - 1``: the backward loop starts from the loop's last count and steps
it back at the start of each trip, so the forward loop saves no list of
counts (``i_values.append(i)``) and the backward one pops none.
"""

from __future__ import annotations

from typing import Any

from srcdiff.ir.nodes import Assign, Carried, Loop, Var, copy_var
from srcdiff.ir.prims import ADD, SUB


def count_back(loop: Loop, mapping: dict[Var, Any], body: list[Any]) -> list[Carried]:
    """The carried counts of the backward loop; each trip's start count is
    computed first thing in ``body`` (which is updated)."""
    made = {s.var: s for s in loop.body if isinstance(s, Assign)}
    counts: list[Carried] = []
    for c in loop.carried:
        step = _step(c, made.get(c.update))
        if step is None or c is loop.counter or c is loop.stop:
            continue
        later = copy_var(c.phi)  # the count at the end of the trip
        start = mapping[c.phi]
        body.insert(0, Assign(start, SUB, (later, step), {}, loop.loc))
        counts.append(Carried(later, c.result, start, copy_var(c.result)))
    return counts


def _step(c: Carried, stmt: Assign | None) -> int | None:
    """``k`` where the trip's update is ``phi + k`` on ints (never bools)."""
    if stmt is None or stmt.prim is not ADD or stmt.kwargs:
        return None
    a, b = stmt.args
    step = b if a is c.phi else a if b is c.phi else None
    if not _int(step) or not (_int(c.init) or _int(c.phi.value)):
        return None
    return step  # type: ignore[return-value]


def _int(value: Any) -> bool:
    return type(value) is int
