"""fence.check on small inline functions: one call per construct, pyflakes style.

A rejected construct must raise UnsupportedSyntax at its own line and column
(1-based, as messages print them); a supported one must pass untouched.
"""

import ast
import copy
import dataclasses
import hashlib
import linecache
import textwrap

import numpy as np
import pytest

from srcdiff.errors import UnsupportedSyntax
from srcdiff.parse import fence
from srcdiff.parse.source import Source, parse
from srcdiff.trace.tracer import Tracer


def source(text: str) -> Source:
    """Parse the function ``f`` defined by ``text``, as srcdiff parses user code.

    The text is registered in linecache (as IPython does for notebook cells),
    so ``inspect`` finds it like the source of a function in a file.
    """
    text = textwrap.dedent(text).lstrip("\n")
    name = f"<snippet {hashlib.sha1(text.encode()).hexdigest()[:12]}>"
    linecache.cache[name] = (len(text), None, text.splitlines(True), name)
    namespace = {"np": np}
    exec(compile(text, name, "exec"), namespace)
    return parse(namespace["f"])


def rejected(text: str) -> tuple[str, str]:
    """``("line:col", message)`` of the error ``fence.check`` raises on the
    function being differentiated."""
    src = source(text)
    with pytest.raises(UnsupportedSyntax) as info:
        fence.check(src, differentiated=True)
    loc = info.value.loc
    assert loc is not None
    assert loc.file == src.file
    return f"{loc.line}:{loc.col + 1}", info.value.message


def position(text: str) -> str:
    """Just the ``line:col`` of the error."""
    return rejected(text)[0]


def accepted(text: str) -> None:
    fence.check(source(text))


# ----- Rejected, each at its own position -----
def test_try():
    assert rejected("""
        def f(x):
            try:
                y = np.log(x)
            except ValueError:
                y = x
            return y
        """) == ("2:5", "srcdiff does not support `try` blocks")


def test_with():
    assert rejected("""
        def f(x):
            with np.errstate(all="ignore"):
                return np.log(x)
        """) == ("2:5", "srcdiff does not support `with` blocks")


def test_yield():
    assert rejected("""
        def f(x):
            y = 2 * x
            yield y
        """) == ("3:5", "srcdiff does not differentiate a generator (`yield`)")


def test_yield_from():
    assert position("def f(x):\n    yield from x\n") == "2:5"


def test_a_generator_the_function_calls_passes():
    # Only the differentiated function must return its value.
    fence.check(source("def f(x):\n    yield 2 * x\n"))


def test_global():
    assert rejected("def f(x):\n    global SCALE\n    return SCALE * x\n") == (
        "2:5",
        "srcdiff does not support `global`",
    )


def test_nonlocal():
    assert rejected("""
        def f(x):
            total = x
            def add(y):
                nonlocal total
                total = total + y
            add(x)
            return total
        """) == ("4:9", "srcdiff does not support `nonlocal`")


def test_index_assignment_on_a_name_is_allowed():
    accepted("def f(A, x):\n    A[0] = x\n    A[:, 1] += x\n    return A\n")


def test_index_assignment_inside_an_unpacking():
    assert rejected("def f(A, x):\n    y, A[1:] = x, x\n    return A\n") == (
        "2:8",
        "srcdiff does not support assigning into `A[1:]` here",
    )


def test_index_assignment_into_an_expression():
    assert position("def f(A, x):\n    A.T[0] = x\n    return A\n") == "2:5"


def test_index_assignment_as_a_loop_target():
    assert position("def f(A, x):\n    for A[0] in x:\n        pass\n") == "2:9"


def test_attribute_assignment():
    assert rejected("def f(x):\n    x.shape = (3, 1)\n    return x\n") == (
        "2:5",
        "srcdiff does not support assigning to an attribute",
    )


def test_starred_assignment():
    assert rejected("def f(xs):\n    first, *rest = xs\n    return first\n") == (
        "2:12",
        "srcdiff does not support starred assignment targets",
    )


def test_walrus():
    assert rejected("def f(x):\n    return np.sum(y := x) + y\n") == (
        "2:19",
        "srcdiff does not support the walrus operator `:=`",
    )


def test_match():
    assert rejected("""
        def f(x, kind):
            match kind:
                case "sum":
                    return np.sum(x)
            return np.mean(x)
        """) == ("2:5", "srcdiff does not support `match` statements")


def test_set_literal():
    assert position("def f(x):\n    return len({x, 1})\n") == "2:16"


def test_set_comprehension():
    assert position("def f(x):\n    return len({v for v in x})\n") == "2:16"


def test_del():
    assert position("def f(x):\n    y = x\n    del y\n    return x\n") == "3:5"


def test_import_inside():
    assert position("def f(x):\n    import math\n    return x\n") == "2:5"


def test_class_inside():
    assert rejected("def f(x):\n    class C:\n        pass\n    return x\n") == (
        "2:5",
        "srcdiff does not support class definitions",
    )


def test_async_function():
    assert rejected("async def f(x):\n    return x\n") == (
        "1:1",
        "srcdiff does not support async functions",
    )


def test_decorator_on_a_nested_function():
    assert rejected("""
        def f(x):
            @np.vectorize
            def g(y):
                return y
            return g(x)
        """) == ("2:6", "srcdiff does not support decorators on nested functions")


def test_varargs_and_kwargs_of_nested_functions_pass():
    # The tracer binds them as a tuple and a dict (tests/trace/test_varargs.py).
    fence.check(
        source("def f(x):\n    def g(*ys):\n        return ys[0]\n    return g(x)\n")
    )
    fence.check(source("def f(x):\n    g = lambda **kw: kw\n    return x\n"))


