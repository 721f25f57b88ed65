"""Adjoints of scipy.linalg: triangular and Cholesky solves, matrix square roots.

Loaded the first time a traced function calls into SciPy. Like NumPy's
rules, these read stacks of matrices where SciPy does (cho_factor does not),
and complex matrices the same way: sqrtm and solve_sylvester are holomorphic,
solve_triangular too but for trans="C"; Cholesky factors are of hermitian
matrices, a = L L^H.
"""

import numpy as np
from scipy import linalg

from srcdiff.helpers import unbroadcast
from srcdiff.ir.prims import Prim, call, register
from srcdiff.rules.numpy.linalg import (
    cholesky_grad,
    conj,
    is_complex,
    mH,
    mT,
    outer,
    solve_each,
)
from srcdiff.rules.registry import adjoint

FAMILY = "linalg"


def linalg_prim(name: str, arity: int = 0, shape: str = "") -> Prim:
    """A prim for ``scipy.linalg.<name>``, imported by name in emitted files."""
    fn = getattr(linalg, name)
    imports = (f"from scipy.linalg import {name}",)
    prim = Prim(name, fn, call(name), imports=imports, shape=shape, arity=arity)
    return register(prim, fn)


linalg_prim("solve_triangular")
linalg_prim("cho_factor", arity=2)
linalg_prim("cho_solve")
linalg_prim("sqrtm", shape="same")
linalg_prim("solve_sylvester")


def triangle(x, lower, unit_diagonal=False):
    """The triangle of x that a triangular solve reads."""
    if lower:
        return np.tril(x, -1) if unit_diagonal else np.tril(x)
    return np.triu(x, 1) if unit_diagonal else np.triu(x)


@adjoint(
    linalg.solve_triangular,
    note="reads one triangle of a (without its diagonal when "
    "unit_diagonal=True), so the gradient lies on it",
)
def solve_triangular(
    g,
    ans,
    a,
    b,
    trans=0,
    lower=False,
    unit_diagonal=False,
    overwrite_b=False,
    check_finite=True,
):
    transposed = trans in (1, 2, "T", "C")  # C is T for real matrices
    vectors = np.ndim(b) == 1
    # The adjoint solves with the other transpose; defaults are left out.
    options = {"lower": lower, "unit_diagonal": unit_diagonal}
    options = {key: value for key, value in options.items() if value}
    if trans in (2, "C") and is_complex(a):
        # x = a^-H b: the adjoint solves with conj(a), the conjugate of a solve.
        gb = conj(solve_each(linalg.solve_triangular, a, conj(g), vectors, **options))
        ga = -conj(outer(ans, gb, vectors))
        return unbroadcast(triangle(ga, lower, unit_diagonal), a), unbroadcast(gb, b)
    if not transposed:
        options = dict(trans="T", **options)
    gb = solve_each(linalg.solve_triangular, a, g, vectors, **options)
    ga = -outer(ans, gb, vectors) if transposed else -outer(gb, ans, vectors)
    return unbroadcast(triangle(ga, lower, unit_diagonal), a), unbroadcast(gb, b)


@adjoint(
    linalg.cho_factor,
    note="2-D a; c's other triangle is a copy of a's (as SciPy leaves it), so "
    "gradients reaching it pass straight to a",
)
def cho_factor(g, ans, a, lower=False, overwrite_a=False, check_finite=True):
    gc, _ = g  # lower, the second result, is a Python bool
    if gc is None:
        return None
    c, _ = ans
    if lower:
        L = np.tril(c)
        return cholesky_grad(np.tril(gc), L, triangular_inverse(L)) + np.triu(gc, 1)
    # a = U^H U is the lower factorization of L = U^H, transposed.
    L = mH(np.triu(c))
    grad = cholesky_grad(mH(np.triu(gc)), L, triangular_inverse(L))
    return mH(grad) + np.tril(gc, -1)


def triangular_inverse(L):
    """L^-1 of a lower-triangular L by one triangular solve: a third of the
    work np.linalg.inv does, which factors L as if it were any matrix."""
    L_inv = linalg.solve_triangular(L, np.eye(np.shape(L)[-1]), lower=True)
    return L_inv


@adjoint(
    linalg.cho_solve,
    note="reads only the factor's triangle of c (a = L L^H or U^H U); no "
    "gradient for lower",
)
def cho_solve(g, ans, c_and_lower, b, overwrite_b=False, check_finite=True):
    c, lower = c_and_lower
    vectors = np.ndim(b) == 1
    # a is hermitian, so a^-T g = conj(a^-1 conj(g)).
    gb = conj(solve_each(linalg.cho_solve, c_and_lower, conj(g), vectors))
    # G = -gb x^T is the gradient of a = L L^H; L's is tril((G + G^H) conj(L)),
    # and for a = U^H U, U's is triu(conj(U) (G + G^H)).
    sym = -outer(gb, ans, vectors) - conj(outer(ans, gb, vectors))
    gc = np.tril(sym @ conj(np.tril(c))) if lower else np.triu(conj(np.triu(c)) @ sym)
    return (unbroadcast(gc, c), None), unbroadcast(gb, b)


@adjoint(
    linalg.sqrtm,
    note="a with no eigenvalues on the closed negative real axis (a real root)",
)
def sqrtm(g, ans, A, disp=None, blocksize=None):
    # ans ans = A, so d(ans) solves the Sylvester equation ans X + X ans = dA.
    return linalg.solve_sylvester(mT(ans), mT(ans), g)


@adjoint(linalg.solve_sylvester, note="a and -b with no eigenvalue in common")
def solve_sylvester(g, ans, a, b, q):
    gq = linalg.solve_sylvester(mT(a), mT(b), g)
    return -gq @ mT(ans), -mT(ans) @ gq, gq
