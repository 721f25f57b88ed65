"""Adjoints of scipy.stats' t, gamma, chi2, beta and poisson distributions.

Loaded the first time a traced function calls into SciPy, like
``scipy_stats`` (norm). The prims are the bound methods of the distribution
objects, rendered ``stats.t.pdf(...)`` with ``from scipy import stats`` (a bare
``t``, ``beta`` or ``gamma`` would clash with user names and scipy.special).

Densities: each ``<dist>_score`` gives the derivatives of the log density in
x, the shape parameters and scale, through the standardised ``z = (x - loc) /
scale``; d/dloc is -d/dx. ``pdf`` scales the ``logpdf`` adjoints by ``ans``.
Tails (cdf, sf, logcdf, logsf): in x, loc and scale through the density. In
the shape parameters (df, a, b) they have no closed form in scipy.special: the
rule answers ``NotImplemented`` there, so that differentiating in a shape
parameter fails rather than giving a wrong gradient.
"""

import numpy as np
from scipy import special, stats

from srcdiff.helpers import unbroadcast
from srcdiff.ir.prims import Prim, call, register
from srcdiff.rules.registry import adjoint
from srcdiff.rules.scipy.stats import location_scale

FAMILY = "scipy.stats"

CONTINUOUS = ["pdf", "logpdf", "cdf", "sf", "logcdf", "logsf"]
DISCRETE = ["pmf", "logpmf", "cdf", "sf", "logcdf", "logsf"]
for _dist, _methods in [
    ("t", CONTINUOUS),
    ("gamma", CONTINUOUS),
    ("chi2", CONTINUOUS),
    ("beta", CONTINUOUS),
    ("poisson", DISCRETE),
]:
    for _name in _methods:
        _method = getattr(getattr(stats, _dist), _name)
        _prim = Prim(
            f"{_dist}.{_name}",
            _method,
            call(f"stats.{_dist}.{_name}"),
            imports=("from scipy import stats",),
            shape="broadcast",
        )
        register(_prim, _method)

DENSITY_NOTE = "in x, {}, loc and scale; x inside the support, scale > 0"
TAIL_NOTE = "in x, loc and scale; refused in {} (no closed form); scale > 0"


def per_input(g, *pairs):
    """``g * d`` summed back to the shape of each input, for (d, input) pairs."""
    return tuple(unbroadcast(g * d, value) for d, value in pairs)


def given(value, default):
    """Whether the call passed ``value`` rather than leaving SciPy's default."""
    return not (isinstance(value, int) and value == default)


def located(loc, scale=1):
    """loc and scale as trailing arguments of a call, SciPy's defaults left out.

    Positional, not keywords: without an example, srcdiff reads the shape of
    a call's result from its positional arguments only."""
    if given(scale, 1):
        return loc, scale
    return (loc,) if given(loc, 0) else ()


def tails(dx, x, loc, scale, shapes=1):
    """The contributions of a cdf-like function whose d/dx is ``dx``: to x,
    ``NotImplemented`` to each shape parameter, then to loc and scale."""
    gx, gloc, gscale = location_scale(dx, (x - loc) / scale, x, loc, scale)
    return (gx, *[NotImplemented] * shapes, gloc, gscale)


# ----- Student's t -----
def t_score(x, df, loc, scale):
    """d logpdf / dx, d/ddf and d/dscale of Student's t."""
    z = (x - loc) / scale
    r = df + z**2
    dx = -(df + 1) * z / (r * scale)
    half_df = df / 2
    ddf = (
        special.digamma(half_df + 0.5)
        - special.digamma(half_df)
        - np.log1p(z**2 / df)
        + (z**2 - 1) / r
    ) / 2
    dscale = df * (z**2 - 1) / (r * scale)
    return dx, ddf, dscale


@adjoint(stats.t.logpdf, note=DENSITY_NOTE.format("df"))
def t_logpdf(g, ans, x, df, loc=0, scale=1):
    dx, ddf, dscale = t_score(x, df, loc, scale)
    return per_input(g, (dx, x), (ddf, df), (-dx, loc), (dscale, scale))


@adjoint(stats.t.pdf, note=DENSITY_NOTE.format("df"))
def t_pdf(g, ans, x, df, loc=0, scale=1):
    return t_logpdf(g * ans, ans, x, df, loc, scale)


@adjoint(stats.t.cdf, note=TAIL_NOTE.format("df"))
def t_cdf(g, ans, x, df, loc=0, scale=1):
    dx = g * stats.t.pdf(x, df, *located(loc, scale))
    return tails(dx, x, loc, scale)


