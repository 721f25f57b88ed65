"""``srcdiff.stop_gradient``: the value passes, the derivative does not."""

from __future__ import annotations

import numpy as np
import pytest

import srcdiff
from srcdiff.numeric import max_relative_error, numerical_grad

TOL = 1e-6


def moving_target(w, X):
    z = X @ w
    target = srcdiff.stop_gradient(np.tanh(z))
    return np.sum((z - target) ** 2)


def with_target_held(w, X, target):
    """``moving_target`` with the target passed in: what stop_gradient means."""
    return np.sum((X @ w - target) ** 2)


def problem():
    rng = np.random.default_rng(3)
    return rng.normal(size=3), rng.normal(size=(7, 3))


def test_the_stopped_path_contributes_nothing():
    w, X = problem()
    target = np.tanh(X @ w)
    got = srcdiff.grad(moving_target)(w, X)
    expected = numerical_grad(with_target_held, (w, X, target), 0)
    assert max_relative_error(got, expected) < TOL
    # the other path still counts: without stop_gradient the gradient differs
    plain = numerical_grad(
        lambda w, X: np.sum((X @ w - np.tanh(X @ w)) ** 2), (w, X), 0
    )
    assert max_relative_error(got, plain) > 1e-2


def test_only_the_stopped_path_is_cut():
    def half_stopped(x):
        return np.sum(x * srcdiff.stop_gradient(x))

    x = np.array([1.0, -2.0, 3.0])
    assert np.allclose(srcdiff.grad(half_stopped)(x), x)  # d/dx x*c = c


def test_identity_at_run_time():
    x = np.arange(3.0)
    assert srcdiff.stop_gradient(x) is x


def test_jvp_sees_a_constant():
    def f(x):
        return np.sum(x**2 + srcdiff.stop_gradient(x**3))

    x = np.array([1.0, 2.0])
    value, tangent = srcdiff.jvp(f)(x, np.ones(2))
    assert value == pytest.approx(f(x))
    assert tangent == pytest.approx(np.sum(2 * x))


def test_emitted_code_just_uses_the_value():
    g = srcdiff.grad(moving_target)
    g(*problem())
    code = "".join(
        line for line in g.source.splitlines(True) if not line.startswith("#")
    )
    assert "import srcdiff" not in code and "srcdiff." not in code
    assert "stop_gradient(" not in code
    assert "target = np.tanh(z)" in code
