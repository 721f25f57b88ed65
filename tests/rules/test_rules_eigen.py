"""Property tests of srcdiff/rules/eigen.py (np.linalg.eig) and
scipy_linalg_banded.py (scipy.linalg.solve_banded), stacks included.

eig's matrices are s diag(w) s^-1, real or complex, and real ones with pairs
of complex eigenvalues (2 x 2 rotation blocks). The eigenvalues come from a
grid off 0, at least 1/2 apart, so central differences never straddle a crossing.
s = diag(2, 3, ...) + entries of at most 1/4 keeps each eigenvector's largest entry (the
one LAPACK makes real) clear of the others, so its phase moves smoothly and
losses may see it: they read the real and imaginary parts of v (of v**2 for
real matrices, whose eigenvectors NumPy gives up to a sign that rounding can
flip) as well as |v|**2 (which autograd's rule also gets right). Complex
matrices are checked as d/dx - i d/dy of the real loss, by central differences.

solve_banded's ab holds junk in the corners outside the band, which must get
no gradient; its main diagonal is large enough to make a diagonally dominant.
"""

import autograd
import autograd.numpy as anp
import numpy as np
import pytest
from hypothesis import given
from hypothesis import strategies as st
from hypothesis.extra import numpy as hnp
from rule_checks import check_grad, check_rule, draw_weights
from rule_domains import Row, floats
from scipy import linalg

import srcdiff
from srcdiff.numeric import numerical_grad

UNIT = floats(-1, 1)
EIGEN = {
    np.linalg.eig: Row((UNIT,)),
    # (l, u), then the banded matrix and the right-hand side.
    linalg.solve_banded: Row(
        (st.tuples(st.integers(0, 2), st.integers(0, 2)), UNIT, UNIT)
    ),
}
BATCH = hnp.array_shapes(min_dims=0, max_dims=1, max_side=2)
SIDE = st.integers(1, 4)
# Never 0: the sign LAPACK gives the eigenvector of a real eigenvalue near 0
# flips with the sign of that eigenvalue's rounding error.
GRID = st.integers(-6, 5).map(lambda k: k / 2 + 1 / 4)
TOL = 1e-6


def entries(data, shape, dtype=np.float64):
    return data.draw(hnp.arrays(dtype, shape, elements=UNIT))


def well_spread_basis(data, batch, n, complex_=False):
    """diag(2, 3, ..., n + 1) + up to 1/4 each entry: each column's largest entry by far
    is its diagonal one, and so is its image's under a 2 x 2 rotation.

    A fixed dense part keeps a = s d s^-1 free of exact zeros even where the
    drawn entries are all 0: LAPACK permutes (triangular) matrices with
    exact zeros, and the order of the eigenvalues then jumps under a change
    of one entry, which central differences would see."""
    dense = np.sin(np.arange(1.0, n * n + 1)).reshape(n, n) / 8
    s = entries(data, (*batch, n, n)) / 8 + dense
    if complex_:
        s = s + 1j * (entries(data, (*batch, n, n)) / 8 + dense.T)
    return s + np.diag(np.arange(2.0, n + 2))


def real_eigenvalues(data, batch, n):
    values = hnp.arrays(np.float64, (*batch, n), elements=GRID, unique=True)
    return np.vectorize(np.diag, signature="(n)->(n,n)")(data.draw(values))


def rotation_blocks(data, batch, n):
    """Block diagonal: 2 x 2 blocks [[a, b], [-b, a]] (eigenvalues a +- ib,
    b >= 1/2) and, for odd n, one real eigenvalue; all distinct."""
    pairs = n // 2
    centers = data.draw(
        hnp.arrays(np.float64, (*batch, pairs + n % 2), elements=GRID, unique=True)
    )
    spins = data.draw(
        hnp.arrays(
            np.float64, (*batch, pairs), elements=st.integers(1, 4).map(lambda k: k / 2)
        )
    )
    block = np.zeros((*batch, n, n))
    for k in range(pairs):
        i = 2 * k
        block[..., i, i] = block[..., i + 1, i + 1] = centers[..., k]
        block[..., i, i + 1] = spins[..., k]
        block[..., i + 1, i] = -spins[..., k]
    if n % 2:
        block[..., -1, -1] = centers[..., -1]
    return block


