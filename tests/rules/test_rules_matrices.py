"""Property tests of the matrix rules: np.linalg and scipy.linalg, stacks included.

Drawn entries lie in [-1, 1]; the builders below make well-conditioned
matrices of them: ``invertible`` adds (n + 1) I (strictly diagonally dominant),
``spd`` is M M^T + n I, ``full_rank`` makes the leading square block dominant.
eigh and svd get their eigenvalues and singular values from grids, so they are
distinct and central differences never straddle a crossing. Eigenvectors and
singular vectors are defined up to sign only, so their losses cannot see the
sign (v**2, u @ vh). Matrices that a function reads one triangle of carry junk
in the other triangle: the gradient there must be zero.
"""

import numpy as np
import pytest
from hypothesis import given
from hypothesis import strategies as st
from hypothesis.extra import numpy as hnp
from rule_checks import (
    check_generic,
    check_grad,
    check_rule,
    draw_array,
    draw_weights,
)
from rule_domains import Row, floats
from scipy import linalg

import srcdiff

UNIT = floats(-1, 1)

# ----- Domains (srcdiff/rules/matrices.py, scipy_linalg.py) -----
# Entries in [-1, 1], which the builders below turn into the matrices each
# rule needs; integer inputs (matrix_power's n) are not differentiated.
MATRICES = {
    np.linalg.inv: Row((UNIT,)),
    np.linalg.solve: Row((UNIT, UNIT)),
    np.linalg.det: Row((UNIT,)),
    np.linalg.slogdet: Row((UNIT,)),
    np.linalg.matrix_power: Row((UNIT, st.integers(-3, 4))),
    np.linalg.pinv: Row((UNIT,)),
    np.linalg.lstsq: Row((UNIT, UNIT)),
    np.linalg.cholesky: Row((UNIT,)),
    np.linalg.eigh: Row((UNIT,)),
    np.linalg.eigvalsh: Row((UNIT,)),
    np.linalg.svd: Row((UNIT,)),
    np.linalg.qr: Row((UNIT,)),
    linalg.solve_triangular: Row((UNIT, UNIT)),
    linalg.cho_factor: Row((UNIT,)),
    linalg.cho_solve: Row((UNIT, UNIT)),
    linalg.sqrtm: Row((UNIT,)),
    linalg.solve_sylvester: Row((UNIT, UNIT, UNIT)),
}

BATCH = hnp.array_shapes(min_dims=0, max_dims=2, max_side=2)
SIDE = st.integers(1, 3)
# Two batch shapes that broadcast together.
BATCHES = hnp.mutually_broadcastable_shapes(num_shapes=2, max_dims=2, max_side=2)
# Distinct eigenvalues and singular values, at least 1/2 and 1/4 apart.
EIGENVALUES = st.integers(-8, 8).map(lambda k: k / 2)
SINGULAR_VALUES = st.integers(2, 16).map(lambda k: k / 4)


def entries(data, shape):
    return draw_array(data, UNIT, shape, allow_float=False)


def swap(m):
    return np.swapaxes(m, -1, -2)


def invertible(m):
    n = m.shape[-1]
    return m + (n + 1) * np.eye(n)


def spd(m):
    n = m.shape[-1]
    return m @ swap(m) + n * np.eye(n)


def full_rank(m):
    rows, cols = m.shape[-2:]
    return m + (min(rows, cols) + 1) * np.eye(rows, cols)


def away_from_reflection_ties(m):
    """``full_rank(m)`` whose entries below the diagonal are at least 1/2.

    NumPy's Householder QR flips the signs of a column of q and a row of r
    where that column of a is exactly zero below the diagonal: q and r jump.
    """
    below = np.tri(*m.shape[-2:], -1, dtype=bool)
    return full_rank(np.where(below, np.abs(m) / 2 + 0.5, m))


def orthonormal(data, shape):
    """Orthonormal columns, for ``shape`` with at least as many rows as columns."""
    return np.linalg.qr(full_rank(entries(data, shape)))[0]


def junk_outside(data, a, lower):
    """``a`` with junk in the triangle a one-triangle function must not read."""
    junk = entries(data, a.shape)
    return a + (np.triu(junk, 1) if lower else np.tril(junk, -1))


def draw_b(data, batch, n):
    """A right-hand side: one vector, or a stack of matrices (k columns)."""
    if data.draw(st.booleans(), label="b is a vector"):
        return entries(data, (n,))
    return entries(data, (*batch, n, data.draw(SIDE, label="k")))


@st.composite
def terms(draw, names):
    """Which results a loss reads: a nonempty subset, in a fixed order."""
    chosen = draw(st.sets(st.sampled_from(names), min_size=1))
    return [name for name in names if name in chosen]


