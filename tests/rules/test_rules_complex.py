"""Complex inputs and outputs of the elementwise family, in autograd's convention.

The gradient in a complex argument z = x + iy is d/dx - i d/dy of the real
part of the output. Holomorphic functions then give their ordinary complex
derivative; abs, real, imag, conj and angle are checked the same way. The
reference is central differences of the real part along the real and the
imaginary direction of each element, never srcdiff itself; autograd is a
second, independent opinion.
"""

import operator

import autograd
import autograd.numpy as anp
import numpy as np
import pytest
from hypothesis import given
from hypothesis import strategies as st
from hypothesis.extra import numpy as hnp
from rule_checks import WEIGHT
from rule_domains import floats

import srcdiff
from srcdiff.api import compile_derivative
from srcdiff.numeric import numerical_grad

TOL = 1e-6
SHAPES = {"max_dims": 3, "max_side": 3}
MODERATE = floats(-1.5, 1.5)
NONZERO = st.one_of(floats(-2, -0.25), floats(0.25, 2))
SMALL = floats(-0.8, 0.8)
RIGHT_HALF = floats(0.25, 2)


def plane(real, imag):
    """Complex numbers with real and imaginary parts from these strategies."""
    return st.builds(complex, real, imag)


# Each domain keeps off the function's branch cuts and poles.
HOLOMORPHIC = {
    np.exp: plane(MODERATE, MODERATE),
    np.exp2: plane(MODERATE, MODERATE),
    np.expm1: plane(MODERATE, MODERATE),
    # Cut along the negative real axis: the right half plane.
    np.log: plane(RIGHT_HALF, MODERATE),
    np.log2: plane(RIGHT_HALF, MODERATE),
    np.log10: plane(RIGHT_HALF, MODERATE),
    np.log1p: plane(RIGHT_HALF, MODERATE),
    np.sqrt: plane(RIGHT_HALF, MODERATE),
    np.square: plane(MODERATE, MODERATE),
    np.reciprocal: plane(NONZERO, NONZERO),
    np.positive: plane(MODERATE, MODERATE),
    np.negative: plane(MODERATE, MODERATE),
    np.sin: plane(MODERATE, MODERATE),
    np.cos: plane(MODERATE, MODERATE),
    # Poles at pi/2 + k pi on the real axis (tanh: on the imaginary axis).
    np.tan: plane(floats(-1.2, 1.2), MODERATE),
    np.tanh: plane(MODERATE, floats(-1.2, 1.2)),
    np.sinh: plane(MODERATE, MODERATE),
    np.cosh: plane(MODERATE, MODERATE),
    # Cuts along the real axis beyond +-1 (arctan, arcsinh: the imaginary axis).
    np.arcsin: plane(SMALL, MODERATE),
    np.arccos: plane(SMALL, MODERATE),
    np.arctanh: plane(SMALL, MODERATE),
    np.arctan: plane(MODERATE, SMALL),
    np.arcsinh: plane(MODERATE, SMALL),
    # Cut along the real axis left of 1: off the axis, both half planes.
    np.arccosh: plane(MODERATE, NONZERO),
    np.sinc: plane(MODERATE, MODERATE),
}
# Real-valued or conjugating: abs, sign, real and imag are smooth away from 0,
# and angle away from its cut along the negative real axis.
NON_HOLOMORPHIC = {
    np.abs: plane(NONZERO, NONZERO),
    np.sign: plane(NONZERO, NONZERO),
    np.real: plane(MODERATE, MODERATE),
    np.imag: plane(MODERATE, MODERATE),
    np.conj: plane(MODERATE, MODERATE),
    np.angle: plane(MODERATE, NONZERO),
}
BINARY = {
    operator.add: (plane(MODERATE, MODERATE),) * 2,
    operator.sub: (plane(MODERATE, MODERATE),) * 2,
    operator.mul: (plane(MODERATE, MODERATE),) * 2,
    operator.truediv: (plane(MODERATE, MODERATE), plane(NONZERO, NONZERO)),
    operator.pow: (plane(RIGHT_HALF, MODERATE), plane(MODERATE, MODERATE)),
    np.float_power: (plane(RIGHT_HALF, MODERATE), plane(MODERATE, MODERATE)),
}


