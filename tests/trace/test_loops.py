"""Rolled loops: ``for`` over ``range(n)`` and over array rows, ``while`` on
values, with and without an example, against central differences at inputs
that take different trip counts."""

import ast
import inspect
import re
import sys

import numpy as np
import pytest

import srcdiff
from srcdiff.api import compile_derivative
from srcdiff.ir.nodes import Loop
from srcdiff.numeric import max_relative_error, numerical_grad
from srcdiff.trace.loop import UNROLL_BUDGET

TOL = 1e-6
RNG = np.random.default_rng(11)
X3 = RNG.normal(size=3)
THETA = RNG.normal(size=(3, 3)) / 2


def expected_grads(f, args, wrt):
    names = list(inspect.signature(f).parameters)
    return tuple(numerical_grad(f, args, names.index(w)) for w in wrt)


def check(f, args, wrt, **options):
    """grad(f) at ``args`` against central differences; returns the source."""
    g = srcdiff.grad(f, wrt=wrt, **options)
    got = g(*args)
    got = got if isinstance(got, tuple) else (got,)
    assert max_relative_error(got, expected_grads(f, args, wrt)) < TOL
    return g.source


def check_generic(f, args, wrt):
    """The derivative traced without an example, run at ``args``."""
    derivative = srcdiff.grad(f, wrt=wrt).derivative()
    got = compile_derivative(derivative)(*args)
    got = got if isinstance(got, tuple) else (got,)
    assert max_relative_error(got, expected_grads(f, args, wrt)) < TOL
    return derivative


def loops_in(source):
    tree = ast.parse(source)
    return [n for n in ast.walk(tree) if isinstance(n, (ast.For, ast.While))]


# ----- for t in range(n) -----
def euler(x0, theta, n):
    x = x0
    for t in range(n):
        x = x + 0.05 * np.tanh(theta @ x) * (1 + t % 3)
    return np.sum(x**2)


@pytest.mark.parametrize("n", [0, 1, 4, 60])
def test_range_of_an_argument_without_an_example(n):
    derivative = check_generic(euler, (X3, THETA, n), ("x0", "theta"))
    assert any(isinstance(s, Loop) for s in derivative.program.stmts)


@pytest.mark.parametrize("n", [0, 3, 60])
def test_range_with_an_example(n):
    check(euler, (X3, THETA, n), ("x0", "theta"))


def test_a_long_loop_stays_rolled_and_short():
    source = check(euler, (X3, THETA, 500), ("x0", "theta"))
    assert len(loops_in(source)) == 2  # the forward loop and the adjoint loop
    assert "for t in range(n):" in source
    assert "for t in reversed(range(n)):" in source
    assert "xs.append(x)" in source and "x = xs.pop()" in source
    assert len(source.splitlines()) < 50


def test_a_short_static_loop_is_unrolled():
    def short(x):
        for _ in range(3):
            x = np.sin(x) * 2
        return np.sum(x)

    assert loops_in(check(short, (X3,), ("x",))) == []
    rolled = check(short, (X3,), ("x",), unroll=False)
    assert len(loops_in(rolled)) == 2


def test_unroll_true_unrolls_a_long_static_loop():
    def long(x):
        for _ in range(UNROLL_BUDGET):
            x = np.sin(x) + 0.01
        return np.sum(x)

    assert len(loops_in(check(long, (X3,), ("x",)))) == 2
    assert loops_in(check(long, (X3,), ("x",), unroll=True)) == []


# ----- for row in array -----
def rnn(W, U, h0, xs):
    h = h0
    for x_t in xs:
        h = np.tanh(W @ h + U @ x_t)
    return np.sum(h**2)


@pytest.mark.parametrize("steps", [1, 2, 45])
def test_loop_over_rows_with_gradients_for_every_argument(steps):
    args = (THETA, RNG.normal(size=(3, 2)), X3, RNG.normal(size=(steps, 2)))
    wrt = ("W", "U", "h0", "xs")
    source = check(rnn, args, wrt, unroll=False)
    assert "for x_t in xs:" in source
    assert "dxs[t] += dx_t" in source


