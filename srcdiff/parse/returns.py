"""``return`` inside a loop, rewritten so that the loop can stay rolled.

``for ...: ... if c: return v`` becomes ``for ...: ... if c: returned = True;
break`` followed by ``if returned: return v`` after the loop, and the code
after an ``if`` that may return moves into both of its arms. The ``if``s then
trace like any other: each arm ends in a ``return``, and an ``if`` on a value
merges what the two arms return. Functions without a return in a loop are
left as they are.
"""

from __future__ import annotations

import ast
import copy
import functools

FLAG = "returned"


def _returns(node: ast.AST) -> bool:
    """Whether a ``return`` of this function occurs in ``node``."""
    if isinstance(node, ast.Return):
        return True
    if isinstance(node, (ast.FunctionDef, ast.Lambda)):
        return False
    return any(_returns(child) for child in ast.iter_child_nodes(node))


def _loop_returns(node: ast.AST) -> bool:
    """Whether a loop in ``node`` holds a ``return`` of this function."""
    if isinstance(node, (ast.For, ast.While)):
        return any(_returns(s) for s in node.body)
    if isinstance(node, (ast.FunctionDef, ast.Lambda)):
        return False
    return any(_loop_returns(child) for child in ast.iter_child_nodes(node))


@functools.lru_cache(maxsize=256)
def single_exit(node: ast.FunctionDef) -> ast.FunctionDef:
    """``node`` with each return inside a loop moved after it (cached per node)."""
    if not any(_loop_returns(stmt) for stmt in node.body):
        return node
    new = copy.deepcopy(node)
    taken: set[str] = {n.id for n in ast.walk(node) if isinstance(n, ast.Name)}
    new.body = _block(new.body, taken)
    return ast.fix_missing_locations(new)


def _block(stmts: list[ast.stmt], taken: set[str]) -> list[ast.stmt]:
    out: list[ast.stmt] = []
    for i, stmt in enumerate(stmts):
        rest = stmts[i + 1 :]
        if isinstance(stmt, ast.Return):
            return [*out, stmt]
        if isinstance(stmt, (ast.For, ast.While)) and any(map(_returns, stmt.body)):
            stmt.body = _block(stmt.body, taken)
            sites: list[tuple[str, ast.Return]] = []
            stmt.body = _flag_returns(stmt.body, sites, taken)
            starts = [_assign(flag, False, stmt) for flag, _ in sites]
            after = _block(rest, taken)
            for flag, ret in reversed(sites):
                test = ast.copy_location(ast.Name(flag, ast.Load()), ret)
                after = [ast.copy_location(ast.If(test, [ret], after), ret)]
            return [*out, *starts, stmt, *after]
        if isinstance(stmt, ast.If) and _returns(stmt) and rest:
            stmt.body = _block([*stmt.body, *copy.deepcopy(rest)], taken)
            stmt.orelse = _block([*stmt.orelse, *rest], taken)
            return [*out, stmt]
        if isinstance(stmt, ast.If) and _returns(stmt):
            stmt.body = _block(stmt.body, taken)
            stmt.orelse = _block(stmt.orelse, taken)
        out.append(stmt)
    return out


def _flag_returns(
    stmts: list[ast.stmt], sites: list[tuple[str, ast.Return]], taken: set[str]
) -> list[ast.stmt]:
    """Each ``return v`` of the loop body (not of loops inside it): set its
    flag and break; ``v`` is evaluated after the loop."""
    out: list[ast.stmt] = []
    for stmt in stmts:
        if isinstance(stmt, ast.Return):
            flag = _fresh(taken)
            sites.append((flag, stmt))
            out += [_assign(flag, True, stmt), ast.copy_location(ast.Break(), stmt)]
            return out
        if isinstance(stmt, ast.If):
            stmt.body = _flag_returns(stmt.body, sites, taken)
            stmt.orelse = _flag_returns(stmt.orelse, sites, taken)
        out.append(stmt)
    return out


def _fresh(taken: set[str]) -> str:
    name, n = FLAG, 2
    while name in taken:
        name, n = f"{FLAG}_{n}", n + 1
    taken.add(name)
    return name


def _assign(name: str, value: bool, where: ast.AST) -> ast.stmt:
    node = ast.Assign([ast.Name(name, ast.Store())], ast.Constant(value))
    return ast.copy_location(node, where)