def draw_complex(data, elements, shape):
    """A complex array of ``shape``; for shape () sometimes a Python complex."""
    if shape == () and data.draw(st.booleans()):
        return data.draw(elements)
    return data.draw(hnp.arrays(np.complex128, shape, elements=elements))


def draw_complex_weights(data, shape):
    return data.draw(
        hnp.arrays(np.complex128, shape, elements=plane(WEIGHT, WEIGHT)), label="W"
    )


def complex_numerical_grad(f, args, i):
    """d/dx - i d/dy of Re f in ``args[i]``, by central differences."""

    def real_output(x, y):
        moved = list(args)
        moved[i] = x + 1j * y
        return np.real(f(*moved))

    parts = [np.real(args[i]), np.imag(args[i])]
    if not isinstance(args[i], np.ndarray):
        parts = [float(p) for p in parts]
    d_real = numerical_grad(real_output, parts, 0)
    d_imag = numerical_grad(real_output, parts, 1)
    return d_real - 1j * np.asarray(d_imag)


def relative_error(got, expected):
    got, expected = np.asarray(got), np.asarray(expected)
    scale = np.maximum(np.maximum(np.abs(got), np.abs(expected)), 1.0)
    return float(np.max(np.abs(got - expected) / scale, initial=0.0))


def check_complex_grad(f, args, generic=True):
    """srcdiff's gradient in each argument against central differences.

    ``generic``: also the derivative traced without an example, which takes
    inputs to be real, so only holomorphic rules pass it complex numbers.
    """
    for i in range(len(args)):
        expected = complex_numerical_grad(f, args, i)
        got = srcdiff.grad(f, wrt=i)(*args)
        assert np.shape(got) == np.shape(args[i])
        error = relative_error(got, expected)
        assert error < TOL, f"gradient in argument {i} is off by {error:.3g}"
        if generic:
            derivative = srcdiff.grad(f, wrt=i).derivative()
            got = compile_derivative(derivative)(*args)
            error = relative_error(got, expected)
            assert error < TOL, f"generic gradient in {i} is off by {error:.3g}"


@pytest.mark.parametrize("op", HOLOMORPHIC, ids=lambda op: op.__name__)
@given(data=st.data(), shape=hnp.array_shapes(min_dims=0, **SHAPES))
def test_holomorphic_gives_the_complex_derivative(op, data, shape):
    z = draw_complex(data, HOLOMORPHIC[op], shape)
    W = draw_complex_weights(data, shape)

    def f(z):
        return np.sum(op(z) * W)

    # arccosh's rule picks the principal branch's formula by dtype.
    check_complex_grad(f, [z], generic=op is not np.arccosh)


@pytest.mark.parametrize("op", NON_HOLOMORPHIC, ids=lambda op: op.__name__)
@given(data=st.data(), shape=hnp.array_shapes(min_dims=0, **SHAPES))
def test_non_holomorphic(op, data, shape):
    z = draw_complex(data, NON_HOLOMORPHIC[op], shape)
    W = draw_complex_weights(data, shape)

    def complex_output(z):
        return np.sum(op(z) * W)

    def real_output(z):
        return np.sum(op(z) * W.real)

    # A complex weight after a real-valued function (abs, real, imag, angle)
    # makes its adjoint complex: only the real part belongs to the function.
    check_complex_grad(complex_output, [z], generic=False)
    check_complex_grad(real_output, [z], generic=False)


@given(data=st.data(), shape=hnp.array_shapes(min_dims=0, **SHAPES))
def test_angle_in_degrees(data, shape):
    z = draw_complex(data, NON_HOLOMORPHIC[np.angle], shape)
    W = draw_complex_weights(data, shape)

    def f(z):
        return np.sum(np.angle(z, deg=True) * W)

    check_complex_grad(f, [z], generic=False)


