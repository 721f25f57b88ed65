"""The adjoint rule registry: one plain-NumPy function per primitive.

A rule takes ``g`` (the incoming adjoint), ``ans`` (the primal result) and the
primal's own parameters, and returns one contribution per differentiable
input, in parameter order (a lone value stands for the first). ``reverse``
runs rule bodies through the tracer, so they may branch on static facts such
as ``a.ndim``; ``known(...)`` tells a rule whether those facts exist.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

import numpy as np

from srcdiff.ir.prims import Prim, lookup

RULES: dict[Prim, Callable[..., Any]] = {}
# Per-rule notes for the coverage table (domain, convention at ties).
NOTES: dict[Prim, str] = {}


def adjoint(
    *objects: Any, note: str = ""
) -> Callable[[Callable[..., Any]], Callable[..., Any]]:
    """Register the decorated function as the adjoint rule of ``objects``."""

    def register(rule: Callable[..., Any]) -> Callable[..., Any]:
        for obj in objects:
            prim = lookup(obj)
            if prim is None:
                raise KeyError(f"{obj!r} is not a registered primitive")
            RULES[prim] = rule
            if note:
                NOTES[prim] = note
        return rule

    return register


def known(*values: Any) -> bool:
    """True when shapes are known. On arrays always; tracing answers for IR values."""
    return all(np.ndim(v) >= 0 for v in values)


def assume_real(value: Any) -> bool:
    """Whether a rule may take ``value`` as real. On arrays: whether it is real.
    Tracing without an example answers True and has the emitted code check it
    (``if np.iscomplexobj(x): raise PathChanged(...)``), so a derivative made
    for real inputs never runs silently on complex ones."""
    return not np.iscomplexobj(value)


def assume_symmetric(a: Any) -> bool:
    """Whether a rule may take the matrices of ``a`` as symmetric. On arrays:
    whether they are. Tracing answers from the example and has the emitted
    code check it (``if not np.array_equal(K, K.T): raise PathChanged(...)``),
    so a derivative made for a symmetric K never runs on another; without an
    example it answers False."""
    return bool(np.array_equal(a, np.swapaxes(a, -1, -2)))


def computed(fn: Callable[..., Any], *args: Any) -> Any:
    """``fn(*args)`` where the program computes it already (a factor or an
    inverse worth sharing), else None. On arrays there is no program: None."""
    return None


def rule_for(prim: Prim) -> Callable[..., Any] | None:
    return RULES.get(prim)
