"""Peephole rules for scalar fills, ``np.broadcast_to(c, shape)`` of a scalar ``c``.

The builder calls these as it binds a statement (``srcdiff.trace.builder``):
they take the statement's primitive and operands and the builder (through the
``Builder`` protocol below), and return the operands or the value to use
instead, or None where no rule applies. A broadcast another operand makes
unnecessary is dropped, a fill moves outwards past arithmetic and shape-only
operations, the total or mean of a fill is a product with its size, and a
fill written into an array (``A[i] = fill``) is its number, and zeros like a
temporary are zeros of its shape.
"""

from __future__ import annotations

from typing import Any, Protocol

import numpy as np

from srcdiff.ir import sizes
from srcdiff.ir.nodes import Assign, Var
from srcdiff.ir.prim import Prim
from srcdiff.ir.prims import MUL, PRIMS
from srcdiff.ir.values import concrete, is_scalar_const, is_traced, shape_of, token

BROADCAST_TO = PRIMS[np.broadcast_to]
_MEAN = PRIMS[np.mean]
# Operations that only rearrange elements: a scalar fill stays a scalar fill.
_SHAPE_ONLY = tuple(
    PRIMS[f]
    for f in (np.broadcast_to, np.expand_dims, np.reshape, np.squeeze, np.transpose)
)


class Builder(Protocol):
    """What the fill rules ask of the builder: the statements bound so far,
    sizes, and a way to bind the statements a rule writes instead."""

    defs: dict[Var, Assign]

    def derived(self, prim: Prim, args: tuple[Any, ...]) -> Any: ...
    def sizes_of(self, value: Any) -> tuple[sizes.Poly, ...] | None: ...
    def size_value(self, poly: sizes.Poly) -> Any: ...
    def result_shape(self, prim: Prim, args: Any, kwargs: Any) -> Any: ...
    def shape_value(self, value: Any) -> tuple[Any, ...] | None: ...


def scalar_fill(defs: dict[Var, Assign], value: Any) -> Any:
    """``c`` when ``value`` is ``np.broadcast_to(c, shape)`` of a scalar ``c``."""
    if not isinstance(value, Var) or value not in defs:
        return None
    stmt = defs[value]
    if stmt.prim is not BROADCAST_TO:
        return None
    fill = stmt.args[0]
    return fill if is_scalar_const(fill) or shape_of(fill) == () else None


def assigned_fill(builder: Builder, prim: Prim, args: tuple[Any, ...]) -> Any:
    """``A[i] = c`` for ``A[i] = np.broadcast_to(c, s)`` (and ``+=``): the
    assignment broadcasts ``c`` itself. None where the value is no fill."""
    array, index, value = args
    fill = scalar_fill(builder.defs, value)
    return None if fill is None else builder.derived(prim, (array, index, fill))


def zeros_of_shape(builder: Builder, args: tuple[Any, ...], kwargs: Any) -> Any:
    """``np.zeros(np.shape(t))`` for ``np.zeros_like(t)`` of a float64
    temporary: only its shape is read, so ``t`` need not be computed."""
    (like,) = args
    if kwargs or not isinstance(like, Var) or like.kind != "temp" or not like.known:
        return None
    shape = builder.shape_value(like)
    if like.dtype != np.float64 or shape is None:
        return None
    return builder.derived(PRIMS[np.zeros], (shape,))


def drop_broadcasts(defs: dict[Var, Assign], args: tuple[Any, ...]) -> tuple[Any, ...]:
    """``broadcast_to(a, s) * y`` is ``a * y`` when ``y`` brings shape ``s``.

    Operands are replaced one at a time, so the result keeps its shape
    even when several are broadcasts.
    """
    out = list(args)
    for i, arg in enumerate(args):
        stmt = defs.get(arg) if isinstance(arg, Var) else None
        if stmt is None or stmt.prim is not BROADCAST_TO:
            continue
        inner, others = stmt.args[0], out[:i] + out[i + 1 :]
        if others and _brings_shape(arg, inner, others):
            out[i] = inner
    return tuple(out) if is_traced(tuple(out)) else args


def _brings_shape(arg: Var, inner: Any, others: list[Any]) -> bool:
    if arg.shape is None:  # no example: only a scalar fill of equal tokens
        scalar = shape_of(inner) == () or is_scalar_const(inner)
        return scalar and all(token(o) == token(arg) for o in others)
    shapes = [shape_of(o) for o in [inner, *others]]
    if any(s is None for s in shapes):
        return False
    try:
        return np.broadcast_shapes(*shapes) == arg.shape  # type: ignore[arg-type]
    except ValueError:
        return False


def combine_fills(builder: Builder, prim: Prim, x: Any, y: Any) -> tuple[Any] | None:
    """``broadcast_to(c, s) * y``, y fitting in s, is ``broadcast_to(c * y, s)``.

    The broadcast moves outwards, where a later operand of shape ``s``
    absorbs it.
    """
    fx, fy = scalar_fill(builder.defs, x), scalar_fill(builder.defs, y)
    if fx is not None and _fill_absorbs(x, y):
        inner = builder.derived(prim, (fx, y))
        return (builder.derived(BROADCAST_TO, (inner, _fill_shape(builder, x))),)
    if fy is not None and _fill_absorbs(y, x):
        inner = builder.derived(prim, (x, fy))
        return (builder.derived(BROADCAST_TO, (inner, _fill_shape(builder, y))),)
    return None


def _fill_absorbs(fill: Var, other: Any) -> bool:
    """Whether ``other`` fits in the fill's shape (without an example: a
    scalar always does)."""
    if fill.shape is not None:
        return _fits(other, fill.shape)
    return is_scalar_const(other) or shape_of(other) == ()


def _fill_shape(builder: Builder, fill: Var) -> Any:
    return builder.defs[fill].args[1]


def _fits(value: Any, shape: tuple[int, ...] | None) -> bool:
    """Whether ``value`` broadcasts to ``shape`` without growing it."""
    own = shape_of(value)
    if shape is None or own is None:
        return own == ()
    try:
        return np.broadcast_shapes(own, shape) == shape
    except ValueError:
        return False


def total_of_fill(builder: Builder, prim: Prim, value: Any) -> Any:
    """``np.sum(np.broadcast_to(c, s))`` is ``c * size``; the mean is ``c``."""
    fill = scalar_fill(builder.defs, value)
    if fill is None or value.shape is None:
        return None
    if prim is _MEAN:
        return fill if np.size(value.value) != 0 else None
    size = builder.size_value(sizes.product(builder.sizes_of(value) or ()))
    if is_scalar_const(fill) and not isinstance(size, Var):
        return fill * size
    return builder.derived(MUL, (fill, size))


def reshaped_fill(
    builder: Builder, prim: Prim, args: Any, kwargs: Any, value: Any
) -> Any:
    """A shape-only operation of a scalar fill, ``value`` on the example, is
    the fill broadcast to the result's shape; None where that is not so."""
    fill = scalar_fill(builder.defs, args[0]) if prim in _SHAPE_ONLY else None
    shape = None if fill is None else builder.result_shape(prim, args, kwargs)
    if shape is not None and tuple(concrete(shape)) == np.shape(value):
        return builder.derived(BROADCAST_TO, (fill, shape))
    return None
