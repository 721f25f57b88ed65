"""Max-shifts that softmax and log-softmax undo: no derivative flows to them.

``e = np.exp(z - m)`` with ``m = np.max(z, axis=1, keepdims=True)`` keeps
``exp`` from overflowing; ``e / np.sum(e, axis=1, keepdims=True)`` and
``s - np.log(np.sum(np.exp(s), axis=1, keepdims=True))`` (``s = z - m``) do
not change when m does. Differentiated as written, m's adjoint is a sum that
is exactly zero in exact arithmetic, spread over the maxima through a
``winners`` mask: work and lines that a person leaves out. ``shift_invariant``
finds the maxima whose every use is such a shift, so that the adjoint sweep
treats them as constants (``stop_gradient``), which they are for the value.
"""

from __future__ import annotations

from collections import defaultdict
from typing import Any

import numpy as np

from srcdiff.ir.nodes import Assign, Stmt, Var, stmt_inputs, walk_vars
from srcdiff.ir.prims import DIV, PRIMS, SUB

_MAX, _SUM, _EXP, _LOG = (PRIMS[f] for f in (np.max, np.sum, np.exp, np.log))


Uses = dict[Var, list[Stmt | None]]


def shift_invariant(stmts: list[Stmt], output: Any) -> set[Var]:
    """The maxima among ``stmts`` (top level) whose only uses are shifts
    that a softmax or log-softmax of the same axis undoes."""
    defs = {s.var: s for s in stmts if isinstance(s, Assign)}
    uses: Uses = defaultdict(list)
    for stmt in stmts:
        for var in set(stmt_inputs(stmt)):
            uses[var].append(stmt)
    for var in walk_vars(output):
        uses[var].append(None)  # returned: a use no rule below allows
    found = set()
    for stmt in defs.values():
        if stmt.prim is not _MAX or not _over_kept_axis(stmt):
            continue
        axis, shifts = stmt.kwargs.get("axis"), uses[stmt.var]
        if shifts and all(
            _shift_of(use, stmt) and _undone(use.var, axis, defs, uses)  # type: ignore[union-attr]
            for use in shifts
        ):
            found.add(stmt.var)
    return found


def _over_kept_axis(stmt: Assign) -> bool:
    """``np.max(z, axis=a, keepdims=True)`` or ``np.max(z)``: a shift that
    broadcasts back over what it was taken along."""
    if len(stmt.args) != 1 or set(stmt.kwargs) - {"axis", "keepdims"}:
        return False
    return stmt.kwargs.get("axis") is None or stmt.kwargs.get("keepdims") is True


def _shift_of(use: Stmt | None, top: Assign) -> bool:
    """``z - m`` for ``m = np.max(z, ...)``."""
    return _applies(use, SUB, top.args[0], top.var)


def _applies(stmt: Stmt | None, prim: Any, *args: Any) -> bool:
    """Whether ``stmt`` is ``prim(*args)``, the same Vars, no options."""
    return (
        isinstance(stmt, Assign)
        and stmt.prim is prim
        and not stmt.kwargs
        and len(stmt.args) == len(args)
        and all(a is b for a, b in zip(stmt.args, args, strict=True))
    )


def _undone(shifted: Var, axis: Any, defs: dict[Var, Assign], uses: Uses) -> bool:
    """Whether every use of ``s = z - m`` ends in ``e / total`` or
    ``s - log(total)``, where ``e = exp(s)`` and ``total`` its sum over
    ``axis``."""
    for use in uses[shifted]:
        if _applies(use, _EXP, shifted) and _exp_undone(
            use.var,  # type: ignore[union-attr]
            shifted,
            axis,
            defs,
            uses,
        ):
            continue
        if (
            isinstance(use, Assign)
            and use.prim is SUB
            and use.args[0] is shifted
            and _log_total_of(use.args[1], shifted, axis, defs)
        ):
            continue
        return False
    return True


def _exp_undone(
    e: Var, shifted: Var, axis: Any, defs: dict[Var, Assign], uses: Uses
) -> bool:
    """Every use of ``e`` is its total along ``axis`` or ``e / total``; every
    use of the total divides e or is a log read only by ``s - log(total)``."""
    for use in uses[e]:
        if not isinstance(use, Assign):
            return False
        if _is_total(use, e, axis):
            for reader in uses[use.var]:
                if _applies(reader, DIV, e, use.var):
                    continue
                if _applies(reader, _LOG, use.var) and all(
                    _applies(u, SUB, shifted, reader.var)  # type: ignore[union-attr]
                    for u in uses[reader.var]  # type: ignore[union-attr]
                ):
                    continue
                return False
            continue
        second = use.args[1] if len(use.args) == 2 else None
        total = defs.get(second) if isinstance(second, Var) else None
        if use.prim is DIV and use.args[0] is e and _is_total(total, e, axis):
            continue
        return False
    return True


def _is_total(stmt: Stmt | None, e: Var, axis: Any) -> bool:
    """``np.sum(e, axis=axis, keepdims=True)`` (or ``np.sum(e)``)."""
    if not isinstance(stmt, Assign) or stmt.prim is not _SUM:
        return False
    if len(stmt.args) != 1 or stmt.args[0] is not e:
        return False
    if set(stmt.kwargs) - {"axis", "keepdims"} or stmt.kwargs.get("axis") != axis:
        return False
    return axis is None or stmt.kwargs.get("keepdims") is True


def _log_total_of(value: Any, shifted: Var, axis: Any, defs: dict[Var, Assign]) -> bool:
    """Whether ``value`` is ``log(sum(exp(s), axis=axis, keepdims=True))``."""
    log = defs.get(value) if isinstance(value, Var) else None
    if log is None or log.prim is not _LOG or len(log.args) != 1 or log.kwargs:
        return False
    total = defs.get(log.args[0]) if isinstance(log.args[0], Var) else None
    if total is None:
        return False
    e = defs.get(total.args[0]) if isinstance(total.args[0], Var) else None
    return _applies(e, _EXP, shifted) and _is_total(total, total.args[0], axis)
