"""Adjoints of scipy.stats.norm's pdf, cdf, sf and their logarithms.

Loaded the first time a traced function calls into SciPy. The prims are the
bound methods of the ``norm`` object (``norm.pdf == norm.pdf`` and they hash
alike, though each access makes a new one), rendered ``norm.pdf(...)`` with
``from scipy.stats import norm``. Each rule gives the gradient in ``x``,
``loc`` and ``scale`` through the standardised value ``z = (x - loc) / scale``.
"""

import numpy as np
from scipy.stats import norm

from srcdiff.helpers import unbroadcast
from srcdiff.ir.prims import Prim, call, register
from srcdiff.rules.registry import adjoint

FAMILY = "scipy.stats"

for _name in ["pdf", "cdf", "sf", "logpdf", "logcdf", "logsf"]:
    _method = getattr(norm, _name)
    register(
        Prim(
            f"norm.{_name}",
            _method,
            call(f"norm.{_name}"),
            imports=("from scipy.stats import norm",),
            shape="broadcast",
        ),
        _method,
    )


def standard(x, loc, scale):
    """``(x,)`` for the standard normal, so the code says ``norm.pdf(x)``."""
    plain = isinstance(loc, (int, float)) and isinstance(scale, (int, float))
    if plain and loc == 0 and scale == 1:
        return (x,)
    return (x, loc, scale)


def location_scale(dx, z, x, loc, scale):
    """The contributions to x, loc and scale from d/dx: z moves with x, against
    loc, and d/dscale = -z * d/dx."""
    return unbroadcast(dx, x), unbroadcast(-dx, loc), unbroadcast(-dx * z, scale)


@adjoint(norm.pdf, note="in x, loc and scale; scale > 0")
def norm_pdf(g, ans, x, loc=0, scale=1):
    z = (x - loc) / scale
    dx = -g * ans * z / scale
    dscale = g * ans * (z**2 - 1) / scale
    return unbroadcast(dx, x), unbroadcast(-dx, loc), unbroadcast(dscale, scale)


@adjoint(norm.logpdf, note="in x, loc and scale; scale > 0")
def norm_logpdf(g, ans, x, loc=0, scale=1):
    z = (x - loc) / scale
    dx = -g * z / scale
    dscale = g * (z**2 - 1) / scale
    return unbroadcast(dx, x), unbroadcast(-dx, loc), unbroadcast(dscale, scale)


@adjoint(norm.cdf, note="in x, loc and scale; scale > 0")
def norm_cdf(g, ans, x, loc=0, scale=1):
    z = (x - loc) / scale
    return location_scale(g * norm.pdf(*standard(x, loc, scale)), z, x, loc, scale)


@adjoint(norm.sf, note="in x, loc and scale; scale > 0")
def norm_sf(g, ans, x, loc=0, scale=1):
    z = (x - loc) / scale
    return location_scale(-g * norm.pdf(*standard(x, loc, scale)), z, x, loc, scale)


@adjoint(norm.logcdf, note="in x, loc and scale; scale > 0")
def norm_logcdf(g, ans, x, loc=0, scale=1):
    z = (x - loc) / scale
    dx = g * np.exp(norm.logpdf(*standard(x, loc, scale)) - ans)
    return location_scale(dx, z, x, loc, scale)


@adjoint(norm.logsf, note="in x, loc and scale; scale > 0")
def norm_logsf(g, ans, x, loc=0, scale=1):
    z = (x - loc) / scale
    dx = -g * np.exp(norm.logpdf(*standard(x, loc, scale)) - ans)
    return location_scale(dx, z, x, loc, scale)
