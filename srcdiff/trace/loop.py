"""Keep a loop rolled: trace its body once into a ``Loop`` statement.

``for t in range(n)``, ``for row in xs`` and ``while cond`` are traced once
with each name the body reassigns (``h``, ``x``, ``i``) standing for its value
at the start of a trip. With an example the later trips then run on concrete
values (``srcdiff.ir.run``), so that the code after the loop sees real values.

A loop stays unrolled when unrolling reads better and is possible: its trip
count is known and trips * statements fits ``UNROLL_BUDGET``, or it loops
over a Python container. A loop that cannot be rolled (it grows a Python
list, changes a value's shape from trip to trip) is unrolled when its trips
are known, and reported otherwise; ``break``, ``continue`` and ``return``
are rewritten first (``srcdiff.parse.jumps``, ``returns``) so that they need not be.
"""

from __future__ import annotations

import ast
import copy
import operator
from dataclasses import dataclass
from typing import Any

import numpy as np

from srcdiff.errors import NeedsExample, SrcdiffError, TraceError
from srcdiff.ir.nodes import (
    UNKNOWN,
    Assign,
    Branch,
    Carried,
    Const,
    Loop,
    Stmt,
    Var,
    has_effects,
    substitute,
    substitute_value,
)
from srcdiff.ir.prims import BOTH, GETITEM, NOT, PRIMS, TESTS
from srcdiff.ir.run import PathDiffers, Runaway, run_loop
from srcdiff.ir.values import concrete, is_traced, token
from srcdiff.parse import jumps
from srcdiff.trace.frame import Frame, Interpreter

# Statements a loop may unroll into (trips * body statements) before it is
# kept rolled instead. Three layers of an MLP or a five-term series fit; a
# hundred-step integrator does not.
UNROLL_BUDGET = 100

# Key in ``promote`` for the names whose shape may change from trip to trip.
_LOOSE = "<shape may change>"
_LIST_METHODS = {"append", "extend", "insert", "pop", "remove", "update", "clear"}


@dataclass
class Header:
    """What a loop iterates over, evaluated once before deciding how to trace it."""

    bounds: tuple[Any, ...] | None = None
    over: Any = None
    trips: int | None = None


def for_header(
    tracer: Interpreter, node: ast.For, frame: Frame
) -> tuple[Header | None, Any]:
    """How a ``for`` would roll (None: over a Python container) and its iterable."""
    it = node.iter
    if isinstance(it, ast.Call) and isinstance(it.func, ast.Name) and not it.keywords:
        fn = tracer.eval(it.func, frame)
        if fn is range and 1 <= len(it.args) <= 3:
            args = [_bound(tracer, a, frame) for a in it.args]
            bounds = tuple(_as_index(a, frame.loc(it)) for a in args)
            if len(bounds) == 1:
                bounds = (0, *bounds)
            if len(bounds) == 2:
                bounds = (*bounds, 1)
            trips = None
            if not any(isinstance(b, Var) and not b.known for b in bounds):
                trips = len(range(*map(int, concrete(bounds))))
            return Header(bounds=bounds, trips=trips), None
    iterable = tracer.eval(it, frame)
    if isinstance(iterable, (Var, Const)) and not tracer.builder.arity(iterable):
        shape = iterable.shape if isinstance(iterable, Var) else iterable.value.shape
        trips = None if shape is None else (shape[0] if shape else None)
        return Header(over=iterable, trips=trips), iterable
    return None, iterable


def _bound(tracer: Interpreter, node: ast.expr, frame: Frame) -> Any:
    """A bound of ``range``; an int argument of the function stays its name
    (``range(steps)``) rather than the number it had when traced."""
    if (
        isinstance(node, ast.Name)
        and frame is tracer.top_frame
        and node.id in tracer.top_inputs
        and frame.env.get(node.id) is tracer.top_inputs[node.id]
        and type(frame.env[node.id]) is int
    ):
        return Var(node.id, frame.env[node.id], frame.loc(node), "param", sym=())
    return tracer.eval(node, frame)


def static_params(header: Header, tracer: Interpreter) -> list[str]:
    """The int arguments a ``range`` reads by name."""
    return [
        b.hint
        for b in header.bounds or ()
        if isinstance(b, Var) and b.kind == "param" and b.hint in tracer.top_inputs
    ]


def _as_index(value: Any, loc: Any) -> Any:
    if isinstance(value, Const):
        raise TraceError("range() of an array", loc)
    integer = not isinstance(value, Var) or not value.known or value.dtype.kind in "iu"
    if not integer:
        raise TraceError(f"range() of a {value.dtype} value", loc)
    return value


