"""The intermediate representation: SSA over NumPy primitives, with loops.

After ``trace``, a program is a list of statements, each of which assigns one
fresh ``Var`` (``Assign``), re-checks a decision the trace took (``Guard``),
or runs a block of statements repeatedly (``Loop``). Arguments of an
``Assign`` are nested Python values (tuples, lists, slices, numbers, None)
whose leaves may be ``Var`` or ``Const``.
"""

from __future__ import annotations

import dataclasses
import itertools
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field
from typing import Any

import numpy as np

from srcdiff.errors import Loc
from srcdiff.ir.prim import Prim

_SERIALS = itertools.count()


def next_serial() -> int:
    """A serial below that of every Var made from now on."""
    return next(_SERIALS)


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
    # "adjoint": the adjoint of a user-named value (or its tangent, forward
    # mode); "tangent": a tangent over a gradient; "hvp": the Hessian-vector
    # product for a wrt value; "outer": a generator read
    # by name from a closure or globals (``effects.Outer``); "temp": anything
    # else.
    kind: str = "temp"
    # Parameter leaves: the access path inside their argument, e.g. (0, "W").
    path: tuple[Any, ...] = ()
    # Adjoints of named values: the value this is the adjoint of.
    adjoint_of: Var | None = None
    # Without an example: () for a known scalar, or a token shared by Vars
    # known to have the same shape (None: a shape of its own).
    sym: Any = None
    # Known to hold integers or booleans (a loop counter, a flag), so no
    # gradient, even where no example says so.
    exact: bool = False
    # The name an adjoint rule gave this value (``winners`` in the max rule):
    # a better name than a description of the expression.
    local: str = ""
    # Values that hold an array's size: the size as a polynomial of the
    # inputs' axes (``srcdiff.ir.sizes``), so that sizes cancel and compare.
    size: Any = None
    # A value known to have this one's shape when the code runs (a loop's
    # start value, the forward value an adjoint loop recomputes): its sizes.
    like: Var | None = None
    # Creation order, so a rule can tell the values it made from older ones.
    serial: int = field(default_factory=lambda: next(_SERIALS))

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
        try:
            return np.result_type(self.value)
        except TypeError:  # a random generator: no numbers, no gradient
            return np.dtype(object)

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


@dataclass(eq=False)
class Carried:
    """A value a loop updates: ``h`` in ``for t in ...: h = f(h)``.

    ``phi`` is its value at the start of a trip (read in the body), ``init``
    its value before the loop, ``update`` its value at the end of a trip, and
    ``result`` the value after the loop.
    """

    phi: Var
    init: Any
    update: Any
    result: Var


@dataclass(eq=False)
class Loop:
    """A rolled loop: ``for index in range(*bounds)`` or ``for row in over``,
    or a ``while`` whose ``test`` statements compute ``cond`` before each trip.

    An adjoint sweep's loop runs the trips of ``reverse_of`` backwards; it
    starts each trip by popping ``restores`` (its own Var, the forward phi
    or random draw whose values the forward loop saved) and the forward loop
    appends those phis to lists at the start of each of its trips, and those
    draws as soon as it makes them.
    """

    carried: list[Carried]
    body: list[Stmt]
    loc: Loc | None = None
    bounds: tuple[Any, ...] | None = None
    over: Any = None
    index: Var | None = None
    test: list[Stmt] = field(default_factory=list)
    cond: Any = None
    reverse_of: Loop | None = None
    restores: list[tuple[Var, Var]] = field(default_factory=list)
    saves: list[Var] = field(default_factory=list)
    # A forward loop that counts its trips for the adjoint sweep (a while,
    # or a for that may stop early).
    counter: Carried | None = None
    # ``break``: the carried flag that, once a trip sets it, ends the loop
    # after that trip (``if stopped: break``).
    stop: Carried | None = None
    # An adjoint loop's copies of forward values: copy -> forward original.
    origins: dict[Var, Var] = field(default_factory=dict)
    # An adjoint loop's per-trip values kept in a list each: (the value, the
    # list after the loop); a sum of outer products is one product of them.
    stacks: list[tuple[Var, Var]] = field(default_factory=list)


@dataclass(eq=False)
class Merge:
    """A name an ``if`` may rebind: its value after each arm, and after the if."""

    then: Any
    orelse: Any
    result: Var


@dataclass(eq=False)
class Branch:
    """``if cond: then else: orelse``, decided when the code runs."""

    cond: Any
    then: list[Stmt]
    orelse: list[Stmt]
    merges: list[Merge]
    loc: Loc | None = None


