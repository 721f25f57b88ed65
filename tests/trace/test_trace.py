"""What the trace handles, end to end: each gradient checked against finite differences.

Every test differentiates a small function with ``srcdiff.grad`` and compares
the result with central differences from ``srcdiff.numeric``, which shares no
code with the machinery under test.
"""

import functools
import importlib.util
import inspect
from pathlib import Path

import autograd.numpy as anp
import numpy
import numpy as np
import numpy as xp
import pytest
from autograd.numpy import tanh as ag_tanh
from numpy import exp, log

import srcdiff
from srcdiff.api import compile_derivative
from srcdiff.numeric import max_relative_error, numerical_grad

TOL = 1e-6
RNG = np.random.default_rng(0)
A = RNG.normal(size=(3, 4))
B = RNG.normal(size=(4, 2))
V = RNG.normal(size=4)


def check(f, *args, wrt=None):
    """Compare ``srcdiff.grad(f, wrt)(*args)`` with finite differences."""
    got = srcdiff.grad(f, wrt=wrt)(*args)
    names = list(inspect.signature(f).parameters)

    def numerical(w):
        return numerical_grad(f, args, names.index(w) if isinstance(w, str) else w)

    if wrt is None or isinstance(wrt, (str, int)):
        expected = numerical(wrt or 0)
    else:
        expected = tuple(numerical(w) for w in wrt)
    assert max_relative_error(got, expected) < TOL
    return got


# ----- Where functions come from -----
def module_level(x):
    return np.sum(np.sin(x) * x)


def test_module_level_function():
    check(module_level, A)


def test_nested_function_with_closure_values():
    scale = 3.0
    weights = RNG.normal(size=4)

    def nested(x):
        return np.sum(scale * np.tanh(x) * weights)

    check(nested, A)


def test_closure_over_closure():
    offset = RNG.normal(size=4)

    def make(power):
        def inner(x):
            return np.sum((x - offset) ** power)

        return inner

    check(make(3), V)


def test_nested_def_inside_traced_function():
    def outer(x, y):
        def square_plus(z, c=1.0):
            return z**2 + c

        return np.sum(square_plus(x) * square_plus(y, c=2.0))

    check(outer, V, V + 1, wrt=("x", "y"))


def test_lambda():
    g = check(lambda x: np.sum(x**2), A)
    assert max_relative_error(g, 2 * A) < TOL


def test_a_lambda_is_named_after_the_name_it_is_assigned_to():
    half_square = lambda x: np.sum(x**2) / 2  # noqa: E731
    g = srcdiff.grad(half_square)
    g(A)
    assert "def half_square_grad(x):" in g.source
    assert "def f_grad(x):" in srcdiff.grad(lambda x: np.sum(x)).source


def test_lambda_with_two_parameters():
    check(lambda x, y: np.sum(x * y**2), A, A + 1, wrt=1)


def noop(fn):
    return fn


def wrapping(fn):
    @functools.wraps(fn)
    def wrapper(*args, **kwargs):
        return 2 * fn(*args, **kwargs)

    return wrapper


@noop
def decorated_noop(x):
    return np.sum(np.exp(x))


@wrapping
def decorated_wraps(x):
    return np.sum(np.cos(x))


def test_noop_decorator_is_stripped():
    check(decorated_noop, A)


def test_wraps_decorator_is_stripped():
    # The source of the wrapped function is what is differentiated.
    g = srcdiff.grad(decorated_wraps)(A)
    assert max_relative_error(g, -np.sin(A)) < TOL


# ----- Names resolved by identity -----
def via_numpy(x):
    return numpy.sum(numpy.tanh(x))


def via_xp(x):
    return xp.sum(xp.log1p(x**2))


def via_from_import(x):
    return np.sum(log(exp(x) + 1))


def via_autograd(x, W):
    return anp.sum(anp.tanh(anp.dot(x, W)) ** 2) + anp.mean(x)


def via_autograd_from_import(x):
    return anp.sum(ag_tanh(x) * x)


def via_autograd_constructors(x):
    a = anp.sum(x)
    b = anp.mean(x**2)
    return anp.sum(anp.stack([x, 2 * x])) + anp.sum(anp.array([a, b]) ** 2)


@pytest.mark.parametrize(
    "f", [via_numpy, via_xp, via_from_import, via_autograd_from_import]
)
def test_names_resolve_by_identity(f):
    check(f, A)


def test_autograd_code_works_unchanged():
    check(via_autograd, V, B, wrt=("x", "W"))


def test_autograd_constructors():
    check(via_autograd_constructors, V)


SHIFT = np.array([1.0, -2.0, 0.5, 3.0])


def reads_global_shift(x):
    return np.sum(SHIFT * x**2)


