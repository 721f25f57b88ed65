"""What the forward stage is given: a builder to append to, and a rule runner.

As for the reverse stage (``srcdiff.reverse.context``), plus what
interleaving tangents with the statements they follow needs: the values a
tangent may reuse are only those already computed.
"""

from __future__ import annotations

from collections.abc import Callable
from contextlib import AbstractContextManager
from dataclasses import dataclass
from typing import Any, Protocol

from srcdiff.errors import Loc
from srcdiff.ir.nodes import Stmt, Var
from srcdiff.reverse.context import Builder as ReverseBuilder
from srcdiff.reverse.context import RunRule


class Builder(ReverseBuilder, Protocol):
    def block(  # type: ignore[override]
        self, stmts: list[Stmt], seen: dict[Any, Var] | None = None
    ) -> AbstractContextManager[list[Stmt]]: ...
    def reusable(self, later: set[Var]) -> dict[Any, Var]: ...


@dataclass
class Context:
    builder: Builder
    run_rule: RunRule
    # The kind a named value's tangent gets (``srcdiff.names.namer``):
    # "adjoint" (``dh``) in forward mode, "tangent" (``h_dot``) over a
    # gradient, whose adjoints have the ``d`` names.
    tangent_kind: str = "adjoint"
    # Where an error points when a statement has no place in the source of
    # its own (one the adjoint sweep wrote for an argument): the function.
    loc: Loc | None = None


# sweep(ctx, stmts, tangents): the statements with their tangents, handed to
# the constructs that hold blocks of their own (loops, branches).
Sweep = Callable[[Context, list[Stmt], dict[Var, Any]], list[Stmt]]