Stmt = Assign | Guard | Loop | Branch


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


def cse_key(prim: Prim, args: tuple[Any, ...], kwargs: dict[str, Any]) -> Any:
    """A hashable key for ``prim(*args, **kwargs)``, equal for the same pure
    computation (values by identity), or None if none can be made."""
    try:
        key = (prim, _hashable(args), _hashable(kwargs))
        hash(key)
    except TypeError:
        return None
    return key


def _hashable(value: Any) -> Any:
    if isinstance(value, (Var, Const)):
        return ("value", id(value))
    if isinstance(value, (tuple, list)):
        return (type(value).__name__, tuple(_hashable(v) for v in value))
    if isinstance(value, dict):
        return ("dict", tuple((k, _hashable(v)) for k, v in value.items()))
    if isinstance(value, slice):
        return ("slice", _hashable((value.start, value.stop, value.step)))
    if isinstance(value, np.ndarray):
        raise TypeError("arrays are not keys")
    return (type(value).__name__, value)


def made_by(defs: dict[Var, Assign], value: Any, name: str) -> Assign | None:
    """The statement in ``defs`` that made ``value``, if it applied the prim
    called ``name`` (peepholes match idioms by what made their operands)."""
    stmt = defs.get(value) if isinstance(value, Var) else None
    return stmt if stmt is not None and stmt.prim.name == name else None


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
    """The Vars a statement reads from the block it stands in."""
    if isinstance(stmt, Guard):
        yield from walk_vars(stmt.cond)
    elif isinstance(stmt, Loop):
        yield from loop_inputs(stmt)
    elif isinstance(stmt, Branch):
        yield from branch_inputs(stmt)
    else:
        yield from walk_vars(stmt.args)
        yield from walk_vars(stmt.kwargs)


def stmt_outputs(stmt: Stmt) -> list[Var]:
    if isinstance(stmt, Assign):
        return [stmt.var]
    if isinstance(stmt, Loop):
        return [c.result for c in stmt.carried] + [lst for _, lst in stmt.stacks]
    if isinstance(stmt, Branch):
        return [m.result for m in stmt.merges]
    return []


def branch_inputs(branch: Branch) -> list[Var]:
    """What an ``if`` reads from outside: its condition and the arms' free Vars."""
    inner = set(defined_in(branch.then)) | set(defined_in(branch.orelse))
    reads = list(walk_vars(branch.cond))
    for stmt in [*branch.then, *branch.orelse]:
        reads.extend(stmt_inputs(stmt))
    reads.extend(walk_vars([(m.then, m.orelse) for m in branch.merges]))
    return list(dict.fromkeys(v for v in reads if v not in inner))


def blocks(stmt: Stmt) -> list[list[Stmt]]:
    """The statement lists a loop (test, body) or an if (its arms) holds."""
    if isinstance(stmt, Loop):
        return [stmt.test, stmt.body]
    if isinstance(stmt, Branch):
        return [stmt.then, stmt.orelse]
    return []


def all_stmts(stmts: list[Stmt]) -> Iterator[Assign | Guard]:
    """Every Assign and Guard, inside loops and ifs too."""
    for stmt in stmts:
        if isinstance(stmt, (Assign, Guard)):
            yield stmt
        for block in blocks(stmt):
            yield from all_stmts(block)


def all_loops(stmts: list[Stmt]) -> Iterator[Loop]:
    """Every loop, inside loops and ifs too."""
    for stmt in stmts:
        if isinstance(stmt, Loop):
            yield stmt
        for block in blocks(stmt):
            yield from all_loops(block)


def reads_within(stmt: Stmt) -> Iterator[Var]:
    """What a statement reads, its nested blocks and carried or merged values
    included (``stmt_inputs`` gives only what it reads from outside)."""
    yield from stmt_inputs(stmt)
    for block in blocks(stmt):
        for inner in block:
            yield from reads_within(inner)
    if isinstance(stmt, Loop):
        yield from walk_vars([c.update for c in stmt.carried])
        yield from (v for v, _ in stmt.stacks)
    if isinstance(stmt, Branch):
        yield from walk_vars([(m.then, m.orelse) for m in stmt.merges])


def has_effects(stmt: Stmt) -> bool:
    """Whether a statement is, or holds, a call with effects (a random draw)."""
    if isinstance(stmt, Assign):
        return stmt.prim.effect
    return any(has_effects(s) for block in blocks(stmt) for s in block)