def test_keyword_only_parameter_on_a_nested_function():
    assert rejected(
        "def f(x):\n    def g(y, *, k=2):\n        return k * y\n    return g(x)\n"
    ) == (
        "2:17",
        "srcdiff does not support keyword-only parameters in nested functions",
    )


def test_defaults_of_nested_functions_are_checked():
    text = "def f(x):\n    def g(y=(z := 1)):\n        return y\n    return x\n"
    assert position(text) == "2:14"


def test_column_counts_characters_not_bytes():
    # ast gives UTF-8 byte offsets; "é" is two bytes but one column.
    assert position("def f(x):\n    é = 1.0; x.flags = é\n    return x\n") == "2:14"


def test_nested_function_is_located_in_its_file():
    outer = source("""
        def f():
            def inner(x):
                x.flags = None
                return x
            return inner
        """)
    with pytest.raises(UnsupportedSyntax) as info:
        fence.check(parse(outer.fn()))
    assert str(info.value).startswith(f"{outer.file}:3:9: ")


def test_the_first_problem_in_the_source_is_reported():
    # A breadth-first walk would meet the `global` (a statement of the body)
    # before the walrus (deep inside an expression) that comes first.
    assert (
        position("""
        def f(x):
            y = np.sum((z := x))
            global SCALE
            return y
        """)
        == "2:17"
    )


def test_the_first_problem_in_the_source_even_against_field_order():
    # An IfExp lists its test before its body: the walrus still comes first.
    assert position("def f(x):\n    return np.sum(y := x) if len({1}) else x\n") == (
        "2:19"
    )


# ----- Accepted -----
@pytest.mark.parametrize(
    "text",
    [
        "def f(x):\n    if x > 0:\n        return x\n    else:\n        return -x\n",
        "def f(x):\n    y = x\n    for i in range(3):\n        y = y * x\n"
        "    return y\n",
        "def f(x):\n    i = 0\n    while i < 3:\n        i += 1\n    return x\n",
        "def f(x):\n    for i in range(3):\n        if i:\n            break\n"
        "        continue\n    else:\n        pass\n    return x\n",
        "def f(x):\n    def g(y, k=2):\n        return k * y\n    return g(x)\n",
        "def f(x):\n    g = lambda a, b=1: a * b\n    return g(x)\n",
        "def f(x):\n    return sum([v * v for v in x if v is not None])\n",
        "def f(x):\n    return {k: v for k, v in zip('ab', x)}['a']\n",
        "def f(x):\n    return np.sum(np.stack(tuple(v for v in x)))\n",
        "def f(x):\n    y = x\n    y += 1\n    y *= x\n    return y\n",
        "def f(params):\n    (W, b), c = params\n    return W * b + c\n",
        "def f(x):\n    a, b = x, 2 * x\n    [c, d] = [a, b]\n    return c + d\n",
        "def f(x):\n    if x is None:\n        return 0.0\n    return x\n",
        "def f(x):\n    if x.ndim != 1:\n        raise ValueError('1-d only')\n"
        "    assert x.shape[0] > 0, 'empty'\n    return x\n",
        "def f(x, *, scale=1.0):\n    return scale * x\n",
        "def f(x):\n    y: float = 2 * x\n    return y\n",
        "def f(x):\n    n = len(x)\n    return f'{n:d}' and x[::-1] + x[..., 0]\n",
        "def f(x):\n    return np.sum(x, **{'axis': 0}) + np.maximum(*[x, 0])\n",
        "def f(x):\n    return x if x.ndim else -x\n",
        "def f(x):\n    '''Docstring.'''\n    return not x or x and x\n",
        "f = lambda x: x * x\n",
    ],
    ids=[
        "if-else",
        "for",
        "while",
        "break-continue-else",
        "nested-def",
        "lambda",
        "list-comprehension",
        "dict-comprehension",
        "generator",
        "augassign-to-name",
        "nested-unpacking",
        "list-unpacking",
        "early-return",
        "raise-assert",
        "keyword-only-on-outer",
        "annotated-assign",
        "fstring-slices",
        "star-args-in-calls",
        "if-expression",
        "docstring-boolops",
        "lambda-assigned",
    ],
)
def test_supported(text):
    accepted(text)


def test_annotations_and_outer_defaults_are_not_traced():
    # Python evaluated these when it ran `def`; the tracer never sees them.
    accepted("def f(x: {1, 2} = len({3}), n: int = 0) -> {4}:\n    return x\n")


def test_every_tracer_handler_is_allowed_and_nothing_else():
    handled = {
        name.split("_", 1)[1]
        for name in dir(Tracer)
        if name.startswith(("exec_", "eval_")) and name != "exec_block"
    }
    allowed = {t.__name__ for t in fence.STATEMENTS | fence.EXPRESSIONS}
    # Handled inside the tracer's code for sequences, calls and f-strings.
    assert allowed - handled == {"Starred", "FormattedValue"}
    assert handled <= allowed


def test_node_types_it_does_not_know_are_rejected():
    class Future(ast.expr):
        """Stands for syntax a later Python adds."""

    src = source("def f(x):\n    return x\n")
    tree = copy.deepcopy(src.node)
    tree.body[0].value = Future(lineno=2, col_offset=11)
    with pytest.raises(UnsupportedSyntax) as info:
        fence.check(dataclasses.replace(src, node=tree))
    assert info.value.message == "srcdiff does not support `Future` expressions"
    assert f"{info.value.loc.line}:{info.value.loc.col + 1}" == "2:12"
