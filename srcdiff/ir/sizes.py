"""Sizes as expressions of the inputs, so emitted code holds at other sizes.

With an example every array has a concrete shape, but a number that came
from a shape (``/ 16`` for a mean, ``np.zeros((30, 3))``) must not be written
into the derivative: a file made for 16 rows would then give wrong gradients
for 20. So each axis of a traced array also has a *size*: a polynomial over
atoms, an atom being one axis of one value read when the code runs
(``X.shape[0]``, ``len(y)``, ``np.count_nonzero(mask)``). ``infer`` follows
sizes through the primitives whose result shapes it knows (broadcasting,
reductions, matmul, indexing, reshapes, constructors); any other result's
axes are atoms of that result itself, which is always right when the code
runs. Polynomials make ``np.size(a) / np.size(ans)`` cancel to ``X.shape[1]``.

A ``Poly`` is a sorted tuple of ``(monomial, coefficient)`` pairs, a monomial
a sorted tuple of atom keys; ``()`` is zero. Atom keys sort by the serial of
the value they read, so parameters (traced first) come first.
"""

from __future__ import annotations

import operator
from collections import defaultdict
from collections.abc import Iterable
from typing import Any

import numpy as np

from srcdiff.ir.nodes import Const, Var

Atom = tuple[Any, ...]
Poly = tuple[tuple[tuple[Atom, ...], int], ...]


def const(value: int) -> Poly:
    return (((), int(value)),) if value else ()


def atom(key: Atom) -> Poly:
    return (((key,), 1),)


def _normal(terms: Iterable[tuple[tuple[Atom, ...], int]]) -> Poly:
    total: dict[tuple[Atom, ...], int] = defaultdict(int)
    for monomial, coef in terms:
        total[tuple(sorted(monomial))] += coef
    return tuple(sorted((m, c) for m, c in total.items() if c))


def add(a: Poly, b: Poly) -> Poly:
    return _normal([*a, *b])


def neg(a: Poly) -> Poly:
    return tuple((m, -c) for m, c in a)


def sub(a: Poly, b: Poly) -> Poly:
    return add(a, neg(b))


def mul(a: Poly, b: Poly) -> Poly:
    return _normal((ma + mb, ca * cb) for ma, ca in a for mb, cb in b)


