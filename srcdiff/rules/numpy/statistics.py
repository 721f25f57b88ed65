"""Adjoints of the reductions beyond sum/mean/max/min: products, moments,
the NaN-ignoring family, running sums and products, differences, traces,
norms, weighted averages, medians and ranges.
"""

import operator

import numpy as np

from srcdiff.helpers import unbroadcast
from srcdiff.ir.prims import NUMPY, PRIMS, Prim, call, method, numpy_prim, register
from srcdiff.rules.numpy.elementwise import is_complex, real_part
from srcdiff.rules.numpy.reductions import max_, restore_axes
from srcdiff.rules.registry import adjoint, known

FAMILY = "reductions"


def _prim(name, differentiable=True, shape=""):
    """Register ``np.<name>`` unless another rule family already has."""
    if operator.attrgetter(name)(np) not in PRIMS:
        numpy_prim(name, differentiable=differentiable, shape=shape)


for _name in [
    "prod",
    "var",
    "std",
    "nansum",
    "nanmean",
    "nanmax",
    "nanmin",
    "nanprod",
    "nanvar",
    "nanstd",
]:
    _prim(_name, shape="reduction")  # a scalar when no axis is given
for _name in [
    "cumsum",
    "cumprod",
    "diff",
    "trace",
    "linalg.norm",
    "average",
    "median",
    "nanmedian",
    "ptp",
    # Used by the rules below.
    "flip",
    "moveaxis",
]:
    _prim(_name)
_prim("argsort", differentiable=False)
if np.linalg.svd not in PRIMS:
    register(
        Prim(
            "linalg.svd",
            np.linalg.svd,
            call("np.linalg.svd"),
            imports=(NUMPY,),
            arity=3,
        ),
        np.linalg.svd,
    )
for _name in ["prod", "var", "std", "cumsum", "cumprod", "trace"]:
    method(_name, getattr(np, _name))


# ----- Helpers the rules share (inlined into the rules that call them) -----
def refuse(**options):
    """Refuse keyword options whose derivative these rules do not give."""
    for name, value in options.items():
        if value is not None:
            raise NotImplementedError(f"the {name}= option")


def reduced_count(a, axis):
    """How many entries of `a` each result of a reduction over `axis` combines."""
    if axis is None:
        return np.size(a)
    shape = np.shape(a)
    count = 1
    for i in axis if isinstance(axis, tuple) else (axis,):
        count = count * shape[i]
    return count


def kept(reduce, a, axis):
    """`reduce` of `a` over `axis`, the reduced axes kept (with length 1)."""
    if axis is None:
        return reduce(a, keepdims=True)
    return reduce(a, axis=axis, keepdims=True)


def product_partials(a, axis):
    """d prod(a) / d a along `axis`, dividing only by nonzero entries."""
    zero = a == 0
    zeros = kept(np.sum, zero, axis)
    safe = np.where(zero, 1.0, a)
    # At a nonzero entry: the product of the others if no entry is zero.
    # At a zero: the product of the others if it is the only zero.
    others = kept(np.prod, safe, axis) / safe
    return np.where(zero, zeros == 1, zeros == 0) * others


def complex_deviation(deviation, g):
    """Complex input to var or std: they read |a - mean|**2, whose gradient
    (d/dx - i d/dy) is 2 conj(a - mean) (the mean's own part sums to zero),
    and their result is real, so only the real part of its adjoint counts."""
    return np.conj(deviation), real_part(g)


def reverse_cumsum(g, axis):
    """Sums from each position to the end along `axis`: the adjoint of cumsum."""
    return np.flip(np.cumsum(np.flip(g, axis=axis), axis=axis), axis=axis)


# ----- Products -----
@adjoint(
    np.prod,
    note="zeros handled by counting them: divides only by nonzero entries; "
    "at a lone zero the gradient is the product of the others, with two or "
    "more zeros it is 0",
)
def prod(
    g, ans, a, axis=None, dtype=None, out=None, keepdims=False, initial=None, where=None
):
    refuse(dtype=dtype, out=out, initial=initial, where=where)
    return restore_axes(g, axis, keepdims) * product_partials(a, axis)


