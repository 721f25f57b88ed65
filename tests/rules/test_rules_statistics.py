"""Property tests of srcdiff/rules/statistics.py: prod, var, std, the nan
family, cumsum, cumprod, diff, trace, linalg.norm, average, median and ptp,
over their axis, keepdims, ddof, ord, n, offset and weights variants.
"""

import autograd
import autograd.numpy as anp
import numpy as np
import pytest
from hypothesis import assume, given
from hypothesis import strategies as st
from hypothesis.extra import numpy as hnp
from rule_checks import (
    TOL,
    WEIGHT,
    axes,
    check_generic,
    check_grad,
    check_rule,
    draw_array,
    draw_weights,
    options,
)
from rule_domains import FINE_GRID, POSITIVE, REAL, Row, floats

import srcdiff
from srcdiff.api import compile_derivative
from srcdiff.ir.prims import lookup
from srcdiff.numeric import max_relative_error, numerical_grad
from srcdiff.rules import rule_for

# A quarter grid holding 0: products and running products of zeros are
# polynomials, smooth there, so central differences check the zero handling.
WITH_ZEROS = st.integers(-8, 8).map(lambda k: k / 4)
# The NaN-ignoring reductions: NaNs are placed separately (see `with_nans`).
BETWEEN = floats(-2, 2)

# ----- Domains: one row per differentiated function (as rule_domains.py) -----
STATISTICS = {
    np.prod: Row((WITH_ZEROS,)),
    np.nanprod: Row((WITH_ZEROS,)),
    np.cumprod: Row((WITH_ZEROS,)),
    np.cumsum: Row((REAL,)),
    np.var: Row((REAL,)),
    # std > 0: values without repeats, at least two per slice (see the test).
    np.std: Row((FINE_GRID,), distinct=True),
    np.nansum: Row((BETWEEN,)),
    np.nanmean: Row((BETWEEN,)),
    np.nanvar: Row((BETWEEN,)),
    np.nanstd: Row((FINE_GRID,), distinct=True),
    # Ties are kinks: values without repeats (ties are tested on purpose below).
    np.nanmax: Row((FINE_GRID,), distinct=True),
    np.nanmin: Row((FINE_GRID,), distinct=True),
    np.median: Row((FINE_GRID,), distinct=True),
    np.nanmedian: Row((FINE_GRID,), distinct=True),
    np.ptp: Row((FINE_GRID,), distinct=True),
    np.diff: Row((REAL, REAL, REAL)),
    np.trace: Row((REAL,)),
    # Weights sum to a positive number far from zero.
    np.average: Row((REAL, POSITIVE)),
    # Magnitudes from a grid, made distinct by `magnitudes`, at least 1/4:
    # no kink of |x|, no tie for inf norms, no zero for ord < 1.
    np.linalg.norm: Row((st.integers(2, 16).map(lambda k: k / 8),)),
}

SHAPES = hnp.array_shapes(min_dims=0, max_dims=3, min_side=1, max_side=3)
SHAPES_OR_EMPTY = hnp.array_shapes(min_dims=0, max_dims=3, min_side=0, max_side=3)


def count(shape, axis):
    """How many entries each result of a reduction over ``axis`` combines."""
    if axis is None:
        return int(np.prod(shape))
    picked = axis if isinstance(axis, tuple) else (axis,)
    return int(np.prod([shape[i] for i in picked]))


def with_nans(data, x, axis, present):
    """``x`` with NaNs in places, each reduced slice keeping ``present`` numbers."""
    if np.ndim(x) == 0:
        return x
    mask = data.draw(hnp.arrays(bool, np.shape(x)), label="NaN at")
    kept = np.sum(~mask, axis=axis, keepdims=True)
    mask = mask & (kept >= present)  # slices short of numbers keep them all
    return np.where(mask, np.nan, x)


