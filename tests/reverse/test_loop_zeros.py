"""Zero adjoints of a rolled loop: ``0.0`` for float64 numbers, whose 0-d
array from ``np.zeros_like`` makes every backward trip's arithmetic slow;
``np.zeros_like`` for arrays and other dtypes, whose shape and dtype it keeps."""

from __future__ import annotations

import numpy as np

import srcdiff
from srcdiff.numeric import max_relative_error, numerical_grad


def series(x, steps, weights):
    """(A function of numbers alone is differentiated in forward mode: the
    array ``weights`` keeps this one in reverse mode.)"""
    total = 0.0 * x
    term = x
    for _ in range(steps):
        term = term * x / 2
        total = total + term
    return np.sum(total) + np.sum(weights)


WEIGHTS = np.ones(2)


def test_a_number_gets_a_float_zero_and_the_right_gradient():
    g = srcdiff.grad(series)
    got = g(0.7, 200, WEIGHTS)
    assert type(got) is float
    expected = numerical_grad(series, [0.7, 200, WEIGHTS], 0)
    assert max_relative_error(got, expected) < 1e-6
    assert "np.zeros_like" not in g.source
    assert "dx = 0.0\n" in g.source


def test_an_array_or_float32_number_keeps_zeros_like():
    g = srcdiff.grad(series)
    x = np.full(3, 0.7)
    expected = numerical_grad(series, [x, 200, WEIGHTS], 0)
    assert max_relative_error(g(x, 200, WEIGHTS), expected) < 1e-6
    assert "dx = np.zeros_like(x)\n" in g.source
    assert g(np.float32(0.7), 200, WEIGHTS).dtype == np.float32
    assert "dx = np.zeros_like(x)\n" in g.source
