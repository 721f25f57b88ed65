"""Complex input to np.linalg.norm, var and std (and the NaN-ignoring ones).

These read |z| only, so their gradient in autograd's convention (d/dx - i
d/dy of the real part of the loss) conjugates: d|z| = conj(z) / |z|. The
reference is central differences of the real part along the real and the
imaginary direction of each entry. The results are real, so a complex weight
applied afterwards must count through its real part only.
"""

import numpy as np
import pytest
from hypothesis import assume, given
from hypothesis import strategies as st
from hypothesis.extra import numpy as hnp
from rule_domains import floats

import srcdiff
from srcdiff.api import compile_derivative
from srcdiff.errors import PathChanged
from srcdiff.numeric import numerical_grad

TOL = 1e-6
PART = st.one_of(floats(-2, -0.25), floats(0.25, 2))
ENTRY = st.builds(complex, PART, PART)
WEIGHT = st.builds(complex, floats(0.5, 2), floats(-2, 2))


def entries(data, shape):
    return data.draw(
        hnp.arrays(np.complex128, shape, elements=ENTRY, unique=True), label="z"
    )


def weights(data, shape):
    return data.draw(hnp.arrays(np.complex128, shape, elements=WEIGHT), label="W")


def reference(f, z):
    """d/dx - i d/dy of Re f at z, by central differences."""

    def real_output(x, y):
        return np.real(f(x + 1j * y))

    parts = [np.real(z), np.imag(z)]
    return numerical_grad(real_output, parts, 0) - 1j * numerical_grad(
        real_output, parts, 1
    )


def check(f, z):
    expected = reference(f, z)
    got = srcdiff.grad(f)(z)
    assert np.shape(got) == np.shape(z)
    scale = np.maximum(np.abs(expected), 1.0)
    error = float(np.max(np.abs(got - expected) / scale, initial=0.0))
    assert error < TOL, f"off by {error:.3g}"
    # Without an example the rule takes z as real, and the emitted code
    # checks that: complex input raises PathChanged, never a wrong number
    # (unless the rule needs an example anyway: a norm of unknown ndim).
    try:
        generic = compile_derivative(srcdiff.grad(f).derivative())
    except srcdiff.NeedsExample:
        return
    with pytest.raises(PathChanged):
        generic(z)


def distinct(values, gap=0.05):
    """No two of ``values`` within ``gap``: a max or min among them is smooth."""
    flat = np.sort(np.ravel(values))
    return bool(np.all(np.diff(flat) > gap))


@given(
    data=st.data(),
    shape=hnp.array_shapes(min_dims=1, max_dims=2, max_side=3),
    ord=st.sampled_from([None, 1, 2, 3, 0.5, np.inf, -np.inf]),
    keepdims=st.booleans(),
)
def test_vector_norms(data, shape, ord, keepdims):
    z = entries(data, shape)
    axis = -1 if len(shape) > 1 or ord is not None else None
    value = np.linalg.norm(z, ord, axis, keepdims)
    if ord in (np.inf, -np.inf):
        # The largest (smallest) |z| alone along the axis.
        assume(all(distinct(row) for row in np.abs(z).reshape(-1, shape[-1])))
    W = weights(data, np.shape(value))

    def f(z):
        return np.sum(np.linalg.norm(z, ord, axis, keepdims) * W)

    check(f, z)


@given(
    data=st.data(),
    shape=st.tuples(st.integers(1, 3), st.integers(1, 3)),
    ord=st.sampled_from(["fro", "nuc", 1, -1, 2, -2, np.inf, -np.inf]),
)
def test_matrix_norms(data, shape, ord):
    z = entries(data, shape)
    singular = np.linalg.svd(z, compute_uv=False)
    if ord in ("nuc", 2, -2):
        assume(singular[-1] > 0.1 and distinct(singular))
    if ord in (1, -1):
        assume(distinct(np.sum(np.abs(z), axis=0)))
    if ord in (np.inf, -np.inf):
        assume(distinct(np.sum(np.abs(z), axis=1)))
    W = weights(data, ())

    def f(z):
        return np.linalg.norm(z, ord) * W

    check(f, z)


@pytest.mark.parametrize("op", [np.var, np.std, np.nanvar, np.nanstd])
@given(
    data=st.data(),
    shape=hnp.array_shapes(min_dims=1, max_dims=2, min_side=2, max_side=3),
    ddof=st.integers(0, 1),
    keepdims=st.booleans(),
    by_axis=st.booleans(),
)
def test_moments(op, data, shape, ddof, keepdims, by_axis):
    z = entries(data, shape)
    axis = -1 if by_axis else None
    W = weights(data, np.shape(op(z, axis=axis, keepdims=keepdims)))

    def f(z):
        return np.sum(op(z, axis=axis, ddof=ddof, keepdims=keepdims) * W)

    check(f, z)


def test_methods_with_ddof():
    z = np.array([[0.5 + 1.0j, -1.0 + 0.25j, 2.0 - 0.5j], [1.0 + 0.0j, 0.3j, -2.0]])

    def f(z):
        return z.var(ddof=1) + np.sum(z.std(axis=0, ddof=1)) * (1 - 2j)

    got = srcdiff.grad(f)(z)
    assert np.allclose(got, reference(f, z), atol=1e-7)
