"""The reverse stage's output as text: the adjoint sweep it appends.

Each test runs the tracer and then only the reverse stage
(``stages.with_adjoint``), before any clean-up, and reads what it appended
after ``# adjoint sweep``: one rule per active statement, contributions to a
value read twice added once, nothing for inputs not differentiated.
"""

from __future__ import annotations

import numpy as np
import stages


def layer(x, W):
    h = np.tanh(W @ x)
    return np.sum(h * h)


def _sweep(text: str) -> list[str]:
    lines = text.splitlines()
    return lines[lines.index("# adjoint sweep") + 1 :]


def test_each_active_statement_gets_its_rule_in_reverse_order():
    sweep = _sweep(stages.with_adjoint(layer, ("W",), x=np.ones(3), W=np.ones((2, 3))))
    assert sweep == [
        # sum: the seed broadcast to h's shape (folded into what reads it)
        "%dim = dim(%W, 0)",
        "%delta = broadcast_to(1.0, (%dim))",
        # h * h: both factors are h, so their contributions add up to 2 * h
        "%multiply.2 = multiply(2, %h)",
        # tanh's rule: one minus h squared
        "%power = power(%h, 2)",
        "%subtract = subtract(1, %power)",
        "%delta.2 = multiply(%multiply.2, %subtract)",
        # W @ x: an outer product for W, and W.T @ delta for x (dead: x is
        # not differentiated, the clean-up stage drops it)
        "%outer = outer(%delta.2, %x)",
        "%transpose = transpose(%W)",
        "%matmul.2 = matmul(%transpose, %delta.2)",
        "return (%outer)",
    ]


def sine_times(x):
    return np.sum(np.sin(x) * x)


def test_a_value_read_twice_gets_both_contributions_added():
    sweep = _sweep(stages.with_adjoint(sine_times, ("x",), x=np.ones(3)))
    assert sweep[-3:] == [
        "%multiply.2 = multiply(%x, %cos)",
        "%add = add(%sin, %multiply.2)",
        "return (%add)",
    ]


def scaled(x, c):
    return np.sum(x * np.exp(c))


def test_an_input_not_differentiated_gets_no_adjoint():
    sweep = _sweep(stages.with_adjoint(scaled, ("x",), x=np.ones(3), c=np.ones(3)))
    # d/dx sum(x * exp(c)) is exp(c), already computed: nothing for c.
    assert sweep == ["%delta = broadcast_to(1.0, (%dim))", "return (%exp)"]


def test_a_rule_that_recomputes_a_forward_value_reuses_it():
    both = _sweep(stages.with_adjoint(scaled, ("x", "c"), x=np.ones(3), c=np.ones(3)))
    # d/dc is x * exp(c): the forward product itself.
    assert both == ["%delta = broadcast_to(1.0, (%dim))", "return (%exp, %multiply)"]


def euler(x):
    for _ in range(200):
        x = x + 0.1 * np.sin(x)
    return np.sum(x)


def test_a_rolled_loop_gets_a_loop_that_runs_backwards():
    sweep = _sweep(stages.with_adjoint(euler, ("x",), x=np.ones(3)))
    start = next(i for i, line in enumerate(sweep) if line.startswith("loop "))
    assert sweep[start].startswith("loop backwards carrying")
    body = sweep[start + 1 :]
    assert body[0].endswith("= restore(%x.2)")  # the trip's saved input
    assert any("cos(" in line for line in body)
