"""Bound methods, and globals or attributes rebound after the first call.

A compiled derivative bakes in the arrays and numbers its function read while
tracing; when those names are rebound it must use the new values (or trace
again), never give the gradient of the old function.
"""

from __future__ import annotations

import numpy as np

import srcdiff
from srcdiff.numeric import max_relative_error, numerical_grad

X = np.array([0.3, -0.7])


class Model:
    def __init__(self) -> None:
        self.W = np.array([[0.5, -0.2], [0.1, 0.3]])
        self.scale = 2.0

    def loss(self, x):
        return np.sum(np.tanh(self.W @ x) ** 2) * self.scale


def close_to_numeric(g, f, *args) -> bool:
    return max_relative_error(g(*args), numerical_grad(f, args, 0)) < 1e-6


def test_bound_method_reads_self_attributes():
    model = Model()
    g = srcdiff.grad(model.loss)
    assert close_to_numeric(g, model.loss, X)
    text = g.source
    assert "def loss_grad(self, x):" in text
    assert "W = np.array(" in text


def test_rebound_attributes_are_used():
    model = Model()
    g = srcdiff.grad(model.loss)
    g(X)
    model.W = model.W * 3
    assert close_to_numeric(g, model.loss, X)
    model.scale = 5.0
    assert close_to_numeric(g, model.loss, X)
    model.W = np.ones((3, 2))  # another shape: traced again
    assert close_to_numeric(g, model.loss, X)


WEIGHTS = np.array([1.0, 2.0])
LAM = 0.5


def weighted(x):
    return LAM * np.sum(WEIGHTS * x**2)


def test_rebound_globals_are_used():
    global WEIGHTS, LAM
    g = srcdiff.grad(weighted)
    try:
        assert close_to_numeric(g, weighted, X)
        WEIGHTS = np.array([10.0, -20.0])
        assert close_to_numeric(g, weighted, X)
        LAM = 2.0
        assert close_to_numeric(g, weighted, X)
        WEIGHTS = np.ones(3)
        assert close_to_numeric(g, weighted, np.ones(3))
    finally:
        WEIGHTS, LAM = np.array([1.0, 2.0]), 0.5


def test_wrt_skips_self():
    model = Model()
    assert srcdiff.grad(model.loss).wrt == ("x",)
    assert srcdiff.grad(model.loss, wrt=0).wrt == ("x",)
