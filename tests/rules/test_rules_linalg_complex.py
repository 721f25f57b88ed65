"""Complex matrices through the linalg family, in autograd's convention.

The gradient in a complex argument z = x + iy is d/dx - i d/dy of the real
part of the loss. The reference is central differences of the real part
along the real and the imaginary direction of each entry, never srcdiff
itself; autograd is a second opinion where its rules handle complex input
(eigh, svd). Holomorphic functions (products, inv, solve, det,
matrix_power, sqrtm, solve_sylvester) must give the plain complex
derivative; the factorizations, pinv, lstsq, slogdet's sign and
solve_triangular with trans="C" conjugate.

Entries have real and imaginary parts in [-1, 1]; the builders below make
well-conditioned matrices of them, as in test_rules_matrices.py. Complex
eigenvectors and singular vectors are defined up to a phase each, so their
losses cannot see the phases (v diag(c) v^H, u @ vh). Losses spell v^H as
inv(v) or pinv(v), equal on unitary v: np.conj's rule (elementwise family)
takes its input to be real without an example, so a loss through np.conj
would fail the shape-generic check for a reason outside this family. Matrices that a
function reads one triangle of carry junk in the other triangle and on the
imaginary part of the diagonal: the gradient there must be zero.
"""

import operator

import autograd
import autograd.numpy as anp
import numpy as np
import pytest
from hypothesis import given
from hypothesis import strategies as st
from hypothesis.extra import numpy as hnp
from rule_checks import WEIGHT
from rule_domains import Row, floats
from scipy import linalg

import srcdiff
from srcdiff.api import compile_derivative
from srcdiff.numeric import numerical_grad

TOL = 1e-6
UNIT = floats(-1, 1)
PLANE = st.builds(complex, UNIT, UNIT)

# ----- Domains: complex entries, which the builders turn into matrices -----
COMPLEX_LINALG = {
    operator.matmul: Row((PLANE, PLANE)),
    np.dot: Row((PLANE, PLANE)),
    np.outer: Row((PLANE, PLANE)),
    np.linalg.inv: Row((PLANE,)),
    np.linalg.solve: Row((PLANE, PLANE)),
    np.linalg.det: Row((PLANE,)),
    np.linalg.slogdet: Row((PLANE,)),
    np.linalg.matrix_power: Row((PLANE, st.integers(-2, 3))),
    np.linalg.pinv: Row((PLANE,)),
    np.linalg.lstsq: Row((PLANE, PLANE)),
    np.linalg.cholesky: Row((PLANE,)),
    np.linalg.eigh: Row((PLANE,)),
    np.linalg.eigvalsh: Row((PLANE,)),
    np.linalg.svd: Row((PLANE,)),
    np.linalg.qr: Row((PLANE,)),
    linalg.solve_triangular: Row((PLANE, PLANE)),
    linalg.cho_factor: Row((PLANE,)),
    linalg.cho_solve: Row((PLANE, PLANE)),
    linalg.sqrtm: Row((PLANE,)),
    linalg.solve_sylvester: Row((PLANE, PLANE, PLANE)),
    np.vdot: Row((PLANE, PLANE)),
}

BATCH = hnp.array_shapes(min_dims=0, max_dims=1, max_side=2)
SIDE = st.integers(1, 3)
BATCHES = hnp.mutually_broadcastable_shapes(num_shapes=2, max_dims=1, max_side=2)
# Distinct eigenvalues and singular values, at least 1/2 and 1/4 apart.
EIGENVALUES = st.integers(-8, 8).map(lambda k: k / 2)
SINGULAR_VALUES = st.integers(2, 16).map(lambda k: k / 4)


# ----- Drawing -----
def entries(data, shape, elements=PLANE):
    return data.draw(hnp.arrays(np.complex128, shape, elements=elements))


def weights(data, shape):
    """Complex weights with nonzero parts, so no part of a rule hides."""
    return entries(data, shape, st.builds(complex, WEIGHT, WEIGHT))


def mH(m):
    return np.conj(np.swapaxes(m, -1, -2))


def invertible(m):
    """Strictly diagonally dominant: |entries| <= sqrt(2), n <= 3."""
    n = m.shape[-1]
    return m + (n + 3) * np.eye(n)


def hermitian_pd(m):
    n = m.shape[-1]
    return m @ mH(m) + n * np.eye(n)


