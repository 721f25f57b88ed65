"""Property tests of srcdiff/rules/differences.py (np.gradient) and
numpy_extras.py (np.real_if_close, np.astype, np.result_type).

np.gradient is drawn over its axis forms (none, one axis either way round, a
tuple in any order), its spacings (none, one for all axes, one per axis; the
spacings are differentiated too) and both edge orders, on arrays whose
differentiated axes are long enough for the edge order (other axes may be
empty). real_if_close is checked on real input and on complex input on each
side of its tolerance.
"""

import autograd
import autograd.numpy as anp
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
from rule_domains import POSITIVE, REAL, Row

import srcdiff
from srcdiff.ir.prims import lookup
from srcdiff.numeric import numerical_grad

NUMPY_EXTRAS = {
    # The array, then the spacings.
    np.gradient: Row((REAL, POSITIVE)),
    np.real_if_close: Row((REAL,)),
    np.astype: Row((REAL,)),
}
TOL = 1e-6


@st.composite
def gradient_calls(draw):
    """An array, an axis argument, spacings and an edge order for np.gradient."""
    ndim = draw(st.integers(1, 3))
    edge_order = draw(st.sampled_from([1, 2]))
    form = draw(st.sampled_from(["none", "int", "tuple"]))
    if form == "none":
        axis, axes = None, tuple(range(ndim))
    elif form == "int":
        axis = draw(st.integers(-ndim, ndim - 1))
        axes = (axis % ndim,)
    else:
        chosen = draw(st.permutations(range(ndim)))[: draw(st.integers(1, ndim))]
        axis = tuple(a - ndim if draw(st.booleans()) else a for a in chosen)
        axes = tuple(a % ndim for a in axis)
    # Differentiated axes hold at least edge_order + 1 points; others may be empty.
    shape = tuple(
        draw(st.integers(edge_order + 1, 4) if i in axes else st.integers(0, 3))
        for i in range(ndim)
    )
    spacing = draw(st.sampled_from(["none", "one", "each"]))
    count = {"none": 0, "one": 1, "each": len(axes)}[spacing]
    spacings = [draw(POSITIVE) for _ in range(count)]
    return shape, axis, len(axes), spacings, edge_order


@given(data=st.data(), call=gradient_calls())
def test_gradient(data, call):
    shape, axis, count, spacings, edge_order = call
    x = draw_array(data, REAL, shape, allow_float=False)
    # One weight array per result, stacked: a closure over a list of arrays
    # would meet a core bug with empty ones (see the report of issue 4).
    G = np.stack([draw_weights(data, shape) for _ in range(count)])

    def total(out):
        if count == 1:  # one axis: np.gradient returns one array
            return np.sum(out * G[0])
        return sum(np.sum(part * G[i]) for i, part in enumerate(out))

    def f0(x):
        return total(np.gradient(x, axis=axis, edge_order=edge_order))

    def f1(x, h):
        return total(np.gradient(x, h, axis=axis, edge_order=edge_order))

    def f2(x, h1, h2):
        return total(np.gradient(x, h1, h2, axis=axis, edge_order=edge_order))

    def f3(x, h1, h2, h3):
        return total(np.gradient(x, h1, h2, h3, axis=axis, edge_order=edge_order))

    f = [f0, f1, f2, f3][len(spacings)]
    args = [x, *spacings]
    expected = check_grad(f, args)
    # Without an example, neither how many arrays come back (axis=None) nor
    # whether a spacing is one number or an array of coordinates is known.
    if axis is None or spacings:
        with pytest.raises(srcdiff.NeedsExample):
            srcdiff.grad(f, wrt=tuple(expected)).derivative()
    else:
        check_generic(f, args, expected)
    if count == 1 and not spacings:  # the direct check takes one array g
        options = {"axis": axis, "edge_order": edge_order}
        check_rule(data, np.gradient, [x], G[0], options)


def test_gradient_refuses_coordinates():
    def f(x):
        return np.sum(np.gradient(x, np.array([0.0, 1.0, 3.0])))

    with pytest.raises(srcdiff.SrcdiffError, match="arrays of coordinates"):
        srcdiff.grad(f)(np.array([1.0, 2.0, 4.0]))