def make_shadowing_closure():
    SHIFT = np.array([10.0, 20.0, 30.0, 40.0])

    def f(x):
        return np.sum(SHIFT * x) * reads_global_shift(x)

    return f


def test_distinct_arrays_with_one_name_stay_distinct():
    check(make_shadowing_closure(), V)


# ----- Calls into user functions -----
def sigmoid(z):
    return 1 / (1 + np.exp(-z))


def logit_sigmoid(z):
    return np.log(sigmoid(z))


def scaled(z, factor=2.0):
    return factor * logit_sigmoid(z)


def uses_helpers(w, X):
    return -np.mean(scaled(X @ w, factor=0.5)) + np.sum(sigmoid(w))


def recursive_power(x, n):
    if n == 0:
        return 1.0
    return x * recursive_power(x, n - 1)


def uses_recursion(x, n):
    return np.sum(recursive_power(x, n))


def test_helper_calls_helper():
    check(uses_helpers, V, A, wrt="w")


def test_recursive_helper_with_static_depth():
    g = check(uses_recursion, V, 4)
    assert max_relative_error(g, 4 * V**3) < TOL


# ----- Container arguments -----
def mlp_loss(params, X):
    h = X
    for W, b in params:
        h = np.tanh(h @ W + b)
    return np.sum(h**2)


def dict_loss(p, x):
    return np.sum(p["w"] * x) ** 2 + p["scale"] * np.sum(p["bias"] ** 2)


def pair_loss(pair, x):
    a, b = pair
    return np.sum(a * x + b**2)


def test_list_of_tuples_gives_list_of_tuples():
    params = [
        (RNG.normal(size=(4, 5)), RNG.normal(size=5)),
        (RNG.normal(size=(5, 3)), RNG.normal(size=3)),
    ]
    g = check(mlp_loss, params, A)
    assert isinstance(g, list)
    assert all(isinstance(layer, tuple) and len(layer) == 2 for layer in g)
    assert [(dw.shape, db.shape) for dw, db in g] == [((4, 5), (5,)), ((5, 3), (3,))]


def test_dict_gives_dict_with_same_keys():
    p = {"w": V.copy(), "bias": RNG.normal(size=3), "scale": 0.7}
    g = check(dict_loss, p, V + 1)
    assert list(g) == ["w", "bias", "scale"]
    assert isinstance(g["scale"], float)


def test_tuple_argument_gives_tuple():
    g = check(pair_loss, (V, V + 2), V - 1)
    assert isinstance(g, tuple)


def test_container_and_array_wrt_together():
    g = check(pair_loss, (V, V + 2), V - 1, wrt=("pair", "x"))
    assert isinstance(g, tuple)
    assert isinstance(g[0], tuple)


# ----- Static control flow -----
def static_branches(x, n, flag, mode):
    out = np.sum(x)
    if flag:
        scale = 2.0
        out = out * scale
    else:
        out = out - 1
        out = np.sin(out)
    if mode == "square":
        out = out**2
    elif mode == "exp":
        out = np.exp(out / 10)
    if x.shape[0] > 2 and x.ndim == 2:
        out = out + np.sum(x[2] ** 3)
    for i in range(n):
        out = out + np.sum(x**i) / (i + 1)
    return out


@pytest.mark.parametrize(
    ("n", "flag", "mode"), [(0, True, "square"), (3, False, "exp"), (2, True, "")]
)
def test_static_branches_and_range(n, flag, mode):
    check(static_branches, A, n, flag, mode)


def loops(x):
    total = 0.0
    for c in (1.0, 2.0, 3.0):
        total = total + c * np.sum(x)
    for c in [0.5, 0.25]:
        total = total + np.sum(np.sin(c * x))
    for i, c in enumerate([2.0, 3.0]):
        total = total + i * c * np.sum(x**2)
    for a, b in zip([1.0, 2.0], [x, x**2], strict=True):
        total = total + a * np.sum(b)
    k = 0
    while k < 3:
        total = total + np.sum(np.cos(x + k))
        k += 1
    for row in x:
        total = total + np.sum(row) ** 2
    return total


def test_loops_over_sequences():
    check(loops, A)


def iterates_rows(x):
    total = sum(np.sum(a * b) for a, b in zip(x, x[::-1], strict=True))
    for i, row in enumerate(reversed(x)):
        total = total + i * np.sum(row**2)
    first, _, _ = list(x)
    squares = map(lambda r: np.sum(r**2), tuple(x))
    return total + np.sum(first) + sum(squares) + np.sum(sum(x, np.ones(4)) ** 2)


def test_builtins_iterate_over_array_rows():
    check(iterates_rows, A)


