"""autograd's names reach NumPy's, SciPy's and Python's objects, whatever
autograd makes of them, and calls the tracer follows into the user's code.

Each test differentiates a small function and compares the gradient with
central differences; the emitted source must read NumPy and SciPy only.
"""

import functools
import re

import autograd
import autograd.numpy as anp
import autograd.numpy.numpy_wrapper
import autograd.scipy.stats as agstats
import autograd.scipy.stats.multivariate_normal as ag_mvn
import autograd.scipy.stats.norm as ag_norm
import numpy as np
import pytest
from autograd.builtins import dict as ag_dict
from autograd.builtins import list as ag_list
from autograd.builtins import tuple as ag_tuple
from autograd.misc import flatten
from autograd.numpy import (
    append,
    column_stack,
    hstack,
    make_diagonal,
    mean,
    select,
    stack,
    std,
    var,
)
from autograd.scipy.stats import t as ag_t
from autograd.scipy.stats.norm import logcdf as ag_norm_logcdf

import srcdiff
from srcdiff.errors import UnsupportedPrimitive
from srcdiff.numeric import max_relative_error, numerical_grad

RNG = np.random.default_rng(7)
X = RNG.normal(size=4)
M = RNG.normal(size=(3, 4))


def check(f, *args):
    """srcdiff's gradient against central differences; returns its source."""
    g = srcdiff.grad(f)
    got = g(*args)
    assert max_relative_error(got, numerical_grad(f, args, 0)) < 1e-6
    assert not re.search(r"\bautograd\b", g.source)  # not test_autograd_names.py
    return g.source


# ----- Distributions: autograd's modules stand for scipy.stats' objects -----
def norm_module(x):
    density = anp.sum(ag_norm.logpdf(x, 0.3, 1.7))
    return density + anp.sum(ag_norm.cdf(x, scale=2.0)) + anp.sum(ag_norm_logcdf(x))


def t_from_package(x):
    return anp.sum(ag_t.logpdf(x, 4.0, 0.1, 1.5))


def mvn_module(x, cov):
    return ag_mvn.logpdf(x, np.zeros(4), cov) + agstats.norm.logpdf(x[0])


def test_autograd_norm_module_is_scipy_norm():
    source = check(norm_module, X)  # d cdf / dx is the density
    assert "norm.pdf(x, 0, 2.0)" in source and "norm.logcdf(x)" in source
    assert "from scipy.stats import norm" in source


def test_autograd_t_is_scipy_t():
    check(t_from_package, X)


def test_autograd_multivariate_normal():
    cov = np.eye(4) * 2.0 + 0.1
    check(mvn_module, X, cov)


# ----- Python wrappers in autograd.numpy, imported by name -----
def wrappers(x, a):
    both = stack([x, 2.0 * x])
    wide = hstack([x, x**2]) @ anp.ones(8)
    cols = column_stack([x, anp.sin(x)])
    picked = select([x > 0.0, x <= 0.0], [x**2, -x], default=0.0)
    return mean(both * a) + std(x) + var(cols) + wide + anp.sum(append(x, picked) ** 2)


def test_wrappers_imported_from_autograd_numpy():
    check(wrappers, X, 1.5)


def test_an_autograd_wrapper_passed_whole_is_named_as_numpys():
    with pytest.raises(srcdiff.errors.NoSource, match=r"numpy\.mean is part of NumPy"):
        srcdiff.grad(mean)(X)


def test_make_diagonal_is_eye_times_last_axis():
    def f(x):
        return anp.sum(make_diagonal(x, axis1=-1, axis2=-2) @ M.T)

    check(f, X)
    check(f, M)


def test_autograds_own_names_read_through_its_module():
    # np.make_diagonal with np = autograd.numpy (NumPy has no such name), and
    # autograd.numpy.linalg's helpers T and _dot, which autograd's own tests use.
    def f(x):
        gram = anp.linalg._dot(anp.linalg.T(x), x)
        return anp.sum(anp.make_diagonal(x[0], axis1=-1, axis2=-2) @ gram)

    source = check(f, M)
    assert "np.swapaxes(x, -1, -2)" in source


def test_a_keyword_numpy_lacks_is_a_located_refusal_with_a_related_hint():
    def f(x):
        return anp.sum(anp.cumsum(x, axes=1))

    with pytest.raises(srcdiff.TraceError, match="cannot be called this way") as info:
        srcdiff.grad(f)(M)
    assert "autograd's own extensions" in str(info.value)
    assert "test_autograd_names.py" in str(info.value).split(" ")[0]


def test_make_diagonal_with_autograds_defaults_is_a_located_refusal():
    def f(x):
        return anp.sum(make_diagonal(x))

    with pytest.raises(UnsupportedPrimitive, match="axis1=-1, axis2=-2") as info:
        srcdiff.grad(f)(X)
    assert ":" in str(info.value).split(" ")[0]  # file:line:col


def test_any_object_under_an_autograd_name_maps_to_numpys(monkeypatch):
    """What a newer autograd may make of ``clip``: a plain Python function."""

    def clip(a, a_min, a_max):
        return np.minimum(np.maximum(a, a_min), a_max)

    clip.__module__ = "autograd.numpy.numpy_wrapper"
    monkeypatch.setattr(autograd.numpy, "clip", clip, raising=True)
    from autograd.numpy import clip as wrapped

    def f(x):
        return anp.sum(wrapped(x, -0.5, 0.5) ** 2)

    assert "np.clip(" in check(f, X)


