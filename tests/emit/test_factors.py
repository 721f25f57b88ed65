"""Number factors written first (``srcdiff.emit.factors``): ``2 * lam * W``,
moved past other factors only where that keeps every bit."""

from __future__ import annotations

import ast

import numpy as np
import pytest

import srcdiff
from srcdiff.api import compile_derivative, render
from srcdiff.emit.factors import number_first
from srcdiff.numeric import max_relative_error, numerical_grad


@pytest.mark.parametrize(
    ("written", "reads"),
    [
        ("x * 3", "3 * x"),
        ("np.sum(x) * 0.1", "0.1 * np.sum(x)"),
        ("a / n * 2", "2 * a / n"),
        ("a * b * 4", "4 * a * b"),
        ("1.0 / n / b * 2", "2.0 / n / b"),
        ("0.5 * b / n * 0.5", "0.25 * b / n"),
        # not a power of two: a * 3 / n may round differently from a / n * 3
        ("a / n * 3", "a / n * 3"),
        ("-a * 2", "-a * 2"),
        ("-a / n * 2", "-a / n * 2"),
        ("(a @ b) * 2", "2 * (a @ b)"),
        ("x * y", "x * y"),
        ("2 * x", "2 * x"),
    ],
)
def test_the_number_goes_first(written, reads):
    expr = ast.parse(written, mode="eval").body
    assert ast.unparse(number_first(expr)) == reads


def test_moving_a_power_of_two_keeps_every_bit():
    rng = np.random.default_rng(2)
    a, n, b = rng.normal(size=50), 7.0, rng.normal(size=50)
    env = {"a": a, "n": n, "b": b}
    for written in ("a / n * 2", "a * b * 4", "1.0 / n / b * 2"):
        expr = ast.parse(written, mode="eval").body
        moved = ast.unparse(number_first(expr))
        assert np.array_equal(eval(written, env), eval(moved, env))


def penalised(W, lam):
    return lam * np.sum(W**2) + np.sum(np.sin(W))


def robust(w):
    return np.mean(np.log(1 + w**2))


@pytest.mark.parametrize(
    ("f", "args", "line"),
    [
        (penalised, (np.linspace(-1, 1, 4), 0.3), "dW = np.cos(W) + 2 * lam * W"),
        (robust, (np.linspace(-1, 1, 4),), "t = 2.0 / len(w) / (1 + w**2)"),
    ],
)
def test_emitted_gradients_read_number_first(f, args, line):
    derivative = srcdiff.grad(f).derivative(*args)
    got = compile_derivative(derivative)(*args)
    assert max_relative_error(got, numerical_grad(f, args, 0)) < 1e-6
    assert line in [s.strip() for s in render(derivative).splitlines()]
