"""``jvp``: the in-process API of forward mode, beside ``api``'s ``grad``.

A jvp function is a gradient function (``api.GradFunction``: the same cache
of specialisations, paths and guards) whose derivative is ``<f>_jvp``: it
takes ``f``'s arguments, then one tangent per ``wrt`` argument, and returns
``(value, tangent)`` as ``jax.jvp`` does. Derivatives are specialised on
``f``'s arguments; a tangent has its argument's structure and shapes.
"""

from __future__ import annotations

import inspect
from typing import Any, overload

from srcdiff.api import Decorator, Function, GradFunction, Wrt
from srcdiff.errors import TraceError
from srcdiff.forward.inputs import tangent_name
from srcdiff.parse.source import parse


class JvpFunction(GradFunction):
    """``f``'s value and its tangent along tangents of the ``wrt`` arguments;
    call it with ``f``'s arguments, then the tangents (by position, or by name:
    ``dx=...``)."""

    mode = "jvp"

    def __init__(self, fn: Any, wrt: Wrt, unroll: bool | None = None) -> None:
        super().__init__(fn, wrt, value=False, unroll=unroll)
        params = list(inspect.signature(self.fn).parameters)
        self.tangents: list[str] = []
        for item in self.wrt:
            self.tangents.append(self.tangent_name(item, params + self.tangents))
        self.__name__ = f"{self.fn.__name__}_jvp"
        self.__doc__ = (
            f"Value and tangent of {self.fn.__name__} along "
            f"{', '.join(self.tangents)} (forward mode)."
        )

    def tangent_name(self, item: str, taken: list[str]) -> str:
        """The name of the parameter that takes ``item``'s tangent."""
        return tangent_name(item, taken)

    def __call__(self, *args: Any, **kwargs: Any) -> Any:
        kwargs = dict(kwargs)
        given = {name: kwargs.pop(name) for name in self.tangents if name in kwargs}
        missing = [name for name in self.tangents if name not in given]
        if len(args) < len(missing):
            source = parse(self.fn)
            raise TraceError(
                f"{self.__name__} takes the arguments of {source.name}, then "
                f"{', '.join(self.tangents)}; {', '.join(missing)} not given",
                source.loc(source.node),
                f"Call it as {self.__name__}(..., {', '.join(self.tangents)}), "
                "one tangent per differentiated argument, shaped like it.",
            )
        if missing:
            given.update(zip(missing, args[len(args) - len(missing) :], strict=True))
            args = args[: len(args) - len(missing)]
        return self._call(args, kwargs, given)

    def derivative(self, *args: Any, **kwargs: Any) -> Any:
        """The derivative for ``f``'s arguments (tangents after them are left
        out), or the shape-generic one."""
        kwargs = {k: v for k, v in kwargs.items() if k not in self.tangents}
        params = inspect.signature(self.fn).parameters.values()
        if not any(p.kind == p.VAR_POSITIONAL for p in params):
            args = args[: len(params) - len(self._bound)]
        return super().derivative(*args, **kwargs)

    def __repr__(self) -> str:
        return f"<srcdiff jvp {self.__name__} of {self.fn.__qualname__}>"


@overload
def jvp(fn: Function, wrt: Wrt = None, unroll: bool | None = None) -> JvpFunction: ...
@overload
def jvp(fn: None = None, wrt: Wrt = None, unroll: bool | None = None) -> Decorator: ...
def jvp(
    fn: Function | None = None, wrt: Wrt = None, unroll: bool | None = None
) -> JvpFunction | Decorator:
    """Forward mode: ``jvp(f, wrt="x")(x, y, dx)`` is ``(f(x, y), J dx)``, the
    Jacobian of ``f`` in ``x`` times ``dx``, with ``f``'s output any array (or
    number). Several ``wrt`` take one tangent each, in order."""
    if fn is None:
        return lambda f: JvpFunction(f, wrt, unroll=unroll)
    return JvpFunction(fn, wrt, unroll=unroll)
