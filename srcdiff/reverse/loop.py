"""The adjoint of a rolled loop: a loop that runs the trips backwards.

The forward loop saves, at the start of each trip, the loop-carried values
the adjoint needs (``hs.append(h)``; only those: a value the adjoint does not
read is not saved), and the trip's random draws as it makes them
(``epses.append(eps)``). Each backward trip pops them (``h = hs.pop()``), runs
the trip's forward statements again from them, draws excepted, and then their
adjoints. The
adjoints of the carried values (``dh``) are carried backwards; the adjoints of
values the loop only reads (``dW``) are summed over the trips.
"""

from __future__ import annotations

from typing import Any

import numpy as np

from srcdiff import helpers
from srcdiff.ir.nodes import (
    UNKNOWN,
    Assign,
    Carried,
    Loop,
    Var,
    clone_block,
    copy_var,
    loop_inputs,
    stmt_inputs,
    substitute,
    substitute_value,
    walk_vars,
)
from srcdiff.ir.prims import ADD, INDEX_ADD, MUL, PRIMS
from srcdiff.reverse.accumulate import accumulate, writable
from srcdiff.reverse.activity import active_vars, can_carry_gradient
from srcdiff.reverse.context import Backprop, Context
from srcdiff.reverse.counters import count_back
from srcdiff.reverse.dots import sums_of_products_as_dots
from srcdiff.reverse.saves import worth_saving
from srcdiff.reverse.stack import (
    add_stacked,
    lists,
    split_outers,
    stack_values,
    trip_values,
)
from srcdiff.simplify.dce import live_block


