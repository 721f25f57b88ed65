"""Property tests of the Fourier transform rules (np.fft) and of np.convolve.

Complex numbers follow autograd's convention: the gradient in z = x + iy is
d/dx - i d/dy of the real part of the loss, and a real input gets a real
gradient. The reference is central differences along the real and, for complex
inputs, the imaginary direction of each element. Losses weight the output with
drawn complex weights; the real transforms also get the power spectrum
``sum(|rfft(x)|**2)``. Lengths (``n=``, ``s=``) are drawn odd and even, shorter
and longer than the input, so truncation, zero-padding and irfft's Hermitian
weights are all exercised. Called directly on arrays, each rule is also checked
against the transform itself: every one is linear, so the rule is its transpose,
Re<G, F(v)> == Re<rule(G), v> for any direction v.
"""

import autograd
import autograd.numpy as anp
import numpy as np
import pytest
from hypothesis import given
from hypothesis import strategies as st
from hypothesis.extra import numpy as hnp
from rule_checks import DIRECTION, WEIGHT
from rule_domains import POSITIVE, REAL, Row

import srcdiff
from srcdiff.api import compile_derivative
from srcdiff.ir.prims import lookup
from srcdiff.numeric import numerical_grad
from srcdiff.rules import rule_for

TOL = 1e-6
NORMS = [None, "backward", "ortho", "forward"]
# Lengths 1 to 7 against sides 1 to 5: odd and even, cut and padded.
LENGTH = st.integers(1, 7)

# Every transform is linear: any values will do, real or complex.
FFT_DOMAINS = {
    fn: Row((REAL,))
    for fn in [
        np.fft.fft,
        np.fft.ifft,
        np.fft.fft2,
        np.fft.ifft2,
        np.fft.fftn,
        np.fft.ifftn,
        np.fft.rfft,
        np.fft.irfft,
        np.fft.rfft2,
        np.fft.irfft2,
        np.fft.rfftn,
        np.fft.irfftn,
        np.fft.fftshift,
        np.fft.ifftshift,
    ]
}
FFT_DOMAINS[np.convolve] = Row((REAL, REAL))
# Sample frequencies k / (n d): a length and a positive spacing.
FFT_DOMAINS[np.fft.fftfreq] = Row((st.integers(1, 9), POSITIVE))
FFT_DOMAINS[np.fft.rfftfreq] = Row((st.integers(1, 9), POSITIVE))


def plane(real, imag):
    return st.builds(complex, real, imag)


def name(fn):
    return fn.__name__


# ----- Drawing inputs -----
def draw_input(data, elements, shape, complex_=None):
    """Values from ``elements`` (both parts if complex); complex or not as drawn."""
    if complex_ is None:
        complex_ = data.draw(st.booleans(), label="complex")
    if complex_:
        return data.draw(
            hnp.arrays(np.complex128, shape, elements=plane(elements, elements))
        )
    return data.draw(hnp.arrays(np.float64, shape, elements=elements))


def draw_weights(data, shape, complex_=True):
    """``W``: nonzero weights that reduce an output of ``shape`` to one number."""
    elements = plane(WEIGHT, WEIGHT) if complex_ else WEIGHT
    dtype = np.complex128 if complex_ else np.float64
    return data.draw(hnp.arrays(dtype, shape, elements=elements), label="W")


def draw_axis_options(data, ndim):
    """``n=``, ``axis=`` and ``norm=`` of a 1-D transform, each or not."""
    chosen = {}
    if data.draw(st.booleans()):
        chosen["n"] = data.draw(LENGTH)
    if data.draw(st.booleans()):
        chosen["axis"] = data.draw(st.integers(-ndim, ndim - 1))
    if data.draw(st.booleans()):
        chosen["norm"] = data.draw(st.sampled_from(NORMS))
    return chosen


def draw_axes_options(data, ndim, pair):
    """``s=``, ``axes=`` and ``norm=`` of a 2-D (``pair``) or n-D transform."""
    chosen = {}
    if data.draw(st.booleans()):
        size = 2 if pair else data.draw(st.integers(1, ndim))
        axes = data.draw(
            st.lists(
                st.integers(-ndim, ndim - 1),
                min_size=size,
                max_size=size,
                unique_by=lambda axis: axis % ndim,
            )
        )
        chosen["axes"] = tuple(axes)
    if data.draw(st.booleans()) and ("axes" in chosen or pair):
        count = len(chosen.get("axes", (-2, -1)))
        chosen["s"] = tuple(data.draw(st.lists(LENGTH, min_size=count, max_size=count)))
    if data.draw(st.booleans()):
        chosen["norm"] = data.draw(st.sampled_from(NORMS))
    return chosen


