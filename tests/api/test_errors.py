"""Every kind of error: its class, ``file:line:col``, the caret, and the hint.

Expected positions are found in the functions' own source with ``inspect``,
so editing this file never breaks them. Four full messages are golden files
in golden/errors/, compared byte for byte (``pytest --update-golden``).
"""

import inspect
import math
import pickle
import re
import sys
from pathlib import Path

import numpy as np
import pytest
import scipy.linalg

import srcdiff
from srcdiff.api import compile_derivative
from srcdiff.errors import Loc
from srcdiff.pipeline import derive
from srcdiff.spec import make_spec

REPO = Path(__file__).resolve().parents[2]
GOLDEN = REPO / "golden" / "errors"
X = np.array([0.5, -1.0, 2.0])
LOCATION = re.compile(r"[^\s:]+:\d+:\d+: \S")


@pytest.fixture(autouse=True)
def at_repo_root(monkeypatch):
    """Messages show paths relative to the working directory."""
    monkeypatch.chdir(REPO)


def where(fn, needle: str, nth: int = 0) -> str:
    """``tests/api/test_errors.py:LINE:COL`` of the nth ``needle`` in fn's source."""
    lines, first = inspect.getsourcelines(fn)
    hits = [(i, line.index(needle)) for i, line in enumerate(lines) if needle in line]
    i, col = hits[nth]
    return f"tests/api/test_errors.py:{first + i}:{col + 1}"


def check_message(exc, at: str, needle: str, hint: str) -> None:
    """The message starts at ``at``, shows the line, and puts the caret on
    the first character of ``needle``; the hint ends the message."""
    text = str(exc)
    assert text.startswith(at + ": "), text
    line, caret = text.splitlines()[1:3]
    assert caret.strip() == "^", text
    assert line[len(caret) - 1 :].startswith(needle), text
    assert hint in exc.hint
    assert text.endswith(exc.hint)


def raised(cls, thunk):
    with pytest.raises(cls) as info:
        thunk()
    assert type(info.value) is cls
    return info.value


# ----- Unsupported syntax -----
def uses_try(x):
    try:
        y = np.log(x)
    except FloatingPointError:
        y = x
    return np.sum(y)


def uses_with(x):
    with np.errstate(divide="ignore"):
        y = np.log(x)
    return np.sum(y)


def uses_yield(x):
    yield np.sum(x)


SCALE = 2.0


def uses_global(x):
    global SCALE
    return SCALE * np.sum(x)


def uses_nonlocal(x):
    total = 0.0

    def add(v):
        nonlocal total
        total = total + v

    add(np.sum(x))
    return total


def assigns_an_element(x):
    x[0] = 0.0
    return np.sum(x)


def assigns_an_attribute(x):
    x.shape = (3, 1)
    return np.sum(x)


def uses_walrus(x):
    return np.sum(y := x**2) + np.sum(y)


def uses_match(x, kind="sum"):
    match kind:
        case "sum":
            return np.sum(x)
    return np.mean(x)


SYNTAX_CASES = [
    (uses_try, "try:", "Move error handling out"),
    (uses_with, "with np.errstate", "inside the `with` block"),
    (uses_yield, "yield np", "Return the value"),
    (uses_global, "global SCALE", "Pass the value in as an argument"),
    (uses_nonlocal, "nonlocal total", "Return the value"),
    (assigns_an_element, "x[0] = 0.0", "`x = x.copy()`"),
    (assigns_an_attribute, "x.shape", "Bind the value to a local name"),
    (uses_walrus, "y := x**2", "Assign on a line of its own"),
    (uses_match, "match kind", "Use `if`/`elif`"),
]


@pytest.mark.parametrize(
    "fn, needle, hint", SYNTAX_CASES, ids=[case[0].__name__ for case in SYNTAX_CASES]
)
def test_unsupported_syntax(fn, needle, hint):
    exc = raised(srcdiff.UnsupportedSyntax, lambda: srcdiff.grad(fn)(X.copy()))
    check_message(exc, where(fn, needle), needle, hint)


def test_a_lambda_assigned_to_a_name_is_fine():
    def f(x):
        square = lambda v: v * v  # noqa: E731 (the point of the test)
        return np.sum(square(x))

    loss = lambda x: np.sum(x**3)  # noqa: E731
    assert np.allclose(srcdiff.grad(f)(X), 2 * X)
    assert np.allclose(srcdiff.grad(loss)(X), 3 * X**2)


