"""Central finite differences, sharing no code with srcdiff's differentiation.

`srcdiff check` and the tests compare emitted gradients with these estimates.
Because the reference is computed without any of the machinery it judges, a bug
in that machinery cannot make the check agree with itself.

Arguments may be nested structures ("trees"): lists, tuples and dicts are
containers; anything else, arrays included, is a leaf.
"""

from collections.abc import Callable, Iterator, Sequence
from typing import Any

import numpy as np
from numpy.typing import NDArray

_REAL_KINDS = "iuf"  # signed int, unsigned int, float


def leaves(tree: Any) -> list[Any]:
    """Return the leaves of `tree`, lists and tuples by position, dicts by
    insertion order."""
    if isinstance(tree, list | tuple):
        return [leaf for item in tree for leaf in leaves(item)]
    if isinstance(tree, dict):
        return [leaf for item in tree.values() for leaf in leaves(item)]
    return [tree]


def map_leaves(fn: Callable[[Any], Any], tree: Any) -> Any:
    """Apply `fn` to every leaf of `tree`, keeping its structure.

    Lists stay lists, tuples stay tuples and dicts keep their key order;
    subclasses (namedtuple, OrderedDict) come back as the plain type. `fn` is
    called on the leaves in the order `leaves` returns them.
    """
    if isinstance(tree, list):
        return [map_leaves(fn, item) for item in tree]
    if isinstance(tree, tuple):
        return tuple(map_leaves(fn, item) for item in tree)
    if isinstance(tree, dict):
        return {key: map_leaves(fn, value) for key, value in tree.items()}
    return fn(tree)


def along(x: Any, t: float, v: Any) -> Any:
    """``x + t * v`` leaf by leaf, for containers of arrays and numbers: a
    point moved along a direction shaped like it."""
    if isinstance(x, (list, tuple)):
        return type(x)(along(a, t, b) for a, b in zip(x, v, strict=True))
    if isinstance(x, dict):
        return {k: along(x[k], t, v[k]) for k in x}
    return x + t * v


def numerical_grad(
    f: Callable[..., Any], args: Sequence[Any], argnum: int, eps: float = 1e-6
) -> Any:
    """Central-difference gradient of the scalar `f(*args)` in `args[argnum]`.

    `args[argnum]` may be a real scalar, a real ndarray of any shape (0-d
    included) or a tree of these. The result has the same structure: scalar
    leaves give Python floats, array leaves float64 arrays of the same shape.
    Each element x is moved by h = eps * max(1, |x|) either way, so the step is
    relative for large values and absolute for small ones. `f` only ever sees
    float64 copies of the differentiated leaves; the caller's arrays are left
    untouched. Costs two calls of `f` per element.
    """
    if not eps > 0:
        raise ValueError(f"eps must be positive, got {eps!r}")
    call_args = list(args)
    wrt = call_args[argnum]
    points = [_real_array(leaf) for leaf in leaves(wrt)]

    def evaluate() -> float:
        call_args[argnum] = _rebuild(wrt, points)
        return _real_scalar(f(*call_args))

    grads = [np.zeros_like(x) for x in points]
    for x, g in zip(points, grads, strict=True):
        for i in np.ndindex(x.shape):
            x0 = float(x[i])
            h = eps * max(1.0, abs(x0))
            above, below = x0 + h, x0 - h
            x[i] = above
            f_above = evaluate()
            x[i] = below
            f_below = evaluate()
            x[i] = x0
            # Divide by the step actually taken, not 2 * h: x0 + h rounds.
            g[i] = (f_above - f_below) / (above - below)
    return _rebuild(wrt, grads)


def max_relative_error(a: Any, b: Any) -> float:
    """Largest elementwise |a - b| / max(|a|, |b|, 1) over matching trees.

    The error is relative for values above 1 and absolute below. It is nan if
    any element of either side is nan or infinite, so a `< tol` check fails.
    Raises ValueError when the structures, dict keys or leaf shapes differ;
    a float and a 0-d array match.
    """
    worst = [0.0]
    for leaf_a, leaf_b in _paired_leaves(a, b, ""):
        x, y = _real_array(leaf_a), _real_array(leaf_b)
        if x.size:
            scale = np.maximum(np.maximum(np.abs(x), np.abs(y)), 1.0)
            worst.append(float(np.max(np.abs(x - y) / scale)))
    return float(np.max(worst))  # np.max, unlike max(), propagates nan


def _paired_leaves(a: Any, b: Any, path: str) -> Iterator[tuple[Any, Any]]:
    """Yield corresponding leaves of `a` and `b`, dicts paired by key."""
    where = path or "the top level"
    kind_a, kind_b = _kind(a), _kind(b)
    if kind_a != kind_b:
        raise ValueError(f"structures differ at {where}: {kind_a} vs {kind_b}")
    if kind_a == "dict":
        if a.keys() != b.keys():
            raise ValueError(f"dict keys differ at {where}: {list(a)} vs {list(b)}")
        for key in a:
            yield from _paired_leaves(a[key], b[key], f"{path}[{key!r}]")
    elif kind_a in ("list", "tuple"):
        if len(a) != len(b):
            raise ValueError(
                f"{kind_a} lengths differ at {where}: {len(a)} vs {len(b)}"
            )
        for i, (x, y) in enumerate(zip(a, b, strict=True)):
            yield from _paired_leaves(x, y, f"{path}[{i}]")
    else:
        if np.shape(a) != np.shape(b):
            raise ValueError(
                f"shapes differ at {where}: {np.shape(a)} vs {np.shape(b)}"
            )
        yield a, b


def _kind(tree: Any) -> str:
    if isinstance(tree, list):
        return "list"
    if isinstance(tree, tuple):
        return "tuple"
    if isinstance(tree, dict):
        return "dict"
    return "leaf"


def _real_array(leaf: Any) -> NDArray[np.float64]:
    """`leaf` as a float64 array; a new copy, never a view of the caller's."""
    dtype = np.asarray(leaf).dtype
    if dtype.kind not in _REAL_KINDS:
        raise TypeError(
            f"expected a real number or array, got {type(leaf).__name__} "
            f"of dtype {dtype}"
        )
    return np.array(leaf, dtype=np.float64)


def _rebuild(template: Any, values: list[NDArray[np.float64]]) -> Any:
    """`template` with its leaves replaced by `values`, in order; scalar leaves
    become Python floats, array leaves get the array itself."""
    remaining = iter(values)

    def replace(leaf: Any) -> Any:
        value = next(remaining)
        return value if isinstance(leaf, np.ndarray) else float(value)

    return map_leaves(replace, template)


def _real_scalar(value: Any) -> float:
    arr = np.asarray(value)
    if arr.ndim != 0 or arr.dtype.kind not in _REAL_KINDS:
        raise TypeError(
            "f must return a real scalar, got "
            f"{type(value).__name__} of shape {arr.shape} and dtype {arr.dtype}"
        )
    return float(arr)