def magnitudes(data, shape):
    """Entries of magnitude k/8 + i/256 (k in 2..16, i the flat index), either
    sign: for up to 32 entries the magnitudes are distinct, and in a matrix of
    up to 3 x 3 so are the row sums and the column sums: offsets below 1/8
    never make up grid steps."""
    grid = STATISTICS[np.linalg.norm].inputs[0]
    x = data.draw(hnp.arrays(np.float64, shape, elements=grid))
    x = x + np.arange(x.size).reshape(shape) / 256
    signs = hnp.arrays(np.int64, shape, elements=st.sampled_from([-1, 1]))
    x = x * data.draw(signs)
    return x


def check_all(data, f, args, fn, primal_args, G, kwargs=None, generic=True):
    """End to end, the rule alone on arrays, and the path with no example."""
    expected = check_grad(f, args)
    check_rule(data, fn, primal_args, G, kwargs)
    if generic:
        check_generic(f, args, expected)
    else:
        with pytest.raises(srcdiff.NeedsExample):
            srcdiff.grad(f, wrt=tuple(expected)).derivative()


# ----- Reductions with axis and keepdims (and ddof, NaNs) -----
# How many numbers each slice keeps for the gradient to be finite.
PLAIN = [np.prod, np.nanprod, np.nansum, np.nanmean, np.nanmax, np.nanmin, np.ptp]
PLAIN += [np.nanmedian]
MOMENTS = [np.var, np.std, np.nanvar, np.nanstd]
NAN_FAMILY = {np.nanprod, np.nansum, np.nanmean, np.nanmax, np.nanmin}
NAN_FAMILY |= {np.nanvar, np.nanstd, np.nanmedian}
MAY_BE_EMPTY = {np.prod, np.nanprod, np.nansum}


@pytest.mark.parametrize("op", PLAIN + MOMENTS, ids=lambda op: op.__name__)
@given(data=st.data())
def test_reduction(op, data):
    shape = data.draw(SHAPES_OR_EMPTY if op in MAY_BE_EMPTY else SHAPES, label="shape")
    kwargs = data.draw(options(len(shape)), label="kwargs")
    n = count(shape, kwargs.get("axis"))
    present = 1
    if op in MOMENTS:
        # ddof below the count (std: below count - 1, so std > 0), by either name.
        stds = op in (np.std, np.nanstd)
        present = 2 if stds else 1
        assume(n >= present)
        ddof = data.draw(st.integers(0, n - present), label="ddof")
        if ddof or data.draw(st.booleans()):
            kwargs[data.draw(st.sampled_from(["ddof", "correction"]))] = ddof
        present += ddof
    x = draw_array(data, STATISTICS[op].inputs[0], shape, STATISTICS[op].distinct)
    if op in NAN_FAMILY:
        x = with_nans(data, x, kwargs.get("axis"), present)
    G = draw_weights(data, np.shape(op(x, **kwargs)))

    def f(x):
        return np.sum(op(x, **kwargs) * G)

    # Without an example, ranking along several axes needs their sizes.
    generic = op is not np.nanmedian or not several_axes(kwargs.get("axis"))
    if np.any(np.isnan(x)):
        check_with_nans(data, f, x, op, G, kwargs, generic)
    else:
        check_all(data, f, [x], op, [x], G, kwargs, generic)


def several_axes(axis):
    return isinstance(axis, tuple) and len(axis) != 1


def check_with_nans(data, f, x, op, G, kwargs, generic):
    """As check_all, with central differences in the numbers only: a NaN
    moved by h is still NaN. NaNs must get exactly zero gradient."""
    present = ~np.isnan(x)

    def on_numbers(numbers):
        moved = x.copy()
        moved[present] = numbers
        return f(moved)

    expected = np.zeros_like(x)
    expected[present] = numerical_grad(on_numbers, [x[present]], 0)
    grads = [srcdiff.grad(f)(x)]
    if generic:
        grads.append(compile_derivative(srcdiff.grad(f).derivative())(x))
    else:
        with pytest.raises(srcdiff.NeedsExample):
            srcdiff.grad(f).derivative()
    for got in grads:
        assert np.all(got[~present] == 0), "a NaN got a gradient"
        error = max_relative_error(got, expected)
        assert error < TOL, f"gradient is off by {error:.3g}"
    check_rule(data, op, [x], G, kwargs)


