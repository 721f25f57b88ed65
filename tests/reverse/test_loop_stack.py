"""A sum over a rolled loop's trips of outer products (``dW`` of ``W @ h``) is
one matrix product after the backward loop, of the vectors each backward trip
stacks, added to the adjoint's start: right for any number of trips, none
included, as the emitted file runs them (traced once, on one trip count)."""

from __future__ import annotations

import numpy as np
import pytest
from emitted import emitted_gradient

import srcdiff
import srcdiff.api
from srcdiff.numeric import max_relative_error, numerical_grad


def rnn(W, U, V, h, xs, y):
    for x_t in xs:
        h = np.tanh(W @ h + U @ x_t)
    return np.sum((V @ h - y) ** 2)


def linear(W, h, xs):
    """The outer product's first factor is the carried adjoint ``dh`` itself."""
    for x_t in xs:
        h = W @ h + x_t
    return np.sum(h**2)


def reread(W, h, xs):
    """W is read after the loop too, and in the loop by more than a product."""
    for x_t in xs:
        h = np.tanh(W @ h + x_t) + 0.1 * np.sum(W**2)
    return np.sum(h**2) + np.sum(W @ h)


def rows(W, h, xs):
    """``h @ W``: the outer product's factors the other way round."""
    for x_t in xs:
        h = np.sin(h @ W) + x_t
    return np.sum(h)


def inputs_first(W, h, xs):
    """``x_t @ W``: the row is the outer product's first factor."""
    for x_t in xs:
        h = np.tanh(x_t @ W) * 0.5 + h * 0.5
    return np.sum(h**2)


def _check(fn, grad, args, positions):
    got = grad(*args)
    got = got if isinstance(got, tuple) else (got,)
    for i, value in zip(positions, got, strict=True):
        assert np.shape(value) == np.shape(args[i])
        assert max_relative_error(value, numerical_grad(fn, args, i)) < 1e-6


@pytest.mark.parametrize("steps", [0, 1, 2, 7])
def test_rnn_weights_stacked_for_any_number_of_steps(steps):
    rng = np.random.default_rng(0)
    W, U = rng.normal(size=(4, 4)) / 2, rng.normal(size=(4, 3)) / 2
    V, h0, y = rng.normal(size=(2, 4)), rng.normal(size=4), rng.normal(size=2)
    traced = [W, U, V, h0, rng.normal(size=(30, 3)), y]
    grad, source = emitted_gradient(rnn, ["W", "U", "V", "h"], traced)
    backward = source.split("\n\n")[-1]
    assert "np.outer" not in backward.split("for _ in")[1]  # in or after the loop
    assert "deltas_T = np.array(deltas).T\n" in source
    assert "dW = np.zeros_like(W) + deltas_T @ np.array(hs_2)\n" in source
    assert "dU = np.zeros_like(U) + deltas_T @ xs[::-1]\n" in source  # no list
    args = [W, U, V, h0, rng.normal(size=(steps, 3)), y]
    _check(rnn, grad, args, [0, 1, 2, 3])


@pytest.mark.parametrize("fn", [linear, reread, rows])
@pytest.mark.parametrize("steps", [0, 1, 5])
def test_other_outer_products_stacked(fn, steps):
    rng = np.random.default_rng(1)
    W, h0 = rng.normal(size=(3, 3)) / 3, rng.normal(size=3)
    grad, source = emitted_gradient(fn, ["W", "h"], [W, h0, rng.normal(size=(20, 3))])
    assert ".append(" in source.split("\n\n")[-1]
    _check(fn, grad, [W, h0, rng.normal(size=(steps, 3))], [0, 1])


def test_without_an_example_the_sum_stays_in_the_loop():
    text = srcdiff.grad(rnn, wrt="W", unroll=False).source  # no call yet
    assert "dW = dW + matmul_left_grad(" in text
    assert ".append(" not in text.split("\n\n")[-1]


@pytest.mark.parametrize("steps", [0, 1, 5])
def test_a_row_first_factor_is_listed(steps):
    """``xs[::-1].T @ deltas`` would be a column at no trips: the rows go in a
    list there (and W is not square, so a wrong shape could not pass)."""
    rng = np.random.default_rng(6)
    W, h0 = rng.normal(size=(3, 4)) / 2, rng.normal(size=4)
    grad, source = emitted_gradient(
        inputs_first, ["W", "h"], [W, h0, rng.normal(size=(9, 3))]
    )
    assert "x_ts.append(x_t)" in source
    _check(inputs_first, grad, [W, h0, rng.normal(size=(steps, 3))], [0, 1])
