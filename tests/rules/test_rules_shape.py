"""Property tests of the shape rules: reshaping, indexing and construction."""

import math
import operator

import numpy as np
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
from rule_domains import SHAPE

import srcdiff
from srcdiff.ir.prims import lookup
from srcdiff.rules import rule_for

SHAPES = hnp.array_shapes(min_dims=0, max_dims=4, max_side=3)


def check_all(data, f, x, fn, primal_args, G, kwargs=None):
    """End to end on ``f(x)``, the rule of ``fn`` directly, the generic path."""
    expected = check_grad(f, [x])
    check_rule(data, fn, primal_args, G, kwargs)
    check_generic(f, [x], expected)


@st.composite
def reshapes(draw):
    """A shape and another with as many elements, -1 sometimes standing in."""
    shape = draw(SHAPES)
    size = math.prod(shape)
    candidates = [shape[::-1], (size,), (-1,), (*shape, 1), (1, *shape)]
    if shape:
        candidates += [(shape[0], -1), (-1, *shape[1:])]
    return shape, draw(st.sampled_from(candidates))


@given(
    data=st.data(),
    shapes=reshapes(),
    # "F" first: hypothesis favours the first choice, and C order is the default.
    kwargs=st.sampled_from([{"order": "F"}, {}, {"order": "C"}]),
)
def test_reshape(data, shapes, kwargs):
    shape, new = shapes
    x = draw_array(data, SHAPE[np.reshape].inputs[0], shape)
    G = draw_weights(data, np.reshape(x, new).shape)

    def f(x):
        return np.sum(np.reshape(x, new, **kwargs) * G)

    check_all(data, f, x, np.reshape, [x, new], G, kwargs)


@given(data=st.data(), shape=SHAPES, count=st.integers(0, 2))
def test_expand_dims(data, shape, count):
    # Axes of the output, so between -(ndim + count) and ndim + count - 1.
    axis = data.draw(
        hnp.valid_tuple_axes(len(shape) + count, min_size=count, max_size=count)
    )
    if count == 1 and data.draw(st.booleans()):
        axis = axis[0]
    x = draw_array(data, SHAPE[np.expand_dims].inputs[0], shape)
    G = draw_weights(data, np.expand_dims(x, axis).shape)

    def f(x):
        return np.sum(np.expand_dims(x, axis) * G)

    check_all(data, f, x, np.expand_dims, [x, axis], G)


@given(data=st.data(), shape=hnp.array_shapes(min_dims=0, max_dims=4, max_side=2))
def test_squeeze(data, shape):
    ones = [i for i, n in enumerate(shape) if n == 1]
    chosen = data.draw(
        st.lists(st.sampled_from(ones), unique=True) if ones else st.just([])
    )
    # Each axis either way round: i or i - ndim.
    axis = tuple(i - len(shape) * data.draw(st.booleans()) for i in chosen)
    kwargs = data.draw(
        st.sampled_from([{}, {"axis": axis}] + ([{"axis": axis[0]}] if axis else []))
    )
    x = draw_array(data, SHAPE[np.squeeze].inputs[0], shape)
    G = draw_weights(data, np.squeeze(x, **kwargs).shape)

    def f(x):
        return np.sum(np.squeeze(x, **kwargs) * G)

    check_all(data, f, x, np.squeeze, [x], G, kwargs)


@given(data=st.data(), shape=SHAPES)
def test_transpose(data, shape):
    ndim = len(shape)
    order = data.draw(st.permutations(range(ndim)))
    axes = tuple(i - ndim * data.draw(st.booleans()) for i in order)
    with_axes = data.draw(st.booleans())
    x = draw_array(data, SHAPE[np.transpose].inputs[0], shape, allow_float=False)
    G = draw_weights(data, np.transpose(x, axes).shape if with_axes else shape[::-1])
    if with_axes:

        def f(x):
            return np.sum(np.transpose(x, axes) * G)

        args = [x, axes]
    else:

        def f(x):
            return np.sum(x.T * G)

        args = [x]
    check_all(data, f, x, np.transpose, args, G)


@given(data=st.data(), shape=hnp.array_shapes(min_dims=1, max_dims=4, max_side=3))
def test_swapaxes(data, shape):
    ndim = len(shape)
    axis1, axis2 = data.draw(st.tuples(*[st.integers(-ndim, ndim - 1)] * 2))
    x = draw_array(data, SHAPE[np.swapaxes].inputs[0], shape)
    G = draw_weights(data, np.swapaxes(x, axis1, axis2).shape)

    def f(x):
        return np.sum(np.swapaxes(x, axis1, axis2) * G)

    check_all(data, f, x, np.swapaxes, [x, axis1, axis2], G)


@given(data=st.data(), target=hnp.array_shapes(min_dims=0, max_dims=4, max_side=3))
def test_broadcast_to(data, target):
    # A trailing part of the target, some of its sides squeezed to 1.
    kept = data.draw(st.integers(0, len(target)))
    shape = tuple(
        1 if data.draw(st.booleans()) else n for n in target[len(target) - kept :]
    )
    x = draw_array(data, SHAPE[np.broadcast_to].inputs[0], shape)
    G = draw_weights(data, target)

    def f(x):
        return np.sum(np.broadcast_to(x, target) * G)

    check_all(data, f, x, np.broadcast_to, [x, target], G)