@adjoint(np.nanprod, note="NaNs count as 1 and get zero gradient; zeros as np.prod")
def nanprod(
    g, ans, a, axis=None, dtype=None, out=None, keepdims=False, initial=None, where=None
):
    refuse(dtype=dtype, out=out, initial=initial, where=where)
    missing = np.isnan(a)
    partials = product_partials(np.where(missing, 1.0, a), axis)
    return restore_axes(g, axis, keepdims) * np.where(missing, 0.0, partials)


@adjoint(
    np.cumprod,
    note="zeros handled: divides only by nonzero entries; the first zero of a "
    "slice gets the running product of the others, later zeros get 0",
)
def cumprod(g, ans, a, axis=None, dtype=None, out=None):
    refuse(dtype=dtype, out=out)
    if axis is None:
        flat = cumprod_partials(g, ans, np.reshape(a, -1), 0)
        return np.reshape(flat, np.shape(a))
    return cumprod_partials(g, ans, a, axis)


def cumprod_partials(g, ans, a, axis):
    zero = a == 0
    first_zero = zero & (np.cumsum(zero, axis=axis) == 1)
    # Away from zeros, ans[j] / a[i] is the product of the others (and 0 past
    # a zero, as it should be). At the first zero of a slice, that product is
    # the running product with the zero replaced by one.
    nonzero = reverse_cumsum(g * ans, axis) / np.where(zero, 1.0, a)
    unzeroed = np.cumprod(np.where(first_zero, 1.0, a), axis=axis)
    return np.where(first_zero, reverse_cumsum(g * unzeroed, axis), nonzero)


# ----- Moments -----
@adjoint(np.var, note="ddof= or correction=; complex a: 2 conj(a - mean) / n")
def var(
    g,
    ans,
    a,
    axis=None,
    dtype=None,
    out=None,
    ddof=0,
    keepdims=False,
    *,
    where=None,
    mean=None,
    correction=None,
):
    refuse(dtype=dtype, out=out, where=where, mean=mean)
    if correction is not None:
        ddof = correction
    deviation = a - kept(np.mean, a, axis)
    if is_complex(a):
        deviation, g = complex_deviation(deviation, g)
    count = reduced_count(a, axis) - ddof
    return 2 * deviation / count * restore_axes(g, axis, keepdims)


@adjoint(np.std, note="std > 0; ddof= or correction=; complex a as var")
def std(
    g,
    ans,
    a,
    axis=None,
    dtype=None,
    out=None,
    ddof=0,
    keepdims=False,
    *,
    where=None,
    mean=None,
    correction=None,
):
    refuse(dtype=dtype, out=out, where=where, mean=mean)
    if correction is not None:
        ddof = correction
    deviation = a - kept(np.mean, a, axis)
    if is_complex(a):
        deviation, g = complex_deviation(deviation, g)
    count = reduced_count(a, axis) - ddof
    return (
        deviation
        / (count * restore_axes(ans, axis, keepdims))
        * restore_axes(g, axis, keepdims)
    )


# ----- Ignoring NaNs -----
@adjoint(np.nansum, note="NaNs get zero gradient")
def nansum(
    g, ans, a, axis=None, dtype=None, out=None, keepdims=False, initial=None, where=None
):
    refuse(dtype=dtype, out=out, initial=initial, where=where)
    return np.where(np.isnan(a), 0.0, restore_axes(g, axis, keepdims))


@adjoint(np.nanmean, note="NaNs get zero gradient")
def nanmean(g, ans, a, axis=None, dtype=None, out=None, keepdims=False, *, where=None):
    refuse(dtype=dtype, out=out, where=where)
    present = ~np.isnan(a)
    count = kept(np.sum, present, axis)
    return np.where(present, restore_axes(g, axis, keepdims) / count, 0.0)


@adjoint(
    np.nanmax,
    np.nanmin,
    note="NaNs get zero gradient; ties share the gradient equally (as np.max)",
)
def nanmax(g, ans, a, axis=None, out=None, keepdims=False, initial=None, where=None):
    refuse(out=out, initial=initial, where=where)
    # A NaN never equals the result, so the rule of np.max gives it nothing.
    return max_(g, ans, a, axis, keepdims)


def nan_deviation(a, axis, ddof):
    """Deviations from the NaN-ignoring mean (0 at NaNs), and the divisor."""
    present = ~np.isnan(a)
    count = kept(np.sum, present, axis)
    centred = a - kept(np.nanmean, a, axis)
    if ddof:
        count = count - ddof
    return np.where(present, centred, 0.0), count


