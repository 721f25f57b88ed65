"""What the tracer's statements share: frames, jumps, and callable values.

A ``Frame`` is one running function (its source, its names, the arrays it
owns); ``ControlFlow`` exceptions carry ``return``/``break``/``continue`` out
of the statements being run. ``Interpreter`` is what the constructs traced
in their own modules (``loop``, ``branch``, ``hooks``) ask of the tracer, so
that they need not import it; ``Tracing`` is all of it, what each of the
tracer's parts (``statements``, ``expressions``, ``calls``, ``inplace``) may
call in the others through ``self``.
"""

from __future__ import annotations

import ast
import types
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any, Protocol

import numpy as np

from srcdiff.errors import Loc
from srcdiff.ir import effects
from srcdiff.ir.nodes import Const, next_serial
from srcdiff.parse.source import Source
from srcdiff.trace.builder import Builder


class ControlFlow(Exception):
    """``return``, ``break`` or ``continue`` leaving the statements being run."""


class Return(ControlFlow):
    def __init__(self, value: Any) -> None:
        self.value = value


class Break(ControlFlow):
    pass


class Continue(ControlFlow):
    pass


@dataclass
class Closure:
    """A ``def`` or ``lambda`` inside traced code, with its defining frame."""

    node: ast.FunctionDef | ast.Lambda
    frame: Frame
    defaults: list[Any]


@dataclass
class BoundMethod:
    """``x.sum`` on a traced value: the NumPy function with ``x`` first."""

    fn: Any
    self_: Any
    varargs: bool


@dataclass
class Partial:
    """``functools.partial(f, *args, **kwargs)`` made while tracing: ``f`` may
    be a closure or an array method, which only the tracer can call."""

    fn: Any
    args: tuple[Any, ...]
    kwargs: dict[str, Any]


class Yielded:
    """What a generator function gave, as an iterator; a builtin that
    iterates over it (``sum``, ``zip``) sees the values not yet taken."""

    def __init__(self, values: list[Any]) -> None:
        self.values = values

    def __iter__(self) -> Yielded:
        return self

    def __next__(self) -> Any:
        if not self.values:
            raise StopIteration
        return self.values.pop(0)

    def rest(self) -> list[Any]:
        rest, self.values = self.values, []
        return rest


@dataclass
class Frame:
    source: Source
    env: dict[str, Any]
    parent: Frame | None = None
    # Inside an adjoint rule: statements take the location of the forward call.
    in_rule: bool = False
    rule_loc: Loc | None = None
    # Names bound to an array this function made itself (np.zeros, a + b,
    # x.copy()), so that ``A[i] = v`` cannot change anyone else's array.
    owned: dict[str, Any] = field(default_factory=dict)
    # Vars with a serial from here on were made while this frame ran.
    first_serial: int = field(default_factory=next_serial)
    # A generator function's frame: the values its ``yield``s gave so far.
    yields: list[Any] | None = None

    def snapshot(self) -> tuple[dict[str, Any], dict[str, Any]]:
        """The names bound now, for ``restore`` after tracing code tentatively."""
        return dict(self.env), dict(self.owned)

    def restore(self, snapshot: tuple[dict[str, Any], dict[str, Any]]) -> None:
        env, owned = snapshot
        self.env.clear()
        self.env.update(env)
        self.owned.clear()
        self.owned.update(owned)

    def loc(self, node: ast.AST) -> Loc:
        if self.in_rule and self.rule_loc is not None:
            return self.rule_loc
        return self.source.loc(node)


class Interpreter(Protocol):
    """The tracer, as the constructs traced outside it see it."""

    builder: Builder
    top_frame: Frame | None
    top_inputs: dict[str, Any]
    unroll: bool | None
    rolling: int

    def eval(self, node: ast.expr, frame: Frame) -> Any: ...
    def exec_block(self, body: list[ast.stmt], frame: Frame) -> None: ...
    def assign(self, target: ast.expr, value: Any, frame: Frame) -> None: ...


class Tracing(Interpreter, Protocol):
    """The whole tracer, as each of its parts sees it.

    ``Tracer`` is ``Statements``, ``Expressions``, ``Calls`` and ``InPlace``
    together; each part subclasses this, so that what it calls in another
    part through ``self`` is declared (and checked) in one place. The state
    is set up by ``Tracer.__init__``.
    """

    static_reads: set[str]
    consts: dict[int, Const]
    outer_reads: dict[str, tuple[Callable[[], Any], Any]]
    outer_generators: dict[int, effects.Outer]
    generator_copies: dict[int, Any]
    progress: Callable[[], None]

    # The tracer's entry points (tracer.py)
    def call_function(
        self,
        fn: types.FunctionType,
        args: tuple[Any, ...],
        kwargs: dict[str, Any],
        in_rule: bool = False,
        rule_loc: Loc | None = None,
    ) -> Any: ...
    def _call_closure(
        self, closure: Closure, args: tuple[Any, ...], kwargs: dict[str, Any]
    ) -> Any: ...

    # Statements
    def iterate(self, value: Any, loc: Loc) -> list[Any]: ...
    def truth(self, value: Any, node: ast.expr, frame: Frame, keyword: str) -> bool: ...
    def _decided_when_run(self, test: Any, frame: Frame) -> bool: ...

    # Expressions
    def binop(
        self, op: ast.operator, left: Any, right: Any, loc: Loc, in_rule: bool
    ) -> Any: ...
    def const(
        self,
        name: str,
        value: np.ndarray[Any, Any],
        loc: Loc,
        read: Callable[[], Any] | None = None,
    ) -> Const: ...

    # Calls
    def call_value(
        self,
        fn: Any,
        args: tuple[Any, ...],
        kwargs: dict[str, Any],
        loc: Loc,
        in_rule: bool = False,
    ) -> Any: ...

    # In-place updates
    def _creates_array(self, node: ast.expr, value: Any, frame: Frame) -> bool: ...
    def _check_not_shared(
        self, name: str, current: Any, node: ast.stmt, frame: Frame, rewrite: str
    ) -> None: ...
