"""The trace stage's output as text: the forward IR for small functions.

Each test runs only the tracer (``stages.forward``) and reads the statements
it built: Python control flow the example decides is unrolled behind guards,
a long loop stays rolled, and NumPy calls become one statement each.
"""

from __future__ import annotations

import numpy as np
import stages


def layer(x, W):
    h = np.tanh(W @ x)
    return np.sum(h * h)


def test_each_numpy_call_is_one_statement_named_after_the_source():
    assert stages.forward(layer, x=np.ones(3), W=np.ones((2, 3))) == "\n".join(
        [
            "%matmul = matmul(%W, %x)",
            "%h = tanh(%matmul)",
            "%multiply = multiply(%h, %h)",
            "%sum = sum(%multiply)",
            "return %sum",
        ]
    )


def halve_until_small(x):
    while np.sum(x * x) > 1.0:
        x = x / 2
    return np.sum(x)


def test_a_while_the_example_decides_is_unrolled_behind_guards():
    # ones(3): 3 > 1, so one trip; then 0.75 > 1 is False and the loop ends.
    assert stages.forward(halve_until_small, x=np.ones(3)).splitlines() == [
        "%multiply = multiply(%x, %x)",
        "%sum = sum(%multiply)",
        "%greater = greater(%sum, 1.0)",
        "guard %greater is True",
        "%x.2 = divide(%x, 2)",
        "%multiply.2 = multiply(%x.2, %x.2)",
        "%sum.2 = sum(%multiply.2)",
        "%greater.2 = greater(%sum.2, 1.0)",
        "guard %greater.2 is False",
        "%sum.3 = sum(%x.2)",
        "return %sum.3",
    ]


def euler(x):
    for _ in range(200):
        x = x + 0.1 * np.sin(x)
    return np.sum(x)


def test_a_long_loop_stays_rolled_with_its_carried_value():
    # 0.1 * s is built as s / 10: the builder's algebra keeps exact constants.
    assert stages.forward(euler, x=np.ones(3)).splitlines() == [
        "loop %_ in range(0, 200, 1) carrying %x.2 = %x -> %x.3:",
        "  %sin = sin(%x.2)",
        "  %divide = divide(%sin, 10)",
        "  %x.4 = add(%x.2, %divide)",
        "  next %x.4",
        "%sum = sum(%x.3)",
        "return %sum",
    ]


def sign_flip(x):
    if np.sum(x) > 0:
        return np.sum(x)
    return -np.sum(x)


def test_an_if_on_the_example_takes_one_arm_and_guards_the_test():
    lines = stages.forward(sign_flip, x=np.ones(3)).splitlines()
    assert lines == [
        "%sum = sum(%x)",
        "%greater = greater(%sum, 0)",
        "guard %greater is True",
        "return %sum",
    ]
    flipped = stages.forward(sign_flip, x=-np.ones(3)).splitlines()
    assert flipped[2] == "guard %greater is False"
    assert flipped[-2:] == ["%negative = negative(%sum)", "return %negative"]
