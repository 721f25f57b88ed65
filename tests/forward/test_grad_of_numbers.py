"""The gradient of a function of numbers along one number is forward mode:
one sweep carrying ``dterm`` beside ``term``, no list of saved trips (as a
person writes d/dx of a series); reverse mode where a step has no tangent
rule, and wherever an array comes in."""

from __future__ import annotations

import importlib.util
import re
from pathlib import Path

import numpy as np
import pytest

import srcdiff
from srcdiff.numeric import max_relative_error, numerical_grad

TOL = 1e-6


_path = Path(__file__).resolve().parents[2] / "examples" / "taylor_sine.py"
_spec = importlib.util.spec_from_file_location("examples.taylor_sine", _path)
_example = importlib.util.module_from_spec(_spec)
_spec.loader.exec_module(_example)
taylor = _example.loss  # a while loop summing the sine's series


def damped(x, rate, steps):
    y = x
    for _ in range(steps):
        y = y - rate * np.sin(y) * y
    return y**2


@pytest.mark.parametrize("x", [0.0005, 0.3, 1.2, 10.0, -7.5])
@pytest.mark.parametrize("unroll", [True, False])
def test_a_series_is_one_forward_sweep(x, unroll):
    g = srcdiff.grad(taylor, unroll=unroll)
    got = g(x)
    assert max_relative_error(got, numerical_grad(taylor, [x], 0)) < TOL
    assert "terms" not in g.source and ".pop()" not in g.source
    trips = not unroll or abs(x) > 1e-3  # unrolled, no trip: the slope is 1.0
    assert ("dterm" in g.source) == trips
    assert len(re.findall(r"^ *while ", g.source, re.M)) == (0 if unroll else 1)


@pytest.mark.parametrize("wrt", ["x", "rate"])
def test_each_number_of_several_has_its_derivative(wrt):
    g = srcdiff.grad(damped, wrt=wrt)
    args = [0.8, 0.1, 30]
    got = g(*args)
    position = ["x", "rate"].index(wrt)
    assert max_relative_error(got, numerical_grad(damped, args, position)) < TOL
    assert ".pop()" not in g.source  # forward mode saves nothing


def test_value_and_grad_and_tuple_results():
    value, slope = srcdiff.value_and_grad(damped)(0.8, 0.1, 30)
    assert value == pytest.approx(damped(0.8, 0.1, 30), rel=1e-12)
    assert max_relative_error(slope, numerical_grad(damped, [0.8, 0.1, 30], 0)) < TOL
    (only,) = srcdiff.grad(damped, wrt=("x",))(0.8, 0.1, 30)
    assert only == pytest.approx(slope, rel=1e-12)


def test_an_array_argument_keeps_reverse_mode():
    def weighted(x, w):
        total = 0.0
        for k in range(20):
            total = total + np.sin(x * k) * w[k % 2]
        return total

    g = srcdiff.grad(weighted)
    w = np.array([0.5, -1.5])
    got = g(0.3, w)
    assert max_relative_error(got, numerical_grad(weighted, [0.3, w], 0)) < TOL
    assert "dtotal" in g.source and "dx" in g.source


@srcdiff.primitive
def cube(x):
    return x**3


cube.defvjp(lambda g, ans, x: 3 * g * x**2)  # no tangent rule: reverse mode


def test_a_step_without_a_tangent_rule_takes_reverse_mode():
    def f(x):
        return np.sin(cube(x))

    g = srcdiff.grad(f)
    assert max_relative_error(g(0.7), numerical_grad(f, [0.7], 0)) < TOL
    assert "dx" in g.source  # the adjoint of x, not a tangent of the result
