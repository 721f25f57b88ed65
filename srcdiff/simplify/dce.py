"""Dead-code elimination: keep only what the outputs and guards read."""

from __future__ import annotations

from ..ir import Assign, Guard, Program, stmt_inputs, walk_vars


def eliminate_dead_code(program: Program) -> Program:
    """Drop every ``Assign`` whose result no output, guard or live statement reads."""
    live = set(walk_vars(program.output))
    kept = []
    for stmt in reversed(program.stmts):
        if isinstance(stmt, Guard) or (isinstance(stmt, Assign) and stmt.var in live):
            live.update(stmt_inputs(stmt))
            kept.append(stmt)
    kept.reverse()
    start = program.backward_start
    if start is not None:
        forward = set(map(id, program.stmts[:start]))
        start = sum(1 for s in kept if id(s) in forward)
    program.stmts = kept
    program.backward_start = start
    return program