LOSSES = {
    "cube": lambda x: np.sum(x**3),
    "sinc": lambda x: np.sum(np.nanquantile(x, 0.5) * x),
}
PAIR = (lambda x: np.sum(x * 2), lambda x: np.sum(np.nanquantile(x, 0.5) * x))


def test_lambdas_inside_larger_expressions_are_found():
    assert np.allclose(srcdiff.grad(LOSSES["cube"])(X), 3 * X**2)
    sinc = LOSSES["sinc"]
    exc = raised(srcdiff.UnsupportedPrimitive, lambda: srcdiff.grad(sinc)(X))
    check_message(exc, where(sinc, "np.nanquantile"), "np.nanquantile", "coverage.md")


def test_two_lambdas_on_one_line_are_told_apart():
    assert np.allclose(srcdiff.grad(PAIR[0])(X), 2)
    exc = raised(srcdiff.UnsupportedPrimitive, lambda: srcdiff.grad(PAIR[1])(X))
    check_message(
        exc, where(PAIR[1], "np.nanquantile"), "np.nanquantile", "coverage.md"
    )


def test_unsupported_syntax_in_a_called_helper_points_into_the_helper():
    def f(x):
        return uses_try(x) * 2

    exc = raised(srcdiff.UnsupportedSyntax, lambda: srcdiff.grad(f)(X))
    check_message(exc, where(uses_try, "try:"), "try:", "Move error handling")


# ----- Unsupported functions -----
def test_unsupported_numpy_function_names_its_near_misses():
    # np.nancumsum has no rule; np.cumsum is its NaN-free form.
    def f(x):
        return np.sum(np.nancumsum(x) * x)

    exc = raised(srcdiff.UnsupportedPrimitive, lambda: srcdiff.grad(f)(X))
    assert "numpy.nancumsum" in exc.message
    check_message(exc, where(f, "np.nancumsum"), "np.nancumsum", "close name: ")
    assert exc.hint.startswith("Supported functions with a close name: np.cumsum.")
    assert "docs/coverage.md" in exc.hint


def test_a_function_of_the_same_name_in_the_other_library_is_suggested():
    def f(x):
        return np.sum(scipy.linalg.inv(np.outer(x, x) + np.eye(3)))

    exc = raised(srcdiff.UnsupportedPrimitive, lambda: srcdiff.grad(f)(X))
    assert "close name: np.linalg.inv." in exc.hint


def hashes(x):
    return np.sum(x) * hash(x)


def counts(x):
    return np.sum(np.histogram(x)[0] * x)


def vars_of(x):
    return np.sum(x) * len(vars(x))


@pytest.mark.parametrize("fn", [hashes, counts, vars_of], ids=["hash", "hist", "vars"])
def test_no_unrelated_names_are_suggested(fn):
    # difflib once offered abs and tanh for hash, isreal and hstack for
    # np.histogram, var for vars: none is a near miss.
    exc = raised(srcdiff.UnsupportedPrimitive, lambda: srcdiff.grad(fn)(X))
    assert "close name" not in exc.hint
    assert exc.hint.startswith("docs/coverage.md lists the supported functions")


def test_math_function_on_an_array_suggests_numpy():
    def f(x):
        return np.sum(x) + math.exp(np.sum(x))

    exc = raised(srcdiff.UnsupportedPrimitive, lambda: srcdiff.grad(f)(X))
    assert "math.exp" in exc.message
    check_message(exc, where(f, "math.exp"), "math.exp", "Use np.exp instead")


def test_column_is_in_characters_after_non_ascii_names():
    def f(x):
        σ = 2.0
        return np.sum(σ * np.nanquantile(x, 0.5) * x)

    exc = raised(srcdiff.UnsupportedPrimitive, lambda: srcdiff.grad(f)(X))
    check_message(exc, where(f, "np.nanquantile"), "np.nanquantile", "coverage.md")


# ----- Output and wrt -----
def test_non_scalar_output_names_its_shape():
    def f(x):
        return np.tanh(x)

    exc = raised(srcdiff.NonScalarOutput, lambda: srcdiff.grad(f)(X))
    assert "shape (3,)" in exc.message
    check_message(exc, where(f, "np.tanh"), "np.tanh", "np.sum(...) or np.mean(...)")


