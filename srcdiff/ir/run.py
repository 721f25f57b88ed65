"""Run IR statements on concrete values.

A rolled loop's body is traced once, on the values of its first trip; the
later trips run here, so that the values after the loop (which the rest of
the trace reads) are the real ones, and a guard that a later trip would
fail is found while tracing rather than in the user's hands.
"""

from __future__ import annotations

from typing import Any

import numpy as np

from srcdiff.ir.nodes import Assign, Branch, Const, Guard, Loop, Stmt, Var, map_leaves

# A while loop that runs longer than this while tracing is reported.
WHILE_LIMIT = 100_000


class PathDiffers(Exception):
    """A guard inside a rolled loop fails on a later trip."""

    def __init__(self, guard: Guard) -> None:
        super().__init__(guard.text)
        self.guard = guard


class Runaway(Exception):
    """A while loop did not stop within WHILE_LIMIT trips."""


def resolve(value: Any, env: dict[Var, Any]) -> Any:
    """A nested argument with each Var replaced by its value in ``env``."""
    return map_leaves(value, lambda v: _value(v, env))


def _value(leaf: Any, env: dict[Var, Any]) -> Any:
    if isinstance(leaf, Var):
        return env.get(leaf, leaf.value)
    return leaf.value if isinstance(leaf, Const) else leaf


def run_block(stmts: list[Stmt], env: dict[Var, Any]) -> None:
    for stmt in stmts:
        if isinstance(stmt, Assign):
            args = resolve(stmt.args, env)
            kwargs = resolve(stmt.kwargs, env)
            with np.errstate(all="ignore"):
                env[stmt.var] = stmt.prim.impl(*args, **kwargs)
        elif isinstance(stmt, Guard):
            if bool(resolve(stmt.cond, env)) != stmt.expect:
                raise PathDiffers(stmt)
        elif isinstance(stmt, Branch):
            taken = bool(resolve(stmt.cond, env))
            run_block(stmt.then if taken else stmt.orelse, env)
            for m in stmt.merges:
                env[m.result] = resolve(m.then if taken else m.orelse, env)
        else:
            run_loop(stmt, env)


def run_loop(loop: Loop, env: dict[Var, Any]) -> int:
    """Run ``loop``, bind its results and return how many trips it ran."""
    for c in loop.carried:
        env[c.phi] = resolve(c.init, env)
    trips = 0
    if loop.test or loop.cond is not None:
        while True:
            run_block(loop.test, env)
            if not bool(resolve(loop.cond, env)):
                break
            if trips >= WHILE_LIMIT:
                raise Runaway
            _trip(loop, env, None)
            trips += 1
    else:
        for i in _indices(loop, env):
            _trip(loop, env, i)
            trips += 1
            if loop.stop is not None and bool(env[loop.stop.phi]):
                break
    for c in loop.carried:
        env[c.result] = env[c.phi]
    return trips


def _indices(loop: Loop, env: dict[Var, Any]) -> range:
    if loop.over is not None:
        return range(len(resolve(loop.over, env)))
    assert loop.bounds is not None
    return range(*resolve(loop.bounds, env))


def _trip(loop: Loop, env: dict[Var, Any], index: int | None) -> None:
    if loop.index is not None:
        env[loop.index] = index
    run_block(loop.body, env)
    updates = [resolve(c.update, env) for c in loop.carried]
    for c, value in zip(loop.carried, updates, strict=True):
        env[c.phi] = value
