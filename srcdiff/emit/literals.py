"""Constant values -> expressions: the numbers, dtypes and arrays emitted code
writes out as a person would (``-1j``, ``1 / 3``, ``np.sqrt(2)``, ``np.pi``).

Takes plain Python and NumPy values, never IR; raises ``TypeError`` for a
value that has no source form (the caller decides what that means).
"""

from __future__ import annotations

import ast
import fractions
import math
from typing import Any

import numpy as np

from srcdiff.ir.prims import dotted, numpy_path

# Floats whose repr is longer than this print as a ratio when one is exact.
_SHORT_FLOAT = 8
_MAX_DENOMINATOR = 10_000
_NAMED = {float(np.pi): "np.pi", float(np.e): "np.e"}


def literal(value: Any) -> ast.expr:
    """A Python or NumPy scalar, dtype or type as an expression."""
    if isinstance(value, np.generic):
        value = value.item()
    if isinstance(value, np.dtype):
        return dotted(f"np.{value.name}")
    if isinstance(value, type) and issubclass(value, np.generic):
        return dotted(f"np.{value.__name__}")
    if isinstance(value, type) and value in (float, int, bool, complex):
        return ast.Name(value.__name__, ast.Load())
    if isinstance(value, float) and not math.isfinite(value):
        node = dotted("np.nan" if math.isnan(value) else "np.inf")
        return ast.UnaryOp(ast.USub(), node) if value < 0 else node
    if isinstance(value, (int, float)) and not isinstance(value, bool) and value < 0:
        return ast.UnaryOp(ast.USub(), literal(-value))
    if isinstance(value, float) and len(repr(value)) > _SHORT_FLOAT:
        square = round(value * value)
        if 1 < square <= _MAX_DENOMINATOR and float(np.sqrt(square)) == value:
            return ast.Call(dotted("np.sqrt"), [ast.Constant(square)], [])
        ratio = fractions.Fraction(value).limit_denominator(_MAX_DENOMINATOR)
        if ratio.numerator / ratio.denominator == value:
            return ast.BinOp(
                ast.Constant(ratio.numerator),
                ast.Div(),
                ast.Constant(ratio.denominator),
            )
    if isinstance(value, complex):
        return _complex(value)
    if isinstance(value, float) and value in _NAMED:
        return dotted(_NAMED[value])
    if isinstance(value, (int, float, str, bytes, bool)) or value is None:
        return ast.Constant(value)
    if value is Ellipsis:
        return ast.Constant(Ellipsis)
    if callable(value) and numpy_path(value) is not None:
        return dotted(numpy_path(value))  # type: ignore[arg-type]
    if isinstance(value, np.ndarray) and value.size == 0:  # tolist() drops its shape
        keywords = (
            []
            if value.dtype == np.float64
            else [ast.keyword("dtype", literal(value.dtype))]
        )
        return ast.Call(dotted("np.zeros"), [literal(value.shape)], keywords)
    if isinstance(value, np.ndarray):
        return ast.Call(dotted("np.array"), [literal(value.tolist())], [])
    if isinstance(value, (tuple, list)):
        elts = [literal(v) for v in value]
        return (
            ast.Tuple(elts, ast.Load())
            if isinstance(value, tuple)
            else ast.List(elts, ast.Load())
        )
    raise TypeError(f"cannot write {value!r} as Python source")


def _complex(value: complex) -> ast.expr:
    """``2j``, ``-1j``, ``(0.5 - 2j)``: as a person writes complex numbers."""
    imag: ast.expr = ast.Constant(complex(0, abs(value.imag)))
    if value.real == 0:
        return ast.UnaryOp(ast.USub(), imag) if value.imag < 0 else imag
    op = ast.Sub() if value.imag < 0 else ast.Add()
    return ast.BinOp(literal(value.real), op, imag)
