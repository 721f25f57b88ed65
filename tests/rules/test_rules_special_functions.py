"""Property tests of srcdiff/rules/scipy_special_functions.py: gamma and its
relatives, the incomplete gamma and beta functions, erfcinv and Bessel
functions, against central differences, as the transpose of their derivative
(the rule called on arrays) and traced without an example.

Orders and shape parameters that the rules refuse (jv's, iv's and ive's v;
gammainc's a; betainc's a and b) are closed over as constants, or passed as
integer arrays to the direct rule check, which differentiates float inputs
only. Integer orders (yn's n, multigammaln's d) have no gradient.
"""

import autograd
import autograd.numpy as anp
import autograd.scipy.special as asp
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
from rule_domains import MODERATE, POSITIVE, Row, floats
from scipy import special

import srcdiff

# gamma and rgamma: both sides of 0, away from the poles at 0, -1, -2, ...
OFF_POLES = st.one_of(floats(-0.8, -0.2), floats(0.25, 4))
# Orders that are not integers need x > 0 (jv, iv and ive are nan below).
ORDER = floats(-2, 3)
WHOLE_ORDER = st.integers(-2, 3)
# SciPy's iv(v, x) is nan for v != 0 and 0 < |x| < 1e-307 (ive is not).
NOT_TINY = MODERATE.filter(lambda x: x == 0 or abs(x) > 1e-300)
# ive has a kink at 0 (it scales by exp(-|z|)).
NONZERO = st.one_of(floats(-4, -0.25), floats(0.25, 4))
SHAPE_PARAMETER = floats(0.5, 4)
PROBABILITY = floats(0.05, 0.95)

SPECIAL_FUNCTIONS = {
    special.gamma: Row((OFF_POLES,)),
    special.rgamma: Row((OFF_POLES,)),
    special.erfcinv: Row((floats(0.1, 1.9),)),
    special.j0: Row((floats(-6, 6),)),
    special.j1: Row((floats(-6, 6),)),
    special.y0: Row((POSITIVE,)),
    special.y1: Row((POSITIVE,)),
}
# Functions with an order or shape parameter, tested on their own below.
WITH_PARAMETERS = {
    special.multigammaln: Row((POSITIVE, st.integers(1, 4))),
    special.gammainc: Row((SHAPE_PARAMETER, POSITIVE)),
    special.gammaincc: Row((SHAPE_PARAMETER, POSITIVE)),
    special.betainc: Row((SHAPE_PARAMETER, SHAPE_PARAMETER, PROBABILITY)),
    special.jv: Row((ORDER, POSITIVE)),
    special.yn: Row((st.integers(0, 3), floats(0.5, 4))),
    special.iv: Row((ORDER, POSITIVE)),
    special.ive: Row((ORDER, POSITIVE)),
}
SHAPES = {"max_dims": 3, "max_side": 3}


def broadcasting(data, count):
    return data.draw(hnp.mutually_broadcastable_shapes(num_shapes=count, **SHAPES))


def whole_numbers(data, shape):
    """Integer shape parameters, which the direct rule check does not differentiate."""
    return data.draw(hnp.arrays(np.int64, shape, elements=st.integers(1, 4)))


@pytest.mark.parametrize("op", SPECIAL_FUNCTIONS, ids=lambda op: op.__name__)
@given(data=st.data())
def test_elementwise_rule(op, data):
    shape = data.draw(hnp.array_shapes(min_dims=0, **SHAPES))
    x = draw_array(data, SPECIAL_FUNCTIONS[op].inputs[0], shape)
    G = draw_weights(data, shape)
    f = weighted_sum(op, G, 1)
    expected = check_grad(f, [x])
    check_rule(data, op, [x], G)
    check_generic(f, [x], expected)


@given(data=st.data(), d=WITH_PARAMETERS[special.multigammaln].inputs[1])
def test_multigammaln(data, d):
    shape = data.draw(hnp.array_shapes(min_dims=0, **SHAPES))
    # multigammaln needs a > (d - 1) / 2.
    a = draw_array(data, POSITIVE.map(lambda v: v + (d - 1) / 2), shape)
    G = draw_weights(data, shape)

    def f(a):
        return np.sum(special.multigammaln(a, d) * G)

    expected = check_grad(f, [a])
    check_rule(data, special.multigammaln, [a, d], G)
    check_generic(f, [a], expected)


@pytest.mark.parametrize("op", [special.gammainc, special.gammaincc])
@given(data=st.data())
def test_incomplete_gamma_in_x(op, data):
    shapes = broadcasting(data, 2)
    shape_a, shape_x = shapes.input_shapes
    a = draw_array(data, SHAPE_PARAMETER, shape_a)
    x = draw_array(data, POSITIVE, shape_x)
    G = draw_weights(data, shapes.result_shape)

    def f(x):
        return np.sum(op(a, x) * G)

    expected = check_grad(f, [x])
    check_generic(f, [x], expected)
    check_rule(data, op, [whole_numbers(data, shape_a), x], G)


