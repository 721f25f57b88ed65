"""Clean-ups of the IR: peephole identities and whole-program passes.

Local identities are a peephole the builder (``srcdiff.trace.builder``) calls
as it binds each statement: ``algebra`` (``x * 1``, ``--x``, number factors
and minus signs that cancel) and ``fills`` (scalar broadcasts). ``run`` applies
what needs the whole program, in a fixed order: solves by a matrix the program
inverts anyway become products (``inverses``), then dead-code elimination
(``dce``).
``fold`` is no clean-up: it plans, leaving the program as it is, which values
emit writes out where they are read rather than naming them, and emit runs it.
"""

from __future__ import annotations

from srcdiff.ir.nodes import Program
from srcdiff.simplify.dce import eliminate_dead_code
from srcdiff.simplify.inverses import reuse_inverses


def run(program: Program) -> Program:
    return eliminate_dead_code(reuse_inverses(program))