def full_rank(m):
    rows, cols = m.shape[-2:]
    return m + (min(rows, cols) + 3) * np.eye(rows, cols)


def unitary(data, shape):
    """Orthonormal columns, for ``shape`` with at least as many rows as columns."""
    return np.linalg.qr(full_rank(entries(data, shape)))[0]


def junk_outside(data, a, lower):
    """``a`` with junk where a hermitian solver does not read: the other
    triangle and the imaginary part of the diagonal."""
    junk = entries(data, a.shape)
    other = np.triu(junk, 1) if lower else np.tril(junk, -1)
    return a + other + 1j * np.real(junk) * np.eye(a.shape[-1])


def hermitian(data, batch, n):
    """``q diag(w) q^H`` with distinct real eigenvalues w."""
    w = data.draw(
        hnp.arrays(np.float64, (*batch, n), elements=EIGENVALUES, unique=True)
    )
    q = unitary(data, (*batch, n, n))
    return q * w[..., None, :] @ mH(q)


def with_singular_values(data, batch, rows, cols):
    """``u diag(s) v^H`` with distinct nonzero singular values s."""
    k = min(rows, cols)
    s = data.draw(
        hnp.arrays(np.float64, (*batch, k), elements=SINGULAR_VALUES, unique=True)
    )
    u = unitary(data, (*batch, rows, k))
    v = unitary(data, (*batch, cols, k))
    return u * s[..., None, :] @ mH(v)


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


# ----- Checking -----
def expected_grad(f, args, i):
    """d/dx - i d/dy of Re f in ``args[i]`` (just d/dx for a real argument)."""

    def real_output(x, y):
        moved = list(args)
        moved[i] = x + 1j * y
        return np.real(f(*moved))

    if not np.iscomplexobj(args[i]):
        return numerical_grad(lambda *a: np.real(f(*a)), args, i)
    parts = [np.real(args[i]), np.imag(args[i])]
    d_real = numerical_grad(real_output, parts, 0)
    d_imag = numerical_grad(real_output, parts, 1)
    return d_real - 1j * d_imag


def relative_error(got, expected):
    got, expected = np.asarray(got), np.asarray(expected)
    scale = np.maximum(np.maximum(np.abs(got), np.abs(expected)), 1.0)
    return float(np.max(np.abs(got - expected) / scale, initial=0.0))


def check(f, args, wrt=None, generic=True):
    """srcdiff's gradients in each of ``wrt`` (all arguments by default) against
    central differences; with ``generic``, also the derivative traced without
    an example, which must take its inputs to be possibly complex."""
    wrt = range(len(args)) if wrt is None else wrt
    for i in wrt:
        expected = expected_grad(f, args, i)
        got = srcdiff.grad(f, wrt=i)(*args)
        assert np.shape(got) == np.shape(args[i])
        assert np.iscomplexobj(got) == np.iscomplexobj(args[i])
        error = relative_error(got, expected)
        assert error < TOL, f"gradient in argument {i} is off by {error:.3g}"
        if generic:
            got = compile_derivative(srcdiff.grad(f, wrt=i).derivative())(*args)
            error = relative_error(got, expected)
            assert error < TOL, f"generic gradient in {i} is off by {error:.3g}"


# ----- Products: holomorphic, plain transposes -----
MATMUL_SHAPES = hnp.mutually_broadcastable_shapes(
    signature="(n?,k),(k,m?)->(n?,m?)", max_dims=1, max_side=3
).map(lambda shapes: shapes.input_shapes)
DOT_SHAPES = st.one_of(
    hnp.mutually_broadcastable_shapes(
        signature="(n?,k),(k,m?)->(n?,m?)", max_dims=0, max_side=3
    ).map(lambda shapes: shapes.input_shapes),
    st.tuples(st.just(()), hnp.array_shapes(min_dims=0, max_dims=2, max_side=2)),
    # Beyond 2-D: a's last axis with b's second-to-last, e.g. (2, 3) . (2, 3, 1).
    st.tuples(
        hnp.array_shapes(min_dims=1, max_dims=3, max_side=2),
        hnp.array_shapes(min_dims=3, max_dims=3, max_side=2),
    ).map(lambda s: (s[0], (*s[1][:-2], s[0][-1], s[1][-1]))),
)
UP_TO_2D = hnp.array_shapes(min_dims=0, max_dims=2, max_side=3)


