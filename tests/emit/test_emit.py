"""What the emitted code says for small functions: names, folding, clean-ups.

Each test reads the emitted source as a user would and checks one property of
it; each also checks the gradient numerically, so readability never trades
against correctness.
"""

from __future__ import annotations

import ast

import numpy as np
import pytest

import srcdiff
from srcdiff.api import compile_derivative, render
from srcdiff.emit.format import module_with_constants
from srcdiff.numeric import max_relative_error, numerical_grad

RNG = np.random.default_rng(0)
SCALE = RNG.normal(size=(4, 3))


def emitted(f, *args, wrt=None):
    """The derivative's source and its gradient at ``args``, checked numerically."""
    g = srcdiff.grad(f, wrt=wrt)
    derivative = g.derivative(*args)
    result = compile_derivative(derivative)(*args)
    names = g.wrt
    results = result if len(names) > 1 else (result,)
    params = list(derivative.program.params)
    for name, got in zip(names, results, strict=True):
        expected = numerical_grad(f, args, params.index(name))
        assert max_relative_error(got, expected) < 1e-6
    return render(derivative)


def body(text: str) -> list[str]:
    """The lines of the emitted function after its docstring and the checks
    of its arguments' shapes (tests/emit/test_sizes.py reads those)."""
    lines = text.splitlines()
    start = next(i for i, line in enumerate(lines) if line.startswith("def "))
    lines = lines[start + 2 :]
    while lines and lines[0].startswith("    if "):
        end = 1
        while end < len(lines) and (
            lines[end].startswith("        ") or lines[end] == "    ):"
        ):
            end += 1
        if not any("not shaped like the example" in line for line in lines[:end]):
            break
        lines = lines[end:]
    return [line.strip() for line in lines if line.strip()]


def layer(x, W, b):
    h = np.tanh(x @ W + b)
    return np.sum(h * SCALE)


def test_bias_gradient_is_a_sum_over_the_batch():
    x, W, b = RNG.normal(size=(4, 2)), RNG.normal(size=(2, 3)), RNG.normal(size=3)
    lines = body(emitted(layer, x, W, b, wrt=("W", "b")))
    assert any(
        line.startswith("db = ") and ".sum(axis=0)" in line for line in lines
    )
    assert any(line.startswith("dW = x.T @ ") for line in lines)
    assert "return (dW, db)" in lines


def test_no_adjoint_for_arguments_outside_wrt():
    x, W, b = RNG.normal(size=(4, 2)), RNG.normal(size=(2, 3)), RNG.normal(size=3)
    text = emitted(layer, x, W, b, wrt="W")
    assert "dx" not in text and "db" not in text


def reassigned(x):
    h = np.sin(x)
    h = np.sin(h) * h
    return np.sum(h)


def test_reassigned_names_are_numbered():
    lines = body(emitted(reassigned, RNG.normal(size=3)))
    assert lines == [
        "h = np.sin(x)",
        "dh = np.sin(h) + h * np.cos(h)",
        "dx = dh * np.cos(x)",
        "return dx",
    ]


def mean_of_squares(x):
    return np.mean(x**2)


def test_mean_divides_by_the_size_read_when_the_code_runs():
    lines = body(emitted(mean_of_squares, RNG.normal(size=(5, 6))))
    assert lines == ["dx = 2 * x / np.size(x)", "return dx"]


def negations(x):
    y = -np.exp(x)
    return np.sum(-y * 2)


def test_minus_signs_cancel():
    text = emitted(negations, RNG.normal(size=3))
    assert "-" not in "".join(body(text))


def pairs(params, x):
    for W, b in params:
        x = np.tanh(x @ W + b)
    return np.sum(x)


def test_parameter_leaves_are_numbered_by_position():
    params = [(RNG.normal(size=(2, 2)), RNG.normal(size=2)) for _ in range(2)]
    lines = body(emitted(pairs, params, RNG.normal(size=(4, 2))))
    assert lines[0] == "(W1, b1), (W2, b2) = params"
    assert lines[-1] == "return [(dW1, db1), (dW2, db2)]"


def first_layer_only(params, x):
    W, b = params[0]
    return np.sum(np.tanh(x @ W + b))


def test_unused_leaves_unpack_to_underscore():
    params = [(RNG.normal(size=(2, 3)), RNG.normal(size=3))] * 2
    lines = body(emitted(first_layer_only, params, RNG.normal(size=(4, 2))))
    assert lines[0] == "(W, b), (params_1_0, params_1_1) = params"
    assert "dparams_1_0 = np.zeros_like(params_1_0)" in lines
    assert lines[-1] == "return [(dW, db), (dparams_1_0, dparams_1_1)]"


