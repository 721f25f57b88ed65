"""Property tests of the rules that reorder, join, split, pad and select elements."""

import itertools
import math

import numpy as np
import pytest
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
from rule_domains import CONDITION, FINE_GRID, REAL, Row

import srcdiff
from srcdiff.errors import NeedsExample, SrcdiffError

# ----- Domains (srcdiff/rules/reshaping.py): every rule here is smooth -----
RESHAPING = {
    np.ravel: Row((REAL,)),
    np.moveaxis: Row((REAL,)),
    np.rollaxis: Row((REAL,)),
    np.flip: Row((REAL,)),
    np.fliplr: Row((REAL,)),
    np.flipud: Row((REAL,)),
    np.roll: Row((REAL,)),
    np.rot90: Row((REAL,)),
    np.repeat: Row((REAL,)),
    np.tile: Row((REAL,)),
    np.concatenate: Row((REAL,)),
    np.append: Row((REAL, REAL)),
    np.vstack: Row((REAL,)),
    np.hstack: Row((REAL,)),
    np.dstack: Row((REAL,)),
    np.column_stack: Row((REAL,)),
    np.atleast_1d: Row((REAL,)),
    np.atleast_2d: Row((REAL,)),
    np.atleast_3d: Row((REAL,)),
    np.split: Row((REAL,)),
    np.array_split: Row((REAL,)),
    np.hsplit: Row((REAL,)),
    np.vsplit: Row((REAL,)),
    np.dsplit: Row((REAL,)),
    np.pad: Row((REAL,)),
    np.triu: Row((REAL,)),
    np.tril: Row((REAL,)),
    np.diag: Row((REAL,)),
    np.diagonal: Row((REAL,)),
    np.take: Row((REAL,)),
    np.take_along_axis: Row((REAL,)),
    np.select: Row((CONDITION, REAL, REAL)),
    np.full_like: Row((REAL, REAL)),
    # Distinct values on a grid: no ties, and each is 1/64 from the next.
    np.sort: Row((FINE_GRID,), distinct=True),
    np.partition: Row((FINE_GRID,), distinct=True),
}
ELEMENTS = REAL
SHAPES = hnp.array_shapes(min_dims=0, max_dims=3, max_side=3)
NONEMPTY = hnp.array_shapes(min_dims=1, max_dims=3, max_side=3)


def check_all(data, f, args, fn, primal_args, G, kwargs=None, generic=True):
    """End to end on ``f``, the rule of ``fn`` on arrays, and the no-example path."""
    expected = check_grad(f, args)
    check_rule(data, fn, primal_args, G, kwargs)
    if generic:
        check_generic(f, args, expected)


def array(data, shape):
    return draw_array(data, ELEMENTS, shape, allow_float=False)


def axis_of(ndim):
    """One axis, either way round."""
    return st.integers(-ndim, ndim - 1)


# ----- Reordering -----
@given(data=st.data(), shape=SHAPES, how=st.sampled_from(["C", "F", "ravel", "flat"]))
def test_ravel(data, shape, how):
    x = array(data, shape)
    G = draw_weights(data, (x.size,))
    kwargs = {"order": how} if how in ("C", "F") else {}
    if how == "ravel":

        def f(x):
            return np.sum(x.ravel() * G)

    elif how == "flat":

        def f(x):
            return np.sum(x.flatten() * G)

    else:

        def f(x):
            return np.sum(np.ravel(x, **kwargs) * G)

    check_all(data, f, [x], np.ravel, [x], G, kwargs)


@given(data=st.data(), shape=NONEMPTY)
def test_moveaxis(data, shape):
    ndim = len(shape)
    source = data.draw(hnp.valid_tuple_axes(ndim, min_size=1))
    destination = data.draw(
        hnp.valid_tuple_axes(ndim, min_size=len(source), max_size=len(source))
    )
    if len(source) == 1 and data.draw(st.booleans()):
        source, destination = source[0], destination[0]
    x = array(data, shape)
    G = draw_weights(data, np.moveaxis(x, source, destination).shape)

    def f(x):
        return np.sum(np.moveaxis(x, source, destination) * G)

    check_all(data, f, [x], np.moveaxis, [x, source, destination], G)


