"""What a rolled loop's trips all compute alike is computed once, before the
loop (``srcdiff.simplify.hoist``), and the forward loop saves no such value
per trip; the gradients still match central differences."""

from __future__ import annotations

import numpy as np
import pytest
from emitted import emitted_gradient

from srcdiff.numeric import max_relative_error, numerical_grad


def recurrent(W, h, n):
    for _ in range(n):
        h = np.tanh(W @ h)
    return np.sum(h**2)


def series(x):
    term, total, i = x, x, 0
    while np.abs(term) > 1e-3:
        term = -term * x**2 / ((2 * i + 3) * (2 * i + 2))
        total = total + term
        i += 1
    return total


def nested(A, x, n, m):
    for _ in range(n):
        for _ in range(m):
            x = np.sin(A.T @ x)
    return np.sum(x)


def scaled(x, c, n):
    """``np.exp(c)`` is costly and the same each trip: never saved per trip."""
    for _ in range(n):
        x = np.tanh(x * np.exp(c))
    return np.sum(x)


def noisy(x, rng, n):
    """A draw each trip, with arguments the same each trip: drawn each trip."""
    for _ in range(n):
        x = np.tanh(x + rng.normal(0.0, 0.1))
    return np.sum(x)


def _loop_bodies(source: str) -> list[str]:
    """The indented lines under each ``for``/``while`` of the gradient."""
    body = source.split("def ", 1)[1].splitlines()
    bodies, current = [], None
    for line in body:
        stripped = line.lstrip()
        if stripped.startswith(("for ", "while ")):
            current = []
            bodies.append(current)
        elif current is not None and line.startswith(" " * 8):
            current.append(stripped)
        else:
            current = None
    return ["\n".join(b) for b in bodies]


def _check(fn, grad, args, wrt):
    got = grad(*args)
    got = got if isinstance(got, tuple) else (got,)
    for value, i in zip(got, wrt, strict=True):
        assert max_relative_error(value, numerical_grad(fn, args, i)) < 1e-6


@pytest.mark.parametrize("n", [0, 1, 30])
def test_a_transpose_the_backward_trips_read_is_made_once(n):
    rng = np.random.default_rng(0)
    W, h = rng.normal(size=(4, 4)) / 2, rng.normal(size=4)
    grad, source = emitted_gradient(recurrent, ["W", "h"], [W, h, 30])
    assert "W_T = W.T" in source
    assert all("W.T" not in body for body in _loop_bodies(source))
    _check(recurrent, grad, [W, h, n], [0, 1])


@pytest.mark.parametrize("x", [0.5, 3.0, 10.0])
def test_a_while_loop_squares_once_for_both_sweeps(x):
    grad, source = emitted_gradient(series, "x", [10.0])
    assert source.count("x**2") == 1  # before the forward loop, reused backwards
    assert all("x**2" not in body for body in _loop_bodies(source))
    _check(series, grad, [x], [0])


def test_nested_loops_hoist_out_of_both():
    rng = np.random.default_rng(1)
    A, x = rng.normal(size=(3, 3)) / 2, rng.normal(size=3)
    grad, source = emitted_gradient(nested, ["A", "x"], [A, x, 4, 5])
    assert all("A.T" not in body for body in _loop_bodies(source))
    _check(nested, grad, [A, x, 4, 5], [0, 1])
    _check(nested, grad, [A, x, 2, 0], [0, 1])


def test_an_invariant_costly_value_is_not_saved_per_trip():
    rng = np.random.default_rng(2)
    x, c = rng.normal(size=5), rng.normal(size=5) / 2
    grad, source = emitted_gradient(scaled, ["x", "c"], [x, c, 20])
    assert ".append(exp" not in source
    assert all("np.exp" not in body for body in _loop_bodies(source))
    _check(scaled, grad, [x, c, 20], [0, 1])


def test_a_draw_stays_in_its_trip():
    x = np.array([0.3, -0.2])
    grad, source = emitted_gradient(noisy, "x", [x, np.random.default_rng(5), 6])
    assert any("rng.normal" in body for body in _loop_bodies(source))
    got = grad(x, np.random.default_rng(5), 6)

    def fixed(x):
        return noisy(x, np.random.default_rng(5), 6)

    assert max_relative_error(got, numerical_grad(fixed, [x], 0)) < 1e-6


def nested_sum(A, x, n, m):
    """The inner backward loop's ``dA`` starts from zeros each outer trip."""
    for _ in range(n):
        for _ in range(m):
            x = np.sin(A * x)
    return np.sum(x) + np.sum(A**2)


def test_an_inner_running_sum_starts_from_its_own_zeros():
    rng = np.random.default_rng(3)
    A, x = rng.normal(size=3), rng.normal(size=3)
    grad, _ = emitted_gradient(nested_sum, ["A", "x"], [A, x, 3, 4])
    _check(nested_sum, grad, [A, x, 3, 4], [0, 1])
