"""Property tests of the product rules: matmul, dot and outer."""

import operator

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
)
from rule_domains import LINALG

import srcdiff

# Optional n and m: vectors on either side; loop dimensions broadcast.
MATMUL = hnp.mutually_broadcastable_shapes(
    signature="(n?,k),(k,m?)->(n?,m?)", max_dims=2, max_side=3
)
# np.dot: the same without loop dimensions, or a scalar times an array.
MATRICES = hnp.mutually_broadcastable_shapes(
    signature="(n?,k),(k,m?)->(n?,m?)", max_dims=0, max_side=3
).map(lambda shapes: shapes.input_shapes)
UP_TO_2D = hnp.array_shapes(min_dims=0, max_dims=2, max_side=3)
SCALAR_TIMES = st.one_of(
    st.tuples(st.just(()), UP_TO_2D), st.tuples(UP_TO_2D, st.just(()))
)


def draw_pair(data, op, shapes):
    a_elements, b_elements = LINALG[op].inputs
    a, b = shapes
    return draw_array(data, a_elements, a), draw_array(data, b_elements, b)


@given(data=st.data(), shapes=MATMUL)
def test_matmul(data, shapes):
    a, b = draw_pair(data, operator.matmul, shapes.input_shapes)
    a, b = np.asarray(a), np.asarray(b)  # @ needs arrays, never Python floats
    G = draw_weights(data, shapes.result_shape)

    def f(a, b):
        return np.sum((a @ b) * G)

    expected = check_grad(f, [a, b])
    check_rule(data, operator.matmul, [a, b], G)
    check_generic(f, [a, b], expected)


@given(data=st.data(), shapes=st.one_of(MATRICES, SCALAR_TIMES))
def test_dot(data, shapes):
    a, b = draw_pair(data, np.dot, shapes)
    G = draw_weights(data, np.shape(np.dot(a, b)))

    def f(a, b):
        return np.sum(np.dot(a, b) * G)

    check_grad(f, [a, b])
    check_rule(data, np.dot, [a, b], G)
    # Scalar or matrix product is a question only an example answers (the rule
    # says so); a generic guess was silently wrong for 0-d operands.
    with pytest.raises(srcdiff.NeedsExample):
        srcdiff.grad(f, wrt=("a", "b")).derivative()


@given(data=st.data(), shapes=st.tuples(UP_TO_2D, UP_TO_2D))
def test_outer(data, shapes):
    # np.outer flattens both inputs first, whatever their shapes.
    a, b = draw_pair(data, np.outer, shapes)
    G = draw_weights(data, np.shape(np.outer(a, b)))

    def f(a, b):
        return np.sum(np.outer(a, b) * G)

    expected = check_grad(f, [a, b])
    check_rule(data, np.outer, [a, b], G)
    check_generic(f, [a, b], expected)
