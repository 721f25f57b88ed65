"""Adjoint rules of NumPy's functions, operators and array methods.

Each module registers its primitives and their rules as it loads; importing
this package loads them all.
"""

from srcdiff.rules.numpy import (  # noqa: F401
    adjoint_tangents,
    arithmetic,
    differences,
    elementwise,
    extras,
    fft,
    linalg,
    linalg_eig,
    linalg_tangents,
    matmul,
    nondiff,
    products,
    reductions,
    reshaping,
    shape,
    statistics,
    tangent_tables,
    tangents,
    updates,
)
