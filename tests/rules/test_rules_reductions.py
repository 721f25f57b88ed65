"""Property tests of the reduction rules over every axis and keepdims variant."""

import numpy as np
import pytest
from hypothesis import given
from hypothesis import strategies as st
from hypothesis.extra import numpy as hnp
from rule_checks import (
    WEIGHT,
    axes,
    check_generic,
    check_grad,
    check_rule,
    draw_array,
    draw_weights,
    options,
)
from rule_domains import REDUCTIONS
from scipy.special import logsumexp

import srcdiff
from srcdiff.ir.prims import lookup
from srcdiff.rules import rule_for


@pytest.mark.parametrize("op", REDUCTIONS, ids=lambda op: op.__name__)
@given(data=st.data())
def test_reduction_rule(op, data):
    row = REDUCTIONS[op]
    # Sums of nothing are fine; max, min, mean and logsumexp of nothing are not.
    min_side = 0 if op is np.sum else 1
    shape = data.draw(
        hnp.array_shapes(min_dims=0, max_dims=4, min_side=min_side, max_side=3)
    )
    kwargs = data.draw(options(len(shape)))
    x = draw_array(data, row.inputs[0], shape, distinct=row.distinct)
    G = draw_weights(data, np.shape(op(x, **kwargs)))

    def f(x):
        return np.sum(op(x, **kwargs) * G)

    expected = check_grad(f, [x])
    check_rule(data, op, [x], G, kwargs)
    check_generic(f, [x], expected)


@given(data=st.data())
def test_methods_and_aliases(data):
    # x.max(...), np.amin, x.mean(...) and x.sum(...) reach the same rules.
    shape = data.draw(hnp.array_shapes(min_dims=1, max_dims=3, max_side=3))
    x = draw_array(data, REDUCTIONS[np.max].inputs[0], shape, distinct=True)
    axis = data.draw(axes(len(shape)))
    G = data.draw(WEIGHT)

    def f(x):
        top = x.max(axis=axis, keepdims=True)
        low = np.amin(x, axis)
        return G * (np.sum(top) + np.sum(low) + x.mean() + x.sum(axis=axis).sum())

    expected = check_grad(f, [x])
    check_generic(f, [x], expected)


# ----- Conventions at ties: exact values on hand-made inputs -----
TIED = np.array([[1.0, 3.0, 3.0, 2.0], [0.0, 0.0, 0.0, -1.0]])


@pytest.mark.parametrize(
    ("op", "axis", "expected"),
    [
        (np.max, None, [[0, 0.5, 0.5, 0], [0, 0, 0, 0]]),
        (np.max, 1, [[0, 0.5, 0.5, 0], [1 / 3, 1 / 3, 1 / 3, 0]]),
        (np.max, 0, [[1, 1, 1, 1], [0, 0, 0, 0]]),
        (np.min, None, [[0, 0, 0, 0], [0, 0, 0, 1]]),
        (np.min, 1, [[1, 0, 0, 0], [0, 0, 0, 1]]),
        (np.min, (0, 1), [[0, 0, 0, 0], [0, 0, 0, 1]]),
    ],
)
def test_ties_share_the_gradient_equally(op, axis, expected):
    def f(x):
        return np.sum(op(x, axis=axis))

    np.testing.assert_array_equal(srcdiff.grad(f)(TIED), expected)
    ans = op(TIED, axis=axis)
    rule = rule_for(lookup(op))
    np.testing.assert_array_equal(
        rule(np.ones_like(ans), ans, TIED, axis=axis), expected
    )


@given(data=st.data())
def test_logsumexp_with_weights(data):
    # log(sum(b * exp(a))), b broadcast against a: a gradient for both.
    shape = data.draw(hnp.array_shapes(min_dims=1, max_dims=3, max_side=3))
    kept = data.draw(st.integers(0, len(shape)))
    b_shape = tuple(n if data.draw(st.booleans()) else 1 for n in shape[kept:])
    a = draw_array(data, REDUCTIONS[logsumexp].inputs[0], shape)
    b = np.exp(draw_array(data, REDUCTIONS[logsumexp].inputs[0], b_shape))
    kwargs = data.draw(options(len(shape)))
    G = draw_weights(data, np.shape(logsumexp(a, b=b, **kwargs)))

    def f(a, b):
        return np.sum(logsumexp(a, b=b, **kwargs) * G)

    expected = check_grad(f, [a, b])
    check_rule(data, logsumexp, [a], G, {"b": b, **kwargs})
    check_generic(f, [a, b], expected)


def test_logsumexp_with_weights_that_enlarge_a_is_refused():
    def f(a, b):
        return logsumexp(a, b=b)

    with pytest.raises(srcdiff.UnsupportedPrimitive, match="broadcast a first"):
        srcdiff.grad(f)(np.zeros(3), np.ones((2, 3)))
