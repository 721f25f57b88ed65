"""Reject syntax srcdiff cannot differentiate, before any other work.

The fence is an allowlist: every statement and expression the tracer does not
handle raises ``UnsupportedSyntax``, so nothing is skipped silently (a skipped
construct would mean a wrong gradient). Of several problems, the first in the
source is reported, at its own line and column, with what to write instead.
"""

from __future__ import annotations

import ast
from collections.abc import Iterator

from srcdiff.errors import UnsupportedSyntax
from srcdiff.parse.source import Source

# What trace.Tracer has an exec_ or eval_ method for (a test keeps them equal).
STATEMENTS: frozenset[type[ast.stmt]] = frozenset(
    {
        ast.Expr,
        ast.Pass,
        ast.Assign,
        ast.AnnAssign,
        ast.AugAssign,
        ast.If,
        ast.For,
        ast.While,
        ast.Return,
        ast.Break,
        ast.Continue,
        ast.FunctionDef,
        ast.Raise,
        ast.Assert,
    }
)
# Starred and FormattedValue are handled inside the tracer's sequence, call and
# f-string code rather than by methods of their own.
EXPRESSIONS: frozenset[type[ast.expr]] = frozenset(
    {
        ast.Constant,
        ast.Name,
        ast.Attribute,
        ast.Subscript,
        ast.Slice,
        ast.Tuple,
        ast.List,
        ast.Dict,
        ast.BinOp,
        ast.UnaryOp,
        ast.Compare,
        ast.BoolOp,
        ast.IfExp,
        ast.Lambda,
        ast.JoinedStr,
        ast.FormattedValue,
        ast.ListComp,
        ast.GeneratorExp,
        ast.DictComp,
        ast.Call,
        ast.Starred,
        ast.Yield,
        ast.YieldFrom,
    }
)

_HINTS: dict[type[ast.AST], tuple[str, str]] = {
    ast.Try: (
        "`try` blocks",
        "Move error handling out of the differentiated function.",
    ),
    ast.With: (
        "`with` blocks",
        "Call the function inside the `with` block instead of the other way round.",
    ),
    ast.AsyncWith: ("`async with`", "Differentiate a plain synchronous function."),
    ast.AsyncFunctionDef: ("async functions", "Use a plain `def`."),
    ast.AsyncFor: ("`async for`", "Use a plain `for` loop."),
    ast.Await: ("`await`", "Differentiate a plain synchronous function."),
    ast.Global: ("`global`", "Pass the value in as an argument."),
    ast.Nonlocal: ("`nonlocal`", "Return the value instead of rebinding it."),
    ast.ClassDef: ("class definitions", "Define the class outside the function."),
    ast.Import: ("imports inside the function", "Import at module level."),
    ast.ImportFrom: ("imports inside the function", "Import at module level."),
    ast.Delete: ("`del`", "Leave the name bound, or rebind it."),
    ast.Match: ("`match` statements", "Use `if`/`elif`."),
    ast.NamedExpr: (
        "the walrus operator `:=`",
        "Assign on a line of its own, then use the name.",
    ),
    ast.Set: ("set literals", "Use a tuple or list (set order is not fixed)."),
    ast.SetComp: ("set comprehensions", "Use a list comprehension."),
}
if hasattr(ast, "TryStar"):
    _HINTS[ast.TryStar] = ("`try`/`except*` blocks", _HINTS[ast.Try][1])
if hasattr(ast, "TypeAlias"):
    _HINTS[ast.TypeAlias] = ("`type` aliases", "Define the alias at module level.")

_GENERIC_HINT = "Write it with assignments, if/for/while, calls and comprehensions."
_TARGET_HINT = (
    "Assign into an array on a line of its own, `A[i] = v`, with `A` a local "
    "name; or build a new value, e.g. `x = np.where(mask, 0, x)`."
)
# Fields that Python evaluates (or ignores) without the tracer's help.
_UNTRACED_FIELDS = frozenset({"annotation", "returns", "type_comment"})


def check(source: Source, differentiated: bool = False) -> None:
    """Raise ``UnsupportedSyntax`` at the first unsupported construct. The
    function being differentiated must return its value; a generator it calls
    runs to its end while tracing (its loops unrolled)."""
    problems = sorted(
        [*_problems(source), *(_yields(source) if differentiated else ())],
        key=lambda p: (p[0].lineno, p[0].col_offset, p[1]),
    )
    if problems:
        node, message, hint = problems[0]
        raise UnsupportedSyntax(message, source.loc(node), hint)


_Problem = tuple[ast.expr | ast.stmt | ast.arg, str, str]