def test_loop_over_rows_without_an_example():
    args = (THETA, RNG.normal(size=(3, 2)), X3, RNG.normal(size=(30, 2)))
    check_generic(rnn, args, ("W", "U", "h0", "xs"))


# ----- while -----
def series(x):
    ans = term = x
    i = 0
    while np.abs(term) > 1e-8:
        term = -term * x**2 / ((2 * i + 3) * (2 * i + 2))
        ans = ans + term
        i += 1
    return ans


@pytest.mark.parametrize("x", [0.0, 0.3, 2.0, -4.0])
def test_while_on_a_value_without_an_example(x):
    derivative = check_generic(series, (x,), ("x",))
    (loop,) = [s for s in derivative.program.stmts if isinstance(s, Loop)][:1]
    assert loop.cond is not None


def test_while_rolled_with_an_example_serves_other_trip_counts():
    g = srcdiff.grad(series, unroll=False)
    for x in (2.0, 0.5, -6.0):
        assert max_relative_error(g(x), numerical_grad(series, (x,), 0)) < TOL
    (paths,) = g._paths.values()
    assert len(paths) == 1


def counted(x, limit):
    total = 0
    k = 0
    while k < limit:
        total = total + np.sum(np.cos(x * k))
        k += 1
    return total


def test_while_on_a_counter_and_an_int_that_becomes_a_float():
    check(counted, (X3, 40), ("x",), unroll=False)
    check_generic(counted, (X3, 40), ("x",))


# ----- what the forward loop records -----
def linear_sum(x, n):
    total = 0.0
    for t in range(n):
        total = total + x * t
    return np.sum(total)


def test_a_value_the_adjoint_does_not_read_is_not_saved():
    source = check(linear_sum, (X3, 200), ("x",))
    assert ".append(" not in source


def swap(a, b, n):
    for _ in range(n):
        a, b = b, np.sin(a) + b
    return np.sum(a * b)


@pytest.mark.parametrize("n", [0, 1, 2, 150])
def test_carried_values_that_swap(n):
    check(swap, (X3, X3[::-1].copy(), n), ("a", "b"), unroll=False)


def shift_along(a, b, c, n):
    for _ in range(n):
        a, b, c = b + 1, c * 2, np.sin(c)
    return np.sum(a * b * c)


@pytest.mark.parametrize("n", [0, 1, 2, 150])
def test_carried_values_are_assigned_one_by_one_where_an_order_allows(n):
    args = (X3, X3[::-1].copy(), X3 / 2, n)
    source = check(shift_along, args, ("a", "b", "c"), unroll=False)
    assert not re.search(r"^ *\w+, \w+.* = \(", source, re.M)


def rows_written(x, n):
    out = np.zeros((n, 3))
    for t in range(n):
        out[t] = np.sin(x * (t + 1))
    return np.sum(out**2)


def test_index_assignment_into_a_carried_array():
    source = check(rows_written, (X3, 120), ("x",))
    assert len(loops_in(source)) == 2


def nested(x, n):
    for _ in range(n):
        for _ in range(2):
            x = np.tanh(x) + 0.1
    return np.sum(x)


def test_a_short_loop_inside_a_rolled_one():
    check(nested, (X3, 80), ("x",))
    check_generic(nested, (X3, 7), ("x",))


# ----- when a loop cannot stay rolled -----
def changes_path(x, n):
    for t in range(n):
        x = np.sin(x) if t % 2 == 0 else x * 1.5
    return np.sum(x)


def test_a_path_that_changes_between_trips_is_unrolled_with_an_example():
    source = check(changes_path, (X3, 30), ("x",))
    assert loops_in(source) == []


def collects(x, n):
    parts = []
    for t in range(n):
        parts.append(x * t)
    return np.sum(np.stack(parts))


def test_a_loop_growing_a_list_needs_an_example():
    check(collects, (X3, 40), ("x",))
    with pytest.raises(srcdiff.NeedsExample, match=r"append.*rolled loop"):
        srcdiff.grad(collects).derivative()


