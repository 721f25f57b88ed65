"""Adjoints of the elementwise math ufuncs: exp and log, powers, trigonometry.

Complex values follow autograd's convention: an adjoint holds the gradient of
the real part of the loss, d/dx - i d/dy. A holomorphic function's rule is
then its real rule, ``g * f'(z)`` with no conjugate; the rules of ``abs``,
``real``, ``imag``, ``conj`` and ``angle`` spell out their complex case. Those
cases need the dtype, which only an example gives: without one, inputs are
taken to be real.
"""

import numpy as np

from srcdiff.helpers import unbroadcast
from srcdiff.ir import prims
from srcdiff.ir.prims import method, numpy_prim
from srcdiff.rules.registry import adjoint, assume_real, known

UNARY = [
    "exp2",
    "log2",
    "log10",
    "cbrt",
    "reciprocal",
    "arcsin",
    "arccos",
    "arcsinh",
    "arccosh",
    "arctanh",
    "sinc",
    "deg2rad",
    "rad2deg",
    "degrees",
    "radians",
    "fabs",
    "sign",
    "positive",
    "conj",
    "real",
    "imag",
    "angle",
    "nan_to_num",
]
BINARY = ["arctan2", "hypot", "logaddexp", "logaddexp2"]
for _name in UNARY:
    numpy_prim(_name, shape="same")
for _name in BINARY:
    numpy_prim(_name, shape="broadcast")
method("conj", np.conj)
method("conjugate", np.conj)


# ----- Helpers, inlined into the rules -----
def is_complex(v):
    """Whether ``v`` holds complex numbers. Without an example the rule takes
    it as real, and the emitted code checks that it is."""
    if isinstance(v, (bool, int, float, complex)):
        return isinstance(v, complex)
    if known(v):
        return v.dtype.kind == "c"
    return not assume_real(v)


def real_part(g):
    """The adjoint of a real result is real: a complex constant applied later
    can make it arrive complex, and only its real part belongs to the result."""
    return np.real(g) if is_complex(g) else g


# ----- Exponentials and logarithms -----
@adjoint(np.exp)
def exp(g, ans, x):
    return g * ans


@adjoint(np.exp2)
def exp2(g, ans, x):
    return g * ans * np.log(2)


@adjoint(np.expm1)
def expm1(g, ans, x):
    return g * (ans + 1)


@adjoint(np.log, note="x > 0")
def log(g, ans, x):
    return g / x


@adjoint(np.log2, note="x > 0")
def log2(g, ans, x):
    return g / (x * np.log(2))


@adjoint(np.log10, note="x > 0")
def log10(g, ans, x):
    return g / (x * np.log(10))


@adjoint(np.log1p, note="x > -1")
def log1p(g, ans, x):
    return g / (1 + x)


@adjoint(prims.sigmoid, note="`1 / (1 + np.exp(-z))`, recognised as written")
def sigmoid(g, ans, z):
    return g * ans * (1 - ans)


@adjoint(prims.softplus, note="`np.log(1 + np.exp(x))`, recognised as written")
def softplus(g, ans, x):
    return g * prims.sigmoid(x)


@adjoint(np.logaddexp)
def logaddexp(g, ans, x, y):
    return unbroadcast(g * np.exp(x - ans), x), unbroadcast(g * np.exp(y - ans), y)


@adjoint(np.logaddexp2)
def logaddexp2(g, ans, x, y):
    return unbroadcast(g * np.exp2(x - ans), x), unbroadcast(g * np.exp2(y - ans), y)


# ----- Powers and roots -----
@adjoint(np.sqrt, note="x > 0")
def sqrt(g, ans, x):
    return g / (2 * ans)


@adjoint(np.cbrt, note="x != 0")
def cbrt(g, ans, x):
    return g / (3 * ans**2)


@adjoint(np.square)
def square(g, ans, x):
    return g * 2 * x


@adjoint(np.reciprocal, note="x != 0")
def reciprocal(g, ans, x):
    return -g * ans**2


@adjoint(np.hypot, note="not at x == y == 0")
def hypot(g, ans, x, y):
    return unbroadcast(g * x / ans, x), unbroadcast(g * y / ans, y)


# ----- Trigonometric functions -----
@adjoint(np.sin)
def sin(g, ans, x):
    return g * np.cos(x)


