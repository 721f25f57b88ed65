"""Reverse mode: activity analysis, then one adjoint rule per active statement.

Walks the forward statements backwards. For each statement on a path from a
``wrt`` input to the output, it sums the adjoint contributions of the result,
runs the primitive's rule through the tracer (so the rule's NumPy becomes
ordinary IR appended after the forward sweep), and hands each contribution to
the input it belongs to. Inputs outside that path never get adjoints.
"""

from __future__ import annotations

import functools
import inspect
from typing import Any

import numpy as np

from . import branches, effects, helpers, loops
from .builder import shape_of
from .errors import UnsupportedPrimitive
from .ir import (
    Assign,
    Branch,
    Const,
    Loop,
    Stmt,
    Var,
    stmt_inputs,
    stmt_outputs,
    walk_vars,
)
from .names import DELTA
from .primitives import (
    ADD,
    ASTYPE,
    DTYPE,
    GETITEM,
    INDEX_ADD,
    PRIMS,
    TO_FLOAT,
    TUPLE_ITEM,
)
from .rules import rule_for
from .trace import Tracer


def active_vars(stmts: list[Any], sources: list[Var], output: Any) -> set[Var]:
    """Vars that depend on ``sources`` and that ``output`` depends on.

    A rolled loop counts as one statement defining all its results (its body
    gets an exact analysis of its own when it is reversed). A random draw whose
    arguments depend on ``sources`` and whose result reaches ``output`` is
    refused: it has no gradient, and treating it as constant would be wrong.
    """
    forward = set(sources)
    draws: list[Assign] = []
    for stmt in stmts:
        if isinstance(stmt, (Loop, Branch)):
            if any(v in forward for v in stmt_inputs(stmt)):
                forward.update(v for v in stmt_outputs(stmt) if can_carry_gradient(v))
            continue
        if isinstance(stmt, Assign) and stmt.prim.effect:
            reads = [v for v in stmt_inputs(stmt) if v in forward]
            if any(can_carry_gradient(v) for v in reads):
                draws.append(stmt)
        if not isinstance(stmt, Assign) or not stmt.prim.differentiable:
            continue
        reached = any(v in forward for v in stmt_inputs(stmt))
        if reached and can_carry_gradient(stmt.var):
            forward.add(stmt.var)
    backward = set(walk_vars(output))
    for stmt in reversed(stmts):
        if any(v in backward for v in stmt_outputs(stmt)):
            backward.update(stmt_inputs(stmt))
    for stmt in draws:
        if stmt.var in backward:
            raise effects.draw_needs_gradient(stmt.prim, stmt.loc)
    return forward & backward


def can_carry_gradient(var: Var) -> bool:
    """Integer and boolean results (``x.astype(int)``, masks) have no gradient."""
    if var.exact:
        return False
    dtype = var.dtype
    return dtype is None or np.issubdtype(dtype, np.inexact)


def gradients(tracer: Tracer, output: Any, wrt: list[Any]) -> list[Any]:
    """Append the adjoint sweep; return each ``wrt`` value's gradient structure."""
    builder = tracer.builder
    forward = list(builder.stmts)
    leaves = [v for w in wrt for v in walk_vars(w)]
    active = active_vars(forward, leaves, output)
    adjoints: dict[Var, list[Any]] = {}
    if isinstance(output, Var) and output in active:
        adjoints[output] = [_seed(tracer, output)]
    backprop(tracer, forward, active, adjoints)
    return [_structure(tracer, w, adjoints) for w in wrt]


def _seed(tracer: Tracer, output: Var) -> Any:
    """1.0, or ones shaped like an output that holds one number in an array
    (shape (1,)): rules that reshape their adjoint need its rank."""
    if not shape_of(output):
        return 1.0
    return tracer.builder.bind(PRIMS[np.ones_like], (output,), loc=output.loc)


