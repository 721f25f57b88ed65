"""Program -> ``ast.Module``: the derivative as a standalone Python module.

Single-use temporaries are folded back into the expressions that read them
(up to a small size, so lines stay readable); everything else gets a name
from ``names``. The module holds the imports, any helpers the code calls, and
the function; array constants the function reads are listed separately (the
compiled path binds them as globals, the text path writes them out).
"""

from __future__ import annotations

import ast
import fractions
import inspect
import math
import textwrap
from collections import Counter
from dataclasses import dataclass, field
from typing import Any

import numpy as np

from . import helpers
from .errors import Loc
from .ir import Assign, Const, Guard, Program, Var, stmt_inputs, walk_vars
from .names import Namer, temp_hint
from .primitives import NUMPY, TUPLE_ITEM, Prim, dotted

# Floats whose repr is longer than this print as a ratio when one is exact.
_SHORT_FLOAT = 8
_MAX_DENOMINATOR = 10_000
# A folded expression holds at most this many operations.
_MAX_FOLD = 5
GUARD_CLASS = "PathChanged"


@dataclass
class Emitted:
    module: ast.Module
    name: str
    constants: dict[str, np.ndarray[Any, Any]]
    constant_locs: dict[str, Loc | None]
    constant_reads: dict[str, Any]
    # Index in the function body where the adjoint sweep starts (for a blank line).
    backward_at: int | None = None


@dataclass
class _Context:
    program: Program
    namer: Namer
    inline: dict[Var, Assign]
    prims: list[Prim] = field(default_factory=list)
    constants: dict[str, Any] = field(default_factory=dict)
    constant_locs: dict[str, Loc | None] = field(default_factory=dict)
    constant_reads: dict[str, Any] = field(default_factory=dict)


def emit(program: Program, fn_name: str, doc: str, signature: ast.arguments) -> Emitted:
    uses: Counter[Var] = Counter()
    for stmt in program.stmts:
        uses.update(stmt_inputs(stmt))
    outputs = set(walk_vars(program.output))
    uses.update(walk_vars(program.output))
    unpacked = _unpackable(program, uses)
    inline = _choose_inline(program, uses, outputs, unpacked)

    params = {name: list(walk_vars(value)) for name, value in program.inputs.items()}
    constants = {a.name for s in program.stmts for a in _consts(s)}
    reserved = {
        "np",
        fn_name,
        GUARD_CLASS,
        *program.params,
        *_helper_names(),
        *constants,
        *_imported_names(program),
    }
    namer = Namer(reserved)
    namer.name_params(params)
    ctx = _Context(program, namer, inline)

    body: list[ast.stmt] = [ast.Expr(ast.Constant(doc))]
    body += _static_guards(program)
    body += _unpack_params(program, ctx, uses)
    backward_at = None
    for index, stmt in enumerate(program.stmts):
        if index == program.backward_start:
            backward_at = len(body)
        if isinstance(stmt, Guard):
            body.append(_guard(stmt, ctx))
        elif stmt.prim.statements is not None:
            body.extend(_statements(stmt, ctx, uses))
        elif stmt.var in unpacked:
            target = _unpack_target(unpacked[stmt.var], ctx)
            body.append(ast.Assign([target], _render(stmt, ctx)))
        elif stmt.var not in inline and not _is_unpacked_item(stmt, unpacked):
            value = _render(stmt, ctx)
            name = namer.name(stmt.var, temp_hint(value))
            body.append(ast.Assign([ast.Name(name, ast.Store())], value))
    body.append(ast.Return(_conv(program.output, ctx)))
    func = ast.FunctionDef(fn_name, signature, body, [], None, None)
    module_body = [*_preamble(ctx, program), func]
    module = ast.fix_missing_locations(ast.Module(module_body, []))
    return Emitted(
        module,
        fn_name,
        ctx.constants,
        ctx.constant_locs,
        ctx.constant_reads,
        backward_at,
    )


def _statements(stmt: Assign, ctx: _Context, uses: Counter[Var]) -> list[ast.stmt]:
    """A statement-shaped primitive (``A[i] = v``), updating in place when the
    old array is read nowhere else and belongs to the function."""
    assert stmt.prim.statements is not None
    if stmt.prim not in ctx.prims:
        ctx.prims.append(stmt.prim)
    array = stmt.args[0]
    in_place = (
        isinstance(array, Var)
        and uses[array] == 1
        and array.kind not in ("param", "leaf")
        and array in ctx.namer.names
    )
    if in_place:
        ctx.namer.names[stmt.var] = ctx.namer.names[array]
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


