"""The rule registry: per primitive, its adjoint rule and its tangent rules.

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
# What to write where a primitive has no rule yet, by mode ("vjp", "jvp"):
# a user's ``srcdiff.primitive`` before its ``defvjp`` or ``defjvp``.
WANTED: dict[Prim, dict[str, str]] = {}


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


# Tangent rules by primitive and argument position (``srcdiff.forward``).
TANGENTS: dict[Prim, dict[int, Callable[..., Any]]] = {}


def LINEAR(t: Any, ans: Any, *args: Any, **kwargs: Any) -> Any:
    """Marks a primitive linear in its argument(s): the forward pass applies
    the primitive itself to the tangents (zeros for arguments without one)."""
    raise TypeError("LINEAR marks a rule; srcdiff.forward applies the primitive")


def MULTILINEAR(t: Any, ans: Any, *args: Any, **kwargs: Any) -> Any:
    """Marks a product: the forward pass applies the primitive with this one
    argument replaced by its tangent, the others kept."""
    raise TypeError("MULTILINEAR marks a rule; srcdiff.forward applies it")


def _prims(objects: tuple[Any, ...]) -> list[Prim]:
    """The primitives of ``objects``: the functions they stand for, or
    primitives only the stages write (``prims.INDEX_ADD``)."""
    prims = [obj if isinstance(obj, Prim) else lookup(obj) for obj in objects]
    missing = [obj for obj, prim in zip(objects, prims, strict=True) if prim is None]
    if missing:
        raise KeyError(f"{missing[0]!r} is not a registered primitive")
    return [p for p in prims if p is not None]


def tangent(
    *objects: Any, argnum: int = 0
) -> Callable[[Callable[..., Any]], Callable[..., Any]]:
    """Register the decorated function as the tangent rule of argument
    ``argnum`` of ``objects``: ``rule(t, ans, *args, **kwargs)``."""

    def register(rule: Callable[..., Any]) -> Callable[..., Any]:
        for prim in _prims(objects):
            TANGENTS.setdefault(prim, {})[argnum] = rule
        return rule

    return register


def linear(*objects: Any, argnums: tuple[int, ...] = (0,)) -> None:
    """``objects`` are linear in the arguments ``argnums`` taken together."""
    for prim in _prims(objects):
        TANGENTS.setdefault(prim, {}).update(dict.fromkeys(argnums, LINEAR))


def multilinear(*objects: Any, argnums: tuple[int, ...] = (0, 1)) -> None:
    """``objects`` are linear in each argument of ``argnums`` on its own."""
    for prim in _prims(objects):
        TANGENTS.setdefault(prim, {}).update(dict.fromkeys(argnums, MULTILINEAR))


def ELEMENTWISE(t: Any, ans: Any, *args: Any, **kwargs: Any) -> Any:
    """Marks an elementwise function (with broadcasting) of this argument:
    its Jacobian is diagonal, so the adjoint rule run on the tangent (the
    argument broadcast to the result's shape, so that nothing is summed
    away) gives the argument's share."""
    raise TypeError("ELEMENTWISE marks a rule; srcdiff.forward runs the adjoint")


def elementwise(*objects: Any, argnums: tuple[int, ...] = (0,)) -> None:
    """``objects`` are elementwise in the arguments ``argnums``, and their
    adjoint rules are ``g`` times the partial derivative: real functions, or
    holomorphic ones (``abs``, ``angle`` of complex values are neither)."""
    for prim in _prims(objects):
        if prim not in RULES:
            raise KeyError(f"{prim.name} has no adjoint rule to derive from")
        TANGENTS.setdefault(prim, {}).update(dict.fromkeys(argnums, ELEMENTWISE))


def SHAPE_ONLY(t: Any, ans: Any, *args: Any, **kwargs: Any) -> Any:
    """Marks an argument read only for its shape (``unbroadcast``'s ``like``):
    its tangent changes nothing, so it gives no share."""
    raise TypeError("SHAPE_ONLY marks a rule; srcdiff.forward skips it")


def shape_only(*objects: Any, argnums: tuple[int, ...]) -> None:
    """``objects`` read the arguments ``argnums`` only for their shapes."""
    for prim in _prims(objects):
        TANGENTS.setdefault(prim, {}).update(dict.fromkeys(argnums, SHAPE_ONLY))


def tangent_for(prim: Prim, argnum: int) -> Callable[..., Any] | None:
    return TANGENTS.get(prim, {}).get(argnum)


def known(*values: Any) -> bool:
    """True when shapes are known. On arrays always; tracing answers for IR values."""
    return all(np.ndim(v) >= 0 for v in values)


def assume_real(value: Any) -> bool:
    """Whether a rule may take ``value`` as real. On arrays: whether it is real.
    Tracing without an example answers True and has the emitted code check it
    (``if np.iscomplexobj(x): raise PathChanged(...)``), so a derivative made
    for real inputs never runs silently on complex ones."""
    return not np.iscomplexobj(value)


def is_mask(index: Any) -> bool:
    """Whether ``index`` is one boolean array: a mask, which picks each element
    at most once. Tracing answers from the example (False where none says)."""
    return isinstance(index, np.ndarray) and index.dtype == np.bool_ and index.ndim > 0


def assume_symmetric(a: Any) -> bool:
    """Whether a rule may take the matrices of ``a`` as symmetric. On arrays:
    whether they are. Tracing answers from the example and has the emitted
    code check it (``if not np.array_equal(K, K.T): raise PathChanged(...)``),
    so a derivative made for a symmetric K never runs on another; without an
    example it answers False."""
    return bool(np.array_equal(a, np.swapaxes(a, -1, -2)))


def made_symmetric(a: Any) -> bool:
    """Whether ``a`` is a real matrix symmetric for every input, by how the
    program makes it (``srcdiff.simplify.symmetric``: a kernel matrix of
    ``x_i - x_j``), so that every change of it is symmetric and a gradient
    good for those needs no folding onto one triangle. On arrays there is no
    program to tell: False."""
    return False


def computed(fn: Callable[..., Any], *args: Any) -> Any:
    """``fn(*args)`` where the program computes it already (a factor or an
    inverse worth sharing), else None. On arrays there is no program: None."""
    return None


def rule_for(prim: Prim) -> Callable[..., Any] | None:
    return RULES.get(prim)


def wanted(prim: Prim, mode: str) -> str | None:
    """The hint for a missing rule of ``prim`` in ``mode``, if it has its own."""
    return WANTED.get(prim, {}).get(mode)
