"""Algebraic identities applied as a peephole while statements are bound.

``simplify(builder, prim, args, kwargs, loc)`` is called by the builder
(``srcdiff.trace.builder``) for each statement before it is appended. It
takes the statement and the builder (through the ``Builder`` protocol below)
and returns a 1-tuple holding the value to use instead, binding what that
needs, or None to keep the statement: ``x * 1``, ``x + 0`` and ``--x``
disappear, minus signs and number factors move outwards where they cancel,
and scalar fills fold (``srcdiff.simplify.fills``), so adjoint code does not
read like a tape dump.
"""

from __future__ import annotations

from fractions import Fraction
from typing import Any, Protocol

import numpy as np

from srcdiff.errors import Loc
from srcdiff.ir.nodes import Assign, Const, Var
from srcdiff.ir.prim import Prim
from srcdiff.ir.prims import (
    ADD,
    DIV,
    INDEX_ADD,
    INDEX_UPDATE,
    MUL,
    NEG,
    POW,
    PRIMS,
    SUB,
    TRANSPOSE,
)
from srcdiff.ir.values import is_scalar_const, is_traced, shape_of
from srcdiff.simplify import factoring, fills, terms

_ELEMENTWISE = (ADD, SUB, MUL, DIV)
_SUM, _MEAN = PRIMS[np.sum], PRIMS[np.mean]
# Linear in their first argument: ``f(-x)`` is ``-f(x)``.
_LINEAR = tuple(
    PRIMS[f]
    for f in (
        np.sum,
        np.mean,
        np.broadcast_to,
        np.expand_dims,
        np.reshape,
        np.squeeze,
        np.transpose,
        np.swapaxes,
    )
)


class Builder(fills.Builder, Protocol):
    """What the identities ask of the builder: the fill rules' needs, and
    ``bind`` for a statement with keyword arguments."""

    def bind(
        self,
        prim: Prim,
        args: tuple[Any, ...],
        kwargs: dict[str, Any] | None = None,
        loc: Loc | None = None,
    ) -> Any: ...


def simplify(
    builder: Builder,
    prim: Prim,
    args: tuple[Any, ...],
    kwargs: dict[str, Any],
    loc: Loc | None,
) -> tuple[Any] | None:
    """Algebraic identities; a 1-tuple holding the result, or None."""
    if prim is NEG:
        inner = _negated(builder, args[0])
        return None if inner is None else (inner,)
    if prim in _ELEMENTWISE:
        x, y = args
        return (
            _identity(builder, prim, x, y)
            or fills.combine_fills(builder, prim, x, y)
            or _pull_negation(builder, prim, x, y)
            or _rescale(builder, prim, x, y)
            or terms.combine(builder, prim, x, y)
            or factoring.factor_out(builder, prim, x, y)
        )
    if prim in _LINEAR and args and isinstance(args[0], Var):
        inner = _negated(builder, args[0])
        # The broadcast of a number stays a fill (of -c): the fill rules fold
        # it into what reads it, which they cannot do with -(fill of c).
        fill = prim is fills.BROADCAST_TO and shape_of(inner) == ()
        if inner is not None and isinstance(inner, Var) and not fill:
            moved = builder.bind(prim, (inner, *args[1:]), kwargs, loc)
            return (builder.derived(NEG, (moved,)),)
    if prim in (_SUM, _MEAN) and len(args) == 1 and not kwargs:
        total = fills.total_of_fill(builder, prim, args[0])
        if total is not None:
            return (total,)
    if prim is PRIMS[np.zeros_like] and len(args) == 1:
        zeros = fills.zeros_of_shape(builder, args, kwargs)
        return None if zeros is None else (zeros,)
    if prim in (INDEX_UPDATE, INDEX_ADD) and len(args) == 3:
        assigned = fills.assigned_fill(builder, prim, args)
        return None if assigned is None else (assigned,)
    if prim is POW and is_scalar_const(args[1], 1) and _keeps_shape(args[0]):
        return (args[0],)
    if prim is TRANSPOSE and len(args) == 1:
        x = args[0]
        if _ndim(x) in (0, 1):
            return (x,)
        inner = builder.defs.get(x) if isinstance(x, Var) else None
        if inner is not None and inner.prim is TRANSPOSE and len(inner.args) == 1:
            return (inner.args[0],)
    if prim is fills.BROADCAST_TO:
        x, shape = args[0], args[1]
        if not is_traced(shape) and shape_of(x) == tuple(np.atleast_1d(shape)):
            return (x,)
    return None


