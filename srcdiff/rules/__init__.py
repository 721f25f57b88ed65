"""Adjoint rules: one plain-NumPy function per primitive, by namespace.

Takes the primitive table (``srcdiff.ir.prims``) and adds to it: importing
this package registers every NumPy primitive, its adjoint rule and its
tangent rules (``srcdiff.rules.numpy``) and hooks in SciPy's, which load on demand
(``srcdiff.rules.scipy``). Leaves ``rule_for(prim)`` for the reverse stage.
"""

from srcdiff.rules import numpy, scipy  # noqa: F401  (registers every rule)
from srcdiff.rules.registry import (
    NOTES,
    RULES,
    TANGENTS,
    adjoint,
    assume_real,
    assume_symmetric,
    computed,
    is_mask,
    known,
    made_symmetric,
    rule_for,
)
from srcdiff.rules.scipy import load as load_scipy

__all__ = [
    "NOTES",
    "RULES",
    "TANGENTS",
    "adjoint",
    "assume_real",
    "assume_symmetric",
    "computed",
    "is_mask",
    "known",
    "load_scipy",
    "made_symmetric",
    "rule_for",
]