def layers_by_index(params, x):
    h = x
    for t in range(3):
        h = np.tanh(params[t] @ h)
    return np.sum(h**2)


def states_by_index(x, w):
    hs = [x, np.sin(x), x**2]
    total = 0.0
    for t in range(3):
        total = total + np.sum(hs[t] * w)
    return total


def prints_its_counter(x):
    for i in range(3):
        print(i)
        x = np.sin(x) * (i + 1)
    return np.sum(x)


@pytest.mark.parametrize("unroll", [None, False])
def test_a_short_loop_the_rolled_trace_cannot_read_is_unrolled(unroll):
    """A rolled trip's index is no Python int, so ``params[t]`` on a list and
    ``print(i)`` fail there; with the trips known the loop is unrolled."""
    params = [THETA, THETA.T.copy(), THETA * 2]
    source = check(layers_by_index, (params, X3), ("params", "x"), unroll=unroll)
    assert loops_in(source) == []
    check(states_by_index, (X3, X3[::-1].copy()), ("x", "w"), unroll=unroll)
    check(prints_its_counter, (X3,), ("x",), unroll=unroll)


def rows_by_index(w, xs):
    total = 0.0
    for t in range(len(xs)):
        total = total + np.sum(np.tanh(w * xs[t]))
    return total


def test_a_short_loop_over_a_size_is_unrolled_for_that_size():
    """``range(len(xs))`` with four rows: unrolled (it was refused as a loop
    only the running code could count); five rows trace again."""
    g = srcdiff.grad(rows_by_index, wrt=("w", "xs"))
    for rows in (4, 5, 4):
        args = (X3, RNG.normal(size=(rows, 3)))
        got = g(*args)
        assert (
            max_relative_error(got, expected_grads(rows_by_index, args, ("w", "xs")))
            < TOL
        )
    assert loops_in(g.source) == []
    assert "xs.shape[0] != 4" in g.source or "len(xs) != 4" in g.source


def unsupported_in_a_short_loop(x):
    for t in range(3):
        x = np.unwrap(x) * t
    return np.sum(x)


def test_an_error_unrolling_has_too_still_reports_itself():
    for unroll in (None, False, True):
        with pytest.raises(srcdiff.UnsupportedPrimitive, match=r"numpy\.unwrap"):
            srcdiff.grad(unsupported_in_a_short_loop, unroll=unroll)(X3)
    # Trips only the running code knows: nothing to unroll, the error stands.
    with pytest.raises(srcdiff.NeedsExample, match="Python container"):
        srcdiff.grad(states_by_index_n).derivative()


def states_by_index_n(x, n):
    hs = [x, 2 * x, x**2]
    total = 0.0
    for t in range(n):
        total = total + np.sum(hs[t])
    return total


def test_emitted_rolled_code_runs_from_the_cli(tmp_path, capsys):
    from srcdiff import cli

    assert cli.main(["emit", "examples/ode.py:loss", "--no-unroll"]) == 0
    source = capsys.readouterr().out
    assert "for _ in range(steps):" in source
    assert "--no-unroll" in source


# ----- if on values -----
def piecewise(x, a):
    if np.sum(x) > a:
        y = np.sin(x) * a
    elif np.sum(x) > a - 1:
        y = x * a
    else:
        y = x**3
    return np.sum(y)


@pytest.mark.parametrize("a", [-5.0, 0.0, 0.5, 5.0])
def test_if_elif_else_on_values_without_an_example(a):
    derivative = check_generic(piecewise, (X3, a), ("x", "a"))
    source = srcdiff.api.render(derivative)
    assert "if np.sum(x) > a:" in source or "sum_x_gt_a" in source
    assert "PathChanged" not in source.split("def piecewise_grad")[1].split("\n\n")[0]


def test_if_on_values_with_an_example_is_a_guard():
    source = check(piecewise, (X3, 0.0), ("x", "a"))
    assert "raise PathChanged" in source


