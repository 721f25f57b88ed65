"""Like terms (``srcdiff.simplify.terms``): ``a + a`` is bound as ``2 * a``,
where that keeps the value's dtype; and how it reads in emitted gradients,
each checked against central differences."""

from __future__ import annotations

import numpy as np
import pytest

import srcdiff
from srcdiff.api import compile_derivative, render
from srcdiff.ir.nodes import Var
from srcdiff.ir.prims import ADD, DIV, MUL, NEG, SUB
from srcdiff.numeric import max_relative_error, numerical_grad
from srcdiff.trace.builder import Builder


def _param(builder: Builder, value: np.ndarray) -> Var:
    leaf = Var("p", value, kind="param")
    builder.input_sizes(leaf)
    return leaf


def _made(builder: Builder, value: Var) -> tuple[object, tuple[object, ...]]:
    stmt = builder.defs[value]
    return stmt.prim, stmt.args


def test_a_value_added_to_itself_is_twice_it():
    b = Builder()
    x = _param(b, np.arange(3.0))
    assert _made(b, b.bind(ADD, (x, x))) == (MUL, (2, x))


def test_number_multiples_of_one_value_add_up():
    b = Builder()
    x = _param(b, np.arange(3.0))
    triple = b.bind(MUL, (3, x))
    assert _made(b, b.bind(ADD, (triple, x))) == (MUL, (4, x))
    assert b.bind(SUB, (triple, b.bind(MUL, (x, 2)))) is x
    half = b.bind(DIV, (x, 4))
    assert _made(b, b.bind(ADD, (half, half))) == (DIV, (x, 2))
    minus = b.bind(SUB, (x, triple))
    assert _made(b, minus)[0] is NEG
    assert _made(b, _made(b, minus)[1][0]) == (MUL, (2, x))


def test_products_in_either_order_are_one_term():
    b = Builder()
    x, y = _param(b, np.arange(3.0)), _param(b, np.ones(3))
    xy, yx = b.bind(MUL, (x, y)), b.bind(MUL, (y, x))
    assert _made(b, b.bind(ADD, (xy, yx))) == (MUL, (2, xy))


@pytest.mark.parametrize(
    ("value", "kept"),
    [
        (np.array([True, False]), "b | b, not 2 * b"),
        (np.arange(3), "x / 2 + x / 2 is a float array, x an int one"),
    ],
)
def test_terms_stay_where_combining_changes_the_value(value, kept):
    b = Builder()
    x = _param(b, value)
    if value.dtype == bool:
        assert _made(b, b.bind(ADD, (x, x))) == (ADD, (x, x)), kept
    else:
        half = b.bind(DIV, (x, 2))
        assert _made(b, b.bind(ADD, (half, half))) == (ADD, (half, half)), kept


def test_terms_that_cancel_stay():
    b = Builder()
    x = _param(b, np.arange(3.0))
    assert _made(b, b.bind(SUB, (x, x))) == (SUB, (x, x))


def test_sums_no_float_holds_stay():
    b = Builder()
    x = _param(b, np.arange(3.0))
    third = b.bind(DIV, (x, 3))
    assert _made(b, b.bind(ADD, (third, third))) == (ADD, (third, third))


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


def squares(x):
    return np.sum(np.sin(x) * np.sin(x))


def penalty(W, lam):
    return lam / 2 * np.sum(W * W)


def scaled_difference(x, s):
    return np.sum(np.sin(x) / s - np.cos(x) / s)


@pytest.mark.parametrize(
    ("f", "args", "line"),
    [
        (squares, (np.linspace(0.1, 1.0, 4),), "dx = 2 * np.sin(x) * np.cos(x)"),
        (penalty, (np.linspace(-1.0, 1.0, 4), 0.3), "dW = lam * W"),
        (
            scaled_difference,
            (np.linspace(-1.0, 1.0, 4), np.linspace(1.0, 2.0, 4)),
            "dx = (np.sin(x) + np.cos(x)) / s",
        ),
    ],
)
def test_a_value_read_twice_gets_one_adjoint_term(f, args, line):
    derivative = srcdiff.grad(f).derivative(*args)
    got = compile_derivative(derivative)(*args)
    assert max_relative_error(got, numerical_grad(f, args, 0)) < 1e-6
    assert line in [s.strip() for s in render(derivative).splitlines()]
