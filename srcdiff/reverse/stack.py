"""Sums of per-trip outer products in an adjoint loop, as one matrix product.

A backward trip of ``h = tanh(W @ h + ...)`` contributes ``np.outer(delta, h)``
to ``dW``; adding a fresh matrix each trip costs a matrix's worth of memory
traffic per trip. Instead the backward loop appends each trip's two vectors to
lists (``deltas.append(delta)``), and after it ``dW`` gets
``np.array(deltas).T @ np.array(hs_2)``: the sum of the outer products, in one
product. This holds exactly, for any number of trips, when both factors are
1-d: the product of the stacked factors is by definition the sum over the
trips of their outer products. The sum is added to the adjoint's start value
(zeros, or what it got after the loop), never replacing it, so that no trip
(an empty ``np.array([])`` product is the number 0.0) still leaves the
adjoint its shape.
"""

from __future__ import annotations

from typing import Any

import numpy as np

from srcdiff.ir.nodes import Assign, Loop, Var
from srcdiff.ir.prims import ADD, MATMUL, PRIMS, TRANSPOSE
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


def stack_values(loop: Loop, outers: list[Outer], stacks: dict[Var, Var]) -> None:
    """Give each factor of ``outers`` its list (one list a value)."""
    for factor in [v for pair in outers for v in pair]:
        if factor not in stacks:
            # Its value while tracing: one trip's worth, for shapes after the loop.
            value = [factor.value] if factor.known else factor.value
            stacks[factor] = Var(plural(factor.hint), value, loop.loc, "temp")


def add_stacked(
    ctx: Context,
    start: Any,
    primal: Var,
    outers: list[Outer],
    stacks: dict[Var, Var],
    loop: Loop,
) -> Any:
    """``start`` plus the sum over the trips of each ``np.outer(a, b)``:
    ``start + np.array(as).T @ np.array(bs)``, one product per pair."""
    builder = ctx.builder
    # Each product is shaped like ``primal`` (as each trip's outer product was),
    # whatever the number of trips: the sizes to check it by are primal's.
    shape = builder.sizes_of(primal)
    total = start
    for a, b in outers:
        stacked_a = builder.bind(PRIMS[np.array], (stacks[a],), loc=loop.loc)
        stacked_b = builder.bind(PRIMS[np.array], (stacks[b],), loc=loop.loc)
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
