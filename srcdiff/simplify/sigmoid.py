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

from srcdiff.ir.nodes import made_by
from srcdiff.ir.prim import Prim
from srcdiff.ir.prims import ADD, DIV, NEG, PRIMS, SIGMOID, SOFTPLUS
from srcdiff.ir.values import is_scalar_const
from srcdiff.simplify.algebra import Builder

_EXP, _LOG = PRIMS[np.exp], PRIMS[np.log]


def sigmoid(builder: Builder, prim: Prim, args: tuple[Any, ...]) -> tuple[Any] | None:
    """``(SIGMOID of z,)`` for ``1 / (1 + np.exp(-z))``, else None."""
    if prim is not DIV or not is_scalar_const(args[0], 1):
        return None
    total = made_by(builder.defs, args[1], ADD.name)
    if total is None:
        return None
    one, exp = total.args if is_scalar_const(total.args[0], 1) else total.args[::-1]
    power = made_by(builder.defs, exp, _EXP.name) if is_scalar_const(one, 1) else None
    negative = made_by(builder.defs, power.args[0], NEG.name) if power else None
    if negative is None:
        return None
    return (builder.derived(SIGMOID, (negative.args[0],)),)


def softplus(builder: Builder, prim: Prim, args: tuple[Any, ...]) -> tuple[Any] | None:
    """``(SOFTPLUS of x,)`` for ``np.log(1 + np.exp(x))``, else None."""
    total = (
        made_by(builder.defs, args[0], ADD.name)
        if prim is _LOG and len(args) == 1
        else None
    )
    if total is None:
        return None
    one, exp = total.args if is_scalar_const(total.args[0], 1) else total.args[::-1]
    power = made_by(builder.defs, exp, _EXP.name) if is_scalar_const(one, 1) else None
    return None if power is None else (builder.derived(SOFTPLUS, (power.args[0],)),)