@pytest.mark.parametrize("op", BINARY, ids=lambda op: op.__name__)
@given(data=st.data())
def test_binary(op, data):
    shapes = data.draw(hnp.mutually_broadcastable_shapes(num_shapes=2, **SHAPES))
    args = [
        draw_complex(data, elements, shape)
        for elements, shape in zip(BINARY[op], shapes.input_shapes, strict=True)
    ]
    W = draw_complex_weights(data, shapes.result_shape)

    def f(x, y):
        return np.sum(op(x, y) * W)

    check_complex_grad(f, args)


@given(
    data=st.data(),
    shape=hnp.array_shapes(min_dims=0, **SHAPES),
    op=st.sampled_from([np.sin, np.exp, np.tanh, np.abs, np.square]),
)
def test_real_input_complex_output(data, shape, op):
    # Real x, complex weights: the gradient is real, d/dx of the real part.
    x = data.draw(hnp.arrays(np.float64, shape, elements=NONZERO))
    W = draw_complex_weights(data, shape)

    def f(x):
        return np.sum(op(x) * W)

    got = srcdiff.grad(f)(x)
    assert not np.iscomplexobj(got)
    expected = numerical_grad(lambda x: np.real(f(x)), [x], 0)
    assert relative_error(got, expected) < TOL


def test_real_float_added_to_a_complex_number_gets_a_real_gradient():
    # Every value is a number here, so the gradient folds to a constant; the
    # real argument still gets only its real part.
    w = 0.3 - 1.5j

    def f(x, z):
        return np.real(np.conj(w) * (x + z))

    dx, dz = srcdiff.grad(f, wrt=(0, 1))(0.6, 0.6 + 0.3j)
    assert not np.iscomplexobj(dx)
    assert dx == pytest.approx(np.real(w))
    assert dz == pytest.approx(np.conj(w))  # d/dRe - i d/dIm, as autograd


@given(data=st.data(), shape=hnp.array_shapes(min_dims=0, **SHAPES))
def test_real_input_through_complex_values(data, shape):
    x = data.draw(hnp.arrays(np.float64, shape, elements=MODERATE))
    W = draw_complex_weights(data, shape)

    def f(x):
        z = np.exp(1j * x) * W
        return np.sum(np.abs(z) ** 2 + np.angle(z) + np.imag(z * z))

    got = srcdiff.grad(f)(x)
    assert not np.iscomplexobj(got)
    assert relative_error(got, numerical_grad(f, [x], 0)) < TOL


def test_methods_and_attributes():
    W = np.array([1.0 + 2.0j, -0.5 + 1.0j])

    def f(z):
        return np.sum(z.conj() * W + z.conjugate() ** 2 + z.real * z.imag)

    z = np.array([0.3 + 0.4j, -1.2 + 0.7j])
    got = srcdiff.grad(f)(z)
    assert relative_error(got, complex_numerical_grad(f, [z], 0)) < TOL


def test_abs_has_gradient_zero_at_zero():
    def f(z):
        return np.sum(np.abs(z))

    got = srcdiff.grad(f)(np.array([0j, 3 - 4j]))
    np.testing.assert_allclose(got, [0, 0.6 + 0.8j])


def test_agrees_with_autograd():
    W = np.array([1.0 - 1.0j, 0.5 + 2.0j, -1.5 + 0.25j])

    def f(z):
        w = anp.exp(z) * W + anp.conj(z) * anp.sqrt(z)
        return anp.sum(anp.abs(w) ** 2 + anp.angle(w) * anp.imag(z) + anp.real(w))

    z = np.array([0.3 + 0.4j, 1.2 - 0.7j, 0.5 + 1.0j])
    got = srcdiff.grad(f)(z)
    assert relative_error(got, complex_numerical_grad(f, [z], 0)) < TOL
    assert relative_error(got, autograd.grad(f)(z)) < 1e-12


def test_holomorphic_emitted_code_has_no_conjugate():
    def f(z):
        return np.sum(np.exp(z) * np.log(z))

    g = srcdiff.grad(f)
    g(np.array([1.0 + 1.0j, 2.0 - 0.5j]))
    assert "conj" not in g.source
    assert "real" not in g.source
