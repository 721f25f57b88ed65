"""``np.linalg.solve(L.T, np.linalg.solve(L, b))`` with ``L`` the Cholesky
factor of a symmetric K is ``K^-1 b``: one solve by K (SciPy's cho_solve).

A peephole the builder calls as it binds each statement. Written out, the
two solves make the adjoint go through the Cholesky factor: the gradient on
L, then Murray's Cholesky adjoint, three matrix products of K's size. As
one ``SYMMETRIC_SOLVE`` by K, the adjoint is the textbook
``-outer(K^-1 g, x)`` moved to the lower triangle (the one ``cholesky``
reads), and ``K^-1 g`` is two products with L's inverse where the program
inverts L anyway (the log-determinant's adjoint does; ``inverses`` does the
same for the solve itself). L L^T is K only for a symmetric K: the example
must show one, and the emitted code checks it (``if not np.array_equal(K,
K.T): raise PathChanged(...)``), so the solve prints as ``np.linalg.solve``.
Where K is symmetric by how it is made (``srcdiff.simplify.symmetric``: a
kernel matrix), the solve is the plain ``np.linalg.solve(K, b)``, whose full
adjoint agrees with the lower triangle's on every direction K can move in,
and nothing needs checking.
"""

from __future__ import annotations

from typing import Any, Protocol

import numpy as np

from srcdiff.errors import Loc
from srcdiff.ir.nodes import Assign, Var, made_by
from srcdiff.ir.prim import Prim
from srcdiff.ir.prims import PRIMS, SYMMETRIC_SOLVE, TRANSPOSE
from srcdiff.simplify.symmetric import symmetric

# By name: the rules register np.linalg's prims (srcdiff.rules.numpy.linalg).
_SOLVE, _CHOLESKY = "linalg.solve", "linalg.cholesky"
_WHAT = "a matrix symmetric when traced no longer is"


class Builder(Protocol):
    defs: dict[Var, Assign]

    def derived(self, prim: Prim, args: tuple[Any, ...]) -> Any: ...
    def bind(self, prim: Prim, args: tuple[Any, ...]) -> Any: ...
    def guard(
        self, cond: Any, expect: bool, loc: Loc | None, text: str, message: str = ""
    ) -> None: ...


def cholesky_solve(
    builder: Builder,
    prim: Prim,
    args: tuple[Any, ...],
    kwargs: dict[str, Any],
    loc: Loc | None,
) -> tuple[Any] | None:
    """``(SYMMETRIC_SOLVE of K, b,)`` for ``solve(L.T, solve(L, b))``, else None."""
    if prim.name != _SOLVE or kwargs or len(args) != 2:
        return None
    flip = made_by(builder.defs, args[0], TRANSPOSE.name)
    inner = made_by(builder.defs, args[1], _SOLVE)
    if flip is None or inner is None or len(flip.args) != 1 or inner.kwargs:
        return None
    factor = made_by(builder.defs, flip.args[0], _CHOLESKY)
    if factor is None or inner.args[0] is not factor.var or factor.kwargs:
        return None
    K = factor.args[0]
    if not _symmetric_real_matrix(K):
        return None
    if symmetric(builder.defs, K):  # for every input: the full adjoint serves
        return (builder.derived(prim, (K, inner.args[1])),)
    same = builder.bind(PRIMS[np.array_equal], (K, builder.bind(TRANSPOSE, (K,))))
    builder.guard(same, True, loc, _WHAT, message=_WHAT)
    return (builder.derived(SYMMETRIC_SOLVE, (K, inner.args[1])),)


def _symmetric_real_matrix(value: Any) -> bool:
    return (
        isinstance(value, Var)
        and value.known
        and np.ndim(value.value) == 2
        and not np.iscomplexobj(value.value)
        and bool(np.array_equal(value.value, value.value.T))
    )

