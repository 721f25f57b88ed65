"""Each rule's input domain, one row per differentiated function.

Like the ``grad_test_spec`` rows of JAX's ``lax_autodiff_test.py``: a row
names the function a user calls and gives one element strategy per
positional input. Values stay where the rule is smooth, with a margin far
wider than the finite-difference step (1e-6 * max(1, |x|)), so central
differences never straddle a pole, a kink or a tie. Ties are tested on
purpose, on hand-made inputs, next to the rules that define a convention.
"""

import operator
from dataclasses import dataclass
from typing import Any

import numpy as np
from hypothesis import strategies as st
from scipy.special import logsumexp

from srcdiff import helpers
from srcdiff.ir import prims


def floats(low: float, high: float) -> st.SearchStrategy[float]:
    return st.floats(low, high, allow_subnormal=False)


# Anything goes: the rule is smooth everywhere.
REAL = floats(-2, 2)
# Bounded so exp, sinh and cosh stay below ~20 and the differences accurate.
MODERATE = floats(-3, 3)
POSITIVE = floats(0.25, 4)
NONZERO = st.one_of(floats(-4, -0.25), floats(0.25, 4))
# Grid points k/8 and the points halfway between them: a value from one grid
# never ties a value from the other, and the two are at least 1/16 apart.
GRID = st.integers(-16, 16).map(lambda k: k / 8)
HALF_GRID = st.integers(-16, 15).map(lambda k: k / 8 + 1 / 16)
# For clip: bounds from the grid, below and above zero (so a_min < a_max).
LOWER = st.integers(-8, -1).map(lambda k: k / 8)
UPPER = st.integers(1, 8).map(lambda k: k / 8)
# Fine grid for max/min reductions, drawn without repeats (no ties).
FINE_GRID = st.integers(-512, 512).map(lambda k: k / 64)
CONDITION = st.booleans()


@dataclass(frozen=True)
class Row:
    """Element strategies of the positional inputs; float ones are differentiated."""

    inputs: tuple[st.SearchStrategy[Any], ...]
    # Draw arrays without repeated values (no ties inside a reduction).
    distinct: bool = False


# ----- Arithmetic operators and binary ufuncs (srcdiff/rules/arithmetic.py) -----
ARITHMETIC = {
    operator.add: Row((REAL, REAL)),
    operator.sub: Row((REAL, REAL)),
    operator.mul: Row((REAL, REAL)),
    operator.truediv: Row((REAL, NONZERO)),
    # The exponent's gradient is log(x) * x**y: a positive base.
    operator.pow: Row((POSITIVE, REAL)),
    operator.neg: Row((REAL,)),
    np.maximum: Row((GRID, HALF_GRID)),
    np.minimum: Row((GRID, HALF_GRID)),
    np.where: Row((CONDITION, REAL, REAL)),
    np.clip: Row((HALF_GRID, LOWER, UPPER)),
}

# ----- Unary ufuncs (srcdiff/rules/elementwise.py) -----
ELEMENTWISE = {
    np.exp: Row((MODERATE,)),
    np.log: Row((POSITIVE,)),
    np.log1p: Row((floats(-0.75, 4),)),
    np.expm1: Row((MODERATE,)),
    np.sqrt: Row((POSITIVE,)),
    np.square: Row((REAL,)),
    np.sin: Row((MODERATE,)),
    np.cos: Row((MODERATE,)),
    np.tan: Row((floats(-1.3, 1.3),)),
    np.tanh: Row((MODERATE,)),
    np.sinh: Row((MODERATE,)),
    np.cosh: Row((MODERATE,)),
    np.arctan: Row((MODERATE,)),
    np.abs: Row((NONZERO,)),
    # Idioms recognised as written (srcdiff/simplify/sigmoid.py).
    prims.sigmoid: Row((MODERATE,)),
    prims.softplus: Row((MODERATE,)),
}

# ----- Reductions (srcdiff/rules/reductions.py, scipy_special.py) -----
REDUCTIONS = {
    np.sum: Row((REAL,)),
    np.mean: Row((REAL,)),
    np.max: Row((FINE_GRID,), distinct=True),
    np.min: Row((FINE_GRID,), distinct=True),
    logsumexp: Row((MODERATE,)),
    # What the plain call is emitted as (srcdiff/simplify/logsumexp.py).
    helpers.logsumexp: Row((MODERATE,)),
}

# ----- Shapes, indexing, construction (srcdiff/rules/shape.py) -----
SHAPE = {
    np.reshape: Row((REAL,)),
    np.expand_dims: Row((REAL,)),
    np.squeeze: Row((REAL,)),
    np.transpose: Row((REAL,)),
    np.swapaxes: Row((REAL,)),
    np.broadcast_to: Row((REAL,)),
    operator.getitem: Row((REAL,)),
    np.array: Row((REAL,)),
    np.stack: Row((REAL,)),
}

# ----- Products (srcdiff/rules/linalg.py) -----
LINALG = {
    operator.matmul: Row((REAL, REAL)),
    np.dot: Row((REAL, REAL)),
    np.outer: Row((REAL, REAL)),
}

DOMAINS = {**ARITHMETIC, **ELEMENTWISE, **REDUCTIONS, **SHAPE, **LINALG}