def backprop(
    tracer: Tracer, stmts: list[Stmt], active: set[Var], adjoints: dict[Var, list[Any]]
) -> None:
    """Append the adjoint of ``stmts``; ``adjoints`` goes from the adjoints of
    their results to those of what they read."""
    for stmt in reversed(stmts):
        if isinstance(stmt, Loop):
            loops.reverse_loop(tracer, stmt, active, adjoints)
            continue
        if isinstance(stmt, Branch):
            branches.reverse_branch(tracer, stmt, active, adjoints)
            continue
        if not isinstance(stmt, Assign) or stmt.var not in active:
            continue
        contributions = adjoints.pop(stmt.var, None)
        if not contributions:
            continue
        g = real_for_real(tracer, stmt.var, accumulate(tracer, contributions, stmt.var))
        for var, contribution in _apply_rule(tracer, stmt, g):
            if var not in active or contribution is None:
                continue
            if isinstance(contribution, _Refused):
                raise contribution.error()
            adjoints.setdefault(var, []).append(contribution)


def _apply_rule(tracer: Tracer, stmt: Assign, g: Any) -> list[tuple[Var, Any]]:
    if stmt.prim is TUPLE_ITEM:
        # The adjoint of one result of a tuple: that slot, the others None.
        whole, index = stmt.args
        slots = [None] * tracer.builder.arity(whole)
        slots[index] = g
        return [(whole, tuple(slots))]
    rule = rule_for(stmt.prim)
    if rule is None:
        raise UnsupportedPrimitive(
            f"srcdiff has no derivative for {stmt.prim.name} yet",
            stmt.loc,
            "Rewrite this step with supported functions (docs/coverage.md lists "
            "them), or "
            "keep it out of the path from the differentiated argument.",
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
    # from the tracer as a located UnsupportedPrimitive.
    results = tracer.call_function(
        rule, (g, stmt.var, *stmt.args), stmt.kwargs, in_rule=True, rule_loc=stmt.loc
    )
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
            pairs.extend(_pair(tracer, value, contribution))
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


def _pair(tracer: Tracer, value: Any, contribution: Any) -> list[tuple[Var, Any]]:
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
        bind = tracer.builder.bind
        contribution = [
            bind(GETITEM, (contribution, i), loc=loc) for i in range(len(value))
        ]
    return [
        p for v, c in zip(value, contribution, strict=True) for p in _pair(tracer, v, c)
    ]


def accumulate(tracer: Tracer, contributions: list[Any], var: Var | None) -> Any:
    # A parameter has no statement of its own: a check the sum needs points
    # at the use that made the first contribution.
    made = (c.loc for c in contributions if isinstance(c, Var) and c.loc)
    loc = var.loc if var and var.loc else next(made, None)

    def add(a: Any, b: Any) -> Any:
        if isinstance(a, tuple):  # adjoints of tuple-valued results, slot by slot
            return tuple(
                x if y is None else y if x is None else add(x, y)
                for x, y in zip(a, b, strict=True)
            )
        return tracer.builder.bind(ADD, (a, b), loc=loc)

    contributions = _items_into_one(tracer, contributions, var)
    contributions = _scatters_into_one(tracer, contributions, var)
    total = functools.reduce(add, contributions)
    if isinstance(total, Var) and var is not None:
        _name_adjoint(total, var)
    return total


def _items_into_one(
    tracer: Tracer, contributions: list[Any], var: Var | None
) -> list[Any]:
    """Without an example, an argument read only item by item
    (``params['W']``, ``params[0]``) may be a dict, list or tuple as well as an
    array: its gradient is ``item_grads(params, {'W': dW, ...})``, which
    builds it in the argument's own type at run time (``scatter_add`` would
    take it for an array)."""
    builder = tracer.builder
    if var is None or not _maybe_container(builder, var):
        return contributions
    items: dict[Any, list[Any]] = {}
    for c in contributions:
        stmt = builder.defs.get(c) if isinstance(c, Var) else None
        if stmt is None or stmt.prim is not PRIMS[helpers.scatter_add]:
            return contributions
        grad, shape, key = stmt.args
        shape_stmt = builder.defs.get(shape) if isinstance(shape, Var) else None
        if (
            shape_stmt is None
            or shape_stmt.prim is not PRIMS[np.shape]
            or shape_stmt.args[0] is not var
            or not _item_key(key)
        ):
            return contributions
        items.setdefault(key, []).append(grad)
    # Contributions come last read first: list the keys in reading order.
    grads = {key: accumulate(tracer, items[key], None) for key in reversed(items)}
    loc = var.loc
    return [builder.bind(PRIMS[helpers.item_grads], (var, grads), loc=loc)]


def _maybe_container(builder: Any, var: Var) -> bool:
    """An argument traced without an example, or an item read from one by key,
    may hold a Python container rather than an array."""
    if var.known:
        return False
    if var.kind == "param" and not var.path:
        return True
    stmt = builder.defs.get(var)
    return (
        stmt is not None
        and stmt.prim is GETITEM
        and _item_key(stmt.args[1])
        and isinstance(stmt.args[0], Var)
        and _maybe_container(builder, stmt.args[0])
    )


def _item_key(key: Any) -> bool:
    return isinstance(key, (int, str)) and not isinstance(key, bool)


def _scatters_into_one(
    tracer: Tracer, contributions: list[Any], var: Var | None
) -> list[Any]:
    """Contributions of several indexings of one array (``u[:, -1]`` and
    ``u[:, :-1]``) go into one array: ``du = np.zeros(...)``, then
    ``du[:, -1] += ...`` per index, instead of one scattered array each."""
    builder = tracer.builder
    scatters = [c for c in contributions if _scattered(builder, c)]
    shapes = {_hashable_shape(builder.defs[c].args[1]) for c in scatters}
    if len(scatters) < 2 or len(shapes) != 1 or None in shapes:
        return contributions
    stmts = [builder.defs[c] for c in scatters]
    if any(
        np.iscomplexobj(s.args[0].value) for s in stmts if isinstance(s.args[0], Var)
    ):
        return contributions
    loc = var.loc if var else None
    shape = stmts[0].args[1]
    if var is not None and _same_shape(shape, builder.shape_value(var)):
        # np.zeros_like(w): w's shape and dtype (float32 stays float32)
        total = builder.bind(PRIMS[np.zeros_like], (var,), loc=loc)
    else:
        total = builder.bind(PRIMS[np.zeros], (shape,), loc=loc)
    if var is not None:
        _name_adjoint(total, var)
    for stmt in stmts:
        grad, _, index = stmt.args
        total = builder.bind(INDEX_ADD, (total, index, grad), loc=loc)
    rest = [c for c in contributions if c not in scatters]
    return [total, *rest]


def _same_shape(a: Any, b: Any) -> bool:
    """Two shapes of ints and size Vars (one Var per size) that are equal."""
    if not isinstance(a, (tuple, list)) or not isinstance(b, tuple) or len(a) != len(b):
        return False
    return all(
        x is y if isinstance(x, Var) else x == y for x, y in zip(a, b, strict=True)
    )


def _scattered(builder: Any, value: Any) -> bool:
    stmt = builder.defs.get(value) if isinstance(value, Var) else None
    return stmt is not None and stmt.prim is PRIMS[helpers.scatter_add]


def _hashable_shape(shape: Any) -> Any:
    """Shapes hold ints and size Vars (one Var per size, so by identity)."""
    if not isinstance(shape, (tuple, list)):
        return None
    return tuple(("size", id(s)) if isinstance(s, Var) else s for s in shape)


def _name_adjoint(adjoint: Var, primal: Var) -> None:
    """A temporary that is the whole adjoint of a named value is called d<name>;
    of an unnamed one, ``delta`` (backprop's word for it) unless what it
    computes gives a short name."""
    if adjoint.kind != "temp":
        return
    if primal.kind in ("user", "param", "leaf"):
        adjoint.kind, adjoint.adjoint_of = "adjoint", primal
    else:
        adjoint.hint = DELTA


def _structure(tracer: Tracer, value: Any, adjoints: dict[Var, list[Any]]) -> Any:
    """The gradient of one input, in the input's own container structure."""
    if isinstance(value, Var):
        return _leaf_gradient(tracer, value, adjoints.get(value, []))
    if isinstance(value, (list, tuple)):
        return type(value)(_structure(tracer, v, adjoints) for v in value)
    if isinstance(value, dict):
        return {k: _structure(tracer, v, adjoints) for k, v in value.items()}
    return None


def writable(tracer: Tracer, grad: Any) -> Any:
    """Gradients are returned as arrays of their own, never read-only broadcasts."""
    builder = tracer.builder
    stmt = builder.defs.get(grad) if isinstance(grad, Var) else None
    if stmt is None or stmt.prim is not PRIMS[np.broadcast_to] or not grad.known:
        return grad
    fill = builder.scalar_fill(grad)
    if fill is not None:
        shape = builder.shape_value(grad)
        return builder.bind(PRIMS[np.full], (shape, fill), loc=stmt.loc)
    return builder.bind(PRIMS[np.array], (grad,), loc=stmt.loc)


def real_for_real(tracer: Tracer, var: Var, grad: Any) -> Any:
    """A real value gets the real part of a complex adjoint (autograd's convention)."""
    if isinstance(grad, complex | np.complexfloating):  # folded to a number
        real = var.known and not np.iscomplexobj(var.value)
        return grad.real if real else grad
    known = isinstance(grad, Const) or (isinstance(grad, Var) and grad.known)
    if not (var.known and known):
        return grad
    if np.iscomplexobj(var.value) or not np.iscomplexobj(grad.value):
        return grad
    return tracer.builder.bind(PRIMS[np.real], (grad,), loc=var.loc)


def leaf_dtype(tracer: Tracer, leaf: Var, grad: Any) -> Any:
    """A float32 argument gets a float32 gradient, as autograd, JAX and torch
    give (a float64 constant in the rules would otherwise promote it)."""
    if not (leaf.known and isinstance(leaf.value, (np.ndarray, np.generic))):
        return grad
    if not isinstance(grad, Var) or not grad.known or grad.dtype == leaf.dtype:
        return grad
    if not np.issubdtype(leaf.dtype, np.inexact):
        return grad
    bind = tracer.builder.bind
    return bind(ASTYPE, (grad, bind(DTYPE, (leaf,), loc=leaf.loc)), loc=leaf.loc)


def _leaf_gradient(tracer: Tracer, leaf: Var, contributions: list[Any]) -> Any:
    bind = tracer.builder.bind
    if not contributions:
        if leaf.known and isinstance(leaf.value, float):
            return 0.0
        zeros = bind(PRIMS[np.zeros_like], (leaf,), loc=leaf.loc)
        _name_adjoint(zeros, leaf)
        return zeros
    grad = accumulate(tracer, contributions, leaf)
    if leaf.known and shape_of(grad) != leaf.shape:
        shape = tracer.builder.shape_value(leaf)
        grad = bind(PRIMS[np.broadcast_to], (grad, shape), loc=leaf.loc)
    grad = writable(tracer, grad)
    grad = real_for_real(tracer, leaf, grad)
    grad = leaf_dtype(tracer, leaf, grad)
    if isinstance(grad, Const) or (
        isinstance(grad, Var) and grad.kind in ("param", "leaf")
    ):
        # Never hand back the caller's own array (d/dx sum(x * W) is W).
        grad = tracer.builder.bind(PRIMS[np.copy], (grad,), loc=leaf.loc)
    python_float = leaf.known and isinstance(leaf.value, float)
    if python_float and isinstance(grad, Var) and isinstance(grad.value, np.ndarray):
        grad = bind(TO_FLOAT, (grad,), loc=leaf.loc)
    if isinstance(grad, Var):
        _name_adjoint(grad, leaf)
    return grad
