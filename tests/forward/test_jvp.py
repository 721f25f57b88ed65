"""``srcdiff.jvp`` on small functions: array outputs, several tangents,
keyword-only tangents, branches and rolled loops, the shape-generic
derivative, and the located error for a primitive without a tangent rule."""

import numpy as np
import pytest
from forward_checks import directional, relative_error

import srcdiff
from srcdiff.api import compile_derivative

RNG = np.random.default_rng(1)
X = RNG.normal(size=4)
W = RNG.normal(size=(3, 4))
V = RNG.normal(size=4)
DW = RNG.normal(size=(3, 4))


def layer(W, x):
    return np.tanh(W @ x) * np.exp(x[:3])


def test_an_array_output_gets_its_jacobian_times_the_tangent():
    value, tangent = srcdiff.jvp(layer, wrt="x")(W, X, V)
    np.testing.assert_allclose(value, layer(W, X))
    assert tangent.shape == (3,)
    numeric = directional(layer, [W, X], [1], [V])
    assert relative_error(tangent, numeric) < 1e-6


def test_several_tangents_by_position_or_by_name():
    both = srcdiff.jvp(layer, wrt=["W", "x"])
    _, by_position = both(W, X, DW, V)
    _, by_name = both(W, X, dx=V, dW=DW)
    numeric = directional(layer, [W, X], [0, 1], [DW, V])
    assert relative_error(by_position, numeric) < 1e-6
    np.testing.assert_array_equal(by_position, by_name)


def scaled(x, scale=2.0):
    return np.sum(np.sin(x) * scale)


def test_tangents_follow_defaults_as_keyword_only_parameters():
    jvp = srcdiff.jvp(scaled)
    _, tangent = jvp(X, V)
    assert relative_error(tangent, np.sum(np.cos(X) * 2.0 * V)) < 1e-12
    source = jvp.source
    assert "def scaled_jvp(x, scale=2.0, *, dx):" in source


def piecewise(x, n):
    for _ in range(n):
        if np.sum(x) > 0:
            y = np.sin(x)
            x = y * 0.9
        else:
            x = x**2 + 1.0
    return x


@pytest.mark.parametrize("start", [X, -np.abs(X)])
def test_a_branch_in_a_rolled_loop_takes_the_tangent_of_the_arm_it_runs(start):
    jvp = srcdiff.jvp(piecewise, unroll=False)
    value, tangent = jvp(start, 5, V)
    np.testing.assert_allclose(value, piecewise(start, 5))
    numeric = directional(piecewise, [start, 5], [0], [V])
    assert relative_error(tangent, numeric) < 1e-6
    assert "for " in jvp.source and "if " in jvp.source


def test_the_shape_generic_derivative_runs_on_any_sizes():
    derivative = srcdiff.jvp(layer, wrt="x").derivative()
    compiled = compile_derivative(derivative)
    for n in (3, 6):
        w, x, v = RNG.normal(size=(3, n)), RNG.normal(size=n), RNG.normal(size=n)
        _, tangent = compiled(w, x, v)
        numeric = directional(layer, [w, x], [1], [v])
        assert relative_error(tangent, numeric) < 1e-6


def test_a_tangent_of_another_shape_is_refused():
    with pytest.raises(srcdiff.PathChanged, match="dx is not shaped like x"):
        srcdiff.jvp(layer, wrt="x")(W, X, 1.0)


def sorted_sum(x):
    return np.sum(np.sort(x) * np.arange(4.0))


def test_a_primitive_without_a_tangent_rule_is_a_located_error():
    with pytest.raises(srcdiff.UnsupportedPrimitive) as caught:
        srcdiff.jvp(sorted_sum)(X, V)
    error = caught.value
    assert "no tangent (forward-mode derivative) of sort" in error.message
    assert (
        error.loc is not None
        and error.loc.line == sorted_sum.__code__.co_firstlineno + 1
    )
    assert "^" in str(error)
    assert srcdiff.grad(sorted_sum)(X).shape == (4,)  # reverse mode has one


def differences(x, y):
    return np.diff(x, prepend=3.0, append=y) ** 2


@pytest.mark.parametrize("wrt", [["x"], ["x", "y"], ["y"]])
def test_constant_parts_of_a_linear_call_get_no_tangent(wrt):
    """np.diff is linear in x, prepend and append together: a constant end
    contributes nothing, a differentiated one its tangent."""
    args, directions = [X, 2.0], {"x": V, "y": 0.5}
    _, tangent = srcdiff.jvp(differences, wrt=wrt)(*args, *[directions[w] for w in wrt])
    index = [["x", "y"].index(w) for w in wrt]
    numeric = directional(differences, args, index, [directions[w] for w in wrt])
    assert relative_error(tangent, numeric) < 1e-6


def two_layers(params, x):
    (W1, b1), (W2, b2) = params
    return np.sum(np.tanh(np.tanh(W1 @ x + b1) @ W2 + b2))


def test_a_generic_derivative_checks_a_container_tangent_item_by_item():
    compiled = compile_derivative(srcdiff.jvp(two_layers).derivative())
    W2, dW2 = RNG.normal(size=(3, 2)), RNG.normal(size=(3, 2))
    params = [(W, X[:3]), (W2, X[:2])]
    dparams = [(DW, V[:3]), (dW2, V[:2])]
    _, tangent = compiled(params, X, dparams)
    numeric = directional(two_layers, [params, X], [0], [dparams])
    assert relative_error(tangent, numeric) < 1e-6
    with pytest.raises(srcdiff.PathChanged, match="dparams is not shaped like"):
        compiled(params, X, dparams[:1])


def summed_from_five(x):
    return np.sum(x, initial=5.0)


def test_a_keyword_no_rule_reads_is_refused():
    """np.sum is linear in x, but not with initial=: the call must be one the
    primitive's rules were written for, or the tangent would be wrong."""
    with pytest.raises(srcdiff.UnsupportedPrimitive, match="initial"):
        srcdiff.jvp(summed_from_five)(X, V)