def _unpackable(program: Program, uses: Counter[Var]) -> dict[Var, list[Var | None]]:
    """Tuple results read only item by item: ``w, v = np.linalg.eigh(A)``."""
    items: dict[Var, dict[int, Var]] = {}
    for stmt in program.stmts:
        if isinstance(stmt, Assign) and stmt.prim is TUPLE_ITEM:
            whole, index = stmt.args
            items.setdefault(whole, {})[index] = stmt.var
    out: dict[Var, list[Var | None]] = {}
    for whole, by_index in items.items():
        arity = len(whole.value) if whole.known else max(by_index) + 1
        if uses[whole] == len(by_index):
            out[whole] = [by_index.get(i) for i in range(arity)]
    return out


def _unpack_target(items: list[Var | None], ctx: _Context) -> ast.expr:
    names = [
        ast.Name("_" if v is None else ctx.namer.name(v, ""), ast.Store())
        for v in items
    ]
    return ast.Tuple(names, ast.Store())


def _is_unpacked_item(stmt: Assign, unpacked: dict[Var, list[Var | None]]) -> bool:
    return stmt.prim is TUPLE_ITEM and stmt.args[0] in unpacked


def _choose_inline(
    program: Program,
    uses: Counter[Var],
    outputs: set[Var],
    unpacked: dict[Var, list[Var | None]],
) -> dict[Var, Assign]:
    weight: dict[Var, int] = {}
    inline: dict[Var, Assign] = {}
    updated = {
        s.args[0]
        for s in program.stmts
        if isinstance(s, Assign) and s.prim.statements is not None
    }
    for stmt in program.stmts:
        if not isinstance(stmt, Assign) or stmt.var in unpacked:
            continue
        if stmt.var in updated or stmt.prim.statements is not None:
            continue
        if _is_unpacked_item(stmt, unpacked):
            continue
        weight[stmt.var] = 1 + sum(
            weight.get(v, 0) for v in stmt_inputs(stmt) if v in inline
        )
        if (
            stmt.var.kind == "temp"
            and uses[stmt.var] == 1
            and stmt.var not in outputs
            and weight[stmt.var] <= _MAX_FOLD
        ):
            inline[stmt.var] = stmt
    return inline


def _render(stmt: Assign, ctx: _Context) -> ast.expr:
    if stmt.prim not in ctx.prims:
        ctx.prims.append(stmt.prim)
    return stmt.prim.render(
        stmt.args, stmt.kwargs, lambda v, index=False: _conv(v, ctx, index)
    )


def _conv(value: Any, ctx: _Context, index: bool = False) -> ast.expr:
    """A nested argument value as an expression."""
    if isinstance(value, Var):
        if value in ctx.inline:
            return _render(ctx.inline[value], ctx)
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


def literal(value: Any) -> ast.expr:
    """A Python or NumPy scalar, dtype or type as an expression."""
    if isinstance(value, np.generic):
        value = value.item()
    if isinstance(value, np.dtype):
        return dotted(f"np.{value.name}")
    if isinstance(value, type) and issubclass(value, np.generic):
        return dotted(f"np.{value.__name__}")
    if isinstance(value, type) and value in (float, int, bool, complex):
        return ast.Name(value.__name__, ast.Load())
    if isinstance(value, float) and not math.isfinite(value):
        node = dotted("np.nan" if math.isnan(value) else "np.inf")
        return ast.UnaryOp(ast.USub(), node) if value < 0 else node
    if isinstance(value, (int, float)) and not isinstance(value, bool) and value < 0:
        return ast.UnaryOp(ast.USub(), literal(-value))
    if isinstance(value, float) and len(repr(value)) > _SHORT_FLOAT:
        square = round(value * value)
        if 1 < square <= _MAX_DENOMINATOR and float(np.sqrt(square)) == value:
            return ast.Call(dotted("np.sqrt"), [ast.Constant(square)], [])
        ratio = fractions.Fraction(value).limit_denominator(_MAX_DENOMINATOR)
        if ratio.numerator / ratio.denominator == value:
            return ast.BinOp(
                ast.Constant(ratio.numerator),
                ast.Div(),
                ast.Constant(ratio.denominator),
            )
    if isinstance(value, complex):
        return _complex(value)
    if isinstance(value, float) and value in _NAMED:
        return dotted(_NAMED[value])
    if isinstance(value, (int, float, str, bytes, bool)) or value is None:
        return ast.Constant(value)
    if value is Ellipsis:
        return ast.Constant(Ellipsis)
    if isinstance(value, np.ndarray):
        return ast.Call(dotted("np.array"), [literal(value.tolist())], [])
    if isinstance(value, (tuple, list)):
        elts = [literal(v) for v in value]
        return (
            ast.Tuple(elts, ast.Load())
            if isinstance(value, tuple)
            else ast.List(elts, ast.Load())
        )
    raise TypeError(f"cannot write {value!r} as Python source")


