"""Matrices symmetric by how they are made, not only on the example.

A kernel matrix ``K = variance * np.exp(-d2 / t) + noise * np.eye(n)``, with
``d2`` summed from ``(X[:, None, :] - X[None, :, :]) ** 2``, is symmetric
for every input, so its derivative along any of them is symmetric too. An
adjoint that K's consumer gives on the lower triangle alone (the one
``np.linalg.cholesky`` reads) can then be written in full, as the textbook
``-outer(K^-1 g, alpha)``: the two agree on every symmetric direction.

``parity`` proves it from the statements that made a value, tracking the
first two axes: +1 symmetric in them, -1 antisymmetric, None unknown. A
number (no axes) multiplies or adds as a symmetric value would.
"""

from __future__ import annotations

from typing import Any

import numpy as np

from srcdiff.ir.nodes import Assign, Const, Var

SYMMETRIC, ANTISYMMETRIC = 1, -1
_SQUARE = frozenset({"eye", "identity"})  # np.eye(n): no M, no k
# Elementwise functions: any keeps a symmetric value; an odd one (f(-x) =
# -f(x)) keeps an antisymmetric one, an even one makes it symmetric.
_ODD = frozenset({"negative", "sin", "tan", "tanh", "sinh", "arctan", "expm1"})
_ODD_EXACT = _ODD - {"expm1"}
_EVEN = frozenset({"abs", "square", "cos", "cosh"})
_ELEMENTWISE = _ODD | _EVEN | {"exp", "log", "log1p", "sqrt"}
_REDUCTIONS = frozenset({"sum", "mean", "max", "min"})
_PRODUCTS = {"add": 0, "subtract": 0, "multiply": 1, "divide": 1}


def symmetric(defs: dict[Var, Assign], value: Any) -> bool:
    """Whether ``value`` is a matrix symmetric for every input."""
    return (
        isinstance(value, Var)
        and value.known
        and np.ndim(value.value) == 2
        and parity(defs, value) == SYMMETRIC
    )


def parity(defs: dict[Var, Assign], value: Any, depth: int = 0) -> int | None:
    """+1 if ``value`` is symmetric in its first two axes by construction,
    -1 if antisymmetric, else None (numbers count as symmetric)."""
    if isinstance(value, Const):
        value = value.value
    if not isinstance(value, Var):
        return SYMMETRIC if np.ndim(value) == 0 else None
    if not value.known or depth > 64:
        return None
    if np.ndim(value.value) == 0:
        return SYMMETRIC
    stmt = defs.get(value)
    if stmt is None or np.ndim(value.value) < 2:
        return None
    name, args = stmt.prim.name, stmt.args

    def of(arg: Any) -> int | None:
        return parity(defs, arg, depth + 1)

    if name in _SQUARE and len(args) == 1 and not stmt.kwargs:
        return SYMMETRIC
    if name in _ELEMENTWISE and len(args) == 1:
        inner = of(args[0])
        if inner == SYMMETRIC or (inner == ANTISYMMETRIC and name in _EVEN):
            return SYMMETRIC
        return ANTISYMMETRIC if inner == ANTISYMMETRIC and name in _ODD_EXACT else None
    if name in _PRODUCTS and len(args) == 2:
        ndim = np.ndim(value.value)
        return _binary(defs, name, args, lambda a: _broadcast(a, ndim) or of(a))
    if name == "power" and len(args) == 2:
        return _power(of(args[0]), args[1])
    if name in _REDUCTIONS and _keeps_first_two(stmt, value):
        return of(args[0])
    if name == "transpose" and len(args) == 1 and np.ndim(value.value) == 2:
        return of(args[0])
    if name == "matmul" and len(args) == 2 and np.ndim(value.value) == 2:
        return SYMMETRIC if _gram(defs, *args) else None
    return None


def _binary(defs: dict[Var, Assign], name: str, args: Any, of: Any) -> int | None:
    if _pairwise(defs, *args):  # x_i - x_j, x_i * x_j
        return {"subtract": ANTISYMMETRIC, "divide": None}.get(name, SYMMETRIC)
    left, right = of(args[0]), of(args[1])
    if left is None or right is None:
        return None
    if _PRODUCTS[name]:  # the signs multiply
        return left * right
    if left == right:  # a sum keeps a common parity
        return left
    return None  # symmetric plus antisymmetric


def _broadcast(arg: Any, ndim: int) -> int | None:
    """SYMMETRIC for an operand too short to reach the first two axes of
    a result of ``ndim`` axes (a number, or lengths per feature)."""
    inner = arg.value if isinstance(arg, (Var, Const)) else arg
    known = not isinstance(arg, Var) or arg.known
    return SYMMETRIC if known and np.ndim(inner) <= ndim - 2 else None


def _power(base: int | None, exponent: Any) -> int | None:
    if base is None or isinstance(exponent, Var):
        return None
    if base == SYMMETRIC:
        return SYMMETRIC
    if isinstance(exponent, (int, np.integer)) or float(exponent).is_integer():
        return SYMMETRIC if int(exponent) % 2 == 0 else ANTISYMMETRIC
    return None


def _keeps_first_two(stmt: Assign, value: Var) -> bool:
    """A reduction over axes after the first two (``axis=-1`` of a 3-d)."""
    axis = stmt.kwargs.get("axis", stmt.args[1] if len(stmt.args) > 1 else None)
    source = stmt.args[0]
    if axis is None or not isinstance(source, Var) or not source.known:
        return False
    ndim = np.ndim(source.value)
    axes = axis if isinstance(axis, tuple) else (axis,)
    if not all(isinstance(a, (int, np.integer)) for a in axes):
        return False
    return all(a % ndim >= 2 for a in axes) and np.ndim(value.value) >= 2


def _pairwise(defs: dict[Var, Assign], a: Any, b: Any) -> bool:
    """Whether ``a`` and ``b`` are ``x[:, None]`` and ``x[None, :]`` (or
    ``x`` itself, which broadcasts so) in some order: ``x_i`` and ``x_j``."""
    for first, second in ((a, b), (b, a)):
        x = _spread(defs, first, 1)
        if x is not None and (second is x or _spread(defs, second, 0) is x):
            return True
    return False


def _spread(defs: dict[Var, Assign], value: Any, new_axis: int) -> Var | None:
    """``x`` if ``value`` is ``x`` with a new axis inserted at ``new_axis``
    (0 or 1) and every other axis whole: ``x[:, None, :]`` for 1,
    ``x[None, :, :]`` or ``x[None]`` for 0."""
    stmt = defs.get(value) if isinstance(value, Var) else None
    if stmt is None or stmt.prim.name != "getitem":
        return None
    source, index = stmt.args
    index = index if isinstance(index, tuple) else (index,)
    head = (slice(None), None) if new_axis == 1 else (None,)
    ok = len(index) > new_axis and all(
        _whole(i) if w is not None else i is None
        for i, w in zip(index, head, strict=False)
    )
    ok = ok and all(_whole(i) for i in index[new_axis + 1 :])
    return source if ok and isinstance(source, Var) else None


def _whole(index: Any) -> bool:
    return isinstance(index, slice) and index == slice(None)


def _gram(defs: dict[Var, Assign], a: Any, b: Any) -> bool:
    """``A @ A.T`` or ``A.T @ A``."""
    for left, right in ((a, b), (b, a)):
        stmt = defs.get(right) if isinstance(right, Var) else None
        flip = stmt is not None and stmt.prim.name == "transpose"
        if flip and len(stmt.args) == 1 and stmt.args[0] is left:  # type: ignore[union-attr]
            return True
    return False
