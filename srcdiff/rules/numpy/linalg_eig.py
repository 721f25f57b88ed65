"""The adjoint of np.linalg.eig: eigenvalues and eigenvectors of general
square matrices, real or complex, and of stacks of them.

With a = v diag(w) v^-1 and dv = v c, the change p = v^-1 da v gives
dw = diag(p) and, off the diagonal, c[i, k] = p[i, k] / (w[k] - w[i]).
The diagonal of c is what NumPy's normalization leaves: each column keeps
unit length (fixing the real part of c[k, k]) and LAPACK keeps its largest
entry real (fixing the imaginary part). The rule writes both constraints out,
so it matches central differences of np.linalg.eig for any loss; for losses
that do not see the phases of the eigenvectors, it is autograd's rule. The
eigenvectors of a real matrix are fixed only up to sign, which rounding
errors can flip (for its complex eigenvectors, often): losses should not see
that sign there (v**2 and |v| do not; v itself does).

Complex values follow autograd's convention (the gradient of the real part of
the loss); a real matrix gets the real part of the complex result.
"""

import numpy as np

from srcdiff.ir.prims import NUMPY, PRIMS, Prim, call, numpy_prim, register
from srcdiff.rules.numpy.linalg import (
    cols,
    conj,
    i_imag,
    identity,
    inverse_gaps,
    mT,
    rows,
)
from srcdiff.rules.numpy.products import is_complex
from srcdiff.rules.registry import adjoint, known

FAMILY = "linalg"

register(
    Prim("linalg.eig", np.linalg.eig, call("np.linalg.eig"), imports=(NUMPY,), arity=2),
    np.linalg.eig,
)
for _name in ["take_along_axis", "diagonal"]:
    if getattr(np, _name) not in PRIMS:
        numpy_prim(_name)
for _name in ["argmax", "iscomplexobj"]:
    if getattr(np, _name) not in PRIMS:
        numpy_prim(_name, differentiable=False)


def diagonals(m):
    """The diagonal of each matrix of a stack."""
    return np.diagonal(m, axis1=-2, axis2=-1)


def held_fixed(v, vt_gv):
    """What the normalization of v takes back from ``vt_gv = v^T gv``: for each
    column k, the parts of c[:, k] that make up c[k, k]."""
    d = diagonals(vt_gv)
    # |v_k| = 1: Re c[k, k] = -Re of the sum over i != k of (v^H v)[k, i] c[i, k]
    fixed = mT(v) @ conj(v) * rows(np.real(d) if is_complex(d) else d)
    if not is_complex(v):  # real eigenvectors: only their length is fixed
        return fixed
    # v[p, k] real, with p its largest entry: Im c[k, k] v[p, k] =
    # -Im of the sum over i != k of v[p, i] c[i, k]
    top = np.take_along_axis(v, cols(np.argmax(np.abs(v), axis=-2)), axis=-2)
    return fixed + mT(top) * rows(i_imag(d) / diagonals(top))


@adjoint(
    np.linalg.eig,
    note="distinct eigenvalues; eigenvectors as NumPy normalizes them (unit "
    "length, largest entry real; of real a only up to a sign rounding can "
    "flip); needs an example (is a real?)",
)
def eig(g, ans, a):
    w, v = ans
    gw, gv = g
    vt = mT(v)
    if gv is None:
        grad = np.linalg.solve(vt, cols(gw) * vt)  # v^-T diag(gw) v^T
    else:
        vt_gv = vt @ gv
        eye = identity(w)
        middle = inverse_gaps(w, eye) * (vt_gv - held_fixed(v, vt_gv))
        if gw is not None:
            middle = middle + eye * rows(gw)  # + diag(gw)
        grad = np.linalg.solve(vt, middle @ vt)
    return like(grad, a)


def like(grad, a):
    """The gradient for a: the real part of ``grad`` where a is real."""
    complex_a = is_complex(a) if known(a) else np.iscomplexobj(a)
    if complex_a:  # without an example, tracing asks for one here
        return grad
    return np.real(grad)