@pytest.mark.parametrize(
    ("op", "shapes", "generic"),
    [
        (operator.matmul, MATMUL_SHAPES, True),
        (np.dot, DOT_SHAPES, False),  # scalar or matrix product: needs an example
        (np.outer, st.tuples(UP_TO_2D, UP_TO_2D), True),
    ],
    ids=["matmul", "dot", "outer"],
)
@given(data=st.data())
def test_products(op, shapes, generic, data):
    a_shape, b_shape = data.draw(shapes)
    a, b = entries(data, a_shape), entries(data, b_shape)
    W = weights(data, np.shape(op(a, b)))

    def f(a, b):
        return np.sum(op(a, b) * W)

    check(f, [a, b], generic=generic)


@given(data=st.data(), size=st.integers(1, 4), complex_a=st.booleans())
def test_vdot_conjugates_its_first_argument(data, size, complex_a):
    # Either side may be real: a real a has no conjugate to take.
    a = entries(data, (size,))
    b = entries(data, (size,))
    a = a if complex_a else np.real(a)
    W = complex(data.draw(st.builds(complex, WEIGHT, WEIGHT)))

    def f(a, b):
        return np.vdot(a, b) * W

    check(f, [a, b], generic=complex_a)


# ----- Inverses, solves, determinants: holomorphic -----
@given(data=st.data(), batch=BATCH, n=SIDE)
def test_inv_and_det(data, batch, n):
    a = invertible(entries(data, (*batch, n, n)))
    W, W_det = weights(data, a.shape), weights(data, batch)

    def f(a):
        return np.sum(np.linalg.inv(a) * W) + np.sum(np.linalg.det(a) * W_det)

    check(f, [a])


@given(data=st.data(), batches=BATCHES, n=SIDE)
def test_solve(data, batches, n):
    batch_a, batch_b = batches.input_shapes
    a = invertible(entries(data, (*batch_a, n, n)))
    b = draw_b(data, batch_b, n)
    W = weights(data, np.linalg.solve(a, b).shape)

    def f(a, b):
        return np.sum(np.linalg.solve(a, b) * W)

    check(f, [a, b], generic=False)  # b's kind needs an example


@given(data=st.data(), batch=BATCH, n=SIDE, power=st.integers(-2, 3))
def test_matrix_power(data, batch, n, power):
    a = invertible(entries(data, (*batch, n, n))) / (n + 3)
    W = weights(data, a.shape)

    def f(a):
        return np.sum(np.linalg.matrix_power(a, power) * W)

    check(f, [a])


@given(data=st.data(), batch=BATCH, n=SIDE, names=terms(["sign", "logabsdet"]))
def test_slogdet(data, batch, n, names):
    # A complex sign, det / |det|, is smooth: its phase moves.
    a = invertible(entries(data, (*batch, n, n)))
    W_sign, W_log = weights(data, batch), weights(data, batch)

    def f(a):
        sign, logabsdet = np.linalg.slogdet(a)
        total = 0.0
        if "sign" in names:
            total = total + np.sum(sign * W_sign)
        if "logabsdet" in names:
            total = total + np.sum(logabsdet * W_log)
        return total

    # Without an example, emit unpacks a tuple result only up to the last item
    # read (`(sign,) = np.linalg.slogdet(a)`): a core bug, reported.
    check(f, [a], generic="logabsdet" in names)


@given(data=st.data(), batch=BATCH, rows=SIDE, cols=SIDE)
def test_pinv(data, batch, rows, cols):
    a = full_rank(entries(data, (*batch, rows, cols)))
    W = weights(data, mH(a).shape)

    def f(a):
        return np.sum(np.linalg.pinv(a) * W)

    check(f, [a])


@given(
    data=st.data(),
    rows=SIDE,
    cols=SIDE,
    names=terms(["x", "residuals", "s"]),
    which=st.sampled_from(["both", "a", "b"]),
)
def test_lstsq(data, rows, cols, names, which):
    # A real a with a complex b (or the other way round) still has complex
    # residuals: their conjugates must not hang on a's dtype.
    a = full_rank(entries(data, (rows, cols)))
    b = draw_b(data, (), rows)
    a = np.real(a) if which == "b" else a
    b = np.real(b) if which == "a" else b
    x, residuals, _, _ = np.linalg.lstsq(a, b)
    W_x, W_res, W_s = (weights(data, shape) for shape in (x.shape, residuals.shape, ()))

    def f(a, b):
        x, residuals, _, s = np.linalg.lstsq(a, b)
        total = 0.0
        if "x" in names:
            total = total + np.sum(x * W_x)
        if "residuals" in names:
            total = total + np.sum(residuals * W_res)
        if "s" in names:
            # The nuclear norm (smooth where s has ties), complex-weighted.
            total = total + np.sum(s) * W_s
        return total

    check(f, [a, b], generic=False)  # which formula depends on a's shape


