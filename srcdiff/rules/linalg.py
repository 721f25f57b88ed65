"""Adjoints of products: matmul, dot, outer.

Products are holomorphic in each input, so complex inputs (autograd's
convention: the gradient of the real part) take the same rules, with plain
transposes and no conjugates.
"""

import operator

import numpy as np

from ..helpers import matmul_left_grad, matmul_right_grad, unbroadcast
from . import adjoint, known


@adjoint(operator.matmul, note="vectors, matrices and stacks of matrices")
def matmul(g, ans, a, b):
    if not known(a, b) or a.ndim > 2 or b.ndim > 2:
        return matmul_left_grad(g, a, b), matmul_right_grad(g, a, b)
    if a.ndim == 1 and b.ndim == 1:
        return g * b, g * a
    if a.ndim == 1:
        return b @ g, np.outer(a, g)
    if b.ndim == 1:
        return np.outer(g, b), a.T @ g
    return g @ b.T, a.T @ g


@adjoint(np.dot, note="scalars, vectors and matrices; needs an example")
def dot(g, ans, a, b):
    # np.dot multiplies when either side is 0-d, and no one formula covers that
    # and the matrix product. Without an example these branches cannot be
    # decided, so tracing raises NeedsExample (`@` has a shape-generic rule).
    if np.ndim(a) == 0 or np.ndim(b) == 0:
        return unbroadcast(g * b, a), unbroadcast(g * a, b)
    if np.ndim(a) > 2 or np.ndim(b) > 2:
        raise NotImplementedError("np.dot on arrays of more than 2 dimensions")
    return matmul(g, ans, a, b)


@adjoint(np.outer)
def outer(g, ans, a, b):
    da = np.reshape(g @ np.reshape(b, -1), np.shape(a))
    db = np.reshape(np.reshape(a, -1) @ g, np.shape(b))
    return da, db
