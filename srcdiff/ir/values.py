"""Questions about nested values that may hold IR ``Var``s and ``Const``s.

A traced argument is a Python value (tuple, list, dict, slice, number) whose
leaves may be IR values; every stage asks the same few things of them.
"""

from __future__ import annotations

from typing import Any

import numpy as np

from srcdiff.ir.nodes import Const, Var, map_leaves, walk_vars


def is_traced(value: Any) -> bool:
    """Whether a nested value holds anything that must appear in emitted code."""
    if isinstance(value, (Var, Const)):
        return True
    if isinstance(value, (tuple, list)):
        return any(is_traced(v) for v in value)
    if isinstance(value, dict):
        return any(is_traced(v) for v in value.values())
    if isinstance(value, slice):
        return is_traced((value.start, value.stop, value.step))
    return False


def concrete(value: Any) -> Any:
    """Replace Vars and Consts in a nested value by their concrete values."""
    return map_leaves(value, lambda v: v.value if isinstance(v, (Var, Const)) else v)


def all_known(value: Any) -> bool:
    return all(v.known for v in walk_vars(value))


def is_scalar_const(value: Any, target: float | None = None) -> bool:
    if isinstance(value, (Var, Const)) or not isinstance(
        value, (int, float, complex, np.number)
    ):
        return False
    return target is None or bool(value == target)


def token(value: Any) -> Any:
    """What is known of a shape: the shape, or a token equal for equal shapes."""
    if isinstance(value, Var):
        if value.known:
            return value.shape
        return value.sym if value.sym is not None else value
    if isinstance(value, (Const, np.ndarray)):
        return np.shape(concrete(value))
    if isinstance(value, (bool, int, float, complex, np.number)):
        return ()
    if isinstance(value, (list, tuple)) and all_known(value):
        try:  # a list standing for an array: np.sum([x, y])
            return np.shape(concrete(value))
        except ValueError:
            return object()
    return object()


def shape_of(value: Any) -> tuple[int, ...] | None:
    shape = token(value)
    return shape if isinstance(shape, tuple) else None
