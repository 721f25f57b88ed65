"""The in-process API: grad, value_and_grad, print_source, caching and guards."""

import ast
import importlib.util
import subprocess
import sys
import textwrap
from pathlib import Path

import numpy as np
import pytest

import srcdiff
import srcdiff.api
from srcdiff.numeric import leaves, max_relative_error, numerical_grad

TOL = 1e-6
ROOT = Path(__file__).parents[2]
RNG = np.random.default_rng(3)
X = RNG.normal(size=(4, 3))
W = RNG.normal(size=3)


def loss(w, X, n=1):
    z = np.tanh(X @ w)
    for _ in range(n):
        z = z * z + 0.5
    return np.sum(z)


def two_args(x, y):
    return np.sum(np.sin(x) * y**2)


def signed(x):
    if np.sum(x) > 0:
        return np.sum(x**3)
    return np.sum(np.exp(x))


# ----- The four ways to ask for a gradient -----
def test_grad_of_a_function():
    g = srcdiff.grad(loss)
    assert max_relative_error(g(W, X), numerical_grad(loss, (W, X), 0)) < TOL


def test_grad_as_a_bare_decorator():
    @srcdiff.grad
    def f(x, y):
        return np.sum(np.sin(x) * y**2)

    assert max_relative_error(f(W, W + 1), np.cos(W) * (W + 1) ** 2) < TOL


def test_grad_as_a_decorator_with_wrt():
    @srcdiff.grad(wrt="y")
    def f(x, y):
        return np.sum(np.sin(x) * y**2)

    assert max_relative_error(f(W, W + 1), 2 * np.sin(W) * (W + 1)) < TOL


def test_value_and_grad():
    value, g = srcdiff.value_and_grad(two_args, wrt=("x", "y"))(W, W + 1)
    assert value == pytest.approx(two_args(W, W + 1), rel=1e-12)
    expected = tuple(numerical_grad(two_args, (W, W + 1), i) for i in (0, 1))
    assert max_relative_error(g, expected) < TOL


@pytest.mark.parametrize("wrt", [[0], ("x",), ["y"]])
def test_wrt_given_as_a_sequence_of_one_gives_a_tuple(wrt):
    # As autograd's argnum=[0] and JAX's argnums=(0,) do.
    (got,) = srcdiff.grad(two_args, wrt=wrt)(W, W + 1)
    _, (also,) = srcdiff.value_and_grad(two_args, wrt=wrt)(W, W + 1)
    i = 1 if wrt == ["y"] else 0
    expected = numerical_grad(two_args, (W, W + 1), i)
    assert max_relative_error(got, expected) < TOL
    assert max_relative_error(also, expected) < TOL
    assert isinstance(srcdiff.grad(two_args, wrt=i)(W, W + 1), np.ndarray)


@pytest.mark.parametrize("shape", [(1,), (1, 1)])
def test_an_output_holding_one_number_is_that_number(shape):
    # autograd takes any output of size 1 (its examples return shape (1,)).
    def f(x):
        return np.reshape(np.sum(np.sin(x)), shape)

    value, g = srcdiff.value_and_grad(f)(W)
    assert np.shape(value) == shape
    assert max_relative_error(g, np.cos(W)) < TOL


def test_an_input_holding_one_number_gives_an_output_of_its_shape():
    # Bayesian optimisation's objective: x of shape (1,) all through, with a
    # constant minus it, whose rule returns the adjoint unbroadcast to x.
    def f(x):
        return 2.0 - (x - 1.0) * np.sin(x)

    x = np.array([0.3])
    g = srcdiff.grad(f)(x)
    assert np.shape(g) == (1,)
    assert max_relative_error(g, -(np.sin(x) + (x - 1.0) * np.cos(x))) < TOL


def test_a_numpy_ufunc_itself_is_differentiated():
    # grad(np.tanh), as autograd's tutorial writes it: a def calling the ufunc.
    import autograd.numpy as anp

    assert srcdiff.grad(np.tanh)(0.5) == pytest.approx(1 - np.tanh(0.5) ** 2)
    assert srcdiff.grad(anp.sqrt)(2.0) == pytest.approx(0.5 / np.sqrt(2.0))
    dx, dy = srcdiff.grad(np.arctan2, wrt=(0, 1))(0.5, 2.0)
    assert (dx, dy) == pytest.approx((2.0 / 4.25, -0.5 / 4.25))
    g = srcdiff.grad(np.sqrt)
    g(2.0)
    assert "def sqrt_grad(x):" in g.source


def test_value_and_grad_as_a_decorator():
    @srcdiff.value_and_grad(wrt=1)
    def f(x, y):
        return np.sum(x * np.exp(y))

    value, g = f(W, W)
    assert value == pytest.approx(np.sum(W * np.exp(W)), rel=1e-12)
    assert max_relative_error(g, W * np.exp(W)) < TOL