# ----- Checks -----
def complex_numerical_grad(f, args, i):
    """d/dx - i d/dy of Re f in ``args[i]`` (d/dx alone for a real input)."""
    if not np.iscomplexobj(args[i]):
        return numerical_grad(lambda *a: np.real(f(*a)), args, i)

    def real_output(x, y):
        moved = list(args)
        moved[i] = x + 1j * y
        return np.real(f(*moved))

    parts = [np.real(args[i]), np.imag(args[i])]
    return numerical_grad(real_output, parts, 0) - 1j * numerical_grad(
        real_output, parts, 1
    )


def relative_error(got, expected):
    got, expected = np.asarray(got), np.asarray(expected)
    scale = np.maximum(np.maximum(np.abs(got), np.abs(expected)), 1.0)
    return float(np.max(np.abs(got - expected) / scale, initial=0.0))


def check_grad(f, args, generic=True):
    """srcdiff's gradient in each argument against central differences.

    A real argument must get a real gradient, a complex one a complex gradient.
    ``generic``: the derivative traced without an example too. It cannot know
    that an input is real, so there only the real part of a real input's
    gradient is compared.
    """
    for i, arg in enumerate(args):
        expected = complex_numerical_grad(f, args, i)
        got = srcdiff.grad(f, wrt=i)(*args)
        assert np.shape(got) == np.shape(arg)
        real = np.result_type(arg).kind != "c"
        assert np.result_type(got) == (np.float64 if real else np.complex128)
        error = relative_error(got, expected)
        assert error < TOL, f"gradient in argument {i} is off by {error:.3g}"
        if generic:
            got = compile_derivative(srcdiff.grad(f, wrt=i).derivative())(*args)
            got = np.real(got) if real else got
            error = relative_error(got, expected)
            assert error < TOL, f"generic gradient in {i} is off by {error:.3g}"


def check_transpose(data, fn, args, kwargs, G):
    """On arrays, the rule is the transpose of ``fn``, linear in each input."""
    rule = rule_for(lookup(fn))
    contributions = rule(G, fn(*args, **kwargs), *args, **kwargs)
    if not isinstance(contributions, tuple):
        contributions = (contributions,)
    for i, arg in enumerate(args):
        elements = plane(DIRECTION, DIRECTION) if np.iscomplexobj(arg) else DIRECTION
        v = data.draw(hnp.arrays(np.result_type(arg), np.shape(arg), elements=elements))
        moved = list(args)
        moved[i] = v
        forward = np.real(np.sum(G * fn(*moved, **kwargs)))
        backward = np.real(np.sum(contributions[i] * v))
        assert relative_error(backward, forward) < 1e-9, f"argument {i}"


# ----- Complex transforms -----
@pytest.mark.parametrize("fn", [np.fft.fft, np.fft.ifft], ids=name)
@given(data=st.data())
def test_complex_1d(fn, data):
    shape = data.draw(hnp.array_shapes(min_dims=1, max_dims=3, max_side=5))
    kwargs = draw_axis_options(data, len(shape))
    x = draw_input(data, FFT_DOMAINS[fn].inputs[0], shape)
    W = draw_weights(data, fn(x, **kwargs).shape)

    def f(x):
        return np.sum(np.real(fn(x, **kwargs) * W))

    check_grad(f, [x], generic="n" not in kwargs)
    check_transpose(data, fn, [x], kwargs, W)


@pytest.mark.parametrize(
    "fn", [np.fft.fft2, np.fft.ifft2, np.fft.fftn, np.fft.ifftn], ids=name
)
@given(data=st.data())
def test_complex_nd(fn, data):
    pair = fn in (np.fft.fft2, np.fft.ifft2)
    shape = data.draw(
        hnp.array_shapes(min_dims=2 if pair else 1, max_dims=3, max_side=4)
    )
    kwargs = draw_axes_options(data, len(shape), pair)
    x = draw_input(data, FFT_DOMAINS[fn].inputs[0], shape)
    W = draw_weights(data, fn(x, **kwargs).shape)

    def f(x):
        return np.sum(np.real(fn(x, **kwargs) * W))

    check_grad(f, [x], generic="s" not in kwargs)
    check_transpose(data, fn, [x], kwargs, W)


