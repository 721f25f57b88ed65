"""Adjoints of the arithmetic operators and their binary NumPy ufuncs."""

import operator

import numpy as np

from ..helpers import unbroadcast
from . import adjoint


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


@adjoint(operator.pow, note="the exponent's gradient needs a positive base")
def power(g, ans, x, y):
    return unbroadcast(g * y * x ** (y - 1), x), unbroadcast(g * ans * np.log(x), y)


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


@adjoint(np.clip, note="bounds get the gradient where they clip")
def clip(g, ans, a, a_min=None, a_max=None):
    da = g
    d_min = d_max = None
    if a_min is not None:
        da = da * (a >= a_min)
        d_min = unbroadcast(g * (a < a_min), a_min)
    if a_max is not None:
        da = da * (a <= a_max)
        d_max = unbroadcast(g * (a > a_max), a_max)
    return unbroadcast(da, a), d_min, d_max
