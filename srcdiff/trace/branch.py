"""``if`` statements decided when the code runs, traced into a ``Branch``.

An ``if`` on a value no example gives, or on a value inside a rolled loop
(which changes from trip to trip), is traced down both arms into a
``Branch``: the names either arm rebinds are merged after it. Its adjoint is
``srcdiff.reverse.branch``.
"""

from __future__ import annotations

import ast
from typing import Any

import numpy as np

from srcdiff.errors import SrcdiffError
from srcdiff.ir.nodes import UNKNOWN, Branch, Const, Merge, Var
from srcdiff.ir.values import token
from srcdiff.trace.frame import ControlFlow, Frame, Interpreter, Return

_MISSING = object()
# The pseudo-name under which the value each arm returns is merged.
_RETURN = "<return>"


class _Unmergeable(Exception):
    pass


def trace_branch(tracer: Interpreter, node: ast.If, test: Var, frame: Frame) -> bool:
    """Trace both arms into a ``Branch``; False (nothing changed) when an arm
    returns, breaks out of a loop, or leaves a name holding something other
    than a number or an array."""
    builder = tracer.builder
    before = frame.snapshot()
    env = before[0]
    arms: list[tuple[list[Any], dict[str, Any]]] = []
    returned: list[Any] = []
    try:
        for body in (node.body, node.orelse):
            frame.restore(before)
            with builder.block([]) as stmts:
                try:
                    tracer.exec_block(body, frame)
                except Return as ret:  # this arm ends the function
                    returned.append(ret.value)
                    frame.env[_RETURN] = ret.value
            arms.append((stmts, dict(frame.env)))
    except (ControlFlow, SrcdiffError):
        return False
    finally:
        frame.restore(before)
    if len(returned) == 1:  # one arm returns, the other goes on: not merged
        return False
    (then, then_env), (orelse, else_env) = arms
    try:
        merges = _merges(test, then_env, else_env, env, frame.loc(node))
    except _Unmergeable:
        return False
    for name, merge in merges.items():
        frame.env[name] = merge.result
        frame.owned.pop(name, None)
    for name in set(then_env) ^ set(else_env):
        frame.env.pop(name, None)  # bound in one arm only: unusable after
    builder.stmts.append(
        Branch(test, then, orelse, list(merges.values()), frame.loc(node))
    )
    if returned:  # both arms return: so does the if, what the taken one does
        value = merges[_RETURN].result if _RETURN in merges else returned[0]
        frame.env.pop(_RETURN, None)
        raise Return(value)
    return True


def _merges(
    test: Var,
    then_env: dict[str, Any],
    else_env: dict[str, Any],
    before: dict[str, Any],
    loc: Any,
) -> dict[str, Merge]:
    merges: dict[str, Merge] = {}
    for name in [*then_env, *(n for n in else_env if n not in then_env)]:
        then = then_env.get(name, _MISSING)
        orelse = else_env.get(name, _MISSING)
        if then is orelse or _MISSING in (then, orelse):
            continue
        if then is before.get(name) and orelse is before.get(name):
            continue
        if not (_mergeable(then) and _mergeable(orelse)):
            raise _Unmergeable
        shapes = _shape(then), _shape(orelse)
        if UNKNOWN not in shapes and shapes[0] != shapes[1]:
            raise _Unmergeable
        value = UNKNOWN
        if test.known:
            value = _value(then if test.value else orelse)
        result = Var(name, value, loc, "user")
        result.like = then if isinstance(then, Var) else None
        if value is UNKNOWN:
            same = token(then) == token(orelse)
            result.sym = token(then) if same else None
        merges[name] = Merge(then, orelse, result)
    return merges


def _mergeable(value: Any) -> bool:
    if isinstance(value, Var):
        return not isinstance(value.value, (tuple, list))
    if isinstance(value, Const):
        return True
    return isinstance(value, (int, float, complex, np.number))


def _value(value: Any) -> Any:
    if isinstance(value, (Var, Const)):
        return value.value
    return value


def _shape(value: Any) -> Any:
    value = _value(value)
    return UNKNOWN if value is UNKNOWN else np.shape(value)