def complex_eigenvalues(data, batch, n):
    plane = st.builds(complex, GRID, GRID)
    values = data.draw(
        hnp.arrays(np.complex128, (*batch, n), elements=plane, unique=True)
    )
    return np.vectorize(np.diag, signature="(n)->(n,n)")(values)


def similar(s, d):
    return s @ d @ np.linalg.inv(s)


@st.composite
def terms(draw, names):
    """Which results a loss reads: a nonempty subset, in a fixed order."""
    chosen = draw(st.sets(st.sampled_from(names), min_size=1))
    return [name for name in names if name in chosen]


def eig_loss(data, a, names):
    """A real loss of eig(a) reading ``names`` of w, v (both parts) and |v|**2.

    The eigenvectors of a real matrix are real up to sign, or complex with
    their largest entry real up to sign, and that sign can flip with rounding
    errors: its loss reads v**2 (which still sees the phase of v) instead."""
    w, v = np.linalg.eig(a)
    G_w, G_wi = draw_weights(data, w.shape), draw_weights(data, w.shape)
    G_v, G_vi, G_abs = (draw_weights(data, v.shape) for _ in range(3))
    power = 1 if np.iscomplexobj(a) else 2

    def f(a):
        w, v = np.linalg.eig(a)
        total = 0.0
        if "w" in names:
            total = total + np.sum(np.real(w) * G_w + np.imag(w) * G_wi)
        if "v" in names:  # sees the phase LAPACK gives each eigenvector
            vp = v**power
            total = total + np.sum(np.real(vp) * G_v + np.imag(vp) * G_vi)
        if "|v|" in names:
            total = total + np.sum(np.abs(v) ** 2 * G_abs)
        return total

    return f


NAMES = ["w", "v", "|v|"]


@given(data=st.data(), batch=BATCH, n=SIDE, names=terms(NAMES))
def test_eig_of_a_real_matrix_with_real_eigenvalues(data, batch, n, names):
    a = similar(well_spread_basis(data, batch, n), real_eigenvalues(data, batch, n))
    f = eig_loss(data, a, names)
    check_grad(f, [a])


@given(data=st.data(), batch=BATCH, n=st.integers(2, 4), names=terms(NAMES))
def test_eig_of_a_real_matrix_with_complex_eigenvalues(data, batch, n, names):
    a = similar(well_spread_basis(data, batch, n), rotation_blocks(data, batch, n))
    assert np.iscomplexobj(np.linalg.eig(a)[0])
    f = eig_loss(data, a, names)
    check_grad(f, [a])


def complex_numerical_grad(f, z):
    """d/dx - i d/dy of the real ``f`` at z, by central differences."""

    def in_parts(x, y):
        return f(x + 1j * y)

    parts = [np.real(z), np.imag(z)]
    d_real = numerical_grad(in_parts, parts, 0)
    return d_real - 1j * numerical_grad(in_parts, parts, 1)


def relative_error(got, expected):
    scale = np.maximum(np.maximum(np.abs(got), np.abs(expected)), 1.0)
    return float(np.max(np.abs(got - expected) / scale, initial=0.0))


@given(data=st.data(), batch=BATCH, n=SIDE, names=terms(NAMES))
def test_eig_of_a_complex_matrix(data, batch, n, names):
    s = well_spread_basis(data, batch, n, complex_=True)
    a = similar(s, complex_eigenvalues(data, batch, n))
    f = eig_loss(data, a, names)
    got = srcdiff.grad(f)(a)
    assert got.shape == a.shape and got.dtype == np.complex128
    assert relative_error(got, complex_numerical_grad(f, a)) < TOL


