"""Tangent rules (forward mode) written out: what no table of
``tangent_tables.py`` covers.

A rule takes ``t`` (the tangent of one argument), ``ans`` and the primal's
parameters and returns that argument's share of the result's tangent
(``srcdiff.rules.registry.tangent``). Each follows the convention of the
adjoint rule beside it (ties share, zeros of a product counted), so the two
agree: ``<J v, u> == <v, J^T u>``.
"""

import operator

import numpy as np

from srcdiff.rules.numpy.elementwise import is_complex
from srcdiff.rules.numpy.reductions import restore_axes
from srcdiff.rules.numpy.reshaping import pad_pairs
from srcdiff.rules.numpy.statistics import kept, product_partials, reduced_count, refuse
from srcdiff.rules.registry import tangent


# ----- Sums and differences: the tangent itself -----
@tangent(operator.add, argnum=0)
@tangent(operator.add, argnum=1)
@tangent(operator.sub, argnum=0)
@tangent(np.nextafter, argnum=0)
def unchanged(t, ans, x, y):
    return t


@tangent(operator.sub, argnum=1)
def subtrahend(t, ans, x, y):
    return -t


# ----- Signs and complex parts -----
@tangent(np.abs, np.fabs)
def absolute(t, ans, x):
    if is_complex(x):
        return np.real(np.conj(np.sign(x)) * t)
    return t * np.sign(x)


@tangent(np.sign)
def sign(t, ans, x):
    if not is_complex(x):
        return None  # piecewise constant
    return (t - ans * np.real(np.conj(ans) * t)) / np.abs(x)


@tangent(np.angle)
def angle(t, ans, z, deg=False):
    if not is_complex(z):
        return None  # 0 or pi: piecewise constant
    if deg:
        return np.rad2deg(np.imag(t / z))
    return np.imag(t / z)


# ----- Pieces of a number -----
@tangent(np.modf)
def modf(t, ans, x):
    return t, None


@tangent(np.frexp)
def frexp(t, ans, x):
    return np.ldexp(t, -ans[1]), None


@tangent(np.divmod, argnum=0)
def divmod_x(t, ans, x, y):
    return None, t


@tangent(np.divmod, argnum=1)
def divmod_y(t, ans, x, y):
    return None, -t * ans[0]


# ----- Reductions -----
@tangent(np.max, np.min)
def max_(t, ans, a, axis=None, keepdims=False):
    winners = a == restore_axes(ans, axis, keepdims)
    share = winners / np.sum(winners, axis=axis, keepdims=True)
    return np.sum(t * share, axis=axis, keepdims=keepdims)


@tangent(np.prod)
def prod(
    t, ans, a, axis=None, dtype=None, out=None, keepdims=False, initial=None, where=None
):
    refuse(dtype=dtype, out=out, initial=initial, where=where)
    return np.sum(t * product_partials(a, axis), axis=axis, keepdims=keepdims)


@tangent(np.var)
def var(
    t,
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
    if is_complex(a):
        raise NotImplementedError("the tangent of var of complex values")
    if correction is not None:
        ddof = correction
    deviation = a - kept(np.mean, a, axis)
    count = reduced_count(a, axis) - ddof
    return 2 * np.sum(deviation * t, axis=axis, keepdims=keepdims) / count


@tangent(np.std)
def std(
    t,
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
    if is_complex(a):
        raise NotImplementedError("the tangent of std of complex values")
    if correction is not None:
        ddof = correction
    deviation = a - kept(np.mean, a, axis)
    count = reduced_count(a, axis) - ddof
    return np.sum(deviation * t, axis=axis, keepdims=keepdims) / (count * ans)


@tangent(np.nansum)
def nansum(
    t, ans, a, axis=None, dtype=None, out=None, keepdims=False, initial=None, where=None
):
    refuse(dtype=dtype, out=out, initial=initial, where=where)
    return np.sum(np.where(np.isnan(a), 0.0, t), axis=axis, keepdims=keepdims)


@tangent(np.nanmean)
def nanmean(t, ans, a, axis=None, dtype=None, out=None, keepdims=False, *, where=None):
    refuse(dtype=dtype, out=out, where=where)
    present = ~np.isnan(a)
    total = np.sum(np.where(present, t, 0.0), axis=axis, keepdims=keepdims)
    return total / np.sum(present, axis=axis, keepdims=keepdims)


@tangent(np.linalg.norm)
def norm(t, ans, x, ord=None, axis=None, keepdims=False):
    if ord not in (None, 2, "fro") or is_complex(x):
        raise NotImplementedError("the tangent of norm other than the real 2-norm")
    if ord == 2 and (axis is None and np.ndim(x) != 1):
        raise NotImplementedError("the tangent of the matrix 2-norm")
    if isinstance(axis, tuple) and ord == 2:
        raise NotImplementedError("the tangent of the matrix 2-norm")
    return np.sum(x * t, axis=axis, keepdims=keepdims) / ans


@tangent(np.average)
def average(t, ans, a, axis=None, weights=None, returned=False, *, keepdims=False):
    if returned:
        raise NotImplementedError("the tangent of np.average with returned=True")
    if weights is None:
        return np.mean(t, axis=axis, keepdims=keepdims)
    return np.average(t, axis=axis, weights=weights, keepdims=keepdims)


# ----- Padding -----
@tangent(np.pad)
def pad(t, ans, array, pad_width, mode="constant", constant_values=0, **kwargs):
    if mode != "constant" or kwargs:
        raise NotImplementedError(f"the tangent of np.pad with mode='{mode}'")
    pad_pairs(pad_width, np.ndim(array))  # refuses an array pad_width
    return np.pad(t, pad_width)


# ----- Constructors -----
@tangent(np.linspace, argnum=0)
def linspace_start(
    t,
    ans,
    start,
    stop,
    num=50,
    endpoint=True,
    retstep=False,
    dtype=None,
    axis=0,
    device=None,
):
    if retstep or np.ndim(start) or np.ndim(stop):
        raise NotImplementedError("np.linspace with retstep=True or array ends")
    return t * (1 - np.linspace(0.0, 1.0, num, endpoint=endpoint))


@tangent(np.linspace, argnum=1)
def linspace_stop(
    t,
    ans,
    start,
    stop,
    num=50,
    endpoint=True,
    retstep=False,
    dtype=None,
    axis=0,
    device=None,
):
    if retstep or np.ndim(start) or np.ndim(stop):
        raise NotImplementedError("np.linspace with retstep=True or array ends")
    return t * np.linspace(0.0, 1.0, num, endpoint=endpoint)
