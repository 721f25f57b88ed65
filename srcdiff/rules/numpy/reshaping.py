"""Adjoints of reordering, joining, splitting, padding and selecting elements.

Most of these only move elements around, so their adjoints move the gradient
back: a flip flips it, a join cuts it into pieces, a split joins its pieces,
a repeat or tile sums the copies, a sort puts each value's gradient back at
the place the value came from.
"""

import numpy as np

from srcdiff.helpers import scatter_add, unbroadcast
from srcdiff.ir.prims import PRIMS, method, numpy_prim, register
from srcdiff.rules.registry import adjoint, known

FAMILY = "shape"

# ----- Primitives -----
for _name in ["flip", "fliplr", "flipud", "roll"]:
    numpy_prim(_name, shape="same")
for _name in [
    "ravel",
    "moveaxis",
    "rollaxis",
    "repeat",
    "tile",
    "concatenate",
    "append",
    "vstack",
    "hstack",
    "dstack",
    "column_stack",
    "rot90",
    "pad",
    "triu",
    "tril",
    "diag",
    "diagonal",
    "atleast_1d",
    "atleast_2d",
    "atleast_3d",
    "select",
    "sort",
    "partition",
    "take_along_axis",
    # These return lists; `a, b = np.split(x, 2)` unpacks them.
    "split",
    "array_split",
    "hsplit",
    "vsplit",
    "dsplit",
]:
    numpy_prim(_name)
# Deprecated alias: emitted code calls np.vstack.
register(PRIMS[np.vstack], np.row_stack)
# The fill value of np.full_like is differentiable (the array only gives a shape).
numpy_prim("full_like", shape="same")
# Used by the sort and partition adjoints; no gradient flows through them.
for _name in ["argsort", "argpartition"]:
    if getattr(np, _name) not in PRIMS:
        numpy_prim(_name, differentiable=False)

method("ravel", np.ravel)
# x.flatten() is a copy where np.ravel may give a view; srcdiff never writes
# into arrays, so the two are the same here.
method("flatten", np.ravel)
method("repeat", np.repeat)
method("diagonal", np.diagonal)
method("take", np.take)


# ----- Helpers (inlined into the rules) -----
def shaped_like(g, a):
    """`g` reshaped to the shape of `a`, when it is not already."""
    if known(g, a) and np.shape(g) == np.shape(a):
        return g
    return np.reshape(g, np.shape(a))


def along(axis, index):
    """An index that applies `index` to `axis` and takes all of the other axes."""
    if axis == 0:
        return index
    # Tuples are built by unpacking: `+` on values being traced means addition.
    if axis > 0:
        return (*(slice(None),) * axis, index)
    return (..., index, *(slice(None),) * (-1 - axis))


def cut(g, axis, start, stop):
    """`g` from `start` to `stop` along `axis` (None: that end)."""
    if axis == 0:
        return g[start:stop]
    if axis == -1:
        return g[..., start:stop]
    if all(bound is None or isinstance(bound, int) for bound in (start, stop)):
        return g[along(axis, slice(start, stop))]
    # Bounds known only when the code runs (no example): cut along axis 0.
    return np.moveaxis(np.moveaxis(g, axis, 0)[start:stop], 0, axis)


def unjoin(g, arrays, axis, widths, reshape=True):
    """Cut `g` along `axis` into pieces `widths` wide, each shaped like its array.

    A width of None stands for an array that became one slice of the result
    (a row of np.vstack, say): its piece is that slice, indexed. Without
    `reshape`, the pieces already have the shapes of the arrays.
    """
    if len(arrays) == 1 and widths[0] is not None:
        return [shaped_like(g, arrays[0]) if reshape else g]
    pieces = []
    start = 0
    for i, (a, width) in enumerate(zip(arrays, widths, strict=True)):
        if width is None:
            piece = g[along(axis, start)]
            start = start + 1
        else:
            stop = None if i == len(arrays) - 1 else start + width
            piece = cut(g, axis, start if i > 0 else None, stop)
            start = start + width
        pieces.append(shaped_like(piece, a) if reshape else piece)
    return pieces