@given(data=st.data())
def test_median(data):
    shape = data.draw(SHAPES, label="shape")
    kwargs = data.draw(options(len(shape)), label="kwargs")
    x = draw_array(data, STATISTICS[np.median].inputs[0], shape, distinct=True)
    G = draw_weights(data, np.shape(np.median(x, **kwargs)))

    def f(x):
        return np.sum(np.median(x, **kwargs) * G)

    # Without an example, ranking along several axes needs their sizes.
    generic = not several_axes(kwargs.get("axis"))
    check_all(data, f, [x], np.median, [x], G, kwargs, generic)


@given(data=st.data())
def test_average(data):
    shape = data.draw(SHAPES, label="shape")
    axis = data.draw(axes(len(shape)), label="axis")
    keepdims = data.draw(st.booleans(), label="keepdims")
    row = STATISTICS[np.average]
    x = draw_array(data, row.inputs[0], shape)
    if not data.draw(st.booleans(), label="weighted"):
        G = draw_weights(data, np.shape(np.average(x, axis, keepdims=keepdims)))

        def f(x):
            return np.sum(np.average(x, axis, keepdims=keepdims) * G)

        check_all(data, f, [x], np.average, [x, axis], G, {"keepdims": keepdims})
        return
    # Weights shaped like x, or (axis given) one per entry along the axes.
    along = axis is not None and data.draw(st.booleans(), label="along axis")
    picked = axis if isinstance(axis, tuple) else (axis,)
    w = draw_array(
        data, row.inputs[1], tuple(shape[i] for i in picked) if along else shape
    )
    G = draw_weights(data, np.shape(np.average(x, axis, w, keepdims=keepdims)))

    def f(x, w):
        return np.sum(np.average(x, axis, w, keepdims=keepdims) * G)

    # With an axis, whether the weights are shaped like x or run along the
    # axes is a question of shapes: that needs an example.
    primal = [x, axis, w]
    check_all(
        data, f, [x, w], np.average, primal, G, {"keepdims": keepdims}, axis is None
    )


# ----- Running sums and products, differences, traces -----
@pytest.mark.parametrize("op", [np.cumsum, np.cumprod], ids=lambda op: op.__name__)
@given(data=st.data())
def test_cumulative(op, data):
    shape = data.draw(SHAPES_OR_EMPTY, label="shape")
    one = st.integers(-len(shape), len(shape) - 1) if shape else st.nothing()
    axis = data.draw(st.none() | one, label="axis")
    kwargs = {} if axis is None and data.draw(st.booleans()) else {"axis": axis}
    x = draw_array(data, STATISTICS[op].inputs[0], shape)
    G = draw_weights(data, np.shape(op(x, **kwargs)))

    def f(x):
        return np.sum(op(x, **kwargs) * G)

    check_all(data, f, [x], op, [x], G, kwargs)


@given(data=st.data())
def test_diff(data):
    shape = data.draw(
        hnp.array_shapes(min_dims=1, max_dims=3, max_side=4), label="shape"
    )
    ndim = len(shape)
    axis = data.draw(st.integers(-ndim, ndim - 1), label="axis")
    row = STATISTICS[np.diff]
    x = draw_array(data, row.inputs[0], shape)
    # Nothing, prepend, or both; each a scalar (broadcast along the axis) or
    # a slab of 1 or 2 entries. (append alone: see test_keyword_after_omitted)
    pads = []
    for elements in row.inputs[1 : 1 + data.draw(st.integers(0, 2), label="pads")]:
        slab = list(shape)
        slab[axis] = data.draw(st.integers(0, 2), label="slab")
        pads.append(draw_array(data, elements, tuple(slab) if slab[axis] else ()))
    # n = 0 returns x and ignores prepend and append: the rule gives them no
    # contribution at all (None), which the direct rule check cannot weigh.
    n = data.draw(st.integers(1 if pads else 0, 3), label="n")
    G = draw_weights(data, np.shape(np.diff(x, n, axis, *pads)))

    def f0(x):
        return np.sum(np.diff(x, n, axis) * G)

    def f1(x, p):
        return np.sum(np.diff(x, n, axis, p) * G)

    def f2(x, p, q):
        return np.sum(np.diff(x, n, axis, p, q) * G)

    f = [f0, f1, f2][len(pads)]
    # Where prepend and append go depends on whether they are 0-d: that needs
    # an example.
    check_all(data, f, [x, *pads], np.diff, [x, n, axis, *pads], G, generic=not pads)