@adjoint(stats.t.sf, note=TAIL_NOTE.format("df"))
def t_sf(g, ans, x, df, loc=0, scale=1):
    dx = -g * stats.t.pdf(x, df, *located(loc, scale))
    return tails(dx, x, loc, scale)


@adjoint(stats.t.logcdf, note=TAIL_NOTE.format("df"))
def t_logcdf(g, ans, x, df, loc=0, scale=1):
    dx = g * np.exp(stats.t.logpdf(x, df, *located(loc, scale)) - ans)
    return tails(dx, x, loc, scale)


@adjoint(stats.t.logsf, note=TAIL_NOTE.format("df"))
def t_logsf(g, ans, x, df, loc=0, scale=1):
    dx = -g * np.exp(stats.t.logpdf(x, df, *located(loc, scale)) - ans)
    return tails(dx, x, loc, scale)


# ----- Gamma -----
def gamma_score(x, a, loc, scale):
    """d logpdf / dx, d/da and d/dscale of the gamma distribution."""
    z = (x - loc) / scale
    return (a - 1 - z) / (z * scale), np.log(z) - special.digamma(a), (z - a) / scale


@adjoint(stats.gamma.logpdf, note=DENSITY_NOTE.format("a"))
def gamma_logpdf(g, ans, x, a, loc=0, scale=1):
    dx, da, dscale = gamma_score(x, a, loc, scale)
    return per_input(g, (dx, x), (da, a), (-dx, loc), (dscale, scale))


@adjoint(stats.gamma.pdf, note=DENSITY_NOTE.format("a"))
def gamma_pdf(g, ans, x, a, loc=0, scale=1):
    return gamma_logpdf(g * ans, ans, x, a, loc, scale)


@adjoint(stats.gamma.cdf, note=TAIL_NOTE.format("a"))
def gamma_cdf(g, ans, x, a, loc=0, scale=1):
    dx = g * stats.gamma.pdf(x, a, *located(loc, scale))
    return tails(dx, x, loc, scale)


@adjoint(stats.gamma.sf, note=TAIL_NOTE.format("a"))
def gamma_sf(g, ans, x, a, loc=0, scale=1):
    dx = -g * stats.gamma.pdf(x, a, *located(loc, scale))
    return tails(dx, x, loc, scale)


@adjoint(stats.gamma.logcdf, note=TAIL_NOTE.format("a"))
def gamma_logcdf(g, ans, x, a, loc=0, scale=1):
    dx = g * np.exp(stats.gamma.logpdf(x, a, *located(loc, scale)) - ans)
    return tails(dx, x, loc, scale)


@adjoint(stats.gamma.logsf, note=TAIL_NOTE.format("a"))
def gamma_logsf(g, ans, x, a, loc=0, scale=1):
    dx = -g * np.exp(stats.gamma.logpdf(x, a, *located(loc, scale)) - ans)
    return tails(dx, x, loc, scale)


# ----- Chi-squared -----
def chi2_score(x, df, loc, scale):
    """d logpdf / dx, d/ddf and d/dscale of the chi-squared distribution."""
    z = (x - loc) / scale
    dx = (df - 2 - z) / (2 * z * scale)
    ddf = (np.log(z / 2) - special.digamma(df / 2)) / 2
    return dx, ddf, (z - df) / (2 * scale)


@adjoint(stats.chi2.logpdf, note=DENSITY_NOTE.format("df"))
def chi2_logpdf(g, ans, x, df, loc=0, scale=1):
    dx, ddf, dscale = chi2_score(x, df, loc, scale)
    return per_input(g, (dx, x), (ddf, df), (-dx, loc), (dscale, scale))


@adjoint(stats.chi2.pdf, note=DENSITY_NOTE.format("df"))
def chi2_pdf(g, ans, x, df, loc=0, scale=1):
    return chi2_logpdf(g * ans, ans, x, df, loc, scale)


@adjoint(stats.chi2.cdf, note=TAIL_NOTE.format("df"))
def chi2_cdf(g, ans, x, df, loc=0, scale=1):
    dx = g * stats.chi2.pdf(x, df, *located(loc, scale))
    return tails(dx, x, loc, scale)


@adjoint(stats.chi2.sf, note=TAIL_NOTE.format("df"))
def chi2_sf(g, ans, x, df, loc=0, scale=1):
    dx = -g * stats.chi2.pdf(x, df, *located(loc, scale))
    return tails(dx, x, loc, scale)


@adjoint(stats.chi2.logcdf, note=TAIL_NOTE.format("df"))
def chi2_logcdf(g, ans, x, df, loc=0, scale=1):
    dx = g * np.exp(stats.chi2.logpdf(x, df, *located(loc, scale)) - ans)
    return tails(dx, x, loc, scale)


