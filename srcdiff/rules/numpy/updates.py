"""Adjoints of copies, casts and in-place updates (traced as functional ones)."""

import numpy as np

from srcdiff.helpers import index_update, unbroadcast
from srcdiff.ir.prims import ASTYPE, method, numpy_prim
from srcdiff.rules.registry import adjoint

FAMILY = "shape"

numpy_prim("copy", shape="same")
method("copy", np.copy)


@adjoint(index_update, note="`A[i] = v`; with repeated indices NumPy keeps one value")
def index_update_(g, ans, array, index, value):
    return index_update(g, index, 0.0), None, unbroadcast(g[index], value)


@adjoint(np.copy)
def copy(g, ans, a):
    return g


@adjoint(ASTYPE.impl, note="`x.astype(float)`; casts to int or bool have no gradient")
def astype(g, ans, a, dtype):
    # A real input keeps the real part of a complex adjoint: reverse takes it
    # at the input, which is the same by linearity.
    return g
