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


def squares(x):
    return np.sum(np.sin(x) * np.sin(x))


def penalty(W, lam):
    return lam / 2 * np.sum(W * W)


@pytest.mark.parametrize(
    ("f", "args", "line"),
    [
        (squares, (np.linspace(0.1, 1.0, 4),), "dx = 2 * np.sin(x) * np.cos(x)"),
        (penalty, (np.linspace(-1.0, 1.0, 4), 0.3), "dW = lam * W"),
    ],
)
def test_a_value_read_twice_gets_one_adjoint_term(f, args, line):
    derivative = srcdiff.grad(f).derivative(*args)
    got = compile_derivative(derivative)(*args)
    assert max_relative_error(got, numerical_grad(f, args, 0)) < 1e-6
    assert line in [s.strip() for s in render(derivative).splitlines()]
