"""Program -> ``ast.Module``: the derivative as a standalone Python module.

Takes a simplified program and writes each statement as Python by the
``simplify.fold`` plan (what is folded into the expression reading it, what
is unpacked, which loops iterate rows), with the names ``names`` gives and
shares; ``literals`` writes constant values, ``preamble`` the imports,
helper copies and guard class above the function. Array constants the
function reads are listed separately (the compiled path binds them as
globals, the text path writes them out).
"""

from __future__ import annotations

import ast
import re
from copy import deepcopy
from dataclasses import dataclass, field
from typing import Any

import numpy as np

from srcdiff.emit.accumulate import in_place_sums
from srcdiff.emit.factors import number_first
from srcdiff.emit.literals import literal
from srcdiff.emit.preamble import GUARD_CLASS, alias_calls, bound_names, preamble
from srcdiff.errors import Loc
from srcdiff.ir.nodes import (
    Assign,
    Branch,
    Const,
    Guard,
    Loop,
    Program,
    Stmt,
    Var,
    all_stmts,
    reads_within,
    stmt_outputs,
    walk_vars,
)
from srcdiff.ir.prims import ADD, MUL, PRIMS, REDUCTION_METHODS, Prim, dotted
from srcdiff.names.namer import Namer, plural, temp_hint
from srcdiff.names.sharing import Sharing
from srcdiff.names.sizes import name_sizes
from srcdiff.simplify.fold import Folding, fold


@dataclass
class Emitted:
    module: ast.Module
    name: str
    constants: dict[str, np.ndarray[Any, Any]]
    constant_locs: dict[str, Loc | None]
    constant_reads: dict[str, Any]
    # Index in the function body where the adjoint sweep starts (for a blank line).
    backward_at: int | None = None
    # Generators the function reads by name from a closure or globals, by the
    # name of the keyword-only parameter the emitted function takes each as.
    generators: dict[str, Var] = field(default_factory=dict)


@dataclass
class _Context:
    namer: Namer
    folding: Folding
    sharing: Sharing
    prims: list[Prim] = field(default_factory=list)
    constants: dict[str, Any] = field(default_factory=dict)
    constant_locs: dict[str, Loc | None] = field(default_factory=dict)
    constant_reads: dict[str, Any] = field(default_factory=dict)
    # np.abs statements a condition reads, written as the builtin abs there.
    plain_abs: set[Var] = field(default_factory=set)
    # Each Var's statement.
    defs: dict[Var, Assign] = field(default_factory=dict)


def emit(program: Program, fn_name: str, doc: str, signature: ast.arguments) -> Emitted:
    program = name_sizes(program)
    folding = fold(program)
    params = {name: list(walk_vars(value)) for name, value in program.inputs.items()}
    constants = {a.name for s in all_stmts(program.stmts) for a in _consts(s)}
    reserved = {fn_name, *program.params, *constants, *bound_names(program)}
    namer = Namer(reserved)
    namer.name_params(params)
    generators: dict[str, Var] = {}
    for var in _outer_generators(program):  # keyword-only parameters
        name = namer.names[var] = namer.fresh(var.hint)
        generators[name] = var
    if generators:
        signature = deepcopy(signature)
        signature.kwonlyargs += [ast.arg(name) for name in generators]
        signature.kw_defaults += [None] * len(generators)
    sharing = Sharing(namer, folding, program)
    sharing.loop_bounds(program)
    ctx = _Context(namer, folding, sharing)
    ctx.defs = {s.var: s for s in all_stmts(program.stmts) if isinstance(s, Assign)}

    body: list[ast.stmt] = [ast.Expr(ast.Constant(doc))]
    body += _static_guards(program)
    body += _unpack_params(program, ctx)
    backward_at = None
    for index, stmt in enumerate(program.stmts):
        if index == program.backward_start:
            backward_at = len(body)
        sharing.at = index
        body.extend(_emit_stmt(stmt, ctx))
    body.append(ast.Return(_conv(program.output, ctx)))
    func = ast.FunctionDef(fn_name, signature, body, [], None, None)
    alias_calls(func, program)
    module_body = _numpy_if_read([*preamble(ctx.prims, program), func])
    module = ast.fix_missing_locations(ast.Module(module_body, []))
    return Emitted(
        module,
        fn_name,
        ctx.constants,
        ctx.constant_locs,
        ctx.constant_reads,
        backward_at,
        generators,
    )