# ----- Inverses, solves, determinants -----
@given(data=st.data(), batch=BATCH, n=SIDE)
def test_inv(data, batch, n):
    a = invertible(entries(data, (*batch, n, n)))
    G = draw_weights(data, a.shape)

    def f(a):
        return np.sum(np.linalg.inv(a) * G)

    expected = check_grad(f, [a])
    check_rule(data, np.linalg.inv, [a], G)
    check_generic(f, [a], expected)


@given(data=st.data(), batches=BATCHES, n=SIDE)
def test_solve(data, batches, n):
    batch_a, batch_b = batches.input_shapes
    a = invertible(entries(data, (*batch_a, n, n)))
    b = draw_b(data, batch_b, n)
    G = draw_weights(data, np.linalg.solve(a, b).shape)

    def f(a, b):
        return np.sum(np.linalg.solve(a, b) * G)

    check_grad(f, [a, b])
    check_rule(data, np.linalg.solve, [a, b], G)
    # Whether b is one vector or a stack of matrices only an example says.
    with pytest.raises(srcdiff.NeedsExample):
        srcdiff.grad(f, wrt=("a", "b")).derivative()


@given(data=st.data(), batch=BATCH, n=SIDE)
def test_det(data, batch, n):
    a = invertible(entries(data, (*batch, n, n)))
    G = draw_weights(data, batch)

    def f(a):
        return np.sum(np.linalg.det(a) * G)

    expected = check_grad(f, [a])
    check_rule(data, np.linalg.det, [a], G)
    check_generic(f, [a], expected)


@given(data=st.data(), batch=BATCH, n=SIDE)
def test_slogdet(data, batch, n):
    a = invertible(entries(data, (*batch, n, n)))
    if data.draw(st.booleans(), label="negative determinant"):
        a = a * np.where(np.arange(n) == 0, -1.0, 1.0)[:, None]
    G, G_sign = draw_weights(data, batch), draw_weights(data, batch)

    def f(a):
        sign, logabsdet = np.linalg.slogdet(a)
        return np.sum(logabsdet * G) + np.sum(sign * G_sign)

    expected = check_grad(f, [a])
    check_generic(f, [a], expected)


@given(data=st.data(), batch=BATCH, n=SIDE, power=st.integers(-3, 4))
def test_matrix_power(data, batch, n, power):
    a = invertible(entries(data, (*batch, n, n))) / (n + 1)
    G = draw_weights(data, a.shape)

    def f(a):
        return np.sum(np.linalg.matrix_power(a, power) * G)

    expected = check_grad(f, [a])
    if power != 0:  # a ** 0 is constant: the rule says None, no gradient at all
        check_rule(data, np.linalg.matrix_power, [a, power], G)
    check_generic(f, [a], expected)


@given(data=st.data(), batch=BATCH, rows=SIDE, cols=SIDE)
def test_pinv(data, batch, rows, cols):
    a = full_rank(entries(data, (*batch, rows, cols)))
    G = draw_weights(data, swap(a).shape)

    def f(a):
        return np.sum(np.linalg.pinv(a) * G)

    expected = check_grad(f, [a])
    check_rule(data, np.linalg.pinv, [a], G)
    check_generic(f, [a], expected)


@given(data=st.data(), rows=SIDE, cols=SIDE, names=terms(["x", "residuals", "s"]))
def test_lstsq(data, rows, cols, names):
    a = full_rank(entries(data, (rows, cols)))
    b = draw_b(data, (), rows)
    x, residuals, _, _ = np.linalg.lstsq(a, b)
    G_x, G_res = draw_weights(data, x.shape), draw_weights(data, residuals.shape)

    def f(a, b):
        x, residuals, _, s = np.linalg.lstsq(a, b)
        total = 0.0
        if "x" in names:
            total = total + np.sum(x * G_x)
        if "residuals" in names:
            total = total + np.sum(residuals * G_res)
        if "s" in names:  # the nuclear norm: smooth even where s has ties
            total = total + 0.5 * np.sum(s)
        return total

    check_grad(f, [a, b])


# ----- Factorizations -----
@given(data=st.data(), batch=BATCH, n=SIDE, upper=st.booleans())
def test_cholesky(data, batch, n, upper):
    a = junk_outside(data, spd(entries(data, (*batch, n, n))), lower=not upper)
    G = draw_weights(data, a.shape)

    def f(a):
        return np.sum(np.linalg.cholesky(a, upper=upper) * G)

    expected = check_grad(f, [a])
    check_rule(data, np.linalg.cholesky, [a], G, {"upper": upper})
    check_generic(f, [a], expected)