@given(data=st.data(), shape=NONEMPTY)
def test_rollaxis(data, shape):
    ndim = len(shape)
    axis = data.draw(axis_of(ndim))
    start = data.draw(st.integers(-ndim, ndim))
    x = array(data, shape)
    G = draw_weights(data, np.rollaxis(x, axis, start).shape)

    def f(x):
        return np.sum(np.rollaxis(x, axis, start) * G)

    # Negative axes need the number of dimensions to place the axis.
    check_all(
        data, f, [x], np.rollaxis, [x, axis, start], G, generic=min(axis, start) >= 0
    )


@given(data=st.data(), shape=SHAPES, which=st.sampled_from(["flip", "lr", "ud"]))
def test_flip(data, shape, which):
    ndim = len(shape)
    fn = {"flip": np.flip, "lr": np.fliplr, "ud": np.flipud}[which]
    assume(ndim >= {"flip": 0, "lr": 2, "ud": 1}[which])
    kwargs = {}
    if which == "flip" and data.draw(st.booleans()):
        kwargs["axis"] = data.draw(
            st.one_of(st.none(), axis_of(ndim), hnp.valid_tuple_axes(ndim))
            if ndim
            else st.none()
        )
    x = array(data, shape)
    G = draw_weights(data, shape)

    def f(x):
        return np.sum(fn(x, **kwargs) * G)

    check_all(data, f, [x], fn, [x], G, kwargs)


@given(data=st.data(), shape=SHAPES)
def test_roll(data, shape):
    ndim = len(shape)
    form = data.draw(st.sampled_from(["flat", "axis", "axes"] if ndim else ["flat"]))
    if form == "flat":
        shift, kwargs = data.draw(st.integers(-5, 5)), {}
    elif form == "axis":
        shift, kwargs = (
            data.draw(st.integers(-5, 5)),
            {"axis": data.draw(axis_of(ndim))},
        )
    else:
        axes = data.draw(hnp.valid_tuple_axes(ndim, min_size=1))
        shift = tuple(data.draw(st.integers(-5, 5)) for _ in axes)
        kwargs = {"axis": axes}
    x = array(data, shape)
    G = draw_weights(data, shape)

    def f(x):
        return np.sum(np.roll(x, shift, **kwargs) * G)

    check_all(data, f, [x], np.roll, [x, shift], G, kwargs)


@given(data=st.data(), shape=hnp.array_shapes(min_dims=2, max_dims=4, max_side=3))
def test_rot90(data, shape):
    ndim = len(shape)
    k = data.draw(st.integers(-3, 4))
    axes = data.draw(hnp.valid_tuple_axes(ndim, min_size=2, max_size=2))
    kwargs = data.draw(st.sampled_from([{}, {"axes": axes}]))
    x = array(data, shape)
    G = draw_weights(data, np.rot90(x, k, **kwargs).shape)

    def f(x):
        return np.sum(np.rot90(x, k, **kwargs) * G)

    check_all(data, f, [x], np.rot90, [x, k], G, kwargs)


@given(data=st.data(), shape=SHAPES, axis=st.none() | st.integers(-3, 2))
def test_sort(data, shape, axis):
    ndim = len(shape)
    assume(axis is None or -ndim <= axis < ndim)
    kwargs = {} if axis == -1 else {"axis": axis}
    x = draw_array(data, FINE_GRID, shape, distinct=True, allow_float=False)
    G = draw_weights(data, np.sort(x, **kwargs).shape)

    def f(x):
        return np.sum(np.sort(x, **kwargs) * G)

    check_all(data, f, [x], np.sort, [x], G, kwargs)


@given(data=st.data(), shape=NONEMPTY, axis=st.none() | st.integers(-3, 2))
def test_partition(data, shape, axis):
    ndim = len(shape)
    assume(axis is None or -ndim <= axis < ndim)
    n = math.prod(shape) if axis is None else shape[axis]
    kth = data.draw(
        st.integers(-n, n - 1) | st.lists(st.integers(0, n - 1), min_size=1, max_size=3)
    )
    kwargs = {} if axis == -1 else {"axis": axis}
    x = draw_array(data, FINE_GRID, shape, distinct=True, allow_float=False)
    G = draw_weights(data, np.partition(x, kth, **kwargs).shape)

    def f(x):
        return np.sum(np.partition(x, kth, **kwargs) * G)

    check_all(data, f, [x], np.partition, [x, kth], G, kwargs)


