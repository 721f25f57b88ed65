"""Adjoints of scipy.stats' dirichlet and multivariate_normal.

Loaded the first time a traced function calls into SciPy. The prims are the
bound methods of the two objects, rendered ``stats.dirichlet.logpdf(...)``
with ``from scipy import stats``. SciPy squeezes the size-1 axes out of their
results, so the rules reshape ``g`` back to one value per point.

multivariate_normal reads only the lower triangle of ``cov`` (it factors it
with ``eigh(lower=True)``): the gradient in a 2-D ``cov`` lies on that
triangle, each off-diagonal entry standing for itself and its mirror, which is
what central differences of the full matrix give. Its symmetric form, the one
autograd returns, is ``(G + G.T) / 2``.
"""

import numpy as np
from scipy import special, stats

from srcdiff.ir.prims import Prim, call, register
from srcdiff.rules.registry import adjoint, known

FAMILY = "scipy.stats"

for _dist, _methods in [
    ("dirichlet", ["pdf", "logpdf", "entropy"]),
    ("multivariate_normal", ["pdf", "logpdf", "entropy"]),
]:
    for _name in _methods:
        _method = getattr(getattr(stats, _dist), _name)
        _prim = Prim(
            f"{_dist}.{_name}",
            _method,
            call(f"stats.{_dist}.{_name}"),
            imports=("from scipy import stats",),
        )
        register(_prim, _method)


def reshaped(a, shape):
    """``np.reshape(a, shape)``, left out where it would change nothing."""
    if known(a) and np.shape(a) == shape:
        return a
    return np.reshape(a, shape)


# ----- Dirichlet -----
def dirichlet_grads(g, x, alpha):
    """Contributions to x and alpha of ``sum(g * logpdf(x, alpha))``.

    x is one point, or one point a column. With K - 1 components, SciPy
    completes x with ``1 - sum(x, axis=0)``."""
    if np.ndim(x) > 2:
        raise NotImplementedError("dirichlet with x of more than 2 dimensions")
    whole = np.shape(x)[0] == np.shape(alpha)[0]
    full = x if whole else np.concatenate([x, [1 - np.sum(x, axis=0)]])
    digammas = special.digamma(np.sum(alpha)) - special.digamma(alpha)
    if np.ndim(x) == 1:
        dfull = g * (alpha - 1) / full
        dalpha = g * (np.log(full) + digammas)
    else:
        g = reshaped(g, np.shape(x)[1:])  # SciPy squeezes one point to a scalar
        dfull = (alpha - 1)[:, None] / full * g
        dalpha = np.log(full) @ g + np.sum(g) * digammas
    dx = dfull if whole else dfull[:-1] - dfull[-1]
    return dx, dalpha


DIRICHLET_NOTE = (
    "in x, as free components (only moves along the simplex have meaning), and "
    "alpha; x inside the simplex, 1-D or 2-D; needs an example"
)


@adjoint(stats.dirichlet.logpdf, note=DIRICHLET_NOTE)
def dirichlet_logpdf(g, ans, x, alpha):
    return dirichlet_grads(g, x, alpha)


@adjoint(stats.dirichlet.pdf, note=DIRICHLET_NOTE)
def dirichlet_pdf(g, ans, x, alpha):
    return dirichlet_grads(g * ans, x, alpha)


@adjoint(stats.dirichlet.entropy, note="alpha > 0")
def dirichlet_entropy(g, ans, alpha):
    total = np.sum(alpha)
    shared = (total - np.size(alpha)) * special.polygamma(1, total)
    return g * (shared - (alpha - 1) * special.polygamma(1, alpha))


# ----- Multivariate normal -----
def dimension(mean, cov):
    """The dimension SciPy infers: from mean if given, else from cov."""
    if mean is not None:
        return np.size(mean)
    if known(cov) and np.ndim(cov) < 2:
        return 1
    return np.shape(cov)[-1]


def full_cov(cov, dim):
    """cov as the matrix SciPy builds: a scalar times I, a diagonal, or itself."""
    if known(cov) and np.ndim(cov) == 0:
        return cov * np.eye(dim)
    if known(cov) and np.ndim(cov) == 1:
        return np.diag(cov)
    return cov


def cov_grad(grad, cov):
    """The symmetric gradient ``grad`` of the full matrix, for cov as given."""
    if known(cov) and np.ndim(cov) == 0:
        return np.trace(grad)
    if known(cov) and np.ndim(cov) == 1:
        return np.diagonal(grad)
    return on_lower(grad)


def on_lower(grad):
    """A symmetric gradient of the full matrix, moved to the lower triangle
    SciPy reads: each entry below the diagonal stands for itself and its mirror."""
    return 2 * np.tril(grad) - grad * np.eye(np.shape(grad)[-1])


def check_cov(cov, allow_singular=False):
    if allow_singular:
        raise NotImplementedError("multivariate_normal with allow_singular=True")
    if isinstance(cov, stats.Covariance):
        raise NotImplementedError("cov as a Covariance object: pass the matrix")


def column(g):
    """One value per point, as a column against the rows of points."""
    if known(g) and np.ndim(g) == 0:
        return g
    if known(g) and np.ndim(g) == 1:
        return g[:, None]
    return np.reshape(g, (-1, 1))


def mvn_grads(g, x, mean, cov):
    """Contributions to x, mean and cov of ``sum(g * logpdf(x, mean, cov))``."""
    dim = dimension(mean, cov)
    precision = np.linalg.inv(full_cov(cov, dim))
    single = known(x) and np.ndim(x) == 1 and np.size(x) == dim  # one point
    laid_out = single or (known(x) and np.ndim(x) == 2)
    points = x if laid_out else np.reshape(x, (-1, dim))  # one point a row
    dev = points if mean is None else points - reshaped(mean, (dim,))
    y = dev @ precision  # d logpdf / d mean, one point a row
    if single:
        gy = g * y
        dmean = gy
        dcov = (np.outer(y, gy) - g * precision) / 2
    else:
        gy = column(g) * y
        dmean = np.sum(gy, axis=0)
        dcov = (y.T @ gy - np.sum(g) * precision) / 2
    if mean is not None:
        dmean = reshaped(dmean, np.shape(mean))
    return reshaped(-gy, np.shape(x)), dmean, cov_grad(dcov, cov)


COV_NOTE = (
    "in x, mean and cov; cov symmetric positive definite: its gradient lies on "
    "the lower triangle SciPy reads (off-diagonal entries doubled), as central "
    "differences of the full matrix give; trace or diagonal for a scalar or "
    "1-D cov, which needs an example; not allow_singular=True"
)


@adjoint(stats.multivariate_normal.logpdf, note=COV_NOTE)
def mvn_logpdf(g, ans, x, mean=None, cov=1, allow_singular=False):
    check_cov(cov, allow_singular)
    return mvn_grads(g, x, mean, cov)


@adjoint(stats.multivariate_normal.pdf, note=COV_NOTE)
def mvn_pdf(g, ans, x, mean=None, cov=1, allow_singular=False):
    check_cov(cov, allow_singular)
    return mvn_grads(g * ans, x, mean, cov)


@adjoint(
    stats.multivariate_normal.entropy,
    note="in cov (lower triangle, as for logpdf); the mean has none",
)
def mvn_entropy(g, ans, mean=None, cov=1):
    check_cov(cov)
    precision = np.linalg.inv(full_cov(cov, dimension(mean, cov)))
    return None, cov_grad(g * precision / 2, cov)
