"""Property tests of scipy.signal.convolve's rule: every mode and method.

Inputs are 0-d to 3-D, real or complex each, of any sizes the mode allows
(``valid`` needs one input at least as large as the other along every axis).
The checks are those of the Fourier family: central differences of the real
part along the real and imaginary directions, the derivative traced without an
example, and the rule as the transpose of convolution in each input. autograd,
whose own convolve takes the full and valid modes, is a second opinion.
"""

import autograd
import autograd.scipy.signal
import numpy as np
import pytest
from hypothesis import given
from hypothesis import strategies as st
from rule_domains import REAL, Row
from scipy import signal
from test_rules_fft import (
    check_grad,
    check_transpose,
    draw_input,
    draw_weights,
    relative_error,
)

import srcdiff

# Convolution is bilinear: any values will do, real or complex.
SIGNAL_DOMAINS = {signal.convolve: Row((REAL, REAL))}
MODES = ["full", "same", "valid"]


@st.composite
def shape_pairs(draw, mode):
    """Shapes of ``in1`` and ``in2``: equal ndim, sizes 1 to 4."""
    ndim = draw(st.integers(0, 3))
    sides = st.lists(st.integers(1, 4), min_size=ndim, max_size=ndim)
    first, second = draw(sides), draw(sides)
    if mode == "valid":  # one input covers the other along every axis
        large = [max(a, b) for a, b in zip(first, second, strict=True)]
        small = [min(a, b) for a, b in zip(first, second, strict=True)]
        first, second = draw(st.permutations([large, small]))
    return tuple(first), tuple(second)


@pytest.mark.parametrize("mode", MODES)
@given(data=st.data())
def test_convolve(mode, data):
    shapes = data.draw(shape_pairs(mode))
    rows = SIGNAL_DOMAINS[signal.convolve].inputs
    in1, in2 = (draw_input(data, row, s) for row, s in zip(rows, shapes, strict=True))
    kwargs = {"mode": mode}
    if data.draw(st.booleans()):
        kwargs["method"] = data.draw(st.sampled_from(["auto", "direct", "fft"]))
    W = draw_weights(data, np.shape(signal.convolve(in1, in2, **kwargs)))

    def f(in1, in2):
        return np.sum(np.real(signal.convolve(in1, in2, **kwargs) * W))

    check_grad(f, [in1, in2], generic=mode == "full")
    check_transpose(data, signal.convolve, [in1, in2], kwargs, W)


def test_methods_emit_their_algorithm():
    image = np.arange(12.0).reshape(3, 4)
    kernel = np.array([[1.0, -2.0], [0.5, 3.0]])

    def f(image):
        return np.sum(signal.convolve(image, kernel, "same", method="fft") ** 2)

    g = srcdiff.grad(f)
    g(image)
    assert 'method="fft"' in g.source
    assert "from scipy import signal" in g.source


def test_agrees_with_autograd():
    image = np.cos(np.arange(20.0)).reshape(4, 5)
    kernel = np.array([[1.0, -2.0, 0.25], [0.5, 3.0, -1.0]])
    W = np.sin(np.arange(9.0)).reshape(3, 3)

    def f(image, kernel):
        smooth = signal.convolve(image, kernel, "valid") * W
        return np.sum(signal.convolve(smooth, kernel) ** 2)

    def reference(image, kernel):
        convolve = autograd.scipy.signal.convolve
        smooth = convolve(image, kernel, mode="valid") * W
        return np.sum(convolve(smooth, kernel) ** 2)

    for i in (0, 1):
        got = srcdiff.grad(f, wrt=i)(image, kernel)
        expected = autograd.grad(reference, i)(image, kernel)
        assert relative_error(got, expected) < 1e-12
