"""Expressions: evaluate one to a Python value or an IR value.

Names and attributes the function reads from outside it become constants
(arrays), numbers remembered in ``outer_reads`` (a new trace when they
change) or generators the emitted function takes as parameters. Operators,
calls and indexing of traced values go through ``call_value`` or the
builder; containers, comprehensions, f-strings and ``yield`` run at trace
time.
"""

from __future__ import annotations

import ast
import functools
import operator
import types
from collections.abc import Callable
from typing import Any

import numpy as np

from srcdiff.errors import (
    Loc,
    NeedsExample,
    TraceError,
    UnsupportedPrimitive,
    UnsupportedSyntax,
)
from srcdiff.ir import effects
from srcdiff.ir.nodes import Const, Var
from srcdiff.ir.prims import (
    BOTH,
    EITHER,
    GETITEM,
    METHODS,
    TESTS,
    TRANSPOSE,
    VARARG_METHODS,
)
from srcdiff.ir.values import is_traced, shape_of
from srcdiff.parse import aliases
from srcdiff.parse.aliases import canonical
from srcdiff.trace import text
from srcdiff.trace.builder import Builder
from srcdiff.trace.frame import BoundMethod, Closure, Frame, Tracing

_BINOPS: dict[type[ast.operator], Callable[[Any, Any], Any]] = {
    ast.Add: operator.add,
    ast.Sub: operator.sub,
    ast.Mult: operator.mul,
    ast.Div: operator.truediv,
    ast.Pow: operator.pow,
    ast.MatMult: operator.matmul,
    ast.FloorDiv: operator.floordiv,
    ast.Mod: operator.mod,
    ast.BitAnd: operator.and_,
    ast.BitOr: operator.or_,
    ast.BitXor: operator.xor,
    ast.LShift: operator.lshift,
    ast.RShift: operator.rshift,
}
_CMPOPS: dict[type[ast.cmpop], Callable[[Any, Any], Any]] = {
    ast.Gt: operator.gt,
    ast.Lt: operator.lt,
    ast.GtE: operator.ge,
    ast.LtE: operator.le,
    ast.Eq: operator.eq,
    ast.NotEq: operator.ne,
    ast.Is: operator.is_,
    ast.IsNot: operator.is_not,
    ast.In: lambda a, b: operator.contains(b, a),
    ast.NotIn: lambda a, b: not operator.contains(b, a),
}


