"""Adjoints of reductions: sum, mean, max, min, logsumexp (axis, keepdims)."""

import numpy as np

from . import adjoint

try:
    from scipy.special import logsumexp
except ImportError:  # scipy is optional; only sources that use it need it
    logsumexp = None


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


def logsumexp_(g, ans, a, axis=None, b=None, keepdims=False, return_sign=False):
    if b is not None or return_sign:
        raise NotImplementedError("logsumexp with b= or return_sign=True")
    return restore_axes(g, axis, keepdims) * np.exp(
        a - restore_axes(ans, axis, keepdims)
    )


if logsumexp is not None:
    adjoint(logsumexp, note="without b= or return_sign=")(logsumexp_)
