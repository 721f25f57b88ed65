"""Reverse mode: activity analysis, then one adjoint rule per active statement.

Walks the forward statements backwards. For each statement on a path from a
``wrt`` input to the output, it sums the adjoint contributions of the result,
runs the primitive's rule through the tracer (so the rule's NumPy becomes
ordinary IR appended after the forward sweep), and hands each contribution to
the input it belongs to. Inputs outside that path never get adjoints.
"""

from __future__ import annotations

import inspect
from typing import Any

import numpy as np

from srcdiff.errors import UnsupportedPrimitive
from srcdiff.ir.nodes import (
    Assign,
    Branch,
    Const,
    Loop,
    Stmt,
    Var,
    next_serial,
    walk_vars,
)
from srcdiff.ir.prims import (
    ASTYPE,
    DTYPE,
    GETITEM,
    PRIMS,
    TO_FLOAT,
    TUPLE_ITEM,
)
from srcdiff.ir.values import shape_of
from srcdiff.reverse import branch, loop
from srcdiff.reverse.accumulate import (
    accumulate,
    name_adjoint,
    real_for_real,
    writable,
)
from srcdiff.reverse.activity import active_vars
from srcdiff.reverse.context import Context
from srcdiff.reverse.shifts import shift_invariant
from srcdiff.rules import rule_for
from srcdiff.rules.registry import wanted


def gradients(ctx: Context, output: Any, wrt: list[Any]) -> list[Any]:
    """Append the adjoint sweep; return each ``wrt`` value's gradient structure."""
    builder = ctx.builder
    forward = list(builder.stmts)
    builder.adjoint_serial = next_serial()
    leaves = [v for w in wrt for v in walk_vars(w)]
    active = active_vars(forward, leaves, output) - shift_invariant(forward, output)
    adjoints: dict[Var, list[Any]] = {}
    if isinstance(output, Var) and output in active:
        adjoints[output] = [_seed(ctx, output)]
    backprop(ctx, forward, active, adjoints)
    return [_structure(ctx, w, adjoints) for w in wrt]


def _seed(ctx: Context, output: Var) -> Any:
    """1.0, or ones shaped like an output that holds one number in an array
    (shape (1,)): rules that reshape their adjoint need its rank."""
    if not shape_of(output):
        return 1.0
    return ctx.builder.bind(PRIMS[np.ones_like], (output,), loc=output.loc)


def backprop(
    ctx: Context, stmts: list[Stmt], active: set[Var], adjoints: dict[Var, list[Any]]
) -> None:
    """Append the adjoint of ``stmts``; ``adjoints`` goes from the adjoints of
    their results to those of what they read."""
    for stmt in reversed(stmts):
        if isinstance(stmt, Loop):
            loop.reverse_loop(ctx, stmt, active, adjoints, backprop)
            continue
        if isinstance(stmt, Branch):
            branch.reverse_branch(ctx, stmt, active, adjoints, backprop)
            continue
        if not isinstance(stmt, Assign) or stmt.var not in active:
            continue
        contributions = adjoints.pop(stmt.var, None)
        if not contributions:
            continue
        g = real_for_real(ctx, stmt.var, accumulate(ctx, contributions, stmt.var))
        for var, contribution in _apply_rule(ctx, stmt, g):
            if var not in active or contribution is None:
                continue
            if isinstance(contribution, _Refused):
                raise contribution.error()
            adjoints.setdefault(var, []).append(contribution)


def _apply_rule(ctx: Context, stmt: Assign, g: Any) -> list[tuple[Var, Any]]:
    if stmt.prim is TUPLE_ITEM:
        # The adjoint of one result of a tuple: that slot, the others None.
        whole, index = stmt.args
        slots = [None] * ctx.builder.arity(whole)
        slots[index] = g
        return [(whole, tuple(slots))]
    rule = rule_for(stmt.prim)
    if rule is None:
        raise UnsupportedPrimitive(
            f"srcdiff has no derivative for {stmt.prim.name} yet",
            stmt.loc,
            wanted(stmt.prim, "vjp")
            or "Rewrite this step with supported functions (docs/coverage.md lists "
            "them), or keep it out of the path from the differentiated argument.",
        )
    try:
        inspect.signature(rule).bind(g, stmt.var, *stmt.args, **stmt.kwargs)
    except TypeError as exc:
        raise UnsupportedPrimitive(
            f"srcdiff cannot differentiate {stmt.prim.name} called this way: {exc}",
            stmt.loc,
            "Drop keywords such as dtype= or out=, or compute that part outside the "
            "differentiated function.",
        ) from None
    # A rule that refuses a form (`raise NotImplementedError(...)`) surfaces
    # from the ctx as a located UnsupportedPrimitive.
    results = ctx.run_rule(rule, (g, stmt.var, *stmt.args), stmt.kwargs, stmt.loc)
    if not isinstance(results, tuple):
        results = (results,)
    bound = inspect.signature(rule).bind(g, stmt.var, *stmt.args, **stmt.kwargs)
    bound.apply_defaults()  # contributions follow every parameter, in order
    primals = list(bound.arguments.values())[2:]
    pairs: list[tuple[Var, Any]] = []
    names = list(bound.arguments)[2:]
    for name, value, contribution in zip(names, primals, results, strict=False):
        if contribution is NotImplemented:  # the rule has no formula for this one
            pairs.extend((v, _Refused(stmt, name)) for v in walk_vars(value))
        elif contribution is not None:
            pairs.extend(_pair(ctx, value, contribution))
    return pairs


