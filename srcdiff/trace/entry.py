"""Checks on entry: the structure of the inputs a derivative was traced for.

With an example, the emitted code reads sizes from its inputs
(``srcdiff.ir.sizes``) but keeps the example's structure: how many dimensions
each array has, which axes have length 1 (they broadcast), and which sizes
broadcasting matched (``y * p`` with ``p`` as long as ``X``). One check per
argument, at the top of the function, raises ``PathChanged`` for inputs of
another structure instead of returning a wrong gradient.
"""

from __future__ import annotations

import math
import operator
from typing import Any

import numpy as np

from srcdiff.errors import Loc
from srcdiff.ir import sizes
from srcdiff.ir.nodes import Stmt, Var
from srcdiff.ir.prims import DIM, EITHER, PRIMS, Prim
from srcdiff.trace.builder import Builder

Assumption = tuple[sizes.Poly, Prim, sizes.Poly, bool]
_MIRRORED = {
    "equal": "equal",
    "not_equal": "not_equal",
    "less": "greater",
    "greater": "less",
    "less_equal": "greater_equal",
    "greater_equal": "less_equal",
}
_OPPOSITE = {
    "equal": "not_equal",
    "not_equal": "equal",
    "less": "greater_equal",
    "greater_equal": "less",
    "greater": "less_equal",
    "less_equal": "greater",
}


def checks(
    builder: Builder, arguments: dict[str, list[Var]], locs: dict[str, Loc | None]
) -> list[Stmt]:
    """Guard statements for the top of the function, one per argument whose
    arrays the trace read (after ``Builder.input_sizes``)."""
    order = [leaf for leaves in arguments.values() for leaf in leaves]
    owner = {
        key: leaf
        for leaf in order
        for poly in builder.sizes_of(leaf) or ()
        for key in sizes.atoms(poly)
    }
    relied: dict[Var, list[Assumption]] = {}
    for a, prim, b, held in _unimplied(builder.assumptions):
        keys = [k for k in sizes.base_atoms(a) | sizes.base_atoms(b) if k in owner]
        later = max((owner[k] for k in keys), key=order.index)
        relied.setdefault(later, []).append((a, prim, b, held))
    out: list[Stmt] = []
    with builder.block(out, builder.entry_seen):
        for name, leaves in arguments.items():
            _check(builder, name, leaves, relied, locs.get(name))
    return out


def _unimplied(assumptions: list) -> list[Assumption]:
    """The assumptions less those others imply: sizes checked equal to a number
    (``len(x) == 5`` makes ``len(x) >= 3`` true), and bounds a stronger bound
    on the same size implies (``len(x) >= 21`` makes ``len(x) >= 16`` true).
    Each held when traced, so it holds whenever the sizes it reads are what
    they were then."""
    plain = [(a, prim, b, held) for a, prim, b, held, _ in assumptions]
    fixed = {atom for x in plain if (atom := _fixed_atom(*x)) is not None}
    kept = [
        x for x in plain if _fixed_atom(*x) is not None or not _reads_only(x, fixed)
    ]
    strongest: dict[tuple[Any, int], int] = {}
    for x in kept:
        if (bound := _bound(*x)) is not None:
            atom, side, value = bound
            strongest[atom, side] = max(strongest.get((atom, side), value), value)
    out, seen = [], set()
    for x in kept:
        bound = _bound(*x)
        if bound is not None:
            atom, side, value = bound
            if value < strongest[atom, side] or (atom, side) in seen:
                continue
            seen.add((atom, side))
        out.append(x)
    return out


def _bound(a: sizes.Poly, prim: Prim, b: sizes.Poly, held: bool) -> Any:
    """``(atom, side, value)`` for a bound on one size: side 1 reads
    ``atom >= value``, side -1 ``-atom >= value`` (``atom <= -value``)."""
    name = prim.name if held else _OPPOSITE.get(prim.name)
    if name not in ("less", "less_equal", "greater", "greater_equal"):
        return None
    diff = sizes.sub(a, b) if name.startswith("greater") else sizes.sub(b, a)
    terms = [(monomial, k) for monomial, k in diff if monomial]
    if len(terms) != 1 or len(terms[0][0]) != 1 or abs(terms[0][1]) != 1:
        return None
    (monomial, side), offset = terms[0], sizes.constant(sizes.sub(diff, (terms[0],)))
    strict = name in ("less", "greater")  # side * atom + offset > 0
    return monomial[0], side, -(offset or 0) + (1 if strict else 0)


def _reads_only(assumption: Assumption, fixed: set[Any]) -> bool:
    a, _, b, _ = assumption
    return sizes.atoms(sizes.sub(a, b)) <= fixed


def _fixed_atom(a: sizes.Poly, prim: Prim, b: sizes.Poly, held: bool) -> Any:
    """The size ``a == b`` pins to a number (``len(x) == 5``), if it does."""
    if prim.name not in ("equal", "not_equal") or (prim.name == "equal") != held:
        return None
    terms = [monomial for monomial, _ in sizes.sub(a, b) if monomial]
    return terms[0][0] if len(terms) == 1 and len(terms[0]) == 1 else None


def _check(
    builder: Builder,
    name: str,
    leaves: list[Var],
    relied: dict[Var, list[Assumption]],
    loc: Loc | None,
) -> None:
    ne = PRIMS[operator.ne]
    wrong: list[object] = []
    for leaf in leaves:
        shape = np.shape(leaf.value)
        ndim = builder.bind(PRIMS[np.ndim], (leaf,))
        wrong.append(builder.bind(ne, (ndim, len(shape))))
        for axis, n in enumerate(shape):
            if n == 1:
                wrong.append(builder.bind(ne, (builder.bind(DIM, (leaf, axis)), 1)))
        for a, prim, b, held in relied.get(leaf, []):
            wrong.append(_differs(builder, a, prim, b, held))
    parts = [w for w in wrong if isinstance(w, Var)]
    if not parts:
        return
    cond = parts[0] if len(parts) == 1 else builder.bind(EITHER, tuple(parts))
    what = f"{name} is not shaped like the example"
    builder.guard(cond, False, loc, what, message=what)


def _differs(
    builder: Builder, a: sizes.Poly, prim: Prim, b: sizes.Poly, held: bool
) -> object:
    """The test that an assumption fails, its terms moved to the side where
    they are positive and numbers on the right (``len(a) - 1 == len(b) - 1``
    fails as ``len(a) != len(b)``, ``2 * len(k) == 2`` as ``len(k) != 1``)."""
    difference = sizes.sub(a, b)
    common = math.gcd(*(c for _, c in difference))
    difference = tuple((m, c // common) for m, c in difference)
    test = _OPPOSITE[prim.name] if held else prim.name
    if not any(c > 0 and m for m, c in difference):  # 1 - len(k) < 0: len(k) > 1
        difference, test = sizes.neg(difference), _MIRRORED[test]
    left = tuple(t for t in difference if t[1] > 0 and t[0])
    right = sizes.neg(tuple(t for t in difference if t[1] < 0 or not t[0]))
    sides = (builder.size_value(left), builder.size_value(right))
    return builder.bind_raw(PRIMS[sizes.COMPARISONS[test]], sides, None)