def break_continue(x, n):
    total = 0.0
    for i in range(n):
        if i % 2 == 1:
            continue
        if i > 6:
            break
        total = total + np.sum(x ** (i + 1))
    return total


def test_break_and_continue():
    check(break_continue, V, 12)


@pytest.mark.parametrize("n", [0, 1, 3, 8, 12])
def test_break_and_continue_in_a_rolled_loop(n):
    g = srcdiff.grad(break_continue, unroll=False)
    expected = numerical_grad(break_continue, (V, n), 0)
    assert max_relative_error(g(V, n), expected) < TOL
    generic = compile_derivative(srcdiff.grad(break_continue).derivative())
    assert max_relative_error(generic(V, n), expected) < TOL


def early_return(x, skip):
    if skip:
        return np.sum(x)
    y = np.tanh(x)
    return np.sum(y * x)


@pytest.mark.parametrize("skip", [True, False])
def test_early_return(skip):
    check(early_return, A, skip)


def comprehension(x):
    parts = [np.sum(x[i] ** (i + 1)) for i in range(x.shape[0]) if i != 1]
    return sum(parts) + sum(np.sum(v) for v in [x, 2 * x])


def test_list_comprehension_and_builtin_sum():
    check(comprehension, A)


def unpacking(x):
    a, b = x[0], x[1]
    (c, d), e = (x[2], x[0] * 2), 3.0
    return np.sum(a * b + c * d * e)


def test_tuple_unpacking():
    check(unpacking, A)


def optional_argument(x, w=None, p=None):
    out = np.sum(x**2)
    if w is not None:
        out = out + np.sum(w * x)
    if p is not None and "scale" in p and "missing" not in p:
        out = out * p["scale"]
    return out


@pytest.mark.parametrize(
    "extra", [(), (V + 1,), (None, {"scale": 3.0}), (V, {"scale": 2.5, "other": V})]
)
def test_identity_and_membership_are_static(extra):
    check(optional_argument, V, *extra)


def shares_array(x):
    y = x * 2
    z = y
    z += 1
    return np.sum(y * z)


def test_in_place_update_of_a_shared_array_is_refused():
    # NumPy's += would change y too; srcdiff must not pretend it doesn't.
    with pytest.raises(srcdiff.UnsupportedSyntax, match=r"`z \+= 1`.*`y`") as info:
        srcdiff.grad(shares_array)(V)
    assert "z = z + ..." in str(info.value)


def accumulates(x):
    total = 0.0
    acc = x * 0
    for row in x:
        total += np.sum(row**2)
        acc += row
    return total + np.sum(acc**3)


def test_in_place_update_of_unshared_values():
    check(accumulates, A)


# ----- Value-dependent control flow -----
def value_branch(x):
    if np.sum(x) > 0:
        return np.sum(x**2)
    return np.sum(np.sin(x))


def test_value_branch_respecialises():
    g = srcdiff.grad(value_branch)
    for x in (A + 5, A - 5, A + 5):
        expected = numerical_grad(value_branch, (x,), 0)
        assert max_relative_error(g(x), expected) < TOL
        assert "if np.sum(x) > 0 was" in g.source


def series_exp(x, tol=1e-12):
    term = 1.0
    total = 1.0
    i = 1
    while abs(term) > tol:
        term = term * x / i
        total = total + term
        i += 1
    return total


def test_while_on_value_follows_each_call():
    g = srcdiff.grad(series_exp)
    for x in (0.3, 2.0, -1.5, 0.3):
        assert abs(g(x) - np.exp(x)) < TOL


def load_example(name):
    path = Path(__file__).parents[2] / "examples" / f"{name}.py"
    spec = importlib.util.spec_from_file_location(f"examples.{name}", path)
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


@pytest.fixture(scope="module")
def taylor_grad():
    module = load_example("taylor_sine")
    return module.loss, srcdiff.grad(module.loss)


@pytest.mark.parametrize("x", [0.1, 1.0, 2.5, 5.0, -3.0])
def test_taylor_sine_at_several_trip_counts(taylor_grad, x):
    loss, g = taylor_grad
    got = g(x)
    assert isinstance(got, float)
    assert max_relative_error(got, numerical_grad(loss, (x,), 0)) < TOL
    # The series stops at a term below 1e-3, so it matches cos only that well.
    assert abs(got - np.cos(x)) < 1e-2


def test_taylor_sine_keeps_one_path_per_trip_count_until_it_rolls():
    g = srcdiff.grad(load_example("taylor_sine").loss)
    for x in (0.1, 1.0, 2.5):  # 1, 3 and 5 trips: short, so unrolled
        g(x)
    (paths,) = g._paths.values()
    assert len(paths) == 3
    g(5.0)  # 9 trips: over the unroll budget, so rolled, good for any count
    g(-3.0)  # 6 trips: the rolled derivative serves it
    assert len(paths) == 4
    assert "while abs(term) > 0.001:" in g.source


