"""Adjoints of products: matmul, dot, outer.

Products are holomorphic in each input, so complex inputs (autograd's
convention: the gradient of the real part) take the same rules, with plain
transposes and no conjugates.
"""

import operator

import numpy as np

from srcdiff.helpers import matmul_left_grad, matmul_right_grad, unbroadcast
from srcdiff.rules.registry import adjoint, known

FAMILY = "linalg"


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


@adjoint(
    np.dot,
    note="any dimensions: sums a's last axis with b's second-to-last "
    "(NumPy's dot, not matmul's stacks); needs an example",
)
def dot(g, ans, a, b):
    # np.dot multiplies when either side is 0-d, and no one formula covers that
    # and the matrix product. Without an example these branches cannot be
    # decided, so tracing raises NeedsExample (`@` has a shape-generic rule).
    if np.ndim(a) == 0 or np.ndim(b) == 0:
        return unbroadcast(g * b, a), unbroadcast(g * a, b)
    if np.ndim(a) <= 2 and np.ndim(b) <= 2:
        return matmul(g, ans, a, b)
    # Beyond 2-D, dot is not matmul (which broadcasts stacks): it sums a's
    # last axis with b's second-to-last (b's only one when 1-D), and ans's
    # axes are a's other axes, then b's other axes, in order.
    lead = np.ndim(a) - 1
    summed = max(np.ndim(b) - 2, 0)
    b_rest = [i for i in range(np.ndim(b)) if i != summed]
    g_of_a = list(range(lead))
    g_of_b = list(range(lead, lead + len(b_rest)))
    da = np.tensordot(g, b, axes=(g_of_b, b_rest))
    db = np.tensordot(a, g, axes=(g_of_a, g_of_a))  # b's summed axis comes first
    if summed:
        db = np.moveaxis(db, 0, summed)
    return da, db


@adjoint(np.outer)
def outer(g, ans, a, b):
    da = np.reshape(g @ np.reshape(b, -1), np.shape(a))
    db = np.reshape(np.reshape(a, -1) @ g, np.shape(b))
    return da, db
