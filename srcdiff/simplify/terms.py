"""Like terms, combined as a sum is bound: ``a + a`` is ``2 * a``.

A value read twice gets two equal contributions to its adjoint (``x * x``
gives ``x + x``); a person writes ``2 * x``. ``combine(builder, prim, x, y)``
takes an addition or subtraction whose sides are number multiples of one
value (``a``, ``3 * a``, ``a / 2``, ``b * c`` and ``c * b``) and returns a
1-tuple holding that value times the summed number, binding what that needs,
or None. Only for values known to hold numbers (not booleans: ``b + b`` of a
mask is ``b | b``), with a sum a float holds exactly, and never to zero
(``a - a`` keeps its shape as written).
"""

from __future__ import annotations

from fractions import Fraction
from typing import Any, Protocol

import numpy as np

from srcdiff.ir.nodes import Assign, Var
from srcdiff.ir.prim import Prim
from srcdiff.ir.prims import ADD, DIV, MUL, NEG, SUB
from srcdiff.ir.values import is_scalar_const


class Builder(Protocol):
    defs: dict[Var, Assign]

    def derived(self, prim: Prim, args: tuple[Any, ...]) -> Any: ...


def combine(builder: Builder, prim: Prim, x: Any, y: Any) -> tuple[Any] | None:
    if prim not in (ADD, SUB):
        return None
    (a, j), (b, k) = _term(builder, x), _term(builder, y)
    if not _same(builder, a, b) or not _numeric(a, j, k):
        return None
    total = j + k if prim is ADD else j - k
    if total == 0 or Fraction(float(total)) != total:  # 2/3 is no float
        return None
    return (_times(builder, a, total),)


def _term(builder: Builder, value: Any) -> tuple[Any, Fraction]:
    """``(a, k)`` for a temporary ``k * a``, ``a * k`` or ``a / k``; else
    ``(value, 1)``."""
    stmt = temp_def(builder, value)
    if stmt is not None and stmt.prim in (MUL, DIV):
        a, b = stmt.args
        if number(b) and not number(a) and (stmt.prim is MUL or b != 0):
            return a, Fraction(b) if stmt.prim is MUL else 1 / Fraction(b)
        if stmt.prim is MUL and number(a) and not number(b):
            return b, Fraction(a)
    return value, Fraction(1)


def _same(builder: Builder, a: Any, b: Any) -> bool:
    """The same value: one Var, or products of the same two factors."""
    if a is b:
        return isinstance(a, Var)
    left, right = temp_def(builder, a), temp_def(builder, b)
    if left is None or right is None or left.prim is not MUL or right.prim is not MUL:
        return False
    (p, q), (r, s) = left.args, right.args
    return isinstance(p, Var) and isinstance(q, Var) and p is s and q is r


def _times(builder: Builder, value: Any, factor: Fraction) -> Any:
    """``factor * value``, the number first, as a person writes it."""
    if factor < 0:
        return builder.derived(NEG, (_times(builder, value, -factor),))
    if factor == 1:
        return value
    if factor.numerator == 1:
        return builder.derived(DIV, (value, factor.denominator))
    number = int(factor) if factor.denominator == 1 else float(factor)
    return builder.derived(MUL, (number, value))


def _numeric(value: Any, *factors: Fraction) -> bool:
    """Known to hold floats or complex numbers, or ints with int factors (so
    the result keeps its dtype; booleans never)."""
    kind = value.dtype.kind if isinstance(value, Var) and value.dtype else ""
    whole = all(f.denominator == 1 for f in factors)
    return kind in ("f", "c") or (kind in ("i", "u") and whole)


def inexact(value: Any) -> bool:
    """A float or complex value (known to hold one)."""
    if isinstance(value, Var):
        return value.dtype is not None and value.dtype.kind in ("f", "c")
    return isinstance(value, float)


def temp_def(builder: Builder, value: Any) -> Assign | None:
    """The statement that made a temporary (None for a named value)."""
    if isinstance(value, Var) and value.kind == "temp" and value in builder.defs:
        return builder.defs[value]
    return None


def number(value: Any) -> bool:
    """A real number written into the code (not a bool)."""
    return (
        is_scalar_const(value)
        and not isinstance(value, (bool, complex, np.bool_, np.complexfloating))
        and bool(np.isfinite(value))
    )