def outer(x):
    return np.outer(x, x)


def new_axis(x):
    return np.tanh(x)[None] * 2.0


def stacked(x, y):
    return np.stack([x, y * 2.0])


def column_sums(x):
    return np.sum(np.outer(x, x) + 1.0, axis=0)


def first_row(x):
    return (x @ np.atleast_2d(x).T)[0]


@pytest.mark.parametrize(
    "fn, needle, ndim",
    [
        (outer, "np.outer", 2),
        (new_axis, "np.tanh(x)[None]", 1),
        (stacked, "np.stack", 1),
        (column_sums, "np.sum", 1),
        (first_row, "(x @ np", 0),
    ],
)
def test_an_output_the_trace_shows_is_an_array_is_refused_without_an_example(
    fn, needle, ndim
):
    # Emitted without an example, these wrote a file whose scalar check
    # always failed: refuse them where the statements show it.
    if ndim == 0:  # x @ x.T is a matrix only when x is one: the code checks
        assert "needs one number" in srcdiff.grad(fn).source
        return
    exc = raised(srcdiff.NonScalarOutput, srcdiff.grad(fn).derivative)
    assert f"returns an array of at least {ndim} dimension" in exc.message
    check_message(exc, where(fn, needle), needle, "np.sum(...) or np.mean(...)")


SCALAR_OR_NOT = [
    lambda x: np.sum(x, axis=0),
    lambda x: np.sum(x * 2.0, keepdims=True),
    lambda x: x[0] * x[-1],
    lambda x: x[..., 0] + 1.0,
    lambda x: np.mean(np.atleast_1d(x)[:1]),
    lambda x: (x @ x) * 2.0,
    lambda x: np.dot(x, x) + 1.0,
    lambda x: np.sum(np.reshape(x, (1, -1)), axis=(0, 1)),
    lambda x: np.max(np.outer(x, x), axis=1)[0],
    lambda x: np.sum(np.diag(np.outer(x, x)), axis=0),
    lambda x: np.ravel(np.outer(x, x))[0] + np.tril(np.outer(x, x))[1, 0],
    lambda x: np.concatenate([np.ravel(x), np.ravel(x)], axis=None)[0],
    lambda x: np.sum(np.vstack([np.atleast_2d(x)]), axis=(0, 1)),
]


@pytest.mark.parametrize("fn", SCALAR_OR_NOT)
def test_an_output_that_may_be_a_number_is_left_to_the_emitted_check(fn):
    # A number for some arguments: not refused; the emitted file checks it.
    ndims = set()
    for x in (np.array([0.5, -1.0]), np.ones((2, 2)), np.ones((1, 2, 2)), np.ones(())):
        try:
            ndims.add(np.ndim(fn(x)))
        except (ValueError, IndexError):
            continue
    assert 0 in ndims
    try:
        derivative = srcdiff.grad(fn).derivative()
    except srcdiff.NeedsExample:  # np.dot's adjoint needs shapes, after the check
        return
    if ndims != {0}:
        assert "needs one number" in srcdiff.api.render(derivative)


def scaled(x, n):
    return n * np.sum(x**2)


def test_wrt_naming_an_unknown_argument():
    exc = raised(srcdiff.InvalidWrt, lambda: srcdiff.grad(scaled, wrt="y"))
    assert exc.message == "wrt='y' is not a parameter of scaled"
    check_message(exc, where(scaled, "def scaled"), "def", "Choose from: x, n.")


def test_wrt_index_out_of_range():
    exc = raised(srcdiff.InvalidWrt, lambda: srcdiff.grad(scaled, wrt=2))
    assert "out of range" in exc.message
    check_message(exc, where(scaled, "def scaled"), "def", "Choose from: x, n.")


def test_wrt_a_python_int():
    exc = raised(srcdiff.InvalidWrt, lambda: srcdiff.grad(scaled, wrt="n")(X, 3))
    assert exc.message == "wrt='n' holds 3, which has no gradient"
    check_message(exc, where(scaled, "n)"), "n)", "pass ints as floats")