def symmetric(data, batch, n):
    """``q diag(w) q^T`` with distinct eigenvalues w."""
    w = data.draw(
        hnp.arrays(np.float64, (*batch, n), elements=EIGENVALUES, unique=True)
    )
    q = orthonormal(data, (*batch, n, n))
    return q * w[..., None, :] @ swap(q)


@given(
    data=st.data(),
    batch=BATCH,
    n=SIDE,
    UPLO=st.sampled_from(["L", "U"]),
    names=terms(["w", "v"]),
)
def test_eigh(data, batch, n, UPLO, names):
    a = junk_outside(data, symmetric(data, batch, n), lower=UPLO == "L")
    G_w, G_v = draw_weights(data, (*batch, n)), draw_weights(data, a.shape)

    def f(a):
        w, v = np.linalg.eigh(a, UPLO=UPLO)
        total = 0.0
        if "w" in names:
            total = total + np.sum(w * G_w)
        if "v" in names:  # v**2 does not see the sign of each eigenvector
            total = total + np.sum(v**2 * G_v)
        return total

    expected = check_grad(f, [a])
    check_generic(f, [a], expected)


@given(data=st.data(), batch=BATCH, n=SIDE, UPLO=st.sampled_from(["L", "U"]))
def test_eigvalsh(data, batch, n, UPLO):
    a = junk_outside(data, symmetric(data, batch, n), lower=UPLO == "L")
    G = draw_weights(data, (*batch, n))

    def f(a):
        return np.sum(np.linalg.eigvalsh(a, UPLO=UPLO) * G)

    expected = check_grad(f, [a])
    check_rule(data, np.linalg.eigvalsh, [a], G, {"UPLO": UPLO})
    check_generic(f, [a], expected)


def with_singular_values(data, batch, rows, cols):
    """``u diag(s) v^T`` with distinct nonzero singular values s."""
    k = min(rows, cols)
    s = data.draw(
        hnp.arrays(np.float64, (*batch, k), elements=SINGULAR_VALUES, unique=True)
    )
    u = orthonormal(data, (*batch, rows, k))
    v = orthonormal(data, (*batch, cols, k))
    return u * s[..., None, :] @ swap(v)


@given(
    data=st.data(),
    batch=BATCH,
    rows=SIDE,
    cols=SIDE,
    names=terms(["s", "u", "vh", "u @ vh"]),
)
def test_svd(data, batch, rows, cols, names):
    a = with_singular_values(data, batch, rows, cols)
    u, s, vh = np.linalg.svd(a, full_matrices=False)
    G_s, G_u, G_vh = (draw_weights(data, x.shape) for x in (s, u, vh))
    G_uvh = draw_weights(data, a.shape)

    def f(a):
        u, s, vh = np.linalg.svd(a, full_matrices=False)
        total = 0.0
        if "s" in names:
            total = total + np.sum(s * G_s)
        if "u" in names:  # squares do not see the signs of singular vectors
            total = total + np.sum(u**2 * G_u)
        if "vh" in names:
            total = total + np.sum(vh**2 * G_vh)
        if "u @ vh" in names:  # the polar factor: signs cancel in pairs
            total = total + np.sum(u @ vh * G_uvh)
        return total

    expected = check_grad(f, [a])
    check_generic(f, [a], expected)


@given(data=st.data(), batch=BATCH, rows=SIDE, cols=SIDE)
def test_svd_values(data, batch, rows, cols):
    a = with_singular_values(data, batch, rows, cols)
    G = draw_weights(data, (*batch, min(rows, cols)))

    def f(a):
        return np.sum(np.linalg.svd(a, compute_uv=False) * G)

    expected = check_grad(f, [a])
    check_rule(data, np.linalg.svd, [a], G, {"compute_uv": False})
    check_generic(f, [a], expected)


@given(data=st.data(), n=SIDE)
def test_svd_of_a_square_matrix_takes_full_matrices(data, n):
    a = with_singular_values(data, (), n, n)
    G = draw_weights(data, a.shape)

    def f(a):
        u, s, vh = np.linalg.svd(a)
        return np.sum(u @ vh * G) + np.sum(s)

    check_grad(f, [a])


@given(data=st.data(), batch=BATCH, rows=SIDE, cols=SIDE, names=terms(["q", "r"]))
def test_qr(data, batch, rows, cols, names):
    a = away_from_reflection_ties(entries(data, (*batch, rows, cols)))
    q, r = np.linalg.qr(a)
    G_q, G_r = draw_weights(data, q.shape), draw_weights(data, r.shape)

    def f(a):
        q, r = np.linalg.qr(a)
        total = 0.0
        if "q" in names:
            total = total + np.sum(q * G_q)
        if "r" in names:
            total = total + np.sum(r * G_r)
        return total

    check_grad(f, [a])


