"""Generators read by name from a closure or a module global.

autograd's examples sample from a ``RandomState`` the objective closes over
(black-box variational inference). The gradient draws from that very
generator, when it is called, exactly what the function would draw on that
call: its gradient is the function's gradient at those samples, and the
generator ends where one call of the function leaves it. Each test fixes the
samples the way the function sees them: the generator is put back to the
state it had before the gradient call, then central differences run with the
generator reset before every evaluation.
"""

from __future__ import annotations

import copy
import inspect
import pickle
import random
import subprocess
import sys
from pathlib import Path
from typing import Any

import autograd.numpy as anp
import autograd.numpy.random as npr
import numpy as np
import pytest

import srcdiff
from srcdiff.cli import main
from srcdiff.errors import TraceError
from srcdiff.numeric import max_relative_error, numerical_grad

X = np.array([0.3, -1.2, 0.7])
TOL = 1e-6


def state(generator: Any) -> Any:
    if isinstance(generator, np.random.Generator):
        return copy.deepcopy(generator.bit_generator.state)
    if isinstance(generator, np.random.RandomState):
        return copy.deepcopy(generator.get_state())
    return generator.getstate()


def put(generator: Any, saved: Any) -> None:
    if isinstance(generator, np.random.Generator):
        generator.bit_generator.state = copy.deepcopy(saved)
    elif isinstance(generator, np.random.RandomState):
        generator.set_state(copy.deepcopy(saved))
    else:
        generator.setstate(saved)


def same_state(a: Any, b: Any) -> bool:
    return pickle.dumps(a) == pickle.dumps(b)


def check_call(g: Any, f: Any, generator: Any, *args: Any) -> Any:
    """One gradient call: equal to central differences of f at the samples f
    draws on this call, and the generator left where one call of f leaves it."""
    before = state(generator)
    got = g(*args)
    after = state(generator)

    def at_these_draws(*values: Any) -> Any:
        put(generator, before)
        return f(*values)

    expected = numerical_grad(at_these_draws, list(args), 0)
    put(generator, before)
    f(*args)
    assert same_state(after, state(generator)), "the draw count differs from f's"
    assert max_relative_error(got, expected) < TOL
    return got


# ----- autograd's black_box_svi, as its example writes it -----
def black_box_variational_inference(logprob, D, num_samples):
    rs = npr.RandomState(0)

    def variational_objective(params, t):
        mean, log_std = params[:D], params[D:]
        samples = rs.randn(num_samples, D) * anp.exp(log_std) + mean
        return -anp.mean(logprob(samples, t)) - anp.sum(log_std)

    return variational_objective


def log_density(x, t):
    mu, log_sigma = x[:, 0], x[:, 1]
    return -0.5 * (mu**2 + log_sigma**2) - anp.tanh(mu * log_sigma) * (1 + 0.1 * t)


PARAMS = np.array([0.2, -0.5, -1.0, -0.3])


def test_black_box_svi_draws_from_its_closure_random_state() -> None:
    objective = black_box_variational_inference(log_density, 2, 16)
    rs = inspect.getclosurevars(objective).nonlocals["rs"]
    g = srcdiff.grad(objective)
    firsts = [check_call(g, objective, rs, PARAMS, t) for t in (0, 0, 0)]
    assert not np.allclose(firsts[0], firsts[1])  # fresh samples each call
    assert "def variational_objective_grad(params, t, *, rs):" in g.source


def test_tracing_leaves_the_closure_generator_alone() -> None:
    objective = black_box_variational_inference(log_density, 2, 16)
    rs = inspect.getclosurevars(objective).nonlocals["rs"]
    before = state(rs)
    g = srcdiff.grad(objective)
    g.derivative(PARAMS, 0)
    assert "rs.randn(16, 2)" in g.source
    assert same_state(before, state(rs))


def test_value_and_grad_share_the_draws() -> None:
    objective = black_box_variational_inference(log_density, 2, 8)
    rs = inspect.getclosurevars(objective).nonlocals["rs"]
    before = state(rs)
    value, grad = srcdiff.value_and_grad(objective)(PARAMS, 1)
    put(rs, before)
    assert value == pytest.approx(objective(PARAMS, 1))

    def at_these_draws(p: Any) -> Any:
        put(rs, before)
        return objective(p, 1)

    expected = numerical_grad(at_these_draws, [PARAMS], 0)
    assert max_relative_error(grad, expected) < TOL


