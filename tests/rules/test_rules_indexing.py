"""Property tests of indexing, ``x[index]``, in every form NumPy has.

Each gradient is taken with respect to the indexed array and compared with
central differences: basic indices (ints, slices with any step, ``None``,
``...``), integer arrays (repeated entries accumulate), boolean masks
(including masks computed from the traced array), and their mixtures.
"""

import operator

import autograd
import autograd.numpy as anp
import numpy as np
from hypothesis import assume, given
from hypothesis import strategies as st
from hypothesis.extra import numpy as hnp
from rule_checks import (
    check_generic,
    check_grad,
    check_rule,
    draw_array,
    draw_weights,
)
from rule_domains import REAL

import srcdiff
from srcdiff.numeric import max_relative_error

SHAPES = hnp.array_shapes(min_dims=0, max_dims=4, min_side=0, max_side=3)
NONEMPTY = hnp.array_shapes(min_dims=1, max_dims=3, min_side=1, max_side=3)


def check_index(data, x, index):
    """``sum(x[index] * G)``: end to end, the rule directly, the no-example path."""
    G = draw_weights(data, x[index].shape)

    def f(x):
        return np.sum(x[index] * G)

    expected = check_grad(f, [x])
    check_rule(data, operator.getitem, [x, index], G)
    check_generic(f, [x], expected)
    return expected[0]


def array(data, shape):
    return draw_array(data, REAL, shape, allow_float=False)


@given(data=st.data(), shape=SHAPES)
def test_basic_indices(data, shape):
    # Ints (negative too), slices with any step, None and Ellipsis.
    index = data.draw(
        hnp.basic_indices(shape, min_dims=0, allow_newaxis=True, allow_ellipsis=True)
    )
    check_index(data, array(data, shape), index)


@given(data=st.data(), shape=NONEMPTY)
def test_integer_arrays(data, shape):
    # One array per axis, broadcast together: small sides repeat entries.
    index = data.draw(
        hnp.integer_array_indices(
            shape, result_shape=hnp.array_shapes(min_dims=0, max_dims=3, max_side=4)
        )
    )
    if len(index) == 1 and data.draw(st.booleans()):
        index = index[0]  # x[array] rather than x[(array,)]
    check_index(data, array(data, shape), index)


@st.composite
def slices(draw, n):
    bound = st.none() | st.integers(-n - 1, n + 1)
    step = st.none() | st.integers(-3, 3).filter(bool)
    return slice(draw(bound), draw(bound), draw(step))


@st.composite
def mixed_indices(draw, shape):
    """Ints, slices, integer and boolean arrays on the axes, None and ... between."""
    advanced = draw(hnp.array_shapes(min_dims=0, max_dims=2, max_side=3))
    parts = []
    for n in shape[: draw(st.integers(0, len(shape)))]:
        kinds = ["slice", "all"] + (["int", "array", "mask", "list"] if n else [])
        kind = draw(st.sampled_from(kinds))
        if kind == "int":
            parts.append(draw(st.integers(-n, n - 1)))
        elif kind == "slice":
            parts.append(draw(slices(n)))
        elif kind == "all":
            parts.append(slice(None))
        elif kind == "array":
            within = hnp.broadcastable_shapes(advanced, max_dims=len(advanced))
            elements = st.integers(-n, n - 1)
            parts.append(draw(hnp.arrays(np.int64, within, elements=elements)))
        elif kind == "mask":
            parts.append(draw(hnp.arrays(bool, (n,))))
        else:
            parts.append(draw(st.lists(st.integers(-n, n - 1), min_size=1, max_size=3)))
    for _ in range(draw(st.integers(0, 2))):
        parts.insert(draw(st.integers(0, len(parts))), None)
    if draw(st.booleans()):
        parts.insert(draw(st.integers(0, len(parts))), ...)
    return tuple(parts)


def valid(shape, index):
    """Whether NumPy accepts ``index`` (the arrays of a mix must broadcast)."""
    try:
        np.empty(shape)[index]
    except IndexError:
        return False
    return True


@given(data=st.data(), shape=SHAPES)
def test_mixed_indices(data, shape):
    index = data.draw(mixed_indices(shape))
    assume(valid(shape, index))
    x = array(data, shape)
    got = check_index(data, x, index)
    # An independent differentiator agrees (autograd also scatters with add.at).
    G = np.cos(np.arange(np.empty(shape)[index].size)).reshape(x[index].shape)
    expected = autograd.grad(lambda x: anp.sum(x[index] * G))(x)
    assert (
        max_relative_error(srcdiff.grad(lambda x: np.sum(x[index] * G))(x), expected)
        < 1e-12
    )
    assert np.shape(got) == np.shape(x)