# ----- Copies -----
@given(data=st.data(), shape=SHAPES, axis=st.none() | st.integers(-3, 2))
def test_repeat(data, shape, axis):
    ndim = len(shape)
    assume(axis is None or -ndim <= axis < ndim)
    n = math.prod(shape) if axis is None else shape[axis]
    repeats = data.draw(
        st.integers(0, 3)
        | hnp.arrays(np.int64, (n,), elements=st.integers(0, 3))
        | st.lists(st.integers(0, 3), min_size=n, max_size=n)
    )
    kwargs = {} if axis is None else {"axis": axis}
    x = array(data, shape)
    G = draw_weights(data, np.repeat(x, repeats, **kwargs).shape)
    if data.draw(st.booleans()):

        def f(x):
            return np.sum(x.repeat(repeats, **kwargs) * G)

    else:

        def f(x):
            return np.sum(np.repeat(x, repeats, **kwargs) * G)

    check_all(data, f, [x], np.repeat, [x, repeats], G, kwargs)


@given(data=st.data(), shape=SHAPES)
def test_tile(data, shape):
    reps = data.draw(
        st.integers(0, 3) | st.lists(st.integers(0, 3), max_size=4).map(tuple)
    )
    x = array(data, shape)
    G = draw_weights(data, np.tile(x, reps).shape)

    def f(x):
        return np.sum(np.tile(x, reps) * G)

    # The no-example path needs the number of dimensions (NeedsExample).
    check_all(data, f, [x], np.tile, [x, reps], G, generic=False)


# ----- Joining -----
@st.composite
def joinable(draw, min_dims=1):
    """Shapes that agree except along ``axis``, and that axis (or None)."""
    base = draw(hnp.array_shapes(min_dims=min_dims, max_dims=3, min_side=1, max_side=3))
    axis = draw(st.none() | axis_of(len(base)))
    count = draw(st.integers(1, 3))
    if axis is None:  # anything goes: the arrays are flattened
        return [draw(SHAPES) for _ in range(count)], axis
    widths = [draw(st.integers(0, 3)) for _ in range(count)]
    at = axis % len(base)
    return [(*base[:at], w, *base[at + 1 :]) for w in widths], axis


@given(data=st.data(), shapes_axis=joinable())
def test_concatenate_of_a_list(data, shapes_axis):
    shapes, axis = shapes_axis
    kwargs = {} if axis == 0 else {"axis": axis}
    xs = [array(data, shape) for shape in shapes]
    G = draw_weights(data, np.concatenate(xs, **kwargs).shape)

    def f(xs):
        return np.sum(np.concatenate(xs, **kwargs) * G)

    # No generic check: without an example, srcdiff cannot know xs is a list.
    check_grad(f, [xs])
    check_rule(data, np.concatenate, [xs], G, kwargs)


@given(data=st.data(), shapes_axis=joinable())
def test_concatenate_of_named_values(data, shapes_axis):
    shapes, axis = shapes_axis
    x = array(data, shapes[0])
    y = array(data, shapes[-1])
    G = draw_weights(data, np.concatenate([x, y, x], axis=axis).shape)

    def f(x, y):
        return np.sum(np.concatenate([x, y, x], axis=axis) * G)

    expected = check_grad(f, [x, y])
    check_generic(f, [x, y], expected)


@given(data=st.data(), shapes_axis=joinable())
def test_append(data, shapes_axis):
    shapes, axis = shapes_axis
    kwargs = {} if axis is None else {"axis": axis}
    x = array(data, shapes[0])
    values = draw_array(data, REAL, shapes[-1])
    G = draw_weights(data, np.append(x, values, **kwargs).shape)

    def f(x, values):
        return np.sum(np.append(x, values, **kwargs) * G)

    check_all(data, f, [x, values], np.append, [x, values], G, kwargs)


@given(data=st.data(), shape=hnp.array_shapes(min_dims=2, max_dims=3, max_side=3))
def test_concatenate_of_an_array(data, shape):
    # np.concatenate(x) joins the rows of x.
    axis = data.draw(axis_of(len(shape) - 1))
    x = array(data, shape)
    G = draw_weights(data, np.concatenate(x, axis=axis).shape)

    def f(x):
        return np.sum(np.concatenate(x, axis=axis) * G)

    check_all(data, f, [x], np.concatenate, [x], G, {"axis": axis}, generic=False)


