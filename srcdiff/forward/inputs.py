"""The tangent parameters of ``<f>_jvp``: one per ``wrt`` argument.

Each is named ``d<arg>`` (``dparams``, ``dparams_W1`` for ``params['W1']``)
and holds a value of the argument's structure, shapes and dtypes: its leaves
are the Vars the forward sweep starts from. They follow ``f``'s parameters,
keyword-only where ``f`` has defaults or ``*args``/``**kwargs``.
"""

from __future__ import annotations

import ast
import copy
import operator
import re
from typing import Any

import numpy as np

from srcdiff import helpers
from srcdiff.ir.nodes import (
    UNKNOWN,
    Assign,
    Stmt,
    Var,
    all_stmts,
    map_leaves,
    walk_vars,
)
from srcdiff.ir.prims import EITHER, GETITEM, PRIMS, helper_prim
from srcdiff.ir.values import token

SHAPE, NE = PRIMS[np.shape], PRIMS[operator.ne]
SHAPED_ALIKE = helper_prim(helpers.shaped_alike)


def tangent_name(item: str, taken: list[str]) -> str:
    """``x`` -> ``dx``; ``params['W1']`` -> ``dparams_W1``; never a name of
    ``f``'s parameters."""
    name = "d" + "_".join(w for w in re.split(r"\W+", item) if w)
    while name in taken:
        name += "_"
    return name


def vector_name(item: str, taken: list[str], several: bool) -> str:
    """The vector ``srcdiff.hvp`` multiplies the Hessian by: ``v``, or
    ``v_x`` and ``v_y`` for several ``wrt``; never a name of ``f``'s."""
    name = "v_" + "_".join(w for w in re.split(r"\W+", item) if w) if several else "v"
    while name in taken:
        name += "_"
    return name


def inputs(
    wrt: tuple[str, ...], values: list[Any], params: list[str], vectors: bool = False
) -> dict[str, Any]:
    """By name, the tangent of each ``wrt`` value: its leaves are Vars shaped
    like the value's (on the example when there is one). ``vectors``: named
    as ``srcdiff.hvp``'s vectors (``v``), not as tangents (``dx``)."""
    made: dict[str, Any] = {}
    for item, value in zip(wrt, values, strict=True):
        taken = params + list(made)
        name = (
            vector_name(item, taken, len(wrt) > 1)
            if vectors
            else tangent_name(item, taken)
        )
        made[name] = _tangent_of(name, value, top=True)
    return made


def _tangent_of(name: str, value: Any, top: bool = False) -> Any:
    def leaf(primal: Any, whole: bool = False) -> Any:
        if not isinstance(primal, Var):
            return primal
        known = primal.value is not UNKNOWN
        like = copy.copy(primal.value) if known else UNKNOWN
        if isinstance(like, np.ndarray):
            like = like.copy()
        if whole:  # the parameter itself
            tangent = Var(name, like, primal.loc, "param", like=primal)
        else:
            tangent = Var(name, like, primal.loc, "leaf", path=_path(primal, value))
            tangent.like = primal
        if not known:
            tangent.sym = token(primal)
        return tangent

    if isinstance(value, Var):
        return leaf(value, whole=True)
    return map_leaves(value, leaf)


def _path(primal: Var, value: Any) -> tuple[Any, ...]:
    """Where a leaf sits in the tangent: where it sits in the wrt value."""
    return next(p for p, v in _paths(value, ()) if v is primal)


def _paths(value: Any, at: tuple[Any, ...]) -> Any:
    if isinstance(value, Var):
        yield at, value
    elif isinstance(value, (list, tuple)):
        for i, item in enumerate(value):
            yield from _paths(item, (*at, i))
    elif isinstance(value, dict):
        for key, item in value.items():
            yield from _paths(item, (*at, key))


def name_after_primals(tangents: dict[str, Any], prefix: str = "d") -> None:
    """Call each leaf of a tangent ``d<name of its primal>`` (``dW1``; ``v_W1``
    with ``prefix="v_"``): the primal's name is known once tracing has
    unpacked the argument."""
    for value in tangents.values():
        if isinstance(value, Var):
            continue
        for leaf in walk_vars(value):
            if leaf.like is not None:
                leaf.hint = prefix + leaf.like.hint


def signature(args: ast.arguments, names: list[str]) -> ast.arguments:
    """``f``'s parameters and then the tangents: positional after plain
    parameters, keyword-only after defaults or ``*args``."""
    args = copy.deepcopy(args)
    plain = not (args.defaults or args.vararg or args.kwonlyargs or args.kwarg)
    if plain:
        args.args += [ast.arg(name) for name in names]
    else:
        args.kwonlyargs += [ast.arg(name) for name in names]
        args.kw_defaults += [None] * len(names)
    return args


def docstring(fn_name: str, tangents: dict[str, Any]) -> str:
    return f"Value and tangent of {fn_name} along {', '.join(tangents)} (forward mode)."


def shape_checks(
    builder: Any,
    tangents: dict[str, Any],
    wrt: tuple[str, ...],
    values: list[Any],
    locs: list[Any],
) -> list[Stmt]:
    """``if np.shape(dx) != np.shape(x): raise PathChanged(...)``, for the top
    of the function: a tangent of another shape could broadcast and give a
    wrong tangent silently."""
    indexed = {
        s.args[0]
        for s in all_stmts(builder.stmts)
        if isinstance(s, Assign) and s.prim is GETITEM
    }
    out: list[Stmt] = []
    with builder.block(out, builder.entry_seen):
        for name, item, value, loc in zip(tangents, wrt, values, locs, strict=True):
            pairs = zip(walk_vars(tangents[name]), walk_vars(value), strict=True)
            wrong = []
            for leaf, primal in pairs:
                if primal.known and not isinstance(primal.value, np.ndarray):
                    continue  # a number: its tangent is one too
                if not primal.known and primal in indexed:  # a list or dict?
                    alike = builder.bind_raw(SHAPED_ALIKE, (leaf, primal), loc)
                    what = f"{name} is not shaped like {item}"
                    builder.guard(alike, True, loc, what, message=what)
                    continue
                shapes = tuple(
                    builder.bind_raw(SHAPE, (v,), loc) for v in (leaf, primal)
                )
                wrong.append(builder.bind_raw(NE, shapes, loc))
            if wrong:
                cond = (
                    wrong[0] if len(wrong) == 1 else builder.bind(EITHER, tuple(wrong))
                )
                what = f"{name} is not shaped like {item}"
                builder.guard(cond, False, loc, what, message=what)
    return out
