"""The simplify stage's output as text: what the clean-up passes leave.

Each test compares the reverse stage's output (``stages.with_adjoint``) with
what ``simplify.run`` makes of it (``stages.simplified``): statements that
reach neither a returned gradient nor a guard go, everything else stays in
order.
"""

from __future__ import annotations

import numpy as np
import stages


def layer(x, W):
    h = np.tanh(W @ x)
    return np.sum(h * h)


EXAMPLE = {"x": np.ones(3), "W": np.ones((2, 3))}


def test_what_no_gradient_reads_is_dropped():
    before = stages.with_adjoint(layer, ("W",), **EXAMPLE).splitlines()
    after = stages.simplified(layer, ("W",), **EXAMPLE).splitlines()
    assert after == [
        "%matmul = matmul(%W, %x)",
        "%h = tanh(%matmul)",
        "# adjoint sweep",
        "%multiply = multiply(2, %h)",
        "%power = power(%h, 2)",
        "%subtract = subtract(1, %power)",
        "%delta = multiply(%multiply, %subtract)",
        "%outer = outer(%delta, %x)",
        "return (%outer)",
    ]
    # Dropped: the loss itself (a gradient alone does not return it), the
    # seed's broadcast and x's adjoint W.T @ delta (x is not differentiated).
    assert "%sum = sum(%multiply)" in before
    assert "%transpose = transpose(%W)" in before
    assert not any(("sum(" in line or "transpose(" in line) for line in after)


def checked(x):
    if np.sum(x) > 0:
        return np.sum(np.sin(x))
    return np.sum(x)


def test_guards_and_what_they_read_are_kept():
    after = stages.simplified(checked, ("x",), x=np.ones(3)).splitlines()
    assert after[:3] == [
        "%sum = sum(%x)",
        "%greater = greater(%sum, 0)",
        "guard %greater is True",
    ]
    assert "%cos = cos(%x)" in after


def euler(x):
    for _ in range(200):
        x = x + 0.1 * np.sin(x)
    return np.sum(x)


def test_a_rolled_loop_keeps_what_its_backward_loop_restores():
    after = stages.simplified(euler, ("x",), x=np.ones(3)).splitlines()
    assert after[1] == "  save [%x.2]"
    assert "%sum = sum(%x.3)" not in after  # the loss is not returned
