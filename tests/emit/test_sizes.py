"""Emitted files stay right away from their example.

Each golden file was emitted for its example's sizes. Run on inputs of other
sizes it must give the gradient central differences give, and on inputs of
another structure it must raise PathChanged rather than return a number.
"""

from __future__ import annotations

import importlib.util
from pathlib import Path
from types import ModuleType
from typing import Any

import numpy as np
import pytest
from test_golden import CASES

import srcdiff
from srcdiff.numeric import max_relative_error, numerical_grad

ROOT = Path(__file__).resolve().parents[2]
TOL = 1e-5

# Keyword arguments of each example's example(): two other valid sizes.
OTHER_SIZES: dict[str, list[dict[str, int]]] = {
    "attention": [dict(n=3, features=2, d=5), dict(n=9, features=6, d=2)],
    "cox_survival": [dict(n=4), dict(n=15)],
    "deconvolution": [dict(n=20), dict(n=45)],
    "denoising": [dict(rows=10, cols=6), dict(rows=2, cols=14)],
    "gp": [dict(n=5, d=3), dict(n=20, d=2)],
    "logistic": [dict(n=7, d=2), dict(n=33, d=5)],
    "loglinear": [dict(n=8, d=2, k=5), dict(n=41, d=6, k=2)],
    "matrix_factorization": [
        dict(n=12, users=3, items=6, rank=2),
        dict(n=50, users=8, items=3, rank=4),
    ],
    "mlp": [
        dict(n=4, features=2, hidden=3, classes=5),
        dict(n=25, features=7, hidden=11, classes=2),
    ],
    "negative_binomial": [dict(n=6), dict(n=70)],
    "ode": [dict(n=2), dict(n=8)],
    "receptive_field": [dict(n=40, width=5), dict(n=80, width=12)],
    "rnn": [
        dict(steps=7, hidden=3, inputs=2, outputs=4),
        dict(steps=55, hidden=8, inputs=4, outputs=1),
    ],
    "robust_regression": [dict(n=9), dict(n=40)],
    "softmax_regression": [dict(n=5, d=2, k=4), dict(n=41, d=6, k=2)],
    "tobit": [dict(n=11), dict(n=44)],
}

SPECIALISED = [(golden, args) for golden, args in CASES if "--example" in args]


def load(path: Path) -> ModuleType:
    spec = importlib.util.spec_from_file_location(f"sized_{path.stem}", path)
    assert spec is not None and spec.loader is not None
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


def _wrt(args: list[str], params: list[str]) -> list[int]:
    names = [args[i + 1] for i, a in enumerate(args) if a == "--wrt"]
    return [params.index(n) for n in names] or [0]


def _case(golden: str, args: list[str]) -> tuple[ModuleType, ModuleType, list[int]]:
    example = load(ROOT / args[0].split(":")[0])
    emitted = load(ROOT / "golden" / golden)
    params = list(
        example.loss.__code__.co_varnames[: example.loss.__code__.co_argcount]
    )
    return example, emitted, _wrt(args, params)


def _gradient(emitted: ModuleType, args: tuple[Any, ...]) -> Any:
    fn = next(getattr(emitted, n) for n in dir(emitted) if n.startswith("loss_"))
    result = fn(*args)
    return result[1] if fn.__name__.endswith("value_and_grad") else result


def test_every_sized_example_has_other_sizes():
    names = {args[0].split("/")[1].split(".")[0] for _, args in SPECIALISED}
    assert names - {"taylor_sine"} == set(OTHER_SIZES)


@pytest.mark.parametrize(
    ("golden", "args", "which"),
    [
        (golden, args, which)
        for golden, args in SPECIALISED
        if not golden.startswith("taylor_sine")
        for which in (0, 1)
    ],
    ids=lambda v: v if isinstance(v, str) else None,
)
def test_emitted_file_is_right_at_other_sizes(golden, args, which):
    example, emitted, wrt = _case(golden, args)
    name = args[0].split("/")[1].split(".")[0]
    inputs = example.example(**OTHER_SIZES[name][which])
    grads = _gradient(emitted, inputs)
    grads = grads if len(wrt) > 1 else (grads,)
    for index, grad in zip(wrt, grads, strict=True):
        expected = numerical_grad(example.loss, inputs, index)
        assert max_relative_error(grad, expected) < TOL


def _first_array(value: Any) -> tuple[Any, ...] | None:
    """The path to the first float array inside an argument."""
    if isinstance(value, np.ndarray) and value.dtype.kind == "f":
        return ()
    if isinstance(value, (list, tuple)):
        for i, item in enumerate(value):
            path = _first_array(item)
            if path is not None:
                return (i, *path)
    return None


def _with_extra_axis(value: Any, path: tuple[Any, ...]) -> Any:
    if not path:
        return value[None]
    items = list(value)
    items[path[0]] = _with_extra_axis(items[path[0]], path[1:])
    return type(value)(items)