# ----- A Generator in a closure, and a RandomState and a Generator as globals -----
def make_objective(rng):
    def objective(x):
        eps = rng.standard_normal(3)
        return np.sum((x + eps) ** 2) + np.sum(x) * rng.uniform()

    return objective


GLOBAL_GENERATOR = np.random.default_rng(21)
GLOBAL_STATE = np.random.RandomState(22)


def reads_global_generator(x):
    return np.sum(np.sin(x * GLOBAL_GENERATOR.normal(size=3)))


def reads_global_random_state(x):
    z = x * GLOBAL_STATE.randn(3) + GLOBAL_STATE.rand()
    return np.sum(z**2)


def test_a_generator_in_a_closure() -> None:
    rng = np.random.default_rng(23)
    objective = make_objective(rng)
    g = srcdiff.grad(objective)
    for _ in range(3):
        check_call(g, objective, rng, X)
    assert "rng.standard_normal(3)" in g.source and "*, rng)" in g.source


def test_a_random_state_in_a_closure() -> None:
    rs = np.random.RandomState(24)
    objective = make_objective_rs(rs)
    g = srcdiff.grad(objective)
    for _ in range(3):
        check_call(g, objective, rs, X)


def make_objective_rs(rs):
    return lambda x: np.sum(np.exp(x * rs.randn(3)))


def test_module_global_generator_and_random_state() -> None:
    for f, generator in (
        (reads_global_generator, GLOBAL_GENERATOR),
        (reads_global_random_state, GLOBAL_STATE),
    ):
        g = srcdiff.grad(f)
        for _ in range(3):
            check_call(g, f, generator, X)


PYTHON_RANDOM = random.Random(25)


def reads_python_random(x):
    return np.sum(x**2) * PYTHON_RANDOM.gauss(0.0, 1.0)


def test_python_random_instance_as_a_global() -> None:
    g = srcdiff.grad(reads_python_random)
    for _ in range(3):
        check_call(g, reads_python_random, PYTHON_RANDOM, X)


# ----- Rebinding, loops, retries -----
def test_a_rebound_global_is_read_at_call_time(monkeypatch: pytest.MonkeyPatch) -> None:
    g = srcdiff.grad(reads_global_generator)
    g(X)
    old = GLOBAL_GENERATOR
    untouched = state(old)
    fresh = np.random.default_rng(26)
    monkeypatch.setattr(sys.modules[__name__], "GLOBAL_GENERATOR", fresh)
    check_call(g, reads_global_generator, fresh, X)
    assert same_state(untouched, state(old))
    # Another kind of generator: traced again.
    other = np.random.RandomState(27)
    monkeypatch.setattr(sys.modules[__name__], "GLOBAL_GENERATOR", other)
    check_call(g, reads_global_generator, other, X)
    assert sum(len(paths) for paths in g._paths.values()) == 2


WALK = np.random.default_rng(28)


def walks(x):
    s = 0.0
    while s < 2.0:
        s = s + WALK.uniform()
        x = x * 1.01 + WALK.normal(size=3)
    return np.sum(x**2)


def test_a_path_that_fails_its_guard_puts_the_draws_back() -> None:
    """The trip count is drawn: a cached path that fails its guard has drawn
    from the global generator already; those draws are put back before the
    next path draws, so nothing is drawn twice."""
    g = srcdiff.grad(walks)
    for _ in range(8):
        check_call(g, walks, WALK, X)
    assert sum(len(paths) for paths in g._paths.values()) > 1  # some retried


def make_monte_carlo(rng):
    def monte_carlo(x, n):
        total = 0.0
        for _ in range(n):
            eps = rng.standard_normal(3)
            total = total + np.sum(np.tanh(x + eps))
        return total / n

    return monte_carlo


def test_a_rolled_loop_draws_once_per_trip() -> None:
    rng = np.random.default_rng(29)
    f = make_monte_carlo(rng)
    g = srcdiff.grad(f)
    check_call(g, f, rng, X, 200)
    assert g.source.count("rng.standard_normal(") == 1


SHARED = np.random.default_rng(30)


def passed_and_read(x, rng):
    return np.sum(x * rng.normal(size=3) * SHARED.normal(size=3))


