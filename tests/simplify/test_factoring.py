"""Common factors (``srcdiff.simplify.factoring``) taken out as a sum or
product is bound, where that keeps the dtype; and how it reads in an emitted
gradient, checked against central differences."""

from __future__ import annotations

import numpy as np

import srcdiff
from srcdiff.api import compile_derivative, render
from srcdiff.ir.nodes import Var
from srcdiff.ir.prims import ADD, DIV, MUL, SUB
from srcdiff.numeric import max_relative_error, numerical_grad
from srcdiff.trace.builder import Builder


def _param(builder: Builder, value: np.ndarray) -> Var:
    leaf = Var("p", value, kind="param")
    builder.input_sizes(leaf)
    return leaf


def _made(builder: Builder, value: Var) -> tuple[object, tuple[object, ...]]:
    stmt = builder.defs[value]
    return stmt.prim, stmt.args


def test_a_common_divisor_is_taken_out():
    b = Builder()
    x, y, s = (_param(b, v) for v in (np.arange(3.0), np.ones(3), np.full(3, 2.0)))
    difference = b.bind(SUB, (b.bind(DIV, (x, s)), b.bind(DIV, (y, s))))
    prim, (top, divisor) = _made(b, difference)
    assert (prim, divisor) == (DIV, s)
    assert _made(b, top) == (SUB, (x, y))


def test_a_divisor_stays_between_int_arrays():
    b = Builder()
    x, y, s = (_param(b, v) for v in (np.arange(3), np.ones(3, int), np.full(3, 2.0)))
    over_x, over_y = b.bind(DIV, (x, s)), b.bind(DIV, (y, s))
    assert _made(b, b.bind(ADD, (over_x, over_y))) == (ADD, (over_x, over_y))


def test_a_common_factor_is_taken_out():
    b = Builder()
    x, y, c = (_param(b, v) for v in (np.arange(3.0), np.ones(3), np.full(3, 2.0)))
    total = b.bind(ADD, (b.bind(MUL, (c, x)), b.bind(MUL, (y, c))))
    prim, (factor, inner) = _made(b, total)
    assert (prim, factor) == (MUL, c)
    assert _made(b, inner) == (ADD, (x, y))


def test_one_over_a_value_times_another_is_a_quotient():
    b = Builder()
    s, mask = _param(b, np.full(3, 2.0)), _param(b, np.array([True, False, True]))
    assert _made(b, b.bind(MUL, (b.bind(DIV, (1.0, s)), mask))) == (DIV, (mask, s))


def scaled_difference(x, s):
    return np.sum(np.sin(x) / s - np.cos(x) / s)


def test_a_shared_factor_reads_once():
    args = (np.linspace(-1.0, 1.0, 4), np.linspace(1.0, 2.0, 4))
    derivative = srcdiff.grad(scaled_difference).derivative(*args)
    got = compile_derivative(derivative)(*args)
    assert max_relative_error(got, numerical_grad(scaled_difference, args, 0)) < 1e-6
    lines = [s.strip() for s in render(derivative).splitlines()]
    assert "dx = (np.sin(x) + np.cos(x)) / s" in lines
