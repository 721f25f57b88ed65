"""Calls: what calling a value does while tracing (``call_value``).

A NumPy function with an adjoint rule, called on traced values, appends a
statement; the user's functions, closures, bound methods and
``functools.partial`` run through the tracer; builtins run on Python values
and on sizes; a draw from a generator becomes an effect the emitted code
repeats. A call that would fix an array's value at trace time, or that no
rule differentiates, is refused with a hint.
"""

from __future__ import annotations

import ast
import builtins
import functools
import operator
import sys
import types
from typing import Any

import numpy as np

from srcdiff import suggest
from srcdiff.errors import (
    Loc,
    NeedsExample,
    SrcdiffError,
    TraceError,
    UnsupportedPrimitive,
)
from srcdiff.ir import effects, sizes
from srcdiff.ir.nodes import Const, Var
from srcdiff.ir.prims import PRIMS, lookup, opaque_prim
from srcdiff.ir.values import is_traced
from srcdiff.parse import aliases
from srcdiff.parse.aliases import canonical
from srcdiff.trace import text
from srcdiff.trace.frame import BoundMethod, Closure, Partial, Tracing, Yielded
from srcdiff.trace.hooks import HOOKS

# Builtins that run at trace time on Python values (never on traced ones).
_STATIC_BUILTINS = {
    getattr(builtins, name)
    for name in [
        "range",
        "len",
        "zip",
        "enumerate",
        "list",
        "tuple",
        "dict",
        "int",
        "float",
        "bool",
        "str",
        "min",
        "max",
        "sum",
        "isinstance",
        "reversed",
        "sorted",
        "any",
        "all",
        "round",
        "map",
        "filter",
        "hasattr",
    ]
}
# Builtins that iterate over some of their arguments, and which: an array in
# those places stands for the list of its rows.
_ITERATED_ARGS: dict[Any, slice] = {
    builtins.zip: slice(None),
    builtins.map: slice(1, None),
    builtins.enumerate: slice(1),
    builtins.reversed: slice(1),
    builtins.list: slice(1),
    builtins.tuple: slice(1),
    builtins.sum: slice(1),
}