def divide(a: Poly, b: Poly) -> Poly | None:
    """``a / b`` when ``b`` is one term dividing every term of ``a`` exactly."""
    if len(b) != 1:
        return None
    (mb, cb), out = b[0], []
    for ma, ca in a:
        rest = list(ma)
        for key in mb:
            if key not in rest:
                return None
            rest.remove(key)
        if ca % cb:
            return None
        out.append((tuple(rest), ca // cb))
    return _normal(out)


def constant(poly: Poly) -> int | None:
    """The poly's value when it reads no atom."""
    if not poly:
        return 0
    if len(poly) == 1 and poly[0][0] == ():
        return poly[0][1]
    return None


def single_atom(poly: Poly) -> Atom | None:
    if len(poly) == 1 and len(poly[0][0]) == 1 and poly[0][1] == 1:
        return poly[0][0][0]
    return None


def size_poly(value: Any) -> Poly | None:
    """The size an int or a size Var holds (None for anything else)."""
    if isinstance(value, (bool, np.bool_)):
        return None
    if isinstance(value, (int, np.integer)):
        return const(int(value))
    if isinstance(value, Var) and value.size is not None:
        return value.size
    return None


def product(shape: Iterable[Poly]) -> Poly:
    total = const(1)
    for poly in shape:
        total = mul(total, poly)
    return total


def atoms(poly: Poly) -> set[Atom]:
    return {key for monomial, _ in poly for key in monomial}


def base_atoms(poly: Poly) -> set[Atom]:
    """The axes a size reads, looking inside ``n // 2``."""
    out: set[Atom] = set()
    for key in atoms(poly):
        out |= base_atoms(key[1]) if key[0] == "floordiv" else {key}
    return out


def evaluate(poly: Poly, values: dict[Atom, int]) -> int:
    total = 0
    for monomial, coef in poly:
        term = coef
        for key in monomial:
            term *= values[key]
        total += term
    return total


# Comparison prims by name, for comparing sizes.
COMPARISONS = {
    "equal": operator.eq,
    "not_equal": operator.ne,
    "less": operator.lt,
    "less_equal": operator.le,
    "greater": operator.gt,
    "greater_equal": operator.ge,
}


# ----- Shapes of results -----


def broadcast(
    shapes: list[tuple[Poly, ...]], out: tuple[int, ...], value_of: Any
) -> tuple[tuple[Poly, ...] | None, list[tuple[Poly, Poly]]]:
    """The sizes of a broadcast result, and the pairs of different sizes that
    broadcasting matched (the code is right only while they stay equal)."""
    sizes: list[Poly] = []
    equal: list[tuple[Poly, Poly]] = []
    for axis in range(1, len(out) + 1):
        n = out[-axis]
        candidates = [s[-axis] for s in shapes if len(s) >= axis]
        if n == 1:
            sizes.append(const(1))
            continue
        matching = [c for c in candidates if value_of(c) == n]
        if not matching:
            return None, []
        best = min(matching, key=_rank)
        for other in matching:
            if other != best and (best, other) not in equal:
                equal.append((best, other))
        sizes.append(best)
    return tuple(reversed(sizes)), equal


def _rank(poly: Poly) -> tuple[int, Any]:
    """Constants first, then sizes of earlier values: parameters before
    temporaries, so results read ``len(X)`` rather than a temporary's length."""
    if constant(poly) is not None:
        return (0, ())
    return (1, poly)


def reduce(
    shape: tuple[Poly, ...], axis: Any, keepdims: bool
) -> tuple[Poly, ...] | None:
    ndim = len(shape)
    if axis is None:
        axes = set(range(ndim))
    elif isinstance(axis, (int, np.integer)):
        axes = {int(axis) % ndim} if ndim else set()
    elif isinstance(axis, tuple) and all(isinstance(a, int) for a in axis):
        axes = {a % ndim for a in axis}
    else:
        return None
    if keepdims:
        return tuple(const(1) if i in axes else s for i, s in enumerate(shape))
    return tuple(s for i, s in enumerate(shape) if i not in axes)


def matmul(a: tuple[Poly, ...], b: tuple[Poly, ...]) -> tuple[Poly, ...] | None:
    if not a or not b:
        return None
    if len(a) == 1 and len(b) == 1:
        return ()
    if len(a) == 1:
        return (*b[:-2], b[-1])
    if len(b) == 1:
        return a[:-1]
    lead_a, lead_b = a[:-2], b[:-2]
    lead = lead_a if len(lead_a) >= len(lead_b) else lead_b
    return (*lead, a[-2], b[-1])


def index(
    shape: tuple[Poly, ...], key: Any, size_of: Any, count_of: Any, at_least: Any
) -> tuple[Poly, ...] | None:
    """Basic indexing with ints, full or offset slices, None and ``...``; one
    integer array or boolean mask. None where the result's sizes are not
    plain functions of these."""
    parts = key if isinstance(key, tuple) else (key,)
    if sum(p is Ellipsis for p in parts) > 1:
        return None
    used = sum(1 for p in parts if p is not None and p is not Ellipsis)
    arrays = [p for p in parts if _is_array_index(p)]
    if len(arrays) > 1:
        return None
    if any(_is_array_index(p) and np.ndim(_concrete(p)) > 1 for p in parts):
        used += np.ndim(_concrete(arrays[0])) - 1  # a mask spans its axes
    out: list[Poly] = []
    axis = 0
    for part in parts:
        if part is None:
            out.append(const(1))
        elif part is Ellipsis:
            skip = len(shape) - used
            out.extend(shape[axis : axis + skip])
            axis += skip
        elif isinstance(part, slice):
            size = _slice_size(shape[axis], part, at_least)
            if size is None:
                return None
            out.append(size)
            axis += 1
        elif _is_array_index(part):
            concrete = _concrete(part)
            if np.asarray(concrete).dtype == np.bool_:
                out.append(count_of(part))
                axis += np.ndim(concrete)
            else:
                inner = size_of(part)
                if inner is None:
                    return None
                out.extend(inner)
                axis += 1
        elif isinstance(part, (int, np.integer)) or _is_int_scalar(part):
            axis += 1
        else:
            return None
    return (*out, *shape[axis:])


def _is_array_index(part: Any) -> bool:
    if isinstance(part, (Var, Const)):
        value = part.value
        return isinstance(value, np.ndarray) and value.ndim > 0
    return isinstance(part, (list, np.ndarray))


def _is_int_scalar(part: Any) -> bool:
    return isinstance(part, Var) and part.known and np.ndim(part.value) == 0


def _concrete(part: Any) -> Any:
    return part.value if isinstance(part, (Var, Const)) else part


def _slice_size(size: Poly, part: slice, at_least: Any) -> Poly | None:
    """``x[a:]``, ``x[:-b]``, ``x[a:-b]``, ``x[a:b]``, ``x[-k:]`` and ``x[:]``
    along an axis of size n, bounds ints or sizes (``x[: len(a)]``), for n at
    least as long as the slice reaches (``at_least(n, k)`` records that the
    code relies on it)."""
    start, stop, step = part.start, part.stop, part.step
    if step not in (None, 1):
        return None
    if isinstance(start, (int, np.integer)) and start < 0:  # x[-k:]
        return const(-start) if stop is None and at_least(size, -start) else None
    low = const(0) if start is None else size_poly(start)
    if isinstance(stop, (int, np.integer)) and stop < 0:  # x[a:-b]
        if low is None or not at_least(size, add(low, const(-stop))):
            return None
        return sub(size, add(low, const(-stop)))
    high = size if stop is None else size_poly(stop)
    if low is None or high is None or not at_least(size, high):
        return None
    return sub(high, low) if at_least(high, low) else None


def einsum(subscripts: str, shapes: list[tuple[Poly, ...]]) -> tuple[Poly, ...] | None:
    """``"id,jd->ij"``: each output label's size from an operand with it."""
    if "." in subscripts:
        return None
    inputs, _, output = subscripts.replace(" ", "").partition("->")
    terms = inputs.split(",")
    if len(terms) != len(shapes) or any(
        len(t) != len(s) for t, s in zip(terms, shapes, strict=True)
    ):
        return None
    if "->" not in subscripts:
        seen = "".join(terms)
        output = "".join(sorted(c for c in set(seen) if seen.count(c) == 1))
    found: dict[str, Poly] = {}
    for term, shape in zip(terms, shapes, strict=True):
        for label, size in zip(term, shape, strict=True):
            if size != const(1) or label not in found:
                found[label] = size
    return (
        tuple(found[label] for label in output) if set(output) <= set(found) else None
    )