# ----- ndarray methods and attributes -----
def methods(x, y):
    a = x.sum(axis=0).dot(y) + y.mean(axis=1).reshape(2, 2).sum(axis=0)
    b = x.max(axis=1).reshape((3, 1)) * x.dot(y)
    c = x.T.transpose().clip(-0.5, 0.5).reshape(2, 6).sum() + x.mean()
    return np.sum(a**2) + np.sum(b**2) + c * x.shape[0] + x.ndim + len(x)


def test_ndarray_methods():
    check(methods, A, B, wrt=("x", "y"))


def indexing(x, idx):
    return (
        np.sum(x[0] ** 2)
        + np.sum(np.sin(x[:, 1:3]))
        + np.sum(x[::-1] * x)
        + np.sum(x[idx] ** 3)
        + np.sum(x[None] * 2)
        + np.sum(np.exp(x[..., 0]))
    )


def test_indexing_and_slicing_with_repeated_indices():
    check(indexing, A, np.array([0, 2, 2, 1, 2]))


def constructors(x):
    a = np.sum(x)
    b = np.mean(x**2)
    m = np.array([[a, b], [b * a, 1.0]])
    s = np.stack([x[0], x[1] * a])
    t = np.stack([x, x**2], axis=1)
    return np.sum(m**2) + np.sum(np.tanh(s)) + np.sum(t[:, 1])


def test_array_and_stack_of_traced_values():
    check(constructors, A)


def builtins_fn(x, scale):
    return float(abs(np.sum(x**3))) + sum([x, 2 * x, x**2]).sum() * scale


def test_builtin_abs_sum_float():
    check(builtins_fn, V, 0.5, wrt=("x", "scale"))


# ----- Python floats, float32, wrt forms -----
def float_fn(a, x):
    return np.sum(np.tanh(a * x)) + a**2


def test_python_float_argument_gives_float():
    got = check(float_fn, 0.7, V)
    assert isinstance(got, float)


def float32_fn(x):
    return np.sum(np.tanh(x) * x)


def test_float32_gradient_is_float32():
    x = A.astype(np.float32)
    got = srcdiff.grad(float32_fn)(x)
    assert got.dtype == np.float32
    # numerical_grad evaluates in float64, so this also bounds float32 rounding.
    assert max_relative_error(got, numerical_grad(float32_fn, (x,), 0)) < TOL


def three(x, y, z):
    return np.sum(x * y * np.sin(z))


@pytest.mark.parametrize("wrt", ["y", 2, -1, ("x", "z"), ("z", 1)])
def test_wrt_forms(wrt):
    got = check(three, V, V + 1, V - 1, wrt=wrt)
    assert isinstance(got, tuple) == isinstance(wrt, tuple)


# ----- Clear errors -----
def uses_view(x):
    return np.sum(x.view(np.float64))


def uses_byteswap(x):
    return np.sum(x.byteswap())


def uses_tobytes(x):
    return len(x.tobytes()) * np.sum(x)


@pytest.mark.parametrize("f", [uses_view, uses_byteswap, uses_tobytes])
def test_unsupported_attribute_is_a_srcdiff_error(f):
    with pytest.raises(srcdiff.UnsupportedPrimitive, match=r"array attribute") as info:
        srcdiff.grad(f)(A)
    assert not isinstance(info.value, AttributeError)
    assert "test_trace.py" in str(info.value)
    assert "Supported methods:" in str(info.value)


# ----- shapes that values decide -----
def masked_mean(x, mask):
    return np.mean(x[mask] ** 2)


def test_a_mask_with_another_count_shares_the_derivative():
    """The mean divides by np.count_nonzero(mask), read when the code runs."""
    g = srcdiff.grad(masked_mean)
    x = np.arange(4.0)
    for mask in ([True, True, False, False], [True, True, True, False]):
        args = (x, np.array(mask))
        assert max_relative_error(g(*args), numerical_grad(masked_mean, args, 0)) < TOL
    (paths,) = g._paths.values()
    assert len(paths) == 1
    assert "np.count_nonzero(mask)" in g.source


def takes_rest(x, *rest):
    return np.sum(x) * rest[0]


def test_star_arguments_are_a_tuple_of_the_call():
    # tests/trace/test_varargs.py has the rest.
    assert np.allclose(srcdiff.grad(takes_rest)(V, 3.0), 3.0)
    assert srcdiff.grad(takes_rest, wrt=1)(V, 3.0) == np.sum(V)