@adjoint(
    np.nanvar, note="NaNs get zero gradient; ddof= or correction=; complex a as var"
)
def nanvar(
    g,
    ans,
    a,
    axis=None,
    dtype=None,
    out=None,
    ddof=0,
    keepdims=False,
    *,
    where=None,
    mean=None,
    correction=None,
):
    refuse(dtype=dtype, out=out, where=where, mean=mean)
    if correction is not None:
        ddof = correction
    deviation, count = nan_deviation(a, axis, ddof)
    if is_complex(a):
        deviation, g = complex_deviation(deviation, g)
    return 2 * deviation / count * restore_axes(g, axis, keepdims)


@adjoint(
    np.nanstd,
    note="std > 0, NaNs get zero gradient; ddof= or correction=; complex a as var",
)
def nanstd(
    g,
    ans,
    a,
    axis=None,
    dtype=None,
    out=None,
    ddof=0,
    keepdims=False,
    *,
    where=None,
    mean=None,
    correction=None,
):
    refuse(dtype=dtype, out=out, where=where, mean=mean)
    if correction is not None:
        ddof = correction
    deviation, count = nan_deviation(a, axis, ddof)
    if is_complex(a):
        deviation, g = complex_deviation(deviation, g)
    spread = count * restore_axes(ans, axis, keepdims)
    return deviation / spread * restore_axes(g, axis, keepdims)


# ----- Running sums, differences, traces -----
@adjoint(np.cumsum)
def cumsum(g, ans, a, axis=None, dtype=None, out=None):
    refuse(dtype=dtype, out=out)
    if axis is None and not (known(a) and np.ndim(a) == 1):
        return np.reshape(reverse_cumsum(g, 0), np.shape(a))
    return reverse_cumsum(g, 0 if axis is None else axis)


def along(axis, part):
    """An index that applies the slice `part` along `axis`, whatever the ndim."""
    if axis < 0:
        return (..., part) + (slice(None),) * (-axis - 1)
    return (slice(None),) * axis + (part,)


def padding(value, axis):
    """How many entries np.diff's prepend= or append= adds along `axis`."""
    if value is None:
        return 0
    return 1 if np.ndim(value) == 0 else np.shape(value)[axis]


@adjoint(np.diff, note="any n and axis; prepend= and append= get gradients too")
def diff(g, ans, a, n=1, axis=-1, prepend=None, append=None):
    if n == 0:  # np.diff returns `a` as it is, ignoring prepend and append
        return g, None, None, None, None
    # Differencing is a convolution with (-1, 1); its adjoint convolves the
    # zero-padded g the other way round: np.diff of the padded -g, n times.
    # Past the length np.diff's result stays empty (and g is all zeros).
    before, after = padding(prepend, axis), padding(append, axis)
    length = np.shape(a)[axis] + before + after
    if n % 2:
        g = -g
    for _ in range(n):
        g = np.diff(g, axis=axis, prepend=0, append=0)
    if not (known(a) and n <= length):  # cut what n past the length added
        g = np.take(g, np.arange(length), axis=axis)
    if prepend is None and append is None:
        return g
    da = g[along(axis, slice(before, -after if after else None))]
    d_prepend = d_append = None
    if prepend is not None:
        d_prepend = unbroadcast(g[along(axis, slice(None, before))], prepend)
    if append is not None:
        d_append = unbroadcast(g[along(axis, slice(-after, None))], append)
    return da, None, None, d_prepend, d_append


@adjoint(np.trace, note="offset, axis1, axis2; stacks of matrices")
def trace(g, ans, a, offset=0, axis1=0, axis2=1, dtype=None, out=None):
    refuse(dtype=dtype, out=out)
    shape = np.shape(a)
    if offset:
        diagonal = np.eye(shape[axis1], shape[axis2], k=offset)
    else:
        diagonal = np.eye(shape[axis1], shape[axis2])
    ndim = np.ndim(a)
    if known(a) and sorted([axis1 % ndim, axis2 % ndim]) == [ndim - 2, ndim - 1]:
        # The last two axes: no need to move them.
        if axis1 % ndim > axis2 % ndim:
            diagonal = diagonal.T
        return (g if ndim == 2 else np.expand_dims(g, (-2, -1))) * diagonal
    stacked = np.expand_dims(g, (-2, -1)) * diagonal
    return np.moveaxis(stacked, (-2, -1), (axis1, axis2))


