"""Solves by a matrix whose inverse the program computes anyway: products.

The Cholesky adjoint inverts the factor L, so ``np.linalg.solve(L, b)`` and
``np.linalg.solve(L.T, b)`` in the forward sweep cost a matrix-vector product
with ``L_inv`` (or ``L_inv.T``) instead of an LU factorization each; so does
a solve by K where L is K's Cholesky factor and K is symmetric, by how it is
made (``simplify.symmetric``) or as a guard checks (``simplify.cholesky``):
K^-1 = L^-T L^-1, ``L_inv.T @ (L_inv @ b)``. The inverse, which reads only
the matrix, moves up to the first solve that uses it. Only top-level
statements on 2-D matrices an example shows take part; the program is left
with every such solve a ``matmul``."""

from __future__ import annotations

from typing import Any

import numpy as np

from srcdiff.ir.nodes import UNKNOWN, Assign, Guard, Program, Stmt, Var
from srcdiff.ir.prims import MATMUL, TRANSPOSE, Prim
from srcdiff.simplify.symmetric import symmetric

# By name: the rules register np.linalg's prims (srcdiff.rules.numpy.linalg).
_INV, _SOLVE, _CHOLESKY = "linalg.inv", "linalg.solve", "linalg.cholesky"
_SYMMETRIC = "symmetric_solve"


def reuse_inverses(program: Program) -> Program:
    """Rewrite each solve by an inverted matrix as a product with the inverse."""
    top = [s for s in program.stmts if isinstance(s, Assign)]
    inverses = {s.args[0]: s for s in reversed(top) if _plain(s, _INV)}
    flips = {s.args[0]: s for s in reversed(top) if _plain(s, TRANSPOSE)}
    cholesky = _checked_factors(program.stmts, top, flips)
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
        by_factor = None if factor else _cholesky(stmt, inverses, flips, cholesky)
        if factor is not None or by_factor is not None:
            needed, products = factor or by_factor, []  # type: ignore[assignment]
            if by_factor is not None:
                needed, products = _cholesky_products(stmt, by_factor, flips)
            early = [s for s in [*needed, *products] if id(s) not in done]
            out.extend(early)
            done.update(map(id, early))
            forward.update(map(id, early))
            left = needed[-1].var if factor else products[-1].var
            right = stmt.args[1] if factor else products[-2].var
            stmt = Assign(stmt.var, MATMUL, (left, right), {}, stmt.loc)
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


def _checked_factors(
    stmts: list[Stmt], top: list[Assign], flips: dict[Var, Assign]
) -> dict[Var, Assign]:
    """Each matrix K symmetric by how it is made (``simplify.symmetric``) or
    that a top-level guard checks symmetric (``np.array_equal(K, K.T)``, by
    ``simplify.cholesky``) and the program factors: its
    ``np.linalg.cholesky(K)``."""
    defs = {s.var: s for s in top}
    factors = {s.args[0]: s for s in reversed(top) if _plain(s, _CHOLESKY)}
    found = {K: factor for K, factor in factors.items() if symmetric(defs, K)}
    for guard in stmts:
        test = defs.get(guard.cond) if isinstance(guard, Guard) else None
        if test is None or not guard.expect or test.prim.name != "array_equal":
            continue
        K, flipped = test.args
        flip = flips.get(K)
        if K in factors and flip is not None and flip.var is flipped:
            found.setdefault(K, factors[K])
    return found


def _cholesky(
    stmt: Stmt,
    inverses: dict[Var, Assign],
    flips: dict[Var, Assign],
    cholesky: dict[Var, Assign],
) -> list[Assign] | None:
    """For ``symmetric_solve(K, b)`` (or ``solve``) of a symmetric K: the statements
    computing its factor L, L^-1 and then L^-T, where the program inverts L."""
    if not isinstance(stmt, Assign) or stmt.prim.name not in (_SYMMETRIC, _SOLVE):
        return None
    factor = cholesky.get(stmt.args[0])
    inverse = inverses.get(factor.var) if factor is not None else None
    if inverse is None:
        return None
    flip = flips.get(inverse.var)
    return [factor, inverse] if flip is None else [factor, inverse, flip]


def _cholesky_products(
    stmt: Assign, needed: list[Assign], flips: dict[Var, Assign]
) -> tuple[list[Assign], list[Assign]]:
    """The statements ``solve(K, b)`` needs first (L, L^-1, L^-T), and the
    products it becomes before its own: ``L_inv @ b``, then L^-T."""
    inverse = needed[1].var
    flip = needed[2] if len(needed) > 2 else _transposed(inverse, stmt.loc)
    flips.setdefault(inverse, flip)
    b = stmt.args[1]
    value = inverse.value @ b.value if isinstance(b, Var) and b.known else UNKNOWN
    half = Assign(Var("matmul", value, stmt.loc), MATMUL, (inverse, b), {}, stmt.loc)
    return needed[:2], [half, flip]


def _transposed(matrix: Var, loc: Any) -> Assign:
    var = Var("transpose", matrix.value.T, loc)
    return Assign(var, TRANSPOSE, (matrix,), {}, loc)
