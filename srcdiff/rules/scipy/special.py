"""Adjoints of scipy.special functions.

Loaded by ``primitives.lookup`` the first time a traced function calls into
SciPy, so that ``import srcdiff`` never imports SciPy. Rules call only SciPy
functions registered here (``digamma``'s rule calls ``polygamma``, ``i0``'s
calls ``i1``), so their bodies are valid emitted code.
"""

import numpy as np
from scipy import special

from srcdiff import helpers
from srcdiff.helpers import unbroadcast
from srcdiff.ir.prims import Prim, call, register
from srcdiff.rules.numpy.reductions import restore_axes
from srcdiff.rules.registry import adjoint, known

FAMILY = "scipy.special"


def special_prim(name, shape=""):
    """A prim for ``scipy.special.<name>``, rendered as a call of ``<name>``."""
    fn = getattr(special, name)
    imports = (f"from scipy.special import {name}",)
    return register(Prim(name, fn, call(name), imports=imports, shape=shape), fn)


special_prim("logsumexp", shape="reduction")
special_prim("softmax", shape="same")
special_prim("log_softmax", shape="same")
for _name in ["expit", "logit", "log_expit", "erf", "erfc", "erfinv", "gammaln"]:
    special_prim(_name, shape="same")
for _name in ["digamma", "i0", "i1", "i0e", "i1e"]:
    special_prim(_name, shape="same")
for _name in ["polygamma", "beta", "betaln", "xlogy", "xlog1py"]:
    special_prim(_name, shape="broadcast")
# scipy.special.psi is scipy.special.digamma: the same prim, either name.


@adjoint(
    special.logsumexp,
    helpers.logsumexp,
    note="without return_sign=; b= no larger than a, with sum(b * exp(a)) > 0",
)
def logsumexp(g, ans, a, axis=None, b=None, keepdims=False, return_sign=False):
    if return_sign:
        raise NotImplementedError("logsumexp with return_sign=True")
    larger = b is not None and known(a, b)
    if larger and np.broadcast_shapes(np.shape(a), np.shape(b)) != np.shape(a):
        raise NotImplementedError(
            "logsumexp with b= that broadcasts a to a larger shape "
            "(broadcast a first: a + np.zeros_like(b))"
        )
    softmax = np.exp(a - restore_axes(ans, axis, keepdims))
    g = restore_axes(g, axis, keepdims)
    # SciPy answers a 0-d `a` with shape (1,) under keepdims or axis=().
    if b is None:
        return unbroadcast(g * softmax, a)
    # log(sum(b * exp(a))): the weights b scale each term's share.
    return unbroadcast(g * b * softmax, a), None, unbroadcast(g * softmax, b)


# ----- Logistic functions and softmax -----
@adjoint(special.expit)
def expit(g, ans, x):
    return g * ans * (1 - ans)


@adjoint(special.logit, note="0 < x < 1")
def logit(g, ans, x):
    return g / (x * (1 - x))


@adjoint(special.log_expit)
def log_expit(g, ans, x):
    return g * special.expit(-x)


@adjoint(special.softmax)
def softmax(g, ans, x, axis=None):
    return ans * (g - np.sum(g * ans, axis=axis, keepdims=True))


@adjoint(special.log_softmax)
def log_softmax(g, ans, x, axis=None):
    return g - np.exp(ans) * np.sum(g, axis=axis, keepdims=True)


# ----- Error functions -----
@adjoint(special.erf)
def erf(g, ans, x):
    return g * (2 / np.sqrt(np.pi)) * np.exp(-(x**2))


@adjoint(special.erfc)
def erfc(g, ans, x):
    return g * (-2 / np.sqrt(np.pi)) * np.exp(-(x**2))


@adjoint(special.erfinv, note="-1 < x < 1")
def erfinv(g, ans, x):
    return g * (np.sqrt(np.pi) / 2) * np.exp(ans**2)


# ----- Gamma and beta functions -----
@adjoint(special.gammaln, note="x > 0")
def gammaln(g, ans, x):
    return g * special.digamma(x)


@adjoint(special.digamma, special.psi, note="x > 0")
def digamma(g, ans, x):
    return g * special.polygamma(1, x)


@adjoint(special.polygamma, note="order n not differentiated; x > 0")
def polygamma(g, ans, n, x):
    return None, unbroadcast(g * special.polygamma(n + 1, x), x)


@adjoint(special.beta, note="a, b > 0")
def beta(g, ans, a, b):
    dab = special.digamma(a + b)
    da = g * ans * (special.digamma(a) - dab)
    db = g * ans * (special.digamma(b) - dab)
    return unbroadcast(da, a), unbroadcast(db, b)


@adjoint(special.betaln, note="a, b > 0")
def betaln(g, ans, a, b):
    dab = special.digamma(a + b)
    da = g * (special.digamma(a) - dab)
    db = g * (special.digamma(b) - dab)
    return unbroadcast(da, a), unbroadcast(db, b)


# ----- x log y -----
@adjoint(special.xlogy, note="y > 0")
def xlogy(g, ans, x, y):
    return unbroadcast(g * np.log(y), x), unbroadcast(g * x / y, y)


@adjoint(special.xlog1py, note="y > -1")
def xlog1py(g, ans, x, y):
    return unbroadcast(g * np.log1p(y), x), unbroadcast(g * x / (1 + y), y)


# ----- Modified Bessel functions -----
@adjoint(special.i0)
def i0(g, ans, x):
    return g * special.i1(x)


@adjoint(special.i1, note="x != 0 (the rule divides by x)")
def i1(g, ans, x):
    return g * (special.i0(x) - ans / x)


@adjoint(special.i0e)
def i0e(g, ans, x):
    return g * (special.i1e(x) - np.sign(x) * ans)


@adjoint(special.i1e, note="x != 0 (the rule divides by x)")
def i1e(g, ans, x):
    return g * (special.i0e(x) - ans / x - np.sign(x) * ans)