# ----- Norms -----
@adjoint(
    np.linalg.norm,
    note="nonzero norm; complex z: the real rule at conj(z), as d|z| = conj(z) / |z| "
    "(d/dx - i d/dy); vectors: any ord "
    "(inf/-inf: ties share; ord < 1: nonzero entries); "
    "matrices: fro, nuc, 1, -1, 2, -2, inf, -inf "
    "(2/-2: distinct extreme singular value; nuc: full rank); axis, keepdims",
)
def norm(g, ans, x, ord=None, axis=None, keepdims=False):
    if is_complex(x):
        # The norm reads |z| only, and d|z| (as d/dx - i d/dy) is conj(z) / |z|
        # where the real rule has x / |x|: each partial below, written with
        # x, sign(x), |x| and the SVD of x, is the complex one for conj(z)
        # (sign(conj(z)) = conj(z) / |z|; conj(z)'s singular vectors are
        # conj(u), conj(vh)). The norm is real, so is its adjoint.
        x = np.conj(x)
        g = real_part(g)
    if axis is None and ord is None:  # the 2-norm of all entries, any ndim
        return x / ans * g
    g = restore_axes(g, axis, keepdims)
    ans = restore_axes(ans, axis, keepdims)
    if axis is None:  # 1-D: a vector norm; 2-D: a matrix norm
        axis = tuple(range(np.ndim(x)))
    axes = axis if isinstance(axis, tuple) else (axis,)
    if len(axes) == 1:
        return g * vector_norm_partials(x, ord, axes[0], ans)
    return g * matrix_norm_partials(x, ord, axes, ans)


def vector_norm_partials(x, ord, axis, norm):
    if ord is None or ord == 2:
        return x / norm
    if ord == 1:
        return np.sign(x)
    if ord == 0:  # counts the nonzero entries
        return np.zeros_like(x)
    if ord == np.inf or ord == -np.inf:  # the largest (smallest) |x|
        extreme = np.abs(x) == norm
        return np.sign(x) * extreme / np.sum(extreme, axis=axis, keepdims=True)
    return np.sign(x) * (np.abs(x) / norm) ** (ord - 1)


def matrix_norm_partials(x, ord, axes, norm):
    row, col = axes
    if ord is None or ord == "fro":
        return x / norm
    if ord in ("nuc", 2, -2):
        return singular_partials(x, ord, row, col)
    # 1 and -1: the largest (smallest) column sum of |x|; inf and -inf: row sum.
    summed, across = (row, col) if ord in (1, -1) else (col, row)
    sums = np.sum(np.abs(x), axis=summed, keepdims=True)
    extreme = sums == norm
    return np.sign(x) * extreme / np.sum(extreme, axis=across, keepdims=True)


def singular_partials(x, ord, row, col):
    """U V^T of the singular vectors the norm sums (nuc) or picks (2 and -2)."""
    ndim = np.ndim(x)
    last_two = known(x) and (row % ndim, col % ndim) == (ndim - 2, ndim - 1)
    if not last_two:
        x = np.moveaxis(x, (row, col), (-2, -1))
    u, _, vh = np.linalg.svd(x, full_matrices=False)
    if ord == "nuc":
        partials = u @ vh
    elif ord == 2:
        partials = u[..., :1] @ vh[..., :1, :]
    else:
        partials = u[..., -1:] @ vh[..., -1:, :]
    if last_two:
        return partials
    return np.moveaxis(partials, (-2, -1), (row, col))


# ----- Averages, medians, ranges -----
@adjoint(
    np.average,
    note="weights get gradients too: a's shape, or along axis; no returned=True",
)
def average(g, ans, a, axis=None, weights=None, returned=False, *, keepdims=False):
    if returned:
        raise NotImplementedError("returned=True")
    g = restore_axes(g, axis, keepdims)
    if weights is None:
        return np.broadcast_to(g / reduced_count(a, axis), np.shape(a))
    same = axis is None or np.shape(weights) == np.shape(a)
    if axis is None:
        w, total = weights, np.sum(weights)
    elif same:
        w, total = weights, np.sum(weights, axis=axis, keepdims=True)
    else:  # one weight per entry along the axes
        w, total = along_axes(weights, a, axis), np.sum(weights)
    da = g * w / total
    dw = g * (a - restore_axes(ans, axis, keepdims)) / total
    return da, None, dw if same else back_from_axes(dw, a, axis)


