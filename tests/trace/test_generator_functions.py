"""Generator functions called by the differentiated function.

A helper that yields (autograd's Bayesian neural net unpacks its layers this
way) runs to its end while tracing, its loops unrolled; the caller iterates
over what it gave. The emitted code holds no generator, only the values.
"""

import numpy as np
import pytest

import srcdiff
from srcdiff.numeric import max_relative_error, numerical_grad
from srcdiff.pipeline import derive
from srcdiff.spec import Spec

SHAPES = [(3, 4), (4, 1)]
RNG = np.random.default_rng(7)
W = RNG.normal(size=21)
X = RNG.normal(size=(5, 3))


def unpack_layers(weights):
    for m, n in SHAPES:
        yield weights[: m * n].reshape((m, n)), weights[m * n : m * n + n]
        weights = weights[(m + 1) * n :]


def network(weights, inputs):
    for W, b in unpack_layers(weights):
        inputs = np.tanh(inputs @ W + b)
    return np.sum(inputs**2)


def every_other(x):
    yield from (x[i] for i in range(0, len(x), 2))


def alternating(x):
    return sum(v**2 for v in every_other(x))


def until_negative(x):
    for i in range(len(x)):
        if x[i] < 0:
            return  # ends the generator early
        yield np.exp(x[i])


def leading(x):
    return sum(until_negative(x)) + 0.0 * np.sum(x)


def first_two(x):
    values = every_other(x)
    return next(values) * next(values)


@pytest.mark.parametrize(
    "fn, args",
    [
        (network, (W, X)),
        (alternating, (W[:7],)),
        (leading, (np.array([0.5, 1.5, -1.0, 2.0]),)),
        (first_two, (W[:5],)),
    ],
    ids=lambda v: getattr(v, "__name__", ""),
)
def test_gradient_through_a_generator_matches_finite_differences(fn, args):
    g = srcdiff.grad(fn)(*args)
    expected = numerical_grad(fn, args, 0)
    assert max_relative_error(g, expected) < 1e-6


def test_the_emitted_code_holds_the_values_not_the_generator():
    g = srcdiff.grad(network)
    g(W, X)
    text = g.source
    assert "unpack_layers" not in text and "yield" not in text
    # The bounds the slices need fold into the strongest one.
    assert text.count("len(weights) <") == 1


def test_a_generator_looping_over_runtime_trips_is_refused_where_it_yields():
    def yields_items(x, n):
        for i in range(n):
            yield x[i]

    def f(x, n):
        return sum(yields_items(x, n))

    with pytest.raises(srcdiff.SrcdiffError) as info:
        derive(f, Spec(("x",)), None)  # no example: n is not known
    assert "yield x[i]" in info.value.loc.text