class Calls(Tracing):
    """``call_value`` and the calls it hands on."""

    def call_value(
        self,
        fn: Any,
        args: tuple[Any, ...],
        kwargs: dict[str, Any],
        loc: Loc,
        in_rule: bool = False,
    ) -> Any:
        fn = canonical(fn)  # autograd's wrappers, as a default or in a dict too
        if isinstance(fn, BoundMethod):
            if fn.varargs and len(args) > 1:
                args = (args,)
            return self.call_value(fn.fn, (fn.self_, *args), kwargs, loc, in_rule)
        if isinstance(fn, Closure):
            return self._call_closure(fn, args, kwargs)
        if fn is functools.partial:
            return self._partial(args, kwargs, loc)
        if isinstance(fn, Partial):
            return self.call_value(
                fn.fn, (*fn.args, *args), {**fn.kwargs, **kwargs}, loc, in_rule
            )
        if isinstance(fn, functools.partial):
            return self.call_value(
                fn.func, (*fn.args, *args), {**fn.keywords, **kwargs}, loc, in_rule
            )
        if aliases.is_shim(fn):  # autograd's make_diagonal, flatten, convolve
            return self.call_function(fn, args, kwargs, True, loc)
        if text.is_output(fn):
            # print(), logging, warnings.warn: shown, never used; tracing shows
            # nothing, and the derivative does not repeat them (srcdiff.trace.text).
            return None
        if text.formats(fn, args, kwargs):
            return text.TEXT  # str(x), "{:.3f}".format(loss)
        if (
            text.holds_text((args, kwargs))
            and not _is_user_function(fn)
            and not text.carries(fn)
        ):
            name = getattr(fn, "__name__", type(fn).__name__)
            raise text.refusal(loc, f"passing it to {name}()")
        args = tuple(self._pieces(a, loc) for a in args)
        effect = None if in_rule else effects.prim_for(fn, loc)
        if effect is not None:
            # A draw (or the clock, a seed): never run once for good while
            # tracing, but a statement the emitted code runs on every call.
            effects.check_call(effect, loc)
            return self.builder.bind(effect, args, kwargs, loc)
        iterated = _ITERATED_ARGS.get(_hook_key(fn))
        if iterated is not None:
            rows = range(len(args))[iterated]
            args = tuple(
                self._iterated(a, loc) if i in rows else a for i, a in enumerate(args)
            )
        if fn is builtins.map:
            # Eager, so that each call goes through the tracer.
            return [
                self.call_value(args[0], items, {}, loc, in_rule)
                for items in zip(*args[1:], strict=False)
            ]
        traced = is_traced(args) or is_traced(kwargs)
        hook = HOOKS.get(_hook_key(fn))
        if hook is not None and traced:
            return hook(self, args, kwargs, loc)
        prim = lookup(fn)
        if prim is not None:
            return self.builder.bind(prim, args, kwargs, loc)
        if _is_user_function(fn):
            return self.call_function(
                fn, args, kwargs, in_rule, loc if in_rule else None
            )
        method = _user_method(fn)
        if method is not None:  # parser.get(w, "W"), model(x): the user's code
            func, self_ = method
            return self.call_value(func, (self_, *args), kwargs, loc, in_rule)
        if traced and aliases.autograd_vjp(fn):
            return self._autograd_unflatten(fn, args, kwargs, loc)
        if not traced:
            value = self._static_call(fn, args, kwargs, loc)
            if isinstance(value, np.ndarray) and not in_rule:
                # An array made from plain values by a function srcdiff does not
                # know (np.hanning(3)): a constant of the derivative.
                return self.const(getattr(fn, "__name__", "constant"), value, loc)
            return value
        if fn is builtins.sum:
            return functools.reduce(
                lambda a, b: self.binop(ast.Add(), a, b, loc, in_rule),
                list(args[0]),
                args[1] if len(args) > 1 else 0,
            )
        if fn is builtins.len and not isinstance(args[0], (Var, Const)):
            return len(args[0])  # a Python container of traced values
        if fn is builtins.len:
            shape = self.call_value(np.shape, args, {}, loc, in_rule=True)
            if not isinstance(shape, tuple):
                raise NeedsExample(
                    "len() of an array needs its shape",
                    loc,
                    "Pass --example MODULE:CALLABLE to srcdiff emit.",
                )
            return shape[0]
        if fn is builtins.float:
            return args[0]
        if fn is builtins.slice:  # x[slice(0, n)]: an index like x[0:n]
            return slice(*args)
        if fn is builtins.range and all(sizes.size_poly(a) is not None for a in args):
            # A Python loop over range(len(x)) unrolls: for this many items only.
            return range(*(self.builder.fixed_size(a, loc) for a in args))
        if (
            fn in _SIZE_BUILTINS
            and all(sizes.size_poly(a) is not None for a in _flat(args))
            and args
        ):
            return self._size_builtin(fn, _flat(args), loc)
        if fn is builtins.isinstance and not in_rule and len(args) == 2:
            return self._isinstance(args[0], args[1], loc)
        if fn in _STATIC_BUILTINS and fn not in (
            builtins.min,
            builtins.max,
            builtins.int,
            builtins.bool,
            builtins.round,
        ):
            return self._static_call(fn, args, kwargs, loc)
        if isinstance(fn, (types.BuiltinMethodType, types.MethodType)) and isinstance(
            getattr(fn, "__self__", None), (list, dict)
        ):
            return fn(*args, **kwargs)
        prim = opaque_prim(fn)
        if prim is not None and self.builder.data_free((args, kwargs)):
            # np.meshgrid(np.arange(n), ...): no rule, but reads no input's
            # values, only sizes: a call in the emitted code with no gradient.
            return self.builder.bind(prim, args, kwargs, loc)
        raise _unsupported(fn, loc)

    def _isinstance(self, value: Any, classes: Any, loc: Loc) -> bool:
        """``isinstance(x, np.ndarray)`` on a traced value: what NumPy would
        answer for the example's value; without one, False only where no
        array or number could be an instance (``isinstance(x, dict)``)."""
        if not isinstance(value, (Var, Const)):
            return self._static_call(builtins.isinstance, (value, classes), {}, loc)
        if isinstance(value, Const) or value.known:
            return self._static_call(
                builtins.isinstance, (value.value, classes), {}, loc
            )
        kinds = (np.zeros(1), np.float64(0), 0.0, 0, True, 0j)
        if not any(
            self._static_call(builtins.isinstance, (k, classes), {}, loc) for k in kinds
        ):
            return False
        raise NeedsExample(
            "isinstance() of an array value depends on the value's type",
            loc,
            "Pass --example MODULE:CALLABLE to srcdiff emit; grad() traces with "
            "the real arguments.",
        )

    def _partial(self, args: tuple[Any, ...], kwargs: dict[str, Any], loc: Loc) -> Any:
        """``functools.partial(f, a)``: called later as ``f(a, ...)``."""
        if not args:
            raise TraceError("functools.partial() needs a function to call", loc)
        return Partial(args[0], args[1:], kwargs)

    def _autograd_unflatten(
        self, fn: Any, args: tuple[Any, ...], kwargs: dict[str, Any], loc: Loc
    ) -> Any:
        """``unflatten(vector)`` with autograd's unflatten from a flatten() made
        outside the function: the pieces of ``vector`` in the structure that
        unflatten gives, for a vector of this length only (checked when run)."""
        template = None
        if len(args) == 1 and not kwargs:
            length = self.call_value(builtins.len, args, {}, loc, in_rule=True)
            size = self.builder.fixed_size(length, loc)
            template = aliases.unflatten_template(fn, size)
        if template is None:
            raise UnsupportedPrimitive(
                "srcdiff cannot differentiate through a function autograd made "
                "(make_vjp's vjp): only the unflatten of autograd.misc.flatten "
                "is read, called on one vector",
                loc,
                "Call flatten(params) inside the differentiated function, or pass "
                "the params themselves: srcdiff differentiates with respect to "
                "dicts, lists and tuples of arrays.",
            )
        shapes = [np.shape(leaf) for leaf in aliases.leaves(template)]
        like = aliases.refill(template, [None] * len(shapes))
        return self.call_function(
            aliases.unflatten_like, (args[0], like, shapes), {}, True, loc
        )

    def _size_builtin(self, fn: Any, args: list[Any], loc: Loc) -> Any:
        """``int(n)``, ``max(n, 1)`` on sizes: the size itself, or the one the
        example picks (the comparison is checked when the code runs)."""
        if fn in (builtins.int, builtins.round, operator.index):
            return args[0]
        if fn is builtins.bool:
            return self.builder.bind(PRIMS[operator.ne], (args[0], 0), loc=loc)
        pick = args[0]
        beats = operator.gt if fn is builtins.max else operator.lt
        for other in args[1:]:
            if self.builder.bind(PRIMS[beats], (other, pick), loc=loc):
                pick = other
        return pick

    def _iterated(self, value: Any, loc: Loc) -> Any:
        """An argument a builtin iterates over: an array as its rows, a
        generator's values as a list (so that ``sum`` sees traced values)."""
        if isinstance(value, (Var, Const)):
            return self.iterate(value, loc)
        return value.rest() if isinstance(value, Yielded) else value

    def _pieces(self, value: Any, loc: Loc) -> Any:
        """A list-valued result (``np.split(x, 2)``) passed on whole is a
        Python list of its pieces, as NumPy sees it."""
        if isinstance(value, Var) and value.known and isinstance(value.value, list):
            return self.iterate(value, loc)
        return value

    def _static_call(
        self, fn: Any, args: tuple[Any, ...], kwargs: dict[str, Any], loc: Loc
    ) -> Any:
        if fn is builtins.print:
            return None
        try:
            with np.errstate(all="ignore"):
                return fn(*args, **kwargs)
        except SrcdiffError:
            raise
        except Exception as exc:
            name = getattr(fn, "__name__", repr(fn))
            if is_traced(args) or is_traced(kwargs):
                raise NeedsExample(
                    f"{name}() needs plain Python values here, not an array",
                    loc,
                    "If the value is a Python int or bool argument, pass an example "
                    "(or call the gradient with real arguments) so its value is known.",
                ) from None
            raise TraceError(f"{name}() failed while tracing: {exc}", loc) from None