def _numpy_if_read(body: list[ast.stmt]) -> list[ast.stmt]:
    """The module without ``import numpy as np`` when nothing reads ``np``
    (a guarded Taylor series unrolled to plain arithmetic)."""

    def imports_numpy(node: ast.stmt) -> bool:
        return isinstance(node, ast.Import) and [
            (a.name, a.asname) for a in node.names
        ] == [("numpy", "np")]

    rest = [node for node in body if not imports_numpy(node)]
    reads = any(
        isinstance(n, ast.Name) and n.id == "np"
        for node in rest
        for n in ast.walk(node)
    )
    return body if reads else rest


def _outer_generators(program: Program) -> list[Var]:
    """The generators read from a closure or globals that the statements draw
    from (``Tracer.outer_generator``), in the order they are first read."""
    found: dict[Var, None] = {}
    for stmt in program.stmts:
        for var in reads_within(stmt):
            if var.kind == "outer":
                found[var] = None
    return list(found)


def _emit_stmt(stmt: Stmt, ctx: _Context) -> list[ast.stmt]:
    if isinstance(stmt, Loop):
        return _loop(stmt, ctx)
    if isinstance(stmt, Branch):
        return _branch(stmt, ctx)
    if isinstance(stmt, Guard):
        return [_guard(stmt, ctx)]
    if stmt.prim.statements is not None:
        return _statements(stmt, ctx)
    folding = ctx.folding
    if stmt.var in folding.unpacked:
        target = _unpack_target(folding.unpacked[stmt.var], ctx)
        return [ast.Assign([target], _render(stmt, ctx))]
    if stmt.var in folding.inline or folding.is_unpacked_item(stmt):
        return []
    value = _render(stmt, ctx)
    if stmt.prim.effect and not folding.uses[stmt.var]:  # np.random.seed(0)
        return [ast.Expr(value)]
    name = ctx.namer.name(stmt.var, temp_hint(value))
    return [ast.Assign([ast.Name(name, ast.Store())], value)]


def _branch(branch: Branch, ctx: _Context) -> list[ast.stmt]:
    """``if cond:`` with each arm ending in the names the if merges; a value an
    arm computes takes the merged name itself when nothing after reads it."""
    names = ctx.namer.names
    for m in branch.merges:
        ctx.namer.name(m.result)
    arms = []
    for stmts, side in ((branch.then, "then"), (branch.orelse, "orelse")):
        values = [getattr(m, side) for m in branch.merges]
        ctx.sharing.arm(branch.merges, values, stmts)
        body = _block(stmts, ctx)
        pending = [
            (m, v)
            for m, v in zip(branch.merges, values, strict=True)
            if not (isinstance(v, Var) and names.get(v) == names[m.result])
        ]
        body += _parallel_assign(
            [names[m.result] for m, _ in pending], [_conv(v, ctx) for _, v in pending]
        )
        arms.append(body)
    then, orelse = arms
    cond = _conv(branch.cond, ctx)
    if not then:
        return [ast.If(ast.UnaryOp(ast.Not(), cond), orelse, [])] if orelse else []
    return [ast.If(cond, then, orelse)]


def _parallel_assign(targets: list[str], values: list[ast.expr]) -> list[ast.stmt]:
    """``a = x``, one after another in an order where none reads a name
    assigned before it; ``a, b = x, y`` where no order does (a swap)."""
    order = _reads_first(targets, values)
    if order is not None:
        return [_assign(targets[i], values[i]) for i in order]
    store = ast.Tuple([ast.Name(t, ast.Store()) for t in targets], ast.Store())
    return [ast.Assign([store], ast.Tuple(values, ast.Load()))]


