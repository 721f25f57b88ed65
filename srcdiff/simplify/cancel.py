"""Products that cancel divisions: ``(a / q - b / p) * p * q`` is ``a * p - b * q``.

A peephole the builder calls for each product it binds. Adjoints of logs and
quotients divide (``g / p``) and the derivatives that follow them multiply
the divisor back (the sigmoid's ``p * (1 - p)``), so logistic regression's
adjoint reads ``((1 - y) / n / (1 - p) - y / n / p) * p * (1 - p)`` where a
person writes ``(p - y) / n``. ``cancel`` reads the product as a sum of
monomials (a number times powers of values), cancels each divisor against
the same value multiplied in, writes out the sums left as factors, collects
like terms and writes the result back with the common divisors last.

It rewrites only gradients (a product with a factor the adjoint sweep
made), only where a division cancels, the result takes fewer
operations, and on the example it has the product's shape, dtype and values
(so without an example it never does). ``x / q * q`` and ``x`` differ only
where ``q`` is 0 or infinite: there the product was nan (``inf * 0``), and the
function itself divided by or took the log of that 0.
"""

from __future__ import annotations

import itertools
from fractions import Fraction
from typing import Any, Protocol

import numpy as np

from srcdiff.ir.nodes import Const, Var
from srcdiff.ir.prim import Prim
from srcdiff.ir.prims import ADD, DIV, MUL, NEG, SUB
from srcdiff.ir.values import concrete, is_scalar_const
from srcdiff.simplify import algebra


class Builder(algebra.Builder, Protocol):
    """The algebra's builder, which says where the adjoint sweep starts."""

    adjoint_serial: int | None


# A monomial: its number and the power of each value in it.
Monomial = tuple[Fraction, dict[Any, int]]
_MAX_TERMS = 12


def cancel(builder: Builder, prim: Prim, args: tuple[Any, ...]) -> tuple[Any] | None:
    """``(the product written without the divisions it cancels,)``, or None."""
    if prim is not MUL or not all(_known(a) for a in args):
        return None
    start = builder.adjoint_serial
    if start is None or not any(getattr(a, "serial", -1) >= start for a in args):
        return None
    reader = _Reader(builder)
    factors = reader.factors(*args)
    if factors is None or not _cancels(*factors):
        return None
    poly = _times(*factors)
    poly = reader.best_expansion(_collect(poly)) if poly is not None else None
    if not poly or _cost(poly) >= reader.cost(args, poly) + 1:
        return None
    if not all(_known(v) for _, powers in poly for v in powers):
        return None
    expected = concrete(args[0]) * concrete(args[1])
    if not _agrees(_evaluate(poly), expected):
        return None
    return (_Writer(builder).write(poly),)


