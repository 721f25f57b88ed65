"""Tangent rules (forward mode) of scipy.special: the elementwise functions
from one table (their adjoint rule ``g * f'(x)`` run on the tangent), and
logsumexp, softmax and log_softmax written out.

Loaded with the adjoint rules of scipy.special (``FAMILIES`` in
``__init__.py``).
"""

import numpy as np
from scipy import special

from srcdiff import helpers
from srcdiff.rules.numpy.reductions import restore_axes
from srcdiff.rules.registry import elementwise, tangent
from srcdiff.rules.scipy import special as _special  # noqa: F401  (the prims)
from srcdiff.rules.scipy import special_functions as _functions  # noqa: F401

# ----- Elementwise: the adjoint rule on the tangent -----
SPECIAL = [
    "expit",
    "logit",
    "log_expit",
    "erf",
    "erfc",
    "erfinv",
    "erfcinv",
    "gammaln",
    "gamma",
    "rgamma",
    "digamma",
    "i0",
    "i1",
    "i0e",
    "i1e",
    "j0",
    "j1",
    "y0",
    "y1",
]
elementwise(*(getattr(special, name) for name in SPECIAL))
elementwise(special.polygamma, special.yn, argnums=(1,))
elementwise(special.multigammaln)
elementwise(
    special.gammainc,
    special.gammaincc,
    special.jv,
    special.iv,
    special.ive,
    argnums=(0, 1),
)
elementwise(special.betainc, argnums=(0, 1, 2))
elementwise(
    special.beta, special.betaln, special.xlogy, special.xlog1py, argnums=(0, 1)
)


# ----- Reductions and normalisations -----
@tangent(special.logsumexp, helpers.logsumexp)
def logsumexp(t, ans, a, axis=None, b=None, keepdims=False, return_sign=False):
    if return_sign or b is not None:
        raise NotImplementedError("the tangent of logsumexp with b= or return_sign=")
    softmax = np.exp(a - restore_axes(ans, axis, keepdims))
    return np.sum(t * softmax, axis=axis, keepdims=keepdims)


@tangent(special.softmax)
def softmax(t, ans, x, axis=None):
    return ans * (t - np.sum(ans * t, axis=axis, keepdims=True))


@tangent(special.log_softmax)
def log_softmax(t, ans, x, axis=None):
    return t - np.sum(np.exp(ans) * t, axis=axis, keepdims=True)
