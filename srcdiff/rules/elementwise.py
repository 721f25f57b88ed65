"""Adjoints of unary elementwise ufuncs."""

import numpy as np

from . import adjoint


@adjoint(np.exp)
def exp(g, ans, x):
    return g * ans


@adjoint(np.log, note="x > 0")
def log(g, ans, x):
    return g / x


@adjoint(np.log1p, note="x > -1")
def log1p(g, ans, x):
    return g / (1 + x)


@adjoint(np.expm1)
def expm1(g, ans, x):
    return g * (ans + 1)


@adjoint(np.sqrt, note="x > 0")
def sqrt(g, ans, x):
    return g / (2 * ans)


@adjoint(np.square)
def square(g, ans, x):
    return g * 2 * x


@adjoint(np.sin)
def sin(g, ans, x):
    return g * np.cos(x)


@adjoint(np.cos)
def cos(g, ans, x):
    return -g * np.sin(x)


@adjoint(np.tan)
def tan(g, ans, x):
    return g * (1 + ans**2)


@adjoint(np.tanh)
def tanh(g, ans, x):
    return g * (1 - ans**2)


@adjoint(np.sinh)
def sinh(g, ans, x):
    return g * np.cosh(x)


@adjoint(np.cosh)
def cosh(g, ans, x):
    return g * np.sinh(x)


@adjoint(np.arctan)
def arctan(g, ans, x):
    return g / (1 + x**2)


@adjoint(np.abs, note="gradient 0 at x == 0")
def absolute(g, ans, x):
    return g * np.sign(x)
