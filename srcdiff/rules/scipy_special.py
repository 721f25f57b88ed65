"""Adjoints of scipy.special functions.

Loaded by ``primitives.lookup`` the first time a traced function calls into
SciPy, so that ``import srcdiff`` never imports SciPy.
"""

import numpy as np
from scipy import special

from ..helpers import unbroadcast
from ..primitives import Prim, call, register
from . import adjoint
from .reductions import restore_axes

register(
    Prim(
        "logsumexp",
        special.logsumexp,
        call("logsumexp"),
        imports=("from scipy.special import logsumexp",),
    ),
    special.logsumexp,
)


@adjoint(special.logsumexp, note="without b= or return_sign=")
def logsumexp(g, ans, a, axis=None, b=None, keepdims=False, return_sign=False):
    if b is not None or return_sign:
        raise NotImplementedError("logsumexp with b= or return_sign=True")
    softmax = np.exp(a - restore_axes(ans, axis, keepdims))
    # SciPy answers a 0-d `a` with shape (1,) under keepdims or axis=().
    return unbroadcast(restore_axes(g, axis, keepdims) * softmax, a)
