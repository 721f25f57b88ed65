"""``srcdiff.hvp`` on every example: the product against central differences
of the gradient along random vectors, and the Hessian's symmetry
<H v, u> = <v, H u> (the dot-product test of the gradient map: its
Jacobian-vector product is the HVP, its vector-Jacobian product the HVP
along u), with loops unrolled and kept rolled. ``srcdiff.hessian`` on the
examples small enough for a dense one, against differences of the gradient.
"""

import importlib.util
import inspect
from functools import cache
from pathlib import Path
from types import ModuleType
from typing import Any

import numpy as np
import pytest
from hvp_checks import direction, inner, moved, relative_error
from hypothesis import given, settings
from hypothesis import strategies as st

import srcdiff
from srcdiff.numeric import leaves

ROOT = Path(__file__).resolve().parents[2]
# Examples whose loss calls a srcdiff.primitive whose vjp rule has no tangent
# of its own: their HVP is a located error (the rule's tangent is unknown).
OPAQUE_RULES = {"softmax_regression": "logsumexp_rows_vjp"}
EXAMPLES = sorted(
    p.stem for p in (ROOT / "examples").glob("*.py") if p.stem not in OPAQUE_RULES
)
# Examples with several differentiated arguments, beside their first one.
SEVERAL = {
    "gp": ["log_lengthscale", "log_variance", "log_noise"],
    "ode": ["angle0", "velocity0", "damping"],
    "rnn": ["W", "U", "V", "h0"],
}
CASES = [(name, None, unroll) for name in EXAMPLES for unroll in (None, False)]
CASES += [(name, tuple(wrt), None) for name, wrt in SEVERAL.items()]
IDS = [f"{n}-{'+'.join(w) if w else 'first'}-{u}" for n, w, u in CASES]


def load(name: str) -> ModuleType:
    path = ROOT / "examples" / f"{name}.py"
    spec = importlib.util.spec_from_file_location(f"examples.{name}", path)
    assert spec is not None and spec.loader is not None
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


@cache
def derivatives(name: str, wrt: tuple[str, ...] | None, unroll: bool | None) -> Any:
    """The example, the indices of its wrt arguments, its hvp and its grad
    (made once per case: hypothesis calls them on many vectors)."""
    module = load(name)
    params = list(inspect.signature(module.loss).parameters)
    wrt = wrt or (params[0],)
    index = [params.index(w) for w in wrt]
    hvp = srcdiff.hvp(module.loss, wrt=list(wrt), unroll=unroll)
    grad = srcdiff.grad(module.loss, wrt=list(wrt), unroll=unroll)
    return list(module.example()), index, hvp, grad


@pytest.mark.parametrize(("name", "wrt", "unroll"), CASES, ids=IDS)
@settings(max_examples=3, deadline=None, derandomize=True)
@given(seed=st.integers(0, 2**16))
def test_example_hvp(
    name: str, wrt: tuple[str, ...] | None, unroll: bool | None, seed: int
) -> None:
    args, index, hvp, grad = derivatives(name, wrt, unroll)
    rng = np.random.default_rng(seed)
    v = [direction(rng, args[i]) for i in index]
    u = [direction(rng, args[i]) for i in index]
    product = hvp(*args, *v)
    numeric = moved(grad, args, index, v)
    assert relative_error(leaves(product), numeric) < 1e-5, (product, numeric)
    # <H v, u> = <v, H u>: the gradient map's Jacobian is symmetric.
    hv_u, v_hu = inner(product, u), inner(v, hvp(*args, *u))
    assert abs(hv_u - v_hu) <= 1e-9 * max(1.0, abs(hv_u)), (hv_u, v_hu)


@pytest.mark.parametrize("name", sorted(OPAQUE_RULES))
def test_hvp_through_a_rule_without_a_tangent_is_a_located_error(name: str) -> None:
    module = load(name)
    with pytest.raises(srcdiff.UnsupportedPrimitive) as error:
        srcdiff.hvp(module.loss)(*module.example(), module.example()[0])
    message = str(error.value)
    assert f"no tangent (forward-mode derivative) of {OPAQUE_RULES[name]}" in message
    assert f"examples/{name}.py:" in message and "^" in message


# Examples whose first argument is small enough for a dense Hessian.
DENSE = [
    name
    for name in EXAMPLES
    if isinstance(load(name).example()[0], (np.ndarray, float))
    and np.size(load(name).example()[0]) <= 30
]


@pytest.mark.parametrize("name", DENSE)
def test_example_hessian(name: str) -> None:
    args, index, _, grad = derivatives(name, None, None)
    x = args[index[0]]
    hessian = srcdiff.hessian(load(name).loss)(*args)
    assert np.shape(hessian) == np.shape(x) * 2
    columns = []
    for e in np.eye(np.size(x)):
        unit = e.reshape(np.shape(x)) if np.ndim(x) else float(e[0])
        columns.append(moved(grad, args, index, [unit])[0])
    numeric = np.reshape(np.stack(columns, axis=-1), np.shape(x) * 2)
    assert relative_error(hessian, numeric) < 1e-5
    square = np.reshape(hessian, (np.size(x),) * 2)
    assert relative_error(square, square.T) < 1e-9