def biases(x, b):
    return np.sum(x + b)


def test_gradients_are_writable_arrays():
    dx = srcdiff.grad(biases)(RNG.normal(size=(4, 3)), RNG.normal(size=3))
    dx += 1.0
    assert np.all(dx == 2.0)


def named(params, x):
    return np.sum(np.tanh(x @ params["W"]) * params["scale"])


def test_dict_leaves_are_read_by_key():
    params = {"W": RNG.normal(size=(2, 3)), "scale": 2.0}
    text = emitted(named, params, RNG.normal(size=(4, 2)))
    assert "params['W']" in text.replace('"', "'")
    assert "return {'W': " in text.replace('"', "'")


def test_shape_generic_output_carries_its_helper():
    g = srcdiff.grad(layer)
    text = g.source
    assert "def unbroadcast(grad, like):" in text
    assert "Specialised for: any shapes" in text
    x, W, b = RNG.normal(size=(4, 2)), RNG.normal(size=(2, 3)), RNG.normal(size=3)
    namespace: dict[str, object] = {}
    exec(compile(text, "<generic>", "exec"), namespace)
    got = namespace["layer_grad"](x, W, b)
    assert max_relative_error(got, numerical_grad(layer, (x, W, b), 0)) < 1e-6


TABLE = np.linspace(0.5, 2.0, 6).reshape(2, 3)


def uses_global_array(x):
    return np.sum(np.sin(x * TABLE))


def test_global_arrays_are_written_into_the_file():
    text = emitted(uses_global_array, RNG.uniform(1, 2, size=(2, 3)))
    assert "TABLE = np.array(" in text
    assert "import srcdiff" not in text


@pytest.mark.parametrize(
    "f",
    [layer, reassigned, mean_of_squares, pairs, named],
    ids=lambda f: f.__name__,
)
def test_text_parses_to_the_compiled_module(f):
    args = {
        layer: (RNG.normal(size=(4, 2)), RNG.normal(size=(2, 3)), RNG.normal(size=3)),
        reassigned: (RNG.normal(size=3),),
        mean_of_squares: (RNG.normal(size=3),),
        pairs: (
            [(RNG.normal(size=(2, 3)), RNG.normal(size=3))],
            RNG.normal(size=(4, 2)),
        ),
        named: ({"W": RNG.normal(size=(2, 3)), "scale": 2.0}, RNG.normal(size=(4, 2))),
    }[f]
    derivative = srcdiff.grad(f).derivative(*args)
    text = render(derivative)
    compiled = module_with_constants(derivative.emitted)
    assert ast.dump(ast.parse(text)) == ast.dump(compiled)


def test_wrapped_header_lines_never_read_as_code():
    """``#   limit: float`` alone would be commented-out code to linters (ERA001)."""
    import ast as python_ast

    from srcdiff.emit.format import _comment

    line = (
        "Specialised for: x: float64[5], y: float64[5], z: float64[5], "
        "damping: float, target: float64[5], steps: 1000, limit: float"
    )
    for width in range(60, 90):
        lines = _comment(line, width).splitlines()
        assert " ".join(text[1:].strip() for text in lines) == line
        for text in lines[1:]:
            with pytest.raises(SyntaxError):
                python_ast.parse(text[1:].strip())


def test_a_tuple_result_unpacks_all_its_items_without_an_example():
    def f(a):
        sign, _logabsdet = np.linalg.slogdet(a)
        return np.sum(sign * a)

    derivative = srcdiff.grad(f).derivative()
    assert "sign, _ = np.linalg.slogdet(a)" in srcdiff.api.render(derivative)
    got = srcdiff.api.compile_derivative(derivative)(np.eye(2) * 3.0)
    assert np.array_equal(got, np.ones((2, 2)))


def test_an_argument_named_like_an_imported_function():
    from scipy import special

    def f(x, beta):
        return np.sum(special.beta(x, 2.0) * beta)

    x = np.array([1.5, 2.5])
    g = srcdiff.grad(f)
    expected = numerical_grad(f, (x, 2.0), 0)
    assert np.allclose(g(x, 2.0), expected, rtol=1e-6)
    assert "from scipy.special import beta as beta_, digamma" in g.source
    assert "beta_(x, 2.0)" in g.source


EMPTY = [np.ones((2, 0, 3))]


def test_an_empty_array_constant_keeps_its_shape():
    def f(x):
        return np.sum(x * EMPTY[0])

    assert srcdiff.grad(f)(np.ones((2, 0, 3))).shape == (2, 0, 3)
