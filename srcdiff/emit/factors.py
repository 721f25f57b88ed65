"""Number factors written first, as a person writes them: ``2 * lam * W``.

Adjoint rules multiply by a number last (``g * 2 * x`` for ``x**2``), so the
number lands in the middle or at the end of a product. ``number_first``
takes a rendered ``a * k`` and writes the number at the front: ``k * a``, and
for a product or quotient ``a`` (an expression folded in, read nowhere else)
at the front of it: ``a / n * 2`` is ``2 * a / n``, ``1.0 / n / b * 2`` is
``2.0 / n / b``. Moving a number past other factors keeps every bit only
when it is a power of two (scaling by it never rounds), so other numbers
move only past a single operand.
"""

from __future__ import annotations

import ast
from fractions import Fraction


def number_first(expr: ast.expr) -> ast.expr:
    if not (isinstance(expr, ast.BinOp) and isinstance(expr.op, ast.Mult)):
        return expr
    k, left = _number(expr.right), expr.left
    if k is None or _number(left) is not None:
        return expr
    if not _is_chain(left):
        return expr if isinstance(left, ast.UnaryOp) else _times(k, left)
    if not _power_of_two(k):
        return expr
    moved = _into(left, k)
    return expr if moved is None else moved


def _into(expr: ast.expr, k: int | float) -> ast.expr | None:
    """``expr * k`` with ``k`` at the left end of ``expr``'s ``*`` and ``/``
    (None where the left end is a minus sign)."""
    if _is_chain(expr):
        assert isinstance(expr, ast.BinOp)
        inner = _into(expr.left, k)
        return None if inner is None else ast.BinOp(inner, expr.op, expr.right)
    c = _number(expr)
    if c is not None:
        return ast.Constant(c * k)  # exact: k is a power of two
    if isinstance(expr, ast.UnaryOp):
        return None
    return _times(k, expr)


def _times(k: int | float, expr: ast.expr) -> ast.expr:
    return ast.BinOp(ast.Constant(k), ast.Mult(), expr)


def _is_chain(expr: ast.expr) -> bool:
    return isinstance(expr, ast.BinOp) and isinstance(expr.op, (ast.Mult, ast.Div))


def _number(expr: ast.expr) -> int | float | None:
    """A non-negative int or float written as it is (not a bool)."""
    if not isinstance(expr, ast.Constant) or isinstance(expr.value, bool):
        return None
    value = expr.value
    return value if isinstance(value, (int, float)) and value >= 0 else None


def _power_of_two(k: int | float) -> bool:
    if k <= 0 or k != k or k == float("inf"):
        return False
    ratio = Fraction(k)
    return all(n & (n - 1) == 0 for n in (ratio.numerator, ratio.denominator))
