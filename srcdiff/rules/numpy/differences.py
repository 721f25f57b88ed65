"""The adjoint of np.gradient: central differences inside, one-sided ones at
the two ends (first or second order), along each axis asked for.

np.gradient is linear in f, so its adjoint is the transposed stencil. Inside,
out[i] = (f[i + 1] - f[i - 1]) / (2 h) sends g[i] / (2 h) forward to f[i + 1]
and back to f[i - 1]; the edge rows send g[0] and g[-1] through their
one-sided stencils, (-1, 1) / h or (-3, 4, -1) / (2 h) and its mirror.
"""

import numpy as np

from srcdiff.ir.prims import NUMPY, PRIMS, Prim, call, numpy_prim, register
from srcdiff.rules.numpy.linalg import plus
from srcdiff.rules.numpy.statistics import along
from srcdiff.rules.registry import adjoint

FAMILY = "reductions"


def _results(kwargs):
    """How many arrays np.gradient returns, as far as its keywords tell: one per
    axis of a tuple of two or more (one axis gives a lone array; without an
    axis, the number of dimensions decides, which only an example gives)."""
    axis = kwargs.get("axis")
    return len(axis) if isinstance(axis, (tuple, list)) and len(axis) > 1 else 0


register(
    Prim(
        "gradient", np.gradient, call("np.gradient"), imports=(NUMPY,), arity=_results
    ),
    np.gradient,
)
if np.zeros_like not in PRIMS:
    numpy_prim("zeros_like", differentiable=False, shape="same")
if np.concatenate not in PRIMS:
    numpy_prim("concatenate")

# Edge stencils in units of 1 / (2 h): the first row's on f[0], f[1], ... and
# the last row's on ..., f[-2], f[-1].
EDGES = {
    1: ((-2, 2), (-2, 2)),
    2: ((-3, 4, -1), (1, -4, 3)),
}


def transposed_differences(g, axis, h, edge_order):
    """The adjoint of np.gradient along one axis with uniform spacing h."""
    half = g / (2 * h)
    inside = half[along(axis, slice(1, -1))]
    two = np.zeros_like(half[along(axis, slice(None, 2))])
    # g[i] / (2 h) goes forward to f[i + 1] and back to f[i - 1].
    central = np.concatenate([two, inside], axis) - np.concatenate([inside, two], axis)
    head, tail = EDGES[edge_order]
    first = half[along(axis, slice(None, 1))]
    last = half[along(axis, slice(-1, None))]
    rest = np.zeros_like(half[along(axis, slice(len(head), None))])
    at_start = np.concatenate([*[w * first for w in head], rest], axis)
    at_end = np.concatenate([rest, *[w * last for w in tail]], axis)
    return central + at_start + at_end


def gradient_axes(f, axis):
    """The axes np.gradient differentiates along, in the order of its results."""
    if axis is None:
        # Without an example f.ndim is unknown: tracing asks for one here.
        return (0,) if np.ndim(f) == 1 else tuple(range(np.ndim(f)))
    return axis if isinstance(axis, (tuple, list)) else (axis,)


@adjoint(
    np.gradient,
    note="uniform spacing (default, one scalar, or one per axis; the spacing "
    "gets a gradient too); any axis; edge_order 1 or 2; not coordinate arrays; "
    "needs an example for spacings or axis=None",
)
def gradient(g, ans, f, *varargs, axis=None, edge_order=1):
    axes = gradient_axes(f, axis)
    if len(axes) == 1:  # one axis: one array, not a tuple of them
        g, ans = (g,), (ans,)
    df, dh = None, [None] * len(varargs)
    for i, ax in enumerate(axes):
        if g[i] is None:
            continue
        k = i if len(varargs) > 1 else 0  # one spacing per axis, or one for all
        h = varargs[k] if varargs else 1.0
        if np.ndim(h) != 0:
            raise NotImplementedError("np.gradient with arrays of coordinates")
        df = plus(df, transposed_differences(g[i], ax, h, edge_order))
        if varargs:  # out = differences / h
            dh[k] = plus(dh[k], -np.sum(g[i] * ans[i]) / h)
    return df, tuple(dh)
