"""The HVP through rolled loops: the forward loop saves each trip's tangents
beside its values (carried ones and the products the adjoint reads), the
backward loop pops them, and what its trips stack has its tangents stacked;
a ``while`` of unknown trips too. Against differences of the gradient."""

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


rng = np.random.default_rng(0)
W, h0, xs = rng.normal(size=(3, 3)) / 2, rng.normal(size=3), rng.normal(size=(30, 3))
CASES = [(saved_products, (W, h0, xs)), (while_loop, (W, h0, 25))]


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
