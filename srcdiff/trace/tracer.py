"""Partial evaluation of a function's AST into straight-line SSA.

Python-level work (control flow on Python values, containers, calls into
other user functions) runs at trace time; every NumPy operation on a traced
value becomes one ``Assign`` through ``Builder.bind``. Decisions that read a
traced value follow the example and leave a ``Guard``. The same interpreter
runs adjoint rules, whose parameters are bound to IR values.
"""

from __future__ import annotations

import ast
import contextlib
import copy
import functools
import operator
import types
from collections.abc import Callable
from typing import Any

import numpy as np

from srcdiff.errors import (
    Loc,
    NeedsExample,
    SrcdiffError,
    TraceError,
    UnsupportedPrimitive,
    UnsupportedSyntax,
)
from srcdiff.ir import effects
from srcdiff.ir.nodes import Const, Var, walk_vars
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
from srcdiff.parse import aliases, fence, returns
from srcdiff.parse.aliases import canonical
from srcdiff.parse.source import Source, parse
from srcdiff.trace import branch as branches
from srcdiff.trace import loop as rolling
from srcdiff.trace import text as texts
from srcdiff.trace.builder import Builder
from srcdiff.trace.calls import Calls
from srcdiff.trace.frame import (
    BoundMethod,
    Break,
    Closure,
    Continue,
    Frame,
    Return,
    Yielded,
)
from srcdiff.trace.inplace import InPlace

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
_WHILE_LIMIT = 100_000


