"""Functions taking ``*args`` and ``**kwargs``, and functions found by their code.

``def f(*args)`` differentiated with ``wrt=0`` is differentiated in the call's
first positional argument, as autograd does: the call gives the arity, and
the derivative is specialised on it like any tuple argument. A function is
found in its source by where its code starts, so one renamed after its
``def`` (by hand or by a decorator) is still found.
"""

import numpy as np
import pytest

import srcdiff
from srcdiff.api import compile_derivative, render
from srcdiff.numeric import max_relative_error, numerical_grad

X = np.array([0.5, -1.0, 2.0])
Y = np.array([1.5, 0.25, -0.75])


def product(*args):
    return np.sum(args[0] * args[1] ** 2)


def scaled(a, *rest, scale=2.0):
    return scale * np.sum(np.tanh(a) * sum(r for r in rest))


def weighted(x, **options):
    return np.sum(x * options["w"]) + options.get("shift", 0.0)


def close(got, f, args, i, item=None):
    """``got`` against central differences in ``args[i]`` (or its ``item``)."""

    def moved(value):
        changed = list(args)
        if item is None:
            changed[i] = value
        else:
            changed[i] = dict(changed[i], **{item: value})
        return f(*changed)

    start = args[i] if item is None else args[i][item]
    return max_relative_error(got, numerical_grad(moved, [start], 0)) < 1e-6


@pytest.mark.parametrize("i", [0, 1])
def test_an_index_names_a_positional_argument_of_star_args(i):
    g = srcdiff.grad(product, wrt=i)
    assert g.wrt == (f"args[{i}]",)
    assert close(g(X, Y), lambda *a: product(*a), [X, Y], i)


def test_several_indices_and_the_whole_tuple():
    dx, dy = srcdiff.grad(product, wrt=(0, 1))(X, Y)
    assert np.allclose(dx, Y**2) and np.allclose(dy, 2 * X * Y)
    whole = srcdiff.grad(product, wrt="args")(X, Y)
    assert isinstance(whole, tuple) and np.allclose(whole[1], dy)


def test_named_parameters_come_first():
    args = [X, Y, X * Y]
    assert close(srcdiff.grad(scaled, wrt=0)(*args), scaled, args, 0)
    g = srcdiff.grad(scaled, wrt=2)  # the second of rest
    assert g.wrt == ("rest[1]",)
    assert close(g(*args), scaled, args, 2)


def test_keyword_arguments_collected_in_kwargs():
    g = srcdiff.grad(weighted, wrt="options['w']")
    got = g(X, w=Y, shift=1.0)
    assert np.allclose(got, X)
    assert np.allclose(srcdiff.grad(weighted)(X, w=Y), Y)


def test_the_emitted_code_takes_star_args():
    derivative = srcdiff.grad(product, wrt=0).derivative(X, Y)
    assert "def product_grad(*args):" in render(derivative)
    assert np.allclose(compile_derivative(derivative)(X, Y), Y**2)
    # Another arity is another specialisation.
    g = srcdiff.grad(lambda *a: np.sum(a[0] * a[-1]), wrt=0)
    assert np.allclose(g(X, Y), Y)
    assert np.allclose(g(X, Y, X), X)


def test_an_item_of_star_args_without_arguments_needs_them():
    with pytest.raises(srcdiff.NeedsExample) as info:
        srcdiff.grad(product, wrt=0).derivative()
    assert "wrt='args[0]' names an item of args" in info.value.message
    assert "grad(f, wrt=...)(x, y)" in info.value.hint
    # The whole tuple needs no example.
    generic = compile_derivative(srcdiff.grad(product, wrt="args").derivative())
    assert np.allclose(generic(X, Y)[0], Y**2)


def test_nested_functions_and_lambdas_with_star_args():
    def f(x, y):
        def total(*parts, **weights):
            return sum(p * weights.get("w", 1.0) for p in parts)

        both = lambda *a: a[0] * a[1]  # noqa: E731
        return np.sum(total(x, y, x, w=2.0) + both(x, y))

    assert close(srcdiff.grad(f)(X, Y), f, [X, Y], 0)


def renamed(x):
    return np.sum(np.sin(x) * x)


renamed.__name__ = "something else"


def product_named(x):  # a def whose name another function now carries
    return np.sum(x**3)


def takes_the_name(x):
    return np.sum(np.exp(x))


takes_the_name.__name__ = "product_named"


def called(name):
    def decorate(fn):
        fn.__name__ = name
        return fn

    return decorate


@called("loss")
def decorated(x):
    return np.sum(x**2)


def unwrapped(fn):
    def wrapper(*args, **kwargs):  # no functools.wraps: no __wrapped__
        return fn(*args, **kwargs)

    wrapper.__name__ = fn.__name__
    return wrapper


@unwrapped
def wrapped(x, y):
    return np.sum(x * y)


@pytest.mark.parametrize(
    ("fn", "expected", "emitted"),
    [
        (renamed, np.cos(X) * X + np.sin(X), "renamed_grad"),
        (takes_the_name, np.exp(X), "product_named_grad"),
        (decorated, 2 * X, "loss_grad"),
        (wrapped, Y, "wrapped_grad"),
    ],
    ids=["renamed", "name-of-another-def", "decorator-sets-name", "bare-wrapper"],
)
def test_functions_are_found_by_their_code(fn, expected, emitted):
    g = srcdiff.grad(fn)
    args = (X, Y) if fn is wrapped else (X,)
    assert np.allclose(g(*args), expected)
    assert f"def {emitted}(" in g.source


def test_a_renamed_lambda_is_still_a_lambda():
    f = lambda x: np.sum(np.tanh(x))  # noqa: E731
    f.__name__ = "f"
    assert np.allclose(srcdiff.grad(f)(X), 1 - np.tanh(X) ** 2)
