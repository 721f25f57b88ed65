"""srcdiff.optimize.minimize: SciPy's minimize fed srcdiff's derivatives, on
parameters shaped as the user's function takes them."""

import sys

import numpy as np
import pytest
from hypothesis import given
from hypothesis import strategies as st

import srcdiff
from srcdiff.optimize import flatten, layout, unflatten


def least_squares(w, X, y):
    r = X @ w - y
    return 0.5 * np.sum(r**2)


def problem(n=30, d=4):
    rng = np.random.default_rng(1)
    X = rng.normal(size=(n, d))
    y = rng.normal(size=n)
    return X, y, np.linalg.lstsq(X, y, rcond=None)[0]


@pytest.mark.parametrize("method", ["L-BFGS-B", "BFGS", "CG"])
def test_array_parameters_reach_the_least_squares_solution(method):
    X, y, best = problem()
    result = srcdiff.optimize.minimize(
        least_squares, np.zeros(4), args=(X, y), method=method, tol=1e-12
    )
    assert result.success
    assert isinstance(result.x, np.ndarray) and result.x.shape == (4,)
    np.testing.assert_allclose(result.x, best, atol=1e-6)


def affine(p, X, y):
    r = X @ p["w"] + p["b"] - y
    return 0.5 * np.sum(r**2) + 0.5 * p["scale"] ** 2


def test_dict_parameters_come_back_as_a_dict():
    X, y, _ = problem()
    x0 = {"w": np.zeros(4), "b": 0.0, "scale": 3.0}
    result = srcdiff.optimize.minimize(affine, x0, args=(X, y), tol=1e-12)
    ones = np.column_stack([X, np.ones(len(X))])
    best = np.linalg.lstsq(ones, y, rcond=None)[0]
    assert list(result.x) == ["w", "b", "scale"]
    np.testing.assert_allclose(result.x["w"], best[:4], atol=1e-6)
    assert isinstance(result.x["b"], float)
    assert result.x["b"] == pytest.approx(best[4], abs=1e-6)
    assert result.x["scale"] == pytest.approx(0.0, abs=1e-6)
    assert set(result.jac) == {"w", "b", "scale"}


def two_layer(params, X, y):
    W, v = params
    return 0.5 * np.sum((np.tanh(X @ W) @ v - y) ** 2) + 0.01 * np.sum(W**2)


@pytest.mark.parametrize("container", [list, tuple])
def test_list_and_tuple_parameters_keep_their_type(container):
    X, y, _ = problem()
    rng = np.random.default_rng(2)
    x0 = container([0.1 * rng.normal(size=(4, 3)), 0.1 * rng.normal(size=3)])
    start = two_layer(x0, X, y)
    result = srcdiff.optimize.minimize(two_layer, x0, args=(X, y), tol=1e-12)
    assert type(result.x) is container
    assert [np.shape(v) for v in result.x] == [(4, 3), (3,)]
    assert result.fun < start
    assert result.fun == pytest.approx(two_layer(result.x, X, y))
    # A minimum: the gradient there (srcdiff's, checked by finite differences
    # elsewhere) is close to zero.
    assert np.abs(flatten(layout(x0), result.jac)).max() < 1e-3


def test_a_number_parameter_comes_back_a_number():
    result = srcdiff.optimize.minimize(lambda t: (t - 3.0) ** 2 + np.cos(t), 0.0)
    assert isinstance(result.x, float)
    assert 2 * (result.x - 3.0) - np.sin(result.x) == pytest.approx(0.0, abs=1e-5)


def test_without_scipy_the_error_says_how_to_install_it(monkeypatch):
    monkeypatch.setitem(sys.modules, "scipy.optimize", None)
    with pytest.raises(ImportError, match="pip install scipy"):
        srcdiff.optimize.minimize(least_squares, np.zeros(4), args=problem()[:2])


@pytest.mark.parametrize("x0", ["w", None, [np.zeros(2), "b"], np.array([1j])])
def test_parameters_scipy_cannot_take_are_refused_clearly(x0):
    with pytest.raises(TypeError, match=r"x0|real parameters"):
        layout(x0)


arrays = st.tuples(st.integers(0, 3), st.integers(1, 3)).map(
    lambda shape: np.arange(shape[0] * shape[1], dtype=float).reshape(shape)
)
leaves = st.one_of(arrays, st.floats(-5, 5))
structures = st.recursive(
    leaves,
    lambda inner: st.one_of(
        st.lists(inner, max_size=3),
        st.lists(inner, max_size=3).map(tuple),
        st.dictionaries(st.sampled_from("abc"), inner, max_size=3),
    ),
    max_leaves=6,
)


@given(structures)
def test_unflatten_inverts_flatten(x):
    where = layout(x)
    vector = flatten(where, x)
    assert vector.shape == (where.size,)
    back = unflatten(where, vector)
    assert layout(back) == where
    np.testing.assert_array_equal(flatten(where, back), vector)


def logistic_loss(w, X, y):
    p = 1 / (1 + np.exp(-(X @ w)))
    return -np.mean(y * np.log(p) + (1 - y) * np.log(1 - p)) + 0.01 * np.sum(w**2)


def logistic_problem():
    rng = np.random.default_rng(3)
    X = rng.normal(size=(50, 3))
    y = (rng.random(50) < 0.5).astype(float)
    return X, y


@pytest.mark.parametrize("method", ["Newton-CG", "trust-ncg", "trust-krylov"])
def test_newton_methods_reach_the_minimum_with_hessian_vector_products(method):
    X, y = logistic_problem()
    result = srcdiff.optimize.minimize(
        logistic_loss, np.zeros(3), args=(X, y), method=method, tol=1e-8
    )
    reference = srcdiff.optimize.minimize(
        logistic_loss, np.zeros(3), args=(X, y), method="BFGS", tol=1e-12
    )
    assert result.success
    assert result.nhev > 0  # SciPy used the Hessian-vector products
    np.testing.assert_allclose(result.x, reference.x, atol=1e-6)


def test_the_hessian_vector_product_scipy_gets_is_the_hessian_times_the_vector(
    monkeypatch,
):
    import scipy.optimize

    handed = {}

    def spy(fun, x0, args=(), **options):
        handed.update(options, objective=fun, args=args)
        return scipy.optimize.OptimizeResult(x=x0, jac=x0)

    monkeypatch.setattr(scipy.optimize, "minimize", spy)
    X, y = logistic_problem()
    x0 = {"w": np.array([0.3, -0.2, 0.1])}
    srcdiff.optimize.minimize(
        lambda p, X, y: logistic_loss(p["w"], X, y), x0, args=(X, y), method="Newton-CG"
    )
    point, direction = np.array([0.3, -0.2, 0.1]), np.array([1.0, 2.0, -1.0])
    h = 1e-5
    gradient = [
        handed["objective"](point + s * h * direction, *handed["args"])[1]
        for s in (1, -1)
    ]
    expected = (gradient[0] - gradient[1]) / (2 * h)
    got = handed["hessp"](point, direction, *handed["args"])
    np.testing.assert_allclose(got, expected, rtol=1e-6, atol=1e-8)


def test_a_second_fit_of_the_same_function_reuses_its_derivatives():
    first = srcdiff.optimize.derivatives(least_squares, "grad")
    assert srcdiff.optimize.derivatives(least_squares, "grad") is first
    assert srcdiff.optimize.derivatives(least_squares, "hvp") is not first