def defined_in(stmts: list[Stmt]) -> list[Var]:
    """Every Var a block defines, inside its loops and ifs too."""
    defined: list[Var] = []
    for stmt in stmts:
        defined.extend(stmt_outputs(stmt))
        if isinstance(stmt, Loop):
            defined.extend(loop_locals(stmt))
        else:
            defined.extend(v for block in blocks(stmt) for v in defined_in(block))
    return defined


def loop_inputs(loop: Loop) -> list[Var]:
    """What a loop reads from outside: bounds, inits and the body's free Vars."""
    inner = set(loop_locals(loop))
    found: list[Var] = []
    for value in (loop.bounds, loop.over, [c.init for c in loop.carried]):
        found.extend(walk_vars(value))
    reads: list[Var] = []
    for stmt in [*loop.test, *loop.body]:
        reads.extend(stmt_inputs(stmt))
    reads.extend(walk_vars([c.update for c in loop.carried]))
    reads.extend(walk_vars(loop.cond))
    reads.extend(v for v, _ in loop.stacks)
    found.extend(v for v in reads if v not in inner)
    return list(dict.fromkeys(found))


def loop_locals(loop: Loop) -> list[Var]:
    """The Vars a loop defines for its own trips (phis, index, body values)."""
    defined = [c.phi for c in loop.carried]
    if loop.index is not None:
        defined.append(loop.index)
    defined.extend(var for var, _ in loop.restores)
    defined.extend(defined_in([*loop.test, *loop.body]))
    return defined


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
    lines: list[str] = []

    def block(stmts: list[Stmt], indent: str, top: bool = False) -> None:
        for index, stmt in enumerate(stmts):
            if top and index == program.backward_start:
                lines.append("# adjoint sweep")
            if isinstance(stmt, Guard):
                lines.append(f"{indent}guard {show(stmt.cond)} is {stmt.expect}")
            elif isinstance(stmt, Loop):
                loop(stmt, indent)
            elif isinstance(stmt, Branch):
                lines.append(f"{indent}if {show(stmt.cond)}:")
                block(stmt.then, indent + "  ")
                lines.append(f"{indent}else:")
                block(stmt.orelse, indent + "  ")
                for m in stmt.merges:
                    merge = f"{show(m.result)} = {show(m.then)} or {show(m.orelse)}"
                    lines.append(f"{indent}merge {merge}")
            else:
                args = ", ".join(show(a) for a in stmt.args)
                kwargs = "".join(f", {k}={show(v)}" for k, v in stmt.kwargs.items())
                line = f"{show(stmt.var)} = {stmt.prim.name}({args}{kwargs})"
                lines.append(indent + line)

    def loop(stmt: Loop, indent: str) -> None:
        carried = ", ".join(
            f"{show(c.phi)} = {show(c.init)} -> {show(c.result)}" for c in stmt.carried
        )
        if stmt.reverse_of is not None:
            head = "loop backwards"
        elif stmt.bounds is not None:
            head = f"loop {show(stmt.index)} in range{show(stmt.bounds)}"
        elif stmt.over is not None:
            head = f"loop {show(stmt.index)} over {show(stmt.over)}"
        else:
            head = "loop while"
        lines.append(f"{indent}{head} carrying {carried}:")
        for var, phi in stmt.restores:
            lines.append(f"{indent}  {show(var)} = restore({show(phi)})")
        if stmt.saves:
            lines.append(f"{indent}  save {show(stmt.saves)}")
        block(stmt.test, indent + "  ")
        if stmt.cond is not None:
            lines.append(f"{indent}  while {show(stmt.cond)}")
        block(stmt.body, indent + "  ")
        for value, stack in stmt.stacks:
            lines.append(f"{indent}  stack {show(value)} -> {show(stack)}")
        updates = ", ".join(show(c.update) for c in stmt.carried)
        lines.append(f"{indent}  next {updates}")

    block(program.stmts, "", top=True)
    lines.append(f"return {show(program.output)}")
    return "\n".join(lines)


def map_leaves(value: Any, leaf: Callable[[Any], Any]) -> Any:
    """A nested argument value (tuples, lists, dicts, slices) with ``leaf``
    applied to each Var, Const or plain value inside it."""
    if isinstance(value, (tuple, list)):
        return type(value)(map_leaves(v, leaf) for v in value)
    if isinstance(value, dict):
        return {k: map_leaves(v, leaf) for k, v in value.items()}
    if isinstance(value, slice):
        parts = (value.start, value.stop, value.step)
        return slice(*(map_leaves(p, leaf) for p in parts))
    return leaf(value)