class _Reader:
    """Reads values as sums of monomials through the temporaries that make
    them. A sum that is a factor stays whole unless writing it out cancels
    a division (``(a / q - b) * q``): at once, or once the sums inside it
    are written out too (``deep``)."""

    def __init__(self, builder: Builder) -> None:
        self.builder = builder
        self._read: dict[tuple[Any, int, bool], list[Monomial] | None] = {}

    def terms(
        self, value: Any, depth: int = 6, deep: bool = False
    ) -> list[Monomial] | None:
        if not isinstance(value, (Var, Const)):
            return self._terms(value, depth, deep)
        key = (value, depth, deep)
        if key not in self._read:  # each value is read a few ways: once each
            self._read[key] = self._terms(value, depth, deep)
        return self._read[key]

    def _terms(self, value: Any, depth: int, deep: bool) -> list[Monomial] | None:
        if _number(value):
            return [(Fraction(value), {})]
        stmt = self._def(value)
        if stmt is None or depth == 0:
            return _whole(value)
        a, *rest = stmt.args
        if stmt.prim is NEG:
            return _negate(self.terms(a, depth - 1, deep))
        b = rest[0]
        if stmt.prim in (ADD, SUB):
            ta, tb = self.terms(a, depth - 1, deep), self.terms(b, depth - 1, deep)
            if ta is None or tb is None:
                return None
            return _limit(ta + (tb if stmt.prim is ADD else _negate(tb)))
        if stmt.prim is MUL:
            return _times(*(self.factors(a, b, depth - 1, deep) or (None, None)))
        tb = self.terms(b, depth - 1, deep)
        if tb is None or len(tb) != 1 or tb[0][0] == 0:  # a sum divides: whole
            tb = _whole(b)
        coef, powers = tb[0]
        inverse = [(1 / coef, {k: -n for k, n in powers.items()})]
        return _times(self._factor(a, inverse, depth - 1, deep), inverse)

    def factors(
        self, a: Any, b: Any, depth: int = 6, deep: bool = False
    ) -> tuple[list[Monomial], list[Monomial]] | None:
        """``a`` and ``b`` as factors of ``a * b``."""
        ta = self._factor(a, _whole(b), depth, deep)
        tb = self._factor(b, ta or _whole(a), depth, deep)
        if ta is None or tb is None:
            return None
        if tb != _whole(b):
            ta = self._factor(a, tb, depth, deep)
        return None if ta is None else (ta, tb)

    def _factor(
        self, value: Any, other: list[Monomial] | None, depth: int, deep: bool
    ) -> list[Monomial] | None:
        """``value`` as a factor of ``other``: a sum stays whole unless one
        of its terms cancels with ``other``."""
        whole = _whole(value)
        parts = self.terms(value, depth, deep)
        if deep or parts is None or other is None or _cancels(whole, other):
            return parts if deep or other is None else whole
        if _cancels(parts, other):
            return parts
        written = self.terms(value, depth, deep=True)
        if written is not None and _cancels(written, other):
            return written
        return whole if self._is_sum(value) else parts

    def best_expansion(self, poly: list[Monomial]) -> list[Monomial] | None:
        """The cheapest of ``poly`` with some of its whole sums written out
        (``(1 - y) * p - y * (1 - p)`` is ``p - y``)."""
        dividing = {v for _, p in poly for v, n in p.items() if n < 0}
        sums = [v for v in _atoms(poly) if self._is_sum(v) and v not in dividing]
        best = poly
        for chosen in itertools.chain.from_iterable(
            itertools.combinations(sums[:4], k) for k in range(1, len(sums[:4]) + 1)
        ):
            candidate: list[Monomial] | None = poly
            for value in chosen:
                candidate = self._expand(candidate, value)
            if candidate is not None and _cost(_collect(candidate)) < _cost(best):
                best = _collect(candidate)
        return best or None

    def _expand(self, poly: list[Monomial] | None, value: Any) -> list[Monomial] | None:
        parts = self.terms(value)
        if poly is None or parts is None:
            return None
        out: list[Monomial] = []
        for coef, powers in poly:
            rest = {v: k for v, k in powers.items() if v is not value}
            factor: list[Monomial] | None = [(coef, rest)]
            for _ in range(powers.get(value, 0)):
                factor = _times(factor, parts)
            if factor is None:
                return None
            out += factor
        return _limit(out)

    def cost(self, args: tuple[Any, ...], poly: list[Monomial]) -> int:
        """The operations that made ``args``, down to the values ``poly`` reads."""
        kept, seen = set(_atoms(poly)), set()
        todo = [a for a in args if isinstance(a, Var)]
        while todo:
            value = todo.pop()
            if value in kept or value in seen or self._def(value) is None:
                continue
            seen.add(value)
            todo += [a for a in self._def(value).args if isinstance(a, Var)]
        return len(seen)

    def _def(self, value: Any) -> Any:
        """The statement of a temporary or adjoint made by + - * / or negation."""
        if not isinstance(value, Var) or value.kind not in (
            "temp",
            "adjoint",
            "tangent",
        ):
            return None
        stmt = self.builder.defs.get(value)
        if stmt is None or stmt.prim not in (ADD, SUB, MUL, DIV, NEG) or stmt.kwargs:
            return None
        return stmt

    def _is_sum(self, value: Any) -> bool:
        stmt = self._def(value)
        return stmt is not None and stmt.prim in (ADD, SUB)


class _Writer:
    """Writes a sum of monomials as statements: like terms gone, common
    divisors last (``(p - y) / n``), positive terms first."""

    def __init__(self, builder: Builder) -> None:
        self.derived = builder.derived

    def write(self, poly: list[Monomial]) -> Any:
        common = _common_divisors(poly)
        poly = [(c, _without(p, common)) for c, p in poly]
        poly.sort(key=lambda m: m[0] < 0)  # stable: positive terms first
        total = self.monomial(abs(poly[0][0]), poly[0][1])
        for coef, powers in poly[1:]:
            op = ADD if (coef > 0) == (poly[0][0] > 0) else SUB
            total = self.derived(op, (total, self.monomial(abs(coef), powers)))
        if poly[0][0] < 0:
            total = self.derived(NEG, (total,))
        for value, n in common.items():
            for _ in range(n):
                total = self.derived(DIV, (total, value))
        return total

    def monomial(self, coef: Fraction, powers: dict[Any, int]) -> Any:
        ups = [v for v, n in powers.items() for _ in range(max(n, 0))]
        downs = [v for v, n in powers.items() for _ in range(max(-n, 0))]
        if not ups:
            out = _plain(coef)
        else:
            out = ups[0]
            for value in ups[1:]:
                out = self.derived(MUL, (out, value))
            if coef != 1:
                out = self.derived(MUL, (_plain(coef), out))
        for value in downs:
            out = self.derived(DIV, (out, value))
        return out


