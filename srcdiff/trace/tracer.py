"""Partial evaluation of a function's AST into straight-line SSA.

Python-level work (control flow on Python values, containers, calls into
other user functions) runs at trace time; every NumPy operation on a traced
value becomes one ``Assign`` through ``Builder.bind``. Decisions that read a
traced value follow the example and leave a ``Guard``. The same interpreter
runs adjoint rules, whose parameters are bound to IR values.

``Tracer`` is put together from its parts: ``statements``, ``expressions``,
``calls`` (what calling a value does) and ``inplace`` (assignment targets).
Here are its entry points, each running a function body in a new frame.
"""

from __future__ import annotations

import ast
import contextlib
import functools
import inspect
import types
from collections.abc import Callable
from typing import Any

from srcdiff.errors import Loc, TraceError
from srcdiff.ir import effects
from srcdiff.ir.nodes import Const, Var, walk_vars
from srcdiff.ir.prims import GETITEM, lookup
from srcdiff.ir.values import token
from srcdiff.parse import fence, returns
from srcdiff.parse.source import Source, parse
from srcdiff.trace.builder import Builder
from srcdiff.trace.calls import Calls
from srcdiff.trace.expressions import Expressions
from srcdiff.trace.frame import Closure, Frame, Return, Yielded
from srcdiff.trace.inplace import InPlace
from srcdiff.trace.statements import Statements


class Tracer(Statements, Expressions, Calls, InPlace):
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
        # None: unroll what fits loop.UNROLL_BUDGET.
        self.unroll: bool | None = None
        # How many rolled loop bodies are being traced right now.
        self.rolling = 0
        # Called once per statement run: a long trace reports its progress.
        self.progress: Callable[[], None] = _nothing

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
        runner. What it computes is appended, located at the forward call. A
        rule that is itself a primitive (a ``srcdiff.primitive``'s) is one
        call, its results taken one by one."""
        prim = lookup(rule)
        if prim is None or prim.copied is None:
            return self.call_function(rule, args, kwargs, in_rule=True, rule_loc=loc)
        value = self.builder.bind(prim, args, kwargs, loc)
        items = range(self.builder.arity(value))
        results = [self.builder.bind(GETITEM, (value, i), loc=loc) for i in items]
        params = list(inspect.signature(rule).parameters)[2:]
        for result, param in zip(results, params, strict=False):
            if isinstance(result, Var):  # softmax_vjp's cotangent of z
                result.local = result.local or f"{prim.name}_{param}"
        # Shaped as the argument each is for (a tangent: as the result).
        likes = args[1:2] if prim.shape == "tangent" else args[2:]
        for result, like in zip(results or [value], likes, strict=False):
            _shaped_like(result, like)
        # None on the example: no derivative for that argument (an error
        # only if it needs one, as a rule's NotImplemented).
        out = [NotImplemented if _is_none(r) else r for r in results or [value]]
        return tuple(out) if results else out[0]

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


@functools.cache
def _is_generator_function(node: ast.FunctionDef) -> bool:
    return bool(fence.yields_in(node))


def _nothing() -> None:
    pass


def _shaped_like(value: Any, like: Any) -> None:
    """Without an example, a user's rule gives a value shaped like ``like``
    (``srcdiff.trace.shapes`` says so of the example's sizes)."""
    if isinstance(value, Var) and not value.known and isinstance(like, Var):
        value.sym = token(like)


def _is_none(value: Any) -> bool:
    return isinstance(value, Var) and value.known and value.value is None
