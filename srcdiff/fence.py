"""Reject syntax srcdiff cannot differentiate, before any other work.

A construct that is skipped instead of rejected would give a wrong gradient,
so everything outside the supported subset raises ``UnsupportedSyntax`` at its
own line and column, with what to write instead.
"""

from __future__ import annotations

import ast

from .errors import UnsupportedSyntax
from .parse import Source

_HINTS: dict[type[ast.AST], tuple[str, str]] = {
    ast.Try: (
        "`try` blocks",
        "Move error handling out of the differentiated function.",
    ),
    ast.With: ("`with` blocks", "Open files or contexts outside the function."),
    ast.AsyncWith: ("`async with`", "Differentiate a plain synchronous function."),
    ast.AsyncFunctionDef: ("async functions", "Use a plain `def`."),
    ast.AsyncFor: ("`async for`", "Use a plain `for` loop."),
    ast.Await: ("`await`", "Differentiate a plain synchronous function."),
    ast.Yield: ("generators (`yield`)", "Return the value instead of yielding it."),
    ast.YieldFrom: ("generators (`yield from`)", "Return the value instead."),
    ast.Global: ("`global`", "Pass the value in as an argument."),
    ast.Nonlocal: ("`nonlocal`", "Return the value instead of rebinding it."),
    ast.ClassDef: ("class definitions", "Define the class outside the function."),
    ast.Import: ("imports inside the function", "Import at module level."),
    ast.ImportFrom: ("imports inside the function", "Import at module level."),
    ast.Delete: ("`del`", "Leave the name bound, or rebind it."),
    ast.Match: ("`match` statements", "Use `if`/`elif`."),
    ast.NamedExpr: ("the walrus operator `:=`", "Assign on a line of its own."),
    ast.Set: ("set literals", "Use a tuple or list (set order is not fixed)."),
    ast.SetComp: ("set comprehensions", "Use a list comprehension."),
}
if hasattr(ast, "TryStar"):
    _HINTS[ast.TryStar] = _HINTS[ast.Try]

_TARGET_HINT = (
    "Write a functional update instead, e.g. `x = np.where(mask, 0, x)` or "
    "build a new array with np.concatenate / np.stack."
)


def check(source: Source) -> None:
    """Raise ``UnsupportedSyntax`` at the first unsupported construct."""
    for node in ast.walk(source.node):
        entry = _HINTS.get(type(node))
        if entry:
            what, hint = entry
            raise UnsupportedSyntax(
                f"srcdiff does not support {what}", source.loc(node), hint
            )
        targets: list[ast.expr] = []
        if isinstance(node, ast.Assign):
            targets = node.targets
        elif isinstance(
            node, (ast.AugAssign, ast.AnnAssign, ast.For, ast.comprehension)
        ):
            targets = [node.target]
        for target in targets:
            _check_target(source, target)


def _check_target(source: Source, target: ast.expr) -> None:
    if isinstance(target, (ast.Tuple, ast.List)):
        for elt in target.elts:
            _check_target(source, elt)
    elif isinstance(target, ast.Subscript):
        raise UnsupportedSyntax(
            "srcdiff does not yet support assignment into an array element",
            source.loc(target),
            _TARGET_HINT,
        )
    elif isinstance(target, ast.Attribute):
        raise UnsupportedSyntax(
            "srcdiff does not support assigning to an attribute",
            source.loc(target),
            "Bind the value to a local name instead.",
        )
    elif isinstance(target, ast.Starred):
        raise UnsupportedSyntax(
            "srcdiff does not support starred assignment targets",
            source.loc(target),
            "Unpack by index instead, e.g. `first, rest = xs[0], xs[1:]`.",
        )
