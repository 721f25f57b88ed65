"""Second order on random programs (``tests/programs.py``): the HVP against
central differences of the gradient and symmetric (<H v, u> = <v, H u>); the
dense Hessian against differences of the gradient; the dense Jacobian of the
program's last array against differences of the function, and the
dot-product test <J v, u> = <v, J^T u> of ``jvp`` against ``grad``."""

import numpy as np
from hvp_checks import inner, moved, relative_error
from hypothesis import given, settings
from programs import INPUTS, programs

import srcdiff
from srcdiff.numeric import leaves

WRT = ["x", "y"]


def inputs(seed: int) -> list[np.ndarray]:
    rng = np.random.default_rng(seed)
    return [rng.normal(size=shape) for shape in INPUTS.values()]


@settings(max_examples=15, derandomize=True, deadline=None)
@given(programs())
def test_random_program_hvp(load_function, program):
    source, seed = program
    f = load_function(source)
    args, v, u = inputs(seed), inputs(seed + 1), inputs(seed + 2)
    hvp = srcdiff.hvp(f, wrt=WRT)
    product = hvp(*args, *v)
    numeric = moved(srcdiff.grad(f, wrt=WRT), args, [0, 1], v)
    assert relative_error(leaves(product), numeric) < 1e-5, source
    hv_u, v_hu = inner(product, u), inner(v, hvp(*args, *u))
    assert abs(hv_u - v_hu) <= 1e-9 * max(1.0, abs(hv_u)), source


@settings(max_examples=8, derandomize=True, deadline=None)
@given(programs())
def test_random_program_hessian(load_function, program):
    source, seed = program
    f = load_function(source)
    args = inputs(seed)
    hessian = srcdiff.hessian(f, wrt="x")(*args)
    x = args[0]
    grad = srcdiff.grad(f, wrt="x")
    columns = [moved(grad, args, [0], [e.reshape(x.shape)])[0] for e in np.eye(x.size)]
    numeric = np.reshape(np.stack(columns, axis=-1), x.shape * 2)
    assert relative_error(hessian, numeric) < 1e-5, source


def array_valued(source: str) -> tuple[str, str]:
    """The program returning its last value (``f``), and the scalar
    ``f(x, y, u) = np.sum(u * h(x, y))`` of it (``h``), for a vector-Jacobian
    product by ``grad``."""
    lines = source.rstrip().splitlines()
    last = lines[-2].split("=")[0].strip()
    array = "\n".join([*lines[:-1], f"    return {last}"]) + "\n"
    scalar = array.replace("def f(x, y):", "def h(x, y):")
    scalar += "\n\ndef f(x, y, u):\n    return np.sum(u * h(x, y))\n"
    return array, scalar


@settings(max_examples=10, derandomize=True, deadline=None)
@given(programs())
def test_random_program_jacobian(load_function, program):
    source, seed = program
    array, scalar = array_valued(source)
    f, g = load_function(array), load_function(scalar)
    args, v = inputs(seed), inputs(seed + 1)
    jacobian = srcdiff.jacobian(f, wrt="x")(*args)
    x, out = args[0], np.asarray(f(*args))
    assert jacobian.shape == out.shape + x.shape, source
    columns = [moved(f, args, [0], [e.reshape(x.shape)])[0] for e in np.eye(x.size)]
    numeric = np.reshape(np.stack(columns, axis=-1), out.shape + x.shape)
    assert relative_error(jacobian, numeric) < 1e-5, source
    # <J v, u> = <v, J^T u>: forward mode against reverse mode.
    u = np.random.default_rng(seed + 2).normal(size=out.shape)
    _, jv = srcdiff.jvp(f, wrt=WRT)(*args, *v)
    jtu = srcdiff.grad(g, wrt=WRT)(*args, u)
    assert abs(inner(jv, u) - inner(v, jtu)) <= 1e-9 * max(1.0, abs(inner(jv, u)))
