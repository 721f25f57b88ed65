"""The adjoint of ``np.diff`` with an example: differences of the padded
adjoint, with no ``np.take`` cutting them to a length they already have, and
sizes that hold at other lengths (``np.diff``'s result is known to be one
shorter). Gradients are checked against central differences."""

from __future__ import annotations

import numpy as np
import pytest

import srcdiff
from srcdiff.api import compile_derivative, render
from srcdiff.numeric import max_relative_error, numerical_grad


def roughness(x):
    return np.sum(np.diff(x) ** 2) + np.sum(np.sin(x))


def curvature(x):
    return np.sum(np.diff(x, n=2) ** 2)


@pytest.mark.parametrize("f", [roughness, curvature])
def test_the_adjoint_of_diff_reads_without_take_and_holds_at_other_sizes(f):
    rng = np.random.default_rng(4)
    derivative = srcdiff.grad(f).derivative(rng.normal(size=7))
    text = render(derivative)
    assert "np.take" not in text
    assert "comparison of sizes" not in text
    gradient = compile_derivative(derivative)
    for n in (7, 3, 12):
        x = rng.normal(size=n)
        assert max_relative_error(gradient(x), numerical_grad(f, (x,), 0)) < 1e-6