class Expressions(Tracing):
    """``eval_*``: one method per kind of expression."""

    def eval(self, node: ast.expr, frame: Frame) -> Any:
        method = getattr(self, f"eval_{type(node).__name__}", None)
        if method is None:
            raise UnsupportedSyntax(
                f"srcdiff does not support `{type(node).__name__}` expressions",
                frame.loc(node),
            )
        return method(node, frame)

    def eval_Constant(self, node: ast.Constant, frame: Frame) -> Any:
        return node.value

    def eval_Name(self, node: ast.Name, frame: Frame) -> Any:
        scope: Frame | None = frame
        while scope is not None:
            if node.id in scope.env:
                value = scope.env[node.id]
                if scope is self.top_frame and not is_traced(value):
                    self.static_reads.add(node.id)
                return value
            scope = scope.parent
        try:
            value = canonical(frame.source.lookup(node.id))
        except NameError:
            raise TraceError(
                f"name {node.id!r} is not defined", frame.loc(node)
            ) from None
        if frame.in_rule:
            return value
        read = functools.partial(frame.source.lookup, node.id)
        if effects.is_generator(value):
            scope = frame.source.scope_of(node.id)
            loc = frame.loc(node)
            return self.outer_generator(node.id, value, read, scope, frame, loc)
        if isinstance(value, np.ndarray):
            return self.const(node.id, value, frame.loc(node), read)
        self._note_outer(node.id, value, read)
        return value

    def const(
        self,
        name: str,
        value: np.ndarray[Any, Any],
        loc: Loc,
        read: Callable[[], Any] | None = None,
    ) -> Const:
        """One Const per array; distinct arrays that share a name get numbered,
        because the emitted module binds each constant as a global."""
        const = self.consts.get(id(value))
        if const is None:
            taken = {c.name for c in self.consts.values()}
            unique, n = name, 1
            while unique in taken:
                n += 1
                unique = f"{name}_{n}"
            const = self.consts[id(value)] = Const(unique, value, loc, read)
        return const

    def _autograd_module(self, node: ast.expr, frame: Frame) -> Any:
        """The autograd module that ``node`` (a global name, or attributes of
        one) holds before srcdiff reads it as NumPy's or SciPy's; None for
        anything else."""
        if isinstance(node, ast.Name):
            scope: Frame | None = frame
            while scope is not None:
                if node.id in scope.env:
                    return None
                scope = scope.parent
            try:
                value = frame.source.lookup(node.id)
            except NameError:
                return None
        elif isinstance(node, ast.Attribute):
            outer = self._autograd_module(node.value, frame)
            if outer is None:
                return None
            value = getattr(outer, node.attr, None)
        else:
            return None
        if isinstance(value, types.ModuleType) and (
            value.__name__ == "autograd" or value.__name__.startswith("autograd.")
        ):
            return value
        return None

    def eval_Attribute(self, node: ast.Attribute, frame: Frame) -> Any:
        base = self.eval(node.value, frame)
        loc = frame.loc(node)
        if isinstance(base, (Var, Const)):
            return self.array_attribute(base, node.attr, loc)
        if isinstance(base, types.ModuleType):
            # ag_signal.convolve: autograd's own convolve (a shim), although
            # ag_signal reads as scipy.signal
            module = self._autograd_module(node.value, frame)
            shim = aliases.shim_attribute(module, node.attr)
            if shim is not None:
                return shim
        try:
            value = canonical(getattr(base, node.attr))
        except AttributeError as exc:
            value = None
            if isinstance(base, types.ModuleType):
                value = aliases.own_attribute(base, node.attr)
            if value is None:
                raise TraceError(str(exc), loc) from None
        read = functools.partial(getattr, base, node.attr)
        if effects.is_generator(value) and not frame.in_rule:
            if isinstance(base, types.ModuleType):  # a module's global
                scope = f"the module {base.__name__}"
                return self.outer_generator(node.attr, value, read, scope, frame, loc)
            raise effects.outer_generator(f"`{ast.unparse(node)}`", loc)
        if frame.in_rule or isinstance(base, types.ModuleType):
            return value
        if isinstance(value, np.ndarray):
            return self.const(node.attr, value, loc, read)
        self._note_outer(node.attr, value, read)
        return value

    def outer_generator(
        self,
        name: str,
        value: Any,
        read: Callable[[], Any],
        scope: str,
        frame: Frame,
        loc: Loc,
    ) -> Var:
        """A generator read by name from a closure or globals: one Var per
        generator, which the emitted function takes as a keyword-only
        parameter; tracing draws from a copy, leaving the generator as it was."""
        outer = self.outer_generators.get(id(value))
        if outer is None:
            copied = effects.trace_value(value, self.generator_copies)
            self.builder.add_generator(copied)  # for draws_kept
            var = Var(name, copied, loc, kind="outer")
            reader = frame.source.name
            outer = effects.Outer(name, reader, scope, read, type(value), var)
            self.outer_generators[id(value)] = outer
        return outer.var

    def _note_outer(self, name: str, value: Any, read: Callable[[], Any]) -> None:
        """A number read from a global or an attribute is baked into the code:
        remember how to read it again, so a changed value means a new trace."""
        if isinstance(value, (bool, int, float, complex, str, np.number)):
            self.outer_reads[name] = (read, value)

    def array_attribute(self, base: Var | Const, attr: str, loc: Loc) -> Any:
        if _is_generator_value(base, attr):
            return BoundMethod(effects.method(attr), base, False)
        if attr == "T":
            return self.builder.bind(TRANSPOSE, (base,), loc=loc)
        facts = {"shape": np.shape, "ndim": np.ndim, "size": np.size}
        if attr in facts:
            return self.call_value(facts[attr], (base,), {}, loc, in_rule=True)
        if attr == "dtype" and (isinstance(base, Const) or base.known):
            return np.result_type(base.value)
        if attr in ("real", "imag"):
            part = np.real if attr == "real" else np.imag
            return self.call_value(part, (base,), {}, loc)
        if attr in METHODS:
            return BoundMethod(METHODS[attr], base, False)
        if attr in VARARG_METHODS:
            return BoundMethod(VARARG_METHODS[attr], base, True)
        raise UnsupportedPrimitive(
            f"srcdiff does not support the array attribute `.{attr}`",
            loc,
            "Supported methods: "
            + ", ".join(sorted({*METHODS, *VARARG_METHODS, "T"}))
            + ".",
        )

    def eval_Subscript(self, node: ast.Subscript, frame: Frame) -> Any:
        base = self.eval(node.value, frame)
        index = self.eval(node.slice, frame)
        loc = frame.loc(node)
        if isinstance(base, (Var, Const)):
            return self.builder.bind(GETITEM, (base, index), loc=loc)
        kind = _concatenator(base)
        if kind and is_traced(index):
            return self._index_concatenate(kind, index, loc)
        if isinstance(base, text.Text):
            raise text.refusal(loc, "indexing it")
        if is_traced(index):
            raise NeedsExample(
                "indexing a Python container with an array value",
                loc,
                "Index Python lists and tuples with Python ints.",
            )
        try:
            return base[index]
        except (IndexError, KeyError, TypeError) as exc:
            raise TraceError(f"indexing failed: {exc!r}", loc) from None

    def _index_concatenate(self, kind: str, index: Any, loc: Loc) -> Any:
        """``np.r_[a, b]`` and ``np.c_[a, b]`` on traced values, as the calls
        they stand for: r_ joins its items (0-d ones as 1-D) along the first
        axis, ``np.concatenate``; c_ makes 0-d and 1-D items columns and joins
        along the last axis, ``np.column_stack`` up to 2-D."""
        items = list(index) if isinstance(index, tuple) else [index]
        what = f"np.{kind}_[...]"
        if items and isinstance(items[0], str):
            raise UnsupportedPrimitive(
                f"srcdiff does not support {what} with a directive ({items[0]!r})",
                loc,
                "Write the np.concatenate, np.stack or np.column_stack call it "
                "stands for, with axis=.",
            )
        pieces: list[Any] = []
        ndims: list[int | None] = []
        for item in items:
            if isinstance(item, slice):  # np.r_[0:n]: np.arange(0, n)
                item = self._index_range(item, loc)
            if not is_traced(item):
                value = np.asarray(item)
                pieces.append(item if value.ndim else [item])
                ndims.append(max(value.ndim, 1))
                continue
            shape = shape_of(item)
            ndims.append(None if shape is None else len(shape))
            if kind == "r" and not shape:  # 0-d, or unknown without an example
                item = self.call_value(np.atleast_1d, (item,), {}, loc)
            pieces.append(item)
        if kind == "r":
            return self.call_value(np.concatenate, (pieces,), {}, loc)
        if any(n is None for n in ndims):
            raise NeedsExample(
                f"{what} joins 1-D items as columns and others along their last "
                "axis: which, only an example tells",
                loc,
                "Pass --example MODULE:CALLABLE, or write np.column_stack([...]) "
                "(up to 2-D) or np.concatenate([...], axis=-1).",
            )
        if all(n is not None and n <= 2 for n in ndims):
            return self.call_value(np.column_stack, (pieces,), {}, loc)
        return self.call_value(np.concatenate, (pieces,), {"axis": -1}, loc)

    def _index_range(self, item: slice, loc: Loc) -> Any:
        """A slice inside ``np.r_[...]``: a range, or (an imaginary step)
        that many points from start to stop, both ends included."""
        start = 0 if item.start is None else item.start
        step = 1 if item.step is None else item.step
        if isinstance(step, complex):
            count = int(abs(step))
            return self.call_value(np.linspace, (start, item.stop, count), {}, loc)
        return self.call_value(np.arange, (start, item.stop, step), {}, loc)

    def eval_Slice(self, node: ast.Slice, frame: Frame) -> Any:
        parts = [
            None if p is None else self.eval(p, frame)
            for p in (node.lower, node.upper, node.step)
        ]
        return slice(*parts)

    def eval_Tuple(self, node: ast.Tuple, frame: Frame) -> Any:
        return tuple(self._elements(node.elts, frame))

    def eval_List(self, node: ast.List, frame: Frame) -> Any:
        return self._elements(node.elts, frame)

    def _elements(self, elts: list[ast.expr], frame: Frame) -> list[Any]:
        out: list[Any] = []
        for elt in elts:
            if isinstance(elt, ast.Starred):
                out.extend(self.iterate(self.eval(elt.value, frame), frame.loc(elt)))
            else:
                out.append(self.eval(elt, frame))
        return out

    def eval_Dict(self, node: ast.Dict, frame: Frame) -> Any:
        out: dict[Any, Any] = {}
        for key, value in zip(node.keys, node.values, strict=True):
            if key is None:
                out.update(self.eval(value, frame))
            else:
                out[self.eval(key, frame)] = self.eval(value, frame)
        return out

    def eval_BinOp(self, node: ast.BinOp, frame: Frame) -> Any:
        left = self.eval(node.left, frame)
        right = self.eval(node.right, frame)
        return self.binop(node.op, left, right, frame.loc(node), frame.in_rule)

    def binop(
        self, op: ast.operator, left: Any, right: Any, loc: Loc, in_rule: bool
    ) -> Any:
        if text.joins(op, left, right):
            return text.TEXT  # "loss " + str(x), "%.2f" % loss: see srcdiff.trace.text
        containers = (list, tuple)
        if isinstance(left, containers) and isinstance(right, (*containers, int)):
            return _BINOPS[type(op)](left, right)  # [x] + [y], [x] * 3: Python's
        return self.call_value(_BINOPS[type(op)], (left, right), {}, loc, in_rule)

    def eval_UnaryOp(self, node: ast.UnaryOp, frame: Frame) -> Any:
        operand = self.eval(node.operand, frame)
        loc = frame.loc(node)
        if isinstance(node.op, ast.Not):
            return not self.truth(operand, node.operand, frame, "not")
        if isinstance(node.op, ast.UAdd):
            return operand
        fn = operator.neg if isinstance(node.op, ast.USub) else operator.invert
        return self.call_value(fn, (operand,), {}, loc, frame.in_rule)

    def eval_Compare(self, node: ast.Compare, frame: Frame) -> Any:
        left = self.eval(node.left, frame)
        result: Any = True
        for op, comparator in zip(node.ops, node.comparators, strict=True):
            right = self.eval(comparator, frame)
            value = self.compare(op, left, right, frame.loc(node), frame.in_rule)
            if len(node.ops) == 1:
                return value
            if not self.truth(value, node, frame, "comparison"):
                return False
            left = right
        return result

    def compare(
        self, op: ast.cmpop, left: Any, right: Any, loc: Loc, in_rule: bool
    ) -> Any:
        """Identity and membership in Python containers are decided at trace
        time: no traced value is None, and the containers are known."""
        fn = _CMPOPS[type(op)]
        identity = isinstance(op, (ast.Is, ast.IsNot))
        if not identity and text.holds_text((left, right)):
            raise text.refusal(loc, "comparing it")
        if identity or (
            isinstance(op, (ast.In, ast.NotIn)) and not isinstance(right, (Var, Const))
        ):
            return fn(left, right)
        return self.call_value(fn, (left, right), {}, loc, in_rule)

    def eval_BoolOp(self, node: ast.BoolOp, frame: Frame) -> Any:
        is_and = isinstance(node.op, ast.And)
        keyword = "and" if is_and else "or"
        value: Any = None
        for i, operand in enumerate(node.values):
            value = self.eval(operand, frame)
            rest = node.values[i + 1 :]
            if (
                rest
                and self._decided_when_run(value, frame)
                and _is_test(self.builder, value)
            ):
                # k < n and err > tol, on values known only when the code runs
                tail = ast.copy_location(ast.BoolOp(node.op, rest), node)
                other = self.eval(tail if len(rest) > 1 else rest[0], frame)
                if _is_test(self.builder, other):
                    combine = BOTH if is_and else EITHER
                    return self.builder.bind(
                        combine, (value, other), loc=frame.loc(node)
                    )
                if self.truth(value, operand, frame, keyword) != is_and:
                    return value
                return other
            if self.truth(value, operand, frame, keyword) != is_and:
                return value
        return value

    def eval_IfExp(self, node: ast.IfExp, frame: Frame) -> Any:
        if self.truth(self.eval(node.test, frame), node.test, frame, "if"):
            return self.eval(node.body, frame)
        return self.eval(node.orelse, frame)

    def eval_Yield(self, node: ast.Yield, frame: Frame) -> Any:
        value = None if node.value is None else self.eval(node.value, frame)
        self._yielded(node, frame).append(value)
        return None  # what ``send`` would give; a for loop sends nothing

    def eval_YieldFrom(self, node: ast.YieldFrom, frame: Frame) -> Any:
        items = self.iterate(self.eval(node.value, frame), frame.loc(node.value))
        self._yielded(node, frame).extend(items)
        return None

    def _yielded(self, node: ast.Yield | ast.YieldFrom, frame: Frame) -> list[Any]:
        if self.rolling:  # unrolled instead, where the trips are known
            raise TraceError(
                "a generator's loop yields a different value each trip",
                frame.loc(node),
                "Loop over a range whose length is known when tracing.",
            )
        if frame.yields is None:
            raise UnsupportedSyntax(
                "srcdiff does not support `yield` in a lambda", frame.loc(node)
            )
        return frame.yields

    def eval_Lambda(self, node: ast.Lambda, frame: Frame) -> Any:
        return Closure(node, frame, [self.eval(d, frame) for d in node.args.defaults])

    def eval_JoinedStr(self, node: ast.JoinedStr, frame: Frame) -> Any:
        """An f-string; of a traced value, a ``text.Text``: only ever shown,
        so dropped from the derivative (see ``srcdiff.trace.text``)."""
        parts: list[str] = []
        shown = False
        for value in node.values:
            if not isinstance(value, ast.FormattedValue):
                parts.append(self.eval(value, frame))
                continue
            item = self.eval(value.value, frame)
            spec = self.eval(value.format_spec, frame) if value.format_spec else ""
            if is_traced(item) or text.holds_text((item, spec)):
                shown = True  # the other parts still run: they may trace calls
                continue
            try:
                parts.append(format(text.convert(item, value.conversion), spec))
            except Exception as exc:  # what Python would raise, located
                raise TraceError(
                    f"formatting failed while tracing: {exc}", frame.loc(value)
                ) from None
        return text.TEXT if shown else "".join(parts)

    def _comprehension(
        self,
        generators: list[ast.comprehension],
        frame: Frame,
        emit: Callable[[Frame], None],
    ) -> None:
        inner = Frame(frame.source, {}, frame, frame.in_rule, frame.rule_loc)

        def loop(index: int) -> None:
            if index == len(generators):
                emit(inner)
                return
            gen = generators[index]
            for item in self.iterate(self.eval(gen.iter, inner), inner.loc(gen.iter)):
                self.assign(gen.target, item, inner)
                if all(
                    self.truth(self.eval(c, inner), c, inner, "if") for c in gen.ifs
                ):
                    loop(index + 1)

        loop(0)

    def eval_ListComp(self, node: ast.ListComp, frame: Frame) -> Any:
        out: list[Any] = []
        self._comprehension(
            node.generators, frame, lambda f: out.append(self.eval(node.elt, f))
        )
        return out

    eval_GeneratorExp = eval_ListComp

    def eval_DictComp(self, node: ast.DictComp, frame: Frame) -> Any:
        out: dict[Any, Any] = {}

        def emit(f: Frame) -> None:
            out[self.eval(node.key, f)] = self.eval(node.value, f)

        self._comprehension(node.generators, frame, emit)
        return out

    def eval_Call(self, node: ast.Call, frame: Frame) -> Any:
        fn = self.eval(node.func, frame)
        args = self._elements(node.args, frame)
        kwargs: dict[str, Any] = {}
        for kw in node.keywords:
            if kw.arg is None:
                kwargs.update(self.eval(kw.value, frame))
            else:
                kwargs[kw.arg] = self.eval(kw.value, frame)
        return self.call_value(fn, tuple(args), kwargs, frame.loc(node), frame.in_rule)


def _concatenator(obj: Any) -> str:
    """``"r"`` for ``np.r_``, ``"c"`` for ``np.c_`` (autograd's wrappers too)."""
    if isinstance(obj, type(np.c_)):
        return "c"
    if isinstance(obj, type(np.r_)):
        return "r"
    kind = type(obj)
    if kind.__module__.startswith("autograd.") and kind.__name__ in (
        "r_class",
        "c_class",
    ):
        return kind.__name__[0]
    return ""


def _is_generator_value(base: Var | Const, attr: str) -> bool:
    """``rng.normal``: a generator the function received or made, or (no
    example) a value whose attribute only a generator has."""
    if not isinstance(base, Var):
        return False
    if base.known:
        return effects.is_generator(base.value)
    return attr in effects.METHOD_NAMES


def _is_test(builder: Builder, value: Any) -> bool:
    """A comparison's result (or a plain bool): what ``and``/``or`` may combine
    into one value without changing what the code does with it."""
    if isinstance(value, bool):
        return True
    stmt = builder.defs.get(value) if isinstance(value, Var) else None
    return stmt is not None and stmt.prim.name in TESTS