_SIZE_BUILTINS = (
    builtins.int,
    builtins.round,
    builtins.bool,
    builtins.max,
    builtins.min,
    operator.index,
)


def _flat(args: tuple[Any, ...]) -> list[Any]:
    """``max(a, b)`` and ``max([a, b])`` alike."""
    if len(args) == 1 and isinstance(args[0], (list, tuple)):
        return list(args[0])
    return list(args)


def _hook_key(fn: Any) -> Any:
    try:
        hash(fn)
    except TypeError:
        return None
    return fn


def _user_method(fn: Any) -> tuple[Any, Any] | None:
    """A method of the user's own class bound to its object (``parser.get``),
    or the object itself where its class defines ``__call__``: the function
    and the object to pass it first, or None."""
    if isinstance(fn, types.MethodType):
        func, self_ = fn.__func__, fn.__self__
    elif isinstance(fn, type) or not callable(fn):
        return None
    else:
        func, self_ = type(fn).__call__, fn
    if not _is_user_function(func):
        return None
    package = (func.__module__ or "").split(".")[0]
    return None if package in sys.stdlib_module_names else (func, self_)


def _is_user_function(fn: Any) -> bool:
    """Python code srcdiff follows: the user's, and autograd's few NumPy-level
    helpers that have no NumPy name (``autograd.numpy.linalg.T``); never
    NumPy's or SciPy's internals or autograd's machinery."""
    if not isinstance(fn, types.FunctionType):
        return False
    module = fn.__module__ or ""
    if module.startswith(aliases.HELPERS):
        return True
    return module.split(".")[0] not in ("numpy", "scipy", "autograd")


def _unsupported(fn: Any, loc: Loc) -> SrcdiffError:
    name = getattr(fn, "__name__", type(fn).__name__)
    module = getattr(fn, "__module__", "") or ""
    if fn in _DECIDING_BUILTINS:
        return UnsupportedPrimitive(
            f"{name}() of an array value would fix that value at trace time",
            loc,
            "Keep it an array (e.g. np.floor(x) instead of int(x), np.maximum(a, b) "
            "instead of max(a, b)), or compute it outside the differentiated function.",
        )
    if not callable(fn):
        return TraceError(f"a {type(fn).__name__} value is not callable", loc)
    hint = suggest.hint(fn)  # only real near misses, if any
    where = f"{module}.{name}" if module else name
    if module.split(".")[0] == "autograd":
        hint = aliases.AUTOGRAD_HINT
    if module.split(".")[0] == "math":
        hint = f"Use np.{name} instead of math.{name} on arrays."
    return UnsupportedPrimitive(
        f"srcdiff cannot differentiate through {where}", loc, hint
    )


_DECIDING_BUILTINS = {
    builtins.int,
    builtins.bool,
    builtins.round,
    builtins.min,
    builtins.max,
}
