"""Tangent rules (forward mode) of scipy.stats' univariate distributions:
elementwise in x, the shape parameters, loc and scale, so their adjoint rules
run on the tangent give them (where a rule has no formula, as for the tails
in a shape parameter, neither has the tangent).

Loaded with the adjoint rules of scipy.stats (``FAMILIES`` in ``__init__.py``).
"""

from scipy import stats

from srcdiff.rules.registry import elementwise
from srcdiff.rules.scipy import stats as _stats  # noqa: F401  (the prims)
from srcdiff.rules.scipy import stats_univariate as _univariate  # noqa: F401

DISTRIBUTIONS = {
    stats.norm: ["pdf", "logpdf", "cdf", "sf", "logcdf", "logsf"],
    stats.t: ["pdf", "logpdf", "cdf", "sf", "logcdf", "logsf"],
    stats.gamma: ["pdf", "logpdf", "cdf", "sf", "logcdf", "logsf"],
    stats.chi2: ["pdf", "logpdf", "cdf", "sf", "logcdf", "logsf"],
    stats.beta: ["pdf", "logpdf", "cdf", "sf", "logcdf", "logsf"],
    stats.poisson: ["pmf", "logpmf", "cdf", "sf", "logcdf", "logsf"],
}
for _dist, _methods in DISTRIBUTIONS.items():
    # x, the shape parameters, loc and scale, as far as the adjoint has them
    elementwise(*(getattr(_dist, m) for m in _methods), argnums=tuple(range(6)))
