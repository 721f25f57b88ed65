"""autograd's names for NumPy's, SciPy's and Python's own objects.

Code written for autograd imports ``autograd.numpy as np``,
``autograd.scipy.stats.norm`` or ``from autograd.builtins import tuple``.
Whatever autograd makes those objects (primitives wrapping NumPy, plain
Python wrappers such as ``mean`` or ``hstack``, modules standing for SciPy's
distribution objects), the name says what they are: an object reached through
a module under ``autograd.numpy`` or ``autograd.scipy`` is the object of that
name in NumPy or SciPy (``autograd.scipy.stats.norm`` is ``scipy.stats.norm``,
its ``logpdf`` is ``scipy.stats.norm.logpdf``), and ``autograd.builtins``'
are Python's. The few autograd functions NumPy has no name for are written
here in plain NumPy and traced like the user's own code, their statements
located at the user's call.
"""

from __future__ import annotations

import importlib
import sys
import types
import warnings
from typing import Any

import numpy as np

# autograd's packages and what they stand for.
ROOTS = ("autograd.numpy", "autograd.scipy")
# Where autograd's plain-Python helpers srcdiff follows live: NumPy-level code
# with no NumPy name (linalg.T), and flatten_func's wrapper of the user's loss.
HELPERS = (*ROOTS, "autograd.misc.flatten")
_BUILTINS = "autograd.builtins"


def canonical(obj: Any) -> Any:
    """NumPy's, SciPy's or Python's object for autograd's of the same name;
    anything else as it is."""
    if "autograd" not in sys.modules:
        return obj
    if isinstance(obj, types.ModuleType):
        return _module_counterpart(obj.__name__) or obj
    found = _index().get(id(obj))
    module = getattr(obj, "__module__", None)
    autograds = isinstance(module, str) and module.startswith("autograd")
    if found is None and autograds:
        found = _index(again=True).get(id(obj))  # a name set since
    if found is not None and found[0] is obj:
        return found[1]
    if autograds:
        fun = getattr(obj, "fun", None)
        if callable(fun):  # a primitive reached another way: what it wraps
            return fun
    return obj


def _resolve(path: str) -> Any:
    """The object a dotted path names: the longest importable module, then
    attributes (``scipy.stats.norm`` is an attribute of ``scipy.stats``)."""
    parts = path.split(".")
    for i in range(len(parts), 0, -1):
        try:
            obj = importlib.import_module(".".join(parts[:i]))
        except Exception:  # not a module (scipy.stats.norm), or broken
            continue
        for part in parts[i:]:
            obj = _attribute(obj, part)
            if obj is None:
                return None
        return obj
    return None


def _attribute(obj: Any, name: str) -> Any:
    """``obj.name``, or None; quietly (NumPy warns on some deprecated names)."""
    try:
        with warnings.catch_warnings():
            warnings.simplefilter("ignore")
            return getattr(obj, name, None)
    except Exception:
        return None


_COUNTERPARTS: dict[str, Any] = {}


def _module_counterpart(name: str) -> Any:
    """What an autograd module stands for: ``numpy.linalg`` for
    ``autograd.numpy.linalg``; None for modules of its own
    (``autograd.numpy.numpy_vjps``) and outside numpy and scipy."""
    if name == _BUILTINS:
        return importlib.import_module("builtins")
    if not any(name == root or name.startswith(root + ".") for root in ROOTS):
        return None
    if name not in _COUNTERPARTS:
        _COUNTERPARTS[name] = _resolve(name.removeprefix("autograd."))
    return _COUNTERPARTS[name]


def own_attribute(module: types.ModuleType, name: str) -> Any:
    """``np.make_diagonal`` where ``np``, autograd.numpy, was read as NumPy:
    the name of an autograd module that NumPy lacks, as srcdiff reads it
    (None if no autograd module read as ``module`` has it)."""
    for autograd_name, target in list(_COUNTERPARTS.items()):
        own = sys.modules.get(autograd_name)
        if target is module and own is not None and hasattr(own, name):
            return canonical(getattr(own, name))
    return None


# id of each object autograd's modules hold -> (the object, its counterpart)
_INDEX: dict[int, tuple[Any, Any]] = {}
_INDEXED_AT = -1  # len(sys.modules) when _INDEX was built


