"""What a derivative is specialised on: the cache key of ``grad``.

A ``Spec`` is frozen and hashable. Per argument it records the type; for
arrays the dtype and shape; for Python ints, bools, strings and None the
value (the trace decides on them); for containers, the same for each item.
A list of ints whose items the function only indexes with is data
(``srcdiff.parse.datalists``): its length is recorded (a size), its values are not.
"""

from __future__ import annotations

import ast
import inspect
from collections.abc import Callable
from dataclasses import dataclass, replace
from typing import Any

import numpy as np

from srcdiff.ir.effects import is_generator
from srcdiff.parse import datalists

MODES = ("grad", "jvp", "hvp", "jacobian", "hessian", "grad2")


@dataclass(frozen=True)
class Spec:
    wrt: tuple[str, ...]
    value: bool = False
    # One fact per parameter, or None for the shape-generic derivative.
    facts: tuple[tuple[str, Any], ...] | None = None
    # Loops: True unrolls all it can, False keeps all it can rolled, None
    # unrolls those within the budget (srcdiff.trace.loop.UNROLL_BUDGET).
    unroll: bool | None = None
    # wrt given as a sequence: the gradients come as a tuple, even just one.
    tuple_result: bool = False
    # What is emitted (``MODES``): the gradient; forward mode's value and
    # tangent (``srcdiff.jvp``); the Hessian times vectors, forward mode over
    # the gradient (``srcdiff.hvp``); the dense Jacobian or Hessian, a loop
    # over unit vectors of those (``srcdiff.jacobian``, ``srcdiff.hessian``);
    # the second derivative of a function of one number (``grad(grad(f))``).
    mode: str = "grad"
    # ``has_aux=True``: the function returns (loss, aux); aux is passed on.
    has_aux: bool = False
    # ``srcdiff.elementwise_grad``: the gradient of the sum of the output.
    elementwise: bool = False

    def __post_init__(self) -> None:
        if self.mode not in MODES:
            raise ValueError(f"Spec.mode must be one of {MODES}, not {self.mode!r}")

    def describe(self) -> str:
        """``w: float64[3], X: float64[20, 3]``: for headers and messages."""
        if self.facts is None:
            return "any shapes and dtypes (no example given)"
        return ", ".join(f"{name}: {_text(fact)}" for name, fact in self.facts)


def fact(value: Any) -> Any:
    """A hashable description of one argument value."""
    if isinstance(value, np.ndarray):
        return ("array", value.dtype.name, value.shape)
    if isinstance(value, np.generic):
        return ("array", value.dtype.name, ())
    if isinstance(value, float):
        return ("float",)
    if isinstance(value, (list, tuple)):
        return (type(value).__name__, tuple(fact(v) for v in value))
    if isinstance(value, dict):
        return ("dict", tuple((k, fact(v)) for k, v in value.items()))
    if isinstance(value, complex):
        return ("complex",)
    if is_generator(value):  # any generator: the code draws from the one passed
        return ("generator", type(value).__name__)
    try:
        hash(value)
    except TypeError:  # an unhashable object (a model instance): by identity
        return ("static", type(value).__name__, id(value))
    return ("static", type(value).__name__, value)


class _Unkeyed(Exception):
    """A value ``call_key`` does not describe (a generator): take the long way."""


def call_key(
    names: list[str],
    args: tuple[Any, ...],
    kwargs: dict[str, Any],
    data: frozenset[str],
) -> Any:
    """A key for a call's arguments, as cheap as the call allows: equal keys
    mean equal ``structure(spec)``, so a cached derivative can be found
    without binding arguments to parameters. ``names``: the parameters that
    take the positional arguments. None where it cannot tell (more positional
    arguments than names, a generator): the caller takes the long way."""
    if len(args) > len(names):
        return None
    try:
        if data:
            positional = [
                _quick(v, n in data) for n, v in zip(names, args, strict=False)
            ]
        else:
            positional = [_quick(v) for v in args]
        if not kwargs:
            return (*positional, None)
        keywords = sorted([(n, _quick(v, n in data)) for n, v in kwargs.items()])
    except _Unkeyed:
        return None
    return (*positional, None, *keywords)


