"""Property tests of the elementwise rules: operators, binary and unary ufuncs."""

import numpy as np
import pytest
from hypothesis import given
from hypothesis import strategies as st
from hypothesis.extra import numpy as hnp
from rule_checks import (
    check_generic,
    check_grad,
    check_rule,
    draw_array,
    draw_weights,
    weighted_sum,
)
from rule_domains import (
    ARITHMETIC,
    CONDITION,
    ELEMENTWISE,
    HALF_GRID,
    LOWER,
    NONZERO,
    POSITIVE,
    UPPER,
)

import srcdiff
from srcdiff.ir.prims import lookup
from srcdiff.rules import rule_for

BROADCASTING = {**ARITHMETIC, **ELEMENTWISE}
SHAPES = {"max_dims": 3, "max_side": 3}


@pytest.mark.parametrize("op", BROADCASTING, ids=lambda op: op.__name__)
@given(data=st.data())
def test_broadcasting_rule(op, data):
    inputs = BROADCASTING[op].inputs
    shapes = data.draw(
        hnp.mutually_broadcastable_shapes(num_shapes=len(inputs), **SHAPES)
    )
    args = [
        draw_array(
            data, elements, shape, dtype=bool if elements is CONDITION else np.float64
        )
        for elements, shape in zip(inputs, shapes.input_shapes, strict=True)
    ]
    G = draw_weights(data, shapes.result_shape)
    f = weighted_sum(op, G, len(inputs))
    expected = check_grad(f, args)
    check_rule(data, op, args, G)
    check_generic(f, args, expected)


@given(
    data=st.data(),
    exponent=st.sampled_from([-2, -1, 0, 1, 2, 3]),
    shape=hnp.array_shapes(min_dims=0, **SHAPES),
)
def test_power_with_a_constant_exponent(data, exponent, shape):
    # Integer exponents: any nonzero base, the exponent's gradient never built.
    x = draw_array(data, NONZERO, shape)
    G = draw_weights(data, shape)

    def f(x):
        return np.sum(x**exponent * G)

    expected = check_grad(f, [x])
    check_generic(f, [x], expected)


@given(
    data=st.data(),
    base=POSITIVE,
    shape=hnp.array_shapes(min_dims=0, **SHAPES),
)
def test_power_of_a_constant_base(data, base, shape):
    y = draw_array(data, NONZERO, shape)
    G = draw_weights(data, shape)

    def f(y):
        return np.sum(base**y * G)

    expected = check_grad(f, [y])
    check_generic(f, [y], expected)


@given(data=st.data(), lower=st.booleans())
def test_clip_with_one_bound(data, lower):
    shapes = data.draw(hnp.mutually_broadcastable_shapes(num_shapes=2, **SHAPES))
    a = draw_array(data, HALF_GRID, shapes.input_shapes[0])
    bound = draw_array(data, LOWER if lower else UPPER, shapes.input_shapes[1])
    G = draw_weights(data, shapes.result_shape)
    if lower:

        def f(a, bound):
            return np.sum(np.clip(a, bound, None) * G)

        args = (a, bound, None)
    else:

        def f(a, bound):
            return np.sum(np.clip(a, None, bound) * G)

        args = (a, None, bound)
    expected = check_grad(f, [a, bound])
    check_rule(data, np.clip, args, G)
    check_generic(f, [a, bound], expected)


@given(data=st.data())
def test_clip_with_crossed_bounds(data):
    # a_min > a_max on purpose: NumPy returns a_max everywhere.
    shapes = data.draw(hnp.mutually_broadcastable_shapes(num_shapes=3, **SHAPES))
    a, a_min, a_max = (
        draw_array(data, elements, shape)
        for elements, shape in zip(
            (HALF_GRID, UPPER, LOWER), shapes.input_shapes, strict=True
        )
    )
    G = draw_weights(data, shapes.result_shape)
    f = weighted_sum(np.clip, G, 3)
    expected = check_grad(f, [a, a_min, a_max])
    check_rule(data, np.clip, [a, a_min, a_max], G)
    check_generic(f, [a, a_min, a_max], expected)


@given(data=st.data(), shape=hnp.array_shapes(min_dims=0, **SHAPES))
def test_clip_with_constant_bounds(data, shape):
    a = draw_array(data, HALF_GRID, shape)
    G = draw_weights(data, shape)

    def f(a):
        return np.sum(np.clip(a, -0.5, 0.75) * G)

    expected = check_grad(f, [a])
    check_generic(f, [a], expected)


# ----- Conventions at ties: exact values on hand-made inputs -----
W = np.array([1.0, 10.0, 100.0])
X = np.array([1.0, 2.0, 3.0])


@pytest.mark.parametrize(
    ("op", "dx", "dy"),
    [
        # max(X, 2) = [2, 2, 3]: y wins the first, the second is a tie, x the third.
        (np.maximum, [0.0, 5.0, 100.0], 1.0 + 5.0),
        # min(X, 2) = [1, 2, 2]: x wins the first, the second is a tie, y the third.
        (np.minimum, [1.0, 5.0, 0.0], 5.0 + 100.0),
        # fmax and fmin agree with maximum and minimum when there is no NaN.
        (np.fmax, [0.0, 5.0, 100.0], 1.0 + 5.0),
        (np.fmin, [1.0, 5.0, 0.0], 5.0 + 100.0),
    ],
    ids=["maximum", "minimum", "fmax", "fmin"],
)
def test_ties_share_the_gradient_equally(op, dx, dy):
    def f(x, y):
        return np.sum(op(x, y) * W)

    grad_x, grad_y = srcdiff.grad(f, wrt=("x", "y"))(X, 2.0)
    np.testing.assert_array_equal(grad_x, dx)
    assert grad_y == dy
    rule_x, rule_y = rule_for(lookup(op))(W, op(X, 2.0), X, 2.0)
    np.testing.assert_array_equal(rule_x, dx)
    assert rule_y == dy


def test_abs_has_gradient_zero_at_zero():
    def f(x):
        return np.sum(np.abs(x) * W)

    np.testing.assert_array_equal(
        srcdiff.grad(f)(np.array([0.0, -1.0, 2.0])), [0.0, -10.0, 100.0]
    )


def test_power_of_a_zero_base_has_exponent_gradient_zero():
    # 0 ** y is 0 for every y > 0: no gradient there, not 0 * log(0) = nan
    # (and a Python 0.0 base must not stop the trace at 0.0 ** (y - 1)).
    base = np.array([0.0, 2.0])

    def f(y):
        return np.sum(np.power(base, y))

    def g(y):
        return np.power(0.0, y)

    y = np.array([0.5, 1.5])
    got = srcdiff.grad(f)(y)
    assert np.array_equal(got, [0.0, 2.0**1.5 * np.log(2.0)])
    assert srcdiff.grad(g)(0.7) == 0.0
