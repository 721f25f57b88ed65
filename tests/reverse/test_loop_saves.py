"""The forward loop saves the arrays a trip makes with a product or a
transcendental function that the adjoint reads (no larger than what the loop
carries); the backward trip restores them instead of computing them again."""

from __future__ import annotations

import numpy as np
import pytest
from emitted import emitted_gradient

from srcdiff.numeric import max_relative_error, numerical_grad


def twice(x, n):
    for _ in range(n):
        for _ in range(2):
            x = np.tanh(x) + 0.1
    return np.sum(x)


def widened(x, w, v, n):
    """``np.outer(x, w)`` is a matrix a trip, larger than ``x``: recomputed."""
    for _ in range(n):
        x = np.tanh(np.outer(x, w) @ v) * 0.9 + x * 0.1
    return np.sum(x**2)


@pytest.mark.parametrize("n", [0, 1, 5])
def test_tanh_values_are_saved_not_recomputed(n):
    x = np.array([0.1, -0.4, 0.3])
    # the inner loop unrolled
    grad, source = emitted_gradient(twice, "x", [x, 40], unroll=None)
    forward, backward = source.split("\n\n")[-2:]
    assert "tanhs.append(tanh)" in forward
    assert "tanh_2s.append(tanh_2)" in forward
    assert "tanh = tanhs.pop()" in backward
    assert "np.tanh" not in backward
    assert max_relative_error(grad(x, n), numerical_grad(twice, [x, n], 0)) < 1e-6


def test_a_rolled_inner_loop_saves_its_own_trips():
    x = np.array([0.1, -0.4, 0.3])
    grad, source = emitted_gradient(twice, "x", [x, 40])
    backward = source.split("\n\n")[-1]
    assert backward.count("np.tanh") == 1  # the inner forward trips, once
    assert "tanhs.append(tanh)" in backward
    assert max_relative_error(grad(x, 7), numerical_grad(twice, [x, 7], 0)) < 1e-6


@pytest.mark.parametrize("n", [0, 1, 4])
def test_a_value_larger_than_the_state_is_recomputed(n):
    rng = np.random.default_rng(4)
    x, w, v = rng.normal(size=3), rng.normal(size=5), rng.normal(size=5) / 3
    grad, source = emitted_gradient(widened, ["x", "w", "v"], [x, w, v, 30])
    backward = source.split("\n\n")[-1]
    assert "np.outer(x, w)" in backward  # the 3 x 5 matrix, made again
    assert "np.tanh" not in backward  # the 3-vector, restored
    args = [x, w, v, n]
    for i, value in enumerate(grad(*args)):
        assert max_relative_error(value, numerical_grad(widened, args, i)) < 1e-6
