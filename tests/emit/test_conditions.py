"""A test whose truth alone is read writes ``np.abs`` of a number or array as
the builtin ``abs`` (the same values, several times faster on numbers)."""

from __future__ import annotations

import numpy as np

import srcdiff


def halve(x):
    while np.abs(x) > 1.0:
        x = x / 2
    return x * 3.0


def clipped(x):
    if np.abs(x) > 1.0:
        return np.abs(x) * 2.0
    return x


def test_a_while_test_on_a_number_uses_abs():
    g = srcdiff.grad(halve, unroll=False)
    assert g(37.0) == 3.0 / 64
    assert "while abs(x) > 1.0:" in g.source
    assert g(np.float64(-37.0)) == 3.0 / 64


def test_a_guard_uses_abs():
    g = srcdiff.grad(clipped)
    assert g(-3.0) == -2.0
    assert "if not abs(x) > 1.0:" in g.source
    assert g(np.array(-3.0)) == -2.0
    assert g(0.5) == 1.0  # the other path: traced again
