"""Property tests of the math ufuncs, the piecewise smooth arithmetic ufuncs and
the constructors that are linear in a value (real inputs; complex ones are in
test_rules_complex.py).

``ROWS`` holds one domain row per rule these tests cover, like
rule_domains.py: values stay where the function is smooth, far from the
kinks and jumps that central differences would straddle. Conventions at
kinks and ties are tested on hand-made inputs.
"""

import operator

import numpy as np
import pytest
from hypothesis import given
from hypothesis import strategies as st
from hypothesis.extra import numpy as hnp
from rule_checks import (
    TOL,
    assert_like,
    check_generic,
    check_grad,
    check_rule,
    draw_array,
    draw_like,
    draw_weights,
    inner,
    is_differentiable,
    step,
    weighted_sum,
)
from rule_domains import (
    GRID,
    HALF_GRID,
    MODERATE,
    NONZERO,
    POSITIVE,
    REAL,
    Row,
    floats,
)

import srcdiff
from srcdiff.ir.prims import lookup
from srcdiff.numeric import max_relative_error, numerical_grad
from srcdiff.rules import rule_for

OPEN_UNIT = floats(-0.9, 0.9)
# x = k / 2 + u with u in [0.1, 0.4], y in {±1/2, ±1, ±2}: x / y stays at least
# 0.05 from a whole number, where % and fmod have their kinks.
DIVIDEND = st.builds(lambda k, u: k / 2 + u, st.integers(-8, 8), floats(0.1, 0.4))
DIVISOR = st.sampled_from([-2.0, -1.0, -0.5, 0.5, 1.0, 2.0])
# Away from whole numbers, where np.modf's fractional part jumps.
NOT_WHOLE = st.builds(lambda k, u: k + u, st.integers(-4, 4), floats(0.1, 0.9))
# Away from powers of two, where np.frexp's mantissa jumps.
NOT_POWER_OF_TWO = st.builds(
    lambda sign, k, u: sign * 2.0**k * u,
    st.sampled_from([-1.0, 1.0]),
    st.integers(-2, 2),
    floats(0.55, 0.95),
)
EXPONENT = st.integers(-3, 3)

UNARY = {
    np.exp2: Row((MODERATE,)),
    np.log2: Row((POSITIVE,)),
    np.log10: Row((POSITIVE,)),
    np.cbrt: Row((NONZERO,)),
    np.reciprocal: Row((NONZERO,)),
    np.arcsin: Row((OPEN_UNIT,)),
    np.arccos: Row((OPEN_UNIT,)),
    np.arcsinh: Row((MODERATE,)),
    np.arccosh: Row((floats(1.25, 4),)),
    np.arctanh: Row((OPEN_UNIT,)),
    np.sinc: Row((MODERATE,)),
    np.deg2rad: Row((REAL,)),
    np.rad2deg: Row((REAL,)),
    np.radians: Row((REAL,)),
    np.degrees: Row((REAL,)),
    np.fabs: Row((NONZERO,)),
    np.positive: Row((REAL,)),
    np.real: Row((REAL,)),
    np.conj: Row((REAL,)),
    np.nan_to_num: Row((REAL,)),
}
BINARY = {
    np.arctan2: Row((NONZERO, NONZERO)),
    np.hypot: Row((NONZERO, NONZERO)),
    np.logaddexp: Row((MODERATE, MODERATE)),
    np.logaddexp2: Row((MODERATE, MODERATE)),
    np.float_power: Row((POSITIVE, REAL)),
    operator.mod: Row((DIVIDEND, DIVISOR)),
    np.fmod: Row((DIVIDEND, DIVISOR)),
    np.fmax: Row((GRID, HALF_GRID)),
    np.fmin: Row((GRID, HALF_GRID)),
    np.copysign: Row((NONZERO, NONZERO)),
    np.nextafter: Row((REAL, REAL)),
    np.heaviside: Row((NONZERO, REAL)),
    np.ldexp: Row((REAL, EXPONENT)),
}
# Tested by hand below: imag, angle and sign, constant on real inputs (complex
# ones in test_rules_complex.py), the functions returning two arrays and the
# constructors.
OTHER = {
    np.imag: Row((REAL,)),
    np.angle: Row((NONZERO,)),
    np.sign: Row((NONZERO,)),
    np.modf: Row((NOT_WHOLE,)),
    np.frexp: Row((NOT_POWER_OF_TWO,)),
    np.divmod: Row((DIVIDEND, DIVISOR)),
    np.full: Row((REAL,)),
    np.linspace: Row((REAL, REAL)),
    np.bincount: Row((REAL,)),
}
ROWS = {**UNARY, **BINARY, **OTHER}
SHAPES = {"max_dims": 3, "max_side": 3}


