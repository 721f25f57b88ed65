"""``srcdiff.simplify.inverses``: solves by a matrix the gradient inverts anyway
become products with that inverse, checked against central differences."""

from __future__ import annotations

import numpy as np
import pytest

import srcdiff
from srcdiff.api import render
from srcdiff.numeric import max_relative_error, numerical_grad

RNG = np.random.default_rng(7)
M = RNG.uniform(-1, 1, (5, 5))
A = M @ M.T + 5 * np.eye(5)
B = RNG.uniform(-1, 1, (5, 2))
W = RNG.uniform(-1, 1, (5, 2))


def source(f, *args):
    return render(srcdiff.grad(f, wrt=tuple(range(len(args)))).derivative(*args))


def check(f, *args):
    for i in range(len(args)):
        got = srcdiff.grad(f, wrt=i)(*args)
        assert max_relative_error(got, numerical_grad(f, args, i)) < 1e-6


def by_cholesky(a, b):
    L = np.linalg.cholesky(a)
    return np.sum(np.linalg.solve(L.T, np.linalg.solve(L, b)) * W)


def test_solves_by_the_factor_of_a_symmetric_matrix_are_one_solve():
    text = source(by_cholesky, A, B)  # simplify/cholesky.py: no factor left
    assert "np.linalg.cholesky(" not in text
    assert "np.linalg.solve(a, b)" in text
    check(by_cholesky, A, B)


@pytest.mark.parametrize("a", [A + np.triu(RNG.uniform(1, 2, (5, 5)), 1)])
def test_solves_by_a_factor_the_adjoint_inverts_are_products(a):
    text = source(by_cholesky, a, B)
    assert "np.linalg.solve(" not in text
    assert text.count("np.linalg.inv(") == 1
    check(by_cholesky, a, B)
    value, _ = srcdiff.value_and_grad(by_cholesky, wrt=0)(a, B)
    np.testing.assert_allclose(value, by_cholesky(a, B), rtol=1e-12)


def test_solves_by_a_matrix_nothing_inverts_stay_solves():
    def f(a, b):
        return np.sum(np.linalg.solve(a, b) * W)

    text = source(f, A, B)
    assert "np.linalg.inv(" not in text
    assert text.count("np.linalg.solve(") == 2
    check(f, A, B)


def test_a_solve_by_a_matrix_the_function_inverts_uses_its_inverse():
    def f(a, b):
        return np.sum(np.linalg.inv(a) * A) + np.sum(np.linalg.solve(a, b) * W)

    text = source(f, A, B)
    assert "np.linalg.solve(" not in text
    assert text.count("np.linalg.inv(") == 1
    check(f, A, B)
