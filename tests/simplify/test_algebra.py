"""The peephole identities of ``srcdiff.simplify`` (``algebra``, ``fills``) as
the builder applies them when a statement is bound, and as they read in
emitted gradients."""

from __future__ import annotations

import re

import numpy as np

import srcdiff
from srcdiff.ir.nodes import Var
from srcdiff.ir.prims import ADD, DIV, MUL, NEG, PRIMS, SUB, TRANSPOSE
from srcdiff.trace.builder import Builder

BROADCAST_TO = PRIMS[np.broadcast_to]


def _params(builder: Builder, *values: np.ndarray) -> list[Var]:
    leaves = []
    for i, value in enumerate(values):
        leaf = Var(f"p{i}", value, kind="param")
        builder.input_sizes(leaf)
        leaves.append(leaf)
    return leaves


def _made(builder: Builder, value: Var) -> tuple[object, tuple[object, ...]]:
    stmt = builder.defs[value]
    return stmt.prim, stmt.args


def test_neutral_operands_are_dropped():
    b = Builder()
    (x,) = _params(b, np.arange(3.0))
    read_sizes = len(b.stmts)
    assert b.bind(MUL, (x, 1)) is x
    assert b.bind(MUL, (1, x)) is x
    assert b.bind(ADD, (0, x)) is x
    assert b.bind(SUB, (x, 0)) is x
    assert b.bind(DIV, (x, 1)) is x
    assert len(b.stmts) == read_sizes


def test_neutral_operands_stay_where_they_change_the_dtype():
    b = Builder()
    (n,) = _params(b, np.arange(3))  # ints: x * 1.0 is a float array
    assert _made(b, b.bind(MUL, (n, 1.0))) == (MUL, (n, 1.0))


def test_zero_minus_is_negation_and_double_negation_cancels():
    b = Builder()
    (x,) = _params(b, np.arange(3.0))
    read_sizes = len(b.stmts)
    negative = b.bind(SUB, (0, x))
    assert _made(b, negative) == (NEG, (x,))
    assert b.bind(NEG, (negative,)) is x
    assert len(b.stmts) == read_sizes + 1


def test_minus_signs_move_outwards_and_cancel():
    b = Builder()
    x, y = _params(b, np.arange(3.0), np.ones(3))
    product = b.bind(MUL, (b.bind(NEG, (x,)), b.bind(NEG, (y,))))
    assert _made(b, product) == (MUL, (x, y))
    total = b.bind(ADD, (x, b.bind(NEG, (y,))))  # x + -y
    assert _made(b, total) == (SUB, (x, y))
    difference = b.bind(SUB, (x, b.bind(NEG, (y,))))  # x - -y
    assert _made(b, difference) == (ADD, (x, y))


def test_a_linear_operation_of_a_negation_is_negated():
    b = Builder()
    (x,) = _params(b, np.arange(3.0))
    total = b.bind(PRIMS[np.sum], (b.bind(NEG, (x,)),))
    prim, (inner,) = _made(b, total)
    assert prim is NEG
    assert _made(b, inner) == (PRIMS[np.sum], (x,))


def test_number_factors_cancel():
    b = Builder()
    x, y = _params(b, np.arange(3.0), np.ones(3))
    twice = b.bind(MUL, (x, 2))
    result = b.bind(DIV, (b.bind(MUL, (twice, y)), 2))  # x * 2 * y / 2
    assert _made(b, result) == (MUL, (x, y))
    np.testing.assert_array_equal(result.value, np.arange(3.0))


def test_a_reciprocal_factor_is_a_division_and_a_negative_one_a_negation():
    b = Builder()
    (x,) = _params(b, np.arange(3.0))
    assert _made(b, b.bind(MUL, (x, 0.25))) == (DIV, (x, 4))
    prim, (inner,) = _made(b, b.bind(MUL, (x, -3)))
    assert prim is NEG
    assert _made(b, inner) == (MUL, (x, 3))


