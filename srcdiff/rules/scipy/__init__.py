"""Adjoint rules of SciPy's functions, loaded only for the SciPy modules in use.

Importing SciPy's modules is slow, so a rule family loads the first time a
traced function calls something srcdiff does not know while the SciPy module
it covers (``scipy.stats`` for ``stats``, ``stats_univariate``, ...) is
imported; ``load(everything=True)`` loads them all (the coverage table).
"""

from __future__ import annotations

import importlib
import sys

from srcdiff.ir import prims

# Rule modules in this package, by the SciPy module their functions live in.
FAMILIES = {
    "scipy.linalg": ("linalg", "linalg_banded"),
    "scipy.signal": ("signal", "signal_tangents"),
    "scipy.special": ("special", "special_functions", "special_tangents"),
    "scipy.stats": (
        "stats",
        "stats_multivariate",
        "stats_univariate",
        "stats_tangents",
    ),
}


def load(everything: bool = False) -> None:
    """Import (so register) the rule modules of the SciPy modules imported."""
    for scipy_module, families in FAMILIES.items():
        if everything or scipy_module in sys.modules:
            for family in families:
                importlib.import_module(f"{__name__}.{family}")


prims.on_miss(load)