@adjoint(stats.chi2.logsf, note=TAIL_NOTE.format("df"))
def chi2_logsf(g, ans, x, df, loc=0, scale=1):
    dx = -g * np.exp(stats.chi2.logpdf(x, df, *located(loc, scale)) - ans)
    return tails(dx, x, loc, scale)


# ----- Beta -----
def beta_score(x, a, b, loc, scale):
    """d logpdf / dx, d/da, d/db and d/dscale of the beta distribution."""
    z = (x - loc) / scale
    dz = (a - 1) / z - (b - 1) / (1 - z)
    digamma_ab = special.digamma(a + b)
    da = np.log(z) - special.digamma(a) + digamma_ab
    db = np.log1p(-z) - special.digamma(b) + digamma_ab
    return dz / scale, da, db, -(1 + z * dz) / scale


@adjoint(stats.beta.logpdf, note=DENSITY_NOTE.format("a, b"))
def beta_logpdf(g, ans, x, a, b, loc=0, scale=1):
    dx, da, db, dscale = beta_score(x, a, b, loc, scale)
    return per_input(g, (dx, x), (da, a), (db, b), (-dx, loc), (dscale, scale))


@adjoint(stats.beta.pdf, note=DENSITY_NOTE.format("a, b"))
def beta_pdf(g, ans, x, a, b, loc=0, scale=1):
    return beta_logpdf(g * ans, ans, x, a, b, loc, scale)


BETA_TAIL_NOTE = TAIL_NOTE.format("a and b")


@adjoint(stats.beta.cdf, note=BETA_TAIL_NOTE)
def beta_cdf(g, ans, x, a, b, loc=0, scale=1):
    dx = g * stats.beta.pdf(x, a, b, *located(loc, scale))
    return tails(dx, x, loc, scale, shapes=2)


@adjoint(stats.beta.sf, note=BETA_TAIL_NOTE)
def beta_sf(g, ans, x, a, b, loc=0, scale=1):
    dx = -g * stats.beta.pdf(x, a, b, *located(loc, scale))
    return tails(dx, x, loc, scale, shapes=2)


@adjoint(stats.beta.logcdf, note=BETA_TAIL_NOTE)
def beta_logcdf(g, ans, x, a, b, loc=0, scale=1):
    dx = g * np.exp(stats.beta.logpdf(x, a, b, *located(loc, scale)) - ans)
    return tails(dx, x, loc, scale, shapes=2)


@adjoint(stats.beta.logsf, note=BETA_TAIL_NOTE)
def beta_logsf(g, ans, x, a, b, loc=0, scale=1):
    dx = -g * np.exp(stats.beta.logpdf(x, a, b, *located(loc, scale)) - ans)
    return tails(dx, x, loc, scale, shapes=2)


# ----- Poisson -----
# k and loc are counts: the functions are piecewise constant in them. The cdf
# at k sums the pmf up to floor(k), and d cdf / dmu = -pmf(floor(k)).
POISSON_NOTE = "in mu > 0; k and loc get zero gradient (piecewise constant)"


def above(k, loc):
    """The count k - loc, SciPy's default loc=0 left out."""
    return k - loc if given(loc, 0) else k


@adjoint(stats.poisson.logpmf, note=POISSON_NOTE)
def poisson_logpmf(g, ans, k, mu, loc=0):
    return None, unbroadcast(g * (above(k, loc) / mu - 1), mu), None


@adjoint(stats.poisson.pmf, note=POISSON_NOTE)
def poisson_pmf(g, ans, k, mu, loc=0):
    return poisson_logpmf(g * ans, ans, k, mu, loc)


@adjoint(stats.poisson.cdf, note=POISSON_NOTE)
def poisson_cdf(g, ans, k, mu, loc=0):
    pmf = stats.poisson.pmf(np.floor(k), mu, *located(loc))
    return None, unbroadcast(-g * pmf, mu), None


@adjoint(stats.poisson.sf, note=POISSON_NOTE)
def poisson_sf(g, ans, k, mu, loc=0):
    pmf = stats.poisson.pmf(np.floor(k), mu, *located(loc))
    return None, unbroadcast(g * pmf, mu), None


@adjoint(stats.poisson.logcdf, note=POISSON_NOTE)
def poisson_logcdf(g, ans, k, mu, loc=0):
    logpmf = stats.poisson.logpmf(np.floor(k), mu, *located(loc))
    return None, unbroadcast(-g * np.exp(logpmf - ans), mu), None


@adjoint(stats.poisson.logsf, note=POISSON_NOTE)
def poisson_logsf(g, ans, k, mu, loc=0):
    logpmf = stats.poisson.logpmf(np.floor(k), mu, *located(loc))
    return None, unbroadcast(g * np.exp(logpmf - ans), mu), None
