"""Statements: run a function body one statement at a time.

Names are rebound in the frame (what a target means is ``inplace``'s job).
``if``, ``for`` and ``while`` on Python values run as Python runs them; on a
traced value a decision follows the example and leaves a guard (``truth``),
or is left to the running code: a ``Branch`` (``branch``) or a rolled
``Loop`` (``loop``). ``return``, ``break`` and ``continue`` leave as
``ControlFlow`` exceptions.
"""

from __future__ import annotations

import ast
import copy
from typing import Any

from srcdiff.errors import (
    Loc,
    NeedsExample,
    SrcdiffError,
    TraceError,
    UnsupportedPrimitive,
    UnsupportedSyntax,
)
from srcdiff.ir.nodes import Const, Var, walk_vars
from srcdiff.ir.prims import GETITEM
from srcdiff.ir.values import is_traced
from srcdiff.trace import loop, text
from srcdiff.trace.branch import trace_branch
from srcdiff.trace.frame import Break, Closure, Continue, Frame, Return, Tracing

_WHILE_LIMIT = 100_000


class Statements(Tracing):
    """``exec_*``, one method per kind of statement; ``truth`` and ``iterate``,
    what an ``if`` decides and a ``for`` loop sees."""

    def exec_block(self, body: list[ast.stmt], frame: Frame) -> None:
        for stmt in body:
            self.exec(stmt, frame)

    def exec(self, node: ast.stmt, frame: Frame) -> None:
        self.progress()
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
        if self._decided_when_run(test, frame) and trace_branch(
            self, node, test, frame
        ):
            return
        if self.truth(test, node.test, frame, "if"):
            self.exec_block(node.body, frame)
        else:
            self.exec_block(node.orelse, frame)

    def exec_For(self, node: ast.For, frame: Frame) -> None:
        header, iterable = loop.for_header(self, node, frame)
        if header is not None and self._roll(node, frame, header):
            return
        if header is not None and header.over is None:
            iterable = loop.unrolled_range(header, self, frame.loc(node.iter))
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
        self, node: ast.For | ast.While, frame: Frame, header: loop.Header | None
    ) -> bool:
        """Trace the loop rolled if it should be; False: unroll it instead."""
        statics = [] if header is None else loop.static_params(header, self)
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
            rolled = loop.trace_rolled(self, node, frame, header)
        except loop.NotRollable as exc:
            if dynamic:
                raise loop.refuse(node, frame, str(exc)) from None
            self.static_reads.update(statics)
            return False
        except SrcdiffError as exc:
            # The body read the trip's index or values as only a rolled trip
            # has them (``hs[t]`` on a Python list, ``print(i)``). With the
            # trips known, trace it unrolled instead: an error that was not
            # the rolling's fault happens there again and reports itself.
            if dynamic or isinstance(exc, loop.RanAway):
                raise
            self.static_reads.update(statics)
            return False
        self.builder.stmts.append(rolled)
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
        if isinstance(value, text.Text):
            raise text.refusal(frame.loc(node), f"`{keyword}` on it")
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
        condition = f"{keyword} {ast.unparse(node)}"
        self.builder.guard(value, decision, loc, condition)
        return decision


def _load(target: ast.expr) -> ast.expr:
    """An assignment target read as an expression (``A[i]`` in ``A[i] += v``)."""
    node = copy.deepcopy(target)
    for child in ast.walk(node):
        if hasattr(child, "ctx"):
            child.ctx = ast.Load()
    return node
