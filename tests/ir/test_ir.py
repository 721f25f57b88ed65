"""The IR as text: what trace and reverse produce for small functions."""

from __future__ import annotations

import numpy as np

import srcdiff
from srcdiff.ir.nodes import dump


def scaled_exp(x):
    return np.sum(np.exp(x) * 2)


def test_dump_shows_forward_and_adjoint_sweeps():
    program = srcdiff.grad(scaled_exp).derivative(np.ones(3)).program
    assert dump(program) == "\n".join(
        [
            "%ndim = ndim(%x)",
            "%not_equal = not_equal(%ndim, 1)",
            "guard %not_equal is False",
            "%exp = exp(%x)",
            "# adjoint sweep",
            "%multiply = multiply(2.0, %exp)",
            "return %multiply",
        ]
    )


def branchy(x):
    if np.sum(x) > 0:
        return np.sum(x**2)
    return np.sum(x)


def test_dump_shows_guards():
    program = srcdiff.grad(branchy).derivative(np.ones(2)).program
    lines = dump(program).splitlines()
    assert lines[3:6] == [
        "%sum = sum(%x)",
        "%greater = greater(%sum, 0)",
        "guard %greater is True",
    ]
