"""Two solves by a Cholesky factor as one solve by the matrix it factors
(``srcdiff.simplify.cholesky``: ``prims.symmetric_solve``), and a large
factor's inverse as a triangular one (``srcdiff.simplify.triangular``:
``helpers.lower_inverse``). Their rules on arrays, then whole functions
written with them, each against central differences: the gradient on the
matrix lies on its lower triangle, the one np.linalg.cholesky reads.
"""

import numpy as np
import pytest
from hypothesis import given
from hypothesis import strategies as st
from rule_checks import TOL, check_grad, check_rule, draw_array, draw_weights
from rule_domains import REAL, Row, floats

import srcdiff
from srcdiff import helpers
from srcdiff.api import compile_derivative, render
from srcdiff.ir import prims
from srcdiff.ir.prims import lookup
from srcdiff.numeric import max_relative_error, numerical_grad
from srcdiff.rules import rule_for

SYMMETRIC = {
    prims.symmetric_solve: Row((REAL, REAL)),
    helpers.lower_inverse: Row((REAL,)),
}


def spd(data, n):
    m = draw_array(data, floats(-1, 1), (n, n), allow_float=False)
    return m @ m.T + n * np.eye(n)


def solves(H):
    def f(K, b):
        L = np.linalg.cholesky(K)
        return np.sum(np.linalg.solve(L.T, np.linalg.solve(L, b)) * H)

    return f


def nlml(K, y):
    """A Gaussian process's negative log marginal likelihood, as gp.py has it."""
    L = np.linalg.cholesky(K)
    alpha = np.linalg.solve(L.T, np.linalg.solve(L, y))
    _, logdet = np.linalg.slogdet(K)
    return 0.5 * y @ alpha + 0.5 * logdet


def emitted(f, *args):
    return render(srcdiff.grad(f, wrt=tuple(range(len(args)))).derivative(*args))


@given(data=st.data(), n=st.integers(1, 4), columns=st.sampled_from([(), (2,)]))
def test_symmetric_solve_rule(data, n, columns):
    a = spd(data, n)
    b = draw_array(data, floats(-1, 1), (n, *columns), allow_float=False)
    check_rule(data, prims.symmetric_solve, [a, b], draw_weights(data, b.shape))


@given(data=st.data(), n=st.integers(1, 4))
def test_lower_inverse_rule(data, n):
    L = np.linalg.cholesky(spd(data, n))
    check_rule(data, helpers.lower_inverse, [L], draw_weights(data, L.shape))


@pytest.mark.parametrize("n", [65, 100])
def test_lower_inverse_by_halves(n):
    """Above 64 rows the helper inverts by halves: the inverse, and its rule
    the transpose of its derivative along a random direction."""
    rng = np.random.default_rng(n)
    m = rng.normal(size=(n, n))
    L = np.linalg.cholesky(m @ m.T / n + np.eye(n))
    inverse = helpers.lower_inverse(L)
    assert max_relative_error(inverse, np.linalg.inv(L)) < 1e-9
    g, v = rng.normal(size=(n, n)), rng.normal(size=(n, n))
    rule = rule_for(lookup(helpers.lower_inverse))(g, inverse, L)

    def along(t):
        return np.sum(g * helpers.lower_inverse(L + t * v))

    jvp = numerical_grad(along, (0.0,), 0)
    assert max_relative_error(np.sum(rule * v), jvp) < TOL


@given(data=st.data(), n=st.integers(1, 4), columns=st.sampled_from([(), (2,)]))
def test_two_solves_by_the_factor_are_one_solve(data, n, columns):
    K = spd(data, n)
    b = draw_array(data, floats(-1, 1), (n, *columns), allow_float=False)
    f = solves(draw_weights(data, b.shape))
    check_grad(f, [K, b])  # and the tangents
    source = emitted(f, K, b)
    assert "np.linalg.solve(K, b)" in source
    assert "np.array_equal(K, K" in source


@pytest.mark.parametrize("n", [5, 80])
def test_nlml_multiplies_by_the_factors_inverse(n):
    rng = np.random.default_rng(n)
    m = rng.normal(size=(n, n))
    K, y = m @ m.T / n + np.eye(n), rng.normal(size=n)
    for i in (0, 1):
        got = srcdiff.grad(nlml, wrt=i)(K, y)
        assert max_relative_error(got, numerical_grad(nlml, [K, y], i)) < TOL
    source = emitted(nlml, K, y)
    assert "np.linalg.solve(" not in source
    assert ("lower_inverse(L)" in source) == (n > 64)
    assert ("np.linalg.inv(L)" in source) == (n <= 64)


def test_the_emitted_solve_checks_the_symmetry_it_was_traced_with():
    rng = np.random.default_rng(1)
    m = rng.normal(size=(3, 3))
    K, b = m @ m.T + 3 * np.eye(3), rng.normal(size=3)
    f = solves(np.array([1.0, -2.0, 0.5]))
    compiled = compile_derivative(srcdiff.grad(f, wrt=(0, 1)).derivative(K, b))
    lopsided = K + np.triu(np.ones((3, 3)), 1)
    with pytest.raises(srcdiff.PathChanged, match="symmetric when traced"):
        compiled(lopsided, b)
    # grad(f) traces the other matrix again: two solves by the factor.
    got = srcdiff.grad(f, wrt=0)(lopsided, b)
    assert max_relative_error(got, numerical_grad(f, [lopsided, b], 0)) < TOL
