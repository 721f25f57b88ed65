"""``scipy.special.logsumexp`` in NumPy: the same value, six times faster.

SciPy's ``logsumexp`` handles weights, signs, complex numbers and the array
API, which costs about 60 us a call on a small array, more than the rest of a
small model's gradient. ``numpy_form`` is a peephole the builder calls as it
binds each statement: the plain call (no ``b=``, no ``return_sign=``) of a
float array becomes a call of ``srcdiff.helpers.logsumexp``, copied into the
emitted file, so the code reads the same and needs no SciPy.
``one_logsumexp`` is a whole-program pass: where the program also calls
SciPy's (with ``b=``), every call stays SciPy's, since the copied helper
would hide SciPy's name.
"""

from __future__ import annotations

import sys
from typing import Any

import numpy as np

from srcdiff.ir.nodes import Assign, Program, Var, all_stmts
from srcdiff.ir.prim import Prim
from srcdiff.ir.prims import LOGSUMEXP, PRIMS

_PLAIN = ("a", "axis", "keepdims")


def numpy_form(
    prim: Prim, args: tuple[Any, ...], kwargs: dict[str, Any]
) -> tuple[tuple[Any, ...], dict[str, Any]] | None:
    """The helper's arguments for a call of SciPy's ``logsumexp`` it can
    stand in for, or None."""
    if prim is not _scipy_logsumexp() or len(args) > 2:
        return None
    named = {**dict(zip(("a", "axis"), args, strict=False)), **kwargs}
    if not set(named) <= set(_PLAIN) or "a" not in named:
        return None
    a = named.pop("a")
    if not isinstance(a, Var) or not a.known:  # no example: SciPy's, any dtype
        return None
    if not np.issubdtype(a.dtype, np.floating):  # SciPy casts ints and bools
        return None
    return (a,), named


def one_logsumexp(program: Program) -> Program:
    """SciPy's ``logsumexp`` everywhere when some call needs it (``b=``)."""
    scipy_prim = _scipy_logsumexp()
    stmts = [s for s in all_stmts(program.stmts) if isinstance(s, Assign)]
    if scipy_prim is None or not any(s.prim is scipy_prim for s in stmts):
        return program
    for stmt in stmts:
        if stmt.prim is LOGSUMEXP:
            stmt.prim = scipy_prim
    return program


def _scipy_logsumexp() -> Prim | None:
    """SciPy's prim, if SciPy is in use (importing it is slow)."""
    special = sys.modules.get("scipy.special")
    return None if special is None else PRIMS.get(special.logsumexp)