def unrolled_range(header: Header, tracer: Interpreter, loc: Any) -> range:
    """The range an unrolled loop runs: bounds read when the code runs are
    checked to be what they were when traced."""
    assert header.trips is not None
    builder = tracer.builder
    bounds = []
    for bound in header.bounds or ():
        if isinstance(bound, Var) and bound.size is None and bound.kind != "param":
            same = builder.bind(PRIMS[operator.eq], (bound, int(bound.value)), loc=loc)
            what = f"the loop ran {header.trips} times when traced"
            builder.guard(same, True, loc, what, message=what)
        bounds.append(
            builder.fixed_size(bound, loc) if isinstance(bound, Var) else int(bound)
        )
    return range(*bounds)


def why_not(node: ast.For | ast.While) -> str:
    """Why the loop cannot be kept rolled (empty if it can)."""
    for child in _walk_body(node):
        if isinstance(child, ast.Return):
            return "`return` inside a rolled loop"
        if (
            isinstance(child, ast.Call)
            and isinstance(child.func, ast.Attribute)
            and child.func.attr in _LIST_METHODS
        ):
            return f"`.{child.func.attr}(...)` on a Python container in a rolled loop"
    if node.orelse:
        return "`else:` on a rolled loop"
    return ""


def _walk_body(node: ast.For | ast.While) -> list[ast.AST]:
    """Nodes of the body, not descending into nested functions."""
    found: list[ast.AST] = []

    def visit(n: ast.AST) -> None:
        for child in ast.iter_child_nodes(n):
            if not isinstance(child, (ast.FunctionDef, ast.Lambda)):
                found.append(child)
                visit(child)

    for stmt in node.body:
        found.append(stmt)
        visit(stmt)
    return found


def assigned_names(node: ast.For | ast.While) -> list[str]:
    """Names the body binds, in order of first binding."""
    names: list[str] = []
    for child in _walk_body(node):
        targets: list[ast.expr] = []
        if isinstance(child, ast.Assign):
            targets = list(child.targets)
        elif isinstance(child, (ast.AugAssign, ast.AnnAssign, ast.For)):
            targets = [child.target]
        elif isinstance(child, ast.FunctionDef):
            names.append(child.name)
        for target in targets:
            for n in ast.walk(target):
                if isinstance(n, ast.Name) and isinstance(n.ctx, ast.Store):
                    names.append(n.id)
                elif isinstance(n, ast.Subscript) and isinstance(n.value, ast.Name):
                    names.append(n.value.id)
    return list(dict.fromkeys(names))


class NotRollable(Exception):
    """This loop has to be unrolled (the message says why)."""


class RanAway(TraceError):
    """A loop the example never leaves: unrolling it would not end either."""


def trace_rolled(
    tracer: Interpreter, node: ast.For | ast.While, frame: Frame, header: Header | None
) -> Loop:
    """Trace the loop once into a ``Loop`` and bind its results in ``frame``.

    Raises NotRollable, leaving ``frame`` and the builder as they were.
    """
    reason = why_not(node)
    if reason:
        raise NotRollable(reason)
    outside = frame.snapshot()
    flag = None
    if jumps.has_jumps(node.body):
        flag = jumps.flag_name(set(frame.env) | set(assigned_names(node)))
        node = copy.copy(node)
        node.body, uses_flag = jumps.without_jumps(node.body, flag)
        flag = flag if uses_flag else None
    start = ({**outside[0], flag: False}, outside[1]) if flag else outside
    frame.restore(start)
    env = start[0]
    target = (
        node.target.id
        if isinstance(node, ast.For) and isinstance(node.target, ast.Name)
        else None
    )
    names = [n for n in assigned_names(node) if n in env and n != target]
    promote: dict[str, Any] = {}
    # Each try draws on the example again: start each from the same state.
    restart_draws = tracer.builder.draws_kept()
    try:
        for _ in range(3):
            restart_draws()
            loop = _trace_once(tracer, node, frame, header, names, promote, flag)
            if not _learned_from_first_trip(loop, names, promote):
                break
            frame.restore(start)
        else:
            raise NotRollable("a value changes type from one trip to the next")
        if flag is not None and isinstance(node, ast.For):  # a while tests it
            stop = loop.carried[names.index(flag)]
            loop.stop = None if stop.update is stop.phi else stop
        if any(has_effects(s) for s in loop.body if not isinstance(s, Assign)):
            # A backward trip reads the forward trip's draws from a list; one
            # made only in some trips (an if) or in an inner loop it would
            # have to draw again.
            raise NotRollable("it draws random numbers inside an if or an inner loop")
        restart_draws()  # the trips run on the example draw what the code will
        _finish(tracer, loop, node, frame)
    except (NotRollable, SrcdiffError):
        restart_draws()  # traced unrolled instead, from the same state
        raise
    finally:
        frame.restore(outside)
    _mark_exact(loop)
    unchanged = {c.phi: c.init for c in loop.carried if c.update is c.phi}
    for name, c in zip(names, loop.carried, strict=True):
        if c.phi not in unchanged and name != flag:
            frame.env[name] = c.result
            frame.owned.pop(name, None)
    loop.carried = [c for c in loop.carried if c.phi not in unchanged]
    if unchanged:  # read, never reassigned: the body reads the value before
        loop.test = substitute(loop.test, unchanged)
        loop.body = substitute(loop.body, unchanged)
        loop.cond = substitute_value(loop.cond, unchanged)
        for c in loop.carried:
            c.update = substitute_value(c.update, unchanged)
    return loop