def width(a, axis, ndim):
    """How wide np.atleast_<ndim>d(a) is along `axis`; None if that axis is new."""
    if np.ndim(a) < ndim:
        return None
    return np.shape(a)[axis]


def joined_rows(g, x, axis, ndim, column=False):
    """The gradient of one array `x` passed where a sequence of arrays is
    joined: NumPy joins its rows, each made at least `ndim`-D (as a column,
    for np.column_stack), along `axis`. The join only moves elements, so the
    gradient is `g` with the rows' blocks taken apart and stacked again."""
    if not known(x):
        return NotImplemented
    if axis == 0:
        return np.reshape(g, np.shape(x))
    row = promoted(np.shape(x)[1:], ndim, column)
    axis = axis % len(row)
    blocks = (*row[:axis], np.shape(x)[0], row[axis], *row[axis + 1 :])
    return np.reshape(np.moveaxis(np.reshape(g, blocks), axis, 0), np.shape(x))


def promoted(shape, ndim, column):
    """The shape np.atleast_<ndim>d (or np.column_stack) gives an array."""
    if len(shape) >= ndim:
        return shape
    if column:
        return (*shape, 1, 1)[:2]
    if ndim == 3 and len(shape) == 2:
        return (*shape, 1)
    if ndim == 3 and len(shape) == 1:
        return (1, *shape, 1)
    return (*(1,) * (ndim - len(shape)), *shape)


def join_pieces(g, ans, axis):
    """Adjoint of a split: the pieces' gradients joined, zeros for unused pieces."""
    pieces = [zeros_like(ans[i]) if gi is None else gi for i, gi in enumerate(g)]
    return np.concatenate(pieces, axis=axis)


def zeros_like(a):
    """Zeros shaped like `a`, spelled with the shape when it is known."""
    if known(a):
        return np.zeros(np.shape(a))
    return np.zeros_like(a)


# ----- Reordering axes and elements -----
@adjoint(np.ravel, note="order 'C' or 'F'")
def ravel(g, ans, a, order="C"):
    if order not in ("C", "F"):
        raise NotImplementedError(f"np.ravel with order='{order}'")
    if order == "F":
        return np.reshape(g, np.shape(a), order="F")
    return shaped_like(g, a)


@adjoint(np.moveaxis)
def moveaxis(g, ans, a, source, destination):
    return np.moveaxis(g, destination, source)


@adjoint(np.rollaxis)
def rollaxis(g, ans, a, axis, start=0):
    axis = axis + np.ndim(a) if axis < 0 else axis
    start = start + np.ndim(a) if start < 0 else start
    # rollaxis puts `axis` just before `start`: at start - 1 when it came from before.
    return np.moveaxis(g, start - 1 if axis < start else start, axis)


@adjoint(np.flip)
def flip(g, ans, m, axis=None):
    if axis is None:
        return np.flip(g)
    return np.flip(g, axis=axis)


@adjoint(np.fliplr)
def fliplr(g, ans, m):
    return np.fliplr(g)


@adjoint(np.flipud)
def flipud(g, ans, m):
    return np.flipud(g)


@adjoint(np.roll)
def roll(g, ans, a, shift, axis=None):
    back = tuple(-s for s in shift) if isinstance(shift, (list, tuple)) else -shift
    if axis is None:
        return np.roll(g, back)
    return np.roll(g, back, axis=axis)


@adjoint(np.rot90)
def rot90(g, ans, m, k=1, axes=(0, 1)):
    if tuple(axes) == (0, 1):
        return np.rot90(g, -k)
    return np.rot90(g, -k, axes=axes)


