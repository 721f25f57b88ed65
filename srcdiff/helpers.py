"""Small functions an emitted file may need, copied there from this source.

Each is plain NumPy, standalone and readable, because it is printed verbatim
into derivative files that import nothing but NumPy. They are used only where
shapes are unknown at emission time (no example) or the operation has no
one-line NumPy spelling.
"""

import numpy as np


def unbroadcast(grad, like):
    """Sum `grad` over the axes that broadcasting added to `like`'s shape."""
    shape = np.shape(like)
    while np.ndim(grad) > len(shape):
        grad = np.sum(grad, axis=0)
    for axis, size in enumerate(shape):
        if size == 1 and np.shape(grad)[axis] != 1:
            grad = np.sum(grad, axis=axis, keepdims=True)
    return grad


def logsumexp(a, axis=None, keepdims=False):
    """``scipy.special.logsumexp(a, axis, keepdims=keepdims)`` of a float array,
    in NumPy (SciPy's costs more than a small model's whole gradient): the
    largest element is taken out before ``exp`` so that it cannot overflow,
    unless it is not finite (the answer is then +-inf or nan, as SciPy's)."""
    a = np.atleast_1d(a)  # as SciPy: a 0-d `a` keeps one axis under keepdims
    top = a.max(axis=axis, keepdims=True, initial=-np.inf)  # methods: faster
    finite = np.isfinite(top)
    if finite.all():
        out = np.log(np.exp(a - top).sum(axis=axis, keepdims=keepdims))
    else:  # log(0) and exp(inf - 0) give the answer; np.errstate costs 1 us
        top[~finite] = 0
        with np.errstate(divide="ignore", over="ignore"):
            out = np.log(np.exp(a - top).sum(axis=axis, keepdims=keepdims))
    return out + (top if keepdims else top.squeeze(axis=axis))


def lower_inverse(L):
    """The inverse of `L`'s lower triangle (a Cholesky factor), by halves:
    [[A, 0], [C, D]]^-1 is [[A^-1, 0], [-D^-1 C A^-1, D^-1]]. Two products
    of half the size cost a fifth of np.linalg.inv's LU at 400 rows; from
    64 rows down, np.linalg.inv is as fast."""
    n = L.shape[-1]
    if n <= 64:
        return np.linalg.inv(np.tril(L))
    h = n // 2
    top = lower_inverse(L[:h, :h])
    bottom = lower_inverse(L[h:, h:])
    out = np.zeros(L.shape, dtype=top.dtype)
    out[:h, :h] = top
    out[h:, h:] = bottom
    out[h:, :h] = -bottom @ (L[h:, :h] @ top)
    return out


def scatter_add(grad, shape, index):
    """Zeros of `shape` with `grad` added at `index` (repeats accumulate)."""
    out = np.zeros(shape, dtype=np.result_type(grad, float))
    np.add.at(out, index, grad)
    return out


def item_grads(like, grads):
    """The gradient of `like` (a dict, list, tuple or array) from those of the
    items read from it, `grads` by key; items not read get zeros."""
    if not isinstance(like, (dict, list, tuple)):
        dtype = np.result_type(like, *grads.values(), float)
        out = np.zeros(np.shape(like), dtype=dtype)
        for key, grad in grads.items():
            out[key] += grad
        return out
    keys = list(like) if isinstance(like, dict) else range(len(like))
    out = {key: zeros_like_items(like[key]) for key in keys}
    for key, grad in grads.items():
        if not isinstance(like, dict):
            key = key % len(like)  # like[0] and like[-2] may be one item
        if isinstance(grad, (dict, list, tuple)):  # an item's own item_grads
            out[key] = grad
        else:
            out[key] = out[key] + grad  # a new array, shaped like the item
    return out if isinstance(like, dict) else type(like)(out.values())


def zeros_like_items(like):
    """Zeros in the structure of `like`: the gradient of an item not read."""
    if isinstance(like, dict):
        return {k: zeros_like_items(v) for k, v in like.items()}
    if isinstance(like, (list, tuple)):
        return type(like)(zeros_like_items(item) for item in like)
    return np.zeros_like(like, dtype=np.result_type(like, float))


def index_update(array, index, value):
    """A copy of `array` with `array[index] = value` (what NumPy does in place)."""
    out = np.array(array, copy=True)
    out[index] = value
    return out


def index_add(array, index, value):
    """A copy of `array` with `array[index] += value` (what NumPy does in place)."""
    out = np.array(array, copy=True)
    np.add.at(out, index, value)
    return out


def matmul_left_grad(grad, a, b):
    """Adjoint of `a` in `a @ b`, for any number of dimensions."""
    a, b = np.asarray(a), np.asarray(b)
    if b.ndim == 1:
        return unbroadcast(np.multiply.outer(grad, b), a)
    if a.ndim == 1:
        return unbroadcast(grad[..., None, :] @ np.swapaxes(b, -1, -2), a[None])[0]
    return unbroadcast(grad @ np.swapaxes(b, -1, -2), a)


def matmul_right_grad(grad, a, b):
    """Adjoint of `b` in `a @ b`, for any number of dimensions."""
    a, b = np.asarray(a), np.asarray(b)
    if a.ndim == 1 and b.ndim == 1:
        return grad * a
    if a.ndim == 1:
        return unbroadcast(a[:, None] * grad[..., None, :], b)
    if b.ndim == 1:
        return unbroadcast(np.swapaxes(a, -1, -2) @ grad[..., None], b[:, None])[:, 0]
    return unbroadcast(np.swapaxes(a, -1, -2) @ grad, b)


def shaped_alike(tangent, like):
    """Whether `tangent` has the structure of `like` and each array its shape."""
    if isinstance(like, dict):
        if not isinstance(tangent, dict) or tangent.keys() != like.keys():
            return False
        return all([shaped_alike(tangent[key], like[key]) for key in like])
    if isinstance(like, (list, tuple)):
        if not isinstance(tangent, (list, tuple)) or len(tangent) != len(like):
            return False
        return all([shaped_alike(t, i) for t, i in zip(tangent, like, strict=True)])
    return np.shape(tangent) == np.shape(like)
