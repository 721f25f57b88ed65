"""Forward mode: each statement a ``wrt`` input reaches, followed by its tangent.

Walks the forward statements in order. A statement reading values that have
tangents gets the tangent rule of each such argument
(``srcdiff.rules.registry``: ``tangent``, ``linear``, ``multilinear``,
``elementwise``); the shares add up into the tangent of its result, written
right after it, so that a rolled loop can carry its tangents as state. An
argument whose primitive has no tangent rule for it is a located error, never
a zero.
"""

from __future__ import annotations

import inspect
from typing import Any

import numpy as np

from srcdiff.errors import UnsupportedPrimitive
from srcdiff.forward import branch, loop
from srcdiff.forward.context import Context
from srcdiff.forward.tangents import (
    has_tangent,
    name_tangent,
    seeds,
    tangent_or_zero,
)
from srcdiff.ir import effects
from srcdiff.ir.nodes import (
    Assign,
    Branch,
    Const,
    Loop,
    Stmt,
    Var,
    defined_in,
    map_leaves,
)
from srcdiff.ir.prims import ADD, PRIMS, TUPLE_ITEM
from srcdiff.ir.values import token
from srcdiff.reverse.activity import can_carry_gradient
from srcdiff.rules import registry


def jvp(ctx: Context, output: Any, wrt: list[Any], tangents_in: list[Any]) -> Any:
    """Write each tangent after the statement it belongs to (in place, in the
    builder's statements); return the tangent of ``output``, in its structure.
    ``tangents_in`` holds one tangent per ``wrt`` value (``seeds``)."""
    tangents = seeds(wrt, tangents_in)
    builder = ctx.builder
    builder.stmts[:] = sweep(ctx, list(builder.stmts), tangents)
    if isinstance(output, Var):
        name_tangent(ctx, tangents.get(output), output)
    return map_leaves(output, lambda leaf: tangent_or_zero(ctx, leaf, tangents))


def sweep(ctx: Context, stmts: list[Stmt], tangents: dict[Var, Any]) -> list[Stmt]:
    """``stmts`` with the tangents of what they compute; ``tangents`` goes
    from the tangents of what they read to those of what they define too."""
    later = set(defined_in(stmts))
    out: list[Stmt] = []
    with ctx.builder.block(out, seen=ctx.builder.reusable(later)):
        for stmt in stmts:
            if isinstance(stmt, Loop):  # the tangents' starts go before it
                loop.forward_loop(ctx, stmt, tangents, sweep)
            elif isinstance(stmt, Branch):
                branch.forward_branch(ctx, stmt, tangents, sweep)
            out.append(stmt)
            if isinstance(stmt, Assign):
                _assign(ctx, stmt, tangents)
    return out


def _assign(ctx: Context, stmt: Assign, tangents: dict[Var, Any]) -> None:
    if stmt.prim is TUPLE_ITEM:  # one result of a tuple: that slot's tangent
        whole, index = stmt.args
        slots = tangents.get(whole)
        if isinstance(slots, Var):  # a tuple-valued primitive of the tangents
            slot = ctx.builder.bind(TUPLE_ITEM, (slots, index), loc=stmt.loc)
        else:
            slot = None if slots is None else slots[index]
        if slot is not None:
            tangents[stmt.var] = _shaped_like(ctx, slot, stmt.var)
        return
    keyed: list[tuple[int | str, Any]] = [*enumerate(stmt.args)]
    keyed += stmt.kwargs.items()
    active = [key for key, value in keyed if has_tangent(value, tangents)]
    if not active:
        return
    if stmt.prim.effect:
        raise effects.draw_needs_gradient(stmt.prim, stmt.loc)
    if not stmt.prim.differentiable or not can_carry_gradient(stmt.var):
        return
    total, full = _tangent(ctx, stmt, active, tangents)
    if total is None:
        return
    if not isinstance(total, tuple) and not full:
        total = _shaped_like(ctx, total, stmt.var)
    if isinstance(total, Var) and not total.known and total.sym is None:
        total.sym = token(stmt.var)  # it has the value's shape, whatever it is
    name_tangent(ctx, total, stmt.var)
    tangents[stmt.var] = total


