"""Tests of the finite-difference reference against gradients worked out by hand."""

import math

import numpy as np
import pytest
from hypothesis import given
from hypothesis import strategies as st
from hypothesis.extra import numpy as hnp

from srcdiff.numeric import leaves, map_leaves, max_relative_error, numerical_grad

TOL = 1e-6


def test_sum_of_squares():
    x = np.random.default_rng(0).normal(size=(3, 4))
    g = numerical_grad(lambda x: np.sum(x**2), (x,), 0)
    assert g.shape == (3, 4)
    assert max_relative_error(g, 2 * x) < TOL


def test_sin_of_0d_array_gives_0d_array():
    x = np.array(0.7)
    g = numerical_grad(np.sin, (x,), 0)
    assert isinstance(g, np.ndarray)
    assert g.shape == ()
    assert abs(g - math.cos(0.7)) < TOL


def test_float_argument_gives_float():
    x = np.array([1.0, 2.0, 4.0])
    g = numerical_grad(lambda a, x: a * np.sum(x), (2.5, x), 0)
    assert type(g) is float
    assert abs(g - 7.0) < TOL


def test_int_argument_gives_float():
    g = numerical_grad(lambda n: n**3, [2], 0)
    assert type(g) is float
    assert abs(g - 12.0) < TOL


def test_negative_argnum_counts_from_the_end():
    x = np.array([1.0, -3.0])
    g = numerical_grad(lambda a, x: a * np.sum(x**2), (5.0, x), -1)
    assert max_relative_error(g, 10 * x) < TOL


def test_list_of_weight_bias_tuples():
    # loss = sum over layers of 0.5 * ||X W + b||^2, so dW = X^T R, db = sum(R).
    rng = np.random.default_rng(1)
    X = rng.normal(size=(5, 3))
    params = [(rng.normal(size=(3, 2)), rng.normal(size=2)) for _ in range(2)]

    def loss(params, X):
        return sum(0.5 * np.sum((X @ W + b) ** 2) for W, b in params)

    expected = [(X.T @ (X @ W + b), np.sum(X @ W + b, axis=0)) for W, b in params]
    g = numerical_grad(loss, (params, X), 0)
    assert isinstance(g, list)
    assert all(isinstance(layer, tuple) for layer in g)
    assert max_relative_error(g, expected) < TOL


def test_dict_keeps_keys_in_order():
    v = np.array([0.5, -1.5, 2.0])
    p = {"v": v, "a": 3.0}
    g = numerical_grad(lambda p: p["a"] * np.sum(p["v"] ** 3), (p,), 0)
    assert list(g) == ["v", "a"]
    assert type(g["a"]) is float
    assert max_relative_error(g, {"v": 9.0 * v**2, "a": float(np.sum(v**3))}) < TOL


def test_step_scales_with_magnitude():
    # An absolute step of 1e-6 is below the spacing of floats near 1e12.
    x = np.array([1e12, -3e12])
    g = numerical_grad(lambda x: 1e-24 * np.sum(x**2), (x,), 0)
    assert max_relative_error(g, 2e-24 * x) < TOL


def test_caller_arrays_are_not_mutated_or_passed_through():
    rng = np.random.default_rng(2)
    W, b = rng.normal(size=(2, 3)), rng.normal(size=3)
    before = (W.copy(), b.copy())
    seen = []

    def f(params):
        seen.extend(p is W or p is b for p in params)
        return np.sum(np.tanh(params[0] @ params[1]))

    numerical_grad(f, ((W, b),), 0)
    assert seen
    assert not any(seen)
    assert np.array_equal(W, before[0])
    assert np.array_equal(b, before[1])


def test_empty_array_gives_empty_gradient():
    g = numerical_grad(np.sum, (np.zeros((0, 3)),), 0)
    assert g.shape == (0, 3)


def test_non_scalar_output_is_rejected():
    with pytest.raises(TypeError, match="must return a real scalar"):
        numerical_grad(lambda x: 2 * x, (np.ones(3),), 0)


def test_non_numeric_leaf_is_rejected():
    with pytest.raises(TypeError, match="expected a real number or array"):
        numerical_grad(lambda p: 0.0, ([1.0, "a"],), 0)


def test_non_positive_eps_is_rejected():
    with pytest.raises(ValueError, match="eps must be positive"):
        numerical_grad(np.sum, (np.ones(2),), 0, eps=0.0)


@given(
    hnp.arrays(
        np.float64,
        hnp.array_shapes(min_dims=0, max_dims=3, min_side=0, max_side=4),
        elements=st.floats(-10, 10),
    )
)
def test_sin_matches_cos_on_any_shape(x):
    g = numerical_grad(lambda x: np.sum(np.sin(x)), (x,), 0)
    assert g.shape == x.shape
    assert max_relative_error(g, np.cos(x)) < TOL


def test_leaves_and_map_leaves_share_an_order():
    tree = {"b": [1, (2, 3)], "a": (np.array([4.0]),)}
    assert [np.asarray(x).item() for x in leaves(tree)] == [1, 2, 3, 4.0]
    doubled = map_leaves(lambda x: 2 * x, tree)
    assert list(doubled) == ["b", "a"]
    assert isinstance(doubled["b"], list)
    assert isinstance(doubled["b"][1], tuple)
    assert doubled["b"][1] == (4, 6)


def test_relative_error_is_relative_for_large_values():
    assert max_relative_error(1e6, 1e6 + 1) == pytest.approx(1 / (1e6 + 1))


def test_relative_error_is_absolute_for_small_values():
    assert max_relative_error(1e-9, 3e-9) == pytest.approx(2e-9)


def test_relative_error_takes_max_over_leaves():
    a = [1.0, {"w": np.array([1.0, 2.0])}]
    b = [1.0, {"w": np.array([1.0, 2.5])}]
    assert max_relative_error(a, b) == pytest.approx(0.2)
    assert max_relative_error(a, a) == 0.0


def test_relative_error_of_nan_is_nan():
    a = [0.0, np.array([1.0, np.nan])]
    b = [5.0, np.array([1.0, 1.0])]
    assert math.isnan(max_relative_error(a, b))


def test_float_matches_0d_array():
    assert max_relative_error(2.0, np.array(2.0)) == 0.0


@pytest.mark.parametrize(
    ("a", "b", "message"),
    [
        ([1.0], (1.0,), r"structures differ at the top level: list vs tuple"),
        ([1.0, 2.0], [1.0], r"list lengths differ at the top level: 2 vs 1"),
        ({"a": 1.0}, {"b": 1.0}, r"dict keys differ at the top level"),
        ([np.ones(3)], [np.ones((3, 1))], r"shapes differ at \[0\]: \(3,\) vs"),
        ({"w": (1.0, [2.0])}, {"w": (1.0, 2.0)}, r"at \['w'\]\[1\]: list vs leaf"),
    ],
)
def test_mismatched_structures_raise(a, b, message):
    with pytest.raises(ValueError, match=message):
        max_relative_error(a, b)