def weight_axes(a, axis):
    """The axes per-axis weights run along, and the order that sorts them."""
    ndim = np.ndim(a)
    axes = tuple(i % ndim for i in (axis if isinstance(axis, tuple) else (axis,)))
    return axes, tuple(sorted(range(len(axes)), key=axes.__getitem__))


def along_axes(weights, a, axis):
    """Weights along `axis` placed to broadcast against `a`, as np.average does."""
    axes, order = weight_axes(a, axis)
    ndim = np.ndim(a)
    if axes == tuple(range(ndim - len(axes), ndim)):
        return weights  # the trailing axes, in order: broadcasting lines them up
    if order != tuple(range(len(axes))):
        weights = np.transpose(weights, order)
    shape = tuple(np.shape(a)[i] if i in axes else 1 for i in range(ndim))
    return np.reshape(weights, shape)


def back_from_axes(dw, a, axis):
    """A gradient shaped like `a` summed back to weights along `axis`."""
    axes, order = weight_axes(a, axis)
    others = tuple(i for i in range(np.ndim(a)) if i not in axes)
    summed = np.sum(dw, axis=others[0] if len(others) == 1 else others)
    if order == tuple(range(len(axes))):
        return summed
    return np.transpose(summed, tuple(sorted(range(len(order)), key=order.__getitem__)))


def ranks(a, axis):
    """Where each entry of `a` falls in sorted order along `axis` (or all, or axes)."""
    if axis is None:
        return np.reshape(np.argsort(np.argsort(a, axis=None)), np.shape(a))
    if isinstance(axis, tuple) and len(axis) == 1:
        axis = axis[0]
    if not isinstance(axis, tuple):
        return np.argsort(np.argsort(a, axis=axis), axis=axis)
    # Several axes: move them to the end and rank along their flattening.
    ends = tuple(range(-len(axis), 0))
    moved = np.moveaxis(a, axis, ends)
    flat = np.reshape(moved, (*np.shape(moved)[: np.ndim(a) - len(axis)], -1))
    return np.moveaxis(np.reshape(ranks(flat, -1), np.shape(moved)), ends, axis)


@adjoint(
    np.median,
    note="to the middle entry in sorted order; an even count splits it between "
    "the two middle entries; among ties, the entry np.argsort puts there",
)
def median(g, ans, a, axis=None, out=None, overwrite_input=False, keepdims=False):
    refuse(out=out)
    rank = ranks(a, axis)
    count = reduced_count(a, axis)
    if not isinstance(count, int):  # no example: odd and even counts at once
        middle = (rank == (count - 1) // 2) / 2 + (rank == count // 2) / 2
    elif count % 2:
        middle = rank == count // 2
    else:  # the mean of the two middle entries
        middle = ((rank == count // 2 - 1) | (rank == count // 2)) / 2
    return restore_axes(g, axis, keepdims) * middle


@adjoint(
    np.nanmedian,
    note="as np.median among the numbers; NaNs (sorted last) get zero gradient",
)
def nanmedian(g, ans, a, axis=None, out=None, overwrite_input=False, keepdims=False):
    refuse(out=out)
    present = ~np.isnan(a)
    count = kept(np.sum, present, axis)
    rank = ranks(a, axis)
    middle = (rank == (count - 1) // 2) | (rank == count // 2)
    # One middle entry for an odd count, two sharing for an even one.
    return restore_axes(g, axis, keepdims) * (middle & present) / (2 - count % 2)


@adjoint(np.ptp, note="ties at the max or the min share the gradient equally")
def ptp(g, ans, a, axis=None, out=None, keepdims=False):
    refuse(out=out)
    top = a == kept(np.max, a, axis)
    bottom = a == kept(np.min, a, axis)
    top_share = top / kept(np.sum, top, axis)
    bottom_share = bottom / kept(np.sum, bottom, axis)
    return restore_axes(g, axis, keepdims) * (top_share - bottom_share)
