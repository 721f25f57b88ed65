"""What the reverse stage is given: a builder to append to, and a rule runner.

The reverse stage never imports the trace stage. The caller (the pipeline)
hands it the builder that holds the forward statements and a function that
runs an adjoint rule's body on IR values, appending what it computes.
"""

from __future__ import annotations

from collections.abc import Callable
from contextlib import AbstractContextManager
from dataclasses import dataclass
from typing import Any, Protocol

from srcdiff.errors import Loc
from srcdiff.ir.nodes import Assign, Stmt, Var
from srcdiff.ir.prim import Prim


class Builder(Protocol):
    """The IR builder, as the reverse stage uses it."""

    stmts: list[Stmt]
    defs: dict[Var, Assign]
    # Each value's sizes, as polynomials of the inputs' (``sizes_of``).
    shapes: dict[Var, tuple[Any, ...]]

    def bind(
        self,
        prim: Prim,
        args: tuple[Any, ...],
        kwargs: dict[str, Any] | None = None,
        loc: Loc | None = None,
    ) -> Any: ...
    def block(self, stmts: list[Stmt]) -> AbstractContextManager[list[Stmt]]: ...
    def arity(self, value: Any) -> int: ...
    def scalar_fill(self, value: Any) -> Any: ...
    def shape_value(self, value: Any) -> tuple[Any, ...] | None: ...
    def sizes_of(self, value: Any) -> tuple[Any, ...] | None: ...


# run_rule(rule, args, kwargs, loc): the rule's result, its NumPy appended as
# IR located at the forward call ``loc``.
RunRule = Callable[
    [Callable[..., Any], tuple[Any, ...], dict[str, Any], Loc | None], Any
]


@dataclass
class Context:
    builder: Builder
    run_rule: RunRule


# backprop(ctx, stmts, active, adjoints): the walk over a block, handed to the
# constructs that hold blocks of their own (loops, branches).
Backprop = Callable[[Context, list[Stmt], set[Var], dict[Var, list[Any]]], None]
