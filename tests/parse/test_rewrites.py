"""The parse stage's AST rewrites, read back as source.

``return`` inside a loop and ``break`` in a loop that stays rolled are
rewritten before tracing, so that the tracer sees only ``if``s; what the
rewrite makes must read (and run) like the original.
"""

from __future__ import annotations

import ast
import textwrap

from srcdiff.parse import jumps, returns
from srcdiff.parse.source import parse


def first_negative(x):
    for i in range(3):
        if x[i] < 0:
            return x[i]
    return x[0]


def straight(x):
    y = x * 2
    return y


def test_a_return_in_a_loop_becomes_a_flag_and_a_break():
    rewritten = returns.single_exit(parse(first_negative).node)
    assert ast.unparse(rewritten) == textwrap.dedent(
        """\
        def first_negative(x):
            returned = False
            for i in range(3):
                if x[i] < 0:
                    returned = True
                    break
            if returned:
                return x[i]
            else:
                return x[0]"""
    )


def test_a_function_without_a_return_in_a_loop_is_left_as_it_is():
    node = parse(straight).node
    assert returns.single_exit(node) is node


def _loop_body(source: str) -> list[ast.stmt]:
    loop = ast.parse(textwrap.dedent(source)).body[0]
    assert isinstance(loop, ast.For)
    return loop.body


def test_break_sets_the_flag_and_the_rest_of_the_trip_moves_to_the_else():
    body = _loop_body(
        """\
        for i in range(5):
            if x[i] > 3:
                break
            t = t + x[i]
        """
    )
    assert jumps.has_jumps(body)
    rewritten, uses_flag = jumps.without_jumps(body, "stopped")
    assert uses_flag
    assert ast.unparse(rewritten) == textwrap.dedent(
        """\
        if x[i] > 3:
            stopped = True
        else:
            t = t + x[i]"""
    )


def test_continue_moves_the_rest_of_the_trip_into_the_else_without_a_flag():
    body = _loop_body(
        """\
        for i in range(5):
            if x[i] > 3:
                continue
            t = t + x[i]
        """
    )
    rewritten, uses_flag = jumps.without_jumps(body, "stopped")
    assert not uses_flag
    assert "stopped" not in ast.unparse(rewritten)
    assert "t = t + x[i]" in ast.unparse(rewritten.pop().orelse[0])


def test_a_nested_loop_keeps_its_own_jumps():
    body = _loop_body(
        """\
        for i in range(5):
            for j in range(2):
                break
            t = t + x[i]
        """
    )
    assert not jumps.has_jumps(body)


def test_the_flag_name_avoids_names_in_use():
    assert jumps.flag_name(set()) == "stopped"
    assert jumps.flag_name({"stopped"}) != "stopped"
