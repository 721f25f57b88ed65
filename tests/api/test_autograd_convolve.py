"""autograd.scipy.signal.convolve with axes= and dot_axes=: autograd's own
generalisation, which srcdiff traces as plain NumPy (srcdiff.parse.aliases.convolve);
without them it is scipy.signal.convolve.

The shim's values are compared with autograd's convolve for each mode and
the axes/dot_axes combinations of autograd's own tests, and srcdiff's
gradients through it with central differences.
"""

import re

import autograd
import autograd.numpy as anp
import autograd.scipy.signal as ag_signal
import numpy as np
import pytest
import scipy.signal
from autograd.scipy.signal import convolve as ag_convolve

import srcdiff
from srcdiff.numeric import max_relative_error, numerical_grad
from srcdiff.parse import aliases

MODES = ["full", "valid", "same"]
R = np.random.default_rng(3).normal

# (A's shape, B's shape, keywords): autograd's test_convolve_ignore,
# test_convolve_ignore_dot and test_convolve_generalization, every axis
# convolved (B smaller, then larger), and a convnet's layer both ways round.
CASES = [
    ((4, 3), (3, 2), {"axes": ([0], [0])}),
    ((4, 3), (3, 2), {"axes": ([1], [1])}),
    ((4, 3), (3, 2), {"axes": ([0], [1])}),
    ((4, 3), (3, 2), {"axes": ([1], [0])}),
    ((4, 3), (3, 2), {"axes": ([0, 1], [0, 1])}),
    ((4, 3), (3, 2), {"axes": ([1, 0], [1, 0])}),
    ((3, 3, 2), (3, 2, 3), {"axes": ([1], [1]), "dot_axes": ([0], [2])}),
    ((3, 3, 2), (3, 2, 3), {"axes": ([1], [1]), "dot_axes": ([0], [0])}),
    ((3, 5), (3, 4), {"axes": ([1], [0])}),
    ((3, 5), (3, 4), {"axes": ([], []), "dot_axes": ([0], [0])}),
    ((3, 5), (3, 4, 2), {"axes": ([1], [2]), "dot_axes": ([0], [0])}),
    (
        (2, 5, 4, 3),
        (2, 4, 2, 3, 2),
        {"axes": ([1, 2], [2, 4]), "dot_axes": ([0, 3], [0, 3])},
    ),
    ((6,), (3,), {"axes": ([0], [0])}),
    ((3,), (6,), {"axes": ([0], [0])}),
    ((6, 5), (2, 3), {"axes": ([0, 1], [0, 1])}),
    ((2, 3), (6, 5), {"axes": ([0, 1], [0, 1])}),
    ((4, 3, 9, 8), (3, 2, 3, 4), {"axes": ([2, 3], [2, 3]), "dot_axes": ([1], [0])}),
    ((3, 2, 3, 4), (4, 3, 9, 8), {"axes": ([2, 3], [2, 3]), "dot_axes": ([0], [1])}),
]


@pytest.mark.parametrize("mode", MODES)
@pytest.mark.parametrize(("a_shape", "b_shape", "kwargs"), CASES)
def test_values_are_autograds(a_shape, b_shape, kwargs, mode):
    A, B = R(size=a_shape), R(size=b_shape)
    want = ag_signal.convolve(A, B, mode=mode, **kwargs)
    got = aliases.convolve(A, B, mode=mode, **kwargs)
    assert got.shape == want.shape
    np.testing.assert_allclose(got, want, rtol=1e-12, atol=1e-12)


def test_valid_needs_one_array_larger_along_every_convolved_axis():
    A, B = R(size=(4, 2)), R(size=(2, 4))
    with pytest.raises(Exception, match="larger than the other"):
        ag_signal.convolve(A, B, axes=([0, 1], [0, 1]), mode="valid")
    with pytest.raises(ValueError, match="at least as large"):
        aliases.convolve(A, B, axes=([0, 1], [0, 1]), mode="valid")


@pytest.mark.parametrize("mode", MODES)
def test_without_axes_it_is_scipys_convolve(mode):
    A, B = R(size=(5, 4)), R(size=(3, 2))
    np.testing.assert_array_equal(
        aliases.convolve(A, B, mode=mode), scipy.signal.convolve(A, B, mode=mode)
    )

    def f(a, b):
        return anp.sum(anp.sin(ag_signal.convolve(a, b, mode=mode)))

    g = srcdiff.grad(f)
    assert max_relative_error(g(A, B), numerical_grad(f, (A, B), 0)) < 1e-6
    assert "signal.convolve(a, b" in g.source and "einsum" not in g.source


def check(f, args, wrt=(0, 1)):
    """srcdiff's gradient against central differences; returns its source."""
    g = srcdiff.grad(f, wrt=wrt)
    got = g(*args)
    for i, grad in zip(wrt, got, strict=True):
        assert max_relative_error(grad, numerical_grad(f, args, i)) < 1e-6
    assert not re.search(r"\bautograd\b|\bscipy\b", g.source)
    return g.source


def layer(inputs, filters, cotangent, mode="valid"):
    """A convnet's convolution layer: batch x channels x height x width
    images, filters channels x count x height x width."""
    conv = ag_signal.convolve(
        inputs, filters, axes=([2, 3], [2, 3]), dot_axes=([1], [0]), mode=mode
    )
    return anp.sum(anp.tanh(conv) * cotangent)


@pytest.mark.parametrize("mode", MODES)
def test_gradient_of_a_convnet_layer(mode):
    inputs, filters = R(size=(2, 3, 7, 6)), R(size=(3, 4, 3, 2))
    out = ag_signal.convolve(
        inputs, filters, axes=([2, 3], [2, 3]), dot_axes=([1], [0]), mode=mode
    )
    check(layer, (inputs, filters, R(size=out.shape), mode))


@pytest.mark.parametrize("mode", MODES)
@pytest.mark.parametrize(
    ("a_shape", "b_shape", "kwargs"),
    [CASES[2], CASES[6], CASES[7], CASES[11], CASES[13], CASES[15]],
)
def test_gradients(a_shape, b_shape, kwargs, mode):
    A, B = R(size=a_shape), R(size=b_shape)
    cotangent = R(size=ag_signal.convolve(A, B, mode=mode, **kwargs).shape)

    def f(a, b):
        return anp.sum(ag_signal.convolve(a, b, mode=mode, **kwargs) * cotangent)

    check(f, (A, B))


def test_emitted_code_does_not_grow_with_the_kernel():
    """One einsum per convolved axis and one with the filters, whatever the
    kernel's size, and the same backwards for the inputs; the filters'
    gradient is one einsum of the patches."""
    sources = []
    for kernel in [(2, 2), (5, 5)]:
        inputs, filters = R(size=(3, 2, 12, 12)), R(size=(2, 4, *kernel))
        cotangent = R(size=(3, 4, 13 - kernel[0], 13 - kernel[1]))
        sources.append(check(layer, (inputs, filters, cotangent)))
    small, large = sources
    assert small.count("np.einsum(") == large.count("np.einsum(") == 3 + 1 + 3
    assert "window" in large and "patches" in large


def test_reached_by_name_by_dotted_path_and_through_its_module():
    A, B = R(size=(3, 5)), R(size=(3, 4, 2))
    keywords = {"axes": ([1], [2]), "dot_axes": ([0], [0]), "mode": "full"}

    def f(a, b):
        by_name = ag_convolve(a, b, **keywords)
        dotted = autograd.scipy.signal.convolve(a, b, **keywords)
        return anp.sum(by_name * dotted) + anp.sum(ag_signal.convolve(a, b, **keywords))

    check(f, (A, B))