def substitute_value(value: Any, mapping: dict[Var, Any]) -> Any:
    """A nested argument value reading ``mapping[v]`` wherever it read ``v``."""
    return map_leaves(value, lambda v: mapping.get(v, v) if isinstance(v, Var) else v)


def substitute(stmts: list[Stmt], mapping: dict[Var, Any]) -> list[Stmt]:
    """The statements, reading through ``mapping``; they define the same Vars."""
    return _rewrite(stmts, mapping, fresh=False)


def clone_block(stmts: list[Stmt], mapping: dict[Var, Any]) -> list[Stmt]:
    """A copy of the statements defining fresh Vars (added to ``mapping``), so
    that a block can run again elsewhere: an adjoint loop recomputes a trip."""
    return _rewrite(stmts, mapping, fresh=True)


def copy_var(var: Var) -> Var:
    """A Var like ``var`` for another definition of the same value (a trip
    recomputed in an adjoint loop): same hint, facts and example value."""
    return dataclasses.replace(var, serial=next(_SERIALS), like=var)


def _copy(var: Var, mapping: dict[Var, Any], fresh: bool) -> Var:
    if not fresh:
        return var
    mapping[var] = copy_var(var)
    return mapping[var]


def _rewrite(stmts: list[Stmt], mapping: dict[Var, Any], fresh: bool) -> list[Stmt]:
    out: list[Stmt] = []
    sub = substitute_value
    for stmt in stmts:
        if isinstance(stmt, Guard):
            cond = sub(stmt.cond, mapping)
            out.append(Guard(cond, stmt.expect, stmt.loc, stmt.text, stmt.message))
        elif isinstance(stmt, Assign) and not fresh:
            stmt.args, stmt.kwargs = sub(stmt.args, mapping), sub(stmt.kwargs, mapping)
            out.append(stmt)
        elif isinstance(stmt, Assign):
            args, kwargs = sub(stmt.args, mapping), sub(stmt.kwargs, mapping)
            var = _copy(stmt.var, mapping, fresh)
            out.append(Assign(var, stmt.prim, args, kwargs, stmt.loc))
        elif isinstance(stmt, Branch):
            out.append(_rewrite_branch(stmt, mapping, fresh))
        else:
            out.append(_rewrite_loop(stmt, mapping, fresh))
    return out


def _rewrite_branch(branch: Branch, mapping: dict[Var, Any], fresh: bool) -> Branch:
    sub = substitute_value
    cond = sub(branch.cond, mapping)
    then = _rewrite(branch.then, mapping, fresh)
    orelse = _rewrite(branch.orelse, mapping, fresh)
    merges = [
        Merge(sub(m.then, mapping), sub(m.orelse, mapping), m.result)
        for m in branch.merges
    ]
    for m in merges:
        m.result = _copy(m.result, mapping, fresh)
    if not fresh:
        branch.cond, branch.then, branch.orelse = cond, then, orelse
        branch.merges = merges
        return branch
    return Branch(cond, then, orelse, merges, branch.loc)


def _rewrite_loop(loop: Loop, mapping: dict[Var, Any], fresh: bool) -> Loop:
    sub = substitute_value
    inits = [sub(c.init, mapping) for c in loop.carried]
    phis = [_copy(c.phi, mapping, fresh) for c in loop.carried]
    index = None if loop.index is None else _copy(loop.index, mapping, fresh)
    restores = [(_copy(v, mapping, fresh), phi) for v, phi in loop.restores]
    test = _rewrite(loop.test, mapping, fresh)
    body = _rewrite(loop.body, mapping, fresh)
    carried = [
        Carried(phi, init, sub(c.update, mapping), _copy(c.result, mapping, fresh))
        for c, phi, init in zip(loop.carried, phis, inits, strict=True)
    ]
    new = Loop(
        carried,
        body,
        loop.loc,
        sub(loop.bounds, mapping),
        sub(loop.over, mapping),
        index,
        test,
        sub(loop.cond, mapping),
        loop.reverse_of,
        restores,
        [sub(v, mapping) for v in loop.saves],
    )
    if loop.counter is not None:
        new.counter = carried[loop.carried.index(loop.counter)]
    if loop.stop is not None:
        new.stop = carried[loop.carried.index(loop.stop)]
    new.stacks = [(sub(v, mapping), _copy(s, mapping, fresh)) for v, s in loop.stacks]
    if not fresh:
        loop.__dict__.update(new.__dict__)
        return loop
    return new