def reverse_loop(
    ctx: Context,
    loop: Loop,
    active: set[Var],
    adjoints: dict[Var, list[Any]],
    backprop: Backprop,
) -> None:
    """Append the adjoint loop of ``loop``, moving ``adjoints`` from its
    results to its inits and the outer values it reads."""
    builder = ctx.builder
    seeds = {c: adjoints.pop(c.result, None) for c in loop.carried}
    if not any(seeds.values()):
        return
    mapping: dict[Var, Any] = {}
    for c in loop.carried:
        mapping[c.phi] = copy_var(c.phi)
    if loop.index is not None:
        mapping[loop.index] = copy_var(loop.index)
    body = clone_block(loop.body, mapping)
    updates = {c: substitute_value(c.update, mapping) for c in loop.carried}
    free = [v for v in loop_inputs(loop) if v in active]
    phis = [mapping[c.phi] for c in loop.carried if can_carry_gradient(c.phi)]
    inner_active = active_vars(body, phis + free, list(updates.values()))
    inner_active.update(phis + free)
    # A backward trip recomputes the trip, but never draws again: the forward
    # trip saves each draw (``epses.append(eps)``) and the backward one pops it.
    draws = [s.var for s in loop.body if isinstance(s, Assign) and s.prim.effect]
    body = [s for s in body if not (isinstance(s, Assign) and s.prim.effect)]
    counts = count_back(loop, mapping, body)
    counted = {c.update for c in counts}
    # Adjoints carried backwards: of values that reach the output after the
    # loop, or that a trip passes on to the next.
    flowing = [
        c
        for c in loop.carried
        if can_carry_gradient(c.phi) and (seeds[c] or mapping[c.phi] in inner_active)
    ]
    phis = [mapping[c.phi] for c in flowing]

    for stmt in body:
        if isinstance(stmt, Assign):
            builder.defs[stmt.var] = stmt
    # The backward trip recomputes the forward one (body), then its adjoint.
    with builder.block(list(body)) as rbody:
        adjoint_phis = {c: _adjoint_var(c.phi, mapping[c.phi]) for c in flowing}
        inner: dict[Var, list[Any]] = {}
        for c in flowing:
            update = updates[c]
            if isinstance(update, Var) and update in inner_active:
                inner.setdefault(update, []).append(adjoint_phis[c])
        backprop(ctx, body, inner_active, inner)
        new_adjoints = {}
        for c in flowing:
            phi = mapping[c.phi]
            contributions = inner.pop(phi, [])
            if contributions:
                new_adjoints[c] = accumulate(ctx, contributions, phi)
            else:
                new_adjoints[c] = _zeros_like(ctx, phi, loop)
        sums: dict[Var, tuple[Var, Any]] = {}
        index = mapping.get(loop.index)
        own = [*mapping.values(), *adjoint_phis.values()]
        per_trip = trip_values(rbody, [v for v in own if isinstance(v, Var)])
        stacked: dict[Var, list[tuple[Var, Var]]] = {}
        stacks: dict[Var, Any] = {}
        for v in free:
            outers, contributions = split_outers(ctx, inner.pop(v, []), per_trip)
            if outers:
                stacked[v] = outers
                stack_values(ctx, loop, outers, stacks, index)
            if not contributions:
                continue
            running = _adjoint_var(v, v)
            sums[v] = (running, _add_up(ctx, running, contributions, index, loop))
        sums_of_products_as_dots(ctx, rbody)

    carried = []
    for c in flowing:
        seed = seeds[c]
        if seed:
            init = writable(ctx, accumulate(ctx, seed, c.result))
        else:
            init = _zeros_like(ctx, c.result, loop)
        carried.append(_carry(adjoint_phis[c], init, new_adjoints[c], c.phi))
    starts: dict[Var, Any] = {}
    for v in [*sums, *(v for v in stacked if v not in sums)]:
        pending = adjoints.pop(v, None)
        if pending:  # an array of its own, so trips can add into it in place
            starts[v] = writable(ctx, accumulate(ctx, pending, None))
        else:
            starts[v] = _zeros_like(ctx, v, loop)
    for v, (running, update) in sums.items():
        carried.append(_carry(running, starts[v], update, v))

    nexts = _next_starts(
        loop, mapping, updates, rbody, [v for v, _ in lists(stacks, loop)]
    )
    next_phis = {u: carry.phi for u, carry in nexts.items()}
    if nexts:
        rbody = substitute(rbody, next_phis)
    backward = Loop(
        [*carried, *nexts.values(), *counts], rbody, loop.loc, reverse_of=loop
    )
    backward.origins = {copy: original for original, copy in mapping.items()}
    backward.stacks = [(next_phis.get(v, v), s) for v, s in lists(stacks, loop)]
    stacked_values = [v for v, _ in backward.stacks]
    live = set(walk_vars([c.update for c in backward.carried]))
    backward.body = live_block(rbody, live | set(stacked_values))
    kept = worth_saving(loop, backward.body, mapping)
    if kept:  # restored, not recomputed: what only they read goes too
        dropped = {copy for copy, _ in kept}
        rest = [
            s for s in backward.body if not (isinstance(s, Assign) and s.var in dropped)
        ]
        backward.body = live_block(rest, live | set(stacked_values))
    read = {v for s in backward.body for v in stmt_inputs(s)}
    read.update(walk_vars([c.update for c in backward.carried]))
    read.update(stacked_values)
    if loop.index is not None and mapping[loop.index] in read:
        backward.index = mapping[loop.index]
    backward.bounds, backward.over = loop.bounds, loop.over
    saved = [c.phi for c in loop.carried if mapping[c.phi] not in counted] + draws
    saved += [original for _, original in kept]
    backward.restores = [(mapping[v], v) for v in saved if mapping[v] in read]
    if loop.stop is not None:  # a break: only the trips the forward loop ran
        backward.bounds, backward.over = _first_trips(ctx, loop), None
    loop.saves = [phi for _, phi in backward.restores]
    if loop.bounds is None and loop.over is None and not backward.restores:
        backward.bounds = (0, _count_trips(loop), 1)
    builder.stmts.append(backward)
    for c, carry in zip(flowing, carried, strict=False):
        if isinstance(c.init, Var) and c.init in active:
            adjoints.setdefault(c.init, []).append(carry.result)
    for v, carry in zip(sums, carried[len(flowing) :], strict=True):
        starts[v] = carry.result
    for v, start in starts.items():
        total = add_stacked(ctx, start, v, stacked.get(v, []), stacks, loop)
        adjoints.setdefault(v, []).append(total)


