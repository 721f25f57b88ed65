"""Which sizes a primitive's result has, from the sizes of its arguments.

``infer(builder, stmt, shape)`` knows broadcasting, reductions, matmul and dot,
indexing, reshapes and constructors given a shape, einsum, the one-axis FFTs,
pad, take, 1-d convolutions, stacking and the ops that keep their argument's
shape. It returns None where it does not know; the builder then checks what it
returns against the example's shape and otherwise reads the result's own
shape when the code runs (``srcdiff.ir.sizes``).
"""

from __future__ import annotations

import operator
from typing import Any, Protocol

import numpy as np

from srcdiff import helpers
from srcdiff.errors import Loc
from srcdiff.ir import sizes
from srcdiff.ir.nodes import Assign, Const, Var
from srcdiff.ir.prim import Prim
from srcdiff.ir.prims import (
    ADD,
    DIM,
    DIV,
    GETITEM,
    MUL,
    PRIMS,
    SUB,
    TRANSPOSE,
    TUPLE_ITEM,
)


class Builder(Protocol):
    """What shape inference asks of the builder that is tracing: the sizes it
    knows, their values on the example, and the assumptions it records."""

    defs: dict[Var, Assign]

    def sizes_of(self, value: Any) -> tuple[sizes.Poly, ...] | None: ...
    def evaluate_size(self, poly: sizes.Poly) -> int: ...
    def floordiv(self, poly: sizes.Poly, divisor: int) -> sizes.Poly: ...
    def count(self, mask: Any) -> sizes.Poly: ...
    def at_least(self, size: sizes.Poly, k: int | sizes.Poly) -> bool: ...
    def assume(
        self, a: sizes.Poly, prim: Prim, b: sizes.Poly, held: bool, loc: Loc | None
    ) -> None: ...


_ELEMENTWISE = (ADD, SUB, MUL, DIV)
# Results shaped like their first argument.
_SAME_SHAPE = (
    *("argsort", "sort", "flip", "clip", "nan_to_num"),
    *("index_add", "index_update"),  # A[i] += v, A[i] = v
)
# Results shaped like one argument: its position.
SHAPE_OF_ARG = {"unbroadcast": 1, "matmul_left_grad": 1, "matmul_right_grad": 2}
_FFT = ("fft", "ifft", "rfft", "irfft", "fftfreq", "rfftfreq")


def _axis_given(args: tuple[Any, ...], kwargs: dict[str, Any]) -> bool:
    return kwargs.get("axis", args[1] if len(args) > 1 else None) is not None


def infer(builder: Builder, stmt: Assign, shape: tuple[int, ...]) -> Any:
    """The sizes of ``stmt``'s result (its example shape is ``shape``)."""
    prim, args, kwargs = stmt.prim, stmt.args, stmt.kwargs
    of = builder.sizes_of
    if prim in _ELEMENTWISE or prim.shape == "broadcast":
        operands = [
            of(a)
            for a in (*args, *kwargs.values())
            if isinstance(a, (Var, Const, np.ndarray, int, float, complex))
        ]
        if any(o is None for o in operands):
            return None
        result, equal = sizes.broadcast(operands, shape, builder.evaluate_size)
        for one, other in equal:  # broadcasting matched them: they stay equal
            builder.assume(one, PRIMS[operator.eq], other, True, stmt.loc)
        return result
    if prim.shape == "same" or prim.name == "copy":
        return of(args[0])
    if prim.shape in ("tangent", "cotangents") and not prim.arity:
        like = 1 if prim.shape == "tangent" else 2  # ans, or the one argument
        return of(args[like]) if like < len(args) else None
    whole = builder.defs.get(args[0]) if prim is TUPLE_ITEM else None
    if whole is not None and whole.prim.shape == "cotangents":
        like = 2 + args[1]  # the argument this cotangent is for
        return of(whole.args[like]) if like < len(whole.args) else None
    if prim.shape == "reduction" and args:
        operand = of(args[0])
        axis = kwargs.get("axis", args[1] if len(args) > 1 else None)
        keepdims = bool(kwargs.get("keepdims", False))
        return None if operand is None else sizes.reduce(operand, axis, keepdims)
    name = prim.name.rsplit(".", 1)[-1]
    if prim is DIM:
        return ()
    if name in ("matmul", "dot") and len(args) == 2:
        a, b = of(args[0]), of(args[1])
        return None if a is None or b is None else sizes.matmul(a, b)
    if prim is TRANSPOSE and args:
        operand = of(args[0])
        axes = args[1] if len(args) > 1 else kwargs.get("axes")
        if operand is None:
            return None
        if axes is None:
            return tuple(reversed(operand))
        return tuple(operand[int(i)] for i in axes)
    if prim is GETITEM:
        operand = of(args[0])
        if operand is None:
            return None
        return sizes.index(operand, args[1], of, builder.count, builder.at_least)
    if name in ("reshape", "broadcast_to") and len(args) == 2:
        return _given_shape(builder, args[1], args[0])
    if name in ("zeros", "ones", "empty", "full") and args:
        return _given_shape(builder, args[0], None)
    if name in ("eye", "tri") and args and not kwargs:
        n = sizes.size_poly(args[0])
        m = n if len(args) < 2 else sizes.size_poly(args[1])
        return None if n is None or m is None else (n, m)
    if name == "arange" and len(args) == 1 and not kwargs:
        n = sizes.size_poly(args[0])
        return None if n is None else (n,)
    if name == "outer" and len(args) == 2:
        a, b = of(args[0]), of(args[1])
        if a is None or b is None:
            return None
        return (sizes.product(a), sizes.product(b))
    if name == "expand_dims" and len(args) == 2:
        operand, axis = of(args[0]), args[1]
        if operand is None or not isinstance(axis, int):
            return None
        out = list(operand)
        out.insert(axis % (len(out) + 1), sizes.const(1))
        return tuple(out)
    if name == "einsum" and args and isinstance(args[0], str):
        shapes = [of(a) for a in args[1:]]
        if any(s is None for s in shapes):
            return None
        return sizes.einsum(args[0], shapes)  # type: ignore[arg-type]
    if name == "ravel" and len(args) == 1:
        operand = of(args[0])
        return None if operand is None else (sizes.product(operand),)
    if name in ("tril", "triu"):
        return of(args[0])
    solves = ("solve", "solve_triangular", "cho_solve", "symmetric_solve")
    if name in solves and len(args) == 2:
        return of(args[1])
    if name in _FFT:
        return _fft_sizes(builder, name, args, kwargs)
    if prim.helper is helpers.scatter_add:
        return _given_shape(builder, args[1], None)
    if name in SHAPE_OF_ARG:
        return of(args[SHAPE_OF_ARG[name]])
    if name == "pad" and len(args) >= 2 and not kwargs:
        operand = of(args[0])
        return None if operand is None else _padded(builder, operand, args[1])
    if name in ("cumsum", "cumprod"):  # flat unless an axis is given
        operand = of(args[0])
        if operand is not None and (len(operand) == 1 or _axis_given(args, kwargs)):
            return operand
    if name in _SAME_SHAPE:
        return of(args[0])
    if name == "take" and len(args) >= 2:
        return _taken(builder, args, kwargs)
    if name == "diff" and 1 <= len(args) <= 3:
        return _differenced(builder, args, kwargs)
    if name == "convolve" and len(args) >= 2:
        return _convolved(builder, args, kwargs)
    if name in ("stack", "concatenate") and isinstance(args[0], (list, tuple)):
        return _joined(builder, name, args, kwargs)
    if name in _STACKS and len(args) == 1 and not kwargs:
        return _stacked(builder, name, args[0])
    return None