class Tracer(Calls, InPlace):
    """Runs function bodies, sending NumPy work on traced values to a Builder."""

    def __init__(self, builder: Builder) -> None:
        self.builder = builder
        self.static_reads: set[str] = set()
        self.top_frame: Frame | None = None
        self.top_inputs: dict[str, Any] = {}
        self.consts: dict[int, Const] = {}
        self.outer_reads: dict[str, tuple[Callable[[], Any], Any]] = {}
        # Generators read by name from a closure or globals, by identity, and
        # the copies tracing draws from (shared with generator arguments).
        self.outer_generators: dict[int, effects.Outer] = {}
        self.generator_copies: dict[int, Any] = {}
        # True: unroll every loop it can; False: keep every loop it can rolled;
        # None: unroll what fits rolling.UNROLL_BUDGET.
        self.unroll: bool | None = None
        # How many rolled loop bodies are being traced right now.
        self.rolling = 0

    # ----- Functions -----
    def call_function(
        self,
        fn: types.FunctionType,
        args: tuple[Any, ...],
        kwargs: dict[str, Any],
        in_rule: bool = False,
        rule_loc: Loc | None = None,
    ) -> Any:
        source = parse(fn)
        fence.check(source)
        try:
            import inspect

            bound = inspect.signature(fn).bind(*args, **kwargs)
        except TypeError as exc:
            raise TraceError(
                f"calling {fn.__name__}: {exc}", rule_loc or source.loc(source.node)
            ) from None
        bound.apply_defaults()
        if not in_rule:
            for name, value in bound.arguments.items():
                if isinstance(value, Var) and value.kind == "temp":
                    value.hint, value.kind = name, "user"
        frame = Frame(source, dict(bound.arguments), in_rule=in_rule, rule_loc=rule_loc)
        return self._run(source.node, frame)

    def run_rule(
        self,
        rule: types.FunctionType,
        args: tuple[Any, ...],
        kwargs: dict[str, Any],
        loc: Loc | None,
    ) -> Any:
        """Run an adjoint rule's body on IR values: the reverse stage's rule
        runner. What it computes is appended, located at the forward call."""
        return self.call_function(rule, args, kwargs, in_rule=True, rule_loc=loc)

    def run_top(self, source: Source, inputs: dict[str, Any]) -> Any:
        self.top_inputs = dict(inputs)
        for var in walk_vars(inputs):
            if effects.is_generator(var.value):
                self.builder.add_generator(var.value)
        frame = Frame(source, dict(inputs))
        self.top_frame = frame
        return self._run(source.node, frame)

    def _run(self, node: ast.FunctionDef | ast.Lambda, frame: Frame) -> Any:
        if isinstance(node, ast.Lambda):
            return self.eval(node.body, frame)
        if _is_generator_function(node):
            return self._run_generator(node, frame)
        node = returns.single_exit(node)
        try:
            self.exec_block(node.body, frame)
        except Return as ret:
            return ret.value
        return None

    def _run_generator(self, node: ast.FunctionDef, frame: Frame) -> Any:
        """A generator function runs to its end at once; the caller iterates
        over what it yielded. Its trips are known when tracing (its loops are
        unrolled), so no value it yields depends on when it is asked for."""
        frame.yields = []
        with contextlib.suppress(Return):  # a bare ``return`` ends it
            self.exec_block(returns.single_exit(node).body, frame)
        return Yielded(frame.yields)

    def _call_closure(
        self, closure: Closure, args: tuple[Any, ...], kwargs: dict[str, Any]
    ) -> Any:
        node = closure.node
        params = [a.arg for a in node.args.posonlyargs + node.args.args]
        env: dict[str, Any] = {}
        vararg, kwarg = node.args.vararg, node.args.kwarg
        if len(args) > len(params) and vararg is None:
            raise TraceError("too many arguments", closure.frame.loc(node))
        env.update(zip(params, args, strict=False))
        if vararg is not None:  # def g(*xs): the extra positional arguments
            env[vararg.arg] = tuple(args[len(params) :])
        if kwarg is not None:  # def g(**kw): the keywords naming no parameter
            env[kwarg.arg] = {k: v for k, v in kwargs.items() if k not in params}
            kwargs = {k: v for k, v in kwargs.items() if k in params}
        for key, value in kwargs.items():
            if key not in params:
                raise TraceError(
                    f"unexpected keyword argument {key!r}", closure.frame.loc(node)
                )
            env[key] = value
        for name, default in zip(
            reversed(params), reversed(closure.defaults), strict=False
        ):
            env.setdefault(name, default)
        missing = [p for p in params if p not in env]
        if missing:
            raise TraceError(
                f"missing argument {missing[0]!r}", closure.frame.loc(node)
            )
        parent = closure.frame
        frame = Frame(parent.source, env, parent, parent.in_rule, parent.rule_loc)
        return self._run(node, frame)

    # ----- Statements -----
    def exec_block(self, body: list[ast.stmt], frame: Frame) -> None:
        for stmt in body:
            self.exec(stmt, frame)

    def exec(self, node: ast.stmt, frame: Frame) -> None:
        method = getattr(self, f"exec_{type(node).__name__}", None)
        if method is None:
            raise UnsupportedSyntax(
                f"srcdiff does not support `{type(node).__name__}` statements",
                frame.loc(node),
            )
        method(node, frame)

    def exec_Expr(self, node: ast.Expr, frame: Frame) -> None:
        self.eval(node.value, frame)

    def exec_Pass(self, node: ast.Pass, frame: Frame) -> None:
        pass

    def exec_Assign(self, node: ast.Assign, frame: Frame) -> None:
        value = self.eval(node.value, frame)
        for target in node.targets:
            self.assign(target, value, frame)
        names = [t.id for t in node.targets if isinstance(t, ast.Name)]
        if len(names) == 1 == len(node.targets) and self._creates_array(
            node.value, value, frame
        ):
            frame.owned[names[0]] = value

    def exec_AnnAssign(self, node: ast.AnnAssign, frame: Frame) -> None:
        if node.value is not None:
            self.assign(node.target, self.eval(node.value, frame), frame)

    def exec_AugAssign(self, node: ast.AugAssign, frame: Frame) -> None:
        current = self.eval(_load(node.target), frame)
        name = node.target.id if isinstance(node.target, ast.Name) else None
        owned = name is not None and frame.owned.get(name) is current
        if name is not None and not owned:
            update = ast.BinOp(ast.Name(name), node.op, ast.Name("..."))
            rewrite = f"Write `{name} = {ast.unparse(update)}`"
            self._check_not_shared(name, current, node, frame, rewrite)
        value = self.eval(node.value, frame)
        result = self.binop(node.op, current, value, frame.loc(node), frame.in_rule)
        self.assign(node.target, result, frame)
        if owned and name is not None:
            frame.owned[name] = result

    def exec_If(self, node: ast.If, frame: Frame) -> None:
        test = self.eval(node.test, frame)
        if self._decided_when_run(test, frame) and branches.trace_branch(
            self, node, test, frame
        ):
            return
        if self.truth(test, node.test, frame, "if"):
            self.exec_block(node.body, frame)
        else:
            self.exec_block(node.orelse, frame)

    def exec_For(self, node: ast.For, frame: Frame) -> None:
        header, iterable = rolling.for_header(self, node, frame)
        if header is not None and self._roll(node, frame, header):
            return
        if header is not None and header.over is None:
            iterable = rolling.unrolled_range(header, self, frame.loc(node.iter))
        for item in self.iterate(iterable, frame.loc(node.iter)):
            self.assign(node.target, item, frame)
            try:
                self.exec_block(node.body, frame)
            except Break:
                return
            except Continue:
                continue
        self.exec_block(node.orelse, frame)

    def exec_While(self, node: ast.While, frame: Frame) -> None:
        if self._roll(node, frame, None):
            return
        for _ in range(_WHILE_LIMIT):
            if not self.truth(self.eval(node.test, frame), node.test, frame, "while"):
                self.exec_block(node.orelse, frame)
                return
            try:
                self.exec_block(node.body, frame)
            except Break:
                return
            except Continue:
                continue
        raise TraceError(
            f"this loop ran more than {_WHILE_LIMIT} times while tracing",
            frame.loc(node),
            "Check that the loop condition can become false for the example.",
        )

    def _decided_when_run(self, test: Any, frame: Frame) -> bool:
        """Whether an ``if`` on ``test`` becomes an ``if`` in the emitted code:
        on values no example gives, and on values inside a rolled loop (they
        change from trip to trip)."""
        if frame.in_rule or not isinstance(test, Var):
            return False
        return not test.known or self.rolling > 0

    def _roll(
        self, node: ast.For | ast.While, frame: Frame, header: rolling.Header | None
    ) -> bool:
        """Trace the loop rolled if it should be; False: unroll it instead."""
        statics = [] if header is None else rolling.static_params(header, self)
        # Trips only the running code knows: not those of an int argument
        # (its value is checked) or of a size (``len(xs)``, checked on entry).
        runtime = [
            v
            for v in walk_vars(header.bounds if header else None)
            if v.size is None and not (v.kind == "param" and v.hint in statics)
        ]
        dynamic = header is not None and (header.trips is None or bool(runtime))
        if frame.in_rule or (self.unroll is True and not dynamic):
            self.static_reads.update(statics)
            return False
        try:
            loop = rolling.trace_rolled(self, node, frame, header)
        except rolling.NotRollable as exc:
            if dynamic:
                raise rolling.refuse(node, frame, str(exc)) from None
            self.static_reads.update(statics)
            return False
        except SrcdiffError as exc:
            # The body read the trip's index or values as only a rolled trip
            # has them (``hs[t]`` on a Python list, ``print(i)``). With the
            # trips known, trace it unrolled instead: an error that was not
            # the rolling's fault happens there again and reports itself.
            if dynamic or isinstance(exc, rolling.RanAway):
                raise
            self.static_reads.update(statics)
            return False
        self.builder.stmts.append(loop)
        return True

    def exec_Return(self, node: ast.Return, frame: Frame) -> None:
        raise Return(None if node.value is None else self.eval(node.value, frame))

    def exec_Break(self, node: ast.Break, frame: Frame) -> None:
        raise Break

    def exec_Continue(self, node: ast.Continue, frame: Frame) -> None:
        raise Continue

    def exec_FunctionDef(self, node: ast.FunctionDef, frame: Frame) -> None:
        if node.decorator_list:
            raise UnsupportedSyntax(
                "srcdiff does not support decorators on nested functions",
                frame.loc(node.decorator_list[0]),
                "Define the decorated function at module level.",
            )
        defaults = [self.eval(d, frame) for d in node.args.defaults]
        frame.env[node.name] = Closure(node, frame, defaults)

    def exec_Raise(self, node: ast.Raise, frame: Frame) -> None:
        exc = self.eval(node.exc, frame) if node.exc else None
        if frame.in_rule:  # a rule refusing a form of its primitive
            raise UnsupportedPrimitive(
                f"srcdiff cannot differentiate this call: {exc}",
                frame.loc(node),
                "Call it without that option, or compute it outside the "
                "differentiated function.",
            )
        raise TraceError(f"the function raised {exc!r} while tracing", frame.loc(node))

    def exec_Assert(self, node: ast.Assert, frame: Frame) -> None:
        test = self.eval(node.test, frame)
        if not is_traced(test) and not test:
            raise TraceError("an assertion failed while tracing", frame.loc(node))

    def iterate(self, value: Any, loc: Loc) -> list[Any]:
        """The items a ``for`` loop or unpacking sees, at trace time."""
        arity = self.builder.arity(value)
        if arity:  # the results of np.linalg.eigh and the like
            return [
                self.builder.bind(GETITEM, (value, i), loc=loc) for i in range(arity)
            ]
        if isinstance(value, (Var, Const)):
            shape = value.shape if isinstance(value, Var) else value.value.shape
            if shape is None:
                raise NeedsExample(
                    "iterating over an array needs its length: pass an example",
                    loc,
                    "Pass --example MODULE:CALLABLE to srcdiff emit (grad() traces "
                    "with the real arguments), "
                    "or loop over range(n) with n a Python int.",
                )
            if not shape:
                raise TraceError("cannot iterate over a 0-d array", loc)
            self.builder.fixed_size(self.builder.shape_value(value)[0], loc)
            return [
                self.builder.bind(GETITEM, (value, i), loc=loc) for i in range(shape[0])
            ]
        try:
            return list(value)
        except TypeError:
            raise TraceError(
                f"cannot iterate over {type(value).__name__}", loc
            ) from None

    def truth(self, value: Any, node: ast.expr, frame: Frame, keyword: str) -> bool:
        """Decide a branch; a decision on a traced value leaves a guard."""
        if isinstance(value, Const):
            return bool(value.value)
        if isinstance(value, texts.Text):
            raise texts.refusal(frame.loc(node), f"`{keyword}` on it")
        if not isinstance(value, Var):
            try:
                return bool(value)
            except ValueError as exc:
                raise TraceError(str(exc), frame.loc(node)) from None
        loc = frame.loc(node)
        if frame.in_rule and not value.known:
            raise NeedsExample(
                "the derivative of this call depends on shapes only an example gives",
                loc,
                "Pass --example MODULE:CALLABLE to srcdiff emit; grad() traces "
                "with the real arguments.",
            )
        if not value.known:
            raise NeedsExample(
                f"this `{keyword}` depends on the value of an array, which only "
                "an example gives",
                loc,
                "Pass --example MODULE:CALLABLE so srcdiff follows the example's path "
                "(the emitted code then checks that later inputs take the same path).",
            )
        try:
            decision = bool(value.value)
        except ValueError:
            raise TraceError(
                f"the `{keyword}` condition is an array of shape {value.shape}, "
                "not one value",
                loc,
                "Reduce it to one value, e.g. with np.all(...) or np.any(...).",
            ) from None
        text = f"{keyword} {ast.unparse(node)}"
        self.builder.guard(value, decision, loc, text)
        return decision

    # ----- Expressions -----
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
        if isinstance(base, texts.Text):
            raise texts.refusal(loc, "indexing it")
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
        if texts.joins(op, left, right):
            return texts.TEXT  # "loss " + str(x), "%.2f" % loss: see srcdiff.text
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
        if not identity and texts.holds_text((left, right)):
            raise texts.refusal(loc, "comparing it")
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
            if rest and self._decided_when_run(value, frame) and _is_test(self, value):
                # k < n and err > tol, on values known only when the code runs
                tail = ast.copy_location(ast.BoolOp(node.op, rest), node)
                other = self.eval(tail if len(rest) > 1 else rest[0], frame)
                if _is_test(self, other):
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
        """An f-string; of a traced value, a ``texts.Text``: only ever shown,
        so dropped from the derivative (see ``srcdiff.text``)."""
        parts: list[str] = []
        shown = False
        for value in node.values:
            if not isinstance(value, ast.FormattedValue):
                parts.append(self.eval(value, frame))
                continue
            item = self.eval(value.value, frame)
            spec = self.eval(value.format_spec, frame) if value.format_spec else ""
            if is_traced(item) or texts.holds_text((item, spec)):
                shown = True  # the other parts still run: they may trace calls
                continue
            try:
                parts.append(format(texts.convert(item, value.conversion), spec))
            except Exception as exc:  # what Python would raise, located
                raise TraceError(
                    f"formatting failed while tracing: {exc}", frame.loc(value)
                ) from None
        return texts.TEXT if shown else "".join(parts)

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


def _is_test(tracer: Tracer, value: Any) -> bool:
    """A comparison's result (or a plain bool): what ``and``/``or`` may combine
    into one value without changing what the code does with it."""
    if isinstance(value, bool):
        return True
    stmt = tracer.builder.defs.get(value) if isinstance(value, Var) else None
    return stmt is not None and stmt.prim.name in TESTS


def _load(target: ast.expr) -> ast.expr:
    """An assignment target read as an expression (``A[i]`` in ``A[i] += v``)."""
    node = copy.deepcopy(target)
    for child in ast.walk(node):
        if hasattr(child, "ctx"):
            child.ctx = ast.Load()
    return node


@functools.cache
def _is_generator_function(node: ast.FunctionDef) -> bool:
    return bool(fence.yields_in(node))