def check_rule_or_none(data, fn, args, G):
    """``check_rule``, where a ``None`` contribution stands for a zero gradient:
    the derivative of ``sum(G * fn(...))`` along any direction must be 0."""
    contributions = rule_for(lookup(fn))(G, fn(*args), *args)
    if not isinstance(contributions, tuple):
        contributions = (contributions,)
    for i, arg in enumerate(args):
        if not is_differentiable(arg):
            continue
        if contributions[i] is not None:
            assert_like(contributions[i], arg, f"rule contribution {i}")
        v = draw_like(data, arg)

        def along(t, i=i, v=v):
            moved = list(args)
            moved[i] = step(args[i], t, v)
            return np.sum(G * fn(*moved))

        jvp = numerical_grad(along, (0.0,), 0)
        vjp = 0.0 if contributions[i] is None else inner(contributions[i], v)
        error = max_relative_error(vjp, jvp)
        assert error < TOL, f"<g, J v> != <rule(g), v> for argument {i}: {error:.3g}"


@pytest.mark.parametrize("op", {**UNARY, **BINARY}, ids=lambda op: op.__name__)
@given(data=st.data())
def test_ufunc_rule(op, data):
    inputs = ROWS[op].inputs
    shapes = data.draw(
        hnp.mutually_broadcastable_shapes(num_shapes=len(inputs), **SHAPES)
    )
    args = [
        draw_array(data, elements, shape, dtype=int if elements is EXPONENT else float)
        for elements, shape in zip(inputs, shapes.input_shapes, strict=True)
    ]
    G = draw_weights(data, shapes.result_shape)
    f = weighted_sum(op, G, len(inputs))
    expected = check_grad(f, args)
    check_rule_or_none(data, op, args, G)
    check_generic(f, args, expected)


@pytest.mark.parametrize("op", [np.imag, np.angle, np.sign], ids=lambda op: op.__name__)
@given(data=st.data(), shape=hnp.array_shapes(min_dims=0, **SHAPES))
def test_constant_on_real_inputs(op, data, shape):
    # imag(x) is 0, angle(x) 0 or pi, sign(x) -1 or 1: no gradient, and the
    # rule says so.
    x = draw_array(data, ROWS[op].inputs[0], shape)
    G = draw_weights(data, shape)
    f = weighted_sum(op, G, 1)
    check_grad(f, [x])
    assert rule_for(lookup(op))(G, op(x), x) is None


@pytest.mark.parametrize("deg", [False, True])
def test_angle_in_degrees_of_real_inputs(deg):
    def f(x):
        return np.sum(np.angle(x, deg=deg) * x)

    x = np.array([-1.5, 2.0])
    np.testing.assert_array_equal(srcdiff.grad(f)(x), np.angle(x, deg=deg))


@given(data=st.data())
def test_divmod(data):
    shapes = data.draw(hnp.mutually_broadcastable_shapes(num_shapes=2, **SHAPES))
    x = draw_array(data, DIVIDEND, shapes.input_shapes[0])
    y = draw_array(data, DIVISOR, shapes.input_shapes[1])
    G = draw_weights(data, shapes.result_shape)

    def f(x, y):
        quotient, remainder = np.divmod(x, y)
        return np.sum(remainder * G + quotient)

    expected = check_grad(f, [x, y])
    check_generic(f, [x, y], expected)


@given(data=st.data(), shape=hnp.array_shapes(min_dims=0, **SHAPES))
def test_modf(data, shape):
    x = draw_array(data, NOT_WHOLE, shape)
    G = draw_weights(data, shape)

    def f(x):
        fraction, whole = np.modf(x)
        return np.sum(fraction * G + whole)

    expected = check_grad(f, [x])
    check_generic(f, [x], expected)


@given(data=st.data(), shape=hnp.array_shapes(min_dims=0, **SHAPES))
def test_frexp(data, shape):
    x = draw_array(data, NOT_POWER_OF_TWO, shape)
    G = draw_weights(data, shape)

    def f(x):
        mantissa, exponent = np.frexp(x)
        return np.sum(mantissa * G + exponent)

    expected = check_grad(f, [x])
    check_generic(f, [x], expected)


def test_pairs_used_only_for_their_piecewise_constant_part():
    def f(x):
        quotient, _remainder = np.divmod(x, 0.5)
        _fraction, whole = np.modf(x)
        _mantissa, exponent = np.frexp(x)
        return np.sum(x * (quotient + whole + exponent))

    x = np.array([0.3, 1.7, -2.2])
    expected = np.divmod(x, 0.5)[0] + np.modf(x)[1] + np.frexp(x)[1]
    np.testing.assert_allclose(srcdiff.grad(f)(x), expected)


@given(data=st.data())
def test_remainder_of_a_constant_divisor(data):
    shape = data.draw(hnp.array_shapes(min_dims=0, **SHAPES))
    x = draw_array(data, DIVIDEND, shape)
    G = draw_weights(data, shape)

    def f(x):
        return np.sum((x % 0.5 + np.remainder(x, -2.0) + np.fmod(x, 1.0)) * G)

    expected = check_grad(f, [x])
    check_generic(f, [x], expected)