@st.composite
def r_shapes(draw):
    """Two shapes np.r_ joins: 0-d or 1-D, or N-D that agree past the first axis."""
    if draw(st.booleans()):
        flat = st.sampled_from([(), (1,), (2,), (3,)])
        return draw(flat), draw(flat)
    base = draw(hnp.array_shapes(min_dims=2, max_dims=3, max_side=3))
    return base, (draw(st.integers(0, 3)), *base[1:])


@given(data=st.data(), shapes=r_shapes())
def test_r_index_expression(data, shapes):
    x, y = array(data, shapes[0]), array(data, shapes[1])
    flat = np.ndim(x) <= 1  # constants and ranges join 0-d and 1-D items only

    def join(x, y):
        if flat:
            return np.r_[x, 0.5, y, 0:2, x]
        return np.r_[x, y, x]

    G = draw_weights(data, join(x, y).shape)

    def f(x, y):
        return np.sum(join(x, y) * G)

    expected = check_grad(f, [x, y])
    check_generic(f, [x, y], expected)


@st.composite
def c_shapes(draw):
    """Two shapes np.c_ joins: 1-D ones as columns beside (n, k) matrices
    (a 0-d one when n is 1), or 3-D ones that agree but for the last axis."""
    if draw(st.booleans()):
        n = draw(st.integers(1, 3))
        options = [(n,), (n, draw(st.integers(0, 3)))] + ([()] if n == 1 else [])
        return draw(st.sampled_from(options)), draw(st.sampled_from(options))
    base = draw(hnp.array_shapes(min_dims=3, max_dims=3, max_side=3))
    return base, (*base[:-1], draw(st.integers(0, 3)))


@given(data=st.data(), shapes=c_shapes())
def test_c_index_expression(data, shapes):
    x, y = array(data, shapes[0]), array(data, shapes[1])
    G = draw_weights(data, np.c_[x, y, x].shape)

    def f(x, y):
        return np.sum(np.c_[x, y, x] * G)

    check_grad(f, [x, y])
    # 1-D items become columns, others join along their last axis: without
    # an example srcdiff cannot tell which, and says so.
    with pytest.raises(NeedsExample):
        srcdiff.grad(f).derivative()


def test_r_and_c_of_autograd_numpy():
    import autograd.numpy as anp

    def f(x, y):
        return anp.sum(anp.r_[x, y] ** 2) + anp.sum(anp.c_[x, x] * y[0])

    x, y = np.array([1.0, -2.0]), np.array([0.5, 3.0])
    dx, dy = srcdiff.grad(f, wrt=(0, 1))(x, y)
    assert np.allclose(dx, 2 * x + 2 * y[0])
    assert np.allclose(dy, 2 * y + [2 * np.sum(x), 0])


def test_r_with_a_directive_is_refused():
    def f(x):
        return np.sum(np.r_["0,2", x, x])

    with pytest.raises(SrcdiffError, match="directive"):
        srcdiff.grad(f)(np.ones(3))


def as_columns(a):
    """How np.column_stack promotes an array: 0-d and 1-D ones become a column."""
    return a if a.ndim >= 2 else np.array(a, ndmin=2).T


# How each stacking function promotes its inputs, and the fewest dimensions
# of the promoted arrays.
STACKS = {
    np.vstack: (np.atleast_2d, 2),
    np.hstack: (np.atleast_1d, 1),
    np.dstack: (np.atleast_3d, 3),
    np.column_stack: (as_columns, 2),
}


def sources(target, promote):
    """The shapes that ``promote`` turns into ``target``: it, or it less some 1s."""
    ones = [i for i, n in enumerate(target) if n == 1]
    found = []
    for k in range(len(ones) + 1):
        for dropped in itertools.combinations(ones, k):
            shape = tuple(n for i, n in enumerate(target) if i not in dropped)
            if promote(np.empty(shape)).shape == target:
                found.append(shape)
    return found


@given(data=st.data(), fn=st.sampled_from(list(STACKS)))
def test_stack_functions(data, fn):
    promote, min_dims = STACKS[fn]
    base = data.draw(hnp.array_shapes(min_dims=min_dims, max_dims=3, max_side=3))
    axis = {np.vstack: 0, np.hstack: 1, np.dstack: 2, np.column_stack: 1}[fn]
    axis = 0 if len(base) == 1 else axis
    targets = [
        (*base[:axis], data.draw(st.integers(1, 3)), *base[axis + 1 :])
        for _ in range(data.draw(st.integers(1, 3)))
    ]
    xs = [array(data, data.draw(st.sampled_from(sources(t, promote)))) for t in targets]
    G = draw_weights(data, fn(xs).shape)

    def f(xs):
        return np.sum(fn(xs) * G)

    check_grad(f, [xs])
    check_rule(data, fn, [xs], G)


