"""Tangents of single values: whether one has any, its zero, its name.

Shared by the sweep and the constructs (loops, branches) it hands blocks to.
"""

from __future__ import annotations

from typing import Any

import numpy as np

from srcdiff.forward.context import Context
from srcdiff.ir.nodes import Const, Var, walk_vars
from srcdiff.ir.prims import PRIMS
from srcdiff.names.namer import DELTA


def seeds(wrt: list[Any], given: list[Any]) -> dict[Var, Any]:
    """The tangent of each leaf of the ``wrt`` values: ``given`` holds one per
    value, of its structure, or a number for a value that is one Var (a
    constant tangent: 1.0 for the derivative along that number)."""
    tangents: dict[Var, Any] = {}
    for value, tangent in zip(wrt, given, strict=True):
        if isinstance(value, Var):
            tangents[value] = tangent
        else:
            tangents.update(zip(walk_vars(value), walk_vars(tangent), strict=True))
    return tangents


def has_tangent(value: Any, tangents: dict[Var, Any]) -> bool:
    return any(v in tangents for v in walk_vars(value))


def tangent_or_zero(ctx: Context, value: Any, tangents: dict[Var, Any]) -> Any:
    """The tangent of a value, or its zero: 0.0 for a number, zeros like it."""
    if isinstance(value, Var) and value in tangents:
        return tangents[value]
    if isinstance(value, Var) and value.known and isinstance(value.value, float):
        return 0.0
    if isinstance(value, (Var, Const)):
        return ctx.builder.bind(PRIMS[np.zeros_like], (value,), loc=value.loc)
    if isinstance(value, (bool, int, float, complex, np.number)):
        return 0.0
    return value  # None, a string, a dtype: not a number


def name_tangent(ctx: Context, tangent: Any, primal: Var) -> None:
    """The tangent of a named value ``h`` is called ``dh`` (``h_dot`` over a
    gradient, where ``dh`` is its adjoint; ``dh_dot`` is the adjoint's
    tangent); those of unnamed values stay temporaries, folded where read."""
    if not isinstance(tangent, Var) or tangent.kind != "temp":
        return
    if primal.kind in ("user", "param", "leaf"):
        tangent.kind, tangent.adjoint_of = ctx.tangent_kind, primal
    elif primal.kind == "adjoint" and ctx.tangent_kind == "tangent":
        tangent.kind, tangent.adjoint_of = "tangent", primal
    elif primal.hint == DELTA and ctx.tangent_kind == "tangent":
        tangent.hint = DELTA + "_dot"  # named so where no better name is found
