"""The inverse of a Cholesky factor as a triangular one, where that pays.

``np.linalg.inv`` does not know that the factor L of ``np.linalg.cholesky``
is lower triangular: it runs an LU factorization and a full solve. The
``lower_inverse`` helper (written into the emitted file) inverts it by
halves, two products of half the size each; above 64 rows it takes about a
fifth of the time at 400 rows, and at 64 rows and below the two are equally
fast, so smaller factors, and factors of unknown size, keep ``np.linalg.inv``.
Only top-level statements take part.
"""

from __future__ import annotations

import numpy as np

from srcdiff.ir.nodes import Assign, Program
from srcdiff.ir.prims import LOWER_INVERSE

# Rows above which the helper is faster than np.linalg.inv.
ROWS = 64


def triangular_inverses(program: Program) -> Program:
    """Make each ``np.linalg.inv(L)`` of a large Cholesky factor L a
    ``lower_inverse(L)``."""
    factors = {
        s.var
        for s in program.stmts
        if isinstance(s, Assign) and s.prim.name == "linalg.cholesky" and not s.kwargs
    }
    for stmt in program.stmts:
        if (
            isinstance(stmt, Assign)
            and stmt.prim.name == "linalg.inv"
            and len(stmt.args) == 1
            and stmt.args[0] in factors
            and stmt.args[0].known
            and np.ndim(stmt.args[0].value) == 2
            and np.shape(stmt.args[0].value)[0] > ROWS
        ):
            stmt.prim = LOWER_INVERSE
    return program