@given(
    data=st.data(),
    fn=st.sampled_from([*STACKS, np.stack]),
    shape=hnp.array_shapes(min_dims=1, max_dims=4, max_side=3),
)
def test_stack_functions_of_one_array(data, fn, shape):
    # NumPy joins the rows of one array; its gradient is an array of its shape
    # (it came back as a list of rows).
    kwargs = {"axis": data.draw(axis_of(len(shape)))} if fn is np.stack else {}
    x = array(data, shape)
    G = draw_weights(data, fn(x, **kwargs).shape)

    def f(x):
        return np.sum(fn(x, **kwargs) * G)

    check_all(data, f, [x], fn, [x], G, kwargs, generic=False)
    assert isinstance(srcdiff.grad(f)(x), np.ndarray)


@pytest.mark.filterwarnings("ignore:`row_stack` alias is deprecated")
def test_row_stack_is_vstack():
    def f(x, y):
        return np.sum(np.row_stack([x, y]) ** 2 * np.arange(6.0).reshape(2, 3))

    x, y = np.ones(3), np.ones(3)
    check_grad(f, [x, y])
    gradient = srcdiff.grad(f, wrt=(0, 1))
    gradient(x, y)
    assert "np.vstack" in gradient.source


@given(data=st.data(), shape=SHAPES, count=st.integers(1, 3))
def test_atleast_nd(data, shape, count):
    fn = data.draw(st.sampled_from([np.atleast_1d, np.atleast_2d, np.atleast_3d]))
    x = array(data, shape)
    if count == 1:
        G = draw_weights(data, fn(x).shape)

        def f(x):
            return np.sum(fn(x) * G)

        check_all(data, f, [x], fn, [x], G)
        return
    y = array(data, data.draw(SHAPES))
    Gx, Gy = draw_weights(data, fn(x).shape), draw_weights(data, fn(y).shape)

    def f(x, y):
        a, b = fn(x, y)
        return np.sum(a * Gx) + np.sum(b * Gy)

    check_grad(f, [x, y])


# ----- Splitting -----
SPLITS = {
    np.split: 1,
    np.array_split: 1,
    np.hsplit: 1,
    np.vsplit: 2,
    np.dsplit: 3,
}


@given(data=st.data(), fn=st.sampled_from(list(SPLITS)))
def test_split_functions(data, fn):
    shape = data.draw(
        hnp.array_shapes(min_dims=SPLITS[fn], max_dims=3, min_side=0, max_side=4)
    )
    kwargs = {}
    if fn in (np.split, np.array_split) and data.draw(st.booleans()):
        kwargs["axis"] = data.draw(axis_of(len(shape)))
    axis = kwargs.get(
        "axis", {np.hsplit: min(1, len(shape) - 1), np.dsplit: 2}.get(fn, 0)
    )
    n = shape[axis]
    # Sections (np.split wants a divisor) or sorted split points, past the end too.
    sections = st.sampled_from(
        [d for d in range(1, 5) if n % d == 0]
        if fn is not np.array_split
        else [1, 2, 3]
    )
    points = st.lists(st.integers(0, n + 1), max_size=3).map(sorted)
    where = data.draw(sections | points if n or fn is np.array_split else points)
    x = array(data, shape)
    # Some pieces are used, each weighted differently; the others are not.
    count = len(fn(x, where, **kwargs))
    used = data.draw(st.lists(st.sampled_from(range(count)), min_size=1, unique=True))

    def f(x):
        parts = fn(x, where, **kwargs)
        return sum((i + 2.0) * np.sum(np.sin(parts[i])) for i in used)

    check_grad(f, [x])


def test_split_unpacked():
    def f(x):
        a, _, c = np.split(x, [1, 3])
        return np.sum(a * 2.0) + np.sum(c**2)

    x = np.arange(1.0, 6.0)
    np.testing.assert_array_equal(srcdiff.grad(f)(x), [2.0, 0.0, 0.0, 8.0, 10.0])


