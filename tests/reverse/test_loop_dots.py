"""A backward trip's ``np.sum(g * v)`` of two float vectors of one size is
``g @ v`` (a number scaling a vector: its gradient); where the factor has one
element (a broadcast), the sum stays."""

from __future__ import annotations

import numpy as np
import pytest

import srcdiff
from srcdiff.numeric import max_relative_error, numerical_grad


def damped(angle, velocity, damping, steps):
    for _ in range(steps):
        acceleration = -np.sin(angle) - damping * velocity
        angle = angle + 0.1 * velocity
        velocity = velocity + 0.1 * acceleration
    return np.sum(angle**2)


def scaled(x, c, steps):
    """``c * x`` with ``c`` of one element: broadcasting, not a dot product."""
    for _ in range(steps):
        x = np.tanh(c * x)
    return np.sum(x)


def _backward(source: str) -> str:
    return source.split("\n\n")[-1]


@pytest.mark.parametrize("steps", [0, 1, 3, 60])
def test_the_damping_gradient_is_a_dot_product(steps):
    rng = np.random.default_rng(2)
    args = [rng.normal(size=4), rng.normal(size=4), 0.3, steps]
    g = srcdiff.grad(damped, wrt=["angle", "velocity", "damping"], unroll=False)
    got = g(*args)
    for i, value in enumerate(got):
        assert max_relative_error(value, numerical_grad(damped, args, i)) < 1e-6
    if steps:
        assert "@ velocity" in _backward(g.source)
        assert "np.sum(" not in _backward(g.source)


@pytest.mark.parametrize(("shape", "dot"), [((1,), False), ((), True)])
def test_a_one_element_factor_keeps_the_sum(shape, dot):
    rng = np.random.default_rng(3)
    x, c = rng.normal(size=5), np.full(shape, 0.7)
    g = srcdiff.grad(scaled, wrt=["x", "c"], unroll=False)
    got = g(x, c, 40)
    for i, value in enumerate(got):
        assert max_relative_error(value, numerical_grad(scaled, [x, c, 40], i)) < 1e-6
    assert (" @ x" in _backward(g.source)) == dot
