"""``has_aux=True`` (JAX's convention) and ``srcdiff.elementwise_grad``
(autograd's), in process and in the emitted source."""

from __future__ import annotations

import numpy as np
import pytest

import srcdiff
from srcdiff.numeric import max_relative_error, numerical_grad

TOL = 1e-6


def loss_and_stats(w, X, y):
    p = 1 / (1 + np.exp(-(X @ w)))
    loss = -np.mean(y * np.log(p) + (1 - y) * np.log(1 - p))
    return loss, {"accuracy": np.mean((p > 0.5) == (y > 0.5)), "p": p}


def loss_only(w, X, y):
    return loss_and_stats(w, X, y)[0]


def not_a_pair(w):
    return np.sum(w)


def smooth_relu(x):
    return np.log1p(np.exp(x)) + 0.5 * x**2


def scaled(x, c):
    return c * np.tanh(x)


def problem():
    rng = np.random.default_rng(5)
    X = rng.normal(size=(9, 3))
    return rng.normal(size=3), X, (rng.random(9) < 0.5).astype(float)


def assert_same_aux(got, expected):
    assert got.keys() == expected.keys()
    for key in got:
        assert np.allclose(got[key], expected[key])


def test_grad_has_aux_returns_gradient_and_aux():
    args = problem()
    gradient, aux = srcdiff.grad(loss_and_stats, has_aux=True)(*args)
    assert max_relative_error(gradient, numerical_grad(loss_only, args, 0)) < TOL
    assert_same_aux(aux, loss_and_stats(*args)[1])


def test_value_and_grad_has_aux_nests_as_jax_does():
    args = problem()
    (value, aux), gradient = srcdiff.value_and_grad(loss_and_stats, has_aux=True)(*args)
    expected_value, expected_aux = loss_and_stats(*args)
    assert value == pytest.approx(expected_value)
    assert_same_aux(aux, expected_aux)
    assert max_relative_error(gradient, numerical_grad(loss_only, args, 0)) < TOL


def test_the_emitted_source_returns_the_aux():
    g = srcdiff.grad(loss_and_stats, has_aux=True)
    g(*problem())
    assert 'return (dw, {"accuracy": ' in g.source
    assert "and loss_and_stats's aux output" in g.source


def test_has_aux_without_a_pair_is_a_located_error():
    with pytest.raises(srcdiff.NonScalarOutput) as info:
        srcdiff.grad(not_a_pair, has_aux=True)(np.ones(2))
    assert "has_aux=True" in str(info.value)
    assert "return np.sum(w)" in info.value.loc.text
    assert "return loss, aux" in info.value.hint


def test_without_has_aux_a_pair_is_refused():
    with pytest.raises(srcdiff.NonScalarOutput):
        srcdiff.grad(loss_and_stats)(*problem())


@pytest.mark.parametrize("shape", [(), (4,), (2, 3)])
def test_elementwise_grad_is_the_derivative_of_each_element(shape):
    x = np.random.default_rng(1).normal(size=shape)
    got = srcdiff.elementwise_grad(smooth_relu)(x)
    expected = numerical_grad(lambda x: np.sum(smooth_relu(x)), (x,), 0)
    assert np.shape(got) == shape
    assert max_relative_error(got, expected) < TOL


def test_elementwise_grad_takes_wrt_and_broadcast_arguments():
    x = np.linspace(-1.0, 1.0, 5)
    got = srcdiff.elementwise_grad(scaled, wrt="c")(x, 2.0)
    assert got == pytest.approx(np.sum(np.tanh(x)))


def test_elementwise_grad_is_named_for_it():
    e = srcdiff.elementwise_grad(smooth_relu)
    assert e.__name__ == "smooth_relu_elementwise_grad"
    assert "def smooth_relu_elementwise_grad(x):" in e.source