def _identity(builder: Builder, prim: Prim, x: Any, y: Any) -> tuple[Any] | None:
    """``x * 1``, ``x + 0``, ``0 - x``, ``x / 1`` and broadcast scalars."""
    if prim is MUL:
        for a, b in ((x, y), (y, x)):
            if is_scalar_const(b, 1) and _keeps_shape(a):
                return (a,)
            divisor = _reciprocal_int(b)
            if divisor is not None and isinstance(a, Var):
                return (builder.derived(DIV, (a, divisor)),)
    if prim is ADD:
        for a, b in ((x, y), (y, x)):
            if is_scalar_const(b, 0) and _keeps_shape(a):
                return (a,)
    if prim is SUB and is_scalar_const(y, 0) and _keeps_shape(x):
        return (x,)
    if prim is SUB and is_scalar_const(x, 0) and _keeps_shape(y):
        return (builder.derived(NEG, (y,)),)
    if prim is DIV and is_scalar_const(y, 1) and _keeps_shape(x):
        return (x,)
    return None


def _pull_negation(builder: Builder, prim: Prim, x: Any, y: Any) -> tuple[Any] | None:
    """Move minus signs outwards, where they cancel: ``-a * b`` is ``-(a * b)``."""
    nx, ny = _negated(builder, x), _negated(builder, y)
    if nx is None and ny is None:
        return None
    derived = builder.derived
    if prim in (MUL, DIV):
        if nx is not None and ny is not None:
            return (derived(prim, (nx, ny)),)
        inner = derived(prim, (nx, y) if nx is not None else (x, ny))
        return (derived(NEG, (inner,)),)
    if prim is ADD:
        if nx is not None and ny is not None:
            return (derived(NEG, (derived(ADD, (nx, ny)),)),)
        return (derived(SUB, (y, nx)) if nx is not None else derived(SUB, (x, ny)),)
    # SUB
    if nx is not None and ny is not None:
        return (derived(SUB, (ny, nx)),)
    if ny is not None:
        return (derived(ADD, (x, ny)),)
    return (derived(NEG, (derived(ADD, (nx, y)),)),)


def _rescale(builder: Builder, prim: Prim, x: Any, y: Any) -> tuple[Any] | None:
    """Gather number factors, where they cancel: ``a * 2 * b / 2`` is
    ``a * b``, ``0.01 / (2 * s) * 2`` is ``0.01 / s``."""
    if prim not in (MUL, DIV):
        return None
    derived = builder.derived
    for a, b in ((x, y), (y, x)) if prim is MUL else ():
        over = _over(builder, a)  # (c / n) * b is c * b / n, n a size
        if over is not None and getattr(over[1], "size", None) is not None:
            top = b if over[0] == 1 else derived(MUL, (_plain(over[0]), b))
            return (derived(DIV, (top, over[1])),)
    if _number(y) or (prim is MUL and _number(x)):
        value, k = (x, y) if _number(y) else (y, x)
        factor = Fraction(k) if prim is MUL else 1 / Fraction(y)
        scaled = _coefficient(builder, value)
        if scaled is not None:
            result = _scaled(builder, scaled[0], scaled[1] * factor)
            if isinstance(result, Var) and result.kind == "temp":
                result.hint = value.hint  # delta * 2 stays a delta
            return (result,)
        over = _over(builder, value)  # (c / s) * k is (c * k) / s
        if over is not None:
            return (derived(DIV, (_plain(over[0] * factor), over[1])),)
        return None
    if prim is DIV and _number(x):  # c / (s * k) is (c / k) / s
        scaled = _coefficient(builder, y)
        if scaled is not None:
            numerator = _plain(Fraction(x) / scaled[1])
            base = scaled[0]
            base = base.build() if isinstance(base, _Deferred) else base
            return (derived(DIV, (numerator, base)),)
        return None
    return None


