"""Adjoints of more scipy.special functions: gamma and its relatives, the
incomplete gamma and beta functions, erfcinv and the Bessel functions.

Loaded with ``scipy_special`` (whose digamma, betaln and i0 these rules call).
Orders and shape parameters that autograd does not differentiate either (the
order v of jv, iv and ive; a and b of betainc and gammainc) have no closed
form in scipy.special: their contribution is ``NotImplemented``, so that
differentiating in one fails rather than giving a wrong gradient. Integer
orders (yn's n, multigammaln's d) have no gradient at all.
"""

import numpy as np
from scipy import special

from srcdiff.helpers import unbroadcast
from srcdiff.ir.prims import Prim, call, register
from srcdiff.rules.registry import adjoint
from srcdiff.rules.scipy.special import special_prim

FAMILY = "scipy.special"

for _name in ["gamma", "rgamma", "erfcinv", "j0", "j1", "y0", "y1"]:
    special_prim(_name, shape="same")
for _name in ["betainc", "gammainc", "gammaincc", "iv", "ive", "jv", "yn"]:
    special_prim(_name, shape="broadcast")
special_prim("multigammaln", shape="same")
# The sign of gamma(x) is piecewise constant.
register(
    Prim(
        "gammasgn",
        special.gammasgn,
        call("gammasgn"),
        differentiable=False,
        imports=("from scipy.special import gammasgn",),
        shape="same",
    ),
    special.gammasgn,
)
# scipy.special.jn is scipy.special.jv: the same prim, either name.


# ----- Gamma function -----
@adjoint(special.gamma, note="x not 0 or a negative integer")
def gamma(g, ans, x):
    return g * ans * special.digamma(x)


@adjoint(special.rgamma, note="1 / gamma(x); x not 0 or a negative integer")
def rgamma(g, ans, x):
    return -g * ans * special.digamma(x)


@adjoint(special.multigammaln, note="in a, a > (d - 1) / 2; d is an integer")
def multigammaln(g, ans, a, d):
    # log Gamma_d(a) = const + sum over j < d of gammaln(a - j / 2)
    return g * np.sum(special.digamma(np.expand_dims(a, -1) - np.arange(d) / 2), -1)


# ----- Incomplete gamma and beta functions -----
@adjoint(
    special.gammainc,
    note="in x > 0 (the density of a gamma(a) variable); refused in a",
)
def gammainc(g, ans, a, x):
    density = np.exp(special.xlogy(a - 1, x) - x - special.gammaln(a))
    return NotImplemented, unbroadcast(g * density, x)


@adjoint(special.gammaincc, note="in x > 0; refused in a")
def gammaincc(g, ans, a, x):
    density = np.exp(special.xlogy(a - 1, x) - x - special.gammaln(a))
    return NotImplemented, unbroadcast(-g * density, x)


@adjoint(
    special.betainc,
    note="in 0 < x < 1 (the density of a beta(a, b) variable); refused in a and b",
)
def betainc(g, ans, a, b, x):
    log_density = (
        special.xlogy(a - 1, x) + special.xlog1py(b - 1, -x) - special.betaln(a, b)
    )
    return NotImplemented, NotImplemented, unbroadcast(g * np.exp(log_density), x)


# ----- Inverse error function -----
@adjoint(special.erfcinv, note="0 < x < 2")
def erfcinv(g, ans, x):
    return g * (-np.sqrt(np.pi) / 2) * np.exp(ans**2)


# ----- Bessel functions of the first and second kind -----
@adjoint(special.j0)
def j0(g, ans, x):
    return -g * special.j1(x)


@adjoint(special.j1)
def j1(g, ans, x):
    return g * (special.j0(x) - special.jv(2, x)) / 2


@adjoint(
    special.jv,
    special.jn,
    note="in x (x > 0 for orders v that are not integers); refused in v",
)
def jv(g, ans, v, x):
    dx = (special.jv(v - 1, x) - special.jv(v + 1, x)) / 2
    return NotImplemented, unbroadcast(g * dx, x)


@adjoint(special.y0, note="x > 0")
def y0(g, ans, x):
    return -g * special.y1(x)


@adjoint(special.y1, note="x > 0")
def y1(g, ans, x):
    return g * (special.y0(x) - special.yn(2, x)) / 2


@adjoint(special.yn, note="in x > 0; the integer order n has none")
def yn(g, ans, n, x):
    dx = (special.yn(n - 1, x) - special.yn(n + 1, x)) / 2
    return None, unbroadcast(g * dx, x)


# ----- Modified Bessel functions of the first kind -----
@adjoint(
    special.iv, note="in z (z > 0 for orders v that are not integers); refused in v"
)
def iv(g, ans, v, z):
    dz = (special.iv(v - 1, z) + special.iv(v + 1, z)) / 2
    return NotImplemented, unbroadcast(g * dz, z)


@adjoint(
    special.ive,
    note="iv(v, z) * exp(-|z|): in z != 0 (z > 0 for orders v that are not "
    "integers); refused in v",
)
def ive(g, ans, v, z):
    dz = (special.ive(v - 1, z) + special.ive(v + 1, z)) / 2 - np.sign(z) * ans
    return NotImplemented, unbroadcast(g * dz, z)