@given(data=st.data())
def test_trace(data):
    shape = data.draw(
        hnp.array_shapes(min_dims=2, max_dims=4, max_side=3), label="shape"
    )
    ndim = len(shape)
    axis1, axis2 = data.draw(
        st.lists(st.integers(0, ndim - 1), min_size=2, max_size=2, unique=True)
    )
    # Either way round, past either end of the diagonal too (an empty one).
    axis1 -= data.draw(st.sampled_from([0, ndim]))
    axis2 -= data.draw(st.sampled_from([0, ndim]))
    offset = data.draw(st.integers(-shape[axis1], shape[axis2]), label="offset")
    kwargs = {"offset": offset, "axis1": axis1, "axis2": axis2}
    x = draw_array(data, STATISTICS[np.trace].inputs[0], shape)
    G = draw_weights(data, np.shape(np.trace(x, **kwargs)))

    def f(x):
        return np.sum(np.trace(x, **kwargs) * G)

    check_all(data, f, [x], np.trace, [x], G, kwargs)


# ----- Norms -----
VECTOR_ORDS = [None, 1, 2, np.inf, -np.inf, 0, 3, 0.5, -1, -2.5]
MATRIX_ORDS = [None, "fro", "nuc", 1, -1, 2, -2, np.inf, -np.inf]


def well_separated(data, shape):
    """Matrices along the last two axes with singular values at least 0.5
    apart and above 1: a diagonal 2, 4, 6 (in drawn order) plus entries of at
    most 1/4, whose 2-norm (at most 3/4) moves each singular value that little."""
    *_, m, n = shape
    k = min(m, n)
    spread = data.draw(st.permutations([2.0, 4.0, 6.0][:k]))
    diagonal = np.zeros((m, n))
    diagonal[np.arange(k), np.arange(k)] = spread
    noise = data.draw(hnp.arrays(np.float64, shape, elements=floats(-0.25, 0.25)))
    return diagonal + noise


@given(data=st.data())
def test_vector_norm(data):
    shape = data.draw(SHAPES, label="shape")
    ndim = len(shape)
    ord = data.draw(st.sampled_from(VECTOR_ORDS), label="ord")
    one = st.integers(-ndim, ndim - 1) if ndim else st.nothing()
    if ord is None:  # the 2-norm of all entries, or along one axis
        axis = data.draw(st.none() | one | one.map(lambda i: (i,)), label="axis")
    elif ndim == 1:
        axis = data.draw(st.sampled_from([None, 0, -1, (0,)]), label="axis")
    else:
        assume(ndim)
        axis = data.draw(one | one.map(lambda i: (i,)), label="axis")
    keepdims = data.draw(st.booleans(), label="keepdims")
    kwargs = {"ord": ord, "axis": axis, "keepdims": keepdims}
    x = magnitudes(data, shape)
    G = draw_weights(data, np.shape(np.linalg.norm(x, **kwargs)))

    def f(x):
        return np.sum(np.linalg.norm(x, **kwargs) * G)

    # With ord given and no axis, x.ndim says whether it is a vector norm.
    generic = axis is not None or ord is None
    check_all(data, f, [x], np.linalg.norm, [x], G, kwargs, generic)


