"""Property tests of the scipy.stats.norm rules: pdf, cdf, sf and their logs.

Each method is called with ``x`` alone, with ``loc`` and ``scale`` passed
positionally or by keyword, all three broadcasting against each other. The
gradients in each are checked against central differences, as the transpose
of the derivative (the rule called on arrays), and traced without an example.
"""

import autograd
import autograd.numpy as anp
import autograd.scipy.stats.norm as anorm
import numpy as np
import pytest
from hypothesis import given
from hypothesis import strategies as st
from hypothesis.extra import numpy as hnp
from rule_checks import check_generic, check_grad, check_rule, draw_array, draw_weights
from rule_domains import REAL, Row, floats
from scipy import stats
from scipy.stats import norm

import srcdiff
from srcdiff.coverage import public_name

# A scale of at least 1/2 keeps |z| <= 8, where the tails are still accurate.
SCALE = floats(0.5, 4)
NORM_DOMAINS = {
    norm.pdf: Row((REAL, REAL, SCALE)),
    norm.cdf: Row((REAL, REAL, SCALE)),
    norm.sf: Row((REAL, REAL, SCALE)),
    norm.logpdf: Row((REAL, REAL, SCALE)),
    norm.logcdf: Row((REAL, REAL, SCALE)),
    norm.logsf: Row((REAL, REAL, SCALE)),
}
METHODS = list(NORM_DOMAINS)
SHAPES = {"max_dims": 3, "max_side": 3}


def weighted(op, G, style):
    """``sum(op(...) * G)`` in the calling style drawn, with source for srcdiff."""

    def standard(x):
        return np.sum(op(x) * G)

    def positional(x, loc, scale):
        return np.sum(op(x, loc, scale) * G)

    def keywords(x, loc, scale):
        return np.sum(op(x, loc=loc, scale=scale) * G)

    return {"standard": standard, "positional": positional, "keywords": keywords}[style]


@pytest.mark.parametrize("op", METHODS, ids=lambda op: op.__name__)
@given(data=st.data(), style=st.sampled_from(["standard", "positional", "keywords"]))
def test_norm_rule(op, data, style):
    inputs = NORM_DOMAINS[op].inputs
    if style == "standard":
        inputs = inputs[:1]
    shapes = data.draw(
        hnp.mutually_broadcastable_shapes(num_shapes=len(inputs), **SHAPES)
    )
    args = [
        draw_array(data, elements, shape)
        for elements, shape in zip(inputs, shapes.input_shapes, strict=True)
    ]
    G = draw_weights(data, shapes.result_shape)
    f = weighted(op, G, style)
    expected = check_grad(f, args)
    check_rule(data, op, args, G)
    check_generic(f, args, expected)


def test_agrees_with_the_closed_form():
    x = np.array([-1.5, 0.25, 2.0])

    def f(x, loc, scale):
        return np.sum(stats.norm.cdf(x, loc, scale))

    dx, dloc, dscale = srcdiff.grad(f, wrt=(0, 1, 2))(x, 0.5, 2.0)
    pdf = norm.pdf(x, 0.5, 2.0)
    np.testing.assert_allclose(dx, pdf, rtol=1e-14)
    np.testing.assert_allclose(dloc, -np.sum(pdf), rtol=1e-14)
    np.testing.assert_allclose(dscale, -np.sum(pdf * (x - 0.5) / 2.0), rtol=1e-14)


def test_emits_norm_methods():
    def f(x):
        return np.sum(norm.logcdf(x))

    g = srcdiff.grad(f)
    g(np.array([0.5, -2.0]))
    assert "from scipy.stats import norm" in g.source
    assert "norm.logpdf(" in g.source


@pytest.mark.parametrize("op", METHODS, ids=lambda op: op.__name__)
def test_public_name(op):
    assert public_name(op) == f"`scipy.stats.norm.{op.__name__}`"


def test_agrees_with_autograd():
    x = np.array([-1.5, 0.25, 2.0])

    def f(x, loc, scale):
        a = norm.logpdf(x, loc, scale) + norm.cdf(x, loc, scale)
        return np.sum(a * norm.pdf(x, loc, scale) + norm.logcdf(x, loc, scale))

    def reference(x, loc, scale):
        a = anorm.logpdf(x, loc, scale) + anorm.cdf(x, loc, scale)
        return anp.sum(a * anorm.pdf(x, loc, scale) + anorm.logcdf(x, loc, scale))

    for i in (0, 1, 2):
        got = srcdiff.grad(f, wrt=i)(x, 0.5, 2.0)
        expected = autograd.grad(reference, i)(x, 0.5, 2.0)
        np.testing.assert_allclose(got, expected, rtol=1e-12)
