"""Adjoint of scipy.signal.convolve (any number of dimensions, every mode).

Loaded the first time a traced function calls into SciPy. Convolution is
bilinear and, unlike correlation, conjugates nothing, so with autograd's
convention each input's adjoint is the adjoint ``g``, zero-padded back to the
full convolution it was cut from, convolved in ``valid`` mode with the other
input flipped along every axis: a correlation without conjugation.
"""

import numpy as np
from scipy import signal

from srcdiff.ir.prims import Prim, call, register
from srcdiff.rules.numpy.fft import full_adjoint, real_like
from srcdiff.rules.registry import adjoint

FAMILY = "scipy.signal"

register(
    Prim(
        "signal.convolve",
        signal.convolve,
        call("signal.convolve"),
        imports=("from scipy import signal",),
    ),
    signal.convolve,
)


@adjoint(
    signal.convolve,
    note="n-D; modes full, same, valid; any method; complex inputs not conjugated",
)
def convolve(g, ans, in1, in2, mode="full", method="auto"):
    # method= picks an algorithm, not a result: the adjoint uses the same one.
    options = {} if method == "auto" else {"method": method}
    if mode == "full":
        full = g
    else:
        shape = tuple(
            n + m - 1 for n, m in zip(np.shape(in1), np.shape(in2), strict=True)
        )
        full = full_adjoint(g, shape)
    d1 = signal.convolve(full, np.flip(in2), "valid", **options)
    d2 = signal.convolve(full, np.flip(in1), "valid", **options)
    return real_like(d1, in1), real_like(d2, in2)
