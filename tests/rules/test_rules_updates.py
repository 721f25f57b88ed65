"""Property tests for copies, casts and index assignment (srcdiff/rules/updates.py)."""

import numpy as np
from hypothesis import given
from hypothesis import strategies as st
from hypothesis.extra import numpy as hnp
from rule_domains import REAL, Row

import srcdiff
from srcdiff.helpers import index_update
from srcdiff.ir.prims import ASTYPE
from srcdiff.numeric import max_relative_error, numerical_grad

UPDATES = {
    index_update: Row((REAL, REAL)),
    np.copy: Row((REAL,)),
    ASTYPE.impl: Row((REAL,)),
}

arrays = hnp.arrays(
    np.float64,
    hnp.array_shapes(min_dims=1, max_dims=3, min_side=1, max_side=4),
    elements=st.floats(-2, 2),
)


def check(f, *args):
    for i in range(len(args)):
        got = srcdiff.grad(f, wrt=i)(*args)
        assert max_relative_error(got, numerical_grad(f, args, i)) < 1e-6


@given(arrays, st.floats(-2, 2), st.data())
def test_index_assignment(x, v, data):
    i = data.draw(st.integers(0, x.shape[0] - 1))
    weights = np.linspace(0.5, 1.5, x.size).reshape(x.shape)

    def f(x, v):
        y = x * 1.0
        y[i] = np.sin(v) * y[i] + v
        return np.sum(y**2 * weights)

    check(f, x, v)


# Away from 0, where the mask flips and the function has a jump.
signed = hnp.arrays(
    np.float64,
    hnp.array_shapes(min_dims=1, max_dims=3, min_side=1, max_side=4),
    elements=st.one_of(st.floats(-2, -0.1), st.floats(0.1, 2)),
)


@given(signed)
def test_masked_assignment(x):
    def f(x):
        y = np.exp(x)
        y[x < 0] = 0.0
        return np.sum(y * x)

    check(f, x)


@given(arrays)
def test_copy_and_astype(x):
    def f(x):
        return np.sum(np.copy(x) ** 3 + x.astype(float) * x.copy())

    check(f, x)