class _Refused:
    """A rule's ``NotImplemented`` for one input: an error once that input
    needs a gradient, nothing when it does not."""

    def __init__(self, stmt: Assign, name: str) -> None:
        self.stmt, self.name = stmt, name

    def error(self) -> UnsupportedPrimitive:
        return UnsupportedPrimitive(
            f"srcdiff has no derivative of {self.stmt.prim.name} with respect to "
            f"its argument {self.name!r}",
            self.stmt.loc,
            f"Keep {self.name!r} out of the path from the differentiated argument "
            "(pass it as a constant), or differentiate with respect to another one.",
        )


def _pair(ctx: Context, value: Any, contribution: Any) -> list[tuple[Var, Any]]:
    """Match a (possibly nested) input with its contribution, leaf by leaf.

    A list of arrays passed where NumPy wants one array (``np.sum([x, y])``)
    gets its contribution split along the first axis.
    """
    if isinstance(value, Var):
        return [(value, contribution)]
    if not isinstance(value, (list, tuple)) or not list(walk_vars(value)):
        return []
    if not isinstance(contribution, (list, tuple)):
        loc = next(walk_vars(value)).loc
        bind = ctx.builder.bind
        contribution = [
            bind(GETITEM, (contribution, i), loc=loc) for i in range(len(value))
        ]
    return [
        p for v, c in zip(value, contribution, strict=True) for p in _pair(ctx, v, c)
    ]


def _structure(ctx: Context, value: Any, adjoints: dict[Var, list[Any]]) -> Any:
    """The gradient of one input, in the input's own container structure."""
    if isinstance(value, Var):
        return _leaf_gradient(ctx, value, adjoints.get(value, []))
    if isinstance(value, (list, tuple)):
        return type(value)(_structure(ctx, v, adjoints) for v in value)
    if isinstance(value, dict):
        return {k: _structure(ctx, v, adjoints) for k, v in value.items()}
    return None


def leaf_dtype(ctx: Context, leaf: Var, grad: Any) -> Any:
    """A float32 argument gets a float32 gradient, as autograd, JAX and torch
    give (a float64 constant in the rules would otherwise promote it)."""
    if not (leaf.known and isinstance(leaf.value, (np.ndarray, np.generic))):
        return grad
    if not isinstance(grad, Var) or not grad.known or grad.dtype == leaf.dtype:
        return grad
    if not np.issubdtype(leaf.dtype, np.inexact):
        return grad
    bind = ctx.builder.bind
    return bind(ASTYPE, (grad, bind(DTYPE, (leaf,), loc=leaf.loc)), loc=leaf.loc)


def _leaf_gradient(ctx: Context, leaf: Var, contributions: list[Any]) -> Any:
    bind = ctx.builder.bind
    if not contributions:
        if leaf.known and isinstance(leaf.value, float):
            return 0.0
        zeros = bind(PRIMS[np.zeros_like], (leaf,), loc=leaf.loc)
        name_adjoint(zeros, leaf)
        return zeros
    grad = accumulate(ctx, contributions, leaf)
    if leaf.known and shape_of(grad) != leaf.shape:
        shape = ctx.builder.shape_value(leaf)
        grad = bind(PRIMS[np.broadcast_to], (grad, shape), loc=leaf.loc)
    grad = writable(ctx, grad)
    grad = real_for_real(ctx, leaf, grad)
    grad = leaf_dtype(ctx, leaf, grad)
    if isinstance(grad, Const) or (
        isinstance(grad, Var) and grad.kind in ("param", "leaf")
    ):
        # Never hand back the caller's own array (d/dx sum(x * W) is W).
        grad = ctx.builder.bind(PRIMS[np.copy], (grad,), loc=leaf.loc)
    python_float = leaf.known and isinstance(leaf.value, float)
    if python_float and isinstance(grad, Var) and isinstance(grad.value, np.ndarray):
        grad = bind(TO_FLOAT, (grad,), loc=leaf.loc)
    if isinstance(grad, Var):
        name_adjoint(grad, leaf)
    return grad
