"""np.real_if_close, the NumPy 2 function np.astype, and np.result_type.

np.astype is the method ``x.astype`` spelled as a function: it shares that
prim and its rule (updates.py, the shape family). np.result_type returns a
dtype, so no gradient flows through it. Both are registered here.
"""

import numpy as np

from srcdiff.ir.prims import ASTYPE, PRIMS, numpy_prim, register
from srcdiff.rules.numpy.elementwise import is_complex, real_part
from srcdiff.rules.registry import adjoint

FAMILY = "elementwise"

numpy_prim("real_if_close", shape="same")
register(ASTYPE, np.astype)
if np.result_type not in PRIMS:
    numpy_prim("result_type", differentiable=False)


@adjoint(
    np.real_if_close,
    note="the gradient passes through; complex z whose imaginary parts are "
    "dropped (all within tol): the real part of the adjoint, as np.real",
)
def real_if_close(g, ans, a, tol=100):
    if is_complex(ans):  # a kept as it is
        return g
    return real_part(g)