def _coefficient(
    builder: Builder, value: Any, depth: int = 3
) -> tuple[Any, Fraction] | None:
    """``(s, k)`` when the temporary ``value`` is ``s * k``: ``s * k``,
    ``s / k``, or a product or quotient with such a factor inside
    (``a * 2 * b`` is ``(a * b) * 2``, rebuilt only when ``k`` cancels)."""
    stmt = _temp_def(builder, value)
    if stmt is None or stmt.prim not in (MUL, DIV) or depth == 0:
        return None
    a, b = stmt.args
    if _number(b) and not _number(a) and b != 0:
        return a, Fraction(b) if stmt.prim is MUL else 1 / Fraction(b)
    if stmt.prim is MUL and _number(a) and not _number(b):
        return b, Fraction(a)
    if _number(a) or _number(b):
        return None
    for i, part in enumerate((a, b)):
        inner = _coefficient(builder, part, depth - 1)
        if inner is None:
            continue
        rest = (inner[0], b) if i == 0 else (a, inner[0])
        k = inner[1] if i == 0 or stmt.prim is MUL else 1 / inner[1]
        return _Deferred(builder, stmt.prim, rest), k
    return None


def _over(builder: Builder, value: Any) -> tuple[Fraction, Any] | None:
    """``(c, s)`` when ``value`` is a temporary ``c / s``."""
    stmt = _temp_def(builder, value)
    if stmt is None or stmt.prim is not DIV or not _number(stmt.args[0]):
        return None
    if _number(stmt.args[1]):
        return None
    return Fraction(stmt.args[0]), stmt.args[1]


def _temp_def(builder: Builder, value: Any) -> Assign | None:
    if isinstance(value, Var) and value.kind == "temp" and value in builder.defs:
        return builder.defs[value]
    return None


def _scaled(builder: Builder, value: Any, factor: Fraction) -> Any:
    """``value * factor``, written the way a person would."""
    if isinstance(value, _Deferred):
        value = value.build()
    if factor == 1 and _keeps_shape(value):
        return value
    if factor < 0:
        return builder.derived(NEG, (_scaled(builder, value, -factor),))
    if factor.numerator == 1 and factor.denominator <= 10_000:
        return builder.derived(DIV, (value, factor.denominator))
    return builder.derived(MUL, (value, _plain(factor)))


def _negated(builder: Builder, value: Any) -> Any:
    """``a`` if ``value`` is ``-a`` (a temporary) or a negative constant."""
    if is_scalar_const(value) and not isinstance(value, complex) and value < 0:
        return -value
    if isinstance(value, Var) and value.kind == "temp" and value in builder.defs:
        stmt = builder.defs[value]
        if stmt.prim is NEG:
            return stmt.args[0]
    return None


class _Deferred:
    """A product or quotient to build only if a factor pulled out of it cancels."""

    def __init__(self, builder: Builder, prim: Prim, args: tuple[Any, ...]) -> None:
        self.builder, self.prim, self.args = builder, prim, args

    def build(self) -> Any:
        args = tuple(a.build() if isinstance(a, _Deferred) else a for a in self.args)
        return self.builder.derived(self.prim, args)


def _ndim(value: Any) -> int | None:
    shape = shape_of(value)
    return None if shape is None else len(shape)


def _number(value: Any) -> bool:
    """A real Python or NumPy number written into the code (not a bool)."""
    return (
        is_scalar_const(value)
        and not isinstance(value, (bool, complex, np.bool_, np.complexfloating))
        and bool(np.isfinite(value))
    )


def _plain(value: Fraction) -> int | float:
    return int(value) if value.denominator == 1 else float(value)


def _reciprocal_int(value: Any) -> int | None:
    """``q`` when ``value`` is exactly ``1 / q``; ``x / q`` reads better."""
    if not is_scalar_const(value) or isinstance(value, complex) or not 0 < value < 1:
        return None
    q = round(1 / value)
    return q if q < 1_000_000 and 1 / q == value else None


def _keeps_shape(value: Any) -> bool:
    """Dropping a scalar operand keeps the result as-is for float-like values."""
    if isinstance(value, Var):
        return not value.known or np.issubdtype(value.dtype, np.inexact)
    return isinstance(value, Const) and np.issubdtype(value.value.dtype, np.inexact)
