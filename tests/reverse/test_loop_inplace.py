"""A backward loop adds to a running sum in place (``dW += ...``) only when
the array is the sum's own: started as zeros or a new product nothing else
reads; never an argument, a view of one, or an array another sum starts from."""

from __future__ import annotations

import numpy as np
import pytest
from emitted import emitted_gradient

from srcdiff.numeric import max_relative_error, numerical_grad


def alone(W, U, M, v, h, xs):
    for x_t in xs:
        h = np.tanh(W @ h + x_t) * 0.5 + 0.01 * np.sum(W**2) + 0.01 * np.sum(U**2)
    return np.sum(h**2)


def from_argument(W, U, M, v, h, xs):  # dW starts as M itself
    return alone(W, U, M, v, h, xs) + np.sum(W * M)


def from_view(W, U, M, v, h, xs):  # dW starts as M.T, a view of M
    return alone(W, U, M, v, h, xs) + np.sum(W.T * M)


def from_shared(W, U, M, v, h, xs):  # dW and dU both start as exp(M)
    A = np.exp(M)
    return alone(W, U, M, v, h, xs) + np.sum(W * A) + np.sum(U * A)


def from_products(W, U, M, v, h, xs):  # two outer products of their own
    return alone(W, U, M, v, h, xs) + np.sum(W @ v) + np.sum(U @ v)


CASES = [
    (alone, True),
    (from_products, True),
    (from_argument, False),
    (from_view, False),
]


WRT = ["W", "U", "h"]


def _args(steps, seed=5):
    rng = np.random.default_rng(seed)
    W, U, M = (rng.normal(size=(3, 3)) / 3 for _ in range(3))
    return [
        W,
        U,
        M,
        rng.normal(size=3),
        rng.normal(size=3),
        rng.normal(size=(steps, 3)),
    ]


@pytest.mark.parametrize(("fn", "in_place"), [*CASES, (from_shared, False)])
@pytest.mark.parametrize("steps", [0, 1, 6])
def test_in_place_only_into_an_array_of_its_own(fn, in_place, steps):
    grad, source = emitted_gradient(fn, WRT, _args(20))
    backward = source.split("\n\n")[-1]
    assert ("dW += " in backward) == in_place
    assert "dU += " in backward if fn is not from_shared else "+=" not in backward
    args = _args(steps)
    before = [np.copy(a) for a in args]
    got = grad(*args)
    for a, b in zip(args, before, strict=True):
        assert np.array_equal(a, b)  # no argument written into
    for i, value in zip([0, 1, 4], got, strict=True):
        assert max_relative_error(value, numerical_grad(fn, args, i)) < 1e-6