# ----- Padding, triangles and diagonals -----
PAD_FORMS = ["int", "one", "pair", "one pair", "per axis"]


@st.composite
def pad_widths(draw, ndim):
    form = draw(st.sampled_from(PAD_FORMS if ndim else PAD_FORMS[:4]))
    width = st.integers(0, 2)
    if form == "int":
        return form, draw(width)
    if form == "one":
        return form, (draw(width),)
    if form == "pair":
        return form, (draw(width), draw(width))
    if form == "one pair":
        return form, ((draw(width), draw(width)),)
    return form, tuple((draw(width), draw(width)) for _ in range(ndim))


@given(
    data=st.data(),
    shape=SHAPES,
    how=st.sampled_from(["default", "positional", "keyword"]),
)
def test_pad(data, shape, how):
    form, pad_width = data.draw(pad_widths(len(shape)))
    x = array(data, shape)
    c = data.draw(REAL)
    G = draw_weights(data, np.pad(x, pad_width).shape)
    if how == "default":

        def f(x, c):
            return np.sum(np.pad(x, pad_width, constant_values=c) * G)

    elif how == "positional":

        def f(x, c):
            return np.sum(np.pad(x, pad_width, "constant", constant_values=c) * G)

    else:

        def f(x, c):
            return np.sum(np.pad(x, pad_width, mode="constant", constant_values=c) * G)

    check_grad(f, [x, c])
    check_rule(data, np.pad, [x, pad_width], G, {"constant_values": c})
    # Without an example only per-axis widths say how many axes there are, and
    # only a constant_values left out is known to be one number.
    if form == "per axis" and len(shape) > 1:

        def zero_padded(x):
            return np.sum(np.pad(x, pad_width) * G)

        check_generic(zero_padded, [x], check_grad(zero_padded, [x]))


def test_pad_refuses_other_modes():
    def f(x):
        return np.sum(np.pad(x, 1, mode="reflect"))

    with pytest.raises(SrcdiffError, match=r"only mode=.constant."):
        srcdiff.grad(f)(np.ones(3))


@given(data=st.data(), shape=NONEMPTY, k=st.integers(-3, 3))
def test_triangles(data, shape, k):
    fn = data.draw(st.sampled_from([np.triu, np.tril]))
    kwargs = data.draw(st.sampled_from([{"k": k}, {}]))
    x = array(data, shape)
    G = draw_weights(data, fn(x, **kwargs).shape)

    def f(x):
        return np.sum(fn(x, **kwargs) * G)

    check_all(data, f, [x], fn, [x], G, kwargs)


@given(data=st.data(), ndim=st.integers(1, 2), k=st.integers(-3, 3))
def test_diag(data, ndim, k):
    shape = data.draw(
        hnp.array_shapes(min_dims=ndim, max_dims=ndim, min_side=0, max_side=4)
    )
    kwargs = data.draw(st.sampled_from([{"k": k}, {}]))
    x = array(data, shape)
    G = draw_weights(data, np.diag(x, **kwargs).shape)

    def f(x):
        return np.sum(np.diag(x, **kwargs) * G)

    # The no-example path cannot tell building a matrix from reading one.
    check_all(data, f, [x], np.diag, [x], G, kwargs, generic=False)


@given(data=st.data(), shape=hnp.array_shapes(min_dims=2, max_dims=4, max_side=4))
def test_diagonal(data, shape):
    ndim = len(shape)
    axis1, axis2 = data.draw(hnp.valid_tuple_axes(ndim, min_size=2, max_size=2))
    offset = data.draw(st.integers(-4, 4))
    kwargs = data.draw(
        st.sampled_from(
            [{}, {"offset": offset}, {"offset": offset, "axis1": axis1, "axis2": axis2}]
        )
    )
    x = array(data, shape)
    G = draw_weights(data, np.diagonal(x, **kwargs).shape)
    if "axis1" not in kwargs and data.draw(st.booleans()):

        def f(x):
            return np.sum(x.diagonal(**kwargs) * G)

    else:

        def f(x):
            return np.sum(np.diagonal(x, **kwargs) * G)

    check_all(data, f, [x], np.diagonal, [x], G, kwargs, generic=False)