@given(data=st.data(), shape=hnp.array_shapes(min_dims=0, **SHAPES))
def test_full(data, shape):
    fill = draw_array(data, REAL, shape[-1:])
    G = draw_weights(data, shape)

    def f(fill):
        return np.sum(np.full(shape, fill) * G)

    expected = check_grad(f, [fill])
    check_generic(f, [fill], expected)


@given(
    start=REAL,
    stop=REAL,
    num=st.integers(0, 5),
    endpoint=st.booleans(),
    data=st.data(),
)
def test_linspace(start, stop, num, endpoint, data):
    G = draw_weights(data, (num,))

    def f(start, stop):
        return np.sum(np.linspace(start, stop, num, endpoint=endpoint) * G)

    check_grad(f, [start, stop])
    check_rule(data, np.linspace, [start, stop, num, endpoint], G)


def test_linspace_with_array_ends_is_refused():
    def f(start):
        return np.sum(np.linspace(start, 1.0, 3))

    with pytest.raises(srcdiff.SrcdiffError, match="array ends"):
        srcdiff.grad(f)(np.zeros(2))


@given(
    data=st.data(),
    n=st.integers(0, 6),
    minlength=st.integers(0, 4),
)
def test_bincount_weights(data, n, minlength):
    x = data.draw(hnp.arrays(np.int64, (n,), elements=st.integers(0, 3)))
    weights = draw_array(data, REAL, (n,), allow_float=False)
    G = draw_weights(data, np.bincount(x, minlength=minlength).shape)

    def f(weights):
        return np.sum(np.bincount(x, weights=weights, minlength=minlength) * G)

    expected = check_grad(f, [weights])
    check_generic(f, [weights], expected)


# ----- Conventions at kinks and ties: exact values on hand-made inputs -----
W = np.array([1.0, 10.0, 100.0])
X = np.array([1.0, 2.0, 3.0])


@pytest.mark.parametrize("op", [np.fmax, np.fmin], ids=lambda op: op.__name__)
def test_fmax_gives_the_gradient_to_the_number_beside_a_nan(op):
    def f(x, y):
        return np.sum(op(x, y) * W)

    x = np.array([1.0, np.nan, np.nan])
    y = np.array([np.nan, 2.0, np.nan])
    grad_x, grad_y = srcdiff.grad(f, wrt=("x", "y"))(x, y)
    np.testing.assert_array_equal(grad_x, [1.0, 0.0, 0.0])
    np.testing.assert_array_equal(grad_y, [0.0, 10.0, 0.0])


def test_sinc_has_gradient_zero_at_zero():
    def f(x):
        return np.sum(np.sinc(x) * W)

    x = np.array([0.0, 1e-3, -0.5])
    got = srcdiff.grad(f)(x)
    assert got[0] == 0.0
    assert max_relative_error(got, numerical_grad(f, [x], 0)) < 1e-6


def test_nan_to_num_gives_the_replaced_values_no_gradient():
    def f(x):
        return np.sum(np.nan_to_num(x, nan=1.0, posinf=2.0) * np.arange(1.0, 6.0))

    x = np.array([1.0, np.nan, np.inf, -np.inf, 2.0])
    np.testing.assert_array_equal(srcdiff.grad(f)(x), [1.0, 0.0, 0.0, 0.0, 5.0])

    def g(x, nan):
        return np.sum(np.nan_to_num(x, nan=nan))

    with pytest.raises(srcdiff.SrcdiffError, match="other than numbers"):
        srcdiff.grad(g)(x, 0.5)


def test_abs_and_copysign_have_gradient_zero_at_zero():
    def f(x):
        return np.sum((np.fabs(x) + np.copysign(x, -1.0)) * W)

    np.testing.assert_array_equal(
        srcdiff.grad(f)(np.array([0.0, -1.0, 2.0])), [0.0, 0.0, 0.0]
    )


def test_heaviside_passes_the_gradient_to_h0_where_x_is_zero():
    def f(x, h0):
        return np.sum(np.heaviside(x, h0) * W)

    x = np.array([0.0, -1.0, 0.0])
    grad_x, grad_h0 = srcdiff.grad(f, wrt=("x", "h0"))(x, 0.5)
    np.testing.assert_array_equal(grad_x, np.zeros(3))
    assert grad_h0 == 1.0 + 100.0
    assert max_relative_error(grad_h0, numerical_grad(f, [x, 0.5], 1)) < 1e-6


def test_emitted_code_reads_like_the_math():
    def f(y, x):
        return np.sum(np.arctan2(y, x) + np.logaddexp(x, y))

    g = srcdiff.grad(f, wrt=("y", "x"))
    g(np.array([1.0, 2.0]), np.array([0.5, -1.0]))
    assert "x**2 + y**2" in g.source
    assert "np.exp(x - " in g.source
