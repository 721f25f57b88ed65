"""Clean-ups of the IR: peephole identities and whole-program passes.

Local identities are a peephole the builder (``srcdiff.trace.builder``) calls
as it binds each statement: ``algebra`` (``x * 1``, ``--x``, number factors
and minus signs that cancel), ``terms`` (like terms: ``a + a`` is ``2 * a``),
``factoring`` (common factors: ``a / s - b / s`` is ``(a - b) / s``) and
``fills`` (scalar broadcasts). ``run`` applies
what needs the whole program, in a fixed order: dead-code elimination (``dce``).
``fold`` is no clean-up: it plans, leaving the program as it is, which values
emit writes out where they are read rather than naming them, and emit runs it.
"""

from __future__ import annotations

from srcdiff.ir.nodes import Program
from srcdiff.simplify.dce import eliminate_dead_code


def run(program: Program) -> Program:
    return eliminate_dead_code(program)