def _quick(value: Any, data: bool = False) -> Any:
    """What ``_sizeless(fact(value))`` tells apart, computed directly: the
    dtype, the number of axes and which have length 1 for an array (a tag
    of its own per kind, so no two kinds' keys compare equal)."""
    kind = type(value)
    if kind is np.ndarray:
        shape = value.shape
        ones = tuple([i for i, n in enumerate(shape) if n == 1]) if 1 in shape else ()
        return ("ndarray", value.dtype, len(shape), ones)
    if kind is float:
        return ("float",)
    if isinstance(value, np.ndarray):  # a subclass
        return (kind, value.dtype, tuple(1 if n == 1 else None for n in value.shape))
    if isinstance(value, np.generic):
        return ("generic", value.dtype)
    if isinstance(value, float):
        return ("float",)
    if isinstance(value, (list, tuple)):
        if data and datalists.is_int_list(value):
            return (datalists.KIND,)
        return (kind, tuple([_quick(v) for v in value]))
    if isinstance(value, dict):
        return ("dict", tuple([(k, _quick(v)) for k, v in value.items()]))
    if isinstance(value, complex):
        return ("complex",)
    if is_generator(value):
        raise _Unkeyed
    try:
        hash(value)
    except TypeError:
        return ("static", kind, id(value))
    return ("static", kind, value)


def structure(spec: Spec) -> Spec:
    """The spec with sizes left out (axes of length 1 kept): a derivative
    reads sizes when it runs and checks the rest on entry, so one serves
    every size (``srcdiff.ir.sizes``)."""
    if spec.facts is None:
        return spec
    facts = tuple((name, _sizeless(f)) for name, f in spec.facts)
    return replace(spec, facts=facts)


def _sizeless(f: Any) -> Any:
    if f[0] == datalists.KIND:
        return (datalists.KIND, None)
    if f[0] == "array":
        return ("array", f[1], tuple(1 if n == 1 else None for n in f[2]))
    if f[0] in ("list", "tuple"):
        return (f[0], tuple(_sizeless(v) for v in f[1]))
    if f[0] == "dict":
        return ("dict", tuple((k, _sizeless(v)) for k, v in f[1]))
    return f


def _text(f: Any) -> str:
    kind = f[0]
    if kind == "array":
        return f"{f[1]}[{', '.join(map(str, f[2]))}]"
    if kind in ("float", "complex"):
        return kind
    if kind == datalists.KIND:
        return f"list of {f[1]} ints (data)"
    if kind == "generator":
        return f[1]
    if kind in ("list", "tuple"):
        inner = ", ".join(_text(v) for v in f[1])
        return (
            f"[{inner}]"
            if kind == "list"
            else f"({inner}{',' if len(f[1]) == 1 else ''})"
        )
    if kind == "dict":
        return "{" + ", ".join(f"{k!r}: {_text(v)}" for k, v in f[1]) + "}"
    return repr(f[2])


def split_wrt(text: str) -> tuple[str, tuple[Any, ...]]:
    """``"params['W1']"`` -> ``("params", ("W1",))``; a plain name has no path."""
    try:
        node = ast.parse(text, mode="eval").body
    except SyntaxError:
        return text, ()
    path: list[Any] = []
    while isinstance(node, ast.Subscript) and isinstance(node.slice, ast.Constant):
        path.append(node.slice.value)
        node = node.value
    if isinstance(node, ast.Name):
        return node.id, tuple(reversed(path))
    return text, ()


def bind_arguments(
    fn: Callable[..., Any], args: tuple[Any, ...], kwargs: dict[str, Any]
) -> dict[str, Any]:
    """Arguments by parameter name, defaults filled in."""
    bound = inspect.signature(fn).bind(*args, **kwargs)
    bound.apply_defaults()
    return dict(bound.arguments)


def make_spec(
    wrt: tuple[str, ...],
    value: bool,
    arguments: dict[str, Any] | None,
    unroll: bool | None = None,
    data: frozenset[str] = frozenset(),
    tuple_result: bool = False,
) -> Spec:
    """``data``: the parameters whose int lists are data, if they hold one
    (``datalists.indexed_only``)."""
    if arguments is None:
        return Spec(wrt, value, None, unroll, tuple_result)
    facts = tuple(
        (
            name,
            datalists.fact(v) if name in data and datalists.is_int_list(v) else fact(v),
        )
        for name, v in arguments.items()
    )
    return Spec(wrt, value, facts, unroll, tuple_result)


def data_lists(spec: Spec) -> frozenset[str]:
    """The parameters this spec reads as int lists of data."""
    return frozenset(n for n, f in spec.facts or () if f[0] == datalists.KIND)