# ----- Factorizations: conjugate transposes -----
@given(data=st.data(), batch=BATCH, n=SIDE, upper=st.booleans())
def test_cholesky(data, batch, n, upper):
    a = junk_outside(data, hermitian_pd(entries(data, (*batch, n, n))), not upper)
    W = weights(data, a.shape)

    def f(a):
        return np.sum(np.linalg.cholesky(a, upper=upper) * W)

    check(f, [a])


@given(
    data=st.data(),
    batch=BATCH,
    n=SIDE,
    UPLO=st.sampled_from(["L", "U"]),
    names=terms(["w", "v"]),
)
def test_eigh(data, batch, n, UPLO, names):
    a = junk_outside(data, hermitian(data, batch, n), lower=UPLO == "L")
    W_w, W_v = weights(data, (*batch, n)), weights(data, a.shape)
    c = entries(data, (n,), floats(0.5, 2))

    def f(a):
        w, v = np.linalg.eigh(a, UPLO=UPLO)
        total = 0.0
        if "w" in names:
            total = total + np.sum(w * W_w)
        if "v" in names:  # v diag(c) v^H does not see the eigenvectors' phases
            total = total + np.sum(v * c @ np.linalg.inv(v) * W_v)
        return total

    check(f, [a])


@given(data=st.data(), batch=BATCH, n=SIDE, UPLO=st.sampled_from(["L", "U"]))
def test_eigvalsh(data, batch, n, UPLO):
    a = junk_outside(data, hermitian(data, batch, n), lower=UPLO == "L")
    W = weights(data, (*batch, n))

    def f(a):
        return np.sum(np.linalg.eigvalsh(a, UPLO=UPLO) * W)

    check(f, [a])


@given(
    data=st.data(),
    batch=BATCH,
    rows=SIDE,
    cols=SIDE,
    names=terms(["s", "u", "vh", "u @ vh"]),
)
def test_svd(data, batch, rows, cols, names):
    a = with_singular_values(data, batch, rows, cols)
    k = min(rows, cols)
    W_s, W_u, W_vh, W_uvh = (
        weights(data, shape)
        for shape in [(*batch, k), (*batch, rows, rows), (*batch, cols, cols), a.shape]
    )
    c = entries(data, (k,), floats(0.5, 2))

    def f(a):
        u, s, vh = np.linalg.svd(a, full_matrices=False)
        total = 0.0
        if "s" in names:
            total = total + np.sum(s * W_s)
        # Losses that do not see the phases of the singular vectors.
        if "u" in names:
            total = total + np.sum(u * c @ np.linalg.pinv(u) * W_u)
        if "vh" in names:
            total = total + np.sum(np.linalg.pinv(vh) * c @ vh * W_vh)
        if "u @ vh" in names:  # the polar factor
            total = total + np.sum(u @ vh * W_uvh)
        return total

    check(f, [a])


@given(data=st.data(), batch=BATCH, rows=SIDE, cols=SIDE)
def test_svd_values(data, batch, rows, cols):
    a = with_singular_values(data, batch, rows, cols)
    W = weights(data, (*batch, min(rows, cols)))

    def f(a):
        return np.sum(np.linalg.svd(a, compute_uv=False) * W)

    check(f, [a])


def away_from_reflection_ties(m):
    """``full_rank(m)`` for QR, away from the points where LAPACK's complex
    Householder QR jumps.

    A reflection is the identity where the column it acts on is zero below
    the diagonal and real on it, and flips signs next to such points. Entries
    below the diagonal get modulus at least 1/2; the last column of the
    leading square block, with nothing below its diagonal, is turned so that
    the entry its reflection meets has phase pi/4.
    """
    below = np.tri(*m.shape[-2:], -1, dtype=bool)
    a = full_rank(np.where(below, m + 0.5 * np.exp(1j * np.angle(m)), m))
    rows, cols = a.shape[-2:]
    if rows > cols:
        return a
    k = rows  # the last column of the leading square block
    earlier = np.linalg.qr(a[..., : k - 1], mode="complete")[0]
    met = (mH(earlier) @ a[..., k - 1 : k])[..., k - 1, 0]
    turn = np.exp(1j * (np.pi / 4 - np.angle(met)))
    column = np.arange(cols) == k - 1
    return np.where(column, a * turn[..., None, None], a)