def _index(again: bool = False) -> dict[int, tuple[Any, Any]]:
    """Every public object of the autograd modules loaded, by identity, with
    the object of the same name in the module it stands for. Rebuilt when
    modules have been imported since (the user may import autograd.scipy
    after the first trace), or ``again``."""
    global _INDEXED_AT
    if len(sys.modules) == _INDEXED_AT and not again:
        return _INDEX
    names = [n for n in list(sys.modules) if n.startswith("autograd.")]
    # Shallow modules first: autograd.numpy's mean before numpy_wrapper's.
    index: dict[int, tuple[Any, Any]] = {}
    for name in sorted(names, key=lambda n: (n.count("."), n)):
        module = sys.modules.get(name)
        if module is None:
            continue
        for (package, key), shim in _SHIMS.items():
            value = vars(module).get(key)
            if name.startswith(package) and callable(value):
                index.setdefault(id(value), (value, shim))
        target = _module_counterpart(name)
        if target is None:
            continue
        for key, value in list(vars(module).items()):
            if key.startswith("_") or isinstance(value, types.ModuleType):
                continue
            counterpart = _attribute(target, key)
            if counterpart is None or counterpart is value or id(value) in index:
                continue
            index[id(value)] = (value, counterpart)
    _INDEX.clear()
    _INDEX.update(index)
    _INDEXED_AT = len(sys.modules)
    return _INDEX


def shim_attribute(module: Any, name: str) -> Any:
    """The function below that ``module.name`` stands for, where ``module``
    is one of autograd's (``ag_signal.convolve``); None otherwise."""
    if not isinstance(module, types.ModuleType):
        return None
    found = canonical(_attribute(module, name))
    return found if is_shim(found) else None


def is_shim(fn: Any) -> bool:
    """One of the functions below, traced with its statements located at the
    user's call."""
    return any(fn is shim for shim in _SHIMS.values())


# ----- autograd's functions that NumPy has no name for -----
def make_diagonal(D, offset=0, axis1=0, axis2=1):
    """autograd.numpy.make_diagonal: D's last axis on the diagonal of its last
    two (autograd supports only offset=0, axis1=-1, axis2=-2)."""
    if not (offset == 0 and axis1 == -1 and axis2 == -2):
        raise NotImplementedError(
            "make_diagonal supports only offset=0, axis1=-1, axis2=-2, as in autograd"
        )
    return np.expand_dims(D, -1) * np.eye(np.shape(D)[-1])


def leaves(value):
    """The arrays of a nest of lists, tuples and dicts in autograd's order:
    lists and tuples in order, dicts by sorted key."""
    if isinstance(value, (list, tuple)):
        return [leaf for item in value for leaf in leaves(item)]
    if isinstance(value, dict):
        return [leaf for key in sorted(value) for leaf in leaves(value[key])]
    return [value]


def refill(like, pieces):
    """``like``'s structure with its leaves taken in order from ``pieces``."""
    if isinstance(like, (list, tuple)):
        items = [refill(item, pieces) for item in like]
        return tuple(items) if isinstance(like, tuple) else items
    if isinstance(like, dict):
        out = {}
        for key in sorted(like):
            out[key] = refill(like[key], pieces)
        return {key: out[key] for key in like}
    return pieces.pop(0)


def split(vector, shapes):
    """Consecutive pieces of ``vector``, one of each shape."""
    pieces = []
    start = 0
    for shape in shapes:
        count = 1
        for size in shape:
            count = count * size
        pieces.append(np.reshape(vector[start : start + count], shape))
        start = start + count
    return pieces


def flatten(value):
    """autograd.misc.flatten: one vector of every array in ``value``, and the
    function that turns such a vector back into ``value``'s structure."""
    parts = leaves(value)
    flat = np.concatenate([np.ravel(leaf) for leaf in parts])
    shapes = [np.shape(leaf) for leaf in parts]

    def unflatten(vector):
        return refill(value, split(vector, shapes))

    return flat, unflatten


def unflatten_like(vector, like, shapes):
    """What autograd's ``unflatten`` for arrays of ``shapes`` arranged like
    ``like`` returns for ``vector``."""
    return refill(like, split(vector, shapes))


