"""Adjoints of the arithmetic operators and their binary NumPy ufuncs.

Also the piecewise smooth ones (`%`, fmod, divmod, modf, copysign, fmax), each
with the derivative of the piece it is on, and the constructors that are
linear in a value (np.full, np.linspace, np.bincount with weights).
"""

import ast
import operator

import numpy as np

from srcdiff.helpers import unbroadcast
from srcdiff.ir.prims import NUMPY, Prim, _binop, call, numpy_prim, register
from srcdiff.rules.registry import adjoint

BINARY = ["float_power", "fmod", "fmax", "fmin", "copysign", "ldexp", "nextafter"]
for _name in [*BINARY, "heaviside"]:
    numpy_prim(_name, shape="broadcast")
register(
    Prim("remainder", operator.mod, _binop(ast.Mod()), shape="broadcast"),
    operator.mod,
    np.remainder,
)
# Functions that return two arrays: ``fraction, whole = np.modf(x)``.
for _name in ["modf", "frexp", "divmod"]:
    _fn = getattr(np, _name)
    register(Prim(_name, _fn, call(f"np.{_name}"), imports=(NUMPY,), arity=2), _fn)
# Constructors linear in a value: differentiable there, unlike np.zeros.
for _name in ["full", "linspace", "bincount"]:
    numpy_prim(_name)


@adjoint(operator.add)
def add(g, ans, x, y):
    return unbroadcast(g, x), unbroadcast(g, y)


@adjoint(operator.sub)
def subtract(g, ans, x, y):
    return unbroadcast(g, x), unbroadcast(-g, y)


@adjoint(operator.mul)
def multiply(g, ans, x, y):
    return unbroadcast(g * y, x), unbroadcast(g * x, y)


@adjoint(operator.truediv)
def divide(g, ans, x, y):
    return unbroadcast(g / y, x), unbroadcast(-g * ans / y, y)


@adjoint(
    operator.pow,
    np.float_power,
    note="the exponent's gradient needs a positive base, or 0 (gradient 0 there)",
)
def power(g, ans, x, y):
    dx = unbroadcast(g * y * x ** (y - 1), x)
    if isinstance(x, (int, float)) and x > 0:  # 2.0 ** y
        return dx, unbroadcast(g * ans * np.log(x), y)
    # Where x is 0, x ** y is 0 for every y > 0 near: gradient 0, not 0 * -inf.
    return dx, unbroadcast(g * ans * np.log(np.where(x == 0, 1.0, x)), y)


@adjoint(operator.neg)
def negative(g, ans, x):
    return -g


@adjoint(np.maximum, note="ties share the gradient equally")
def maximum(g, ans, x, y):
    share = (x > y) + 0.5 * (x == y)
    return unbroadcast(g * share, x), unbroadcast(g * (1 - share), y)


@adjoint(np.minimum, note="ties share the gradient equally")
def minimum(g, ans, x, y):
    share = (x < y) + 0.5 * (x == y)
    return unbroadcast(g * share, x), unbroadcast(g * (1 - share), y)


@adjoint(np.where, note="no gradient flows to the condition")
def where(g, ans, condition, x, y):
    return (
        None,
        unbroadcast(np.where(condition, g, 0.0), x),
        unbroadcast(np.where(condition, 0.0, g), y),
    )


@adjoint(np.clip, note="bounds get the gradient where they clip; a_max wins")
def clip(g, ans, a, a_min=None, a_max=None):
    # np.clip is minimum(maximum(a, a_min), a_max): where a_min > a_max, every
    # value is a_max.
    da = g
    d_min = d_max = None
    if a_min is not None:
        da = da * (a >= a_min)
        below = a < a_min if a_max is None else (a < a_min) & (a_min <= a_max)
        d_min = unbroadcast(g * below, a_min)
    if a_max is not None:
        da = da * (a <= a_max)
        above = a > a_max if a_min is None else (a > a_max) | (a_min > a_max)
        d_max = unbroadcast(g * above, a_max)
    return unbroadcast(da, a), d_min, d_max


# ----- Piecewise smooth: rounding, signs, NaN-aware extremes -----
@adjoint(
    np.remainder,
    note="x - y * floor(x / y): d/dx 1, d/dy -floor(x / y); kinks where x / y is "
    "a whole number",
)
def remainder(g, ans, x, y):
    return unbroadcast(g, x), unbroadcast(-g * (x // y), y)


@adjoint(
    np.fmod,
    note="x - y * trunc(x / y): d/dx 1, d/dy -trunc(x / y); kinks where x / y is "
    "a whole number",
)
def fmod(g, ans, x, y):
    return unbroadcast(g, x), unbroadcast(-g * np.trunc(x / y), y)


@adjoint(
    np.divmod,
    note="(x // y, x % y): the quotient has no gradient, the remainder as % does",
)
def divmod_(g, ans, x, y):
    g_remainder = g[1]
    if g_remainder is None:
        return None, None
    quotient = ans[0]
    return unbroadcast(g_remainder, x), unbroadcast(-g_remainder * quotient, y)


@adjoint(np.modf, note="(fractional part, whole part): the whole part has none")
def modf(g, ans, x):
    return g[0]


@adjoint(np.frexp, note="(mantissa, exponent): the exponent has none")
def frexp(g, ans, x):
    g_mantissa = g[0]
    if g_mantissa is None:
        return None
    exponent = ans[1]
    return np.ldexp(g_mantissa, -exponent)


@adjoint(np.ldexp, note="x * 2**n: none for the integer n")
def ldexp(g, ans, x, n):
    return unbroadcast(np.ldexp(g, n), x), None


@adjoint(np.copysign, note="abs(x) with the sign of y: gradient 0 at x == 0; none to y")
def copysign(g, ans, x, y):
    return unbroadcast(g * np.sign(x) * np.sign(ans), x), None


@adjoint(np.fmax, np.fmin, note="ties share the gradient equally; NaNs get none")
def fmax(g, ans, x, y):
    tie = 1 + (x == y)
    return unbroadcast(g * (x == ans) / tie, x), unbroadcast(g * (y == ans) / tie, y)


@adjoint(np.nextafter, note="the float next to x towards y: d/dx 1, none to y")
def nextafter(g, ans, x, y):
    return unbroadcast(g, x), None


@adjoint(np.heaviside, note="a step: none to x; h0 gets the gradient where x == 0")
def heaviside(g, ans, x, h0):
    return None, unbroadcast(g * (x == 0), h0)


# ----- Constructors, linear in a value -----
@adjoint(np.full, note="the fill value gets the summed gradient")
def full(g, ans, shape, fill_value, dtype=None, order="C", device=None, like=None):
    return None, unbroadcast(g, fill_value)


@adjoint(np.linspace, note="scalar start and stop; not retstep=True")
def linspace(
    g,
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
    # start + (stop - start) * t, t evenly spaced from 0 towards 1.
    if endpoint:
        t = np.linspace(0.0, 1.0, num)
    else:
        t = np.linspace(0.0, 1.0, num, endpoint=False)
    return np.sum(g * (1 - t)), np.sum(g * t)


@adjoint(np.bincount, note="the weights get the gradient of their bin")
def bincount(g, ans, x, weights=None, minlength=0):
    return None, g[x]
