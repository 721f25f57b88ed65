"""What the second-order tests check against: central differences of the
gradient along a direction, random directions shaped like an argument, and
inner products of nested values."""

from collections.abc import Callable, Sequence
from typing import Any

import numpy as np

from srcdiff.numeric import along, leaves, map_leaves


def direction(rng: np.random.Generator, like: Any) -> Any:
    """A random direction shaped like ``like`` (floats where it holds floats)."""

    def one(leaf: Any) -> Any:
        if isinstance(leaf, float):
            return float(rng.uniform(-1, 1))
        return rng.uniform(-1, 1, size=np.shape(leaf))

    return map_leaves(one, like)



def moved(
    f: Callable[..., Any], args: Sequence[Any], wrt: Sequence[int], v: Sequence[Any]
) -> Any:
    """(f(x + h v) - f(x - h v)) / 2h, leaf by leaf, the ``wrt`` arguments
    moved together: with ``f`` a gradient, the Hessian times ``v``."""
    eps = 1e-6

    def at(t: float) -> list[Any]:
        shifted = list(args)
        for i, d in zip(wrt, v, strict=True):
            shifted[i] = along(args[i], t, d)
        return [np.asarray(leaf, dtype=float) for leaf in leaves(f(*shifted))]

    return [(a - b) / (2 * eps) for a, b in zip(at(eps), at(-eps), strict=True)]


def inner(a: Any, b: Any) -> float:
    return sum(float(np.sum(x * y)) for x, y in zip(leaves(a), leaves(b), strict=True))


def relative_error(a: Any, b: Any) -> float:
    """Largest error over the leaves of ``a`` and ``b``, relative to 1 or the
    larger magnitude."""
    worst = 0.0
    for x, y in zip(leaves(a), leaves(b), strict=True):
        x, y = np.asarray(x, dtype=float), np.asarray(y, dtype=float)
        scale = np.maximum(np.maximum(np.abs(x), np.abs(y)), 1.0)
        worst = max(worst, float(np.max(np.abs(x - y) / scale, initial=0.0)))
    return worst
