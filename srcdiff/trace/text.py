"""Strings made from traced values, and printing and logging them.

``f"{loss:.3f}"``, ``str(x)``, ``"%.2f" % loss`` and ``"{}".format(x)`` in a
loss are there to be shown: a string cannot change the gradient. While
tracing, its characters would be the example's numbers, not those of the
call the emitted code will run on, so formatting a traced value gives a
``Text`` placeholder instead, and ``print``, ``logging``'s calls and
``warnings.warn`` are dropped, whatever they show.

Dropped, not evaluated, in the emitted code too: it computes the gradient
and, like a hand-written backward pass, does not repeat the function's own
output (the function still prints when it is called). Evaluating the string
there would also keep alive forward values nothing else reads.

A ``Text`` may be joined with other strings, kept in lists and passed to the
user's own functions. A use that would decide something on its characters
(``if``, ``==``, ``in``, ``len``, indexing, a call into a library) is refused
where it happens: the decision would follow the example's numbers.
"""

from __future__ import annotations

import ast
import builtins
import logging
import types
import warnings
from typing import Any

from srcdiff.errors import Loc, TraceError
from srcdiff.ir.values import is_traced

_MESSAGE = "a string made from an array value is only printed or logged"


class Text:
    """A string formatted from values known only when the code runs."""

    __slots__ = ()

    def __repr__(self) -> str:  # in messages (``raise ValueError(f"{x}")``)
        return "<text made from traced values>"

    __str__ = __repr__
    __hash__ = object.__hash__

    def __add__(self, other: Any) -> Any:
        return TEXT if isinstance(other, (str, Text)) else NotImplemented

    __radd__ = __add__

    def __mod__(self, other: Any) -> Text:
        return TEXT

    def __mul__(self, other: Any) -> Any:
        return TEXT if isinstance(other, int) else NotImplemented

    __rmul__ = __mul__

    def __format__(self, spec: str) -> str:
        raise TypeError(_MESSAGE)

    def __getattr__(self, name: str) -> Any:
        if name.startswith("__") or not hasattr(str, name):
            raise AttributeError(name)
        return _Method()  # text.upper(), text.format(...): more text

    def _refuse(self, *args: Any) -> Any:
        raise TypeError(_MESSAGE)

    __bool__ = __len__ = __iter__ = __getitem__ = __contains__ = _refuse
    __eq__ = __ne__ = __lt__ = __le__ = __gt__ = __ge__ = _refuse  # type: ignore[assignment]


class _Method:
    """A ``str`` method read from a ``Text``: its result is text too."""

    def __call__(self, *args: Any, **kwargs: Any) -> Text:
        return TEXT


TEXT = Text()

_LOG_NAMES = frozenset(
    {"debug", "info", "warning", "warn", "error", "exception", "critical", "fatal"}
    | {"log"}
)
_FORMATTERS = (builtins.str, builtins.repr, builtins.ascii, builtins.format)
# Calls that may hold a Text without reading its characters.
_CARRIERS = (
    builtins.list,
    builtins.tuple,
    builtins.dict,
    builtins.isinstance,
    builtins.type,
    builtins.id,
)


def holds_text(value: Any) -> bool:
    if isinstance(value, Text):
        return True
    if isinstance(value, (list, tuple)):
        return any(holds_text(v) for v in value)
    if isinstance(value, dict):
        return any(holds_text(v) for v in value.values())
    return False


def is_output(fn: Any) -> bool:
    """``print``, ``logging.info``, ``logger.debug``, ``warnings.warn``: what
    shows values and returns nothing the function goes on with."""
    if fn is builtins.print or fn is warnings.warn:
        return True
    name = getattr(fn, "__name__", "")
    if name not in _LOG_NAMES:
        return False
    if isinstance(fn, types.FunctionType) and fn.__module__ == "logging":
        return True
    owner = getattr(fn, "__self__", None)
    return isinstance(owner, (logging.Logger, logging.LoggerAdapter))


def formats(fn: Any, args: tuple[Any, ...], kwargs: dict[str, Any]) -> bool:
    """Whether this call makes a string from traced values (or from Text)."""
    if isinstance(fn, _Method):
        return True
    formatter = (
        any(fn is f for f in _FORMATTERS)
        or isinstance(getattr(fn, "__self__", None), str)  # "{}".format, "".join
        or (isinstance(fn, types.MethodDescriptorType) and fn.__objclass__ is str)
    )
    return formatter and (is_traced((args, kwargs)) or holds_text((args, kwargs)))


def joins(op: ast.operator, left: Any, right: Any) -> bool:
    """``"loss " + text``, ``"%.2f" % loss``, ``text * 2``: more text."""
    strings = (str, Text)
    if isinstance(op, ast.Mod):
        if not isinstance(left, strings):
            return False
        return is_traced(right) or holds_text((left, right))
    if not (isinstance(left, Text) or isinstance(right, Text)):
        return False
    if isinstance(op, ast.Add):
        return isinstance(left, strings) and isinstance(right, strings)
    if isinstance(op, ast.Mult):
        return isinstance(left, (int, Text)) and isinstance(right, (int, Text))
    return False


def carries(fn: Any) -> bool:
    """Calls a Text may go through unread: containers, exceptions."""
    if any(fn is f for f in _CARRIERS):
        return True
    if isinstance(fn, type) and issubclass(fn, BaseException):
        return True
    return isinstance(getattr(fn, "__self__", None), (list, dict, set))


def refusal(loc: Loc, what: str = "") -> TraceError:
    return TraceError(
        f"{_MESSAGE}: {what}" if what else _MESSAGE,
        loc,
        "Its characters are the example's numbers while srcdiff traces; decide "
        "on the array instead (e.g. `if loss > 1.0:`), or move the string work "
        "outside the differentiated function.",
    )


def convert(value: Any, conversion: int) -> Any:
    """An f-string's ``!s``, ``!r`` or ``!a`` (-1: none)."""
    return {115: str, 114: repr, 97: ascii}.get(conversion, lambda v: v)(value)