@given(data=st.data())
def test_betainc_in_x(data):
    shapes = broadcasting(data, 3)
    shape_a, shape_b, shape_x = shapes.input_shapes
    a = draw_array(data, SHAPE_PARAMETER, shape_a)
    b = draw_array(data, SHAPE_PARAMETER, shape_b)
    x = draw_array(data, PROBABILITY, shape_x)
    G = draw_weights(data, shapes.result_shape)

    def f(x):
        return np.sum(special.betainc(a, b, x) * G)

    expected = check_grad(f, [x])
    check_generic(f, [x], expected)
    whole_a, whole_b = (whole_numbers(data, shape) for shape in (shape_a, shape_b))
    check_rule(data, special.betainc, [whole_a, whole_b, x], G)


@pytest.mark.parametrize("op", [special.jv, special.iv, special.ive])
@given(data=st.data())
def test_bessel_of_any_order(op, data):
    shapes = broadcasting(data, 2)
    v = draw_array(data, ORDER, shapes.input_shapes[0])
    x = draw_array(data, POSITIVE, shapes.input_shapes[1])
    G = draw_weights(data, shapes.result_shape)

    def f(x):
        return np.sum(op(v, x) * G)

    expected = check_grad(f, [x])
    check_generic(f, [x], expected)


@pytest.mark.parametrize(
    ("op", "domain"),
    [(special.jv, floats(-6, 6)), (special.iv, NOT_TINY), (special.ive, NONZERO)],
    ids=["jv", "iv", "ive"],
)
@given(data=st.data())
def test_bessel_of_whole_order_on_the_real_line(op, domain, data):
    shapes = broadcasting(data, 2)
    n = data.draw(hnp.arrays(np.int64, shapes.input_shapes[0], elements=WHOLE_ORDER))
    x = draw_array(data, domain, shapes.input_shapes[1])
    G = draw_weights(data, shapes.result_shape)

    def f(n, x):
        return np.sum(op(n, x) * G)

    expected = check_grad(f, [n, x])
    check_rule(data, op, [n, x], G)
    check_generic(f, [n, x], expected)


@given(data=st.data())
def test_yn(data):
    shapes = broadcasting(data, 2)
    elements = WITH_PARAMETERS[special.yn].inputs
    n = data.draw(hnp.arrays(np.int64, shapes.input_shapes[0], elements=elements[0]))
    x = draw_array(data, elements[1], shapes.input_shapes[1])
    G = draw_weights(data, shapes.result_shape)

    def f(n, x):
        return np.sum(special.yn(n, x) * G)

    expected = check_grad(f, [n, x])
    check_rule(data, special.yn, [n, x], G)
    check_generic(f, [n, x], expected)


@given(data=st.data(), shape=hnp.array_shapes(min_dims=0, **SHAPES))
def test_gammasgn_has_zero_gradient(data, shape):
    x = draw_array(data, OFF_POLES, shape)
    G = draw_weights(data, shape)

    def f(x):
        # |gamma(x)|, written with the sign gamma has on each side of a pole
        return np.sum(special.gammasgn(x) * special.gamma(x) * G)

    expected = check_grad(f, [x])
    check_generic(f, [x], expected)


def test_jn_is_jv():
    def f(x):
        return np.sum(special.jn(2, x) + special.jv(2, x))

    x = np.array([0.5, 1.0, 3.0])
    expected = special.jv(1, x) - special.jv(3, x)
    np.testing.assert_allclose(srcdiff.grad(f)(x), expected, rtol=1e-12)


def in_a(a, x):
    return np.sum(special.gammainc(a, x))


def in_v(v, x):
    return np.sum(special.iv(v, x))


def in_b(b, x):
    return np.sum(special.betainc(2.0, b, x))


@pytest.mark.parametrize(
    ("f", "name"),
    [(in_a, "gammainc"), (in_v, "iv"), (in_b, "betainc")],
    ids=["gammainc", "iv", "betainc"],
)
def test_refused_parameters_fail_with_a_located_error(f, name):
    x = np.array([0.3, 0.6])
    message = f"no derivative of {name} with respect to its argument"
    with pytest.raises(srcdiff.UnsupportedPrimitive, match=message):
        srcdiff.grad(f, wrt=0)(np.array([1.5, 2.5]), x)


def test_agrees_with_autograd():
    x = np.array([0.3, 0.7, 0.9])

    def f(x):
        a = special.gamma(x + 1) * special.rgamma(x + 2) + special.erfcinv(x)
        b = special.gammainc(1.5, x) - special.gammaincc(2.5, x)
        c = special.betainc(2.0, 3.0, x) + special.multigammaln(x + 2, 3)
        d = special.j0(x) * special.j1(x) + special.jv(1.5, x) + special.y0(x)
        e = special.y1(x) + special.yn(2, x) + special.iv(0.5, x) * special.ive(2, x)
        return np.sum(a + b + c + d + e)

    def reference(x):
        a = asp.gamma(x + 1) * asp.rgamma(x + 2) + asp.erfcinv(x)
        b = asp.gammainc(1.5, x) - asp.gammaincc(2.5, x)
        c = asp.betainc(2.0, 3.0, x) + asp.multigammaln(x + 2, 3)
        d = asp.j0(x) * asp.j1(x) + asp.jn(1.5, x) + asp.y0(x)
        e = asp.y1(x) + asp.yn(2, x) + asp.iv(0.5, x) * asp.ive(2, x)
        return anp.sum(a + b + c + d + e)

    np.testing.assert_allclose(
        srcdiff.grad(f)(x), autograd.grad(reference)(x), rtol=1e-10
    )
