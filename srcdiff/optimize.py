"""``minimize``: ``scipy.optimize.minimize`` driven by srcdiff's derivatives.

SciPy optimises one flat float vector; a model's parameters are an array, a
number, or a list, tuple or dict of them. ``Layout`` records the structure of
``x0`` so each step can rebuild the parameters the user's function takes and
flatten the gradient (and, for Newton-type methods, the Hessian-vector
product) srcdiff derives for that function. SciPy is imported only here, when
``minimize`` is called: srcdiff itself does not need it.
"""

from __future__ import annotations

import weakref
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from typing import Any

import numpy as np

from srcdiff.api import value_and_grad
from srcdiff.api_second import hvp

# Methods that use the Hessian: srcdiff hands them the Hessian-vector product.
HESSIAN_METHODS = frozenset({"newton-cg", "trust-ncg", "trust-krylov", "trust-constr"})


@dataclass(frozen=True)
class Layout:
    """Where one parameter structure lives in the flat vector."""

    kind: str  # "array", "number", "list", "tuple" or "dict"
    shape: tuple[int, ...] = ()
    keys: tuple[Any, ...] = ()  # dict keys, in order
    items: tuple[Layout, ...] = ()

    @property
    def size(self) -> int:
        if self.kind == "array":
            return int(np.prod(self.shape, dtype=int))
        if self.kind == "number":
            return 1
        return sum(item.size for item in self.items)


def layout(x: Any) -> Layout:
    """The layout of ``x``; a clear error for what cannot be optimised."""
    if isinstance(x, np.ndarray | np.generic) and np.issubdtype(x.dtype, np.number):
        if np.iscomplexobj(x):
            raise TypeError(
                "srcdiff.optimize.minimize optimises real parameters; "
                "split a complex array into its real and imaginary parts"
            )
        return Layout("array", np.shape(x))
    if isinstance(x, bool) or not isinstance(x, int | float | list | tuple | dict):
        raise TypeError(
            f"srcdiff.optimize.minimize cannot optimise a {type(x).__name__}: "
            "pass x0 as a float array, a number, or a list, tuple or dict of them"
        )
    if isinstance(x, int | float):
        return Layout("number")
    if isinstance(x, dict):
        return Layout("dict", keys=tuple(x), items=tuple(layout(v) for v in x.values()))
    return Layout(type(x).__name__, items=tuple(layout(v) for v in x))


def flatten(where: Layout, x: Any) -> np.ndarray:
    """``x`` (shaped as ``where`` says) as one float vector."""
    if where.kind in ("array", "number"):
        return np.asarray(x, dtype=float).reshape(-1)
    values = [x[key] for key in where.keys] if where.kind == "dict" else list(x)
    parts = [flatten(item, v) for item, v in zip(where.items, values, strict=True)]
    return np.concatenate(parts) if parts else np.zeros(0)


def unflatten(where: Layout, vector: np.ndarray) -> Any:
    """The structure ``where`` describes, filled from ``vector``."""
    if where.kind == "array":
        return vector.reshape(where.shape).copy()
    if where.kind == "number":
        return float(vector[0])
    values, start = [], 0
    for item in where.items:
        values.append(unflatten(item, vector[start : start + item.size]))
        start += item.size
    if where.kind == "dict":
        return dict(zip(where.keys, values, strict=True))
    return tuple(values) if where.kind == "tuple" else values


def minimize(
    fun: Callable[..., Any],
    x0: Any,
    args: Sequence[Any] = (),
    method: str = "L-BFGS-B",
    **options: Any,
) -> Any:
    """``scipy.optimize.minimize(fun, x0, args, method, jac=...)`` with the
    gradient srcdiff derives for ``fun`` in its first argument, and, for
    Newton-CG, trust-ncg, trust-krylov and trust-constr, its Hessian-vector
    product. ``x0`` is an array, a number, or a list, tuple or dict of them;
    the result's ``x`` and ``jac`` come back in that structure. Other keyword
    arguments (``tol``, ``options``, ``bounds``, ...) go to SciPy."""
    optimize = _scipy_optimize()
    where = layout(x0)
    args = tuple(args)
    derivative = derivatives(fun, "grad")

    def objective(vector: np.ndarray, *args: Any) -> tuple[float, np.ndarray]:
        value, gradient = derivative(unflatten(where, vector), *args)
        return float(value), flatten(where, gradient)

    if method.lower() in HESSIAN_METHODS and not {"hess", "hessp"} & set(options):
        product_of = derivatives(fun, "hvp")

        def hessp(vector: np.ndarray, direction: np.ndarray, *args: Any) -> Any:
            point, along = unflatten(where, vector), unflatten(where, direction)
            return flatten(where, product_of(point, *args, along))

        options["hessp"] = hessp
    result = optimize.minimize(
        objective, flatten(where, x0), args=args, method=method, jac=True, **options
    )
    result.x = unflatten(where, result.x)
    if "jac" in result:
        result.jac = unflatten(where, np.asarray(result.jac, dtype=float))
    return result


# Per objective, its srcdiff derivatives: a second fit of the same function
# reuses their compiled specialisations instead of tracing again.
_DERIVATIVES: weakref.WeakKeyDictionary[Any, dict[str, Any]] = (
    weakref.WeakKeyDictionary()
)


def derivatives(fun: Callable[..., Any], which: str) -> Any:
    """``fun``'s value-and-gradient (``"grad"``) or HVP (``"hvp"``) function."""
    try:
        known = _DERIVATIVES.setdefault(fun, {})
    except TypeError:  # not weakly referable (a builtin): no cache
        known = {}
    if which not in known:
        make = value_and_grad if which == "grad" else hvp
        known[which] = make(fun, wrt=0)
    return known[which]


def _scipy_optimize() -> Any:
    try:
        import scipy.optimize
    except ImportError:
        raise ImportError(
            "srcdiff.optimize.minimize wraps scipy.optimize, and SciPy is not "
            "installed: pip install scipy (or pip install 'srcdiff[scipy]')"
        ) from None
    return scipy.optimize