def _collect(poly: list[Monomial]) -> list[Monomial]:
    """Like terms added up, in order of first appearance; zeros dropped."""
    sums: dict[frozenset[tuple[Any, int]], Monomial] = {}
    for coef, powers in poly:
        key = frozenset(powers.items())
        old = sums.get(key, (Fraction(0), powers))
        sums[key] = (old[0] + coef, old[1])
    return [(c, p) for c, p in sums.values() if c != 0]


def _cost(poly: list[Monomial]) -> int:
    """How many operations ``_Writer`` spends on ``poly``."""
    common = _common_divisors(poly)
    ops = len(poly) - 1 + sum(common.values())
    for coef, powers in poly:
        factors = sum(abs(n) for n in _without(powers, common).values())
        ops += max(factors - 1, 0) + (abs(coef) != 1 and factors > 0)
    return ops


def _common_divisors(poly: list[Monomial]) -> dict[Any, int]:
    """The values every term divides by, with the power all share."""
    shared = {v: -n for v, n in poly[0][1].items() if n < 0}
    for _, powers in poly[1:]:
        shared = {v: min(n, -powers.get(v, 0)) for v, n in shared.items()}
        shared = {v: n for v, n in shared.items() if n > 0}
    return shared


def _without(powers: dict[Any, int], common: dict[Any, int]) -> dict[Any, int]:
    out = {v: n + common.get(v, 0) for v, n in powers.items()}
    return {v: n for v, n in out.items() if n != 0}


def _evaluate(poly: list[Monomial]) -> Any:
    total: Any = 0
    with np.errstate(all="ignore"):
        for coef, powers in poly:
            term: Any = float(coef)
            for value, n in powers.items():
                term = term * concrete(value) ** n if n > 0 else term
                term = term / concrete(value) ** -n if n < 0 else term
            total = total + term
    return total


def _agrees(new: Any, old: Any) -> bool:
    """Same shape and dtype, and the same numbers where ``old`` is finite."""
    new, old = np.asarray(new), np.asarray(old)
    if new.shape != old.shape or new.dtype != old.dtype:
        return False
    finite = np.isfinite(old)
    scale = np.max(np.abs(old[finite]), initial=0.0)
    return bool(np.allclose(new[finite], old[finite], rtol=1e-9, atol=1e-12 * scale))


def _times(ta: list[Monomial] | None, tb: list[Monomial] | None) -> Any:
    """The product of two sums of monomials."""
    if ta is None or tb is None:
        return None
    out = []
    for ca, pa in ta:
        for cb, pb in tb:
            powers = dict(pa)
            for v, n in pb.items():
                powers[v] = powers.get(v, 0) + n
                if powers[v] == 0:
                    del powers[v]
            out.append((ca * cb, powers))
    return _limit(out)


def _cancels(ta: list[Monomial], tb: list[Monomial]) -> bool:
    """Whether some value is multiplied in on one side and divides on the other."""
    signs = {(v, n > 0) for _, p in ta for v, n in p.items()}
    return any((v, n < 0) in signs for _, p in tb for v, n in p.items())


def _whole(value: Any) -> list[Monomial]:
    return [(Fraction(1), {value: 1})]


def _atoms(poly: list[Monomial]) -> list[Any]:
    """The values ``poly`` reads, in order of first appearance."""
    return list(dict.fromkeys(v for _, p in poly for v in p))


def _negate(poly: list[Monomial] | None) -> list[Monomial] | None:
    return None if poly is None else [(-c, p) for c, p in poly]


def _limit(poly: list[Monomial]) -> list[Monomial] | None:
    return poly if len(poly) <= _MAX_TERMS else None


def _known(value: Any) -> bool:
    if isinstance(value, Var):
        return value.known and isinstance(
            value.value, (np.ndarray, np.generic, float, int)
        )
    return isinstance(value, Const) or is_scalar_const(value)


def _number(value: Any) -> bool:
    """A real number written into the code (not a bool)."""
    return (
        is_scalar_const(value)
        and not isinstance(value, (bool, complex, np.bool_, np.complexfloating))
        and bool(np.isfinite(value))
    )


def _plain(value: Fraction) -> int | float:
    return int(value) if value.denominator == 1 else float(value)
