"""Functions traced with zero gradient: code that uses them still differentiates.

Each is piecewise constant, integer- or boolean-valued, or built from shapes,
so its derivative is 0 wherever it has one. The tests differentiate code that
uses them (masks, indices, rounding, branches) against central differences,
with values kept away from the jumps; and check that the functions which are
differentiable in some argument (np.full, np.nextafter, ...) are not among them.
"""

import operator

import numpy as np
import pytest
from hypothesis import given
from hypothesis import strategies as st
from hypothesis.extra import numpy as hnp
from rule_checks import check_generic, check_grad, draw_array, draw_weights
from rule_domains import FINE_GRID, HALF_GRID, NONZERO, REAL, floats

import srcdiff
from srcdiff.ir.prims import METHODS, lookup
from srcdiff.rules import rule_for
from srcdiff.rules.numpy import nondiff

SHAPES = {"max_dims": 3, "max_side": 3}
# k / 2 + 1/4: a quarter away from every whole and half number, where the
# rounding functions jump (np.round rounds halves to even).
QUARTERS = st.integers(-12, 12).map(lambda k: k / 2 + 0.25)
# Distinct values on a fine grid, off the grid points: never 0, never tied,
# never on an edge that is a multiple of 1/64.
RANKED = FINE_GRID.map(lambda v: v + 1 / 128)
ROUNDING = [np.floor, np.ceil, np.round, np.around, np.rint, np.trunc, np.fix]
# Elementwise tests and the like; the values never sit on a jump of them.
ELEMENTWISE = [
    np.sign,
    np.signbit,
    np.spacing,
    np.isnan,
    np.isinf,
    np.isfinite,
    np.isposinf,
    np.isneginf,
    np.isreal,
    np.iscomplex,
    np.zeros_like,
    np.ones_like,
]


@pytest.mark.parametrize("op", ROUNDING, ids=lambda op: op.__name__)
@given(data=st.data())
def test_rounding(op, data):
    shapes = data.draw(hnp.mutually_broadcastable_shapes(num_shapes=2, **SHAPES))
    x = draw_array(data, REAL, shapes.input_shapes[0])
    y = draw_array(data, QUARTERS, shapes.input_shapes[1])
    G = draw_weights(data, shapes.result_shape)

    def f(x, y):
        # The rounded value scales x; on y's own path it has derivative 0.
        return np.sum((x + 1) * op(y) * G + op(y) * y)

    expected = check_grad(f, [x, y])
    check_generic(f, [x, y], expected)


@given(data=st.data(), shape=hnp.array_shapes(min_dims=0, **SHAPES))
def test_rounding_to_decimals(data, shape):
    # (k + 1/4) / 10 is a quarter step away from where rounding to 1 decimal jumps.
    x = draw_array(data, st.integers(-24, 24).map(lambda k: (k + 0.25) / 10), shape)
    G = draw_weights(data, shape)

    def f(x):
        return np.sum(x * np.round(x, 1) * G + np.around(x, decimals=1))

    expected = check_grad(f, [x])
    check_generic(f, [x], expected)


@pytest.mark.parametrize("op", ELEMENTWISE, ids=lambda op: op.__name__)
@given(data=st.data(), shape=hnp.array_shapes(min_dims=0, **SHAPES))
def test_elementwise_tests(op, data, shape):
    x = draw_array(data, NONZERO, shape)
    G = draw_weights(data, shape)

    def f(x):
        return np.sum(x * op(x) * G)

    expected = check_grad(f, [x])
    check_generic(f, [x], expected)


@pytest.mark.parametrize("op", ROUNDING + ELEMENTWISE, ids=lambda op: op.__name__)
def test_alone_on_the_path_the_gradient_is_zero(op):
    def f(x):
        return np.sum(op(x) * np.array([1.0, 2.0, 3.0]))

    x = np.array([0.25, -1.75, 2.25])
    grad = srcdiff.grad(f)(x)
    np.testing.assert_array_equal(grad, np.zeros(3))
    assert grad.dtype == np.float64


@given(data=st.data())
def test_masks_and_logic(data):
    shapes = data.draw(hnp.mutually_broadcastable_shapes(num_shapes=2, **SHAPES))
    # Off the grid of eighths: never on a threshold below, or a jump of round.
    x = draw_array(data, HALF_GRID, shapes.input_shapes[0])
    y = draw_array(data, HALF_GRID, shapes.input_shapes[1])
    G = draw_weights(data, shapes.result_shape)

    def f(x, y):
        a, b = x > 0.5, y <= -0.5
        masks = [
            np.logical_and(x, y > 0),
            np.logical_or(a, b),
            np.logical_xor(a, b),
            np.logical_not(y - 1),
            a & b,
            a | ~b,
            a ^ b,
            np.isclose(x, y + 1 / 32),
            np.isin(np.round(y), np.array([1.0, 2.0])),
        ]
        return np.sum(sum(m * x * y for m in masks) * G)

    expected = check_grad(f, [x, y])
    check_generic(f, [x, y], expected)


@given(data=st.data(), n=st.integers(1, 5))
def test_indices(data, n):
    x = draw_array(data, REAL, (n,), allow_float=False)
    y = draw_array(data, RANKED, (n,), distinct=True, allow_float=False)
    G = draw_weights(data, (n,))
    edges = np.array([-2.0, 0.0, 2.0])

    def f(x, y):
        picked = (
            x[np.argmax(y)] * x[np.argmin(y)] + x[np.nanargmax(y)] * x[np.nanargmin(y)]
        )
        by_rank = np.sum(x[np.argsort(y)] * G)
        positive = np.sum(x[np.nonzero(y > 0)]) + np.sum(x[np.flatnonzero(y < 0)])
        wrapped = np.sum(x[np.argwhere(y > 0)[:, 0]])
        counted = np.count_nonzero(y > 0) * np.sum(x * y)
        binned = np.sum(x * np.searchsorted(edges, y)) + np.sum(
            x * np.digitize(y, edges)
        )
        return picked + by_rank + positive + wrapped + counted + binned

    expected = check_grad(f, [x, y])
    check_generic(f, [x, y], expected)