def steps_with_a_branch(x, W, n):
    for _ in range(n):
        z = W @ x
        if np.sum(z) > 0:  # noqa: SIM108 - an if statement is what is tested
            x = np.tanh(z)
        else:
            x = 0.5 * x + 0.1
    return np.sum(x**2)


@pytest.mark.parametrize("n", [0, 1, 50])
def test_if_inside_a_rolled_loop(n):
    args = (X3, THETA, n)
    source = check(steps_with_a_branch, args, ("x", "W"), unroll=False)
    assert len(loops_in(source)) == 2
    check_generic(steps_with_a_branch, args, ("x", "W"))


def test_a_rolled_loop_with_a_branch_takes_both_paths():
    """The trips take both arms: one derivative serves them all."""
    x = np.array([1.0, -2.0, 0.5])
    W = np.array([[0.9, 0.3, 0.0], [-0.4, 1.1, 0.2], [0.1, 0.0, -1.2]])
    taken = []
    for _ in range(60):
        taken.append(np.sum(W @ x) > 0)
        x = np.tanh(W @ x) if taken[-1] else 0.5 * x + 0.1
    assert any(taken) and not all(taken)
    check(steps_with_a_branch, (np.array([1.0, -2.0, 0.5]), W, 60), ("x", "W"))


# ----- break and continue -----
def series_until(x, tol):
    term = x
    total = x
    k = 0
    while True:
        term = term * x / (k + 1)
        total = total + term
        k += 1
        if np.max(np.abs(term)) < tol:
            break
    return np.sum(total)


@pytest.mark.parametrize("tol", [1e-1, 1e-4, 1e-9])
def test_while_true_with_break(tol):
    derivative = check_generic(series_until, (X3, tol), ("x",))
    source = srcdiff.api.render(derivative)
    assert "while not stopped:" in source
    assert "stopped = True" in source
    assert "dstopped" not in source and "dk" not in source  # flags and counters
    check(series_until, (X3, tol), ("x",), unroll=False)


def taylor_for(x):
    ans = term = x
    for i in range(1000):
        term = -term * x**2 / ((2 * i + 3) * (2 * i + 2))
        ans = ans + term
        if np.abs(term) < 1e-3:
            break
    return ans


def lines_run(fn, *args):
    """How many lines of ``fn``'s own body ran in one call."""
    count = 0

    def trace(frame, event, arg):
        nonlocal count
        if frame.f_code is not fn.__code__:
            return None
        count += event == "line"
        return trace

    sys.settrace(trace)
    try:
        fn(*args)
    finally:
        sys.settrace(None)
    return count


@pytest.mark.parametrize("x", [0.3, 1.2, 3.0])
def test_a_for_that_breaks_stops_both_ways(x):
    """Three to eight trips of a range(1000): the forward loop breaks, and
    the backward loop runs those trips only (it ran all 1000 before)."""
    derivative = check_generic(taylor_for, (x,), ("x",))
    source = srcdiff.api.render(derivative)
    assert "for i in range(1000):" in source
    assert "if stopped:\n            break" in source
    assert "for i in reversed(range(trips)):" in source
    compiled = compile_derivative(derivative)
    assert lines_run(compiled, x) < 150
    check(taylor_for, (x,), ("x",), unroll=False)
    check(taylor_for, (x,), ("x",))


def rows_until(xs, w):
    s = 0.0
    for x_t in xs:
        s = s + np.sum(np.tanh(w * x_t))
        if s > 2.0:
            break
    return s


def stepped_until(x, a, n):
    for i in range(a, n, 3):
        x = np.sin(x) * i
        if np.sum(x) > 5.0:
            break
    return np.sum(x)


def inner_breaks(x, n, m):
    for _ in range(n):
        for j in range(m):
            x = np.tanh(x * 1.1 + 0.1 * j)
            if np.sum(x) > 1.0:
                break
            x = x * 1.2
    return np.sum(x**2)


