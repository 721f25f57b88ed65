"""Strings made from traced values: formatted, printed, logged, never a gradient.

A loss that reports its progress (``print(f"loss {loss:.3f}")``, ``str(x)``,
``"%.2f" % loss``, ``logger.info``) has the gradient of the same loss
without those lines, and neither tracing nor the emitted code prints. A
decision on such a string would follow the example's numbers: refused with
its location.
"""

import inspect
import logging
import warnings

import numpy as np
import pytest

import srcdiff
from srcdiff.api import compile_derivative
from srcdiff.numeric import max_relative_error, numerical_grad

X = np.array([0.5, -1.0, 2.0])
LOGGER = logging.getLogger("srcdiff.tests.text")


def reports_its_progress(x, step=3):
    loss = np.sum(np.tanh(x) ** 2)
    print(f"step {step}: loss {loss:.3f} at {np.max(x)!r:>12}", end="\n")
    note = "loss %.2f, first %s" % (loss, x[0]) + " / " + str(x) + "-" * 3  # noqa: UP031
    note = "{} ({:.1e})".format(note, np.sum(x)).upper()  # noqa: UP032
    notes = [note]
    notes.append(repr(loss))
    LOGGER.info("loss %s", loss)
    logging.debug(note)
    warnings.warn(f"{loss}", stacklevel=2)
    print(x, x.shape, notes)
    return loss


def test_formatting_and_printing_leave_the_gradient_alone(capsys):
    got = srcdiff.grad(reports_its_progress)(X)
    expected = numerical_grad(lambda x: np.sum(np.tanh(x) ** 2), [X], 0)
    assert max_relative_error(got, expected) < 1e-6
    assert capsys.readouterr().out == ""  # tracing printed nothing


@pytest.mark.parametrize("example", [True, False], ids=["example", "generic"])
def test_the_emitted_code_prints_nothing(example, capsys):
    g = srcdiff.grad(reports_its_progress)
    derivative = g.derivative(X) if example else g.derivative()
    source = srcdiff.api.render(derivative)
    for word in ("print", "format", "str(", "info", "warn", "%"):
        assert word not in source.split('"""')[-1], source
    compiled = compile_derivative(derivative)
    with warnings.catch_warnings():
        warnings.simplefilter("error")
        compiled(X)
    assert capsys.readouterr().out == ""


def in_a_rolled_loop(x, n):
    h = x
    for t in range(n):
        h = np.sin(h)
        print(f"{t}: {np.sum(h):.4f}")
    return np.sum(h)


def test_printing_in_a_rolled_loop():
    got = srcdiff.grad(in_a_rolled_loop, unroll=False)(X, 4)
    expected = numerical_grad(in_a_rolled_loop, [X, 4], 0)
    assert max_relative_error(got, expected) < 1e-6


def static_conversions(x, name="w"):
    weights = {"'w'": 2.0, "w": 5.0}
    return np.sum(x) * weights[f"{name!r}"]


def test_f_string_conversions_of_plain_values():
    # !r quotes the string, as Python does: the key is "'w'".
    assert np.allclose(srcdiff.grad(static_conversions)(X), 2.0)


def decides_on_text(x):
    if f"{np.sum(x):.0f}" == "2":
        return np.sum(x)
    return np.sum(x**2)


def measures_text(x):
    return np.sum(x) * len(str(x))


def searches_text(x):
    if "nan" in str(np.sum(x)):
        return 0.0
    return np.sum(x)


def indexes_text(x):
    first = str(x[0])[0]
    return np.sum(x) + float(first)


def branches_on_text(x):
    label = "%.1f" % x[0]  # noqa: UP031
    if label:
        return np.sum(x)
    return 0.0


@pytest.mark.parametrize(
    ("fn", "needle"),
    [
        (decides_on_text, 'f"{np.sum(x)'),
        (measures_text, "len(str(x))"),
        (searches_text, '"nan" in'),
        (indexes_text, "str(x[0])[0]"),
        (branches_on_text, "label:"),
    ],
    ids=["compare", "len", "in", "index", "if"],
)
def test_decisions_on_text_are_refused_where_they_happen(fn, needle):
    with pytest.raises(srcdiff.TraceError) as info:
        srcdiff.grad(fn)(X)
    lines, first = inspect.getsourcelines(fn)
    row = next(i for i, line in enumerate(lines) if needle in line)
    assert info.value.loc.line == first + row
    assert info.value.loc.col == lines[row].index(needle)
    assert "only printed or logged" in info.value.message
