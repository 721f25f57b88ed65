"""The logistic function and softplus written out, ``1 / (1 + np.exp(-z))``
and ``np.log(1 + np.exp(x))``, each as one statement.

A peephole the builder calls as it binds each statement: the division or log
that ends the idiom becomes one ``SIGMOID`` (``SOFTPLUS``) statement, which
prints the same. Its adjoint rule is then the textbook ``g * p * (1 - p)``
(``g * sigmoid(x)``) instead of the chain rule through the division or log,
the sum and the exponential; the statements the idiom was built from are
left to dead-code elimination.
"""

from __future__ import annotations

from typing import Any

import numpy as np

from srcdiff.ir.nodes import Assign, Var
from srcdiff.ir.prim import Prim
from srcdiff.ir.prims import ADD, DIV, NEG, PRIMS, SIGMOID, SOFTPLUS
from srcdiff.ir.values import is_scalar_const
from srcdiff.simplify.algebra import Builder

_EXP, _LOG = PRIMS[np.exp], PRIMS[np.log]


def sigmoid(builder: Builder, prim: Prim, args: tuple[Any, ...]) -> tuple[Any] | None:
    """``(SIGMOID of z,)`` for ``1 / (1 + np.exp(-z))``, else None."""
    if prim is not DIV or not is_scalar_const(args[0], 1):
        return None
    total = _def(builder, args[1], ADD)
    if total is None:
        return None
    one, exp = total.args if is_scalar_const(total.args[0], 1) else total.args[::-1]
    power = _def(builder, exp, _EXP) if is_scalar_const(one, 1) else None
    negative = _def(builder, power.args[0], NEG) if power else None
    if negative is None:
        return None
    return (builder.derived(SIGMOID, (negative.args[0],)),)


def softplus(builder: Builder, prim: Prim, args: tuple[Any, ...]) -> tuple[Any] | None:
    """``(SOFTPLUS of x,)`` for ``np.log(1 + np.exp(x))``, else None."""
    total = _def(builder, args[0], ADD) if prim is _LOG and len(args) == 1 else None
    if total is None:
        return None
    one, exp = total.args if is_scalar_const(total.args[0], 1) else total.args[::-1]
    power = _def(builder, exp, _EXP) if is_scalar_const(one, 1) else None
    return None if power is None else (builder.derived(SOFTPLUS, (power.args[0],)),)


def _def(builder: Builder, value: Any, prim: Prim) -> Assign | None:
    """The statement that made ``value``, if it applied ``prim``."""
    stmt = builder.defs.get(value) if isinstance(value, Var) else None
    return stmt if stmt is not None and stmt.prim is prim else None