# ----- Real transforms -----
@pytest.mark.parametrize("fn", [np.fft.rfft, np.fft.rfft2, np.fft.rfftn], ids=name)
@given(data=st.data())
def test_real_forward(fn, data):
    ndim = 1 if fn is np.fft.rfft else 2 if fn is np.fft.rfft2 else None
    shape = data.draw(hnp.array_shapes(min_dims=ndim or 1, max_dims=3, max_side=5))
    if fn is np.fft.rfft:
        kwargs = draw_axis_options(data, len(shape))
    else:
        kwargs = draw_axes_options(data, len(shape), pair=fn is np.fft.rfft2)
    x = draw_input(data, FFT_DOMAINS[fn].inputs[0], shape, complex_=False)
    W = draw_weights(data, fn(x, **kwargs).shape)

    def weighted(x):
        return np.sum(np.real(fn(x, **kwargs) * W))

    def power(x):
        return np.sum(np.abs(fn(x, **kwargs)) ** 2)

    resized = "n" in kwargs or "s" in kwargs
    generic = not resized and (fn is not np.fft.rfftn or "axes" in kwargs)
    check_grad(weighted, [x], generic)
    check_grad(power, [x], generic=False)
    check_transpose(data, fn, [x], kwargs, W)


@pytest.mark.parametrize("fn", [np.fft.irfft, np.fft.irfft2, np.fft.irfftn], ids=name)
@given(data=st.data())
def test_real_inverse(fn, data):
    ndim = 1 if fn is np.fft.irfft else 2 if fn is np.fft.irfft2 else None
    # Without n= or s=, a half spectrum of length m makes 2 (m - 1) values.
    shape = data.draw(
        hnp.array_shapes(min_dims=ndim or 1, max_dims=3, min_side=2, max_side=5)
    )
    if fn is np.fft.irfft:
        kwargs = draw_axis_options(data, len(shape))
    else:
        kwargs = draw_axes_options(data, len(shape), pair=fn is np.fft.irfft2)
    X = draw_input(data, FFT_DOMAINS[fn].inputs[0], shape)
    # Complex weights make the adjoint of the real result arrive complex.
    W = draw_weights(data, fn(X, **kwargs).shape, data.draw(st.booleans()))

    def f(X):
        return np.sum(np.real(fn(X, **kwargs) * W))

    last = kwargs.get("axis", kwargs.get("axes", [-1])[-1])
    generic = "n" not in kwargs and "s" not in kwargs and last == -1
    check_grad(f, [X], generic and not np.iscomplexobj(W))
    check_transpose(data, fn, [X], kwargs, W)


@pytest.mark.parametrize("n", range(1, 9))
def test_power_spectrum_counts_mirrored_bins_twice(n):
    # By Parseval, sum |rfft(x)|**2 = (n |x|**2 + (sum x)**2 + (sum (-1)**j x_j)**2
    # for even n) / 2: bins 0 and n / 2 are their own mirror images.
    x = np.cos(np.arange(n) + 0.5) + np.arange(n) / 7

    def f(x):
        return np.sum(np.abs(np.fft.rfft(x)) ** 2)

    sign = (-1.0) ** np.arange(n)
    expected = n * x + np.sum(x) + (sign * np.sum(sign * x) if n % 2 == 0 else 0)
    np.testing.assert_allclose(srcdiff.grad(f)(x), expected, rtol=1e-12)


# ----- Shifts -----
@pytest.mark.parametrize("fn", [np.fft.fftshift, np.fft.ifftshift], ids=name)
@given(data=st.data())
def test_shifts(fn, data):
    shape = data.draw(hnp.array_shapes(min_dims=1, max_dims=3, max_side=5))
    ndim = len(shape)
    kwargs = data.draw(
        st.one_of(
            st.just({}),
            st.integers(-ndim, ndim - 1).map(lambda axis: {"axes": axis}),
            hnp.valid_tuple_axes(ndim, min_size=1).map(lambda axes: {"axes": axes}),
        )
    )
    x = draw_input(data, FFT_DOMAINS[fn].inputs[0], shape)
    W = draw_weights(data, shape)

    def f(x):
        return np.sum(np.real(fn(x, **kwargs) * W))

    check_grad(f, [x])
    check_transpose(data, fn, [x], kwargs, W)


