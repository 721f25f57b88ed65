"""Clean-up passes over a whole program, run in a fixed order.

Local identities (``x * 1``, scalar broadcasts, reductions that shapes make
unnecessary) are applied as statements are built (``builder``, ``trace``);
what needs the whole program lives here. ``fold`` is no clean-up: it plans,
leaving the program as it is, which values emit writes out where they are
read rather than naming them, and emit runs it.
"""

from __future__ import annotations

from srcdiff.ir.nodes import Program
from srcdiff.simplify.dce import eliminate_dead_code


def run(program: Program) -> Program:
    return eliminate_dead_code(program)
