"""In-place code people really write, traced as functional updates."""

from __future__ import annotations

import numpy as np
import pytest

import srcdiff
from srcdiff.numeric import max_relative_error, numerical_grad

RNG = np.random.default_rng(3)


def check(f, *args):
    """Every argument's gradient against central differences; the emitted text."""
    for i in range(len(args)):
        got = srcdiff.grad(f, wrt=i)(*args)
        assert max_relative_error(got, numerical_grad(f, args, i)) < 1e-6
    g = srcdiff.grad(f)
    g(*args)
    return g.source


def columns(x, W):
    out = np.zeros((3, 2))
    for k in range(2):
        out[:, k] = np.tanh(x * W[k])
    return np.sum(out**2)


def test_column_assignment_in_a_loop():
    text = check(columns, RNG.normal(size=3), RNG.normal(size=2))
    assert "out[:, 0] = " in text and ".copy()" not in text.split("\n\n")[-2]


def masked(A, x):
    A = A.copy()
    A[A < 0] = 0.0
    A[1] = x
    return np.sum(A * np.arange(9.0).reshape(3, 3))


def test_masked_and_row_assignment():
    check(masked, RNG.normal(size=(3, 3)), RNG.normal(size=3))


def augmented(A, x):
    B = A * 1.0
    B[0] += x
    B[:, 1] *= x[1]
    return np.sum(B**2)


def test_augmented_index_assignment():
    check(augmented, RNG.normal(size=(3, 3)), RNG.normal(size=3))


def read_then_write(x):
    y = np.exp(x)
    y[0] = y[1] * y[2]
    return np.sum(y)


def test_update_reading_the_same_array():
    check(read_then_write, RNG.normal(size=3))


def appended(x):
    rows = []
    for k in range(3):
        rows.append(np.sin(x * k))
    return np.sum(np.stack(rows) ** 2)


def test_append_to_a_list_then_stack():
    check(appended, RNG.normal(size=4))


def shared(x):
    y = x
    y[0] = 1.0
    return np.sum(y)


def test_assigning_into_an_array_another_name_holds_is_refused():
    with pytest.raises(srcdiff.UnsupportedSyntax) as info:
        srcdiff.grad(shared)(np.ones(3))
    assert "did not make" in info.value.message
    assert "y = y.copy()" in info.value.hint


SCALE = np.ones(3)


def into_global(x):
    SCALE[0] = x[0]
    return np.sum(SCALE * x)


def test_assigning_into_a_global_is_refused():
    with pytest.raises(srcdiff.UnsupportedSyntax) as info:
        srcdiff.grad(into_global)(np.ones(3))
    assert "not a local name" in info.value.message
