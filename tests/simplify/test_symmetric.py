"""``srcdiff.simplify.symmetric``: matrices symmetric by how they are made.

Its claims are checked against the values (a claimed symmetric value is
symmetric, an antisymmetric one antisymmetric, on random programs); kernel
matrices it proves symmetric lose the emitted symmetry check and the
lower-triangle fold of their adjoint, and keep gradients that match central
differences; matrices symmetric only on the example keep both.
"""

from __future__ import annotations

import itertools
import re

import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st
from stages import traced

import srcdiff
from srcdiff.numeric import max_relative_error, numerical_grad
from srcdiff.parse.source import run_source
from srcdiff.simplify.symmetric import ANTISYMMETRIC, SYMMETRIC, parity

RNG = np.random.default_rng(11)
X = RNG.uniform(-2, 2, (6, 3))
Y = RNG.normal(size=6)
TOL = 1e-6

# Leaves of the random programs: values along the first two axes as
# x_i, x_j (broadcast), numbers, lengths per feature, and a plain matrix.
LEAVES = [
    "X[:, None, :]",
    "X[None, :, :]",
    "X",
    "(X[:, None, :] - X[None, :, :])",
    "(X[None, :, :] - X[:, None, :])",
    "(X[:, None, :] - X)",
    "(X[:, None, :] * X[None, :, :])",
    "c",
    "w",
    "M",
    "np.eye(6)[:, :, None]",
]
UNARY = ["np.exp({})", "np.sin({})", "np.cos({})", "np.abs({})", "-{}", "{} ** 2"]
UNARY += ["{} ** 3", "np.tanh({})", "np.square({})"]
BINARY = ["({} - {})", "({} + {})", "({} * {})", "({} / (1.5 + np.abs({})))"]

_count = itertools.count()


def expressions(depth: int) -> st.SearchStrategy[str]:
    if depth == 0:
        return st.sampled_from(LEAVES)
    inner = expressions(depth - 1)
    unary = st.builds(lambda f, a: f.format(a), st.sampled_from(UNARY), inner)
    binary = st.builds(
        lambda f, a, b: f.format(a, b) if f.count("{}") == 2 else f.format(a, b, b),
        st.sampled_from(BINARY),
        inner,
        inner,
    )
    return st.one_of(inner, unary, binary)


def make(body: str):
    """A def returning ``body`` reduced over its last axis."""
    name = f"kernel_{next(_count)}"
    text = (
        "import numpy as np\n\n\n"
        f"def {name}(X, c, w, M):\n"
        f"    return np.sum({body}, axis=-1)\n"
    )
    namespace: dict = {}
    run_source(text, f"<symmetric {name}>", namespace)
    return namespace[name]


@settings(max_examples=150, deadline=None)
@given(expressions(3))
def test_what_it_claims_holds_on_the_values(body):
    M = RNG.normal(size=(6, 6, 3))
    fn = make(body)
    with np.errstate(all="ignore"):
        tracer, _, output = traced(fn, X=X, c=0.7, w=np.array([0.5, 1.0, 2.0]), M=M)
    claim = parity(tracer.builder.defs, output)
    value = output.value
    if value.ndim < 2 or value.shape[0] != value.shape[1]:
        assert claim is None or value.shape[:2] == (1, 1) or value.ndim < 2
        return
    flipped = np.swapaxes(value, 0, 1)
    scale = np.nanmax(np.abs(value), initial=0.0)
    close = {"rtol": 1e-10, "atol": 1e-12 * scale, "equal_nan": True}
    if claim == SYMMETRIC:  # (libm's pow rounds x**4 and (-x)**4 apart)
        np.testing.assert_allclose(value, flipped, **close)
    elif claim == ANTISYMMETRIC:
        np.testing.assert_allclose(value, -flipped, **close)


def rbf(log_scale, X, y, by_factor=False):
    """``by_factor``: the log-determinant read off L's diagonal (the Cholesky
    adjoint), else from ``slogdet``."""
    scale = np.exp(log_scale)
    d2 = np.sum((X[:, None, :] - X[None, :, :]) ** 2, axis=-1)
    K = np.exp(-d2 / (2 * scale**2)) + 0.1 * np.eye(len(y))
    L = np.linalg.cholesky(K)
    alpha = np.linalg.solve(L.T, np.linalg.solve(L, y))
    if by_factor:
        return 0.5 * y @ alpha + np.sum(np.log(np.diag(L)))
    return 0.5 * y @ alpha + 0.5 * np.linalg.slogdet(K)[1]


def ard_laplace(scales, X, y):
    d = np.sum(np.abs(X[:, None, :] - X) / scales, axis=-1)
    K = np.exp(-d) + 0.1 * np.eye(len(y))
    L = np.linalg.cholesky(K)
    alpha = np.linalg.solve(L.T, np.linalg.solve(L, y))
    _, logdet = np.linalg.slogdet(K)
    return y @ alpha + logdet


def polynomial(offset, X, y):
    K = (X @ X.T + offset) ** 2 + np.eye(len(y))
    L = np.linalg.cholesky(K)
    return y @ np.linalg.solve(L.T, np.linalg.solve(L, y))


def by_a_symmetric_argument(A, y):
    K = A + np.eye(len(y))  # symmetric on the example only
    L = np.linalg.cholesky(K)
    alpha = np.linalg.solve(L.T, np.linalg.solve(L, y))
    return y @ alpha + np.sum(np.log(np.diag(L)))


CASES = [
    (rbf, (0.3, X, Y)),
    (rbf, (0.3, X, Y, True)),
    (ard_laplace, (np.array([0.5, 1.0, 2.0]), X, Y)),
    (polynomial, (0.5, X[:, :2] / 2, Y)),
]


@pytest.mark.parametrize("fn, args", CASES, ids=lambda c: getattr(c, "__name__", ""))
def test_a_kernel_matrix_needs_no_symmetry_check(fn, args):
    g = srcdiff.grad(fn)
    got = g(*args)
    assert max_relative_error(got, numerical_grad(fn, list(args), 0)) < TOL
    assert "np.array_equal" not in g.source
    assert not re.search(r"\((\w+) \+ \1\.T\)", g.source)  # no (t + t.T) fold
    assert ".T, " not in g.source  # no solve by K.T: K is K.T


def test_a_matrix_symmetric_on_the_example_only_keeps_the_check():
    A = RNG.normal(size=(6, 6))
    A = A @ A.T
    g = srcdiff.grad(by_a_symmetric_argument)
    got = g(A, Y)
    expected = numerical_grad(by_a_symmetric_argument, [A, Y], 0)
    assert max_relative_error(got, expected) < TOL  # the lower triangle's
    assert np.count_nonzero(np.triu(got, 1)) == 0
    assert "np.array_equal" in g.source
    assert re.search(r"\((\w+) \+ \1\.T\)", g.source)  # the Cholesky fold