def _reads_first(targets: list[str], values: list[ast.expr]) -> list[int] | None:
    """An order of the assignments in which each comes before those that
    rebind a name it reads, or None."""
    reads = [{n.id for n in ast.walk(v) if isinstance(n, ast.Name)} for v in values]
    order: list[int] = []
    left = list(range(len(targets)))
    while left:
        # Free to go now: read by none of the others still to go.
        free = [
            i for i in left if not any(targets[i] in reads[j] for j in left if j != i)
        ]
        if not free:
            return None
        order.append(free[0])
        left.remove(free[0])
    return order


def _block(stmts: list[Stmt], ctx: _Context) -> list[ast.stmt]:
    ctx.sharing.depth += 1
    try:
        return [node for stmt in stmts for node in _emit_stmt(stmt, ctx)]
    finally:
        ctx.sharing.depth -= 1


def _loop(loop: Loop, ctx: _Context) -> list[ast.stmt]:
    """A rolled loop: its carried values share one name before, in and after
    the loop (``h``), and its trips save or restore what the adjoint reads."""
    namer, sharing = ctx.namer, ctx.sharing
    before: list[ast.stmt] = []
    for c in loop.carried:
        if not sharing.carried(c, loop):
            phi = namer.name(c.phi)
            before.append(_assign(phi, _conv(c.init, ctx)))
            sharing.starts_as(c.phi, c.init)
        namer.names[c.result] = namer.names[c.phi]
    sharing.restored(loop)
    if loop.reverse_of is not None:
        sharing.forward_names(loop)
    lists = {phi: sharing.saved_list(phi) for phi in _saved(loop)}
    for value, stack in loop.stacks:  # deltas: what each backward trip stacks
        lists[value] = namer.names[stack] = namer.fresh(_stack_name(value, ctx))
    before.extend(_assign(name, ast.List([], ast.Load())) for name in lists.values())
    sharing.updates(loop)

    def save(value: Var) -> ast.stmt:
        append = ast.Attribute(ast.Name(lists[value], ast.Load()), "append", ast.Load())
        return ast.Expr(ast.Call(append, [_conv(value, ctx)], []))

    # Carried values are saved as a trip starts, draws as soon as they are made;
    # a backward trip stacks its values once it has them.
    phis = {c.phi for c in loop.carried}
    trip: list[ast.stmt] = [save(v) for v in loop.saves if v in phis]
    for var, phi in loop.restores:
        pop = ast.Attribute(ast.Name(sharing.lists[phi], ast.Load()), "pop", ast.Load())
        trip.append(_assign(namer.names[var], ast.Call(pop, [], [])))
    header = _loop_header(loop, ctx)
    # A loop iterating rows reads its first statement's value from its header.
    body = loop.body[1:] if loop in ctx.folding.rows else loop.body
    made = {v for stmt in body for v in stmt_outputs(stmt)}
    trip.extend(save(v) for v, _ in loop.stacks if v not in made)
    for stmt in body:
        trip.extend(_block([stmt], ctx))
        if isinstance(stmt, Assign) and stmt.var in loop.saves:
            trip.append(save(stmt.var))
        trip.extend(save(v) for v, _ in loop.stacks if v in stmt_outputs(stmt))
    trip.extend(_end_of_trip(loop, ctx))
    if loop.stop is not None and loop.reverse_of is None:  # after its updates
        stopped = ast.Name(namer.names[loop.stop.phi], ast.Load())
        trip.append(ast.If(stopped, [ast.Break()], []))
    if isinstance(header, list):  # while True: <test>; if not cond: break
        return [*before, ast.While(ast.Constant(True), [*header, *trip], [])]
    if isinstance(header, ast.expr):
        return [*before, ast.While(header, trip or [ast.Pass()], [])]
    target, iterator = header
    return [*before, ast.For(target, iterator, trip or [ast.Pass()], [], None)]


def _stack_name(value: Var, ctx: _Context) -> str:
    """``deltas``, ``dhs``, ``hs``: the plural of the stacked value's name
    (its hint for a temporary), without its number."""
    named = value.kind != "temp" and value not in ctx.folding.inline
    base = ctx.namer.name(value) if named else value.hint
    return plural(re.sub(r"_\d+$", "", base))


def _saved(loop: Loop) -> list[Var]:
    if loop.reverse_of is not None:
        return []
    return list(loop.saves)


