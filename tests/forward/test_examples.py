"""``srcdiff.jvp`` on every example: the tangent against central differences
along a random direction and against the gradient (``<grad f, v>``), the
value against ``f``; rolled loops kept rolled (``--no-unroll``) too."""

import importlib.util
import inspect
from pathlib import Path
from types import ModuleType

import numpy as np
import pytest
from forward_checks import direction, directional, inner, relative_error

import srcdiff

ROOT = Path(__file__).resolve().parents[2]
EXAMPLES = sorted(p.stem for p in (ROOT / "examples").glob("*.py"))
# The examples' differentiated arguments, as the golden files take them.
WRT = {
    "gp": ["log_lengthscale", "log_variance", "log_noise"],
    "ode": ["angle0", "velocity0", "damping"],
    "rnn": ["W", "U", "V", "h0"],
}
CASES = [(name, unroll) for name in EXAMPLES for unroll in (None, False)]
# A rolled loop over the rows of a differentiated array: its tangent's rows.
ROWS = {"rnn": ["xs"]}


def load(name: str) -> ModuleType:
    path = ROOT / "examples" / f"{name}.py"
    spec = importlib.util.spec_from_file_location(f"examples.{name}", path)
    assert spec is not None and spec.loader is not None
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


@pytest.mark.parametrize(("name", "unroll"), CASES, ids=[f"{n}-{u}" for n, u in CASES])
def test_example_jvp(name: str, unroll: bool | None) -> None:
    params = list(inspect.signature(load(name).loss).parameters)
    check_example(name, WRT.get(name, [params[0]]), unroll)


@pytest.mark.parametrize("name", sorted(ROWS))
def test_example_jvp_along_the_rows_a_loop_reads(name: str) -> None:
    check_example(name, ROWS[name], False)


def check_example(name: str, wrt: list[str], unroll: bool | None) -> None:
    module = load(name)
    args = list(module.example())
    params = list(inspect.signature(module.loss).parameters)
    index = [params.index(w) for w in wrt]
    rng = np.random.default_rng(0)
    v = [direction(rng, args[i]) for i in index]
    value, tangent = srcdiff.jvp(module.loss, wrt=wrt, unroll=unroll)(*args, *v)
    assert relative_error(value, module.loss(*args)) < 1e-12
    grads = srcdiff.grad(module.loss, wrt=wrt, unroll=unroll)(*args)
    dot = sum(inner(g, d) for g, d in zip(grads, v, strict=True))
    assert relative_error(tangent, dot) < 1e-9, (tangent, dot)
    numeric = directional(module.loss, args, index, v)
    assert relative_error(tangent, numeric) < 1e-5, (tangent, numeric)
