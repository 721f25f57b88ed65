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


# sweep(ctx, stmts, tangents): the statements with their tangents, handed to
# the constructs that hold blocks of their own (loops, branches).
Sweep = Callable[[Context, list[Stmt], dict[Var, Any]], list[Stmt]]