# ----- Selecting elements -----
@given(data=st.data(), shape=SHAPES, axis=st.none() | st.integers(-3, 2))
def test_take(data, shape, axis):
    ndim = len(shape)
    assume(axis is None or -ndim <= axis < ndim)
    n = math.prod(shape) if axis is None else shape[axis]
    assume(n > 0)
    position = st.integers(-n, n - 1)
    indices = data.draw(
        position
        | hnp.arrays(
            np.int64,
            hnp.array_shapes(min_dims=0, max_dims=2, max_side=4),
            elements=position,
        )
        | st.lists(position, max_size=4)
    )
    kwargs = {} if axis is None else {"axis": axis}
    x = array(data, shape)
    G = draw_weights(data, np.take(x, indices, **kwargs).shape)
    if data.draw(st.booleans()):

        def f(x):
            return np.sum(x.take(indices, **kwargs) * G)

    else:

        def f(x):
            return np.sum(np.take(x, indices, **kwargs) * G)

    check_all(data, f, [x], np.take, [x, indices], G, kwargs)


@given(data=st.data(), shape=NONEMPTY, axis=st.none() | st.integers(-3, 2))
def test_take_along_axis(data, shape, axis):
    ndim = len(shape)
    assume(axis is None or -ndim <= axis < ndim)
    n = math.prod(shape) if axis is None else shape[axis]
    if axis is None:
        index_shape = (data.draw(st.integers(0, 4)),)
    else:
        # Any length along the axis; elsewhere the array's sides, or 1 to broadcast.
        index_shape = tuple(
            (
                data.draw(st.integers(0, 4))
                if i == axis % ndim
                else data.draw(st.sampled_from([1, side]))
            )
            for i, side in enumerate(shape)
        )
    indices = data.draw(
        hnp.arrays(np.int64, index_shape, elements=st.integers(-n, n - 1))
    )
    x = array(data, shape)
    G = draw_weights(data, np.take_along_axis(x, indices, axis=axis).shape)

    def f(x):
        return np.sum(np.take_along_axis(x, indices, axis=axis) * G)

    check_all(
        data, f, [x], np.take_along_axis, [x, indices], G, {"axis": axis}, generic=False
    )


@given(data=st.data(), count=st.integers(1, 3))
def test_select(data, count):
    # Choices and the default broadcast against each other and the conditions.
    shapes = data.draw(
        hnp.mutually_broadcastable_shapes(num_shapes=count + 2, max_dims=3, max_side=3)
    )
    *choice_shapes, default_shape, condition_shape = shapes.input_shapes
    conditions = data.draw(hnp.arrays(bool, (count, *condition_shape)))
    choicelist = [array(data, s) for s in choice_shapes]
    default = draw_array(data, REAL, default_shape)
    G = draw_weights(data, shapes.result_shape)

    def f(choicelist, default):
        condlist = [conditions[i] for i in range(count)]
        return np.sum(np.select(condlist, choicelist, default) * G)

    check_grad(f, [choicelist, default])
    check_rule(data, np.select, [list(conditions), choicelist, default], G)


@given(data=st.data(), shape=SHAPES)
def test_select_on_the_traced_values(data, shape):
    x = array(data, shape)

    def f(x):
        return np.sum(np.select([x > 1, x < -1], [np.sin(x), x**2], 0.5 * x))

    assume(not np.any(np.isclose(np.abs(x), 1.0, atol=1e-3)))
    expected = check_grad(f, [x])
    check_generic(f, [x], expected)


@given(
    data=st.data(),
    shapes=hnp.mutually_broadcastable_shapes(num_shapes=2, max_dims=3, max_side=3),
)
def test_full_like(data, shapes):
    # The fill value broadcasts to the shape of a, which gets no gradient.
    a_shape, fill_shape = shapes.input_shapes
    assume(np.broadcast_shapes(a_shape, fill_shape) == a_shape)
    a = array(data, a_shape)
    fill = draw_array(data, REAL, fill_shape)
    G = draw_weights(data, a_shape)

    def f(a, fill):
        return np.sum(np.full_like(a, fill) * G) + np.sum(
            np.zeros_like(a) + np.ones_like(a)
        )

    expected = check_grad(f, [a, fill])
    check_generic(f, [a, fill], expected)


def test_shape_generic_refusals_name_the_fix():
    def f(x):
        return np.sum(np.tile(x, 2))

    with pytest.raises(NeedsExample):
        srcdiff.grad(f).derivative()
