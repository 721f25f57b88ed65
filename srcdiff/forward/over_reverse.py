"""Forward mode over reverse mode: the Hessian times a vector, as a program.

The gradient's program (the forward statements, then the adjoint sweep) is a
program of primitives like any other, so the forward sweep
(``srcdiff.forward.sweep``) runs over all of it, starting from the vectors
``v`` as the tangents of the ``wrt`` inputs. The tangent of each gradient is
then the derivative of the gradient along ``v``: the Hessian times ``v``.
Tangents of named values are ``h_dot``, of adjoints ``dh_dot``; the results
are ``hv_<arg>``. The adjoint-only primitives the reverse sweep writes
(``unbroadcast``, index updates, accumulations) have tangent rules like the
rest (``srcdiff.rules``); a missing one is the sweep's located error.
"""

from __future__ import annotations

from typing import Any

from srcdiff.forward.context import Context
from srcdiff.forward.sweep import sweep
from srcdiff.forward.tangents import seeds, tangent_or_zero
from srcdiff.ir.nodes import Var, map_leaves, walk_vars


def hvp(
    ctx: Context, grads: list[Any], wrt: list[Any], vectors: list[Any]
) -> list[Any]:
    """Write the tangents of the gradient program along ``vectors`` (one per
    ``wrt`` value, of its structure; a number stands for a constant vector)
    into the builder's statements; return, per gradient, its tangent."""
    tangents = seeds(wrt, vectors)
    builder = ctx.builder
    builder.stmts[:] = sweep(ctx, list(builder.stmts), tangents)
    for grad, value in zip(grads, wrt, strict=True):
        adjoints, primals = list(walk_vars(grad)), list(walk_vars(value))
        if len(adjoints) == len(primals):  # else a leaf's gradient is a number
            for adjoint, primal in zip(adjoints, primals, strict=True):
                _name_product(tangents.get(adjoint), primal)
    return [
        map_leaves(grad, lambda leaf: tangent_or_zero(ctx, leaf, tangents))
        for grad in grads
    ]


def _name_product(product: Any, primal: Var) -> None:
    """``hv_W`` for ``W``'s share of the product, unless it has a name."""
    if isinstance(product, Var) and product.kind in ("temp", "tangent"):
        product.kind, product.adjoint_of = "hvp", primal


def name_second(product: Any, fn_name: str) -> None:
    """``d2f``: the second derivative of ``f`` of one number (the product
    along 1), unless it has a name."""
    if isinstance(product, Var) and product.kind == "hvp":
        product.kind, product.hint = "user", f"d2{fn_name}"