def test_autograd_builtins_are_pythons():
    def f(x):
        pair = ag_tuple([x, 2.0 * x])
        items = ag_list(pair)
        named = ag_dict(first=items[0], second=items[1])
        return anp.sum(named["first"] * named["second"])

    check(f, X)


# ----- autograd.misc.flatten -----
PARAMS = {"W": RNG.normal(size=(4, 2)), "b": RNG.normal(size=2), "scale": 0.7}
FLAT, UNFLATTEN = flatten(PARAMS)


def unflattened_outside(w, x):
    p = UNFLATTEN(w)
    return anp.sum(anp.tanh(x @ p["W"] + p["b"])) * p["scale"]


def flattened_inside(params, x):
    flat, unflatten = flatten(params)
    p = unflatten(flat * 0.5)
    return anp.sum(flat**2) + anp.sum(anp.tanh(x @ p["W"] + p["b"]))


def test_unflatten_made_outside_the_function():
    check(unflattened_outside, FLAT, M)


def test_unflatten_checks_the_vector_length():
    g = srcdiff.grad(unflattened_outside)
    g(FLAT, M)
    exec_globals = {}
    exec(g.source, exec_globals)
    with pytest.raises(RuntimeError, match="shaped like the example"):
        exec_globals["unflattened_outside_grad"](np.ones(FLAT.size + 1), M)


def test_flatten_inside_the_function():
    check(flattened_inside, PARAMS, M)


def test_other_autograd_vjps_are_refused_with_a_hint():
    vjp, _ = autograd.make_vjp(lambda v: anp.tanh(v) * 2.0)(X)

    def f(x):
        return anp.sum(vjp(x))

    with pytest.raises(UnsupportedPrimitive, match="make_vjp") as info:
        srcdiff.grad(f)(X)
    assert "inside the differentiated function" in str(info.value)


def test_autograds_own_machinery_gets_a_related_hint():
    def f(x):
        return anp.sum(autograd.elementwise_grad(anp.tanh)(x))

    with pytest.raises(UnsupportedPrimitive, match="autograd's own machinery"):
        srcdiff.grad(f)(X)


# ----- Defaults, methods of the user's objects, functools.partial -----
def predict(x, nonlinearity=anp.tanh):
    return anp.sum(nonlinearity(x) ** 2)


def calls_predict(x):
    return predict(2.0 * x) + predict(x, nonlinearity=anp.sin)


def test_autograd_function_as_a_default_argument():
    check(predict, X)
    check(calls_predict, X)


def test_a_function_default_is_kept_without_an_example():
    source = srcdiff.grad(predict).source  # shape-generic: no call yet
    assert "np.tanh(x)" in source


class Slices:
    """Names for pieces of one flat parameter vector."""

    def __init__(self):
        self.where = {}
        self.size = 0

    def add(self, name, shape):
        count = int(np.prod(shape))
        self.where[name] = (slice(self.size, self.size + count), shape)
        self.size += count

    def get(self, vector, name):
        piece, shape = self.where[name]
        return anp.reshape(vector[piece], shape)


class Layer:
    def __init__(self, slices):
        self.slices = slices

    def __call__(self, w, x):
        return anp.tanh(x @ self.slices.get(w, "W") + self.slices.get(w, "b"))


SLICES = Slices()
SLICES.add("W", (4, 3))
SLICES.add("b", (3,))
LAYER = Layer(SLICES)


def method_of_a_user_object(w, x):
    return anp.sum(SLICES.get(w, "W") ** 2) + anp.sum(LAYER(w, x))


def test_methods_of_the_users_objects_are_followed():
    w = RNG.normal(size=SLICES.size)
    check(method_of_a_user_object, w, M)


def squared_distance(a, b, weight=1.0):
    return weight * anp.sum((a - b) ** 2)


CLOSE_TO_ONE = functools.partial(squared_distance, np.ones(4))
SUM_ROWS = functools.partial(anp.sum, axis=0)


def uses_partials(x):
    def scaled(v, by):
        return by * v

    double = functools.partial(scaled, by=2.0)
    near = functools.partial(squared_distance, b=x[::-1], weight=0.5)
    total = functools.partial(x.sum)
    return CLOSE_TO_ONE(x) + anp.sum(SUM_ROWS(double(M) * x)) + near(x) + total()


def test_functools_partial_of_functions_and_primitives():
    check(uses_partials, X)


def test_a_partial_as_the_differentiated_function_gets_a_hint():
    with pytest.raises(srcdiff.errors.NoSource, match="Wrap the partial"):
        srcdiff.grad(CLOSE_TO_ONE)(X)


# ----- isinstance on traced values -----
def squares_if_array(x, weights):
    if isinstance(x, anp.ndarray) and not isinstance(weights, dict):
        return anp.sum(weights * x**2)
    return anp.sum(x)


def test_isinstance_of_an_array_answers_as_numpy_does():
    check(squares_if_array, X, np.arange(4.0))


def test_isinstance_of_an_array_without_an_example_asks_for_one():
    with pytest.raises(srcdiff.errors.NeedsExample, match="isinstance"):
        srcdiff.print_source(srcdiff.grad(squares_if_array))
