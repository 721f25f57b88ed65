"""The checks every rule test makes, and the strategies they share.

- ``check_grad``: ``srcdiff.grad(f, wrt=i)``, specialised on the drawn
  inputs, matches central differences of ``f`` for each differentiable i;
  so does ``srcdiff.jvp(f, wrt=i)`` along a random direction, and it agrees
  with the gradient (``check_tangent``: the tangent rules' dot-product test).
- ``check_generic``: the derivative traced with no example, compiled and
  called on the same inputs, gives the same gradients.
- ``check_rule``: called directly on arrays, a rule satisfies the dot-product
  identity <g, J v> = <rule(g, ...), v> for a random direction v, with J v
  taken by central differences of the primal along v.

Tested functions are ``sum(op(...) * G)`` with ``G`` drawn, so the adjoint
reaching ``op`` is ``G`` itself: the same ``g`` the direct check feeds the rule.
"""

from collections.abc import Callable, Sequence
from typing import Any

import numpy as np
from hypothesis import strategies as st
from hypothesis.extra import numpy as hnp

import srcdiff
from srcdiff.api import compile_derivative
from srcdiff.errors import UnsupportedPrimitive
from srcdiff.ir.prims import lookup
from srcdiff.numeric import leaves, max_relative_error, numerical_grad
from srcdiff.rules import rule_for

# Central differences with h = 1e-6 are good to about 1e-9 on these domains.
TOL = 1e-6
# Weights G and directions v are nonzero and distinct: an all-zero or constant
# G (hypothesis's simplest draw) would hide a rule that scales or permutes g.
WEIGHT = st.one_of(st.floats(-2, -0.5), st.floats(0.5, 2))
DIRECTION = st.one_of(st.floats(-1, -0.25), st.floats(0.25, 1))


def draw_array(
    data: st.DataObject,
    elements: st.SearchStrategy[Any],
    shape: tuple[int, ...],
    distinct: bool = False,
    dtype: Any = np.float64,
    allow_float: bool = True,
) -> Any:
    """An array of ``elements``; for a float of shape () sometimes a Python float."""
    python_float = allow_float and np.dtype(dtype) == np.float64
    if shape == () and python_float and data.draw(st.booleans()):
        return data.draw(elements)
    return data.draw(hnp.arrays(dtype, shape, elements=elements, unique=distinct))


def draw_weights(data: st.DataObject, shape: tuple[int, ...]) -> np.ndarray:
    """``G``: the fixed weights that reduce an output of ``shape`` to a scalar."""
    return data.draw(
        hnp.arrays(np.float64, shape, elements=WEIGHT, unique=True), label="G"
    )


def draw_like(data: st.DataObject, tree: Any) -> Any:
    """A random direction with the structure and shapes of ``tree``."""
    if isinstance(tree, list | tuple):
        return type(tree)(draw_like(data, item) for item in tree)
    if isinstance(tree, float):
        return data.draw(DIRECTION)
    return data.draw(
        hnp.arrays(np.float64, np.shape(tree), elements=DIRECTION, unique=True)
    )


def is_differentiable(value: Any) -> bool:
    """Float arrays, floats and containers of them (not shapes, axes, indices)."""
    found = leaves(value)
    return bool(found) and all(
        isinstance(leaf, float | np.ndarray) and np.result_type(leaf) == np.float64
        for leaf in found
    )


def assert_like(grad: Any, arg: Any, what: str) -> None:
    """A gradient has its argument's structure, shape and dtype (DESIGN.md, 5)."""
    grad_leaves, arg_leaves = leaves(grad), leaves(arg)
    assert len(grad_leaves) == len(arg_leaves), what
    for g, a in zip(grad_leaves, arg_leaves, strict=True):
        assert np.shape(g) == np.shape(a), f"{what}: shape {np.shape(g)}"
        assert np.result_type(g) == np.float64, f"{what}: {np.result_type(g)}"


def check_grad(
    f: Callable[..., Any], args: Sequence[Any], tol: float = TOL
) -> dict[int, Any]:
    """Gradients of ``f`` in each float argument against central differences.

    Returns the numerical gradients by argument index, for ``check_generic``.
    """
    expected = {}
    for i, arg in enumerate(args):
        if not is_differentiable(arg):
            continue
        expected[i] = numerical_grad(f, args, i)
        got = srcdiff.grad(f, wrt=i)(*args)
        assert_like(got, arg, f"gradient in argument {i}")
        error = max_relative_error(got, expected[i])
        assert error < tol, f"gradient in argument {i} is off by {error:.3g}"
        check_tangent(f, args, i, got, tol)
    return expected