def test_keyword_arguments_and_defaults():
    g = srcdiff.grad(loss)
    expected = numerical_grad(loss, (W, X, 2), 0)
    assert max_relative_error(g(W, X=X, n=2), expected) < TOL
    assert max_relative_error(g(w=W, X=X, n=2), expected) < TOL


def test_name_and_repr():
    g = srcdiff.grad(loss, wrt=("w", "X"))
    assert g.__name__ == "loss_grad"
    assert "w, X" in g.__doc__
    assert "loss" in repr(g)
    assert srcdiff.value_and_grad(loss).__name__ == "loss_value_and_grad"


# ----- One trace per specialisation -----
def test_same_specialisation_traces_once(traces):
    g = srcdiff.grad(loss)
    for scale in (1.0, 2.0, -0.5):
        got = g(scale * W, X)
        assert max_relative_error(got, numerical_grad(loss, (scale * W, X), 0)) < TOL
    assert len(traces) == 1
    assert len(g._paths) == 1


@pytest.mark.parametrize(
    "args",
    [
        (W.astype(np.float32), X.astype(np.float32)),  # other dtypes
        (W, X[None]),  # other ndim
        (W, X, 3),  # other static int
    ],
    ids=["dtype", "ndim", "static-int"],
)
def test_new_specialisation_traces_again(traces, args):
    g = srcdiff.grad(loss)
    g(W, X)
    got = g(*args)
    assert len(traces) == 2
    assert len(g._paths) == 2
    assert traces[0] != traces[1]
    g(*args)
    assert len(traces) == 2
    assert got.dtype == args[0].dtype
    assert max_relative_error(got, numerical_grad(loss, args, 0)) < TOL


def test_other_sizes_share_the_derivative(traces):
    """Sizes are read when the code runs: one trace serves every size."""
    g = srcdiff.grad(loss)
    g(W, X)
    args = (W[:2], X[:, :2])
    got = g(*args)
    assert len(traces) == 1
    assert max_relative_error(got, numerical_grad(loss, args, 0)) < TOL


def test_guard_failure_respecialises(traces):
    g = srcdiff.grad(signed)
    pos, neg = X + 3, X - 3
    assert max_relative_error(g(pos), 3 * pos**2) < TOL
    assert max_relative_error(g(neg), np.exp(neg)) < TOL
    assert len(traces) == 2
    # Both paths share one specialisation key and are kept side by side.
    (paths,) = g._paths.values()
    assert len(paths) == 2
    assert max_relative_error(g(pos), 3 * pos**2) < TOL
    assert max_relative_error(g(neg), np.exp(neg)) < TOL
    assert len(traces) == 2


def test_compiled_path_raises_path_changed_on_the_other_branch():
    g = srcdiff.grad(signed)
    g(X + 3)
    ((_, compiled),) = next(iter(g._paths.values()))
    with pytest.raises(srcdiff.PathChanged, match=r"test_api\.py:\d+"):
        compiled(X - 3)


# ----- Source text -----
def test_source_before_a_call_is_shape_generic():
    g = srcdiff.grad(two_args)
    text = g.source
    assert "any shapes and dtypes" in text
    assert "def two_args_grad(x, y):" in text
    ast.parse(text)


def test_source_after_calls_is_the_latest_specialisation():
    g = srcdiff.grad(loss)
    g(W, X)
    assert "w: float64[3], X: float64[4, 3], n: 1" in g.source
    g(W[:2], X[:, :2], 2)
    text = g.source
    assert "w: float64[2], X: float64[4, 2], n: 2" in text
    namespace = {}
    exec(compile(text, "<source>", "exec"), namespace)
    expected = numerical_grad(loss, (W[:2], X[:, :2], 2), 0)
    got = namespace["loss_grad"](W[:2], X[:, :2], 2)
    assert max_relative_error(got, expected) < TOL


def test_print_source(capsys):
    g = srcdiff.grad(loss)
    srcdiff.print_source(g)
    assert capsys.readouterr().out == g.source
    srcdiff.print_source(g, W[:2], X[:, :2])
    printed = capsys.readouterr().out
    assert "w: float64[2], X: float64[4, 2], n: 1" in printed
    # Printing a specialisation does not make it the latest one.
    assert "any shapes and dtypes" in g.source


def test_notebook_display_is_python_fenced_source():
    g = srcdiff.grad(loss)
    g(W, X)
    shown = g._repr_markdown_()
    assert shown.startswith("```python\n# Generated by srcdiff")
    assert shown.endswith("\n```")
    assert shown[len("```python\n") : -len("```")] == g.source


# ----- black stays out of the in-process path -----
def run_python(code):
    result = subprocess.run(
        [sys.executable, "-c", textwrap.dedent(code)],
        capture_output=True,
        text=True,
        cwd=ROOT,
        check=False,
    )
    assert result.returncode == 0, result.stderr
    return result.stdout


def test_import_does_not_import_black():
    run_python("import srcdiff, sys; assert 'black' not in sys.modules")