@st.composite
def indices(draw, shape):
    """Basic indices (ints, slices, negative steps, ..., None) or integer arrays."""
    basic = hnp.basic_indices(shape, min_dims=0, allow_newaxis=True)
    if not shape or 0 in shape:
        return draw(basic)
    arrays = hnp.integer_array_indices(
        shape, result_shape=hnp.array_shapes(min_dims=0, max_dims=2, max_side=4)
    )
    return draw(st.one_of(basic, arrays, st.just(slice(None, None, -1))))


@given(data=st.data(), shape=SHAPES)
def test_getitem(data, shape):
    index = data.draw(indices(shape))
    x = draw_array(data, SHAPE[operator.getitem].inputs[0], shape, allow_float=False)
    G = draw_weights(data, np.shape(x[index]))

    def f(x):
        return np.sum(x[index] * G)

    check_all(data, f, x, operator.getitem, [x, index], G)


def test_getitem_with_repeated_indices_accumulates():
    def f(x):
        return np.sum(x[np.array([2, 0, 2, 2])] * np.array([1.0, 10.0, 100.0, 1000.0]))

    np.testing.assert_array_equal(srcdiff.grad(f)(np.zeros(3)), [10.0, 0.0, 1101.0])
    x, index = np.zeros(2), (np.array([[0, 0], [1, 0]]),)
    g = np.array([[1.0, 2.0], [4.0, 8.0]])
    rule = rule_for(lookup(operator.getitem))
    np.testing.assert_array_equal(rule(g, x[index], x, index), [11.0, 4.0])


def nest(data, lengths, shape):
    """A rectangular nested list of arrays of ``shape``, ``lengths`` outermost first."""
    if not lengths:
        return draw_array(data, SHAPE[np.array].inputs[0], shape)
    return [nest(data, lengths[1:], shape) for _ in range(lengths[0])]


@given(data=st.data(), shape=hnp.array_shapes(min_dims=0, max_dims=2, max_side=3))
def test_array_of_nested_lists(data, shape):
    # Leaves of shape () are Python floats or 0-d arrays, mixed.
    lengths = data.draw(st.lists(st.integers(1, 3), min_size=1, max_size=2))
    xs = nest(data, lengths, shape)
    G = draw_weights(data, np.array(xs).shape)

    def f(xs):
        return np.sum(np.array(xs) * G)

    # No generic check: without an example, srcdiff cannot know xs is a list.
    check_grad(f, [xs])
    check_rule(data, np.array, [xs], G)


@given(data=st.data(), shape=hnp.array_shapes(min_dims=0, max_dims=2, max_side=3))
def test_array_of_named_values_and_constants(data, shape):
    # x appears twice, so its gradient adds up; 2.0 * y is a computed element.
    x = draw_array(data, SHAPE[np.array].inputs[0], shape)
    y = draw_array(data, SHAPE[np.array].inputs[0], shape)
    G = draw_weights(data, (2, 3, *shape))

    def f(x, y):
        return np.sum(np.array([[x, y, x], [2.0 * y, x, np.ones(shape)]]) * G)

    expected = check_grad(f, [x, y])
    check_generic(f, [x, y], expected)


def stack_axes(shape):
    """Keyword arguments of np.stack for inputs of ``shape``: any output axis."""
    ndim = len(shape) + 1
    return st.one_of(st.just({}), st.builds(dict, axis=st.integers(-ndim, ndim - 1)))


@given(
    data=st.data(),
    shape=hnp.array_shapes(min_dims=0, max_dims=3, max_side=3),
    count=st.integers(1, 3),
)
def test_stack_of_a_list(data, shape, count):
    kwargs = data.draw(stack_axes(shape))
    elements = SHAPE[np.stack].inputs[0]
    xs = [draw_array(data, elements, shape, allow_float=False) for _ in range(count)]
    G = draw_weights(data, np.stack(xs, **kwargs).shape)

    def f(xs):
        return np.sum(np.stack(xs, **kwargs) * G)

    # No generic check: without an example, srcdiff cannot know xs is a list.
    check_grad(f, [xs])
    check_rule(data, np.stack, [xs], G, kwargs)


@given(data=st.data(), shape=hnp.array_shapes(min_dims=0, max_dims=3, max_side=3))
def test_stack_of_named_values(data, shape):
    kwargs = data.draw(stack_axes(shape))
    x = draw_array(data, SHAPE[np.stack].inputs[0], shape)
    y = draw_array(data, SHAPE[np.stack].inputs[0], shape)
    G = draw_weights(data, np.stack([x, y, x], **kwargs).shape)

    def f(x, y):
        return np.sum(np.stack([x, y, x], **kwargs) * G)

    expected = check_grad(f, [x, y])
    check_generic(f, [x, y], expected)
