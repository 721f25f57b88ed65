"""Solves by a matrix whose inverse the program computes anyway: products.

The Cholesky adjoint inverts the factor L, so ``np.linalg.solve(L, b)`` and
``np.linalg.solve(L.T, b)`` in the forward sweep cost a matrix-vector product
with ``L_inv`` (or ``L_inv.T``) instead of an LU factorization each. The
inverse, which reads only the matrix, moves up to the first solve that uses
it. Only top-level statements on 2-D matrices an example shows take part; the
program is left with every such solve a ``matmul``.
"""

from __future__ import annotations

import numpy as np

from srcdiff.ir.nodes import Assign, Program, Stmt, Var
from srcdiff.ir.prims import MATMUL, TRANSPOSE, Prim

# By name: the rules register np.linalg's prims (srcdiff.rules.numpy.linalg).
_INV, _SOLVE = "linalg.inv", "linalg.solve"


def reuse_inverses(program: Program) -> Program:
    """Rewrite each solve by an inverted matrix as a product with the inverse."""
    top = [s for s in program.stmts if isinstance(s, Assign)]
    inverses = {s.args[0]: s for s in reversed(top) if _plain(s, _INV)}
    flips = {s.args[0]: s for s in reversed(top) if _plain(s, TRANSPOSE)}
    if not inverses:
        return program
    start = program.backward_start
    forward = set(map(id, program.stmts[:start])) if start is not None else set()
    done: set[int] = set()  # statements in ``out`` already
    out: list[Stmt] = []
    for stmt in program.stmts:
        if id(stmt) in done:
            continue  # an inverse moved up to a solve
        factor = _factor(stmt, inverses, flips)
        if factor is not None:
            early = [s for s in factor if id(s) not in done]
            out.extend(early)
            done.update(map(id, early))
            forward.update(map(id, early))
            inverse = factor[-1].var
            stmt = Assign(stmt.var, MATMUL, (inverse, stmt.args[1]), {}, stmt.loc)
            forward.add(id(stmt))
        out.append(stmt)
        done.add(id(stmt))
    program.stmts = out
    if start is not None:
        program.backward_start = max(
            (i + 1 for i, s in enumerate(out) if id(s) in forward), default=0
        )
    return program


def _plain(stmt: Assign, prim: Prim | str) -> bool:
    """``prim(x)`` of one matrix x an example shows, with no options."""
    return (
        (stmt.prim is prim or stmt.prim.name == prim)
        and len(stmt.args) == 1
        and not stmt.kwargs
        and isinstance(stmt.args[0], Var)
        and stmt.args[0].known
        and np.ndim(stmt.args[0].value) == 2
    )


def _factor(
    stmt: Stmt, inverses: dict[Var, Assign], flips: dict[Var, Assign]
) -> list[Assign] | None:
    """For ``solve(a, b)``: the statements computing a^-1, the last its value."""
    if not isinstance(stmt, Assign) or stmt.prim.name != _SOLVE or stmt.kwargs:
        return None
    a = stmt.args[0]
    if a in inverses:
        return [inverses[a]]
    transposed = next((m for m, s in flips.items() if s.var is a), None)
    inverse = inverses.get(transposed) if transposed is not None else None
    if inverse is None or inverse.var not in flips:
        return None
    return [inverse, flips[inverse.var]]  # a = m.T: a^-1 = inv(m).T