# np.vstack and co.: how many axes each piece is given, and the join axis
# (hstack joins 1-D pieces along axis 0).
_STACKS = {"vstack": (2, 0), "hstack": (1, 1), "dstack": (3, 2), "column_stack": (2, 1)}
_ONE = sizes.const(1)


def _promoted(name: str, shape: tuple[sizes.Poly, ...]) -> tuple[sizes.Poly, ...]:
    """The shape np.atleast_<n>d (np.column_stack: a column) gives a piece."""
    ndim = _STACKS[name][0]
    if len(shape) >= ndim:
        return shape
    if name == "column_stack":
        return (*shape, _ONE) if shape else (_ONE, _ONE)
    if name == "dstack" and shape:
        return (_ONE, *shape, _ONE) if len(shape) == 1 else (*shape, _ONE)
    return (*(_ONE,) * (ndim - len(shape)), *shape)


def _stacked(builder: Builder, name: str, pieces: Any) -> Any:
    """np.vstack(pieces) and co.: the pieces' promoted shapes, joined. One
    array stands for its rows."""
    if isinstance(pieces, (list, tuple)):
        shapes = [builder.sizes_of(p) for p in pieces]
        if not shapes or any(s is None for s in shapes):
            return None
        counts = [_ONE] * len(shapes)
    else:
        whole = builder.sizes_of(pieces)
        if not whole:
            return None
        shapes, counts = [whole[1:]], [whole[0]]
    promoted = [_promoted(name, tuple(s)) for s in shapes]  # type: ignore[arg-type]
    axis = _STACKS[name][1]
    if name == "hstack" and len(promoted[0]) == 1:
        axis = 0
    total: sizes.Poly = ()
    for shape, count in zip(promoted, counts, strict=True):
        total = sizes.add(total, sizes.mul(count, shape[axis]))
    first = list(promoted[0])
    first[axis] = total
    return tuple(first)


def _padded(builder: Builder, shape: tuple[sizes.Poly, ...], width: Any) -> Any:
    widths = np.broadcast_to(np.asarray(width, dtype=object), (len(shape), 2))
    polys = [sizes.size_poly(w) for w in widths.flat]
    if any(p is None for p in polys):
        return None
    return tuple(
        sizes.add(s, sizes.add(polys[2 * i], polys[2 * i + 1]))  # type: ignore[arg-type]
        for i, s in enumerate(shape)
    )