def test_wrt_an_int_array():
    exc = raised(srcdiff.InvalidWrt, lambda: srcdiff.grad(scaled)(np.arange(3), 2))
    assert "dtype int64" in exc.message
    check_message(exc, where(scaled, "x, n"), "x, n", "x.astype(float)")


# ----- No source: the error points at the user's call -----
def test_a_numpy_function_passed_directly_is_not_traced_through():
    # inspect.unwrap(np.sum) is NumPy's own Python source: never differentiate it.
    def call():
        return srcdiff.grad(np.sum)

    exc = raised(srcdiff.NoSource, call)
    assert exc.message.startswith("numpy.sum is part of NumPy")
    check_message(exc, where(call, "srcdiff.grad"), "srcdiff.grad", "np.sum(x)`")


def test_a_builtin():
    def call():
        return srcdiff.grad(len)

    exc = raised(srcdiff.NoSource, call)
    assert exc.message.startswith("builtins.len is a built-in function")
    check_message(exc, where(call, "srcdiff.grad"), "srcdiff.grad", "`def` or")


def test_a_function_made_by_exec():
    namespace = {"np": np}
    exec("def made(x):\n    return np.sum(x)\n", namespace)

    def call():
        return srcdiff.grad(namespace["made"])

    exc = raised(srcdiff.NoSource, call)
    assert exc.message.startswith("the source of made is not available")
    check_message(exc, where(call, "srcdiff.grad"), "srcdiff.grad", "exec()")


# ----- Values an example must give -----
def test_value_dependent_branch_without_an_example():
    def f(x):
        if np.sum(x) > 0:
            return np.sum(x)
        return -np.sum(x)

    exc = raised(srcdiff.NeedsExample, srcdiff.grad(f).derivative)
    check_message(exc, where(f, "np.sum(x) > 0"), "np.sum(x) > 0", "--example")


# ----- Guards -----
def branchy(x):
    if x > 0:
        return x * x
    return -x


def test_path_changed_is_a_srcdiff_error_and_a_runtime_error():
    assert issubclass(srcdiff.PathChanged, srcdiff.SrcdiffError)
    assert issubclass(srcdiff.PathChanged, RuntimeError)


def test_path_changed_from_a_compiled_derivative_names_the_line():
    spec = make_spec(("x",), False, {"x": 1.0})
    compiled = compile_derivative(derive(branchy, spec, {"x": 1.0}))
    assert compiled(3.0) == 6.0
    exc = raised(srcdiff.PathChanged, lambda: compiled(-1.0))
    line = where(branchy, "if x > 0").rsplit(":", 1)[0]
    assert str(exc).startswith(line + ":")
    assert exc.message.endswith("these inputs take another path")
    assert "if x > 0:" in str(exc).splitlines()[1]
    assert str(exc).splitlines()[2].strip() == "^"


def test_grad_follows_the_other_path_instead_of_raising():
    g = srcdiff.grad(branchy)
    assert g(3.0) == 6.0
    assert g(-1.0) == -1.0


def test_errors_survive_pickling():
    exc = raised(srcdiff.InvalidWrt, lambda: srcdiff.grad(scaled, wrt="y"))
    assert str(pickle.loads(pickle.dumps(exc))) == str(exc)
    guard = srcdiff.PathChanged("tests/api/test_errors.py:1", "if x > 0 was True")
    assert str(pickle.loads(pickle.dumps(guard))) == str(guard)


def test_caret_lines_up_under_tabs():
    exc = srcdiff.SrcdiffError("m", Loc("f.py", 1, 5, "\tx =\tnp.sinc(x)"))
    assert str(exc).splitlines()[1:] == ["    x =\tnp.sinc(x)", "       \t^"]


# ----- Errors in the user's own code are located, never a bare traceback -----
def test_a_name_error_in_user_code():
    def f(x):
        return np.sum(x * undefined_scale)  # noqa: F821 (the error under test)

    exc = raised(srcdiff.TraceError, lambda: srcdiff.grad(f)(X))
    assert exc.message == "name 'undefined_scale' is not defined"
    check_message(exc, where(f, "undefined_scale"), "undefined_scale", "")


def test_a_shape_mismatch_in_user_code():
    def f(x):
        return np.sum(x @ np.ones((4, 2)))

    exc = raised(srcdiff.TraceError, lambda: srcdiff.grad(f)(X))
    assert "size 4 is different from 3" in exc.message
    check_message(exc, where(f, "x @ np.ones"), "x @ np.ones", "shapes")