def _loop_header(loop: Loop, ctx: _Context) -> Any:
    """``(target, iterable)`` for a ``for``; the test for a ``while``, as an
    expression or (when it takes statements) as the statements that begin
    each trip."""
    namer = ctx.namer
    forward = loop.reverse_of
    if forward is None and (loop.test or loop.cond is not None):
        test = _block(loop.test, ctx)
        cond = _condition(loop.cond, ctx)
        if not test:
            return cond
        stop = ast.If(ast.UnaryOp(ast.Not(), cond), [ast.Break()], [])
        return [*test, stop]
    reverses_while = forward is not None and forward.bounds is forward.over is None
    if reverses_while and loop.restores:  # while hs: h = hs.pop() ...
        first = ctx.sharing.lists[loop.restores[0][1]]
        return ast.Name(first, ast.Load())
    index, over = loop.index, loop.over
    row = ctx.folding.rows.get(loop)
    if row is not None:  # for x_t in xs
        return ast.Name(namer.name(row.var), ast.Store()), _conv(over, ctx)
    target: ast.expr = ast.Name(
        namer.name(index) if index is not None and ctx.folding.uses[index] else "_",
        ast.Store(),
    )
    if over is not None:
        length = ast.Call(ast.Name("len", ast.Load()), [_conv(over, ctx)], [])
        iterable = ast.Call(ast.Name("range", ast.Load()), [length], [])
    else:
        iterable = _range(loop.bounds, ctx)
    if forward is not None and loop.index is not None:
        iterable = ast.Call(ast.Name("reversed", ast.Load()), [iterable], [])
    return target, iterable


def _range(bounds: Any, ctx: _Context) -> ast.expr:
    start, stop, step = bounds
    args = (
        [stop]
        if (start, step) == (0, 1)
        else (
            [start, stop]
            if step == 1
            else [
                start,
                stop,
                step,
            ]
        )
    )
    return ast.Call(ast.Name("range", ast.Load()), [_conv(a, ctx) for a in args], [])


def _end_of_trip(loop: Loop, ctx: _Context) -> list[ast.stmt]:
    """``h = ...`` for each carried value its update did not already write;
    several at once as one tuple assignment, so that none reads another's new
    value. A running sum a trip adds to in place goes first (``dW += ...``):
    nothing else reads it."""
    names = ctx.namer.names
    defs = ctx.defs
    in_place = in_place_sums(loop, defs, ctx.folding, names, ctx.sharing.aliased)
    out: list[ast.stmt] = []
    for phi, stmt in in_place.items():
        op = ast.Add() if stmt.prim is ADD else ast.Sub()
        target = ast.Name(names[phi], ast.Store())
        out.append(ast.AugAssign(target, op, _conv(stmt.args[1], ctx)))
    pending = [
        c
        for c in loop.carried
        if not (isinstance(c.update, Var) and names.get(c.update) == names[c.phi])
        and c.phi not in in_place
    ]
    values = [_conv(c.update, ctx) for c in pending]
    return out + _parallel_assign([names[c.phi] for c in pending], values)


def _assign(name: str, value: ast.expr) -> ast.stmt:
    return ast.Assign([ast.Name(name, ast.Store())], value)


def _statements(stmt: Assign, ctx: _Context) -> list[ast.stmt]:
    """A statement-shaped primitive (``A[i] = v``), updating in place when the
    old array is read nowhere else and belongs to the function."""
    assert stmt.prim.statements is not None
    if stmt.prim not in ctx.prims:
        ctx.prims.append(stmt.prim)
    in_place = ctx.sharing.in_place(stmt)
    name = ctx.namer.name(stmt.var, "updated")
    statements = stmt.prim.statements(
        name, stmt.args, stmt.kwargs, lambda v, index=False: _conv(v, ctx, index)
    )
    return statements[1:] if in_place else statements


def _consts(stmt: Assign | Guard) -> list[Const]:
    """The array constants a statement reads (named globals in the module)."""
    found: list[Const] = []

    def visit(value: Any) -> None:
        if isinstance(value, Const):
            found.append(value)
        elif isinstance(value, (tuple, list)):
            for v in value:
                visit(v)
        elif isinstance(value, dict):
            for v in value.values():
                visit(v)

    if isinstance(stmt, Assign):
        visit(stmt.args)
        visit(stmt.kwargs)
    return found