def convolve(A, B, axes=None, dot_axes=((), ()), mode="full"):
    """autograd.scipy.signal.convolve, autograd's generalisation of
    scipy.signal.convolve: ``axes`` pairs axes of A and B to convolve,
    ``dot_axes`` pairs axes to sum over (as np.tensordot), and the result
    holds A's other axes, then B's, then the convolved ones in the order of
    the pairs. Without ``axes`` and ``dot_axes`` it is scipy.signal.convolve.

    Written as einsums, whatever the kernel's size: for each convolved pair,
    a 0/1 window (``window[i, j, t]`` is 1 where A's index i and B's index j
    add up to ``start + t``, ``start`` being the first entry of full mode's
    output that ``mode`` keeps) turns that axis of the larger array into two,
    the other array's index and the output's (im2col's patches); a last
    einsum sums the patches with the other array. The patches hold the
    larger array's entries times the other's length along each pair."""
    if mode not in ("full", "valid", "same"):
        raise ValueError(f"mode {mode!r}: convolve's modes are full, valid and same")
    # scipy.signal is loaded where SciPy is installed: reading
    # autograd.scipy.signal as it (_index) imported it.
    signal = sys.modules.get("scipy.signal")
    plain = axes is None and len(dot_axes[0]) == 0 and len(dot_axes[1]) == 0
    if plain and signal is not None:
        return signal.convolve(A, B, mode=mode)
    if axes is None:
        axes = (list(range(np.ndim(A))), list(range(np.ndim(A))))
    a_shape, b_shape = np.shape(A), np.shape(B)
    pairs = list(zip(axes[0], axes[1], strict=True))
    # The larger array takes the windows: the one that holds the other along
    # every convolved axis in mode 'valid', else the one with more entries
    # along them.
    if mode == "valid":
        on_a = all(a_shape[i] >= b_shape[j] for i, j in pairs)
        if not on_a and not all(b_shape[j] >= a_shape[i] for i, j in pairs):
            raise ValueError(
                "convolve in mode 'valid': one array must be at least as large "
                "as the other along all convolved axes"
            )
    else:
        volume_a, volume_b = 1, 1
        for i, j in pairs:
            volume_a, volume_b = volume_a * a_shape[i], volume_b * b_shape[j]
        on_a = volume_a >= volume_b
    # einsum labels: A's axes, then B's (an axis summed with one of A's
    # shares its label), then one for each convolved axis of the result.
    letters = iter("abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ")
    a_labels = [next(letters) for _ in range(np.ndim(A))]
    b_labels = [None] * np.ndim(B)
    for i, j in zip(dot_axes[0], dot_axes[1], strict=True):
        b_labels[j] = a_labels[i]
    for j in range(np.ndim(B)):
        if b_labels[j] is None:
            b_labels[j] = next(letters)
    out_labels = [next(letters) for _ in pairs]
    kept = [
        a_labels[i]
        for i in range(np.ndim(A))
        if i not in axes[0] and i not in dot_axes[0]
    ]
    kept = kept + [
        b_labels[j]
        for j in range(np.ndim(B))
        if j not in axes[1] and j not in dot_axes[1]
    ]
    windows = []
    for i, j in pairs:
        m, n = a_shape[i], b_shape[j]
        if mode == "full":
            start, size = 0, m + n - 1
        elif mode == "same":
            start, size = (n - 1) // 2, m
        elif on_a:
            start, size = n - 1, m - n + 1
        else:
            start, size = m - 1, n - m + 1
        meet = np.arange(m)[:, None, None] + np.arange(n)[:, None]
        window = 1.0 * (meet == np.arange(start, start + size))
        windows.append(window)
    patches, labels = (A, a_labels) if on_a else (B, b_labels)
    for k, (i, j) in enumerate(pairs):
        a, b, t = a_labels[i], b_labels[j], out_labels[k]
        own, other = (a, b) if on_a else (b, a)
        grown = [label for label in labels if label != own] + [other, t]
        spec = "".join(labels) + "," + a + b + t + "->" + "".join(grown)
        patches = np.einsum(spec, patches, windows[k], optimize=True)
        labels = grown
    kernel, kernel_labels = (B, b_labels) if on_a else (A, a_labels)
    spec = "".join(labels) + "," + "".join(kernel_labels) + "->"
    return np.einsum(spec + "".join(kept + out_labels), patches, kernel, optimize=True)


# (the autograd package that defines it, its name) -> the function above
_SHIMS = {
    ("autograd.numpy", "make_diagonal"): make_diagonal,
    ("autograd.misc", "flatten"): flatten,
    ("autograd.scipy.signal", "convolve"): convolve,
}


AUTOGRAD_HINT = (
    "srcdiff reads autograd's NumPy, SciPy and builtins names as the objects "
    "they stand for, but not autograd's own machinery (grad, elementwise_grad, "
    "jacobian, make_vjp, boxes): write that part in NumPy, or compute it outside "
    "the differentiated function."
)


def autograd_vjp(fn: Any) -> bool:
    """A function autograd's make_vjp made: ``unflatten`` from flatten()."""
    return (
        isinstance(fn, types.FunctionType)
        and fn.__module__ == "autograd.core"
        and fn.__qualname__.startswith("make_vjp.")
    )


def unflatten_template(fn: Any, length: int) -> Any:
    """The structure ``fn`` (an unflatten from autograd.misc.flatten, made
    outside the traced function) builds from a vector of ``length``, or None
    when ``fn`` is some other vjp: it must give back any vector's entries, in
    order."""
    probe = np.arange(1.0, length + 1.0)
    try:
        template = fn(probe)
        parts = [np.ravel(np.asarray(leaf, dtype=float)) for leaf in leaves(template)]
    except Exception:
        return None
    if not parts or not np.array_equal(np.concatenate(parts), probe):
        return None
    return template