def test_transposes_cancel():
    b = Builder()
    (m,) = _params(b, np.ones((2, 3)))
    once = b.bind(TRANSPOSE, (m,))
    assert _made(b, once) == (TRANSPOSE, (m,))
    assert b.bind(TRANSPOSE, (once,)) is m


def test_arithmetic_on_a_scalar_fill_stays_a_fill():
    b = Builder()
    (x,) = _params(b, np.ones((2, 3)))
    fill = b.bind(BROADCAST_TO, (2.0, b.shape_value(x)))
    assert b.scalar_fill(fill) == 2.0
    tripled = b.bind(MUL, (fill, 3.0))
    assert b.scalar_fill(tripled) == 6.0
    np.testing.assert_array_equal(tripled.value, np.full((2, 3), 6.0))


def test_a_fill_another_operand_shapes_is_not_broadcast():
    b = Builder()
    x, s = _params(b, np.ones((2, 3)), np.array(2.0))
    fill = b.bind(BROADCAST_TO, (s, b.shape_value(x)))
    assert _made(b, b.bind(MUL, (fill, x))) == (MUL, (s, x))


def test_the_total_of_a_fill_is_a_product_with_its_size():
    b = Builder()
    x, s = _params(b, np.ones((2, 3)), np.array(2.0))
    fill = b.bind(BROADCAST_TO, (s, b.shape_value(x)))
    prim, (scalar, size) = _made(b, b.bind(PRIMS[np.sum], (fill,)))
    assert (prim, scalar) == (MUL, s)
    assert _made(b, size) == (PRIMS[np.size], (x,))
    assert b.bind(PRIMS[np.mean], (fill,)) is s


def test_a_reshaped_fill_is_a_fill():
    b = Builder()
    (x,) = _params(b, np.ones((2, 3)))
    fill = b.bind(BROADCAST_TO, (2.0, b.shape_value(x)))
    flat = b.bind(PRIMS[np.reshape], (fill, (-1,)))
    assert b.scalar_fill(flat) == 2.0
    assert flat.value.shape == (6,)


def twice(x):
    return np.sum(x * 2 + x * 2)


def negated_twice(a, b):
    return np.sum(np.negative(-a) * b)


def mean_scaled(x):
    return np.mean(x) * 3.0


def _gradient_line(f, *args: np.ndarray) -> str:
    g = srcdiff.grad(f)
    g(*args)
    lines = [s.strip() for s in g.source.splitlines()]
    (line,) = [s for s in lines if re.match(r"d\w+ = ", s)]
    return line


def test_emitted_gradients_read_as_folded():
    assert _gradient_line(twice, np.ones(3)) == "dx = np.full((len(x),), 4.0)"
    assert _gradient_line(negated_twice, np.ones(3), np.ones(3)) == "da = np.copy(b)"
    assert (
        _gradient_line(mean_scaled, np.ones((2, 3)))
        == "dx = np.full(np.shape(x), 3.0 / np.size(x))"
    )


def test_the_broadcast_of_a_negated_number_stays_a_fill():
    # broadcast_to(-c, s) is not rewritten to -(broadcast_to(c, s)): that
    # would hide the fill from the rules that fold it into its readers.
    b = Builder()
    (x,) = _params(b, np.ones((2, 3)))
    size = b.bind(PRIMS[np.size], (x,))
    c = b.bind(DIV, (1.0, size))
    fill = b.bind(BROADCAST_TO, (b.bind(NEG, (c,)), b.shape_value(x)))
    assert _made(b, fill)[0] is BROADCAST_TO
    assert b.scalar_fill(fill) is not None


def mean_of_named_rows(data, z):
    log_lik = -0.5 * np.sum((data - z) ** 2, axis=1)
    return -np.mean(log_lik)


def test_the_mean_of_a_named_value_folds_through_it():
    g = srcdiff.grad(mean_of_named_rows, wrt="z")
    g(np.ones((8, 2)), np.zeros((8, 2)))
    body = [line.strip() for line in g.source.split("\n\n")[-1].splitlines()]
    assert body == ["dz = -(data - z) / data.shape[0]", "return dz"]