_NAMED = {float(np.pi): "np.pi", float(np.e): "np.e"}


def _complex(value: complex) -> ast.expr:
    """``2j``, ``-1j``, ``(0.5 - 2j)``: as a person writes complex numbers."""
    imag: ast.expr = ast.Constant(complex(0, abs(value.imag)))
    if value.real == 0:
        return ast.UnaryOp(ast.USub(), imag) if value.imag < 0 else imag
    op = ast.Sub() if value.imag < 0 else ast.Add()
    return ast.BinOp(literal(value.real), op, imag)


def _guard(stmt: Guard, ctx: _Context) -> ast.stmt:
    cond = _conv(stmt.cond, ctx)
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

    Values that cannot be written as literals (functions, objects) are listed
    in the header's specialisation instead.
    """
    out: list[ast.stmt] = []
    for name, value in program.statics.items():
        try:
            expected = literal(value)
        except TypeError:
            continue
        op: ast.cmpop = (
            ast.IsNot() if value is None or isinstance(value, bool) else ast.NotEq()
        )
        test = ast.Compare(ast.Name(name, ast.Load()), [op], [expected])
        what = f"specialised for {name}={value!r}"
        out.append(ast.If(test, [_raise(f"argument {name}", what)], []))
    return out


def _unpack_params(
    program: Program, ctx: _Context, uses: Counter[Var]
) -> list[ast.stmt]:
    """Bind the leaves of container arguments: ``(W1, b1), (W2, b2) = params``."""
    out: list[ast.stmt] = []
    for name, value in program.inputs.items():
        if isinstance(value, Var) or not any(uses[v] for v in walk_vars(value)):
            continue
        if _only_sequences(value):
            target = _target(value, ctx, uses)
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


def _target(value: Any, ctx: _Context, uses: Counter[Var]) -> ast.expr:
    if isinstance(value, Var):
        return ast.Name(ctx.namer.name(value) if uses[value] else "_", ast.Store())
    return ast.Tuple([_target(v, ctx, uses) for v in value], ast.Store())


def _imports(prims: list[Prim]) -> list[str]:
    """Import lines in isort's order: ``import x`` first, then ``from x import``."""
    lines = {line for p in prims for line in p.imports} | {NUMPY}
    return sorted(lines, key=lambda line: (line.startswith("from"), line.split()[1]))


def _imported_names(program: Program) -> set[str]:
    """Names that ``from scipy.special import logsumexp`` and the like bind."""
    lines = {
        line for s in program.stmts if isinstance(s, Assign) for line in s.prim.imports
    }
    names: set[str] = set()
    for line in lines:
        for node in ast.parse(line).body:
            if isinstance(node, (ast.Import, ast.ImportFrom)):
                names.update(a.asname or a.name.split(".")[0] for a in node.names)
    return names


def _helper_names() -> list[str]:
    return [
        name
        for name, fn in inspect.getmembers(helpers, inspect.isfunction)
        if fn.__module__ == helpers.__name__
    ]


def _preamble(ctx: _Context, program: Program) -> list[ast.stmt]:
    out: list[ast.stmt] = []
    for line in _imports(ctx.prims):
        out.extend(ast.parse(line).body)
    for fn in _helpers_needed(ctx.prims):
        out.extend(ast.parse(textwrap.dedent(inspect.getsource(fn))).body)
    if any(isinstance(s, Guard) for s in program.stmts) or program.statics:
        out.extend(ast.parse(_GUARD_SOURCE).body)
    return out


_GUARD_SOURCE = f'''
class {GUARD_CLASS}(RuntimeError):
    """The inputs take another path than the example this code was made for."""

    def __init__(self, where, what):
        super().__init__(f"{{where}}: {{what}}; emit the gradient again for them")
'''


def _helpers_needed(prims: list[Prim]) -> list[Any]:
    """Helpers the code calls, and the helpers those call, in source order."""
    available = dict(inspect.getmembers(helpers, inspect.isfunction))
    needed: set[str] = set()
    todo = [p.helper.__name__ for p in prims if p.helper is not None]
    while todo:
        name = todo.pop()
        if name in needed:
            continue
        needed.add(name)
        tree = ast.parse(textwrap.dedent(inspect.getsource(available[name])))
        todo.extend(
            n.id
            for n in ast.walk(tree)
            if isinstance(n, ast.Name) and n.id in available
        )
    ordered = sorted(needed, key=lambda n: inspect.getsourcelines(available[n])[1])
    return [available[n] for n in ordered]
