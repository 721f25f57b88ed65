"""Adjoints of reductions: sum, mean, max, min (axis, keepdims)."""

import numpy as np

from srcdiff.rules.registry import adjoint


def restore_axes(g, axis, keepdims):
    """Put back the axes a reduction removed, so `g` broadcasts over its input."""
    if axis is None or keepdims:
        return g
    return np.expand_dims(g, axis)


@adjoint(np.sum)
def sum_(g, ans, a, axis=None, keepdims=False):
    return np.broadcast_to(restore_axes(g, axis, keepdims), np.shape(a))


@adjoint(np.mean)
def mean(g, ans, a, axis=None, keepdims=False):
    count = np.size(a) / np.size(ans)
    return np.broadcast_to(restore_axes(g, axis, keepdims) / count, np.shape(a))


@adjoint(np.max, np.min, note="ties share the gradient equally")
def max_(g, ans, a, axis=None, keepdims=False):
    winners = a == restore_axes(ans, axis, keepdims)
    share = winners / np.sum(winners, axis=axis, keepdims=True)
    return restore_axes(g, axis, keepdims) * share