def test_first_call_compiles_without_black():
    out = run_python("""
        import sys
        sys.modules["black"] = None  # any import of black now fails
        import numpy as np
        import srcdiff
        from examples.mlp import example, loss
        g = srcdiff.grad(loss)
        dW1 = g(*example())[0][0]
        assert [m for m in sys.modules if m.startswith("black")] == ["black"]
        print(dW1.shape)
        """)
    assert out.strip() == "(5, 8)"


def test_calling_a_gradient_does_not_import_black():
    run_python("""
        import sys
        import srcdiff
        from examples.logistic import example, loss
        srcdiff.grad(loss)(*example())
        srcdiff.value_and_grad(loss)(*example())
        assert "black" not in sys.modules
        """)


def test_report_timings():
    """Print (not assert) the import time and the first call on examples/mlp.py."""
    out = run_python("""
        import time
        start = time.perf_counter()
        import srcdiff
        imported = time.perf_counter()
        from examples.mlp import example, loss
        args = example()
        g = srcdiff.grad(loss)
        begin = time.perf_counter()
        g(*args)
        first = time.perf_counter()
        g(*args)
        second = time.perf_counter()
        print(f"import srcdiff: {1e3 * (imported - start):.1f} ms")
        print(f"mlp first call: {1e3 * (first - begin):.1f} ms")
        print(f"mlp cached call: {1e3 * (second - first):.3f} ms")
        """)
    print(out)


def _float32(value):
    if isinstance(value, np.ndarray) and value.dtype == np.float64:
        return value.astype(np.float32)
    if isinstance(value, (list, tuple)):
        return type(value)(_float32(v) for v in value)
    return value


@pytest.mark.parametrize(
    "name",
    ["attention", "cox_survival", "deconvolution", "matrix_factorization", "mlp"],
)
def test_float32_arguments_get_float32_gradients(name):
    path = Path(__file__).resolve().parents[2] / "examples" / f"{name}.py"
    spec = importlib.util.spec_from_file_location(f"float32_{name}", path)
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    args = tuple(_float32(a) for a in module.example())
    grads = leaves(srcdiff.grad(module.loss)(*args))
    assert grads and all(g.dtype == np.float32 for g in grads)


def dtype_sensitive(x, n):
    return np.sum(x**n)


def test_the_quick_call_key_tells_apart_what_the_spec_does():
    # A call found by its quick key must still be the derivative its spec
    # would pick: another dtype, another int, a 1-axis that broadcasts.
    g = srcdiff.grad(dtype_sensitive)
    x = np.arange(1.0, 4.0)
    assert g(x, 2).dtype == np.float64
    np.testing.assert_allclose(g(x, 2), 2 * x)
    assert g(x.astype(np.float32), 2).dtype == np.float32
    np.testing.assert_allclose(g(x, 3), 3 * x**2)  # n is specialised on
    np.testing.assert_allclose(g(np.ones((1, 3)), 2), 2 * np.ones((1, 3)))
    np.testing.assert_allclose(g(x, n=2), 2 * x)  # a keyword, same derivative
    assert len(g._paths) == 4


def test_quick_call_keys_stay_bounded():
    g = srcdiff.grad(dtype_sensitive)
    for n in range(srcdiff.api.MAX_KEYS + 10):  # a new int: a new key each time
        np.testing.assert_allclose(g(np.full(2, 1.5), n), n * 1.5 ** (n - 1))
    assert 0 < len(g._keys) <= srcdiff.api.MAX_KEYS
    assert len(g._paths) <= srcdiff.api.MAX_SPECS


def test_a_repeated_call_runs_the_last_derivative_at_once(monkeypatch):
    g = srcdiff.grad(signed)
    g(X + 3)
    long_way = []
    call = g._call
    monkeypatch.setattr(g, "_call", lambda *a: long_way.append(a) or call(*a))
    for shift in (3, 4, 5):
        assert max_relative_error(g(X + shift), 3 * (X + shift) ** 2) < TOL
    assert not long_way
    assert max_relative_error(g(X - 3), np.exp(X - 3)) < TOL  # its guard fails
    assert len(long_way) == 1
    assert max_relative_error(g(X - 4), np.exp(X - 4)) < TOL  # now the last
    assert len(long_way) == 1


def noisy(w, rng):
    return np.sum(w**2 * rng.normal(size=w.shape))


def test_a_derivative_that_draws_always_takes_the_long_way(monkeypatch):
    g = srcdiff.grad(noisy)
    w = np.arange(1.0, 4.0)
    g(w, np.random.default_rng(0))
    long_way = []
    call = g._call
    monkeypatch.setattr(g, "_call", lambda *a: long_way.append(a) or call(*a))
    for seed in (1, 2):
        expected = 2 * w * np.random.default_rng(seed).normal(size=3)
        np.testing.assert_allclose(g(w, np.random.default_rng(seed)), expected)
    assert len(long_way) == 2
