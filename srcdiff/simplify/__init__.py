"""Clean-ups of the IR: peephole identities and whole-program passes.

Local identities are a peephole the builder (``srcdiff.trace.builder``) calls
as it binds each statement: ``algebra`` (``x * 1``, ``--x``, number factors
and minus signs that cancel), ``terms`` (like terms: ``a + a`` is ``2 * a``),
``factoring`` (common factors: ``a / s - b / s`` is ``(a - b) / s``),
``fills`` (scalar broadcasts), ``logsumexp`` (SciPy's, as NumPy), ``sigmoid``
(``1 / (1 + np.exp(-z))`` as one statement) and ``cancel`` (gradients'
products that cancel divisions). ``run`` applies what needs the whole program,
in a fixed order: SciPy's ``logsumexp`` kept where a call needs it
(``logsumexp.one_logsumexp``), solves by a matrix the program inverts anyway
become products (``inverses``), a large Cholesky factor's inverse a
triangular one (``triangular``), dead-code elimination (``dce``), then
what a loop's trips compute alike moves in front of the loop (``hoist``).
``fold`` is no clean-up: it plans, leaving the program as it is, which values
emit writes out where they are read rather than naming them, and emit runs it.
"""

from __future__ import annotations

from srcdiff.ir.nodes import Program
from srcdiff.simplify.dce import eliminate_dead_code
from srcdiff.simplify.hoist import hoist_invariants
from srcdiff.simplify.inverses import reuse_inverses
from srcdiff.simplify.logsumexp import one_logsumexp
from srcdiff.simplify.triangular import triangular_inverses


def run(program: Program) -> Program:
    program = triangular_inverses(reuse_inverses(one_logsumexp(program)))
    program = eliminate_dead_code(program)
    return hoist_invariants(program)
