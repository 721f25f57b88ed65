"""Common factors taken out, as a statement is bound: ``(a - b) / s``.

``factor_out(builder, prim, x, y)`` takes a product or sum and returns a
1-tuple holding the value to use instead, binding what that needs, or None:
``a / s - b / s`` is ``(a - b) / s``, ``c * a + c * b`` is ``c * (a + b)``,
and ``1 / s * b`` is ``b / s``. Only for float or complex ``a`` and ``b``
(ints could overflow in ``a - b``), so the result keeps its dtype.
"""

from __future__ import annotations

from typing import Any

from srcdiff.ir.nodes import Var
from srcdiff.ir.prim import Prim
from srcdiff.ir.prims import ADD, DIV, MUL, SUB
from srcdiff.simplify.terms import Builder, inexact, number, temp_def


def factor_out(builder: Builder, prim: Prim, x: Any, y: Any) -> tuple[Any] | None:
    if prim is MUL:
        return _over(builder, x, y) or _over(builder, y, x)
    if prim in (ADD, SUB):
        return _common_factor(builder, prim, x, y)
    return None


def _over(builder: Builder, x: Any, y: Any) -> tuple[Any] | None:
    """``1 / s * b`` is ``b / s`` (both divide, so both are floats)."""
    stmt = temp_def(builder, x)
    kind = y.dtype.kind if isinstance(y, Var) and y.dtype is not None else ""
    if stmt is None or stmt.prim is not DIV or kind not in tuple("biufc"):
        return None
    one, s = stmt.args
    if not number(one) or one != 1 or number(s):
        return None
    return (builder.derived(DIV, (y, s)),)


def _common_factor(builder: Builder, prim: Prim, x: Any, y: Any) -> tuple[Any] | None:
    """``a / s - b / s`` is ``(a - b) / s`` and ``c * a + c * b`` is
    ``c * (a + b)``, for float or complex ``a`` and ``b`` (ints could overflow
    in ``a - b``)."""
    left, right = temp_def(builder, x), temp_def(builder, y)
    if left is None or right is None or left.prim is not right.prim:
        return None
    if left.prim is DIV:
        (a, s), (b, t) = left.args, right.args
        if _same_factor(s, t) and a is not b and inexact(a) and inexact(b):
            return (builder.derived(DIV, (builder.derived(prim, (a, b)), s)),)
    if left.prim is MUL:
        for (c, a), (d, b) in _factor_pairs(left.args, right.args):
            shared = isinstance(c, Var) and c is d and a is not b
            if shared and inexact(a) and inexact(b):
                return (builder.derived(MUL, (c, builder.derived(prim, (a, b)))),)
    return None


def _factor_pairs(
    left: tuple[Any, Any], right: tuple[Any, Any]
) -> list[tuple[tuple[Any, Any], tuple[Any, Any]]]:
    """Each way to read two products as ``c * a`` and ``d * b``."""
    (p, q), (r, s) = left, right
    return [((p, q), (r, s)), ((p, q), (s, r)), ((q, p), (r, s)), ((q, p), (s, r))]


def _same_factor(s: Any, t: Any) -> bool:
    if isinstance(s, Var):
        return s is t
    return number(s) and number(t) and s == t
