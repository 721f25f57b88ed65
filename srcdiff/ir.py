"""The intermediate representation: straight-line SSA over NumPy primitives.

After ``trace``, a program is a list of statements, each of which either
assigns one fresh ``Var`` (``Assign``) or re-checks a decision the trace took
(``Guard``). Arguments of an ``Assign`` are nested Python values (tuples,
lists, slices, numbers, None) whose leaves may be ``Var`` or ``Const``.
"""

from __future__ import annotations

from collections.abc import Callable, Iterator
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any

import numpy as np

from .errors import Loc

if TYPE_CHECKING:
    from .primitives import Prim


class _Unknown:
    """Marks a value the trace does not know (no example was given)."""

    def __repr__(self) -> str:
        return "UNKNOWN"


UNKNOWN: Any = _Unknown()


@dataclass(eq=False)
class Var:
    """One SSA value. ``value`` is concrete when an example was traced."""

    hint: str
    value: Any = UNKNOWN
    loc: Loc | None = None
    # "user": a name from the user's source; "param": a parameter leaf;
    # "adjoint": the adjoint of a user-named value; "temp": anything else.
    kind: str = "temp"
    # Parameter leaves: the access path inside their argument, e.g. (0, "W").
    path: tuple[Any, ...] = ()
    # Adjoints of named values: the value this is the adjoint of.
    adjoint_of: Var | None = None
    # Without an example: () for a known scalar, or a token shared by Vars
    # known to have the same shape (None: a shape of its own).
    sym: Any = None

    @property
    def known(self) -> bool:
        return self.value is not UNKNOWN

    @property
    def shape(self) -> tuple[int, ...] | None:
        if not self.known or isinstance(self.value, (tuple, list)):
            return None
        return np.shape(self.value)

    @property
    def dtype(self) -> np.dtype[Any] | None:
        if not self.known or isinstance(self.value, (tuple, list)):
            return None
        return np.result_type(self.value)

    def __repr__(self) -> str:
        return f"%{self.hint}"


@dataclass(eq=False)
class Const:
    """A named array constant (a closure or global array the function reads)."""

    name: str
    value: np.ndarray[Any, Any]
    # Where the function first reads it, for errors about it.
    loc: Loc | None = None
    # Reads the value again (the global, closure cell or attribute may have
    # been rebound since tracing): compiled derivatives use the current one.
    read: Callable[[], Any] | None = None


@dataclass(eq=False)
class Assign:
    var: Var
    prim: Prim
    args: tuple[Any, ...]
    kwargs: dict[str, Any] = field(default_factory=dict)
    loc: Loc | None = None


@dataclass(eq=False)
class Guard:
    """Re-check at run time that ``cond`` is still ``expect``."""

    cond: Any
    expect: bool
    loc: Loc | None
    text: str
    # What the error says when the guard fails, if not "<text> was <expect>".
    message: str = ""


Stmt = Assign | Guard


@dataclass
class Program:
    """A traced function: inputs, statements, and what it returns.

    ``inputs`` maps each parameter name to what it holds at trace time: a Var,
    a nested container of Vars, or a static Python value. ``backward_start``
    is the index of the first statement of the adjoint sweep, if any.
    """

    name: str
    params: list[str]
    inputs: dict[str, Any]
    stmts: list[Stmt]
    output: Any
    statics: dict[str, Any] = field(default_factory=dict)
    backward_start: int | None = None


def walk_vars(value: Any) -> Iterator[Var]:
    """Every Var inside a nested argument value, in order."""
    if isinstance(value, Var):
        yield value
    elif isinstance(value, (tuple, list)):
        for item in value:
            yield from walk_vars(item)
    elif isinstance(value, dict):
        for item in value.values():
            yield from walk_vars(item)
    elif isinstance(value, slice):
        yield from walk_vars((value.start, value.stop, value.step))


def stmt_inputs(stmt: Stmt) -> Iterator[Var]:
    if isinstance(stmt, Guard):
        yield from walk_vars(stmt.cond)
    else:
        yield from walk_vars(stmt.args)
        yield from walk_vars(stmt.kwargs)


def dump(program: Program) -> str:
    """A compact text form for tests and ``--dump``: one statement a line.

    Values print as ``%hint``, numbered (``%t.2``) where hints repeat.
    """
    labels: dict[Var, str] = {}
    counts: dict[str, int] = {}

    def show(value: Any) -> str:
        if isinstance(value, Var):
            if value not in labels:
                counts[value.hint] = counts.get(value.hint, 0) + 1
                n = counts[value.hint]
                labels[value] = f"%{value.hint}" + (f".{n}" if n > 1 else "")
            return labels[value]
        if isinstance(value, Const):
            return f"${value.name}"
        if isinstance(value, (tuple, list)):
            inner = ", ".join(show(v) for v in value)
            return f"({inner})" if isinstance(value, tuple) else f"[{inner}]"
        return repr(value)

    for var in walk_vars(program.inputs):
        show(var)
    lines = []
    for index, stmt in enumerate(program.stmts):
        if index == program.backward_start:
            lines.append("# adjoint sweep")
        if isinstance(stmt, Guard):
            lines.append(f"guard {show(stmt.cond)} is {stmt.expect}")
            continue
        args = ", ".join(show(a) for a in stmt.args)
        kwargs = "".join(f", {k}={show(v)}" for k, v in stmt.kwargs.items())
        lines.append(f"{show(stmt.var)} = {stmt.prim.name}({args}{kwargs})")
    lines.append(f"return {show(program.output)}")
    return "\n".join(lines)