@pytest.mark.parametrize(
    ("golden", "args"),
    [c for c in SPECIALISED if not c[0].startswith("taylor_sine")],
    ids=[c[0] for c in SPECIALISED if not c[0].startswith("taylor_sine")],
)
def test_emitted_file_refuses_inputs_of_another_structure(golden, args):
    example, emitted, _ = _case(golden, args)
    inputs = list(example.example())
    index = next(i for i, a in enumerate(inputs) if _first_array(a) is not None)
    inputs[index] = _with_extra_axis(inputs[index], _first_array(inputs[index]))
    with pytest.raises(emitted.PathChanged, match="not shaped like the example"):
        _gradient(emitted, tuple(inputs))


def test_sizes_that_broadcast_together_must_stay_equal():
    """y of another length than X's rows would broadcast against X @ w."""
    example, emitted, _ = _case("logistic__loss.py", ["examples/logistic.py:loss"])
    w, X, y = example.example()
    with pytest.raises(emitted.PathChanged, match="y is not shaped"):
        emitted.loss_grad(w, X, y[:1])


def test_grad_traces_once_for_all_sizes():
    example = load(ROOT / "examples" / "mlp.py")
    g = srcdiff.grad(example.loss)
    for sizes in [{}, *OTHER_SIZES["mlp"]]:
        inputs = example.example(**sizes)
        expected = numerical_grad(example.loss, inputs, 0)
        assert max_relative_error(g(*inputs), expected) < TOL
    assert "16" not in g.source.split('"""')[-1]


SIMULATION = """
import numpy as np


def f(theta, observed):
    x = 0.0
    total = 0.0
    for t in range(len(observed)):
        x = 0.9 * x + theta[0] * np.sin(t * 0.1) + theta[1]
        total = total + (x - observed[t]) ** 2
    return total / len(observed)
"""

GRID = """
import numpy as np


def f(w, image):
    n = image.shape[0]
    xx, yy = np.meshgrid(np.arange(n), np.arange(n))
    return np.sum(w[0] * xx * image + w[1] * yy * image)
"""

ROWS = """
import numpy as np


def f(w, X):
    s = 0.0
    for row in X:
        s = s + np.tanh(row @ w)
    return s
"""


def _emitted_file(load_function, source, args):
    f = load_function(source)
    g = srcdiff.grad(f)
    g(*args)
    return f, load_function(g.source + "\nf = f_grad\n"), g.source


def test_a_loop_over_the_observations_reads_their_count(load_function):
    rng = np.random.default_rng(0)
    f, emitted, text = _emitted_file(
        load_function, SIMULATION, (rng.normal(size=2), rng.normal(size=150))
    )
    code = text.split('"""')[-1]  # the header names the example's shape
    assert "n = len(observed)" in code and "range(n)" in code
    assert "150" not in code
    for n in (3, 200):
        args = (rng.normal(size=2), rng.normal(size=n))
        assert max_relative_error(emitted(*args), numerical_grad(f, args, 0)) < TOL


def test_a_function_without_a_rule_runs_on_sizes_alone(load_function):
    """np.meshgrid has no rule, but reads only sizes: a call in the file."""
    rng = np.random.default_rng(1)
    f, emitted, text = _emitted_file(
        load_function, GRID, (rng.normal(size=2), rng.normal(size=(4, 4)))
    )
    assert "np.meshgrid(" in text
    for n in (2, 9):
        args = (rng.normal(size=2), rng.normal(size=(n, n)))
        assert max_relative_error(emitted(*args), numerical_grad(f, args, 0)) < TOL


def test_a_function_without_a_rule_on_input_values_is_refused(load_function):
    f = load_function(GRID.replace("np.arange(n), np.arange(n)", "w, w"))
    with pytest.raises(srcdiff.UnsupportedPrimitive, match=r"numpy\.meshgrid"):
        srcdiff.grad(f)(np.ones(2), np.ones((2, 2)))


def test_an_unrolled_loop_over_rows_is_checked_for_their_count(load_function):
    rng = np.random.default_rng(2)
    f, emitted, _ = _emitted_file(
        load_function, ROWS, (rng.normal(size=3), rng.normal(size=(4, 3)))
    )
    with pytest.raises(Exception, match=r"X is not shaped like the example"):
        emitted(rng.normal(size=3), rng.normal(size=(5, 3)))
    g = srcdiff.grad(f)
    args = (rng.normal(size=3), rng.normal(size=(5, 3)))
    assert max_relative_error(g(*args), numerical_grad(f, args, 0)) < TOL


NONLINEARITY = """
import numpy as np


def square(v):
    return v * v


def f(w, x, nl=np.tanh):
    return np.sum(nl(x * w))
"""


def test_a_function_argument_is_checked_by_the_emitted_file(load_function):
    """The file inlines np.tanh: called with another function it refuses."""
    f = load_function(NONLINEARITY)
    g = srcdiff.grad(f)
    w, x = np.ones(3), np.arange(3.0)
    g(w, x)
    assert "nl=np.tanh" in g.source
    emitted = load_function(g.source + "\nf = f_grad\n")
    with pytest.raises(Exception, match=r"specialised for nl=np\.tanh"):
        emitted(w, x, np.sin)
    square = f.__globals__["square"]
    g(w, x, square)  # a function the file cannot name: passing any refuses
    emitted = load_function(g.source + "\nf = f_grad\n")
    assert max_relative_error(emitted(w, x), 2 * x * x * w) < TOL
    with pytest.raises(Exception, match="specialised for nl=None"):
        emitted(w, x, square)