@given(data=st.data(), shape=NONEMPTY)
def test_boolean_masks(data, shape):
    # A mask over the leading axes, or over one axis with the others sliced.
    k = data.draw(st.integers(0, len(shape)))
    if k == len(shape) or data.draw(st.booleans()):
        index = data.draw(hnp.arrays(bool, shape[:k]))
    else:
        mask = data.draw(hnp.arrays(bool, (shape[k],)))
        index = (*[slice(None)] * k, mask)
    check_index(data, array(data, shape), index)


@given(data=st.data(), shape=NONEMPTY)
def test_mask_from_the_traced_array(data, shape):
    # Values stay clear of the threshold, so the mask is the same for x +- h.
    levels = st.sampled_from([-1.5, -0.75, 0.5, 1.25])
    x = draw_array(data, levels, shape, allow_float=False)
    x = x + data.draw(hnp.arrays(np.float64, shape, elements=st.floats(-0.2, 0.2)))

    def f(x):
        return np.sum(x[x > 0] ** 2) + np.sum(np.sin(x[np.nonzero(x < 0)]))

    expected = check_grad(f, [x])
    check_generic(f, [x], expected)


@given(data=st.data(), shape=NONEMPTY)
def test_index_arrays_as_arguments(data, shape):
    # The index is an argument of f: traced, but not differentiated.
    index = tuple(data.draw(hnp.integer_array_indices(shape)))
    x = array(data, shape)
    G = draw_weights(data, x[index].shape)

    def f(x, index):
        return np.sum(x[index] * G)

    expected = check_grad(f, [x, index])
    check_generic(f, [x, index], expected)


@given(data=st.data(), shape=NONEMPTY)
def test_indices_computed_from_the_array(data, shape):
    x = draw_array(
        data, st.integers(-64, 64).map(lambda k: k / 16), shape, distinct=True
    )

    def f(x):
        flat = np.ravel(x)
        order = np.argsort(flat)
        return flat[np.argmax(x)] ** 2 + np.sum(
            flat[order[:2]] * np.array([1.0, -3.0])[: order[:2].size]
        )

    expected = check_grad(f, [x])
    check_generic(f, [x], expected)


@given(
    data=st.data(),
    shape=hnp.array_shapes(min_dims=2, max_dims=3, min_side=2, max_side=3),
)
def test_chained_indexing(data, shape):
    x = array(data, shape)
    G = draw_weights(data, x[1:][::-1][None, ..., 0][:, -1].shape)

    def f(x):
        return np.sum(x[1:][::-1][None, ..., 0][:, -1] * G)

    expected = check_grad(f, [x])
    check_generic(f, [x], expected)


def test_repeated_indices_accumulate():
    x = np.zeros((3, 4))

    def rows(x):
        return np.sum(x[[0, 2, 0, 0]] * np.array([[1.0], [10.0], [100.0], [1000.0]]))

    expected = np.zeros((3, 4))
    expected[0], expected[2] = 1101.0, 10.0
    np.testing.assert_array_equal(srcdiff.grad(rows)(x), expected)

    def pairs(x):
        i, j = np.array([[1, 1], [2, 1]]), np.array([[3, 3], [0, 3]])
        return np.sum(x[i, j] * np.array([[1.0, 2.0], [4.0, 8.0]]))

    expected = np.zeros((3, 4))
    expected[1, 3], expected[2, 0] = 11.0, 4.0
    np.testing.assert_array_equal(srcdiff.grad(pairs)(x), expected)

    def columns(x):
        return np.sum(x[:, [3, 3, 1]] * np.array([1.0, 2.0, 4.0]))

    expected = np.zeros((3, 4))
    expected[:, 3], expected[:, 1] = 3.0, 4.0
    np.testing.assert_array_equal(srcdiff.grad(columns)(x), expected)


def test_newaxis_and_ellipsis_by_name():
    x, y = np.arange(1.0, 4.0), np.arange(1.0, 3.0)

    def f(x, y):
        outer = x[:, np.newaxis] * y[np.newaxis, :]
        return np.sum(outer[..., 1] ** 2)

    expected = check_grad(f, [x, y])
    check_generic(f, [x, y], expected)


def test_empty_selections():
    x = np.arange(1.0, 7.0).reshape(2, 3)

    def f(x):
        return (
            np.sum(x[x > 100.0])
            + np.sum(x[[], :])
            + np.sum(x[:, 3:])
            + np.sum(x[1, ::-1])
        )

    np.testing.assert_array_equal(
        srcdiff.grad(f)(x), [[0.0, 0.0, 0.0], [1.0, 1.0, 1.0]]
    )
