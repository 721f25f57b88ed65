"""Idioms with a faster or more readable form (``srcdiff.simplify.logsumexp``,
``sigmoid``, ``cancel``): what the emitted gradient says, that its value is
the function's and its gradient the central differences', and that the
NumPy ``logsumexp`` copied into emitted files answers as SciPy's does."""

from __future__ import annotations

import warnings

import numpy as np
import pytest
from scipy.special import logsumexp

import srcdiff
from srcdiff import helpers
from srcdiff.api import compile_derivative, render
from srcdiff.numeric import max_relative_error, numerical_grad

RNG = np.random.default_rng(5)


def emitted(f, *args, wrt=None):
    """The gradient's source; its gradient at ``args`` checked numerically."""
    g = srcdiff.grad(f, wrt=wrt)
    derivative = g.derivative(*args)
    got = compile_derivative(derivative)(*args)
    expected = numerical_grad(f, args, 0)
    assert max_relative_error(got, expected) < 1e-6
    return render(derivative)


def body(text: str) -> list[str]:
    """The emitted function's statements after the entry checks."""
    lines = text[text.index("\ndef ") :].splitlines()
    body = [line.strip() for line in lines if line.startswith("    ")]
    return [line for line in body if not line.startswith(("if ", "raise ", '"'))]


# ----- logsumexp -----
INF = np.inf
ROWS = np.array(
    [
        [1.0, 2.0, 3.0],
        [-INF, -INF, -INF],
        [INF, 1.0, 2.0],
        [INF, -INF, 0.0],
        [np.nan, 1.0, 2.0],
        [INF, INF, 1.0],
        [1000.0, 1000.0, -5.0],
        [-1000.0, -1001.0, -1002.0],
    ]
)


@pytest.mark.parametrize(
    "kwargs",
    [
        {},
        {"axis": 0},
        {"axis": 1},
        {"axis": -1, "keepdims": True},
        {"keepdims": True},
        {"axis": (0, 1)},
        {"axis": ()},
    ],
    ids=str,
)
@pytest.mark.parametrize(
    "a",
    [
        ROWS,
        ROWS[[0, 6, 7]],
        np.array(2.5),
        np.array([0.5]),
        np.float32([[1, 2], [3, 90]]),
        RNG.normal(size=(2, 3, 4)),
    ],
    ids=["edge rows", "finite rows", "0-d", "one", "float32", "3-d"],
)
def test_the_numpy_logsumexp_answers_as_scipy(a, kwargs):
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")  # SciPy warns on some edge rows
        try:
            expected = logsumexp(a, **kwargs)
        except np.exceptions.AxisError:
            with pytest.raises(np.exceptions.AxisError):
                helpers.logsumexp(a, **kwargs)
            return
    with warnings.catch_warnings():
        warnings.simplefilter("error")  # the helper never does
        got = helpers.logsumexp(a, **kwargs)
    assert type(got) is type(expected)
    assert np.shape(got) == np.shape(expected)
    assert np.asarray(got).dtype == np.asarray(expected).dtype
    tol = 1e-6 if np.asarray(a).dtype == np.float32 else 1e-13
    np.testing.assert_allclose(got, expected, rtol=tol, atol=0)


def softmax_regression(W, X, Y):
    logits = X @ W
    log_probs = logits - logsumexp(logits, axis=1, keepdims=True)
    return -np.mean(np.sum(Y * log_probs, axis=1)) + np.sum(logsumexp(W, axis=0))


def _softmax_data():
    X = RNG.normal(size=(6, 3))
    Y = np.eye(4)[RNG.integers(4, size=6)]
    return RNG.normal(size=(3, 4)), X, Y


def test_plain_logsumexp_is_emitted_as_numpy_without_scipy():
    text = emitted(softmax_regression, *_softmax_data())
    assert "import scipy" not in text and "from scipy" not in text
    assert "def logsumexp(a, axis=None, keepdims=False):" in text
    assert "log_probs = logits - logsumexp(logits, axis=1, keepdims=True)" in body(text)
    W, X, Y = _softmax_data()
    value, _ = srcdiff.value_and_grad(softmax_regression)(W, X, Y)
    assert np.isclose(value, softmax_regression(W, X, Y), rtol=1e-14)


def weighted(a, b):
    return logsumexp(a, b=b) + np.sum(logsumexp(a, axis=0))


def test_a_call_with_weights_keeps_scipy_for_every_call():
    a, b = RNG.normal(size=(3, 2)), RNG.uniform(0.5, 2.0, size=(3, 2))
    text = emitted(weighted, a, b)
    assert "from scipy.special import logsumexp" in text
    assert "def logsumexp" not in text  # it would hide SciPy's


def of_integers(a, counts):
    return a * logsumexp(counts)


def test_integers_keep_scipy_which_casts_them():
    text = emitted(of_integers, 1.5, np.array([1, 2, 3]))
    assert "from scipy.special import logsumexp" in text


# ----- the sigmoid -----
def logistic(w, X, y):
    p = 1 / (1 + np.exp(-(X @ w)))
    return -np.mean(y * np.log(p) + (1 - y) * np.log(1 - p))


def _logistic_data():
    X = RNG.normal(size=(8, 3))
    y = (RNG.random(8) < 0.5).astype(float)
    return RNG.normal(size=3), X, y


def test_logistic_regression_reads_like_the_textbook():
    lines = body(emitted(logistic, *_logistic_data()))
    assert "p = 1 / (1 + np.exp(-(X @ w)))" in lines
    assert "dp" not in "".join(lines)
    assert "dw = X.T @ ((p - y) / X.shape[0])" in lines


