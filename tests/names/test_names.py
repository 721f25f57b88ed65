"""The names stage: readable, deterministic names for emitted values.

Names come from what a value computes (``tanh_a_dot_b``), never collide with
reserved names (parameters, ``np``, helpers) or each other, and lists of
per-trip values take the plural of the value's name.
"""

from __future__ import annotations

import ast

import pytest

from srcdiff.names.namer import Namer, plural, temp_hint


def test_fresh_names_avoid_reserved_names_and_each_other():
    namer = Namer({"np", "x"})
    assert [namer.fresh("x"), namer.fresh("x")] == ["x_2", "x_3"]
    assert [namer.fresh("h"), namer.fresh("h")] == ["h", "h_2"]


@pytest.mark.parametrize(
    ("expression", "hint"),
    [
        ("np.tanh(a @ b)", "tanh_a_dot_b"),
        ("W.T", "W_T"),
        ("x[0]", "x_0"),
        ("np.sum(x, axis=0)", "sum_x"),
        ("a * b", "a_times_b"),
        ("rows // 4", "rows_div_4"),
        ("dterm / 20", "dterm_over_20"),
    ],
)
def test_a_temporary_is_named_after_what_it_computes(expression, hint):
    assert temp_hint(ast.parse(expression, mode="eval").body) == hint


@pytest.mark.parametrize(
    ("name", "plural_name"),
    [("weight", "weights"), ("batch", "batches"), ("x", "xs")],
)
def test_values_saved_per_trip_take_the_plural(name, plural_name):
    assert plural(name) == plural_name