@adjoint(np.sort, note="each value's gradient goes back where it came from")
def sort(g, ans, a, axis=-1, kind=None, order=None, stable=None):
    if axis is None:
        ranks = np.argsort(np.argsort(a, axis=None))
        return np.reshape(g[ranks], np.shape(a))
    if axis == -1:
        ranks = np.argsort(np.argsort(a))
    else:
        ranks = np.argsort(np.argsort(a, axis=axis), axis=axis)
    return np.take_along_axis(g, ranks, axis=axis)


@adjoint(np.partition, note="each value's gradient goes back where it came from")
def partition(g, ans, a, kth, axis=-1, kind="introselect", order=None):
    if axis is None:
        ranks = np.argsort(np.argpartition(a, kth, axis=None))
        return np.reshape(g[ranks], np.shape(a))
    if axis == -1:
        ranks = np.argsort(np.argpartition(a, kth))
    else:
        ranks = np.argsort(np.argpartition(a, kth, axis=axis), axis=axis)
    return np.take_along_axis(g, ranks, axis=axis)


# ----- Copies: repeat and tile sum the gradient of every copy -----
@adjoint(np.repeat, note="repeats: one count, or one per element")
def repeat(g, ans, a, repeats, axis=None):
    if axis is None:  # np.repeat flattens `a` first
        return np.reshape(unrepeat(g, repeats, 0, (np.size(a),)), np.shape(a))
    return unrepeat(g, repeats, axis, np.shape(a))


def unrepeat(g, repeats, axis, shape):
    """Sum the copies that repeating along `axis` made of arrays of `shape`."""
    if isinstance(repeats, (int, np.integer)) and known(g):
        axis = axis % len(shape)
        split = (*shape[: axis + 1], repeats, *shape[axis + 1 :])
        return np.sum(np.reshape(g, split), axis=axis + 1)
    source = np.repeat(np.arange(shape[axis]), repeats)
    return scatter_add(g, shape, along(axis, source))


@adjoint(np.tile)
def tile(g, ans, A, reps):
    reps = tuple(reps) if isinstance(reps, (list, tuple)) else (reps,)
    shape = np.shape(A)
    ndim = max(len(shape), len(reps))
    shape = (1,) * (ndim - len(shape)) + shape
    reps = (1,) * (ndim - len(reps)) + reps
    # Give each repeated axis an axis of its own, ahead of it, and sum that.
    split = []
    copies = []
    for rep, n in zip(reps, shape, strict=True):
        if rep != 1:
            copies.append(len(split))
            split.append(rep)
        split.append(n)
    if not copies:
        return shaped_like(g, A)
    axis = copies[0] if len(copies) == 1 else tuple(copies)
    summed = np.sum(np.reshape(g, tuple(split)), axis=axis)
    return shaped_like(summed, A)


# ----- Joining: each input gets its piece of the gradient -----
@adjoint(np.concatenate)
def concatenate(g, ans, arrays, axis=0, out=None, dtype=None, casting="same_kind"):
    if not isinstance(arrays, (list, tuple)):  # one array: its rows are joined
        return joined_rows(g, arrays, 0 if axis is None else axis, 1)
    if axis is None:  # the arrays are flattened first
        return unjoin(g, arrays, 0, [np.size(a) for a in arrays])
    return unjoin(g, arrays, axis, [np.shape(a)[axis] for a in arrays], reshape=False)


@adjoint(np.append)
def append(g, ans, arr, values, axis=None):
    if axis is None:  # both are flattened first
        return tuple(unjoin(g, [arr, values], 0, [np.size(arr), np.size(values)]))
    widths = [np.shape(arr)[axis], np.shape(values)[axis]]
    return tuple(unjoin(g, [arr, values], axis, widths, reshape=False))


@adjoint(np.vstack)
def vstack(g, ans, tup, dtype=None, casting="same_kind"):
    if not isinstance(tup, (list, tuple)):
        return joined_rows(g, tup, 0, 2)
    return unjoin(g, tup, 0, [width(a, 0, 2) for a in tup])


