"""Sums of per-trip outer products in an adjoint loop, as one matrix product.

A backward trip of ``h = tanh(W @ h + ...)`` contributes ``np.outer(delta, h)``
to ``dW``; adding a fresh matrix each trip costs a matrix's worth of memory
traffic per trip. Instead the backward loop appends each trip's two vectors to
lists (``deltas.append(delta)``), and after it ``dW`` gets
``np.array(deltas).T @ np.array(hs_2)``: the sum of the outer products, in one
product. A row ``xs[t]`` of the array the loop walks needs no list: its
stack is ``xs[::-1]``. This holds exactly, for any number of trips, when both
factors are 1-d: the product of the stacked factors is by definition the sum
over the trips of their outer products. The sum is added to the adjoint's
start value (zeros, or what it got after the loop), never replacing it, so
that no trip (an empty ``np.array([])`` product is the number 0.0) still
leaves the adjoint its shape.
"""

from __future__ import annotations

from typing import Any

import numpy as np

from srcdiff.ir.nodes import Assign, Loop, Var
from srcdiff.ir.prims import ADD, GETITEM, MATMUL, PRIMS, TRANSPOSE
from srcdiff.names.namer import plural
from srcdiff.reverse.context import Context

Outer = tuple[Var, Var]  # the two factors of one trip's np.outer(a, b)


def split_outers(
    ctx: Context, contributions: list[Any], trip_values: set[Var]
) -> tuple[list[Outer], list[Any]]:
    """The contributions that are outer products of two 1-d values of the
    trip (stacked after the loop), and the others (summed in it)."""
    outers: list[Outer] = []
    rest: list[Any] = []
    for contribution in contributions:
        factors = _outer_factors(ctx, contribution, trip_values)
        if factors is None:
            rest.append(contribution)
        else:
            outers.append(factors)
    return outers, rest


def _outer_factors(ctx: Context, value: Any, trip_values: set[Var]) -> Outer | None:
    stmt = ctx.builder.defs.get(value) if isinstance(value, Var) else None
    if stmt is None or stmt.prim is not PRIMS[np.outer] or stmt.kwargs:
        return None
    a, b = stmt.args
    for factor in (a, b):
        if not isinstance(factor, Var) or factor not in trip_values:
            return None
        if not factor.known or np.ndim(factor.value) != 1:
            return None  # np.outer ravels; the stack keeps the factor's shape
    return a, b


def stack_values(
    ctx: Context,
    loop: Loop,
    outers: list[Outer],
    stacks: dict[Var, Any],
    index: Var | None,
) -> None:
    """Give each factor of ``outers`` its list (one list a value), or, for
    the row ``xs[t]`` of the array a loop without a break walks, the rows
    themselves backwards (``xs[::-1]``, the backward trips' order) where it is
    the second factor: with no trips, ``np.array([]).T @ xs[::-1]`` is a
    row of zeros that still adds to the start, where ``xs[::-1].T @ ...``
    would be a column."""
    for first, factor in [(True, a) for a, _ in outers] + [
        (False, b) for _, b in outers
    ]:
        if factor in stacks and not (first and stacks[factor] is loop.over):
            continue
        stmt = ctx.builder.defs.get(factor)
        row = (
            not first
            and stmt is not None
            and stmt.prim is GETITEM
            and index is not None
            and row_stacks(loop)
            and stmt.args == (loop.over, index)
        )
        if row:
            stacks[factor] = loop.over
            continue
        # Its value while tracing, for shapes after the loop: a trip's worth
        # for each row the loop walks (to match ``xs[::-1]``), else for one.
        trips = len(loop.over.value) if row_stacks(loop) else 1
        value = [factor.value] * trips if factor.known else factor.value
        stacks[factor] = Var(plural(factor.hint), value, loop.loc, "temp")


def row_stacks(loop: Loop) -> bool:
    """Whether the loop walks all the rows of an array known while tracing."""
    over = loop.over
    return loop.stop is None and isinstance(over, Var) and np.ndim(over.value) > 0


def lists(stacks: dict[Var, Any], loop: Loop) -> list[tuple[Var, Var]]:
    """(value, list) for each factor the backward trips append to a list."""
    return [(v, s) for v, s in stacks.items() if s is not loop.over]


def add_stacked(
    ctx: Context,
    start: Any,
    primal: Var,
    outers: list[Outer],
    stacks: dict[Var, Any],
    loop: Loop,
) -> Any:
    """``start`` plus the sum over the trips of each ``np.outer(a, b)``:
    ``start + np.array(as).T @ np.array(bs)``, one product per pair."""
    builder = ctx.builder
    # Each product is shaped like ``primal`` (as each trip's outer product was),
    # whatever the number of trips: the sizes to check it by are primal's.
    shape = builder.sizes_of(primal)
    total = start

    def stacked(factor: Var) -> Any:
        if stacks[factor] is loop.over:  # the rows, last first
            backwards = (slice(None, None, -1),)
            return builder.bind(GETITEM, (loop.over, backwards), loc=loop.loc)
        return builder.bind(PRIMS[np.array], (stacks[factor],), loc=loop.loc)

    for a, b in outers:
        stacked_a, stacked_b = stacked(a), stacked(b)
        transposed = builder.bind(TRANSPOSE, (stacked_a,), loc=loop.loc)
        transposed.local = f"{stacks[a].hint}_T"  # (if dW and dU share it)
        product = builder.bind(MATMUL, (transposed, stacked_b), loc=loop.loc)
        if shape is not None:
            builder.shapes[product] = shape
        total = builder.bind(ADD, (total, product), loc=loop.loc)
    return total


def trip_values(body: list[Any], loop_locals: list[Var]) -> set[Var]:
    """Values a backward trip has of its own: what it computes at the top
    level of its body (not a statement-shaped update), and its restored and
    carried values."""
    made = {
        s.var
        for s in body
        if isinstance(s, Assign) and s.prim.statements is None and not s.prim.effect
    }
    return made | set(loop_locals)
