"""Property tests of the scipy.special rules: elementwise functions and softmax.

Each function is checked against central differences, as the transpose of its
derivative (the rule called on arrays), and traced without an example. Inputs
broadcast against each other; softmax and log_softmax take every axis.
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
from rule_domains import MODERATE, NONZERO, POSITIVE, REAL, Row, floats
from scipy import special

import srcdiff

# Probabilities away from 0 and 1, where logit and erfinv stay moderate.
PROBABILITY = floats(0.05, 0.95)
# polygamma(n, x) grows like n! / x**(n+1): x away from the pole at 0.
AWAY_FROM_ZERO = floats(0.5, 4)

SPECIAL_DOMAINS = {
    special.expit: Row((MODERATE,)),
    special.logit: Row((PROBABILITY,)),
    special.log_expit: Row((MODERATE,)),
    special.erf: Row((REAL,)),
    special.erfc: Row((REAL,)),
    special.erfinv: Row((floats(-0.9, 0.9),)),
    special.gammaln: Row((POSITIVE,)),
    special.digamma: Row((POSITIVE,)),
    special.i0: Row((MODERATE,)),
    # i1's and i1e's rules divide by x; i0e has a kink at 0.
    special.i1: Row((NONZERO,)),
    special.i0e: Row((NONZERO,)),
    special.i1e: Row((NONZERO,)),
    special.beta: Row((POSITIVE, POSITIVE)),
    special.betaln: Row((POSITIVE, POSITIVE)),
    special.xlogy: Row((REAL, POSITIVE)),
    special.xlog1py: Row((REAL, floats(-0.75, 4))),
}
# Functions with a static argument, tested on their own below.
STATIC_DOMAINS = {
    special.softmax: Row((MODERATE,)),
    special.log_softmax: Row((MODERATE,)),
    special.polygamma: Row((st.integers(0, 3), AWAY_FROM_ZERO)),
}
SHAPES = {"max_dims": 3, "max_side": 3}


@pytest.mark.parametrize("op", SPECIAL_DOMAINS, ids=lambda op: op.__name__)
@given(data=st.data())
def test_elementwise_rule(op, data):
    inputs = SPECIAL_DOMAINS[op].inputs
    shapes = data.draw(
        hnp.mutually_broadcastable_shapes(num_shapes=len(inputs), **SHAPES)
    )
    args = [
        draw_array(data, elements, shape)
        for elements, shape in zip(inputs, shapes.input_shapes, strict=True)
    ]
    G = draw_weights(data, shapes.result_shape)
    f = weighted_sum(op, G, len(inputs))
    expected = check_grad(f, args)
    check_rule(data, op, args, G)
    check_generic(f, args, expected)


@pytest.mark.parametrize("op", [special.softmax, special.log_softmax])
@given(data=st.data())
def test_softmax_over_every_axis(op, data):
    shape = data.draw(hnp.array_shapes(min_dims=0, max_dims=3, max_side=3))
    ndim = len(shape)
    one = st.integers(-ndim, ndim - 1) if ndim else st.nothing()
    axis = data.draw(st.one_of(st.none(), one, hnp.valid_tuple_axes(ndim)))
    x = draw_array(data, STATIC_DOMAINS[op].inputs[0], shape, allow_float=False)
    G = draw_weights(data, shape)

    def f(x):
        return np.sum(op(x, axis=axis) * G)

    expected = check_grad(f, [x])
    check_rule(data, op, [x], G, {"axis": axis})
    check_generic(f, [x], expected)


@given(data=st.data(), n=STATIC_DOMAINS[special.polygamma].inputs[0])
def test_polygamma(data, n):
    shape = data.draw(hnp.array_shapes(min_dims=0, **SHAPES))
    x = draw_array(data, AWAY_FROM_ZERO, shape)
    G = draw_weights(data, shape)

    def f(x):
        return np.sum(special.polygamma(n, x) * G)

    expected = check_grad(f, [x])
    check_rule(data, special.polygamma, [n, x], G)
    check_generic(f, [x], expected)


def test_psi_is_digamma():
    def f(x):
        return np.sum(special.psi(x) + special.digamma(x))

    x = np.array([0.5, 1.0, 3.0])
    np.testing.assert_allclose(srcdiff.grad(f)(x), 2 * special.polygamma(1, x))


def test_rules_emit_scipy_imports():
    def f(x):
        return np.sum(special.gammaln(x) * special.i0(x))

    g = srcdiff.grad(f)
    g(np.array([0.5, 2.0]))
    # One line per module, names sorted: the same text on every run.
    assert "from scipy.special import digamma, gammaln, i0, i1\n" in g.source


def test_agrees_with_autograd():
    x = np.array([0.3, 1.7, 2.5])

    def f(x):
        a = special.gammaln(x) * special.erf(x) + special.digamma(x)
        b = special.betaln(x, 2.0) + special.polygamma(1, x) * special.i0(x)
        return np.sum(a + b + special.logit(special.expit(x)) ** 2)

    def reference(x):
        a = asp.gammaln(x) * asp.erf(x) + asp.digamma(x)
        b = asp.betaln(x, 2.0) + asp.polygamma(1, x) * asp.i0(x)
        return anp.sum(a + b + asp.logit(asp.expit(x)) ** 2)

    np.testing.assert_allclose(
        srcdiff.grad(f)(x), autograd.grad(reference)(x), rtol=1e-12
    )
