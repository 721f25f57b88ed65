"""``wrt`` may name one item of a container argument: ``wrt="params['W1']"``."""

from __future__ import annotations

import numpy as np
import pytest

import srcdiff
from srcdiff.numeric import max_relative_error, numerical_grad

PARAMS = {"W1": np.full((2, 3), 0.3), "b": np.array([1.0, -2.0, 0.5])}
X = np.array([[0.1, 0.2]])


def layer(params, x):
    W1 = params["W1"]
    return np.sum(np.tanh(x @ W1) * params["b"])


def only_b(b, params, x):
    return layer({"W1": params["W1"], "b": b}, x)


def test_gradient_of_one_item():
    g = srcdiff.grad(layer, wrt="params['W1']")
    full = numerical_grad(layer, (PARAMS, X), 0)
    assert max_relative_error(g(PARAMS, X), full["W1"]) < 1e-6
    assert "with respect to params['W1']" in g.source


def test_items_and_parameters_together():
    db, dx = srcdiff.grad(layer, wrt=["params['b']", "x"])(PARAMS, X)
    assert (
        max_relative_error(db, numerical_grad(only_b, (PARAMS["b"], PARAMS, X), 0))
        < 1e-6
    )
    assert max_relative_error(dx, numerical_grad(layer, (PARAMS, X), 1)) < 1e-6


def test_missing_item_is_a_located_error():
    with pytest.raises(srcdiff.InvalidWrt) as info:
        srcdiff.grad(layer, wrt="params['W9']")(PARAMS, X)
    assert "params has no item 'W9'" in info.value.message
    assert info.value.loc is not None and info.value.loc.text.strip().startswith(
        "def layer"
    )


@pytest.mark.parametrize("empty", [{}, [], ()])
def test_an_empty_container_gets_an_empty_gradient(empty):
    # autograd's own tests differentiate d.get("key", x) with respect to d = {}.
    def f(d, x):
        return np.sum(x**2) + len(d)

    dd, dx = srcdiff.grad(f, wrt=(0, 1))(empty, X)
    assert dd == empty and type(dd) is type(empty)
    assert max_relative_error(dx, 2 * X) < 1e-12
