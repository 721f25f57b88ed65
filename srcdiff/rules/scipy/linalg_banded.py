"""The adjoint of scipy.linalg.solve_banded, in its banded storage.

a x = b with a stored as ab[u + i - j, j] = a[i, j]. Like a dense solve,
gb = a^-T g and da = -gb x^T; here a^T is banded too (l and u swap), so gb
is one more banded solve, and da is kept on the band, in ab's layout: its
row k holds -gb[j + k - u] x[j]. Entries of ab outside the band (its unused
corners) get no gradient, as solve_banded never reads them.
"""

import numpy as np
from scipy import linalg

from srcdiff.helpers import unbroadcast
from srcdiff.ir.prims import Prim, call, register
from srcdiff.rules.numpy.linalg import mT
from srcdiff.rules.registry import adjoint, known

FAMILY = "linalg"

register(
    Prim(
        "solve_banded",
        linalg.solve_banded,
        call("solve_banded"),
        imports=("from scipy.linalg import solve_banded",),
    ),
    linalg.solve_banded,
)


def last(x, part):
    """``x[..., part]``, written ``x[part]`` where an example shows x is 1-D."""
    if known(x) and np.ndim(x) == 1:
        return x[part]
    return x[..., part]


def shifted(x, s):
    """x moved s places along its last axis: ``x[..., j + s]`` at j, zeros
    where j + s falls outside."""
    if s == 0:
        return x
    head, tail = last(x, slice(None, s)), last(x, slice(s, None))
    if s > 0:
        return np.concatenate([tail, np.zeros_like(head)], -1)
    return np.concatenate([np.zeros_like(tail), head], -1)


def transposed_band(ab, lower, upper):
    """a^T in banded form (l and u swapped): its row r is row l + u - r of ab,
    moved r - l places."""
    if known(ab) and np.ndim(ab) == 2:
        rows = [ab[lower + upper - r] for r in range(lower + upper + 1)]
    else:
        rows = [ab[..., lower + upper - r, :] for r in range(lower + upper + 1)]
    moved = [shifted(row, r - lower) for r, row in enumerate(rows)]
    return np.stack(moved, -2)


@adjoint(
    linalg.solve_banded,
    note="in ab (on the band; the unused corners get none) and b; b one "
    "vector or a stack of matrices; not overwrite_ab=True",
)
def solve_banded(
    g, ans, l_and_u, ab, b, overwrite_ab=False, overwrite_b=False, check_finite=True
):
    if overwrite_ab:  # the rule reads ab again
        raise NotImplementedError("scipy.linalg.solve_banded with overwrite_ab=True")
    lower, upper = l_and_u
    diagonals = range(lower + upper + 1)
    band = transposed_band(ab, lower, upper)
    vectors = np.ndim(b) == 1
    if vectors and np.ndim(g) > 1:  # a stack of vectors, one per matrix
        gb = linalg.solve_banded((upper, lower), band, g[..., None])[..., 0]
    else:
        gb = linalg.solve_banded((upper, lower), band, g)
    if vectors:
        products = [shifted(gb, k - upper) * ans for k in diagonals]
    else:  # summed over the columns of b
        gb_t, x_t = mT(gb), mT(ans)
        products = [np.sum(shifted(gb_t, k - upper) * x_t, -2) for k in diagonals]
    return None, unbroadcast(-np.stack(products, -2), ab), unbroadcast(gb, b)
