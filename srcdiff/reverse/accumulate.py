"""Summing adjoint contributions, and the forms a gradient is handed back in.

A value read in several places gets one contribution per read; they are
added (items of a container and scattered slices into one update each), and
the sum gets its name (``dW``). ``writable`` and ``real_for_real`` give the
gradient's final form.
"""

from __future__ import annotations

import functools
from typing import Any

import numpy as np

from srcdiff import helpers
from srcdiff.ir.nodes import Const, Var
from srcdiff.ir.prims import ADD, GETITEM, INDEX_ADD, INDEX_UPDATE, PRIMS
from srcdiff.names.namer import DELTA
from srcdiff.reverse.context import Context


def accumulate(ctx: Context, contributions: list[Any], var: Var | None) -> Any:
    # A parameter has no statement of its own: a check the sum needs points
    # at the use that made the first contribution.
    made = (c.loc for c in contributions if isinstance(c, Var) and c.loc)
    loc = var.loc if var and var.loc else next(made, None)

    def add(a: Any, b: Any) -> Any:
        if isinstance(a, tuple):  # adjoints of tuple-valued results, slot by slot
            return tuple(
                x if y is None else y if x is None else add(x, y)
                for x, y in zip(a, b, strict=True)
            )
        return ctx.builder.bind(ADD, (a, b), loc=loc)

    contributions = _items_into_one(ctx, contributions, var)
    contributions = _scatters_into_one(ctx, contributions, var)
    total = functools.reduce(add, contributions)
    if isinstance(total, Var) and var is not None:
        name_adjoint(total, var)
        _name_updated(ctx, total, var)
    return total


def _name_updated(ctx: Context, total: Var, var: Var) -> None:
    """The array an adjoint is written into in place goes by its name too:
    ``dx = np.zeros_like(x)``, then ``dx[mask] = g``."""
    stmt = ctx.builder.defs.get(total)
    while stmt is not None and stmt.prim.statements is not None:
        array = stmt.args[0]
        if not isinstance(array, Var):
            return
        name_adjoint(array, var)
        stmt = ctx.builder.defs.get(array)


def _items_into_one(
    ctx: Context, contributions: list[Any], var: Var | None
) -> list[Any]:
    """Without an example, an argument read only item by item
    (``params['W']``, ``params[0]``) may be a dict, list or tuple as well as an
    array: its gradient is ``item_grads(params, {'W': dW, ...})``, which
    builds it in the argument's own type at run time (``scatter_add`` would
    take it for an array)."""
    builder = ctx.builder
    if var is None or not _maybe_container(builder, var):
        return contributions
    items: dict[Any, list[Any]] = {}
    for c in contributions:
        stmt = builder.defs.get(c) if isinstance(c, Var) else None
        if stmt is None or stmt.prim is not PRIMS[helpers.scatter_add]:
            return contributions
        grad, shape, key = stmt.args
        shape_stmt = builder.defs.get(shape) if isinstance(shape, Var) else None
        if (
            shape_stmt is None
            or shape_stmt.prim is not PRIMS[np.shape]
            or shape_stmt.args[0] is not var
            or not _item_key(key)
        ):
            return contributions
        items.setdefault(key, []).append(grad)
    # Contributions come last read first: list the keys in reading order.
    grads = {key: accumulate(ctx, items[key], None) for key in reversed(items)}
    loc = var.loc
    return [builder.bind(PRIMS[helpers.item_grads], (var, grads), loc=loc)]


def _maybe_container(builder: Any, var: Var) -> bool:
    """An argument traced without an example, or an item read from one by key,
    may hold a Python container rather than an array."""
    if var.known:
        return False
    if var.kind == "param" and not var.path:
        return True
    stmt = builder.defs.get(var)
    return (
        stmt is not None
        and stmt.prim is GETITEM
        and _item_key(stmt.args[1])
        and isinstance(stmt.args[0], Var)
        and _maybe_container(builder, stmt.args[0])
    )


def _item_key(key: Any) -> bool:
    return isinstance(key, (int, str)) and not isinstance(key, bool)


def _scatters_into_one(
    ctx: Context, contributions: list[Any], var: Var | None
) -> list[Any]:
    """Contributions of indexings of one array (``u[:, -1]`` and ``u[:, :-1]``,
    ``x[mask]`` and ``x[other]``) go into one array: ``du = np.zeros(...)``,
    then ``du[:, -1] += ...`` per index (``np.add.at`` where an index may
    repeat), instead of a copied ``scatter_add`` helper for each."""
    builder = ctx.builder
    found = [(c, _scatter_parts(builder, c)) for c in contributions]
    scatters = [parts for _, parts in found if parts is not None]
    shapes = {_hashable_shape(shape) for _, shape, _ in scatters}
    if len(shapes) != 1 or None in shapes:
        return contributions
    grads = [grad for grad, _, _ in scatters]
    if any(np.iscomplexobj(g.value) for g in grads if isinstance(g, Var)):
        return contributions
    if len(scatters) == 1 and not (
        _helper(builder, contributions) and all(_real(g) for g in grads)
    ):
        return contributions  # one dx[mask] = g already reads as it should
    loc = var.loc if var else None
    shape = scatters[0][1]
    if var is not None and _same_shape(shape, builder.shape_value(var)):
        # np.zeros_like(w): w's shape and dtype (float32 stays float32)
        total = builder.bind(PRIMS[np.zeros_like], (var,), loc=loc)
    else:
        total = builder.bind(PRIMS[np.zeros], (shape,), loc=loc)
    if var is not None:
        name_adjoint(total, var)
    for grad, _, index in scatters:
        total = builder.bind(INDEX_ADD, (total, index, grad), loc=loc)
    return [total, *(c for c, parts in found if parts is None)]