@given(data=st.data())
def test_matrix_norm(data):
    ord = data.draw(st.sampled_from(MATRIX_ORDS), label="ord")
    shape = data.draw(
        hnp.array_shapes(min_dims=2, max_dims=4, max_side=3), label="shape"
    )
    ndim = len(shape)
    if ndim == 2 and data.draw(st.booleans()):
        axis = None
    else:
        rows, cols = data.draw(
            st.lists(st.integers(0, ndim - 1), min_size=2, max_size=2, unique=True)
        )
        axis = (rows - data.draw(st.sampled_from([0, ndim])), cols)
    keepdims = data.draw(st.booleans(), label="keepdims")
    kwargs = {"ord": ord, "axis": axis, "keepdims": keepdims}
    # Build in (..., rows, cols) order, then put the matrix axes where axis says.
    where = axis or (0, 1)
    canonical = [n for i, n in enumerate(shape) if i not in {w % ndim for w in where}]
    canonical += [shape[where[0]], shape[where[1]]]
    if ord in ("nuc", 2, -2):
        x = well_separated(data, tuple(canonical))
    else:
        x = magnitudes(data, tuple(canonical))
    x = np.moveaxis(x, (-2, -1), where)
    G = draw_weights(data, np.shape(np.linalg.norm(x, **kwargs)))

    def f(x):
        return np.sum(np.linalg.norm(x, **kwargs) * G)

    # With ord given and no axis, x.ndim says whether it is a matrix norm.
    generic = axis is not None or ord is None
    check_all(data, f, [x], np.linalg.norm, [x], G, kwargs, generic)


# ----- Methods -----
@given(data=st.data())
def test_methods(data):
    # x.prod(), x.var(), x.std(), x.cumsum(), x.cumprod() and x.trace().
    shape = data.draw(hnp.array_shapes(min_dims=2, max_dims=3, min_side=2, max_side=3))
    x = magnitudes(data, shape)
    axis = data.draw(st.integers(-len(shape), len(shape) - 1), label="axis")
    G = data.draw(WEIGHT)

    def f(x):
        spread = x.var(axis=axis, ddof=1).sum() + x.std()
        running = x.cumsum(axis).sum() + x.cumprod().sum()
        return G * (x.prod(axis=axis).sum() + spread + running + x.trace().sum())

    expected = check_grad(f, [x])
    check_generic(f, [x], expected)


def test_keyword_after_omitted_parameter():
    # Users skip parameters: np.average(x, weights=w) leaves out axis and
    # np.diff(x, append=q) leaves out n, axis and prepend. Each contribution
    # still reaches the argument it belongs to.
    x = np.array([1.0, 2.0, 4.0])
    w = np.array([1.0, 1.0, 2.0])

    def weighted(x, w):
        return np.average(x, weights=w)

    def appended(x, q):
        return np.sum(np.diff(x, append=q) ** 2)

    check_grad(weighted, [x, w])
    check_grad(appended, [x, 0.5])


# ----- Conventions, exact values on hand-made inputs -----
def rule_of(fn):
    return rule_for(lookup(fn))


@pytest.mark.parametrize(
    ("x", "expected"),
    [
        ([2.0, 3.0, 4.0], [12.0, 8.0, 6.0]),
        ([2.0, 0.0, 4.0], [0.0, 8.0, 0.0]),  # one zero: the others' product
        ([0.0, 3.0, 0.0], [0.0, 0.0, 0.0]),  # two zeros: nothing anywhere
        ([0.0], [1.0]),
    ],
)
def test_prod_at_zeros(x, expected):
    x = np.array(x)

    def f(x):
        return np.prod(x)

    with np.errstate(all="raise"):  # no division by zero, anywhere
        np.testing.assert_array_equal(srcdiff.grad(f)(x), expected)
        np.testing.assert_array_equal(rule_of(np.prod)(1.0, f(x), x), expected)


def test_cumprod_at_zeros():
    x = np.array([2.0, 0.0, 3.0, 0.0, 5.0])
    # d/dx sum(cumprod(x)): past the first zero every running product is 0.
    expected = [1.0, 2.0 * (1 + 3), 0.0, 0.0, 0.0]

    def f(x):
        return np.sum(np.cumprod(x))

    with np.errstate(all="raise"):
        np.testing.assert_array_equal(srcdiff.grad(f)(x), expected)


TIED = np.array([[1.0, 3.0, 3.0, 2.0], [0.0, 0.0, 0.0, -1.0]])


