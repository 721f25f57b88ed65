"""A primitive: one function srcdiff records as a single IR call.

Kept apart from the table of primitives (``prims``) so that IR nodes can name
their primitive without importing the table.
"""

from __future__ import annotations

import ast
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

Convert = Callable[..., ast.expr]
Render = Callable[[tuple[Any, ...], dict[str, Any], Convert], ast.expr]


@dataclass(frozen=True, eq=False)
class Prim:
    name: str
    impl: Callable[..., Any]
    render: Render
    differentiable: bool = True
    # Import lines the rendered call needs, e.g. "import numpy as np".
    imports: tuple[str, ...] = ()
    # A function in srcdiff.helpers whose source is copied into emitted files.
    helper: Callable[..., Any] | None = None
    # What the result's shape is, for tracing without an example: "same" as
    # the first argument, "broadcast" of the arguments, "reduction" (a scalar
    # when no axis is given), "cotangents" (a user's adjoint rule: result i
    # shaped like argument i + 2), "tangent" (a user's tangent rule: shaped
    # like its second argument, the primal result) or "" (anything).
    shape: str = ""
    # Primitives that return a tuple of arrays (np.linalg.eigh): how many, or
    # a function of the call's keywords (np.linalg.svd's compute_uv).
    arity: int | Callable[[dict[str, Any]], int] = 0
    # Primitives written as statements rather than one expression:
    # statements(target name, args, kwargs, conv) -> the statements.
    statements: Callable[..., list[ast.stmt]] | None = None
    # A call with effects (a random draw, the clock, a seed; see effects.py):
    # made where and as often as the function makes it, never folded, merged
    # or dropped, and without a gradient.
    effect: bool = False
    # A user's function (a ``srcdiff.primitive`` or one of its rules) whose
    # source is copied into emitted files, which call it by name.
    copied: Callable[..., Any] | None = None

    def __repr__(self) -> str:
        return f"<prim {self.name}>"