def test_the_same_generator_as_argument_and_global() -> None:
    """Passed in and read by name: one generator, whose draws interleave."""
    g = srcdiff.grad(passed_and_read)
    check_call(g, passed_and_read, SHARED, X, SHARED)
    other = np.random.default_rng(31)
    before, twin = state(other), copy.deepcopy(SHARED)
    got = g(X, other)
    put(other, before)
    expected = other.normal(size=3) * twin.normal(size=3)
    assert same_state(state(SHARED), state(twin))
    np.testing.assert_allclose(got, expected)


# ----- What the emitted text says and does standalone -----
RUNNER = """
import importlib.util, pickle, sys
import numpy as np
spec = importlib.util.spec_from_file_location("emitted", sys.argv[1])
emitted = importlib.util.module_from_spec(spec)
spec.loader.exec_module(emitted)
rs = np.random.RandomState(32)
x = np.array([0.2, -0.5, -1.0, -0.3])
result = emitted.variational_objective_grad(x, 0, rs=rs)
try:
    emitted.variational_objective_grad(x, 0)
except TypeError as exc:
    missing = str(exc)
assert "srcdiff" not in sys.modules and "autograd" not in sys.modules
with open(sys.argv[2], "wb") as out:
    pickle.dump((result, missing), out)
"""


def test_the_emitted_text_takes_the_generator_as_a_keyword(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    objective = black_box_variational_inference(log_density, 2, 16)
    g = srcdiff.grad(objective)
    srcdiff.print_source(g, PARAMS, 0)
    text = capsys.readouterr().out
    header = text[: text.index("import numpy")]
    assert "Draws from `rs`, a RandomState variational_objective reads from" in header
    assert "its closure" in header and "`rs=`" in header
    path = tmp_path / "svi_grad.py"
    path.write_text(text)
    ruff = subprocess.run(
        [sys.executable, "-m", "ruff", "check", "--isolated", "--select", "F", path],
        capture_output=True,
        text=True,
    )
    if "No module named ruff" not in ruff.stderr:
        assert ruff.returncode == 0, ruff.stdout
    out = tmp_path / "result.pkl"
    subprocess.run(
        [sys.executable, "-I", "-c", RUNNER, str(path), str(out)],
        check=True,
        cwd=tmp_path,
    )
    result, missing = pickle.loads(out.read_bytes())
    assert "rs" in missing  # no default: the caller says which generator
    # The same draws in process.
    rs = inspect.getclosurevars(objective).nonlocals["rs"]
    rs.seed(32)
    np.testing.assert_allclose(g(PARAMS, 0), result)


MODULE = """
import numpy as np

RNG = np.random.default_rng(33)


def loss(x):
    return np.sum((x + RNG.normal(size=x.shape)) ** 2)


def example():
    return (np.array([0.5, -0.25]),)
"""


def test_srcdiff_emit_names_the_global_generator(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    source = tmp_path / "sampled.py"
    source.write_text(MODULE)
    target = f"{source}:loss"
    assert main(["emit", target, "--example", f"{source}:example"]) == 0
    text = capsys.readouterr().out
    assert "def loss_grad(x, *, RNG):" in text
    assert "RNG.normal(size=" in text
    assert "pass that generator as `RNG=`" in " ".join(text.replace("#", "").split())
    namespace: dict[str, Any] = {}
    exec(compile(text, "loss_grad.py", "exec"), namespace)
    rng = np.random.default_rng(34)
    x = np.array([0.5, -0.25])
    got = namespace["loss_grad"](x, RNG=rng)
    np.testing.assert_allclose(got, 2 * (x + np.random.default_rng(34).normal(size=2)))


# ----- Still refused: a generator the code has no name for -----
class Model:
    def __init__(self) -> None:
        self.rng = np.random.default_rng(35)


MODEL = Model()
DRAW = np.random.default_rng(36).normal


def reads_an_attribute(x):
    return np.sum(x * MODEL.rng.normal(size=3))


def draws_through_a_bound_method(x):
    return np.sum(x * DRAW(size=3))


def has_a_generator_default(x, rng=GLOBAL_GENERATOR):
    return np.sum(x * rng.normal(size=3))


@pytest.mark.parametrize(
    ("f", "what"),
    [
        (reads_an_attribute, "`MODEL.rng`"),
        (draws_through_a_bound_method, "Generator object"),
        (has_a_generator_default, "the default value of `rng`"),
    ],
)
def test_generators_without_a_name_are_refused(f: Any, what: str) -> None:
    with pytest.raises(TraceError) as error:
        srcdiff.grad(f)(X)
    text = str(error.value)
    assert what in text and "is a random generator" in text
    assert "test_closure_generators.py:" in text and "^" in text
