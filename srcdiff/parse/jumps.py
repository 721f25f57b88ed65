"""``break`` and ``continue`` in a loop that stays rolled, as plain ``if``s.

A rolled loop's body is traced once, so a jump out of it cannot be followed
while tracing. The body is rewritten first: what follows ``if c: continue``
moves into that if's ``else``, and ``break`` sets a flag: what follows it in
the trip moves into the other arm, and the loop ends after a trip that set
it (a ``for`` with ``if stopped: break`` as the trip's last statement, a
``while`` with ``while not stopped and ...``), so the forward loop runs the
trips Python would and the backward loop only those. The ifs then trace
like any other ``if`` on a value.
"""

from __future__ import annotations

import ast
import copy

STOP = "stopped"


def has_jumps(stmts: list[ast.stmt]) -> bool:
    """Whether ``break`` or ``continue`` of this loop occurs in ``stmts``."""
    return any(_jumps(stmt) for stmt in stmts)


def _jumps(node: ast.AST) -> bool:
    if isinstance(node, (ast.Break, ast.Continue)):
        return True
    if isinstance(node, (ast.For, ast.While, ast.FunctionDef, ast.Lambda)):
        return False  # their jumps are their own
    return any(_jumps(child) for child in ast.iter_child_nodes(node))


def without_jumps(body: list[ast.stmt], flag: str) -> tuple[list[ast.stmt], bool]:
    """The body rewritten without jumps, and whether it sets the stop flag
    (the loop then ends after a trip that sets it)."""
    uses_flag = False

    def rewrite(block: list[ast.stmt]) -> list[ast.stmt]:
        nonlocal uses_flag
        out: list[ast.stmt] = []
        for i, stmt in enumerate(block):
            if isinstance(stmt, ast.Continue):
                return out
            if isinstance(stmt, ast.Break):
                uses_flag = True
                stop = ast.Assign([ast.Name(flag, ast.Store())], ast.Constant(True))
                return [*out, ast.copy_location(stop, stmt)]
            if isinstance(stmt, ast.If) and _jumps(stmt):
                rest = block[i + 1 :]
                then = rewrite([*stmt.body, *copy.deepcopy(rest)])
                orelse = rewrite([*stmt.orelse, *rest])
                branch = ast.If(stmt.test, then or [ast.Pass()], orelse)
                return [*out, ast.copy_location(branch, stmt)]
            out.append(stmt)
        return out

    new = rewrite(copy.deepcopy(body))
    return ast.fix_missing_locations(ast.Module(new, [])).body, uses_flag


def flag_name(taken: set[str]) -> str:
    name, n = STOP, 2
    while name in taken:
        name, n = f"{STOP}_{n}", n + 1
    return name