@adjoint(np.hstack)
def hstack(g, ans, tup, dtype=None, casting="same_kind"):
    if not isinstance(tup, (list, tuple)):
        return joined_rows(g, tup, 0 if np.ndim(tup) < 3 else 1, 1)
    if np.ndim(tup[0]) < 2:
        return unjoin(g, tup, 0, [width(a, 0, 1) for a in tup])
    return unjoin(g, tup, 1, [np.shape(a)[1] for a in tup])


@adjoint(np.dstack)
def dstack(g, ans, tup):
    if not isinstance(tup, (list, tuple)):
        return joined_rows(g, tup, 2, 3)
    return unjoin(g, tup, 2, [width(a, 2, 3) for a in tup])


@adjoint(np.column_stack)
def column_stack(g, ans, tup):
    if not isinstance(tup, (list, tuple)):
        return joined_rows(g, tup, 0 if np.ndim(tup) < 2 else 1, 2, column=True)
    # 0-d and 1-D arrays become one column each.
    return unjoin(g, tup, 1, [None if np.ndim(a) < 2 else np.shape(a)[1] for a in tup])


@adjoint(np.atleast_1d, np.atleast_2d, np.atleast_3d)
def atleast_nd(g, ans, *arys):
    if len(arys) == 1:
        return [shaped_like(g, arys[0])]
    return [
        None if gi is None else shaped_like(gi, a)
        for gi, a in zip(g, arys, strict=True)
    ]


# ----- Splitting: the pieces' gradients join back -----
@adjoint(np.split, np.array_split, note="unused pieces contribute zeros")
def split(g, ans, ary, indices_or_sections, axis=0):
    return join_pieces(g, ans, axis)


@adjoint(np.hsplit)
def hsplit(g, ans, ary, indices_or_sections):
    return join_pieces(g, ans, 1 if np.ndim(ary) > 1 else 0)


@adjoint(np.vsplit)
def vsplit(g, ans, ary, indices_or_sections):
    return join_pieces(g, ans, 0)


@adjoint(np.dsplit)
def dsplit(g, ans, ary, indices_or_sections):
    return join_pieces(g, ans, 2)


# ----- Padding, triangles and diagonals -----
@adjoint(np.pad, note="mode='constant' only; a scalar constant_values gets a gradient")
def pad(g, ans, array, pad_width, mode="constant", constant_values=0, **kwargs):
    if mode != "constant" or kwargs:
        raise NotImplementedError(
            f"np.pad with mode='{mode}': only mode='constant' has a derivative"
        )
    inner = tuple(
        slice(before or None, -after or None)
        for before, after in pad_pairs(pad_width, np.ndim(array))
    )
    darray = g[inner] if any(s != slice(None) for s in inner) else g
    if np.ndim(constant_values) == 0:
        dvalue = np.sum(g) - np.sum(darray)
        # Contributions pair with the arguments as passed: constant_values
        # comes third when mode is left out, fourth when it is given. The
        # slot of mode, a string, takes no gradient.
        return darray, None, dvalue, dvalue
    if not is_static(constant_values):
        raise NotImplementedError("np.pad with per-axis constant_values from arrays")
    return darray


def pad_pairs(pad_width, ndim):
    """np.pad's `pad_width` as one (before, after) pair per axis."""
    if not isinstance(pad_width, (list, tuple)):
        if not is_static(pad_width):
            raise NotImplementedError("pad_width as an array: write it as a tuple")
        pad_width = [pad_width]
    if not isinstance(pad_width[0], (list, tuple)):
        pad_width = [pad_width]
    pairs = [(p[0], p[-1]) for p in pad_width]
    if len(pairs) == 1:
        return [pairs[0] for _ in range(ndim)]
    return pairs


def is_static(value):
    """A Python number or a nest of them (not an array)."""
    if isinstance(value, (list, tuple)):
        return all(is_static(v) for v in value)
    return isinstance(value, (int, float, np.integer, np.floating))


@adjoint(np.triu)
def triu(g, ans, m, k=0):
    # A 1-D `m` is the first row of every row of the result.
    return unbroadcast(np.triu(g, k), m)


