"""Questions about traced values answered while tracing, not left to the code.

What adjoint rules ask (``rules.known``, ``rules.assume_real``, ``rules.is_mask``,
``rules.assume_symmetric``, ``rules.made_symmetric``, ``rules.computed``,
``helpers.unbroadcast``) and
``np.shape``/``ndim``/``size`` (``x.shape`` too) are answered from what the
builder knows of the value (an example's values, shapes, sizes, the
statements bound so far), so that the emitted code holds the answer; where
only the running code knows, they leave a guard or a call. ``call_value``
looks them up in ``HOOKS`` when an argument is traced.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

import numpy as np

from srcdiff import helpers, rules
from srcdiff.errors import Loc
from srcdiff.ir import sizes
from srcdiff.ir.nodes import Const, Var
from srcdiff.ir.prims import PRIMS
from srcdiff.ir.values import shape_of, token
from srcdiff.simplify.symmetric import symmetric
from srcdiff.trace.frame import Interpreter


def _known(
    tracer: Interpreter, args: tuple[Any, ...], kwargs: dict[str, Any], loc: Loc
) -> bool:
    return all(not isinstance(a, Var) or a.known for a in args)


def _assume_real(
    tracer: Interpreter, args: tuple[Any, ...], kwargs: dict[str, Any], loc: Loc
) -> bool:
    (value,) = args
    if not isinstance(value, Var) or value.known:
        return not np.iscomplexobj(value.value if isinstance(value, Var) else value)
    builder = tracer.builder
    complex_ = builder.bind(PRIMS[np.iscomplexobj], (value,), loc=loc)
    what = "this derivative was made for real inputs (no example was given)"
    builder.guard(complex_, False, loc, what, message=what)
    return True


def _is_mask(
    tracer: Interpreter, args: tuple[Any, ...], kwargs: dict[str, Any], loc: Loc
) -> bool:
    (index,) = args
    if isinstance(index, (Var, Const)) and not isinstance(index.value, (tuple, list)):
        return rules.is_mask(index.value)  # an unknown Var's value is no array
    return False


def _assume_symmetric(
    tracer: Interpreter, args: tuple[Any, ...], kwargs: dict[str, Any], loc: Loc
) -> bool:
    (value,) = args
    if not isinstance(value, Var):
        return rules.assume_symmetric(value)
    if not value.known or not rules.assume_symmetric(value.value):
        return False  # the general path: nothing to check
    builder = tracer.builder
    if symmetric(builder.defs, value):  # for every input: nothing to check
        return True
    flipped = (value,) if np.ndim(value.value) == 2 else (value, -1, -2)
    prim = PRIMS[np.transpose] if len(flipped) == 1 else PRIMS[np.swapaxes]
    same = builder.bind(PRIMS[np.array_equal], (value, builder.bind(prim, flipped)))
    what = "a matrix symmetric when traced no longer is"
    builder.guard(same, True, loc, what, message=what)
    return True


def _made_symmetric(
    tracer: Interpreter, args: tuple[Any, ...], kwargs: dict[str, Any], loc: Loc
) -> bool:
    (value,) = args
    return (
        isinstance(value, Var)
        and value.known
        and not np.iscomplexobj(value.value)
        and symmetric(tracer.builder.defs, value)
    )


def _computed(
    tracer: Interpreter, args: tuple[Any, ...], kwargs: dict[str, Any], loc: Loc
) -> Any:
    fn, *operands = args
    return tracer.builder.computed(PRIMS[fn], tuple(operands))


def _unbroadcast(
    tracer: Interpreter, args: tuple[Any, ...], kwargs: dict[str, Any], loc: Loc
) -> Any:
    grad, like = args
    if token(grad) == token(like):
        return grad
    target, shape = shape_of(like), shape_of(grad)
    if target is None or shape is None:
        return tracer.builder.bind(PRIMS[helpers.unbroadcast], (grad, like), loc=loc)
    lead = len(shape) - len(target)
    axes = tuple(range(lead)) + tuple(
        lead + i for i, n in enumerate(target) if n == 1 and shape[lead + i] != 1
    )
    keep = any(a >= lead for a in axes)
    axis = axes[0] if len(axes) == 1 else axes
    kwargs = {"axis": axis, "keepdims": True} if keep else {"axis": axis}
    if not target:  # every axis: a plain total
        kwargs = {}
    out = tracer.builder.bind(PRIMS[np.sum], (grad,), kwargs, loc)
    if keep and lead:
        target = tracer.builder.shape_value(like)
        out = tracer.builder.bind(PRIMS[np.reshape], (out, target), loc=loc)
    return out


def _fact(fn: Callable[[Any], Any]) -> Callable[..., Any]:
    def hook(
        tracer: Interpreter, args: tuple[Any, ...], kwargs: dict[str, Any], loc: Loc
    ) -> Any:
        (value,) = args
        builder = tracer.builder
        polys = builder.sizes_of(value)
        if polys is not None and fn is not np.ndim:  # sizes read at run time
            if fn is np.shape:
                return tuple(builder.size_value(p) for p in polys)
            return builder.size_value(sizes.product(polys))
        shape = shape_of(value)
        if shape is not None:
            return fn(np.empty(shape))
        return builder.bind(PRIMS[fn], args, loc=loc)

    return hook


HOOKS: dict[Any, Callable[..., Any]] = {
    rules.known: _known,
    rules.assume_real: _assume_real,
    rules.is_mask: _is_mask,
    rules.assume_symmetric: _assume_symmetric,
    rules.made_symmetric: _made_symmetric,
    rules.computed: _computed,
    helpers.unbroadcast: _unbroadcast,
    np.shape: _fact(np.shape),
    np.ndim: _fact(np.ndim),
    np.size: _fact(np.size),
}
