"""Adjoints of shape operations, indexing and array construction."""

import operator

import numpy as np

from srcdiff.helpers import scatter_add, unbroadcast
from srcdiff.rules.registry import adjoint, is_mask, known


@adjoint(np.reshape, note="order='C' or 'F'")
def reshape(g, ans, a, shape=None, order="C", **kwargs):
    # Read the elements back in the order the forward reshape wrote them.
    if known(g, a) and np.shape(g) == np.shape(a):  # it kept the shape
        return g
    if order == "C":
        return np.reshape(g, np.shape(a))
    if order == "F":
        return np.reshape(g, np.shape(a), order="F")
    raise NotImplementedError(f"np.reshape with order={order!r}")


@adjoint(np.expand_dims, np.squeeze)
def restore_shape(g, ans, a, *args, **kwargs):
    return np.reshape(g, np.shape(a))


@adjoint(np.transpose)
def transpose(g, ans, a, axes=None):
    if axes is None:
        return np.transpose(g)
    order = [axis % len(axes) for axis in axes]
    return np.transpose(g, tuple(order.index(i) for i in range(len(order))))


@adjoint(np.swapaxes)
def swapaxes(g, ans, a, axis1, axis2):
    return np.swapaxes(g, axis1, axis2)


@adjoint(np.broadcast_to)
def broadcast_to(g, ans, array, shape):
    return unbroadcast(g, array)


@adjoint(operator.getitem, note="repeated integer indices accumulate")
def getitem(g, ans, x, index):
    if is_mask(index) and known(g, x) and g.dtype == x.dtype:
        out = np.zeros_like(x)  # a mask picks each element once: no sums
        out[index] = g
        return out
    return scatter_add(g, np.shape(x), index)


def unstack(g, items):
    """Split `g` along its first axis to match a nested list of inputs."""
    if isinstance(items, (list, tuple)):
        return [unstack(g[i], item) for i, item in enumerate(items)]
    return g


@adjoint(np.array, note="from nested lists of arrays and scalars")
def array(g, ans, object):
    return unstack(g, object)


@adjoint(np.stack)
def stack(g, ans, arrays, axis=0):
    if not isinstance(arrays, (list, tuple)):  # one array: its rows are stacked
        return np.moveaxis(g, axis, 0)
    if axis == 0:
        return [g[i] for i in range(len(arrays))]
    return [np.take(g, i, axis=axis) for i in range(len(arrays))]