# Integer arithmetic that keeps integers (TESTS hold booleans).
_INTEGER_OPS = frozenset(
    ["add", "subtract", "multiply", "floor_divide", "remainder", "negative", "absolute"]
)


def _mark_exact(loop: Loop) -> None:
    """Mark the counters and flags a loop carries (``i = 0 ... i += 1``,
    ``stopped``) as integers, so that no adjoint is made for them even
    without an example: an int start whose every update stays an int."""
    candidates = {
        c.phi
        for c in loop.carried
        if isinstance(c.init, (int, np.integer)) or getattr(c.init, "exact", False)
    }
    while True:
        exact = set(candidates) | ({loop.index} if loop.index is not None else set())
        _exact_block([*loop.test, *loop.body], exact)
        lost = {c.phi for c in loop.carried if not _is_exact(c.update, exact)}
        if not candidates & lost:
            break
        candidates -= lost
    for var in exact:
        var.exact = True
    for c in loop.carried:
        c.result.exact = c.phi in candidates


def _exact_block(stmts: list[Stmt], exact: set[Var]) -> None:
    for stmt in stmts:
        if isinstance(stmt, Assign):
            if stmt.prim.name in TESTS or (
                stmt.prim.name in _INTEGER_OPS
                and all(_is_exact(a, exact) for a in stmt.args)
            ):
                exact.add(stmt.var)
        elif isinstance(stmt, Branch):
            _exact_block(stmt.then, exact)
            _exact_block(stmt.orelse, exact)
            for m in stmt.merges:
                if _is_exact(m.then, exact) and _is_exact(m.orelse, exact):
                    exact.add(m.result)


def _is_exact(value: Any, exact: set[Var]) -> bool:
    if isinstance(value, Var):
        return value in exact or value.exact
    return isinstance(value, (int, np.integer))  # bools are ints


def _trace_once(
    tracer: Interpreter,
    node: ast.For | ast.While,
    frame: Frame,
    header: Header | None,
    names: list[str],
    promote: dict[str, Any],
    flag: str | None,
) -> Loop:
    builder = tracer.builder
    loc = frame.loc(node)
    carried: list[Carried] = []
    for name in names:
        init = frame.env[name]
        if not _carriable(init):
            raise NotRollable(f"the loop changes `{name}`, a {type(init).__name__}")
        value = promote.get(name, _value_of(init))
        phi = Var(name, value, loc, kind="user")
        phi.like = init if isinstance(init, Var) else None
        if value is UNKNOWN:  # assume the shape stays; checked after the trip
            phi.sym = None if name in promote.get(_LOOSE, ()) else token(init)
        carried.append(Carried(phi, init, None, phi))
        frame.env[name] = phi
        if frame.owned.get(name) is init:
            frame.owned[name] = phi
    test: list[Stmt] = []
    body: list[Stmt] = []
    loop = Loop(carried, body, loc, test=test)
    with builder.block(test):
        if isinstance(node, ast.While):
            builder.stmts = test
            loop.cond = tracer.eval(node.test, frame)
            static = not is_traced(loop.cond)
            if static and (flag is None or not loop.cond):
                raise NotRollable("its condition does not depend on the loop")
            if flag is not None:  # break: while not stopped (and cond)
                go_on = builder.bind(NOT, (frame.env[flag],))
                if not static:
                    go_on = builder.bind(BOTH, (go_on, loop.cond))
                loop.cond = go_on
        builder.stmts = body  # after the test in the same trip: may reuse its values
        if isinstance(node, ast.For):
            assert header is not None
            loop.bounds, loop.over = header.bounds, header.over
            start = _value_of(header.bounds[0]) if header.bounds else 0
            index = Var("t", start, loc, kind="temp", sym=())
            if isinstance(node.target, ast.Name) and header.over is None:
                index.hint, index.kind = node.target.id, "user"
                tracer.assign(node.target, index, frame)
            else:
                row = builder.bind(GETITEM, (header.over, index), loc=loc)
                tracer.assign(node.target, row, frame)
            loop.index = index
        tracer.rolling += 1
        try:
            tracer.exec_block(node.body, frame)
        finally:
            tracer.rolling -= 1
    for c, name in zip(carried, names, strict=True):
        c.update = frame.env.get(name, c.phi)
        if not _carriable(c.update):
            raise NotRollable(
                f"`{name}` becomes a {type(c.update).__name__} in the loop"
            )
    return loop