@given(data=st.data(), batch=BATCH, rows=SIDE, cols=SIDE, names=terms(["q", "r"]))
def test_qr(data, batch, rows, cols, names):
    # LAPACK makes r's diagonal real, which fixes q's phases.
    a = away_from_reflection_ties(entries(data, (*batch, rows, cols)))
    q, r = np.linalg.qr(a)
    W_q, W_r = weights(data, q.shape), weights(data, r.shape)

    def f(a):
        q, r = np.linalg.qr(a)
        total = 0.0
        if "q" in names:
            total = total + np.sum(q * W_q)
        if "r" in names:
            total = total + np.sum(r * W_r)
        return total

    check(f, [a], generic=False)  # tall or wide: needs an example


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
    a = invertible(entries(data, (*batch_a, n, n)))  # junk in the other triangle
    b = draw_b(data, batch_b, n)
    kwargs = {"trans": trans, "lower": lower, "unit_diagonal": unit_diagonal}
    W = weights(data, linalg.solve_triangular(a, b, **kwargs).shape)

    def f(a, b):
        return np.sum(linalg.solve_triangular(a, b, **kwargs) * W)

    check(f, [a, b], generic=False)


@given(data=st.data(), n=SIDE, lower=st.booleans(), names=terms(["x", "c"]))
def test_cho_factor_and_solve(data, n, lower, names):
    a = junk_outside(data, hermitian_pd(entries(data, (n, n))), lower)
    b = draw_b(data, (), n)
    W_x, W_c = weights(data, b.shape), weights(data, a.shape)

    def f(a, b):
        factor = linalg.cho_factor(a, lower=lower)
        total = 0.0
        if "x" in names:
            total = total + np.sum(linalg.cho_solve(factor, b) * W_x)
        if "c" in names:  # the factor, and a's other triangle copied beside it
            total = total + np.sum(factor[0] * W_c)
        return total

    check(f, [a, b], generic=False)


@given(data=st.data(), batches=BATCHES, n=SIDE, lower=st.booleans())
def test_cho_solve_stack(data, batches, n, lower):
    # cho_solve reads the factor's triangle, diagonal included, as it is.
    batch_c, batch_b = batches.input_shapes
    L = np.linalg.cholesky(hermitian_pd(entries(data, (*batch_c, n, n))))
    c = L if lower else mH(L)
    c = c + entries(data, c.shape) * (np.triu if lower else np.tril)(np.ones((n, n)), 1)
    c = c + 0.5j * np.eye(n)
    b = draw_b(data, batch_b, n)
    W = weights(data, linalg.cho_solve((c, lower), b).shape)

    def f(c, b):
        return np.sum(linalg.cho_solve((c, lower), b) * W)

    check(f, [c, b], generic=False)


@given(data=st.data(), batch=BATCH, n=SIDE)
def test_sqrtm(data, batch, n):
    # Eigenvalues near the positive reals: hermitian positive definite, nudged.
    a = hermitian_pd(entries(data, (*batch, n, n))) + entries(data, (*batch, n, n)) / 4
    W = weights(data, a.shape)

    def f(a):
        return np.sum(linalg.sqrtm(a) * W)

    check(f, [a])


@given(data=st.data(), batch=BATCH, rows=SIDE, cols=SIDE)
def test_solve_sylvester(data, batch, rows, cols):
    # Eigenvalues of a and b have real parts of at least rows - 1/2 and
    # cols - 1/2: a and -b share none.
    a = hermitian_pd(entries(data, (*batch, rows, rows)))
    a = a + entries(data, a.shape) / 8
    b = hermitian_pd(entries(data, (*batch, cols, cols)))
    q = entries(data, (*batch, rows, cols))
    W = weights(data, q.shape)

    def f(a, b, q):
        return np.sum(linalg.solve_sylvester(a, b, q) * W)

    check(f, [a, b, q])


