"""Functions traced with zero gradient: rounding, tests, indices and constructors.

Their results are piecewise constant in the inputs (floor, round, comparisons),
integers or booleans (argmax, isnan), or built from shapes alone (zeros,
arange), so no gradient flows through them, and code that uses them (masks,
indices, rounding of constants) still differentiates. They have no rules:
``reverse`` never walks into a non-differentiable primitive. What is
differentiable in one of its arguments (``np.full``'s fill value,
``np.linspace``'s ends, ``np.heaviside``'s second argument, ``np.nextafter``'s
first) or for complex inputs (``np.sign``) has a rule elsewhere instead.
"""

import ast
import operator

import numpy as np

from srcdiff.ir.prims import METHODS, PRIMS, Prim, _binop, method, numpy_prim, register

# Elementwise, shaped like the first argument.
SAME = [
    "floor",
    "ceil",
    "round",
    "around",
    "rint",
    "trunc",
    "fix",
    "signbit",
    "spacing",
    "isnan",
    "isinf",
    "isfinite",
    "isposinf",
    "isneginf",
    "isreal",
    "iscomplex",
    "isin",
    "digitize",
    "zeros_like",
    "ones_like",
    "empty_like",
]
# Elementwise, shaped like the broadcast arguments.
BROADCAST = ["logical_xor", "isclose"]
# Indices, counts, Python bools, and arrays built from shapes.
OTHER = [
    "argmax",
    "argmin",
    "nanargmax",
    "nanargmin",
    "argsort",
    "argwhere",
    "nonzero",
    "flatnonzero",
    "count_nonzero",
    "searchsorted",
    "any",
    "all",
    "allclose",
    "array_equal",
    "array_equiv",
    "iscomplexobj",
    "isrealobj",
    "isscalar",
    "zeros",
    "ones",
    "empty",
    "eye",
    "identity",
    "arange",
    "shape",
    "size",
    "ndim",
]


def zero_gradient(names, shape):
    """Register each ``np.<name>`` that no other module has registered."""
    for name in names:
        if getattr(np, name) not in PRIMS:
            numpy_prim(name, differentiable=False, shape=shape)


zero_gradient(SAME, "same")
zero_gradient(BROADCAST, "broadcast")
zero_gradient(OTHER, "")

# ``x // y`` is piecewise constant, for floats as for integers.
register(
    Prim(
        "floor_divide",
        operator.floordiv,
        _binop(ast.FloorDiv()),
        differentiable=False,
        shape="broadcast",
    ),
    operator.floordiv,
    np.floor_divide,
)
register(
    Prim(
        "xor",
        operator.xor,
        _binop(ast.BitXor()),
        differentiable=False,
        shape="broadcast",
    ),
    operator.xor,
)
# np.logical_and and friends test for nonzero values: on floats and integers
# they are not `&`, `|` and `~` (which primitives.py maps them to), so they
# render as themselves.
numpy_prim("logical_and", differentiable=False, shape="broadcast")
numpy_prim("logical_or", differentiable=False, shape="broadcast")
numpy_prim("logical_not", differentiable=False, shape="same")

# ndarray methods that mirror these functions.
for _name in ["round", "argmax", "argmin", "argsort", "nonzero", "any", "all"]:
    if _name not in METHODS:
        method(_name, getattr(np, _name))