@pytest.mark.parametrize(
    ("op", "axis", "expected"),
    [
        # The convention of np.max / np.amax: ties share the gradient equally.
        (np.amax, 1, [[0, 0.5, 0.5, 0], [1 / 3, 1 / 3, 1 / 3, 0]]),
        (np.amin, 1, [[1, 0, 0, 0], [0, 0, 0, 1]]),
        (np.nanmax, 1, [[0, 0.5, 0.5, 0], [1 / 3, 1 / 3, 1 / 3, 0]]),
        (np.nanmin, None, [[0, 0, 0, 0], [0, 0, 0, 1]]),
        (np.ptp, 1, [[-1, 0.5, 0.5, 0], [1 / 3, 1 / 3, 1 / 3, -1]]),
        (np.ptp, 0, [[1, 1, 1, 1], [-1, -1, -1, -1]]),
        # An even count: the two middle entries share; odd: the middle one.
        (np.median, 1, [[0, 0.5, 0, 0.5], [0.5, 0.5, 0, 0]]),
        (np.median, None, [[0.5, 0, 0, 0], [0.5, 0, 0, 0]]),
    ],
)
def test_ties(op, axis, expected):
    def f(x):
        return np.sum(op(x, axis=axis))

    got = srcdiff.grad(f)(TIED)
    if op is np.median:
        # Which of equal middle entries gets it is np.argsort's choice: check
        # the share per value rather than per position.
        for value in np.unique(TIED):
            chosen = np.equal(TIED, value)
            assert np.sum(got[chosen]) == np.sum(np.array(expected)[chosen])
    else:
        np.testing.assert_array_equal(got, expected)


def test_nans_get_no_gradient():
    x = np.array([[1.0, np.nan, 3.0], [np.nan, 2.0, 2.5]])
    funcs = [np.nansum, np.nanmean, np.nanmax, np.nanmin, np.nanprod]
    funcs += [np.nanvar, np.nanstd, np.nanmedian]
    for fn in funcs:

        def f(x, fn=fn):
            return np.sum(fn(x, axis=1))

        got = srcdiff.grad(f)(x)
        assert np.all(got[np.isnan(x)] == 0), fn.__name__
        assert np.all(np.isfinite(got)), fn.__name__


# ----- Independent reference: autograd, where it has the same function -----
# srcdiff reads autograd.numpy as NumPy, so one definition serves both.
def prod_along(x):
    return anp.sum(anp.prod(x, axis=0) * anp.array([1.0, -2.0, 0.5]))


def var_ddof(x):
    return anp.var(x, axis=1, ddof=1) @ anp.array([1.0, 2.0])


def std_all(x):
    return anp.std(x, axis=(0, 1))


def cumsum_squares(x):
    return anp.sum(anp.cumsum(x, axis=1) ** 2)


def second_diff(x):
    return anp.sum(anp.diff(x, 2, axis=1) ** 2)


def trace_above(x):
    return anp.trace(x, 1) * 3.0


def frobenius(x):
    return anp.linalg.norm(x)


def three_norms(x):
    return anp.sum(anp.linalg.norm(x, 3, axis=0))


def nuclear(x):
    return anp.linalg.norm(x, "nuc")


def tied_max(x):
    return anp.sum(anp.amax(x, axis=1))


@pytest.mark.parametrize(
    "f",
    [
        prod_along,
        var_ddof,
        std_all,
        cumsum_squares,
        second_diff,
        trace_above,
        frobenius,
        three_norms,
        nuclear,
    ],
)
def test_against_autograd(f):
    x = np.array([[0.9, -1.3, 2.1], [0.4, 1.7, -0.6]])
    np.testing.assert_allclose(
        srcdiff.grad(f)(x), autograd.grad(f)(x), rtol=1e-12, atol=1e-12
    )


def test_ties_as_autograd_splits_them():
    np.testing.assert_array_equal(
        srcdiff.grad(tied_max)(TIED), autograd.grad(tied_max)(TIED)
    )


def test_norm_of_complex_input_conjugates():
    def f(z):
        return np.linalg.norm(z)

    z = np.array([3 + 4j, 1j])
    assert np.allclose(srcdiff.grad(f)(z), np.conj(z) / np.linalg.norm(z))
    source = srcdiff.api.render(srcdiff.grad(f).derivative())
    assert "if np.iscomplexobj(z):" in source  # without an example: checked
