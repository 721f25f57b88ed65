"""A backward trip's sum of a product of two vectors, as their dot product.

The adjoint of a number scaling an array (``damping * velocity``) is
``np.sum(g * velocity)``: two NumPy calls and a temporary a trip, where
``g @ velocity`` is one call (on five-element arrays, most of a trip's time).
Only where both are 1-d floats of sizes known equal (no broadcasting).
"""

from __future__ import annotations

from typing import Any

import numpy as np

from srcdiff.ir.nodes import Assign, Var
from srcdiff.ir.prims import MATMUL, MUL, PRIMS
from srcdiff.reverse.context import Context


def sums_of_products_as_dots(ctx: Context, body: list[Any]) -> None:
    """Rewrite each ``np.sum(a * b)`` at the top of ``body`` as ``a @ b``."""
    builder = ctx.builder
    for stmt in body:
        if not isinstance(stmt, Assign) or stmt.prim is not PRIMS[np.sum]:
            continue
        if stmt.kwargs or len(stmt.args) != 1 or not isinstance(stmt.args[0], Var):
            continue
        product = builder.defs.get(stmt.args[0])
        if product is None or product.prim is not MUL or product.kwargs:
            continue
        a, b = product.args
        if _vector(a) and _vector(b) and _same_sizes(builder, a, b):
            stmt.prim, stmt.args = MATMUL, (a, b)


def _vector(value: Any) -> bool:
    return (
        isinstance(value, Var)
        and value.known
        and np.ndim(value.value) == 1
        and len(value.value) != 1  # (its sizes need no check that it is 1)
        and np.issubdtype(value.dtype, np.inexact)
    )


def _same_sizes(builder: Any, a: Var, b: Var) -> bool:
    sizes = builder.sizes_of(a)
    return sizes is not None and sizes == builder.sizes_of(b)
