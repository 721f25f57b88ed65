"""The HVP through rolled loops and branches: the forward loop saves each
trip's tangents beside its values (carried ones and the products the adjoint
reads), the backward loop pops them, and what its trips stack has its
tangents stacked; a ``while`` of unknown trips too; an ``if`` on a value in a
rolled loop, and in a shape-generic file. Against differences of the
gradient."""

import numpy as np
import pytest
from hvp_checks import moved

import srcdiff


def saved_products(W, h0, xs):
    h = h0
    for x in xs:
        h = h + 0.5 * np.tanh(W @ h + x)
    return np.sum(h**2)


def while_loop(W, h0, n):
    h = h0
    i = 0
    while i < n:
        a = np.sin(W @ h)
        h = h * 0.9 + a * a
        i += 1
    return np.sum(h**3)


def branch_in_loop(w, xs):
    total = 0.0
    for x in xs:
        z = np.dot(w, x)
        if z > 0:
            cube = z**3
            total = total + cube
        else:
            total = total + np.sin(z) * z
            total = total * 0.9
    return total


def branch(w, x):
    z = np.sum(w * x)
    if z > 0:
        grown = np.exp(z)
        out = grown * z
    else:
        out = z**2 * np.cos(w[0])
    return out


rng = np.random.default_rng(0)
W, h0, xs = rng.normal(size=(3, 3)) / 2, rng.normal(size=3), rng.normal(size=(30, 3))
CASES = [
    (saved_products, (W, h0, xs)),
    (while_loop, (W, h0, 25)),
    (branch_in_loop, (h0, xs)),
]


@pytest.mark.parametrize(("f", "args"), CASES, ids=[f.__name__ for f, _ in CASES])
@pytest.mark.parametrize("wrt", [0, 1])
def test_rolled_loop_hvp(f, args, wrt):
    v = np.random.default_rng(wrt).normal(size=np.shape(args[wrt]))
    product = srcdiff.hvp(f, wrt=wrt, unroll=False)(*args, v)
    grad = srcdiff.grad(f, wrt=wrt, unroll=False)
    numeric = moved(grad, args, [wrt], [v])[0]
    scale = np.max(np.abs(numeric))  # large: a relative error of the whole
    assert np.max(np.abs(product - numeric)) < 1e-7 * scale
    hvp = srcdiff.hvp(f, wrt=wrt, unroll=False)
    hvp(*args, v)
    assert "for " in hvp.source or "while " in hvp.source  # still rolled


@pytest.mark.parametrize("sign", [1.0, -1.0])
def test_generic_branch_hvp(sign):
    namespace: dict = {}
    exec(compile(srcdiff.hvp(branch).source, "branch_hvp", "exec"), namespace)
    w, x, v = sign * h0, xs[0], np.ones(3)
    numeric = moved(srcdiff.grad(branch), (w, x), [0], [v])[0]
    assert np.allclose(namespace["branch_hvp"](w, x, v), numeric, atol=1e-7)