def test_eig_needs_an_example():
    def f(a):
        return np.sum(np.real(np.linalg.eig(a)[0]))

    with pytest.raises(srcdiff.NeedsExample):
        srcdiff.grad(f).derivative()


@pytest.mark.parametrize("dtype", [np.float64, np.complex128])
def test_eig_agrees_with_autograd(dtype):
    # autograd's rule holds for losses that do not see the eigenvectors' phases.
    rng = np.random.default_rng(4)
    a = rng.normal(size=(4, 4)).astype(dtype)
    if dtype == np.complex128:
        a = a + 1j * rng.normal(size=(4, 4))
    G = rng.normal(size=(4, 4))

    def f(a):
        w, v = np.linalg.eig(a)
        return np.sum(np.abs(v) ** 2 * G) + np.sum(np.real(w * w))

    def reference(a):
        w, v = anp.linalg.eig(a)
        return anp.sum(anp.abs(v) ** 2 * G) + anp.sum(anp.real(w * w))

    np.testing.assert_allclose(
        srcdiff.grad(f)(a), autograd.grad(reference)(a), rtol=1e-9
    )


# ----- solve_banded -----
@st.composite
def banded_systems(draw):
    """(l, u), ab (with junk in its corners) and b: one vector or matrices."""
    lower, upper = draw(st.integers(0, 2)), draw(st.integers(0, 2))
    m = draw(st.integers(1, 5))
    batch_ab, batch_b = draw(
        hnp.mutually_broadcastable_shapes(num_shapes=2, max_dims=1, max_side=2)
    ).input_shapes
    ab = draw(hnp.arrays(np.float64, (*batch_ab, lower + upper + 1, m), elements=UNIT))
    # Diagonally dominant: |a[i, i]| > l + u >= the sum of the rest of row i.
    ab[..., upper, :] += np.where(ab[..., upper, :] < 0, -1, 1) * (lower + upper + 1)
    vector = draw(st.booleans())
    b_shape = (m,) if vector else (*batch_b, m, draw(st.integers(1, 2)))
    b = draw(hnp.arrays(np.float64, b_shape, elements=UNIT))
    return (lower, upper), ab, b


@given(data=st.data(), system=banded_systems())
def test_solve_banded(data, system):
    l_and_u, ab, b = system
    G = draw_weights(data, linalg.solve_banded(l_and_u, ab, b).shape)

    def f(ab, b):
        return np.sum(linalg.solve_banded(l_and_u, ab, b) * G)

    check_grad(f, [ab, b])
    check_rule(data, linalg.solve_banded, [l_and_u, ab, b], G)
    # Whether b is one vector or a stack of matrices only an example says.
    with pytest.raises(srcdiff.NeedsExample):
        srcdiff.grad(f, wrt=("ab", "b")).derivative()


def test_solve_banded_refuses_overwrite_ab():
    def f(ab, b):
        return np.sum(linalg.solve_banded((1, 1), ab, b, overwrite_ab=True))

    ab = np.array([[0.0, 1.0, 1.0], [4.0, 4.0, 4.0], [1.0, 1.0, 0.0]])
    with pytest.raises(srcdiff.SrcdiffError, match="overwrite_ab=True"):
        srcdiff.grad(f)(ab, np.ones(3))


def test_solve_banded_agrees_with_autograd():
    import autograd.scipy.linalg as asl

    ab = np.array([[0.0, 1.0, -1.0, 0.5], [4.0, 5.0, 4.0, 6.0], [1.0, 2.0, 1.0, 0.0]])
    b = np.array([1.0, -2.0, 0.5, 3.0])

    def f(ab, b):
        return np.sum(linalg.solve_banded((1, 1), ab, b) ** 2)

    def reference(ab, b):
        return anp.sum(asl.solve_banded((1, 1), ab, b) ** 2)

    for i in (0, 1):
        np.testing.assert_allclose(
            srcdiff.grad(f, wrt=i)(ab, b),
            autograd.grad(reference, i)(ab, b),
            rtol=1e-10,
        )