def _helper(builder: Any, contributions: list[Any]) -> bool:
    """Whether a ``scatter_add`` helper makes one of the contributions."""
    for value in contributions:
        stmt = builder.defs.get(value) if isinstance(value, Var) else None
        if stmt is not None and stmt.prim is PRIMS[helpers.scatter_add]:
            return True
    return False


def _real(value: Any) -> bool:
    """Known to be real (without an example, an adjoint may yet be complex:
    ``dx[i] += g`` would then fail where ``scatter_add`` makes a complex
    array)."""
    if isinstance(value, Var):
        return value.known and not np.iscomplexobj(value.value)
    return not isinstance(value, complex)


def _scatter_parts(builder: Any, value: Any) -> tuple[Any, Any, Any] | None:
    """``(grad, shape, index)`` of zeros of ``shape`` with ``grad`` at
    ``index``: ``scatter_add(grad, shape, index)``, or ``grad`` written at a
    mask into ``np.zeros_like(x)`` or ``np.zeros(shape)`` (the rule of
    ``x[mask]``)."""
    stmt = builder.defs.get(value) if isinstance(value, Var) else None
    if stmt is None:
        return None
    if stmt.prim is PRIMS[helpers.scatter_add]:
        return stmt.args
    if stmt.prim is not INDEX_UPDATE:
        return None
    array, index, grad = stmt.args
    zeros = builder.defs.get(array) if isinstance(array, Var) else None
    if zeros is None or zeros.kwargs or len(zeros.args) != 1:
        return None
    if zeros.prim is PRIMS[np.zeros_like]:
        return grad, builder.shape_value(zeros.args[0]), index
    if zeros.prim is PRIMS[np.zeros]:  # zeros like a temporary
        return grad, zeros.args[0], index
    return None


def _same_shape(a: Any, b: Any) -> bool:
    """Two shapes of ints and size Vars (one Var per size) that are equal."""
    if not isinstance(a, (tuple, list)) or not isinstance(b, tuple) or len(a) != len(b):
        return False
    return all(
        x is y if isinstance(x, Var) else x == y for x, y in zip(a, b, strict=True)
    )


def _hashable_shape(shape: Any) -> Any:
    """Shapes hold ints and size Vars (one Var per size, so by identity)."""
    if not isinstance(shape, (tuple, list)):
        return None
    return tuple(("size", id(s)) if isinstance(s, Var) else s for s in shape)


def name_adjoint(adjoint: Var, primal: Var) -> None:
    """A temporary that is the whole adjoint of a named value is called d<name>;
    of an unnamed one, ``delta`` (backprop's word for it) unless what it
    computes gives a short name."""
    if adjoint.kind != "temp":
        return
    if primal.kind in ("user", "param", "leaf"):
        adjoint.kind, adjoint.adjoint_of = "adjoint", primal
    else:
        adjoint.hint = DELTA


def writable(ctx: Context, grad: Any) -> Any:
    """Gradients are returned as arrays of their own, never read-only broadcasts."""
    builder = ctx.builder
    stmt = builder.defs.get(grad) if isinstance(grad, Var) else None
    if stmt is None or stmt.prim is not PRIMS[np.broadcast_to] or not grad.known:
        return grad
    fill = builder.scalar_fill(grad)
    if fill is not None:
        shape = builder.shape_value(grad)
        return builder.bind(PRIMS[np.full], (shape, fill), loc=stmt.loc)
    return builder.bind(PRIMS[np.array], (grad,), loc=stmt.loc)


def real_for_real(ctx: Context, var: Var, grad: Any) -> Any:
    """A real value gets the real part of a complex adjoint (autograd's convention)."""
    if isinstance(grad, complex | np.complexfloating):  # folded to a number
        real = var.known and not np.iscomplexobj(var.value)
        return grad.real if real else grad
    known = isinstance(grad, Const) or (isinstance(grad, Var) and grad.known)
    if not (var.known and known):
        return grad
    if np.iscomplexobj(var.value) or not np.iscomplexobj(grad.value):
        return grad
    return ctx.builder.bind(PRIMS[np.real], (grad,), loc=var.loc)
