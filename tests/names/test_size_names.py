"""Sizes the emitted code reads in several places are named once.

``n = X.shape[0]`` once, then ``n``: as a person writes it. A size read once
stays spelled out, the name never takes one the function already uses, and a
whole shape reads ``np.shape(A)``. Each gradient is checked numerically.
"""

from __future__ import annotations

import numpy as np

import srcdiff
from srcdiff.api import compile_derivative, render
from srcdiff.numeric import max_relative_error, numerical_grad

RNG = np.random.default_rng(5)
X = RNG.normal(size=(7, 3))
W = RNG.normal(size=3)


def gradient_source(f, *args):
    """The emitted body after the argument checks, its gradient checked."""
    derivative = srcdiff.grad(f).derivative(*args)
    got = compile_derivative(derivative)(*args)
    assert max_relative_error(got, numerical_grad(f, args, 0)) < 1e-6
    function = render(derivative).split("\ndef ")[-1].splitlines()
    checks = ("    if ", "        ", "    ):")
    return "\n".join(line for line in function if not line.startswith(checks))


def two_means(w, X):
    z = X @ w
    return np.mean(np.sin(z)) + np.mean(np.cos(3 * z))


def test_a_size_read_twice_is_named_once():
    body = gradient_source(two_means, W, X)
    assert body.count("n = X.shape[0]") == 1
    assert body.count("X.shape[0]") == 1
    assert body.count("/ n") == 2


def one_mean(w, X):
    return np.mean(np.sin(X @ w))


def test_a_size_read_once_stays_spelled_out():
    body = gradient_source(one_mean, W, X)
    assert "X.shape[0]" in body
    assert " n = " not in body


def scaled_means(w, X):
    n = np.tanh(w)
    z = X @ n
    return np.mean(np.sin(z)) + np.mean(np.cos(3 * z))


def test_the_name_is_not_one_the_function_uses():
    body = gradient_source(scaled_means, W, X)
    assert body.count("m = X.shape[0]") == 1
    assert body.count("n = np.tanh(w)") == 1


def unravelled(A):
    return np.sum(np.sin(np.ravel(A)) * np.arange(A.size))


def test_a_whole_shape_reads_as_the_shape():
    body = gradient_source(unravelled, RNG.normal(size=(4, 5)))
    assert "np.shape(A)" in body
    assert "A.shape[" not in body


def named_count(w, X, y):
    n = len(y)
    z = X @ w
    return np.sum((z - y) ** 2) / n + np.mean(np.sin(z))


def test_an_axis_checked_equal_to_a_named_size_reads_its_name():
    body = gradient_source(named_count, W, X, RNG.normal(size=7))
    assert "n = len(y)" in body
    assert "X.shape[0]" not in body