def _taken(builder: Builder, args: Any, kwargs: dict[str, Any]) -> Any:
    """``np.take(a, indices, axis)``: the indices' shape replaces the axis."""
    operand, index = builder.sizes_of(args[0]), builder.sizes_of(args[1])
    axis = kwargs.get("axis", args[2] if len(args) > 2 else None)
    if operand is None or index is None or not isinstance(axis, int):
        return None
    axis %= len(operand)
    return (*operand[:axis], *index, *operand[axis + 1 :])


def _differenced(builder: Builder, args: Any, kwargs: dict[str, Any]) -> Any:
    """``np.diff(a, n, axis, prepend=p, append=q)``: the axis loses ``n``
    entries and gains what ``p`` and ``q`` add (one for a number)."""
    operand = builder.sizes_of(args[0])
    n = kwargs.get("n", args[1] if len(args) > 1 else 1)
    axis = kwargs.get("axis", args[2] if len(args) > 2 else -1)
    if not operand or not isinstance(n, int) or not isinstance(axis, int):
        return None
    axis %= len(operand)
    length = operand[axis]
    for pad in (kwargs.get("prepend"), kwargs.get("append")):
        if pad is None:
            continue
        added = builder.sizes_of(pad)
        if added is None or len(added) not in (0, len(operand)):
            return None
        length = sizes.add(length, added[axis] if added else _ONE)
    if not builder.at_least(length, n):
        return None
    return (*operand[:axis], sizes.sub(length, sizes.const(n)), *operand[axis + 1 :])


def _convolved(builder: Builder, args: Any, kwargs: dict[str, Any]) -> Any:
    """1-d convolutions: ``full`` is a + b - 1, ``same`` a, ``valid`` the
    longer minus the shorter plus 1."""
    a, b = builder.sizes_of(args[0]), builder.sizes_of(args[1])
    mode = kwargs.get("mode", args[2] if len(args) > 2 else "full")
    if a is None or b is None or len(a) != 1 or len(b) != 1:
        return None
    (n,), (m,) = a, b
    if mode == "full":
        return (sizes.sub(sizes.add(n, m), sizes.const(1)),)
    if mode == "same":
        return (n,)
    if mode != "valid":
        return None
    longer = builder.evaluate_size(n) >= builder.evaluate_size(m)
    builder.assume(n, PRIMS[operator.ge], m, longer, None)
    big, small = (n, m) if longer else (m, n)
    return (sizes.add(sizes.sub(big, small), sizes.const(1)),)


def _fft_sizes(builder: Builder, name: str, args: Any, kwargs: dict[str, Any]) -> Any:
    """One-axis transforms: the axis's length n becomes n (fft), n // 2 + 1
    (rfft) or the ``n`` asked for; rfftfreq(n) has n // 2 + 1 values."""
    if name in ("fftfreq", "rfftfreq"):
        n = sizes.size_poly(args[0]) if args else None
        if n is None:
            return None
        return (n,) if name == "fftfreq" else (_half(builder, n),)
    operand = builder.sizes_of(args[0]) if args else None
    axis = kwargs.get("axis", args[2] if len(args) > 2 else -1)
    if operand is None or not operand or not isinstance(axis, int):
        return None
    given = kwargs.get("n", args[1] if len(args) > 1 else None)
    n = operand[axis] if given is None else sizes.size_poly(given)
    if n is None:
        return None
    if name == "rfft":
        n = _half(builder, n)
    elif name == "irfft" and given is None:
        n = sizes.mul(sizes.sub(n, sizes.const(1)), sizes.const(2))
    out = list(operand)
    out[axis] = n
    return tuple(out)


def _half(builder: Builder, n: sizes.Poly) -> sizes.Poly:
    return sizes.add(builder.floordiv(n, 2), sizes.const(1))


def _given_shape(builder: Builder, shape: Any, operand: Any) -> Any:
    """The sizes of a shape argument (``(n, 3)``, ``np.shape(x)``); a -1
    is what the operand's size leaves."""
    parts = shape if isinstance(shape, (tuple, list)) else (shape,)
    polys = [sizes.size_poly(p) for p in parts]
    if any(p is None for p in polys):
        return None
    holes = [i for i, p in enumerate(polys) if p == sizes.const(-1)]
    if not holes:
        return tuple(polys)
    total = None if operand is None else builder.sizes_of(operand)
    if len(holes) > 1 or total is None:
        return None
    known = sizes.product([p for p in polys if p != sizes.const(-1)])
    rest = sizes.divide(sizes.product(list(total)), known)
    if rest is None:
        return None
    polys[holes[0]] = rest
    return tuple(polys)


def _joined(builder: Builder, name: str, args: Any, kwargs: dict[str, Any]) -> Any:
    items = [builder.sizes_of(a) for a in args[0]]
    if not items or any(i is None for i in items):
        return None
    axis = kwargs.get("axis", args[1] if len(args) > 1 else 0)
    if not isinstance(axis, int):
        return None
    first = list(items[0])
    if name == "stack":
        first.insert(axis % (len(first) + 1), sizes.const(len(items)))
        return tuple(first)
    axis %= len(first)
    total: sizes.Poly = ()
    for item in items:
        total = sizes.add(total, item[axis])
    first[axis] = total
    return tuple(first)