def _tangent(
    ctx: Context, stmt: Assign, active: list[int | str], tangents: dict[Var, Any]
) -> tuple[Any, bool]:
    """The sum of each active argument's share of the result's tangent, and
    whether a share is known to have the result's shape (so the sum has it)."""
    bind = ctx.builder.bind
    adjoint = registry.rule_for(stmt.prim)
    if adjoint is not None:  # only the calls its rules were written for
        _run(ctx, adjoint, stmt, None, check_only=True)
    shares: list[Any] = []
    full = False
    linear: dict[int | str, Any] = {}
    for key in active:
        position = _position(stmt, key)
        rule = registry.tangent_for(stmt.prim, position)
        if rule is None:
            raise _missing(ctx, stmt, key)
        if rule is registry.SHAPE_ONLY:
            continue
        value = stmt.args[key] if isinstance(key, int) else stmt.kwargs[key]
        t = map_leaves(value, lambda leaf: _leaf_tangent(ctx, leaf, tangents))
        if rule is registry.LINEAR:
            linear[position] = t
        elif rule is registry.MULTILINEAR:  # the tangent has its value's shape
            args, kwargs = _replaced(stmt, {key: t})
            shares.append(_like(ctx, bind(stmt.prim, args, kwargs, loc=stmt.loc), stmt))
            full = True
        elif rule is registry.ELEMENTWISE:
            shares.append(_elementwise(ctx, stmt, key, t))
            full = True  # run on the result's shape, the rule keeps it
        else:
            share = _run(ctx, rule, stmt, t)
            full = full or (share is not None and token(share) == token(stmt.var))
            shares.append(share)
    if linear:
        for position, rule in registry.TANGENTS[stmt.prim].items():
            value = _argument(stmt, position)
            if rule is registry.LINEAR and position not in linear and value is not None:
                linear[position] = map_leaves(value, lambda leaf: _zero(ctx, leaf))
        args, kwargs = _replaced(stmt, linear)
        shares.append(_like(ctx, bind(stmt.prim, args, kwargs, loc=stmt.loc), stmt))
        full = True
    shares = [s for s in shares if s is not None]
    if not shares:
        return None, full
    if isinstance(shares[0], tuple):  # results of a tuple-valued primitive
        slots = range(len(shares[0]))
        return tuple(_add_slots(ctx, stmt, [s[i] for s in shares]) for i in slots), full
    return _add_slots(ctx, stmt, shares), full


def _like(ctx: Context, share: Any, stmt: Assign) -> Any:
    """The primitive applied to tangents has the sizes its value has: those
    the reverse stage gave a sum over a loop's trips (``deltas.T @ hs`` is
    ``W``'s shape, however many trips the example ran)."""
    shapes = ctx.builder.shapes
    new = isinstance(share, Var) and stmt.var in shapes and share not in shapes
    if new and share.known and np.shape(share.value) == np.shape(stmt.var.value):
        shapes[share] = shapes[stmt.var]
    return share


def _add_slots(ctx: Context, stmt: Assign, shares: list[Any]) -> Any:
    present = [s for s in shares if s is not None]
    if not present:
        return None
    total = present[0]
    for share in present[1:]:
        total = ctx.builder.bind(ADD, (total, share), loc=stmt.loc)
    return total


def _leaf_tangent(ctx: Context, leaf: Any, tangents: dict[Var, Any]) -> Any:
    """A leaf's tangent inside an argument that has one (``[x, y]``)."""
    if isinstance(leaf, Var) and leaf in tangents:
        return tangents[leaf]
    return _zero(ctx, leaf)


def _zero(ctx: Context, leaf: Any) -> Any:
    if isinstance(leaf, (Var, Const, int, float, complex)):
        return tangent_or_zero(ctx, leaf, {})
    return leaf  # an index, a slice bound, None: kept


def _position(stmt: Assign, key: int | str) -> int:
    """The position of an argument passed by keyword, in the adjoint rule's
    parameters (which follow the primitive's)."""
    if isinstance(key, int):
        return key
    rule = registry.rule_for(stmt.prim)
    params = list(inspect.signature(rule).parameters)[2:] if rule else []
    return params.index(key) if key in params else -1


def _argument(stmt: Assign, position: int) -> Any:
    if position < len(stmt.args):
        return stmt.args[position]
    rule = registry.rule_for(stmt.prim)
    params = list(inspect.signature(rule).parameters)[2:] if rule else []
    name = params[position] if position < len(params) else None
    return stmt.kwargs.get(name) if name else None