def _carriable(value: Any) -> bool:
    if isinstance(value, (Var, Const)):
        return not isinstance(value, Var) or not isinstance(value.value, (tuple, list))
    return isinstance(value, (bool, int, float, complex, np.number))


def _value_of(value: Any) -> Any:
    if isinstance(value, Var):
        return value.value
    return concrete(value)


def _learned_from_first_trip(
    loop: Loop, names: list[str], promote: dict[str, Any]
) -> bool:
    """Whether the body must be traced again, with what ``promote`` now says.

    A number that starts known but is updated from unknown values starts
    unknown (no example: ``s = 0.0`` then ``s = s + f(x)``); a number whose
    update has another dtype starts as that dtype (``total = 0`` then
    ``total = total + x``).
    """
    updates = [_value_of(c.update) for c in loop.carried]
    if any(c.phi.known for c in loop.carried) and UNKNOWN in [
        u for u in updates if u is UNKNOWN
    ]:
        promote.update(dict.fromkeys(names, UNKNOWN))
        return True
    loose = {
        name
        for c, name in zip(loop.carried, names, strict=True)
        if not c.phi.known
        and c.phi.sym is not None
        and c.update is not c.phi
        and token(c.update) != c.phi.sym
    }
    if loose:  # a shape that changes from trip to trip: nothing assumed
        promote[_LOOSE] = promote.get(_LOOSE, set()) | loose
        return True
    changed = False
    for c, name, after in zip(loop.carried, names, updates, strict=True):
        before = c.phi.value
        if before is UNKNOWN or c.update is c.phi:
            continue
        if np.shape(before) != np.shape(after):
            raise NotRollable(
                f"`{name}` changes shape from {np.shape(before)} to {np.shape(after)}"
            )
        if np.result_type(before) != np.result_type(after):
            if name in promote:
                raise NotRollable(f"`{name}` changes dtype in the loop")
            target = np.result_type(before, after)
            promote[name] = np.asarray(before, dtype=target)
            if np.ndim(before) == 0:
                promote[name] = promote[name][()]
            changed = True
    return changed


def _finish(tracer: Interpreter, loop: Loop, node: ast.AST, frame: Frame) -> None:
    """Run the loop on the example (if any) and make its result Vars."""
    values: dict[Var, Any] = {}
    header_known = all(
        not isinstance(v, Var) or v.known for v in [*(loop.bounds or ()), loop.over]
    )
    if header_known and all(c.phi.known for c in loop.carried):
        try:
            trips = run_loop(loop, values)
        except PathDiffers as exc:
            raise NotRollable(
                f"a later trip takes another path at {exc.guard.loc}"
            ) from None
        except Runaway:
            raise RanAway(
                "this loop ran more than 100000 times while tracing",
                frame.loc(node),
                "Check that the loop condition can become false for the example.",
            ) from None
        if tracer.unroll is None and trips * _size(loop) <= UNROLL_BUDGET:
            raise NotRollable("it is short enough to read best unrolled")
    for c in loop.carried:
        c.result = Var(c.phi.hint, values.get(c.result, UNKNOWN), loop.loc, "user")
        c.result.like = c.phi
        if c.result.value is UNKNOWN:
            c.result.sym = c.phi.sym


def _size(loop: Loop) -> int:
    return sum(
        _size(s) if isinstance(s, Loop) else isinstance(s, Assign)
        for s in [*loop.test, *loop.body]
    ) + len(loop.carried)


def refuse(node: ast.AST, frame: Frame, reason: str) -> NeedsExample:
    """The error for a loop whose trips only the running code knows."""
    return NeedsExample(
        "this loop's trip count is known only when it runs, and srcdiff cannot "
        f"keep it rolled: {reason}",
        frame.loc(node),
        "Pass --example MODULE:CALLABLE (grad() traces with the real arguments) "
        "so srcdiff can unroll it, or rewrite the loop without that.",
    )