def _unpack_target(items: list[Var | None], ctx: _Context) -> ast.expr:
    names = [
        ast.Name("_" if v is None else ctx.namer.name(v, ""), ast.Store())
        for v in items
    ]
    return ast.Tuple(names, ast.Store())


def _render(stmt: Assign, ctx: _Context) -> ast.expr:
    if stmt.var in ctx.plain_abs:
        return ast.Call(ast.Name("abs", ast.Load()), [_conv(stmt.args[0], ctx)], [])
    if stmt.prim in REDUCTION_METHODS and _made_array(stmt.args[0], ctx):
        head = _conv(stmt.args[0], ctx)
        if isinstance(head, ast.Name):  # not (a * b).sum(), which reads worse
            return _method(stmt, head, ctx)
    if stmt.prim not in ctx.prims:
        ctx.prims.append(stmt.prim)
    expr = stmt.prim.render(
        stmt.args, stmt.kwargs, lambda v, index=False: _conv(v, ctx, index)
    )
    return number_first(expr) if stmt.prim is MUL else expr


# Reductions written as the array's method (``REDUCTION_METHODS``): the
# same call as ``np.sum(a, axis=1)`` without NumPy's dispatch to it, about
# 1 us of a small model's gradient.


def _made_array(value: Any, ctx: _Context) -> bool:
    """Whether ``value`` is an array (of one or more dimensions, on the
    example) that a statement of the program made, so that every call of
    this specialisation has an ndarray there (a parameter might be a list)."""
    return (
        isinstance(value, Var)
        and value in ctx.defs
        and value.known
        and isinstance(value.value, np.ndarray)
        and value.value.ndim > 0
    )


def _method(stmt: Assign, head: ast.Name, ctx: _Context) -> ast.expr:
    """``np.sum(a, axis=1)`` as ``a.sum(axis=1)``; positional arguments
    keep their places (the method's follow the function's after ``a``)."""
    rest = stmt.args[1:]
    method = ast.Attribute(head, REDUCTION_METHODS[stmt.prim], ast.Load())
    keywords = [ast.keyword(k, _conv(v, ctx)) for k, v in stmt.kwargs.items()]
    return ast.Call(method, [_conv(v, ctx) for v in rest], keywords)


def _conv(value: Any, ctx: _Context, index: bool = False) -> ast.expr:
    """A nested argument value as an expression."""
    if isinstance(value, Var):
        if value in ctx.folding.inline:
            return _render(ctx.folding.inline[value], ctx)
        return ast.Name(ctx.namer.name(value), ast.Load())
    if isinstance(value, Const):
        ctx.constants[value.name] = value.value
        ctx.constant_locs[value.name] = value.loc
        if value.read is not None:
            ctx.constant_reads[value.name] = value.read
        return ast.Name(value.name, ast.Load())
    if isinstance(value, tuple):
        if index and len(value) == 1:  # x[(a,)] is x[a]
            return _conv(value[0], ctx, index)
        if not index and _has_slice(value):
            return ast.Subscript(dotted("np.s_"), _conv(value, ctx, True), ast.Load())
        return ast.Tuple([_conv(v, ctx, index) for v in value], ast.Load())
    if isinstance(value, list):
        return ast.List([_conv(v, ctx) for v in value], ast.Load())
    if isinstance(value, dict):
        return ast.Dict(
            [_conv(k, ctx) for k in value], [_conv(v, ctx) for v in value.values()]
        )
    if isinstance(value, slice):
        if not index:
            return ast.Subscript(dotted("np.s_"), _conv(value, ctx, True), ast.Load())
        parts = [
            None if p is None else _conv(p, ctx)
            for p in (value.start, value.stop, value.step)
        ]
        return ast.Slice(*parts)
    return literal(value)


def _has_slice(value: Any) -> bool:
    return any(isinstance(v, slice) or v is Ellipsis for v in value)


