"""What every forward-mode test checks: a tangent against central
differences along its direction, and against the gradient (the dot-product
test <J v, u> = <v, J^T u>, here with u = 1 for a scalar function)."""

from collections.abc import Callable, Sequence
from typing import Any

import numpy as np

from srcdiff.numeric import along, leaves, map_leaves


def directional(
    f: Callable[..., Any],
    args: Sequence[Any],
    wrt: Sequence[int],
    v: Sequence[Any],
    eps: float = 1e-6,
) -> Any:
    """(f(x + h v) - f(x - h v)) / 2h, all ``wrt`` arguments moved together."""

    def at(t: float) -> Any:
        moved = list(args)
        for i, d in zip(wrt, v, strict=True):
            moved[i] = along(args[i], t, d)
        return np.asarray(f(*moved), dtype=float)

    return (at(eps) - at(-eps)) / (2 * eps)


def direction(rng: np.random.Generator, like: Any) -> Any:
    """A random direction shaped like ``like`` (floats where it holds floats)."""

    def one(leaf: Any) -> Any:
        if isinstance(leaf, float):
            return float(rng.uniform(-1, 1))
        return rng.uniform(-1, 1, size=np.shape(leaf))

    return map_leaves(one, like)


def inner(a: Any, b: Any) -> float:
    return sum(float(np.sum(x * y)) for x, y in zip(leaves(a), leaves(b), strict=True))


def relative_error(a: Any, b: Any) -> float:
    a, b = np.asarray(a, dtype=complex), np.asarray(b, dtype=complex)
    scale = np.maximum(np.maximum(np.abs(a), np.abs(b)), 1.0)
    return float(np.max(np.abs(a - b) / scale, initial=0.0))