@adjoint(np.cos)
def cos(g, ans, x):
    return -g * np.sin(x)


@adjoint(np.tan)
def tan(g, ans, x):
    return g * (1 + ans**2)


@adjoint(np.arcsin, note="-1 < x < 1")
def arcsin(g, ans, x):
    return g / np.sqrt(1 - x**2)


@adjoint(np.arccos, note="-1 < x < 1")
def arccos(g, ans, x):
    return -g / np.sqrt(1 - x**2)


@adjoint(np.arctan)
def arctan(g, ans, x):
    return g / (1 + x**2)


@adjoint(np.arctan2, note="arctan2(y, x); not at x == y == 0")
def arctan2(g, ans, y, x):
    r2 = x**2 + y**2
    return unbroadcast(g * x / r2, y), unbroadcast(-g * y / r2, x)


@adjoint(np.sinc, note="sin(pi x) / (pi x)")
def sinc(g, ans, x):
    # (cos(pi x) - sinc(x)) / x cancels near 0, where -pi**2 x / 3 is the
    # derivative to double precision.
    small = np.abs(x) < 1e-5
    near_zero = -(np.pi**2 / 3) * x
    elsewhere = (np.cos(np.pi * x) - ans) / np.where(small, 1.0, x)
    return g * np.where(small, near_zero, elsewhere)


@adjoint(np.deg2rad, np.radians)
def deg2rad(g, ans, x):
    return np.deg2rad(g)


@adjoint(np.rad2deg, np.degrees)
def rad2deg(g, ans, x):
    return np.rad2deg(g)


# ----- Hyperbolic functions -----
@adjoint(np.sinh)
def sinh(g, ans, x):
    return g * np.cosh(x)


@adjoint(np.cosh)
def cosh(g, ans, x):
    return g * np.sinh(x)


@adjoint(np.tanh)
def tanh(g, ans, x):
    return g * (1 - ans**2)


@adjoint(np.arcsinh)
def arcsinh(g, ans, x):
    return g / np.sqrt(x**2 + 1)


@adjoint(np.arccosh, note="x > 1")
def arccosh(g, ans, x):
    if is_complex(x):  # the principal branch, which sqrt(x**2 - 1) is not
        return g / (np.sqrt(x - 1) * np.sqrt(x + 1))
    return g / np.sqrt(x**2 - 1)


@adjoint(np.arctanh, note="-1 < x < 1")
def arctanh(g, ans, x):
    return g / (1 - x**2)


# ----- Signs, complex parts, NaNs -----
@adjoint(np.positive)
def positive(g, ans, x):
    return g


@adjoint(
    np.abs,
    np.fabs,
    note="gradient 0 at x == 0; complex z: conj(z) / abs(z) times the real adjoint",
)
def absolute(g, ans, x):
    if is_complex(x):
        return real_part(g) * np.conj(np.sign(x))
    return g * np.sign(x)


@adjoint(np.sign, note="none for real x; complex z != 0: z / abs(z) is smooth")
def sign(g, ans, x):
    if not is_complex(x):
        return None  # piecewise constant
    return (g - np.conj(g * ans**2)) / (2 * np.abs(x))


@adjoint(np.real, note="complex z: the real part of the adjoint")
def real(g, ans, val):
    return real_part(g)


@adjoint(np.imag, note="complex z: -1j times the real adjoint; real x: none")
def imag(g, ans, val):
    if is_complex(val):
        return -1j * real_part(g)
    return None


@adjoint(np.conj, note="complex z: the conjugate of the adjoint")
def conj(g, ans, x):
    if is_complex(x):
        return np.conj(g)
    return g


@adjoint(np.angle, note="complex z != 0: -1j / z times the real adjoint; real x: none")
def angle(g, ans, z, deg=False):
    if not is_complex(z):
        return None  # 0 or pi: piecewise constant
    if deg:
        return -1j * np.rad2deg(real_part(g)) / z
    return -1j * real_part(g) / z


@adjoint(np.nan_to_num, note="the replaced NaNs and infinities get none")
def nan_to_num(g, ans, x, copy=True, nan=0.0, posinf=None, neginf=None):
    for value in (nan, posinf, neginf):
        if not (value is None or isinstance(value, (int, float))):
            raise NotImplementedError("nan=, posinf= or neginf= other than numbers")
    return np.where(np.isfinite(x), g, 0.0)