def _condition(value: Any, ctx: _Context) -> ast.expr:
    """A test whose truth alone is read. In it ``np.abs(x)`` of a number or
    array is written ``abs(x)``: the builtin is NumPy's absolute for arrays
    and NumPy numbers, equal for Python numbers, and several times faster on
    these (a while test on a number runs once a trip)."""
    todo, found = list(walk_vars(value)), set()
    while todo:
        stmt = ctx.folding.inline.get(todo.pop())
        if stmt is None:
            continue
        todo.extend(walk_vars(stmt.args))
        if stmt.prim is PRIMS[np.abs] and not stmt.kwargs and _plain(stmt.args[0]):
            found.add(stmt.var)
    ctx.plain_abs |= found
    try:
        return _conv(value, ctx)
    finally:
        ctx.plain_abs -= found


def _plain(value: Any) -> bool:
    """A value known to be a number or an array (``abs`` refuses a list)."""
    if isinstance(value, Var):
        value = value.value
    return isinstance(value, (int, float, complex, np.number, np.ndarray))


def _guard(stmt: Guard, ctx: _Context) -> ast.stmt:
    cond = _condition(stmt.cond, ctx)
    test = ast.UnaryOp(ast.Not(), cond) if stmt.expect else cond
    where = str(stmt.loc) if stmt.loc else "?"
    what = stmt.message or f"{stmt.text} was {stmt.expect} when traced"
    return ast.If(test, [_raise(where, what)], [])


def _raise(where: str, what: str) -> ast.stmt:
    """``raise PathChanged(where, what)``: two short strings black can wrap."""
    args: list[ast.expr] = [ast.Constant(where), ast.Constant(what)]
    return ast.Raise(ast.Call(ast.Name(GUARD_CLASS, ast.Load()), args, []))


def _static_guards(program: Program) -> list[ast.stmt]:
    """``if n != 3: raise PathChanged(...)`` for each Python value traced on.

    A function argument is checked by identity: ``if nl is not np.tanh``, or,
    for a function the file cannot name, ``if nl is not None`` (its default
    there). Other values that cannot be written as literals (objects) are
    listed in the header's specialisation instead.
    """
    out: list[ast.stmt] = []
    for name, value in program.statics.items():
        function = callable(value) and not isinstance(value, type)
        try:
            expected = literal(value)
        except TypeError:
            if not function:
                continue
            expected = ast.Constant(None)
        identity = value is None or isinstance(value, bool) or function
        op: ast.cmpop = ast.IsNot() if identity else ast.NotEq()
        test = ast.Compare(ast.Name(name, ast.Load()), [op], [expected])
        shown = ast.unparse(expected) if function else repr(value)
        what = f"specialised for {name}={shown}"
        out.append(ast.If(test, [_raise(f"argument {name}", what)], []))
    return out


def _unpack_params(program: Program, ctx: _Context) -> list[ast.stmt]:
    """Bind the leaves of container arguments: ``(W1, b1), (W2, b2) = params``."""
    uses = ctx.folding.uses
    out: list[ast.stmt] = []
    for name, value in program.inputs.items():
        if isinstance(value, Var) or not any(uses[v] for v in walk_vars(value)):
            continue
        if _only_sequences(value):
            target = _target(value, ctx)
            out.append(ast.Assign([target], ast.Name(name, ast.Load())))
            continue
        for leaf in walk_vars(value):
            if uses[leaf]:
                access: ast.expr = ast.Name(name, ast.Load())
                for key in leaf.path:
                    access = ast.Subscript(access, literal(key), ast.Load())
                store = ast.Name(ctx.namer.name(leaf), ast.Store())
                out.append(ast.Assign([store], access))
    return out


def _only_sequences(value: Any) -> bool:
    if isinstance(value, Var):
        return True
    return isinstance(value, (list, tuple)) and all(_only_sequences(v) for v in value)


def _target(value: Any, ctx: _Context) -> ast.expr:
    if isinstance(value, Var):
        used = ctx.folding.uses[value]
        return ast.Name(ctx.namer.name(value) if used else "_", ast.Store())
    return ast.Tuple([_target(v, ctx) for v in value], ast.Store())
