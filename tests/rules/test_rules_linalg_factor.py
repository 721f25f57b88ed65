"""The determinant and solve adjoints that reuse a Cholesky factor's inverse.

Where a function factors ``a = L L^T`` and also takes ``a``'s determinant,
the adjoint writes ``a^-1`` as ``L^-T L^-1``; that holds for symmetric ``a``
only (np.linalg.cholesky reads the lower triangle alone), so the emitted code
checks the symmetry it was traced with. Solves with ``L`` or ``L^T`` then
multiply by that inverse (``srcdiff.simplify.inverses``). Each test checks
gradients against central differences, on symmetric matrices and on matrices
whose upper triangle differs from the lower one.
"""

import numpy as np
import pytest
from hypothesis import given
from hypothesis import strategies as st
from rule_checks import TOL, check_generic, check_grad, draw_array, draw_weights
from rule_domains import floats

import srcdiff
from srcdiff.api import compile_derivative, render
from srcdiff.numeric import max_relative_error, numerical_grad

SIDE = st.integers(1, 4)
SIDES = st.integers(2, 4)  # an upper triangle to differ from the lower one
BATCH = st.sampled_from([(), (2,)])


def spd(data, shape):
    m = draw_array(data, floats(-1, 1), shape, allow_float=False)
    n = shape[-1]
    return m @ np.swapaxes(m, -1, -2) + n * np.eye(n)


def lopsided(data, a):
    """``a`` with other numbers above the diagonal: no longer symmetric."""
    junk = draw_array(data, floats(-1, 1), a.shape, allow_float=False)
    return a + np.triu(np.abs(junk) + 1, 1)  # at least 1 more above: never equal


def loss(G, H, c):
    """Murray's Cholesky adjoint, the solve adjoints and the log-determinant's."""

    def f(a, b):
        L = np.linalg.cholesky(a)
        Lt = L.T if L.ndim == 2 else np.swapaxes(L, -1, -2)
        x = np.linalg.solve(Lt, np.linalg.solve(L, b))
        _, logdet = np.linalg.slogdet(a)
        return np.sum(L * G) + np.sum(x * H) + np.sum(logdet * c)

    return f


def emitted(f, *args):
    return render(srcdiff.grad(f, wrt=tuple(range(len(args)))).derivative(*args))


def draw_case(data, batch, n):
    a = spd(data, (*batch, n, n))
    b = draw_array(data, floats(-1, 1), (*batch, n, 2), allow_float=False)
    G, H = draw_weights(data, a.shape), draw_weights(data, b.shape)
    return a, b, loss(G, H, draw_weights(data, batch))


@given(data=st.data(), batch=BATCH, n=SIDE)
def test_symmetric_matrix_shares_the_factor(data, batch, n):
    a, b, f = draw_case(data, batch, n)
    check_grad(f, [a, b])
    source = emitted(f, a, b)
    assert "np.array_equal(" in source
    assert "np.linalg.inv(a)" not in source
    if not batch:  # both sweeps multiply by L^-1 and L^-T instead of solving
        assert "np.linalg.solve(" not in source


@given(data=st.data(), batch=BATCH, n=SIDES)
def test_matrix_symmetric_only_below_takes_the_general_path(data, batch, n):
    a, b, f = draw_case(data, batch, n)
    a = lopsided(data, a)
    check_grad(f, [a, b])
    source = emitted(f, a, b)
    assert "np.array_equal(" not in source
    assert "np.linalg.inv(a)" in source


@given(data=st.data(), n=SIDES)
def test_derivative_checks_the_symmetry_it_was_traced_with(data, n):
    a, b, f = draw_case(data, (), n)
    derivative = srcdiff.grad(f, wrt=("a", "b")).derivative(a, b)
    compiled = compile_derivative(derivative)
    other = lopsided(data, a)
    with pytest.raises(srcdiff.PathChanged, match="symmetric when traced"):
        compiled(other, b)
    # grad(f) traces the other matrix again and takes the general path.
    gradient = srcdiff.grad(f, wrt=0)
    gradient(a, b)
    error = max_relative_error(gradient(other, b), numerical_grad(f, [other, b], 0))
    assert error < TOL


@given(data=st.data(), batch=BATCH, n=SIDE)
def test_det_of_a_factored_symmetric_matrix(data, batch, n):
    a = spd(data, (*batch, n, n))
    G, c = draw_weights(data, a.shape), draw_weights(data, batch)

    def f(a):
        return np.sum(np.linalg.cholesky(a) * G) + np.sum(np.linalg.det(a) * c)

    check_generic(f, [a], check_grad(f, [a]))  # without an example: inv(a)
    if n > 1:
        check_grad(f, [lopsided(data, a)])
    assert "np.linalg.inv(a)" not in emitted(f, a)