def _problems(source: Source) -> Iterator[_Problem]:
    for node in _walk(source.node, source.node):
        if isinstance(node, (ast.stmt, ast.expr)):
            yield from _node_problems(node)
        if isinstance(node, (ast.FunctionDef, ast.Lambda)) and node is not source.node:
            yield from _nested_function_problems(node)
        yield from _assignment_problems(node)


def _yields(source: Source) -> Iterator[_Problem]:
    for node in yields_in(source.node):
        yield (
            node,
            "srcdiff does not differentiate a generator (`yield`)",
            "Return the value instead of yielding it; generators the "
            "function calls are fine.",
        )


def yields_in(node: ast.FunctionDef | ast.Lambda) -> list[ast.Yield | ast.YieldFrom]:
    """The function's own ``yield``s: not those of functions inside it."""
    found: list[ast.Yield | ast.YieldFrom] = []
    todo: list[ast.AST] = [node.body] if isinstance(node, ast.Lambda) else [*node.body]
    while todo:
        child = todo.pop()
        if isinstance(child, (ast.Yield, ast.YieldFrom)):
            found.append(child)
        elif not isinstance(child, (ast.FunctionDef, ast.Lambda, ast.ClassDef)):
            todo.extend(ast.iter_child_nodes(child))
    return found


def _walk(node: ast.AST, top: ast.AST) -> Iterator[ast.AST]:
    """Every node the tracer will evaluate: not annotations, and not the
    outer function's parameter defaults (Python evaluated those already)."""
    yield node
    for field, value in ast.iter_fields(node):
        if field in _UNTRACED_FIELDS or (node is top and field == "args"):
            continue
        children = value if isinstance(value, list) else [value]
        for child in children:
            if isinstance(child, ast.AST):
                yield from _walk(child, top)


def _node_problems(node: ast.stmt | ast.expr) -> Iterator[_Problem]:
    allowed = STATEMENTS if isinstance(node, ast.stmt) else EXPRESSIONS
    if type(node) in allowed:
        return
    kind = "statements" if isinstance(node, ast.stmt) else "expressions"
    what, hint = _HINTS.get(
        type(node), (f"`{type(node).__name__}` {kind}", _GENERIC_HINT)
    )
    yield node, f"srcdiff does not support {what}", hint


def _nested_function_problems(
    node: ast.FunctionDef | ast.Lambda,
) -> Iterator[_Problem]:
    """Inner functions run in the tracer: no keyword-only parameters."""
    where = "lambdas" if isinstance(node, ast.Lambda) else "nested functions"
    if isinstance(node, ast.FunctionDef) and node.decorator_list:
        yield (
            node.decorator_list[0],
            ("srcdiff does not support decorators on nested functions"),
            "Define the decorated function at module level.",
        )
    args = node.args
    if args.kwonlyargs:
        first = args.kwonlyargs[0]
        yield (
            first,
            (f"srcdiff does not support keyword-only parameters in {where}"),
            f"Make `{first.arg}` an ordinary parameter, before the `*`.",
        )


def _assignment_problems(node: ast.AST) -> Iterator[_Problem]:
    """Names, tuples or lists of names, and ``A[...]`` on a local array."""
    if isinstance(node, (ast.Assign, ast.AugAssign)):
        targets = node.targets if isinstance(node, ast.Assign) else [node.target]
        for target in targets:
            if not _item_of_a_name(target):
                yield from _target_problems(target)
    elif isinstance(node, (ast.AnnAssign, ast.For, ast.comprehension)):
        yield from _target_problems(node.target)


def _item_of_a_name(target: ast.expr) -> bool:
    """``A[i, j] = x``: traced as an updated copy of ``A``; ``xs[t][i] = x``:
    of the array a list or dict holds."""
    if not isinstance(target, ast.Subscript):
        return False
    inner = target.value
    if isinstance(inner, ast.Subscript):
        inner = inner.value
    return isinstance(inner, ast.Name)


def _target_problems(target: ast.expr) -> Iterator[_Problem]:
    if isinstance(target, (ast.Tuple, ast.List)):
        for elt in target.elts:
            yield from _target_problems(elt)
    elif isinstance(target, ast.Subscript):
        yield (
            target,
            (f"srcdiff does not support assigning into `{ast.unparse(target)}` here"),
            _TARGET_HINT,
        )
    elif isinstance(target, ast.Attribute):
        yield (
            target,
            ("srcdiff does not support assigning to an attribute"),
            "Bind the value to a local name instead.",
        )
    elif isinstance(target, ast.Starred):
        yield (
            target,
            "srcdiff does not support starred assignment targets",
            ("Unpack by index instead, e.g. `first, rest = xs[0], xs[1:]`."),
        )