def test_gradient_agrees_with_autograd():
    x = np.sin(np.arange(20.0)).reshape(4, 5)
    G = np.cos(np.arange(20.0)).reshape(4, 5)

    def f(x):
        gy, gx = np.gradient(x)
        return np.sum(gy * G + gx**2) + np.sum(np.gradient(x, axis=1) * G)

    def reference(x):
        gy, gx = anp.gradient(x)
        return anp.sum(gy * G + gx**2) + anp.sum(anp.gradient(x, axis=1) * G)

    np.testing.assert_allclose(
        srcdiff.grad(f)(x), autograd.grad(reference)(x), rtol=1e-12
    )


# ----- real_if_close, astype, result_type -----
@pytest.mark.parametrize("op", [np.real_if_close, np.astype])
@given(data=st.data(), shape=hnp.array_shapes(min_dims=0, max_dims=3, max_side=3))
def test_real_input_passes_the_gradient(op, data, shape):
    # np.astype takes arrays only, not Python floats.
    x = draw_array(data, REAL, shape, allow_float=op is not np.astype)
    G = draw_weights(data, shape)
    if op is np.astype:
        f = weighted_sum(lambda x: np.astype(x, np.float64), G, 1)
        check_rule(data, np.astype, [x, np.float64], G)
    else:
        f = weighted_sum(op, G, 1)
        check_rule(data, op, [x], G)
    expected = check_grad(f, [x])
    check_generic(f, [x], expected)


def complex_numerical_grad(f, z):
    """d/dx - i d/dy of the real ``f`` at z, by central differences."""

    def in_parts(x, y):
        return f(x + 1j * y)

    parts = [np.real(z), np.imag(z)]
    d_real = numerical_grad(in_parts, parts, 0)
    return d_real - 1j * numerical_grad(in_parts, parts, 1)


def complex_weights(data, shape):
    return draw_weights(data, shape) + 1j * draw_weights(data, shape)


def relative_error(got, expected):
    """max_relative_error for complex values."""
    scale = np.maximum(np.maximum(np.abs(got), np.abs(expected)), 1.0)
    return float(np.max(np.abs(got - expected) / scale, initial=0.0))


@given(data=st.data(), shape=hnp.array_shapes(min_dims=0, max_dims=2, max_side=3))
def test_real_if_close_on_complex_input(data, shape):
    x = data.draw(hnp.arrays(np.float64, shape, elements=REAL))
    y = data.draw(hnp.arrays(np.float64, shape, elements=POSITIVE))
    W = complex_weights(data, shape)

    # Imaginary parts of 1/4 and more: z stays complex, and the loss is Re(z W).
    def f(z):
        return np.real(np.sum(np.real_if_close(z) * W))

    kept = x + 1j * y
    error = relative_error(srcdiff.grad(f)(kept), complex_numerical_grad(f, kept))
    assert error < TOL

    # Imaginary parts within the tolerance are dropped. The real part of the
    # result is Re z on either side of the tolerance (which a central
    # difference in y crosses), so a real weight gives one smooth loss.
    def g(z):
        return np.real(np.sum(np.real_if_close(z) * W.real))

    dropped = x + 1j * y * 1e-16
    assert np.real_if_close(dropped).dtype == np.float64
    got = srcdiff.grad(g)(dropped)
    assert relative_error(got, complex_numerical_grad(g, dropped)) < TOL
    # With the complex weight, only Re W reaches z: the result it scales is real.
    np.testing.assert_allclose(srcdiff.grad(f)(dropped), W.real, atol=1e-12)


def test_result_type_has_zero_gradient():
    assert not lookup(np.result_type).differentiable

    def f(x, y):
        return np.sum(np.astype(x, np.result_type(x, y)) * y)

    x, y = np.array([1.0, 2.0]), np.array([3.0, -1.0])
    dx, dy = srcdiff.grad(f, wrt=(0, 1))(x, y)
    np.testing.assert_allclose(dx, y)
    np.testing.assert_allclose(dy, x)
