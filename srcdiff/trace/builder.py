"""Append IR statements, evaluating them on the example as they are built.

``Builder.bind`` is the one way statements enter a program. It evaluates each
statement on concrete values when the trace has them (so later decisions can
read shapes and values), folds operations on constants, reuses equal pure
computations, and hands each statement to the peephole clean-ups of
``srcdiff.simplify`` (``algebra``: ``x * 1``, ``x + 0``, ``--x``; ``fills``:
scalar broadcasts) before appending it.
"""

from __future__ import annotations

import operator
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from typing import Any

import numpy as np

from srcdiff import helpers
from srcdiff.errors import Loc, TraceError
from srcdiff.ir import effects, sizes
from srcdiff.ir.nodes import (
    UNKNOWN,
    Assign,
    Const,
    Guard,
    Stmt,
    Var,
    cse_key,
    walk_vars,
)
from srcdiff.ir.prims import (
    ADD,
    DIM,
    DIV,
    GETITEM,
    LOGSUMEXP,
    MUL,
    NEG,
    PRIMS,
    SUB,
    TUPLE_ITEM,
    Prim,
)
from srcdiff.ir.values import all_known, concrete, is_traced, token
from srcdiff.simplify import algebra, fills, logsumexp
from srcdiff.simplify.cancel import cancel
from srcdiff.simplify.cholesky import cholesky_solve
from srcdiff.simplify.sigmoid import sigmoid, softplus
from srcdiff.trace import shapes as shape_rules

_BROADCAST_TO = PRIMS[np.broadcast_to]
_ELEMENTWISE = (ADD, SUB, MUL, DIV)


def _numpy_float(value: Any) -> Any:
    return np.float64(value) if isinstance(value, float) else value