def sigmoid_with_floats(z):
    return np.sum(np.sin(1.0 / (1.0 + np.exp(-z))))


def test_the_sigmoid_adjoint_is_p_times_one_minus_p():
    lines = body(emitted(sigmoid_with_floats, RNG.normal(size=5)))
    assert "p = 1 / (1 + np.exp(-z))" in lines or any(
        "1 / (1 + np.exp(-z))" in line for line in lines
    )
    assert any("(1 - " in line for line in lines)
    assert not any("np.exp(-z) / " in line for line in lines)


def not_a_sigmoid(z):
    return np.sum(2 / (1 + np.exp(-z)) + 1 / (2 + np.exp(-z)))


def test_look_alikes_keep_the_chain_rule():
    text = emitted(not_a_sigmoid, RNG.normal(size=4))
    assert "2 / (1 + np.exp(-z))" in text or "2 / one_plus" in text


# ----- products that cancel divisions -----
def cancels(x, q, p):
    g = np.log(q) * x + np.log(p) * (1 - x)
    return np.sum(g * q * p)


def quotients(x, q, p):
    return np.sum(np.sin(x / q * q + x / p * p * q))


@pytest.mark.parametrize("f", [cancels, quotients])
def test_products_that_cancel_divisions_keep_the_gradient(f):
    x = RNG.uniform(0.5, 1.5, size=4)
    q, p = RNG.uniform(0.5, 1.5, size=4), RNG.uniform(0.5, 1.5, size=(3, 1))
    emitted(f, x, q, p)
    emitted(f, q, x, p)


def forward_quotient(x, q):
    return np.sum(np.sin(x / q * q))


def test_the_function_itself_is_not_rewritten():
    # x / q * q is nan where q is 0: the function's own value stays as written.
    x, q = RNG.uniform(0.5, 1.5, size=3), RNG.uniform(0.5, 1.5, size=3)
    lines = body(emitted(forward_quotient, x, q))
    assert any("x / q * q" in line for line in lines)


def without_an_example(w, X, y):
    return logistic(w, X, y)


def test_without_an_example_nothing_is_cancelled():
    # Shapes unknown, a rewrite could not check that it keeps the product's.
    text = srcdiff.grad(without_an_example).source
    assert "Specialised for: any shapes" in text
    assert "matmul_right_grad(dp * p * one_minus_p, X, w)" in text


# ----- softplus and softmax written by hand -----
def softplus_regression(w, X, y):
    z = X @ w
    return np.mean(np.log(1 + np.exp(z)) - y * z)


def test_the_softplus_adjoint_is_the_sigmoid():
    lines = body(emitted(softplus_regression, *_logistic_data()))
    assert "dz = (1 / (1 + np.exp(-z)) - y) / X.shape[0]" in lines


def softmax_by_hand(W, X, Y):
    z = X @ W
    e = np.exp(z - z.max(axis=1, keepdims=True))
    p = e / e.sum(axis=1, keepdims=True)
    return -np.mean(np.sum(Y * np.log(p), axis=1))


def log_softmax_by_hand(W, X, Y):
    z = X @ W
    shifted = z - z.max(axis=1, keepdims=True)
    log_p = shifted - np.log(np.sum(np.exp(shifted), axis=1, keepdims=True))
    return -np.sum(Y * log_p) / X.shape[0]


def logaddexp_regression(w, X, y):
    z = X @ w
    return np.mean(np.logaddexp(0, z) - y * z)


def softmax_and_its_maximum(W, X, Y):
    z = X @ W
    top = z.max(axis=1, keepdims=True)
    p = np.exp(z - top) / np.sum(np.exp(z - top), axis=1, keepdims=True)
    return -np.mean(np.sum(Y * np.log(p), axis=1)) + 0.1 * np.sum(top)


@pytest.mark.parametrize("f", [softmax_by_hand, log_softmax_by_hand])
def test_softmax_written_by_hand_has_its_gradient(f):
    """The max-shift the softmax undoes gets no adjoint: no `winners`."""
    args = _softmax_data()
    lines = body(emitted(f, *args))
    assert any("z.max(axis=1, keepdims=True)" in line for line in lines)
    assert not any("winners" in line or "==" in line for line in lines)
    got = srcdiff.grad(f)(*args)
    assert max_relative_error(got, numerical_grad(f, list(args), 0)) < 1e-6


def shifted_exp_not_normalised(W, X, Y):
    z = X @ W
    e = np.exp(z - z.max(axis=1, keepdims=True))
    return np.sum(Y * e) + np.sum(e / np.sum(e, axis=0, keepdims=True))


def log_softmax_plus_the_shift(W, X, Y):
    z = X @ W
    s = z - z.max(axis=1, keepdims=True)
    return -np.sum(Y * (s - np.log(np.sum(np.exp(s), axis=1, keepdims=True)))) + np.sum(
        s
    )


@pytest.mark.parametrize(
    "f",
    [softmax_and_its_maximum, shifted_exp_not_normalised, log_softmax_plus_the_shift],
)
def test_a_maximum_the_rest_does_not_undo_keeps_its_adjoint(f):
    args = _softmax_data()
    lines = body(emitted(f, *args))
    assert any("winners" in line for line in lines)
    got = srcdiff.grad(f)(*args)
    assert max_relative_error(got, numerical_grad(f, list(args), 0)) < 1e-6


def test_logaddexp_with_zero_has_its_gradient():
    lines = body(emitted(logaddexp_regression, *_logistic_data()))
    assert any("np.logaddexp(0, z)" in line for line in lines)
