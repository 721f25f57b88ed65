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

# Each 1-D/2-D pairing on its own, so every branch of the rules runs.
CORE = {
    "vector-vector": "(k),(k)->()",
    "matrix-vector": "(n,k),(k)->(n)",
    "vector-matrix": "(k),(k,m)->(m)",
    "matrix-matrix": "(n,k),(k,m)->(n,m)",
}
# Optional n and m (vectors on either side) with broadcast loop dimensions.
BATCHED = hnp.mutually_broadcastable_shapes(
    signature="(n?,k),(k,m?)->(n?,m?)", max_dims=2, max_side=3
).map(lambda shapes: shapes.input_shapes)
UP_TO_2D = hnp.array_shapes(min_dims=0, max_dims=2, max_side=3)
SCALAR_TIMES = st.one_of(
    st.tuples(st.just(()), UP_TO_2D), st.tuples(UP_TO_2D, st.just(()))
)


def core_shapes(signature):
    return hnp.mutually_broadcastable_shapes(
        signature=signature, max_dims=0, max_side=3
    ).map(lambda shapes: shapes.input_shapes)


def draw_pair(data, op, shapes, allow_float=True):
    a_elements, b_elements = LINALG[op].inputs
    a, b = shapes
    return (
        draw_array(data, a_elements, a, allow_float=allow_float),
        draw_array(data, b_elements, b, allow_float=allow_float),
    )


def check_matmul(data, shapes):
    a, b = draw_pair(data, operator.matmul, shapes, allow_float=False)
    G = draw_weights(data, (a @ b).shape)

    def f(a, b):
        return np.sum((a @ b) * G)

    expected = check_grad(f, [a, b])
    check_rule(data, operator.matmul, [a, b], G)
    check_generic(f, [a, b], expected)


@pytest.mark.parametrize("signature", CORE.values(), ids=list(CORE))
@given(data=st.data())
def test_matmul(signature, data):
    check_matmul(data, data.draw(core_shapes(signature)))


@given(data=st.data(), shapes=BATCHED)
def test_matmul_with_batch_dimensions(data, shapes):
    check_matmul(data, shapes)


def check_dot(data, shapes):
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


@pytest.mark.parametrize("signature", CORE.values(), ids=list(CORE))
@given(data=st.data())
def test_dot(signature, data):
    check_dot(data, data.draw(core_shapes(signature)))


@given(data=st.data(), shapes=SCALAR_TIMES)
def test_dot_with_a_scalar(data, shapes):
    check_dot(data, shapes)


@st.composite
def dot_shapes_beyond_2d(draw):
    """Shapes np.dot takes with one side above 2-D: a's last axis as long as
    b's second-to-last (b's only axis when b is 1-D)."""
    a_ndim, b_ndim = draw(
        st.tuples(st.integers(1, 3), st.integers(1, 3)).filter(lambda n: max(n) > 2)
    )
    a = [draw(st.integers(1, 3)) for _ in range(a_ndim)]
    b = [draw(st.integers(1, 3)) for _ in range(b_ndim)]
    b[max(b_ndim - 2, 0)] = a[-1]
    return tuple(a), tuple(b)


@given(data=st.data(), shapes=dot_shapes_beyond_2d())
def test_dot_beyond_2d(data, shapes):
    # Not matmul's stacks: every leading axis of a meets every one of b.
    check_dot(data, shapes)


def test_dot_of_two_stacks_is_not_matmul():
    a = np.arange(12.0).reshape(2, 2, 3) / 7
    b = np.cos(np.arange(24.0)).reshape(2, 3, 4)
    G = np.sin(np.arange(32.0)).reshape(2, 2, 2, 4)

    def f(a, b):
        return np.sum(np.dot(a, b) * G)

    got = srcdiff.grad(f, wrt=("a", "b"))(a, b)
    assert np.allclose(got[0], np.einsum("ijkl,kml->ijm", G, b))
    assert np.allclose(got[1], np.einsum("ijm,ijkl->kml", a, G))


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