@adjoint(np.tril)
def tril(g, ans, m, k=0):
    return unbroadcast(np.tril(g, k), m)


@adjoint(np.diag, note="1-D to 2-D and 2-D to 1-D")
def diag(g, ans, v, k=0):
    if np.ndim(v) == 1:
        return np.diagonal(g, k)
    n1, n2 = np.shape(v)
    return on_diagonal(g, n1, n2, k)


@adjoint(np.diagonal)
def diagonal(g, ans, a, offset=0, axis1=0, axis2=1):
    shape = np.shape(a)
    spread = on_diagonal(g, shape[axis1], shape[axis2], offset)
    last_two = (len(shape) - 2, len(shape) - 1)
    if (axis1 % len(shape), axis2 % len(shape)) == last_two:
        return spread
    return np.moveaxis(spread, (-2, -1), (axis1, axis2))


def on_diagonal(g, n1, n2, offset):
    """(..., n1, n2) matrices holding `g` (..., L) on their `offset` diagonal."""
    mask = np.eye(n1, n2, offset) if offset else np.eye(n1, n2)
    # Element d of the diagonal is in row d (offset >= 0) or in column d.
    if offset >= 0:
        rows = pad_last(g, n1)
        return mask * (rows[:, None] if np.ndim(g) == 1 else rows[..., :, None])
    columns = pad_last(g, n2)
    return mask * (columns if np.ndim(g) == 1 else columns[..., None, :])


def pad_last(g, n):
    """`g` with zeros after its last axis, to length `n`."""
    length = np.shape(g)[-1]
    if length == n:
        return g
    return np.pad(g, (*((0, 0),) * (np.ndim(g) - 1), (0, n - length)))


# ----- Selecting elements -----
@adjoint(np.take, note="repeated indices accumulate")
def take(g, ans, a, indices, axis=None, out=None, mode="raise"):
    if mode != "raise":
        raise NotImplementedError(f"np.take with mode='{mode}'")
    if isinstance(indices, tuple):  # a tuple of indices is one index array
        indices = list(indices)
    if axis is None:
        return np.reshape(scatter_add(g, np.size(a), indices), np.shape(a))
    return scatter_add(g, np.shape(a), along(axis, indices))


@adjoint(np.take_along_axis, note="repeated indices accumulate")
def take_along_axis(g, ans, arr, indices, axis=-1):
    if axis is None:
        return np.reshape(scatter_add(g, np.size(arr), indices), np.shape(arr))
    shape = np.shape(arr)
    ndim = len(shape)
    axis = axis % ndim
    # The index of every element of `g` in `arr`: `indices` along `axis`, its
    # own position along the others (0 where `arr` was broadcast).
    index = tuple(
        indices if j == axis else 0 if shape[j] == 1 else position(shape[j], j, ndim)
        for j in range(ndim)
    )
    return scatter_add(g, shape, index)


def position(n, axis, ndim):
    """np.arange(n) laid along `axis`, to broadcast against `ndim` axes."""
    return np.arange(n)[(None,) * axis + (slice(None),) + (None,) * (ndim - axis - 1)]


@adjoint(np.select, note="each choice gets the gradient where it is selected")
def select(g, ans, condlist, choicelist, default=0):
    # Choice i is selected where condition i is the first that holds.
    dchoices = [
        (
            np.select(condlist[: i + 1], [*[0.0] * i, g])
            if i
            else np.where(condlist[0], g, 0.0)
        )
        for i in range(len(choicelist))
    ]
    ddefault = np.select(condlist, [0.0] * len(choicelist), g)
    return (
        None,
        [unbroadcast(d, c) for d, c in zip(dchoices, choicelist, strict=True)],
        unbroadcast(ddefault, default),
    )


@adjoint(np.full_like, note="the fill value gets the summed gradient")
def full_like(
    g, ans, a, fill_value, dtype=None, order="K", subok=True, shape=None, device=None
):
    return None, unbroadcast(g, fill_value)