class Builder:
    """Collects statements for one program (forward and adjoint sweeps)."""

    def __init__(self) -> None:
        self.stmts: list[Stmt] = []
        self.defs: dict[Var, Assign] = {}
        # The statement being built's location, for what clean-ups bind instead.
        self._loc: Loc | None = None
        self._seen: dict[Any, Var] = {}
        self._guarded: set[tuple[Var, bool]] = set()
        # Sizes (``srcdiff.ir.sizes``): each known array's axes as polynomials,
        # the example's value of each atom, and how to read an atom.
        self.shapes: dict[Var, tuple[sizes.Poly, ...]] = {}
        self._atom_values: dict[sizes.Atom, int] = {}
        self._atom_reads: dict[sizes.Atom, Any] = {}
        # Comparisons of the inputs' sizes the trace relied on (sizes that
        # broadcasting matched, ``if n > 1``): checked on entry.
        self.assumptions: list[Any] = []
        self._raw = False
        # Vars from this serial on belong to the adjoint sweep (reverse sets
        # it): ``simplify.cancel`` rewrites gradients, never the function.
        self.adjoint_serial: int | None = None
        self.input_leaves: set[Var] = set()
        self._whole: dict[sizes.Poly, Var] = {}
        self.entry_seen: dict[Any, Var] = {}
        # The generators draws made while tracing advance (copies of the
        # arguments and of those read from closures and globals, and those
        # the function makes), for ``draws_kept``, and what puts each back
        # to its state when tracing first met it.
        self.generators: list[Any] = []
        self._first_states: list[Callable[[], None]] = []
        for generator in effects.module_generators():
            self.add_generator(generator)

    def add_generator(self, generator: Any) -> None:
        """Let ``draws_kept`` put ``generator`` back too."""
        if not any(g is generator for g in self.generators):
            self.generators.append(generator)
            self._first_states.append(effects.snapshot([generator]))

    def draws_kept(self) -> Callable[[], None]:
        """Record every generator's state now; the result puts them back, so
        that code traced tentatively (a loop tried rolled, then unrolled)
        draws on the example what the emitted code will draw. A generator
        first met after this (read from a closure inside the loop) goes back
        to the state it had then."""
        known = len(self.generators)
        restore = effects.snapshot(self.generators)

        def put_back() -> None:
            restore()
            for first_state in self._first_states[known:]:
                first_state()

        return put_back

    @contextmanager
    def block(
        self, stmts: list[Stmt], seen: dict[Any, Var] | None = None
    ) -> Iterator[list[Stmt]]:
        """Bind into ``stmts`` (a loop body, an arm of an if) instead of the
        current list; values made there are not reused (CSE) after it.
        ``seen``: the values it may reuse, if not all made so far."""
        outer, outer_seen = self.stmts, self._seen
        self.stmts, self._seen = stmts, dict(self._seen if seen is None else seen)
        try:
            yield stmts
        finally:
            self.stmts, self._seen = outer, outer_seen

    def reusable(self, later: set[Var]) -> dict[Any, Var]:
        """The values CSE may reuse, less those in ``later``: a block bound
        among statements already written (forward mode's tangents) must not
        reuse a value defined after it."""
        return {k: v for k, v in self._seen.items() if v not in later}

    def mark_entry(self) -> None:
        """What has been bound so far (the inputs' sizes) is all that entry
        checks, bound later into statements that go first, may reuse."""
        self.entry_seen = dict(self._seen)

    def arity(self, value: Any) -> int:
        """How many results a tuple-valued Var holds (0 for an ordinary value)."""
        if not isinstance(value, Var):
            return 0
        if value.known:
            return len(value.value) if isinstance(value.value, (tuple, list)) else 0
        stmt = self.defs.get(value)
        if stmt is None:
            return 0
        arity = stmt.prim.arity
        return arity(stmt.kwargs) if callable(arity) else arity

    def guard(
        self, cond: Any, expect: bool, loc: Loc | None, text: str, message: str = ""
    ) -> None:
        if isinstance(cond, Var) and (cond, expect) in self._guarded:
            return  # the same check on the same value: once is enough
        if isinstance(cond, Var):
            self._guarded.add((cond, expect))
        self.stmts.append(Guard(cond, expect, loc, text, message))

    # ----- Sizes -----
    def sizes_of(self, value: Any) -> tuple[sizes.Poly, ...] | None:
        """Each axis of a known value as a polynomial of sizes read at run
        time (None where the value is unknown)."""
        if isinstance(value, Var):
            if not value.known or isinstance(value.value, (tuple, list)):
                return None
            if value not in self.shapes:
                self.shapes[value] = self._infer_sizes(value)
            return self.shapes[value]
        if isinstance(value, (Const, np.ndarray)):
            return tuple(sizes.const(n) for n in np.shape(concrete(value)))
        if isinstance(value, (bool, int, float, complex, np.number)):
            return ()
        if isinstance(value, (list, tuple)) and value and all_known(value):
            inner = [self.sizes_of(v) for v in value]
            if all(i is not None and i == inner[0] for i in inner):
                return (sizes.const(len(value)), *inner[0])  # type: ignore[misc]
            return tuple(sizes.const(n) for n in np.shape(concrete(value)))
        return None

    def size_value(self, poly: sizes.Poly) -> Any:
        """A size as an int, or a Var computing it from the inputs."""
        number = sizes.constant(poly)
        if number is not None:
            return number
        key = ("size", poly)
        if key in self._seen:
            return self._seen[key]
        if poly in self._whole:  # every axis of an input: x.size
            var = self.bind_raw(PRIMS[np.size], (self._whole[poly],), None)
            var.size, var.exact = poly, True
            self._seen[key] = var
            return var
        terms = []
        # len(x) - len(k) + 1: sizes before numbers, added before subtracted
        for monomial, coef in sorted(poly, key=lambda t: (not t[0], t[1] < 0)):
            term: Any = abs(coef)
            for atom in monomial:
                term = self.bind(MUL, (term, self._atom(atom)))
            terms.append((term, coef < 0))
        total, negative = terms[0]
        total = self.bind(NEG, (total,)) if negative else total
        for term, negative in terms[1:]:
            total = self.bind(SUB if negative else ADD, (total, term))
        return total

    def shape_value(self, value: Any) -> tuple[Any, ...] | None:
        """``np.shape(value)`` as ints and size Vars."""
        shape = self.sizes_of(value)
        return None if shape is None else tuple(self.size_value(p) for p in shape)

    def input_sizes(self, leaf: Var) -> None:
        """Read the axes of an input once, before any statement uses them."""
        self.input_leaves.add(leaf)
        axes = self.sizes_of(leaf) or ()
        for poly in axes:
            if sizes.single_atom(poly):
                self.size_value(poly)
        if len(axes) > 1:
            self._whole.setdefault(sizes.product(axes), leaf)

    def _atom(self, atom: sizes.Atom) -> Any:
        read = self._atom_reads[atom]
        if isinstance(read, Var):
            return read
        if atom[0] == "floordiv":  # n // 2 of a size n
            _, poly, divisor = atom
            read = (PRIMS[operator.floordiv], (self.size_value(poly), divisor))
        var = self.bind_raw(*read, None)
        if isinstance(var, Var):
            var.size, var.exact = sizes.atom(atom), True
            self._seen[("size", var.size)] = var
        return var

    def floordiv(self, poly: sizes.Poly, divisor: int) -> sizes.Poly:
        """``poly // divisor``: exact where it divides, else an atom of its own."""
        exact = sizes.divide(poly, sizes.const(divisor))
        if exact is not None:
            return exact
        number = sizes.constant(poly)
        if number is not None:
            return sizes.const(number // divisor)
        value = self.evaluate_size(poly) // divisor
        return self._new_atom(("floordiv", poly, divisor), value, None)

    def fixed_size(self, value: Any, loc: Loc | None) -> int:
        """A size the trace uses as a plain int (a loop unrolled over it):
        the code holds for this size only, checked when it runs."""
        if isinstance(value, Var) and value.size is not None:
            number = self.evaluate_size(value.size)
            self.assume(value.size, PRIMS[operator.eq], sizes.const(number), True, loc)
            return number
        return int(concrete(value))

    def _new_atom(self, key: sizes.Atom, value: int, read: Any) -> sizes.Poly:
        self._atom_values[key] = int(value)
        self._atom_reads[key] = read
        return sizes.atom(key)

    def evaluate_size(self, poly: sizes.Poly) -> int:
        return sizes.evaluate(poly, self._atom_values)

    def _infer_sizes(self, var: Var) -> tuple[sizes.Poly, ...]:
        shape = np.shape(var.value)
        stmt = self.defs.get(var)
        inferred = None if stmt is None else shape_rules.infer(self, stmt, shape)
        if stmt is None and var.like is not None:
            inferred = self.sizes_of(var.like)
            if inferred is not None and not self._inputs_only(*inferred):
                inferred = None  # a value of another block: read its own
        if inferred is not None and len(inferred) == len(shape):  # checked
            values = [self.evaluate_size(p) for p in inferred]
            if values == list(shape):
                return inferred
        own = []
        for i, n in enumerate(shape):
            if n != 1:
                own.append(self._new_atom(("dim", var.serial, i), n, (DIM, (var, i))))
                continue
            own.append(sizes.const(1))  # it broadcasts: checked on entry or here
            if var not in self.input_leaves:
                one = self.bind_raw(
                    PRIMS[operator.eq], (self.bind_raw(DIM, (var, i), None), 1), var.loc
                )
                what = "an axis of length 1 when traced is longer"
                self.guard(one, True, var.loc, what, message=what)
        return tuple(own)

    def at_least(self, size: sizes.Poly, k: int | sizes.Poly) -> bool:
        """Whether ``size >= k`` on the example; the code relies on it."""
        k = sizes.const(k) if isinstance(k, int) else k
        held = self.evaluate_size(size) >= self.evaluate_size(k)
        # Sizes are never negative: len(a) + len(b) >= len(a) needs no check.
        always = all(c >= 0 for _, c in sizes.sub(size, k))
        if held and not always:
            self.assume(size, PRIMS[operator.ge], k, True, None)
        return held

    def result_shape(self, prim: Prim, args: Any, kwargs: Any) -> Any:
        """The shape ``prim(*args)`` will have, as ints and size Vars."""
        polys = shape_rules.infer(self, Assign(Var(prim.name), prim, args, kwargs), ())
        return None if polys is None else tuple(self.size_value(p) for p in polys)

    def data_free(self, value: Any) -> bool:
        """Whether a nested value reads no input's values, only sizes and
        constants (so a function without a rule may run on it)."""
        todo, seen = list(walk_vars(value)), set()
        while todo:
            var = todo.pop()
            if var in seen or var.size is not None:
                continue
            seen.add(var)
            stmt = self.defs.get(var)
            if stmt is None or stmt.prim.effect:
                return False
            todo.extend(walk_vars((stmt.args, stmt.kwargs)))
        return True

    def count(self, mask: Any) -> sizes.Poly:
        """How many values a boolean mask selects, read when the code runs."""
        if isinstance(mask, Var):
            key = ("count", mask.serial)
            count = int(np.count_nonzero(mask.value))
            return self._new_atom(key, count, (PRIMS[np.count_nonzero], (mask,)))
        return sizes.const(int(np.count_nonzero(concrete(mask))))

    def assume(
        self, a: sizes.Poly, prim: Prim, b: sizes.Poly, held: bool, loc: Loc | None
    ) -> None:
        """The trace relied on ``a <prim> b`` being ``held``. On sizes of the
        inputs that is checked on entry; on others where it was decided."""
        if sizes.constant(sizes.sub(a, b)) is not None:
            return  # decided whatever the sizes
        if self._inputs_only(a, b):
            if (a, prim, b, held) not in [x[:4] for x in self.assumptions]:
                self.assumptions.append((a, prim, b, held, loc))
            return
        sides = (self.size_value(a), self.size_value(b))
        test = self.bind_raw(prim, sides, loc)
        if isinstance(test, Var):
            what = "a comparison of sizes made when traced no longer holds"
            self.guard(test, held, loc, what, message=what)

    def _inputs_only(self, *polys: sizes.Poly) -> bool:
        """Whether the sizes read only the inputs' axes (they can be read on
        entry, before any statement)."""
        for key in (key for poly in polys for key in sizes.atoms(poly)):
            if key[0] == "floordiv" and not self._inputs_only(key[1]):
                return False
            if key[0] != "floordiv" and not (key[0] == "dim" and self._is_input(key)):
                return False
        return True

    def _is_input(self, key: sizes.Atom) -> bool:
        read = self._atom_reads[key]
        return not isinstance(read, Var) and read[1][0] in self.input_leaves

    def _size_args(self, args: tuple[Any, ...]) -> bool:
        """Arithmetic on sizes: ints and size Vars, at least one Var."""
        return (
            1 <= len(args) <= 2
            and all(sizes.size_poly(a) is not None for a in args)
            and any(isinstance(a, Var) for a in args)
        )

    def _compare_shapes(
        self, prim: Prim, args: tuple[Any, ...], loc: Loc | None
    ) -> Any:
        """``np.shape(a) == np.shape(b)`` on sizes: decided, and the sizes it
        relied on recorded."""
        if not all(isinstance(a, tuple) for a in args):
            return NotImplemented
        polys = [[sizes.size_poly(x) for x in a] for a in args]
        if any(p is None for side in polys for p in side):
            return NotImplemented
        if not any(isinstance(x, Var) for a in args for x in a):
            return NotImplemented
        same = len(args[0]) == len(args[1])
        if same:
            pairs = list(zip(*polys, strict=True))
            values = [tuple(map(self.evaluate_size, pair)) for pair in pairs]
            same = all(a == b for a, b in values)
            eq = PRIMS[operator.eq]
            for pair, (a, b) in zip(pairs, values, strict=True):
                if sizes.constant(sizes.sub(*pair)) is None and (same or a != b):
                    self.assume(pair[0], eq, pair[1], same, loc)
                    if not same:
                        break
        return same if prim.name == "equal" else not same

    def _size_arithmetic(
        self, prim: Prim, args: tuple[Any, ...], loc: Loc | None
    ) -> Any:
        """Sizes add, multiply and cancel as polynomials; comparisons that the
        polynomials decide are decided (``len(x) - 1 < len(x)``)."""
        polys = [sizes.size_poly(a) for a in args]
        result: sizes.Poly | None = None
        if prim is NEG:
            result = sizes.neg(polys[0])
        elif prim in (ADD, SUB, MUL):
            result = {ADD: sizes.add, SUB: sizes.sub, MUL: sizes.mul}[prim](*polys)
        elif prim is DIV or prim is PRIMS.get(operator.floordiv):
            quotient = sizes.divide(*polys)
            if quotient is None:
                if prim is DIV:
                    return NotImplemented
                divisor = sizes.constant(polys[1])
                if divisor is not None and divisor > 0:
                    return self.size_value(self.floordiv(polys[0], divisor))
                var = self.bind_raw(prim, args, loc)
                key = ("var", var.serial)
                var.size, var.exact = self._new_atom(key, var.value, var), True
                return var
            return self.size_value(quotient)
        elif prim.name in sizes.COMPARISONS and len(args) == 2:
            test = sizes.COMPARISONS[prim.name]
            difference = sizes.constant(sizes.sub(*polys))
            if difference is not None:
                return bool(test(difference, 0))
            held = bool(test(*map(self.evaluate_size, polys)))
            self.assume(polys[0], prim, polys[1], held, loc)
            return held
        else:
            return NotImplemented
        number = sizes.constant(result)
        if number is not None:
            return number
        key = ("size", result)
        if key in self._seen:
            return self._seen[key]
        var = self.bind_raw(prim, args, loc)
        if isinstance(var, Var):
            var.size, var.exact = result, True
            self._seen[key] = var
        return var

    def bind_raw(self, prim: Prim, args: tuple[Any, ...], loc: Loc | None) -> Any:
        """``bind`` without size arithmetic: the statement as it is written."""
        outer, self._raw = self._raw, True
        try:
            return self.bind(prim, args, loc=loc)
        finally:
            self._raw = outer

    def bind(
        self,
        prim: Prim,
        args: tuple[Any, ...],
        kwargs: dict[str, Any] | None = None,
        loc: Loc | None = None,
    ) -> Any:
        """Apply ``prim``; return a Var, or a plain value if nothing is traced.

        An array computed from constants still becomes a statement, so emitted
        code says ``np.zeros(n)`` rather than spelling out the array. A call
        with effects (``prim.effect``: a random draw) always becomes a
        statement of its own: evaluated here on the example, never folded,
        merged with an equal call or simplified.
        """
        kwargs = kwargs or {}
        if prim.effect:
            return self._effect(prim, args, kwargs, loc)
        if not self._raw and not kwargs and self._size_args(args):
            result = self._size_arithmetic(prim, args, loc)
            if result is not NotImplemented:
                return result
        if not self._raw and prim.name in ("equal", "not_equal") and len(args) == 2:
            result = self._compare_shapes(prim, args, loc)
            if result is not NotImplemented:
                return result
        if not is_traced(args) and not is_traced(kwargs):
            value = self._evaluate(prim, args, kwargs, loc)
            if not isinstance(value, np.ndarray):
                return value
        self._loc = loc
        arity = self.arity(args[0]) if prim is GETITEM else 0
        if arity and isinstance(args[1], slice):  # parts[1:] of np.split(...)
            items = [self.bind(GETITEM, (args[0], i), loc=loc) for i in range(arity)]
            return items[args[1]]
        if arity and isinstance(args[1], int):
            prim, args = TUPLE_ITEM, (args[0], args[1] % arity)
        plain = logsumexp.numpy_form(prim, args, kwargs)
        if plain is not None:  # SciPy's, in NumPy: the same value, faster
            prim, (args, kwargs) = LOGSUMEXP, plain
        if prim in _ELEMENTWISE or prim.shape == "broadcast":
            args = fills.drop_broadcasts(self.defs, args)
        simpler = (
            algebra.simplify(self, prim, args, kwargs, loc)
            or sigmoid(self, prim, args)
            or softplus(self, prim, args)
            or cancel(self, prim, args)
            or cholesky_solve(self, prim, args, kwargs, loc)
        )
        if simpler is not None:
            return simpler[0]
        value = UNKNOWN
        if all_known(args) and all_known(kwargs):
            value = self._evaluate(prim, args, kwargs, loc)
            fill = fills.reshaped_fill(self, prim, args, kwargs, value)
            if fill is not None:
                return fill
        key = cse_key(prim, args, kwargs)
        if key is not None and key in self._seen:
            return self._seen[key]  # the same pure computation: reuse it
        var = Var(prim.name, value, loc)
        if key is not None:
            self._seen[key] = var
        if value is UNKNOWN:
            var.sym = self._shape_source(prim, args) or _symbolic_shape(
                prim, args, kwargs
            )
        stmt = Assign(var, prim, tuple(args), dict(kwargs), loc)
        self.stmts.append(stmt)
        self.defs[var] = stmt
        if isinstance(value, np.ndarray) and (
            prim in _ELEMENTWISE or prim.shape == "broadcast"
        ):
            self.sizes_of(var)  # matches sizes now: the checks they need
        return var

    def _effect(
        self, prim: Prim, args: tuple[Any, ...], kwargs: dict[str, Any], loc: Loc | None
    ) -> Var:
        value = UNKNOWN
        if all_known(args) and all_known(kwargs):
            value = self._evaluate(prim, args, kwargs, loc)
            if effects.is_generator(value):  # np.random.default_rng(0)
                self.add_generator(value)
        var = Var(prim.name, value, loc)
        if value is UNKNOWN:  # rng.normal(size=x.shape) is shaped like x
            var.sym = self._shaped_by(kwargs.get("size"))
        stmt = Assign(var, prim, tuple(args), dict(kwargs), loc)
        self.stmts.append(stmt)
        self.defs[var] = stmt
        return var

    def _evaluate(self, prim: Prim, args: Any, kwargs: Any, loc: Loc | None) -> Any:
        args, kwargs = concrete(args), concrete(kwargs)
        try:
            with np.errstate(all="ignore"):
                try:
                    return prim.impl(*args, **kwargs)
                except ZeroDivisionError:
                    # Python floats: 0.0 ** -0.5 raises where NumPy gives inf.
                    # An adjoint rule's term for a constant may do this and
                    # never run; code that does run raises the same way.
                    return prim.impl(*map(_numpy_float, args), **kwargs)
        except Exception as exc:
            # "unexpected keyword argument", not "can't multiply sequence by float"
            if isinstance(exc, TypeError) and "argument" in str(exc):
                raise TraceError(
                    f"{prim.name} cannot be called this way: {exc}",
                    loc,
                    "Call it as NumPy or SciPy documents it (autograd's own "
                    "extensions have no NumPy counterpart).",
                ) from None
            raise TraceError(
                f"{prim.name} failed on the example values: {exc}",
                loc,
                "Check the shapes and types of the example arguments.",
            ) from None

    def computed(self, prim: Prim, args: tuple[Any, ...]) -> Var | None:
        """The value of ``prim(*args)`` where a statement computes it already."""
        key = cse_key(prim, args, {})
        return None if key is None else self._seen.get(key)

    def derived(self, prim: Prim, args: tuple[Any, ...]) -> Any:
        """Bind a statement a clean-up writes in place of the one being built,
        at its location."""
        return self.bind(prim, args, loc=self._loc)

    def _shape_source(self, prim: Prim, args: tuple[Any, ...]) -> Any:
        """``broadcast_to(x, np.shape(v))`` and the like are shaped like ``v``."""
        shape = args[1] if prim in (_BROADCAST_TO, PRIMS[np.reshape]) else None
        if prim.helper is helpers.scatter_add:
            shape = args[1]
        return self._shaped_by(shape)

    def _shaped_by(self, shape: Any) -> Any:
        """The shape token of ``v`` when ``shape`` is ``np.shape(v)``."""
        stmt = self.defs.get(shape) if isinstance(shape, Var) else None
        if stmt is not None and stmt.prim is PRIMS[np.shape]:
            return token(stmt.args[0])
        return None

    def scalar_fill(self, value: Any) -> Any:
        """``c`` when ``value`` is ``np.broadcast_to(c, shape)`` of a scalar ``c``."""
        return fills.scalar_fill(self.defs, value)


def _symbolic_shape(prim: Prim, args: tuple[Any, ...], kwargs: dict[str, Any]) -> Any:
    """Without an example, which shapes are still known to be equal (or scalar)."""
    if prim.shape == "same":
        return token(args[0])
    if prim.shape == "broadcast":  # norm.pdf(x, scale=s) broadcasts s too
        operands = [*args, *kwargs.values()]
        shapes = [token(a) for a in operands if token(a) != ()]
        if not shapes:
            return ()
        return shapes[0] if all(s == shapes[0] for s in shapes) else None
    if prim.name in ("size", "ndim"):
        return ()
    if prim.shape == "reduction" and len(args) == 1 and not kwargs.get("keepdims"):
        return () if kwargs.get("axis") is None else None
    if prim.name in shape_rules.SHAPE_OF_ARG:
        return token(args[shape_rules.SHAPE_OF_ARG[prim.name]])
    return None