def _next_starts(
    loop: Loop,
    mapping: dict[Var, Any],
    updates: dict[Carried, Any],
    rbody: list[Any],
    stacked: list[Var],
) -> dict[Var, Carried]:
    """Values a backward trip recomputes that the backward loop already has:
    a trip's update of a carried value (``h_2 = tanh(W @ h + U @ x_t)``) is
    the start of the next trip, which the previous backward trip restored
    (and the loop's result, for the first backward trip). Each array of them
    becomes a value the backward loop carries, so the recomputation can go
    at no cost in memory: the forward loop saves those starts already."""
    defined = {s.var for s in rbody if isinstance(s, Assign)}
    read = {v for s in rbody for v in stmt_inputs(s)} | set(stacked)
    nexts: dict[Var, Carried] = {}
    for c in loop.carried:
        update = updates[c]
        if not isinstance(update, Var) or update in nexts:
            continue
        if update not in defined or update not in read or mapping[c.phi] not in read:
            continue  # (a start the trip does not read would be saved just for this)
        if not (update.known and np.ndim(update.value) > 0):
            continue  # a number (a counter's k + 1) is cheaper to recompute
        phi = copy_var(update)
        result = copy_var(update)
        nexts[update] = Carried(phi, c.result, mapping[c.phi], result)
    return nexts


def _zeros_like(ctx: Context, value: Var, loop: Loop) -> Any:
    """A zero adjoint for ``value``: ``0.0`` for a float64 number (arithmetic
    on the 0-d array ``np.zeros_like`` makes is ten times slower), else
    ``np.zeros_like`` (its shape and dtype)."""
    if value.known and isinstance(value.value, float):  # float, np.float64
        return 0.0
    return ctx.builder.bind(PRIMS[np.zeros_like], (value,), loc=loop.loc)


def _add_up(
    ctx: Context, running: Var, contributions: list[Any], index: Any, loop: Loop
) -> Any:
    """``running`` plus this trip's contributions; a contribution to row ``t``
    of the array the loop walks is added in place: ``dxs[t] += dx_t``."""
    builder = ctx.builder
    rows, rest = [], []
    for contribution in contributions:
        stmt = builder.defs.get(contribution) if isinstance(contribution, Var) else None
        scatter = stmt is not None and stmt.prim is PRIMS[helpers.scatter_add]
        if scatter and index is not None and _basic(stmt.args[2], index):
            rows.append((stmt.args[2], stmt.args[0]))
        else:
            rest.append(contribution)
    total = running
    if rest:
        added = accumulate(ctx, rest, None)
        total = builder.bind(ADD, (running, added), loc=loop.loc)
    for where, value in rows:
        total = builder.bind(INDEX_ADD, (total, where, value), loc=loop.loc)
    return total


def _basic(where: Any, index: Var) -> bool:
    """An index of the trip's own row: ``t``, or ``t`` with slices."""
    parts = where if isinstance(where, tuple) else (where,)
    return index in parts and all(
        p is index or (isinstance(p, slice) and not list(walk_vars(p))) for p in parts
    )


def _adjoint_var(primal: Var, like: Var) -> Var:
    """The adjoint a backward trip starts from (``dh``), shaped like ``like``.

    Its value while tracing is zeros of the right shape and dtype: nothing in
    an adjoint sweep decides on adjoint values, only on their shapes.
    """
    value = UNKNOWN if not like.known else np.zeros_like(like.value)
    var = Var(primal.hint, value, primal.loc, "adjoint", adjoint_of=primal)
    var.like = like
    var.sym = like.sym if not like.known else None
    return var


def _carry(phi: Var, init: Any, update: Any, primal: Var) -> Carried:
    result = Var(phi.hint, phi.value, phi.loc, "adjoint", adjoint_of=primal)
    result.like = phi
    result.sym = phi.sym
    return Carried(phi, init, update, result)


def _first_trips(ctx: Context, loop: Loop) -> tuple[Any, Any, Any]:
    """The bounds of the trips a ``for`` that may break ran: ``range(trips)``
    from zero by one, else ``range(start, start + trips * step, step)``."""
    trips = _count_trips(loop)
    start, step = (0, 1) if loop.bounds is None else (loop.bounds[0], loop.bounds[2])
    if (start, step) == (0, 1):
        return (0, trips, 1)
    bind = ctx.builder.bind
    span = trips if step == 1 else bind(MUL, (trips, step), loc=loop.loc)
    return (start, bind(ADD, (start, span), loc=loop.loc), step)


def _count_trips(loop: Loop) -> Var:
    """Make a loop count its trips: a while whose adjoint saves nothing, a
    for that may break."""
    phi = Var("trips", 0, loop.loc, "user", sym=())
    update = Var("trips", UNKNOWN, loop.loc, "user", sym=())
    loop.body.append(Assign(update, ADD, (phi, 1), {}, loop.loc))
    result = Var("trips", UNKNOWN, loop.loc, "user", sym=())
    loop.counter = Carried(phi, 0, update, result)
    loop.carried.append(loop.counter)
    return result