def _replaced(
    stmt: Assign, new: dict[int | str, Any]
) -> tuple[tuple[Any, ...], dict[str, Any]]:
    """The statement's arguments with some replaced (by position or keyword)."""
    args = list(stmt.args)
    kwargs = dict(stmt.kwargs)
    for key, value in new.items():
        if isinstance(key, int) and key < len(args):
            args[key] = value
        elif isinstance(key, str):
            kwargs[key] = value
        else:  # a position given by keyword
            rule = registry.rule_for(stmt.prim)
            params = list(inspect.signature(rule).parameters)[2:] if rule else []
            kwargs[params[key]] = value
    return tuple(args), kwargs


def _elementwise(ctx: Context, stmt: Assign, key: int | str, t: Any) -> Any:
    """The adjoint rule's contribution to argument ``key``, run on its tangent
    with the argument broadcast to the result's shape (where it is not
    already), so that the rule's ``unbroadcast`` sums nothing away."""
    value = _argument(stmt, _position(stmt, key))
    if token(value) != token(stmt.var):  # the rule's g has the result's shape
        value = _shaped_like(ctx, value, stmt.var)
        t = _shaped_like(ctx, t, stmt.var)
    args, kwargs = _replaced(stmt, {key: value})
    adjoint = registry.rule_for(stmt.prim)
    shares = _run(ctx, adjoint, Assign(stmt.var, stmt.prim, args, kwargs, stmt.loc), t)
    if not isinstance(shares, tuple):
        shares = (shares,)
    position = _position(stmt, key)
    share = shares[position] if position < len(shares) else None
    if share is NotImplemented:
        raise _missing(ctx, stmt, key)
    return share


def _run(
    ctx: Context, rule: Any, stmt: Assign, t: Any, check_only: bool = False
) -> Any:
    """The rule's result on ``t``; a call the rule cannot take (a keyword such
    as ``initial=`` that no rule of the primitive reads) is refused."""
    try:
        inspect.signature(rule).bind(t, stmt.var, *stmt.args, **stmt.kwargs)
    except TypeError as exc:
        raise UnsupportedPrimitive(
            f"srcdiff cannot take the tangent of {stmt.prim.name} called this "
            f"way: {exc}",
            stmt.loc,
            "Drop keywords such as dtype= or out=, or compute that part outside the "
            "differentiated function.",
        ) from None
    if check_only:
        return None
    return ctx.run_rule(rule, (t, stmt.var, *stmt.args), stmt.kwargs, stmt.loc)


def _missing(ctx: Context, stmt: Assign, key: int | str) -> UnsupportedPrimitive:
    which = f"argument {key!r}" if isinstance(key, str) else f"argument {key + 1}"
    return UnsupportedPrimitive(
        f"srcdiff has no tangent (forward-mode derivative) of {stmt.prim.name} "
        f"with respect to its {which} yet",
        stmt.loc or ctx.loc,
        registry.wanted(stmt.prim, "jvp")
        or (_OVER_GRADIENT if ctx.tangent_kind == "tangent" else _REWRITE),
    )


_REWRITE = (
    "Rewrite this step with functions that have one (docs/coverage.md lists "
    "them), keep it out of the path from the differentiated argument, or use "
    "srcdiff.grad."
)
# srcdiff.hvp takes tangents of this line's gradient too, not only of the line.
_OVER_GRADIENT = (
    "srcdiff.hvp takes the tangent of this line and of its gradient: rewrite "
    "it with functions whose tangents and adjoints have tangents "
    "(docs/coverage.md lists them), keep it out of the path from the "
    "differentiated argument, or use srcdiff.grad for first derivatives."
)


def _shaped_like(ctx: Context, tangent: Any, var: Var) -> Any:
    """A tangent has its value's shape: a share that broadcasts (``dy`` of
    ``x + y``, ``y`` a row) is broadcast, so that what reads it later (a
    reduction, a reshape) sees every element."""
    if token(tangent) == token(var) and token(var) is not None:
        return tangent
    builder = ctx.builder
    shape = builder.shape_value(var)
    if shape is None:
        shape = builder.bind(PRIMS[np.shape], (var,), loc=var.loc)
    return builder.bind(PRIMS[np.broadcast_to], (tangent, shape), loc=var.loc)
