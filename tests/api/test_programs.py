"""Random programs: compose supported primitives, differentiate, check the result.

The hypothesis strategy of ``tests/programs.py`` writes small NumPy functions
from a grammar of safe elementwise ops, arithmetic with broadcasting,
reductions and ``@``. Each one is written to a real file and imported
(srcdiff reads the source), then its derivative must match finite
differences, its forward value must equal the function's own, and the
emitted text must parse to the module ``grad`` ran.
"""

import ast
import itertools

import numpy as np
import pytest
from hypothesis import given, settings
from programs import BINARY, INPUTS, METHOD, UNARY, programs, result_shape

import srcdiff
from srcdiff.numeric import max_relative_error, numerical_grad

TOL = 1e-6


@pytest.mark.parametrize("template", UNARY + BINARY + METHOD)
def test_every_template_applies_to_the_inputs(template):
    pairs = itertools.product(INPUTS, repeat=2)
    exprs = {template.format(a=a, b=b, axis="axis=0") for a, b in pairs}
    assert any(result_shape(e, INPUTS) is not None for e in exprs)


@settings(max_examples=20, derandomize=True, deadline=None)
@given(programs())
def test_random_program(load_function, program):
    source, seed = program
    f = load_function(source)
    rng = np.random.default_rng(seed)
    args = tuple(rng.normal(size=shape) for shape in INPUTS.values())

    g = srcdiff.value_and_grad(f, wrt=("x", "y"))
    value, grads = g(*args)
    assert max_relative_error(value, f(*args)) < 1e-12, source
    expected = tuple(numerical_grad(f, args, i) for i in range(len(args)))
    assert max_relative_error(grads, expected) < TOL, source

    text = g.source
    compiled = g.derivative().emitted.module
    assert ast.dump(ast.parse(text)) == ast.dump(ast.parse(ast.unparse(compiled)))


# Other sizes for the same random programs: x is (n, m) and y (m,), with
# m >= 3 so that every template that applied to INPUTS can still apply.
OTHER_INPUTS = [{"x": (5, 6), "y": (6,)}, {"x": (2, 3), "y": (3,)}]


@settings(max_examples=20, derandomize=True, deadline=None)
@given(programs())
def test_random_program_file_away_from_its_example(load_function, program):
    """The emitted file, made for INPUTS, gives the right gradient at other
    sizes where f runs, or raises PathChanged: never a wrong number."""
    source, seed = program
    f = load_function(source)
    rng = np.random.default_rng(seed)
    example = tuple(rng.normal(size=shape) for shape in INPUTS.values())
    g = srcdiff.grad(f, wrt=("x", "y"))
    g(*example)
    emitted = load_function(g.source + "\nf = f_grad\n")
    for shapes in OTHER_INPUTS:
        args = tuple(rng.normal(size=shape) for shape in shapes.values())
        try:
            f(*args)
        except (ValueError, IndexError):
            continue  # not a valid input of f itself
        try:
            grads = emitted(*args)
        except Exception as exc:  # only PathChanged may escape
            assert type(exc).__name__ == "PathChanged", (source, exc)
            continue
        expected = tuple(numerical_grad(f, args, i) for i in range(len(args)))
        assert max_relative_error(grads, expected) < TOL, source


def test_a_random_style_program_runs_at_other_sizes(load_function):
    source = (
        "import numpy as np\n\n\ndef f(x, y):\n"
        "    v0 = np.tanh(x) * y\n    v1 = np.mean(v0, axis=0) + y[::-1]\n"
        "    return np.sum(v0) + np.sum(v1 ** 2)\n"
    )
    f = load_function(source)
    g = srcdiff.grad(f, wrt=("x", "y"))
    g(np.ones(INPUTS["x"]), np.ones(INPUTS["y"]))
    emitted = load_function(g.source + "\nf = f_grad\n")
    rng = np.random.default_rng(0)
    for shapes in OTHER_INPUTS:
        args = tuple(rng.normal(size=shape) for shape in shapes.values())
        expected = tuple(numerical_grad(f, args, i) for i in range(len(args)))
        assert max_relative_error(emitted(*args), expected) < TOL
