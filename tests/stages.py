"""Run srcdiff's stages one at a time, for tests that read one stage's output.

End-to-end goldens show what a user gets; these show where it came from:
the forward IR the tracer builds, what the reverse stage appends to it, and
what the clean-up passes leave.
"""

from __future__ import annotations

from typing import Any

from srcdiff import simplify
from srcdiff.ir.nodes import Program, Var, dump, walk_vars
from srcdiff.parse.source import parse
from srcdiff.reverse.backprop import gradients
from srcdiff.reverse.context import Context
from srcdiff.trace.builder import Builder
from srcdiff.trace.tracer import Tracer


def traced(fn: Any, **example: Any) -> tuple[Tracer, dict[str, Var], Any]:
    """The tracer after running ``fn`` on ``example``, its inputs and output."""
    tracer = Tracer(Builder())
    inputs = {name: Var(name, value, kind="param") for name, value in example.items()}
    output = tracer.run_top(parse(fn), inputs)
    return tracer, inputs, output


def program(fn: Any, wrt: tuple[str, ...] = (), **example: Any) -> Program:
    """``fn`` traced on ``example``, with the adjoint sweep for ``wrt`` if given."""
    tracer, inputs, output = traced(fn, **example)
    stmts = tracer.builder.stmts
    backward_start = None
    result = output
    if wrt:
        backward_start = len(stmts)
        context = Context(tracer.builder, tracer.run_rule)
        grads = gradients(context, output, [inputs[name] for name in wrt])
        result = tuple(grads)
    return Program(fn.__name__, list(inputs), inputs, stmts, result, {}, backward_start)


def forward(fn: Any, **example: Any) -> str:
    """The trace stage's output, as text."""
    return dump(program(fn, **example))


def with_adjoint(fn: Any, wrt: tuple[str, ...], **example: Any) -> str:
    """The reverse stage's output (forward, then the adjoint sweep), as text."""
    return dump(program(fn, wrt, **example))


def simplified(fn: Any, wrt: tuple[str, ...], **example: Any) -> str:
    """What the simplify stage leaves of the reverse stage's output."""
    return dump(simplify.run(program(fn, wrt, **example)))


def inputs_of(prog: Program) -> list[Var]:
    return list(walk_vars(prog.inputs))
