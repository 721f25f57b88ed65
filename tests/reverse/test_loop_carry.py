"""A backward trip takes the trip's new state from the previous backward trip
instead of recomputing it: ``tanh(W @ h + U @ x_t)`` once per step, not twice."""

from __future__ import annotations

import numpy as np

import srcdiff
from srcdiff.numeric import max_relative_error, numerical_grad


def rnn(W, U, h, xs):
    for x_t in xs:
        h = np.tanh(W @ h + U @ x_t)
    return np.sum(h**2)


def counted(x, steps):
    total = 0.0 * x
    k = 0
    for _ in range(steps):
        k = k + 1
        total = total + x**2 / k
    return np.sum(total)


def _backward_loop(source: str) -> str:
    return source.split("\n\n")[-1]  # the adjoint sweep, after the blank line


def test_the_new_state_is_carried_back_not_recomputed():
    rng = np.random.default_rng(0)
    args = [
        rng.normal(size=(4, 4)) / 2,
        rng.normal(size=(4, 3)) / 2,
        rng.normal(size=4),
        rng.normal(size=(30, 3)),
    ]
    g = srcdiff.grad(rnn, wrt=["W", "U"], unroll=False)
    got = g(*args)
    for i, grad in enumerate(got):
        assert max_relative_error(grad, numerical_grad(rnn, args, i)) < 1e-6
    backward = _backward_loop(g.source)
    assert "np.tanh" not in backward  # the forward loop's tanh is the only one
    assert g.source.count("np.tanh") == 1


def test_a_counter_is_still_recomputed():
    g = srcdiff.grad(counted, unroll=False)
    x = np.array([0.5, 1.5])
    assert max_relative_error(g(x, 50), numerical_grad(counted, [x, 50], 0)) < 1e-6
    assert "k + 1" in _backward_loop(g.source)