# ----- Real matrices -----
def real_loss(name, W):
    """A loss of a real 3x2 (or, for cholesky and eigh, 3x3) matrix whose
    weights are complex: the gradient is the real part's, a real array."""

    def svd(a):
        u, s, vh = np.linalg.svd(a, full_matrices=False)
        return np.sum(u @ vh * W) + np.sum(s * W[0, :2])

    def qr(a):
        q, r = np.linalg.qr(a)
        return np.sum(q * W) + np.sum(r * W[:2])

    def pinv(a):
        return np.sum(np.linalg.pinv(a).T * W)

    def cholesky(a):
        return np.sum(np.linalg.cholesky(a @ a.T + 3 * np.eye(3)) * W)

    def eigh(a):
        w, v = np.linalg.eigh(a @ a.T)
        return np.sum(w * W[0]) + np.sum(v**2 * W)

    def slogdet(a):
        sign, logabsdet = np.linalg.slogdet(a @ a.T + 3 * np.eye(3))
        return logabsdet * W[0, 0] + sign * W[1, 1]

    return locals()[name]


@pytest.mark.parametrize("name", ["svd", "qr", "pinv", "cholesky", "eigh", "slogdet"])
def test_real_matrix_with_complex_weights(name):
    rng = np.random.default_rng(0)
    W = rng.normal(size=(3, 3)) + 1j * rng.normal(size=(3, 3))
    square = name in ("cholesky", "eigh")
    a = rng.normal(size=(3, 3)) if square else full_rank(rng.normal(size=(3, 2)))
    f = real_loss(name, W if square else W[:, :2])
    got = srcdiff.grad(f)(a)
    assert got.dtype == np.float64
    expected = numerical_grad(lambda a: np.real(f(a)), [a], 0)
    assert relative_error(got, expected) < TOL


def spd(a):
    return a @ a.T + 3 * np.eye(3)


REAL_LOSSES = {
    "cholesky": lambda a: np.linalg.cholesky(spd(a), upper=True),
    "eigh": lambda a: np.linalg.eigh(spd(a))[1] ** 2,
    "eigvalsh": lambda a: np.linalg.eigvalsh(spd(a)),
    "svd": lambda a: np.linalg.svd(a, full_matrices=False)[0] ** 2,
    "qr": lambda a: np.linalg.qr(a)[0] + np.sum(np.linalg.qr(a)[1]),
    "pinv": lambda a: np.linalg.pinv(a),
    "lstsq": lambda a: np.linalg.lstsq(a, a[:, 0])[0],
    "slogdet": lambda a: np.linalg.slogdet(spd(a))[1] + np.linalg.slogdet(a)[0],
    "cho_solve": lambda a: linalg.cho_solve(linalg.cho_factor(spd(a)), a[0]),
    "solve_triangular": lambda a: linalg.solve_triangular(a, a[0], trans="C"),
}


@pytest.mark.parametrize("name", REAL_LOSSES)
def test_real_matrices_emit_no_conjugates(name):
    # An example shows the matrices are real: the derivative is the real one.
    op = REAL_LOSSES[name]

    def f(a):
        return np.sum(op(a))

    g = srcdiff.grad(f)
    g(invertible(np.random.default_rng(1).normal(size=(3, 3))))
    for word in ("conj", "imag", "real", "1j"):
        assert word not in g.source, g.source


def test_eigh_and_svd_agree_with_autograd():
    rng = np.random.default_rng(2)
    m = rng.normal(size=(3, 3)) + 1j * rng.normal(size=(3, 3))
    a = m + mH(m)
    W = rng.normal(size=(3, 3)) + 1j * rng.normal(size=(3, 3))

    def f(a):
        w, v = anp.linalg.eigh(a)
        u, s, vh = anp.linalg.svd(a + 4 * anp.eye(3) * 1j, full_matrices=False)
        projector = anp.dot(v * w, anp.conj(anp.swapaxes(v, -1, -2)))
        total = anp.sum(projector * W) + anp.sum(anp.dot(u, vh) * W)
        return anp.real(total + anp.sum(s * w))  # autograd wants a real loss

    got = srcdiff.grad(f)(a)
    assert relative_error(got, expected_grad(f, [a], 0)) < TOL
    assert relative_error(got, autograd.grad(f)(a)) < 1e-10