def svd_full_matrices(a):
    return np.sum(np.linalg.svd(a)[1])


def svd_hermitian(a):
    return np.sum(np.linalg.svd(a @ a.T, hermitian=True)[1])


def qr_complete(a):
    return np.sum(np.linalg.qr(a, mode="complete")[1])


def pinv_hermitian(a):
    return np.sum(np.linalg.pinv(a @ a.T, hermitian=True))


@pytest.mark.parametrize(
    ("f", "message"),
    [
        (svd_full_matrices, "full_matrices=True"),
        (svd_hermitian, "hermitian=True"),
        (qr_complete, "mode='complete'"),
        (pinv_hermitian, "hermitian=True"),
    ],
)
def test_unsupported_keywords_are_refused(f, message):
    a = full_rank(np.zeros((3, 2)))
    with pytest.raises(srcdiff.SrcdiffError, match=message):
        srcdiff.grad(f)(a)


# ----- scipy.linalg -----
@given(
    data=st.data(),
    batches=BATCHES,
    n=SIDE,
    trans=st.sampled_from([0, 1, 2, "N", "T", "C"]),
    lower=st.booleans(),
    unit_diagonal=st.booleans(),
)
def test_solve_triangular(data, batches, n, trans, lower, unit_diagonal):
    batch_a, batch_b = batches.input_shapes
    # Dominant diagonal, and junk in the triangle SciPy does not read.
    a = invertible(entries(data, (*batch_a, n, n)))
    b = draw_b(data, batch_b, n)
    kwargs = {"trans": trans, "lower": lower, "unit_diagonal": unit_diagonal}
    G = draw_weights(data, linalg.solve_triangular(a, b, **kwargs).shape)

    def f(a, b):
        return np.sum(linalg.solve_triangular(a, b, **kwargs) * G)

    check_grad(f, [a, b])
    check_rule(data, linalg.solve_triangular, [a, b], G, kwargs)


@given(data=st.data(), n=SIDE, lower=st.booleans(), names=terms(["x", "c"]))
def test_cho_factor_and_solve(data, n, lower, names):
    a = spd(entries(data, (n, n)))
    b = draw_b(data, (), n)
    G_x, G_c = draw_weights(data, b.shape), draw_weights(data, a.shape)

    def f(a, b):
        factor = linalg.cho_factor(a, lower=lower)
        total = 0.0
        if "x" in names:
            total = total + np.sum(linalg.cho_solve(factor, b) * G_x)
        if "c" in names:  # the factor, and a's other triangle copied beside it
            total = total + np.sum(factor[0] * G_c)
        return total

    check_grad(f, [a, b])


@given(data=st.data(), batches=BATCHES, n=SIDE, lower=st.booleans())
def test_cho_solve_stack(data, batches, n, lower):
    batch_c, batch_b = batches.input_shapes
    L = np.linalg.cholesky(spd(entries(data, (*batch_c, n, n))))
    c = junk_outside(data, L if lower else swap(L), lower)
    b = draw_b(data, batch_b, n)
    G = draw_weights(data, linalg.cho_solve((c, lower), b).shape)

    def f(c, b):
        return np.sum(linalg.cho_solve((c, lower), b) * G)

    check_grad(f, [c, b])


@given(data=st.data(), batch=BATCH, n=SIDE)
def test_sqrtm(data, batch, n):
    a = spd(entries(data, (*batch, n, n)))
    G = draw_weights(data, a.shape)

    def f(a):
        return np.sum(linalg.sqrtm(a) * G)

    expected = check_grad(f, [a])
    check_rule(data, linalg.sqrtm, [a], G)
    check_generic(f, [a], expected)


@given(data=st.data(), batch=BATCH, rows=SIDE, cols=SIDE)
def test_solve_sylvester(data, batch, rows, cols):
    # Eigenvalues of a and b are at least rows and cols: a and -b share none.
    a = spd(entries(data, (*batch, rows, rows)))
    b = spd(entries(data, (*batch, cols, cols)))
    q = entries(data, (*batch, rows, cols))
    G = draw_weights(data, q.shape)

    def f(a, b, q):
        return np.sum(linalg.solve_sylvester(a, b, q) * G)

    expected = check_grad(f, [a, b, q])
    check_rule(data, linalg.solve_sylvester, [a, b, q], G)
    check_generic(f, [a, b, q], expected)