@given(data=st.data(), shape=hnp.array_shapes(min_dims=1, **SHAPES))
def test_indices_along_an_axis(data, shape):
    x = draw_array(data, REAL, shape)
    y = draw_array(data, RANKED, shape, distinct=True)
    axis = data.draw(st.integers(-len(shape), len(shape) - 1))

    def f(x, y):
        best = np.expand_dims(np.argmax(y, axis=axis), axis)
        worst = np.expand_dims(np.argmin(y, axis=axis), axis)
        ranked = np.argsort(y, axis=axis)
        return (
            np.sum(np.take_along_axis(x, best, axis) ** 2)
            + np.sum(np.take_along_axis(x, worst, axis))
            + np.sum(np.take_along_axis(x, ranked, axis) * y)
        )

    check_grad(f, [x, y])


@given(n=st.integers(1, 4), data=st.data())
def test_constructors(n, data):
    x = draw_array(data, REAL, (n,), allow_float=False)

    def f(x):
        built = (
            np.zeros(n)
            + np.ones((n,))
            + np.eye(n)[0]
            + np.identity(n)[-1]
            + np.arange(n)
            + np.arange(1.0, n + 1.0)
            + np.zeros_like(x)
            + np.ones_like(x)
            + np.empty((n,)).shape[0]
            + np.empty_like(x).size
        )
        return np.sum(x * built)

    expected = check_grad(f, [x])
    check_generic(f, [x], expected)


def test_predicates_decide_branches():
    def f(x, y):
        if np.any(x > 10) or not np.all(x < 10) or np.iscomplexobj(x):
            return np.sum(x)
        if np.allclose(x, y) or np.array_equal(x, y) or np.array_equiv(x, 0.0):
            return np.sum(x * 2.0)
        return np.sum(x**2) if np.isrealobj(y) and not np.isscalar(y) else np.sum(x)

    g = srcdiff.grad(f)
    x = np.array([1.0, 2.0])
    np.testing.assert_array_equal(g(x, x + 1), 2 * x)
    np.testing.assert_array_equal(g(x, x), [2.0, 2.0])
    np.testing.assert_array_equal(g(x + 10, x), [1.0, 1.0])


@given(data=st.data(), shape=hnp.array_shapes(min_dims=1, **SHAPES))
def test_methods(data, shape):
    x = draw_array(data, QUARTERS, shape)
    y = draw_array(data, RANKED, shape, distinct=True)

    def f(x, y):
        flat = np.reshape(x, -1)
        return (
            np.sum(x * x.round())
            + np.sum(x * y.round())
            + flat[y.argmax()]
            + flat[y.argmin()]
            + np.sum(np.take_along_axis(x, y.argsort(axis=-1), -1) * y)
            + np.sum(x[y.nonzero()])
            + np.sum(x * (y > 0).any())
            + np.sum(x * (y > 0).all(axis=0))
        )

    check_grad(f, [x, y])


@given(data=st.data())
def test_floor_divide(data):
    shapes = data.draw(hnp.mutually_broadcastable_shapes(num_shapes=2, **SHAPES))
    # Quarters over a whole divisor: never a whole quotient, where // jumps.
    x = draw_array(data, QUARTERS, shapes.input_shapes[0])
    y = draw_array(
        data, st.sampled_from([-2.0, -1.0, 1.0, 3.0]), shapes.input_shapes[1]
    )

    def f(x, y):
        return np.sum(x * (x // y) + np.floor_divide(x, y) * y)

    expected = check_grad(f, [x, y])
    check_generic(f, [x, y], expected)


def test_registered_without_rules():
    for name in nondiff.SAME + nondiff.BROADCAST + nondiff.OTHER + ["floor_divide"]:
        prim = lookup(getattr(np, name))
        assert not prim.differentiable, name
        assert rule_for(prim) is None, name
    for op in (operator.floordiv, operator.xor, operator.and_, operator.invert):
        assert not lookup(op).differentiable
    for name in ["round", "argmax", "argmin", "argsort", "nonzero", "any", "all"]:
        assert METHODS[name] is getattr(np, name)


@pytest.mark.parametrize(
    "f",
    [
        lambda x: np.sum(np.full(3, x) * np.array([1.0, 2.0, 3.0])),
        lambda x: np.sum(np.full_like(np.zeros(3), x) * np.array([1.0, 2.0, 3.0])),
        lambda x: np.sum(np.linspace(x, 2 * x, 3) * np.array([1.0, 2.0, 3.0])),
        lambda x: np.sum(np.nextafter(x, np.array([0.0, 5.0, -5.0]))),
        lambda x: np.sum(np.heaviside(np.array([0.0, 1.0, 0.0]), x)),
    ],
    ids=["full", "full_like", "linspace", "nextafter", "heaviside"],
)
def test_differentiable_in_some_argument_so_not_zero(f):
    # Tracing these with zero gradient would be silently wrong.
    expected = check_grad(f, [0.75])
    assert expected[0] != 0


@given(x=floats(0.4, 0.6))
def test_zero_gradient_in_the_middle_of_a_path(x):
    # floor and sign are locally constant: what passes through them is cut.
    def f(x):
        return np.exp(x) * np.floor(3 * x) + np.sign(np.sin(x)) * x**2

    check_grad(f, [x])