@pytest.mark.parametrize(
    ("f", "args", "wrt"),
    [
        (rows_until, (RNG.normal(size=(20, 3)), X3), ("xs", "w")),
        (rows_until, (RNG.normal(size=(20, 3)) - 5, X3), ("xs", "w")),
        (stepped_until, (np.array([0.3, 0.2]), 1, 40), ("x",)),
        (stepped_until, (np.array([0.3, 0.2]), 2, 4), ("x",)),
        (inner_breaks, (np.array([0.1, 0.2]), 5, 30), ("x",)),
        (inner_breaks, (np.array([-0.5, -0.2]), 3, 4), ("x",)),
    ],
)
def test_breaks_out_of_rows_strides_and_inner_loops(f, args, wrt):
    check_generic(f, args, wrt)
    check(f, args, wrt, unroll=False)
    check(f, args, wrt)


# ----- return inside a loop -----
def first_big(x, n):
    s = x
    for _ in range(n):
        s = np.sin(s) * 1.5
        if np.sum(s) > 2.0:
            return np.sum(s**2)
    return np.sum(s)


@pytest.mark.parametrize("start", [[0.3, 0.5], [-0.3, 0.1], [1.0, 1.2]])
@pytest.mark.parametrize("n", [0, 1, 5, 30])
def test_return_inside_a_rolled_loop(start, n):
    args = (np.array(start), n)
    check_generic(first_big, args, ("x",))
    check(first_big, args, ("x",), unroll=False)
    check(first_big, args, ("x",))


def test_return_inside_a_loop_keeps_it_rolled():
    derivative = srcdiff.grad(first_big).derivative()
    source = srcdiff.api.render(derivative)
    assert "for _ in range(n):" in source
    assert "returned = True" in source or "returned, stopped = (True, True)" in source


def loops_in_loops(x, n, m):
    for _ in range(n):
        for j in range(m):
            x = np.tanh(x * 1.1 + 0.1 * j)
    return np.sum(x**2)


@pytest.mark.parametrize(("n", "m"), [(5, 3), (0, 3), (4, 0), (30, 20)])
def test_a_rolled_loop_inside_a_rolled_one(n, m):
    derivative = check_generic(loops_in_loops, (X3, n, m), ("x",))
    assert "for j in range(m):" in srcdiff.api.render(derivative)
    check(loops_in_loops, (X3, n, m), ("x",), unroll=False)


def cross(x, y, n):
    for _ in range(n):
        x = np.sin(y)
        y = x * y + 0.1 * x
    return np.sum(x * y)


@pytest.mark.parametrize("n", [1, 3])
def test_adjoints_do_not_take_the_names_of_restored_values(n):
    """d/dx starts as the forward y: called y, the restored y would clobber it."""
    source = check(cross, (X3, X3[::-1].copy(), n), ("x", "y"), unroll=False)
    assert "dx = y" in source and "y = ys.pop()" in source


def rows_and_sum(W, xs):
    h = np.zeros(3)
    for x_t in xs:
        h = np.tanh(W @ h + x_t)
    return np.sum(h) + np.sum(xs)


def test_row_gradients_add_in_place_onto_earlier_ones():
    """d/dxs starts as a broadcast 1.0 (from np.sum(xs)): written as an array
    of its own, so each trip adds its row in place instead of copying."""
    args = (THETA, RNG.normal(size=(30, 3)))
    source = check(rows_and_sum, args, ("xs",), unroll=False)
    assert "dxs[t] += dx_t" in source and ".copy()" not in source


def grow_until(x):
    y = x
    k = 0
    while np.sum(y**2) < 50.0 and k < 100:
        y = y * 1.3 + 0.1
        k += 1
    return np.sum(y)


@pytest.mark.parametrize("scale", [0.1, 1.0, 10.0])
def test_while_on_two_conditions_joined_by_and(scale):
    derivative = check_generic(grow_until, (X3 * scale,), ("x",))
    assert "while np.sum(y**2) < 50.0 and k < 100:" in srcdiff.api.render(derivative)
    check(grow_until, (X3 * scale,), ("x",), unroll=False)