def check_tangent(
    f: Callable[..., Any], args: Sequence[Any], i: int, grad: Any, tol: float = TOL
) -> None:
    """``srcdiff.jvp(f, wrt=i)`` along a random direction v: the value is
    ``f``'s, and the tangent is <grad, v> (the adjoint rules give the gradient,
    the tangent rules the tangent) and the central difference along v. A
    primitive without a tangent rule for the argument (docs/coverage.md lists
    them) is a located error, which ends the check."""
    rng = np.random.default_rng(i)
    v = map_tree(lambda leaf: _direction(rng, leaf), args[i])
    try:
        value, tangent = srcdiff.jvp(f, wrt=i)(*args, v)
    except UnsupportedPrimitive as exc:
        assert "tangent" in str(exc) and exc.loc is not None, str(exc)
        return
    assert max_relative_error(value, f(*args)) < 1e-12
    assert np.ndim(tangent) == 0
    error = max_relative_error(tangent, inner(grad, v))
    assert error < tol, f"tangent in argument {i} is not <grad, v>: {error:.3g}"

    def moved(t: float) -> Any:
        return f(*[step(a, t, v) if j == i else a for j, a in enumerate(args)])

    numeric = numerical_grad(moved, (0.0,), 0)
    error = max_relative_error(tangent, numeric)
    assert error < tol, f"tangent in argument {i} is off by {error:.3g}"


def _direction(rng: np.random.Generator, leaf: Any) -> Any:
    if isinstance(leaf, float):
        return float(rng.uniform(0.25, 1))
    shape = np.shape(leaf)
    return rng.uniform(0.25, 1, size=shape) * rng.choice([-1, 1], size=shape)


def map_tree(fn: Callable[[Any], Any], tree: Any) -> Any:
    if isinstance(tree, list | tuple):
        return type(tree)(map_tree(fn, item) for item in tree)
    return fn(tree)


def check_generic(
    f: Callable[..., Any],
    args: Sequence[Any],
    expected: dict[int, Any],
    tol: float = TOL,
) -> None:
    """The no-example derivative, run on ``args``, matches ``expected``."""
    wrt = tuple(expected)
    derivative = srcdiff.grad(f, wrt=wrt).derivative()
    got = compile_derivative(derivative)(*args)  # a tuple, as wrt is one
    for i, grad in zip(wrt, got, strict=True):
        error = max_relative_error(grad, expected[i])
        assert error < tol, f"generic gradient in argument {i} is off by {error:.3g}"


def check_rule(
    data: st.DataObject,
    fn: Callable[..., Any],
    args: Sequence[Any],
    g: Any,
    kwargs: dict[str, Any] | None = None,
    tol: float = TOL,
) -> None:
    """The rule of ``fn``, on arrays, is the transpose of ``fn``'s derivative."""
    kwargs = kwargs or {}
    rule = rule_for(lookup(fn))
    assert rule is not None, f"no rule for {fn}"
    contributions = rule(g, fn(*args, **kwargs), *args, **kwargs)
    if not isinstance(contributions, tuple):
        contributions = (contributions,)
    for i, arg in enumerate(args):
        if not is_differentiable(arg):
            continue
        assert_like(contributions[i], arg, f"rule contribution {i}")
        v = draw_like(data, arg)

        def along(t: float, i: int = i, v: Any = v) -> Any:
            moved = list(args)
            moved[i] = step(args[i], t, v)
            return np.sum(g * fn(*moved, **kwargs))

        jvp = numerical_grad(along, (0.0,), 0)
        vjp = inner(contributions[i], v)
        error = max_relative_error(vjp, jvp)
        assert error < tol, f"<g, J v> != <rule(g), v> for argument {i}: {error:.3g}"


def step(x: Any, t: float, v: Any) -> Any:
    """``x + t * v`` leaf by leaf."""
    if isinstance(x, list | tuple):
        return type(x)(step(a, t, b) for a, b in zip(x, v, strict=True))
    return x + t * v


def inner(a: Any, b: Any) -> float:
    """The dot product of two trees of arrays."""
    return sum(float(np.sum(x * y)) for x, y in zip(leaves(a), leaves(b), strict=True))


def axes(ndim):
    """Every valid ``axis``: None, one axis either way round, or a tuple."""
    one = st.integers(-ndim, ndim - 1) if ndim else st.nothing()
    return st.one_of(st.none(), one, hnp.valid_tuple_axes(ndim))


@st.composite
def options(draw, ndim):
    """Keyword arguments for a reduction: each of axis and keepdims, or neither."""
    chosen = {}
    if draw(st.booleans()):
        chosen["axis"] = draw(axes(ndim))
    if draw(st.booleans()):
        chosen["keepdims"] = draw(st.booleans())
    return chosen


def weighted_sum(op, G, arity):
    """``sum(op(...) * G)`` as a function with source, for srcdiff to read."""

    def unary(x):
        return np.sum(op(x) * G)

    def binary(x, y):
        return np.sum(op(x, y) * G)

    def ternary(x, y, z):
        return np.sum(op(x, y, z) * G)

    return (unary, binary, ternary)[arity - 1]
