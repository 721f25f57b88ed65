"""``hvp``, ``hessian`` and ``jacobian``: second-order and dense derivatives,
beside ``api``'s ``grad`` and ``api_forward``'s ``jvp``.

Each is a gradient function (the same cache of specialisations, paths and
guards) whose ``Spec.mode`` says what the pipeline emits: ``<f>_hvp`` (the
gradient's program, then forward mode over it), ``<f>_hessian`` and
``<f>_jacobian`` (the ``hvp`` or ``jvp`` function and a loop over unit
vectors). ``grad(grad(f))`` is in ``api``, whose ``grad`` takes it.
"""

from __future__ import annotations

from typing import Any, overload

from srcdiff.api import Decorator, Function, GradFunction, Wrt
from srcdiff.api_forward import JvpFunction
from srcdiff.forward.inputs import vector_name


class HvpFunction(JvpFunction):
    """The Hessian of scalar ``f`` in the ``wrt`` arguments times vectors;
    call it with ``f``'s arguments, then one vector per ``wrt`` argument
    (``v``, or ``v_x``, ``v_y``; by position or by name)."""

    mode = "hvp"

    def __init__(self, fn: Any, wrt: Wrt, unroll: bool | None = None) -> None:
        super().__init__(fn, wrt, unroll=unroll)
        self.__name__ = f"{self.fn.__name__}_hvp"
        self.__doc__ = (
            f"Hessian of {self.fn.__name__} with respect to {', '.join(self.wrt)}, "
            f"times {', '.join(self.tangents)}."
        )

    def tangent_name(self, item: str, taken: list[str]) -> str:
        return vector_name(item, taken, len(self.wrt) > 1)

    def __repr__(self) -> str:
        return f"<srcdiff hvp {self.__name__} of {self.fn.__qualname__}>"


class DenseFunction(GradFunction):
    """The dense Hessian (``mode="hessian"``) or Jacobian of ``f`` in one
    argument; call it like ``f``."""

    def __init__(
        self, fn: Any, wrt: Wrt, mode: str, unroll: bool | None = None
    ) -> None:
        super().__init__(fn, wrt, value=False, unroll=unroll)
        self.mode = mode
        self.__name__ = f"{self.fn.__name__}_{mode}"
        self.__doc__ = (
            f"{mode.capitalize()} of {self.fn.__name__} with respect to "
            f"{', '.join(self.wrt)}."
        )

    def __repr__(self) -> str:
        return f"<srcdiff {self.mode} {self.__name__} of {self.fn.__qualname__}>"


@overload
def hvp(fn: Function, wrt: Wrt = None, unroll: bool | None = None) -> HvpFunction: ...
@overload
def hvp(fn: None = None, wrt: Wrt = None, unroll: bool | None = None) -> Decorator: ...
def hvp(
    fn: Function | None = None, wrt: Wrt = None, unroll: bool | None = None
) -> HvpFunction | Decorator:
    """The Hessian-vector product: ``hvp(f, wrt="w")(w, X, y, v)`` is the
    Hessian of scalar ``f`` in ``w`` times ``v``, the derivative of the
    gradient along ``v`` (forward mode over the gradient's program, not
    finite differences). Several ``wrt`` take one vector each, in order, and
    give one product each."""
    if fn is None:
        return lambda f: HvpFunction(f, wrt, unroll=unroll)
    return HvpFunction(fn, wrt, unroll=unroll)


def hessian(fn: Function, wrt: Wrt = None, unroll: bool | None = None) -> DenseFunction:
    """The dense Hessian of scalar ``fn`` in one argument (shaped like it,
    twice): one ``hvp`` per element, for small problems."""
    return DenseFunction(fn, wrt, "hessian", unroll=unroll)


def jacobian(
    fn: Function, wrt: Wrt = None, unroll: bool | None = None
) -> DenseFunction:
    """The dense Jacobian of ``fn`` in one argument (the output's shape, then
    the argument's): one ``jvp`` per element, for small problems."""
    return DenseFunction(fn, wrt, "jacobian", unroll=unroll)