# ----- Sample frequencies -----
@pytest.mark.parametrize("fn", [np.fft.fftfreq, np.fft.rfftfreq], ids=name)
@given(data=st.data())
def test_frequencies(fn, data):
    lengths, spacings = FFT_DOMAINS[fn].inputs
    n, d = data.draw(lengths), data.draw(spacings)
    W = draw_weights(data, fn(n, d).shape, complex_=False)

    def f(d):
        return np.sum(fn(n, d=d) * W)

    check_grad(f, [d])


# ----- np.convolve -----
@given(
    data=st.data(),
    sizes=st.tuples(st.integers(0, 6), st.integers(0, 6)),
    mode=st.sampled_from(["full", "same", "valid"]),
)
def test_convolve(data, sizes, mode):
    # Size 0 stands for a 0-d input, which np.convolve reads as length 1.
    shapes = [(size,) if size else () for size in sizes]
    rows = FFT_DOMAINS[np.convolve].inputs
    a, v = (
        draw_input(data, row, shape) for row, shape in zip(rows, shapes, strict=True)
    )
    W = draw_weights(data, np.convolve(a, v, mode).shape)

    def f(a, v):
        return np.sum(np.real(np.convolve(a, v, mode) * W))

    check_grad(f, [a, v], generic=mode == "full" and all(sizes))
    check_transpose(data, np.convolve, [a, v], {"mode": mode}, W)


# ----- Hand-made cases -----
def test_agrees_with_autograd():
    # autograd's real transforms take even lengths only.
    W = np.array([[1.0 - 1.0j, 0.5 + 2.0j, -1.5, 1j], [0.25j, 2.0, -1.0 + 0.5j, 3.0]])
    shift = np.array([1.0, -2.0, 0.5, 3.0])

    def f(x):
        spectrum = anp.fft.rfft(x)
        smooth = anp.fft.irfft(spectrum * anp.array([1.0, 0.5, 0.25]))
        mixed = anp.fft.fft2(anp.fft.fftshift(x + smooth * shift)) * W
        return anp.sum(anp.abs(spectrum) ** 2) + anp.sum(anp.real(mixed))

    x = np.array([[0.3, -1.2, 0.8, 2.0], [1.5, 0.1, -0.7, 0.4]])
    got = srcdiff.grad(f)(x)
    assert relative_error(got, complex_numerical_grad(f, [x], 0)) < TOL
    assert relative_error(got, autograd.grad(f)(x)) < 1e-12


def test_repeated_axes_transform_twice():
    def f(z):
        return np.sum(np.real(np.fft.fftn(z, axes=(0, 0)) * np.arange(1, 4)))

    z = np.array([[1.0 + 2.0j], [0.5 - 1.0j], [-2.0 + 0.25j]])
    check_grad(f, [z])


def test_real_input_gets_real_code():
    def f(x):
        return np.sum(np.real(np.fft.ifft(x, norm="ortho") * (1 + 2j)))

    g = srcdiff.grad(f)
    assert not np.iscomplexobj(g(np.array([1.0, 2.0, 4.0])))
    assert "np.real(np.fft.ifft(" in g.source
    assert "conj" not in g.source


def test_refusals_name_the_problem():
    buffer = np.empty((2, 3), complex)

    def into_buffer(x):
        return np.sum(np.real(np.fft.fft(x, out=buffer)))

    def resized_twice(x):
        return np.sum(np.real(np.fft.fftn(x, s=(2, 3), axes=(1, 1))))

    with pytest.raises(srcdiff.UnsupportedPrimitive, match="out="):
        srcdiff.grad(into_buffer)(np.ones((2, 3)))
    with pytest.raises(srcdiff.UnsupportedPrimitive, match="repeated axis"):
        srcdiff.grad(resized_twice)(np.ones((2, 3)))


def test_resizing_without_an_example_needs_one():
    def f(x):
        return np.sum(np.real(np.fft.fft(x, 8)))

    with pytest.raises(srcdiff.NeedsExample):
        srcdiff.grad(f).derivative()


def test_list_of_scalars_and_arrays():
    def f(a, x):
        return np.sum(np.abs(np.fft.rfft([x, a * x, x])) ** 2)

    check_grad(f, [0.5, np.array([1.0, -2.0, 0.25])], generic=False)