def test_a_helper_called_with_the_wrong_arity():
    def f(x):
        return np.sum(scaled(x))

    exc = raised(srcdiff.TraceError, lambda: srcdiff.grad(f)(X))
    assert "missing a required argument: 'n'" in exc.message
    assert LOCATION.match(str(exc))


@pytest.mark.parametrize("args", [(X,), (X, 2.0, 3.0)], ids=["too-few", "too-many"])
def test_calling_the_gradient_with_the_wrong_arity(args):
    exc = raised(srcdiff.TraceError, lambda: srcdiff.grad(scaled)(*args))
    check_message(exc, where(scaled, "def scaled"), "def", "")


# ----- Every message has the same shape -----
ALL_CASES = {
    "syntax": lambda: srcdiff.grad(uses_try)(X),
    "primitive": lambda: srcdiff.grad(lambda x: np.sum(np.nanquantile(x, 0.5) * x))(X),
    "non-scalar": lambda: srcdiff.grad(lambda x: x * 2)(X),
    "wrt": lambda: srcdiff.grad(scaled, wrt="n")(X, 3),
    "no-source": lambda: srcdiff.grad(np.sum),
    "needs-example": lambda: srcdiff.grad(lambda x: np.sum(x) if x > 0 else 0).source,
    "trace": lambda: srcdiff.grad(lambda x: np.sum(x[7]))(X),
    "guard": lambda: srcdiff.PathChanged("tests/api/test_errors.py:1", "if x was True"),
}


@pytest.mark.parametrize("name", ALL_CASES)
def test_every_message_is_located_and_shows_a_caret(name):
    try:
        result = ALL_CASES[name]()
    except srcdiff.SrcdiffError as exc:
        result = exc
    assert isinstance(result, srcdiff.SrcdiffError)
    text = str(result)
    assert LOCATION.match(text), text
    lines = text.splitlines()
    assert len(lines) >= 3
    assert lines[2].strip() == "^"
    assert result.hint
    assert "\n\n" not in text


# ----- Golden messages -----
GOLDEN_SOURCE = '''\
"""Functions srcdiff must refuse, one reason each."""

import numpy as np


def guarded_log(x):
    try:
        return np.sum(np.log(x))
    except FloatingPointError:
        return 0.0


def histogram_mass(x):
    return np.sum(np.histogram(x)[0] * x[:10])


def activations(W, x):
    return np.tanh(W @ x)


def scaled(x, n):
    return n * np.sum(x**2)
'''
GOLDEN_CASES = {
    "unsupported_syntax": lambda m: srcdiff.grad(m.guarded_log)(X),
    "unsupported_function": lambda m: srcdiff.grad(m.histogram_mass)(X),
    "non_scalar_output": lambda m: srcdiff.grad(m.activations)(np.eye(3), X),
    "integer_wrt": lambda m: srcdiff.grad(m.scaled, wrt="n")(X, 3),
}


@pytest.fixture
def refused(tmp_path, monkeypatch):
    """The module above, imported from ``refused.py`` in the working directory."""
    (tmp_path / "refused.py").write_text(GOLDEN_SOURCE)
    monkeypatch.chdir(tmp_path)
    monkeypatch.syspath_prepend(str(tmp_path))
    monkeypatch.delitem(sys.modules, "refused", raising=False)
    import refused

    yield refused
    sys.modules.pop("refused", None)


@pytest.mark.parametrize("name", GOLDEN_CASES)
def test_golden_message(name, refused, update_golden):
    with pytest.raises(srcdiff.SrcdiffError) as info:
        GOLDEN_CASES[name](refused)
    text = str(info.value) + "\n"
    path = GOLDEN / f"{name}.txt"
    if update_golden:
        if not path.exists() or path.read_text() != text:
            GOLDEN.mkdir(parents=True, exist_ok=True)
            path.write_text(text)
            print(f"rewrote {path.relative_to(REPO)}")
        return
    assert path.exists(), f"{path} is missing: run pytest --update-golden"
    assert text == path.read_text()


def test_every_golden_message_has_a_case():
    assert sorted(p.stem for p in GOLDEN.glob("*.txt")) == sorted(GOLDEN_CASES)
