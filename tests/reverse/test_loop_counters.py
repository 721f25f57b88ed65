"""A rolled loop's int counter (``i = i + 1``) is counted back down in the
backward loop (``i = i - 1``), not saved in a list a trip and popped."""

from __future__ import annotations

import numpy as np
import pytest
from emitted import emitted_gradient

import srcdiff
import srcdiff.api
from srcdiff.numeric import max_relative_error, numerical_grad


def taylor(x):
    ans = term = x
    i = 0
    while np.abs(term) > 1e-3:
        term = -term * x**2 / ((2 * i + 3) * (2 * i + 2))
        ans = ans + term
        i += 1
    return ans


def stepped(x, steps):
    total = 0.0 * x
    k = 3
    for _ in range(steps):
        total = total + x**2 / k
        k = k + 2
    return np.sum(total)


@pytest.mark.parametrize("x", [0.0005, 0.05, 0.5, 3.0, -7.5])  # 0, 1, 2, ... trips
def test_a_while_counter_counts_back(x):
    # traced once, rolled; on a 0-d array (a float would take forward mode)
    taylor_grad, source = emitted_gradient(taylor, None, (np.array(10.0),))
    assert "i_values" not in source
    assert "i = i - 1\n" in source
    got = taylor_grad(x)
    assert max_relative_error(got, numerical_grad(taylor, [x], 0)) < 1e-6


@pytest.mark.parametrize("steps", [0, 1, 40])
def test_a_for_counter_by_two_counts_back(steps):
    g = srcdiff.grad(stepped, unroll=False)
    x = np.array([0.5, -1.5])
    got = g(x, steps)
    assert max_relative_error(got, numerical_grad(stepped, [x, steps], 0)) < 1e-6
    backward = g.source.split("\n\n")[-1]
    assert "k = k - 2\n" in backward
    assert ".pop()" not in backward


def test_a_float_count_is_saved_not_counted_back():
    """``s - 0.1`` need not give back the ``s`` that ``s + 0.1`` came from."""

    def drift(x, steps):
        s = 0.3
        for _ in range(steps):
            x = x * s
            s = s + 0.1
        return x

    g = srcdiff.grad(drift, unroll=False)
    assert max_relative_error(g(1.5, 30), numerical_grad(drift, [1.5, 30], 0)) < 1e-6
    assert "s - 0.1" not in g.source
