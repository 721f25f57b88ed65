"""Tangent rules (forward mode) of np.linalg's inverses, solves, determinants
and the Cholesky factor, for real matrices (stacks of them too).

Each reads like the differential it is (``d(A^-1) = -A^-1 dA A^-1``) and
follows the adjoint rule's convention (``linalg.py``): a Cholesky factor
sees only the triangle NumPy reads.
"""

import numpy as np

from srcdiff import helpers
from srcdiff.ir import prims
from srcdiff.rules.numpy.elementwise import is_complex
from srcdiff.rules.numpy.linalg import halved_triangle, mT, solve_each
from srcdiff.rules.registry import tangent


def real_only(a):
    if is_complex(a):
        raise NotImplementedError("the tangent of a complex matrix function")


@tangent(np.linalg.inv)
def inv(t, ans, a):
    real_only(a)
    return -ans @ t @ ans


@tangent(np.linalg.solve, argnum=0)
def solve_a(t, ans, a, b):
    real_only(a)
    vectors = np.ndim(b) == 1  # b is one vector, however many matrices a stacks
    change = (t @ ans[..., None])[..., 0] if vectors else t @ ans
    return -solve_each(np.linalg.solve, a, change, vectors)


@tangent(np.linalg.solve, argnum=1)
def solve_b(t, ans, a, b):
    real_only(a)
    return solve_each(np.linalg.solve, a, t, np.ndim(b) == 1)


@tangent(prims.symmetric_solve, argnum=0)
def symmetric_solve_a(t, ans, a, b):
    real_only(a)
    vectors = np.ndim(b) == 1
    whole = np.tril(t) + mT(np.tril(t, -1))  # the change of what a stands for
    change = (whole @ ans[..., None])[..., 0] if vectors else whole @ ans
    return -solve_each(np.linalg.solve, a, change, vectors)


@tangent(prims.symmetric_solve, argnum=1)
def symmetric_solve_b(t, ans, a, b):
    real_only(a)
    return solve_each(np.linalg.solve, a, t, np.ndim(b) == 1)


@tangent(helpers.lower_inverse)
def lower_inverse(t, ans, L):
    return -ans @ np.tril(t) @ ans


@tangent(np.linalg.det)
def det(t, ans, a):
    real_only(a)
    return ans * np.trace(np.linalg.solve(a, t), axis1=-2, axis2=-1)


@tangent(np.linalg.slogdet)
def slogdet(t, ans, a):
    real_only(a)
    return None, np.trace(np.linalg.solve(a, t), axis1=-2, axis2=-1)


@tangent(np.linalg.cholesky)
def cholesky(t, ans, a, upper=False):
    real_only(a)
    if upper:
        raise NotImplementedError("the tangent of cholesky with upper=True")
    # The symmetric change NumPy sees: the lower triangle and its mirror.
    seen = np.tril(t) + mT(np.tril(t, -1))
    inner = np.linalg.solve(ans, mT(np.linalg.solve(ans, seen)))
    return ans @ halved_triangle(inner)
