"""Random draws inside the differentiated function are calls, not constants.

The gradient makes each draw the function makes, in the same order, once per
call: both sweeps read that one draw. Each test computes the expected
gradient by hand from the same draws (a second generator seeded alike), so a
sample baked in at trace time, a draw made twice, a draw dropped or reordered,
or a generator advanced by tracing all make it fail.
"""

from __future__ import annotations

import ast
import pickle
import subprocess
import sys
import time
import types
from pathlib import Path

import numpy as np
import pytest

import srcdiff
from srcdiff.api import compile_derivative
from srcdiff.errors import NeedsExample, TraceError, UnsupportedPrimitive
from srcdiff.spec import fact

X = np.array([0.3, -1.2, 0.7])


def noisy(x, rng):
    eps = rng.normal(size=x.shape)
    u = rng.uniform(size=3)
    return np.sum((x + eps) ** 2) + np.sum(x * u)


def noisy_by_hand(x, rng):
    eps = rng.normal(size=x.shape)
    u = rng.uniform(size=3)
    return 2 * (x + eps) + u


def test_seeded_generator_gives_the_gradient_of_its_draws() -> None:
    rng, twin = np.random.default_rng(0), np.random.default_rng(0)
    state = rng.bit_generator.state
    srcdiff.grad(noisy).derivative(X, rng)  # tracing draws from a copy
    assert rng.bit_generator.state == state
    got = srcdiff.grad(noisy)(X, rng)
    np.testing.assert_allclose(got, noisy_by_hand(X, twin))
    # The generator is where one call of f leaves it.
    assert rng.bit_generator.state == twin.bit_generator.state


def test_each_call_draws_afresh_from_the_generator() -> None:
    g = srcdiff.grad(noisy)
    rng, twin = np.random.default_rng(1), np.random.default_rng(1)
    first, second = g(X, rng), g(X, rng)
    assert not np.allclose(first, second)
    np.testing.assert_allclose(first, noisy_by_hand(X, twin))
    np.testing.assert_allclose(second, noisy_by_hand(X, twin))


def test_a_new_generator_reuses_the_trace() -> None:
    g = srcdiff.grad(noisy)
    for seed in (2, 3, 4):
        got = g(X, np.random.default_rng(seed))
        np.testing.assert_allclose(got, noisy_by_hand(X, np.random.default_rng(seed)))
    assert len(g._paths) == 1 and len(next(iter(g._paths.values()))) == 1
    assert fact(np.random.default_rng(0)) == fact(np.random.default_rng(5))
    assert "rng: Generator" in g.source


def test_the_emitted_code_calls_the_generator() -> None:
    g = srcdiff.grad(noisy)
    g(X, np.random.default_rng(0))
    specialised, generic = g.source, srcdiff.grad(noisy).source
    for source in (specialised, generic):
        assert "rng.normal(size=" in source and "rng.uniform(size=3)" in source
        assert "np.array(" not in source
        assert source.index("rng.normal(") < source.index("rng.uniform(")
    run = compile_derivative(srcdiff.grad(noisy).derivative())
    twin = np.random.default_rng(6)
    got = run(X, np.random.default_rng(6))
    np.testing.assert_allclose(got, noisy_by_hand(X, twin))


def seeded(x):
    np.random.seed(0)
    eps = np.random.randn(3)
    return np.sum(x * eps) + np.sum(x**2) * np.random.rand()


def unseeded(x):
    return np.sum(x * np.random.randn(3))


def test_np_random_seed_then_randn() -> None:
    g = srcdiff.grad(seeded)
    state = np.random.RandomState(0)
    eps, r = state.randn(3), state.rand()
    expected = eps + 2 * X * r
    np.testing.assert_allclose(g(X), expected)
    np.testing.assert_allclose(g(X), expected)  # seeded in f: same each call
    assert "np.random.seed(0)" in g.source and "np.random.randn(3)" in g.source


def test_np_random_functions_draw_from_the_global_state() -> None:
    g = srcdiff.grad(unseeded)
    np.random.seed(5)
    first = g(X)  # traces, but the trace leaves the global state alone
    second = g(X)
    state = np.random.RandomState(5)
    np.testing.assert_allclose(first, state.randn(3))
    np.testing.assert_allclose(second, state.randn(3))


def skips_a_draw(x, rng):
    unused = rng.normal()  # noqa: F841
    b = rng.normal(size=3)
    return np.sum(x * b)


def test_an_unused_draw_is_still_made() -> None:
    """A draw nothing reads still advances the generator: dropping it would
    give every later draw another value than f gets."""
    g = srcdiff.grad(skips_a_draw)
    twin = np.random.default_rng(7)
    twin.normal()
    np.testing.assert_allclose(g(X, np.random.default_rng(7)), twin.normal(size=3))
    assert "    rng.normal()\n" in g.source


def makes_its_own(x):
    rng = np.random.default_rng(0)
    return np.sum((x + rng.normal(size=3)) ** 2)


def test_a_generator_made_inside() -> None:
    g = srcdiff.grad(makes_its_own)
    expected = 2 * (X + np.random.default_rng(0).normal(size=3))
    np.testing.assert_allclose(g(X), expected)
    assert "np.random.default_rng(0)" in g.source and "np.array(" not in g.source


def timed(x):
    return np.sum(x) * time.time()


def test_the_clock_is_read_on_each_call() -> None:
    g = srcdiff.grad(timed)
    g(X)  # traces
    before = time.time()
    got = g(X)
    after = time.time()
    assert before <= got[0] <= after
    assert "import time" in g.source and "time.time()" in g.source


def elbo(params, data, rng):
    """Negative ELBO of a Gaussian mean model, by the reparameterisation trick."""
    mu, log_sigma = params
    eps = rng.standard_normal((8, mu.shape[0]))
    z = mu + np.exp(log_sigma) * eps
    log_lik = -0.5 * np.sum((data - z) ** 2, axis=1)
    return -(np.mean(log_lik) + np.sum(log_sigma))


def test_black_box_vi_objective() -> None:
    mu, log_sigma = np.array([0.1, -0.4]), np.array([-1.0, 0.5])
    data = np.array([1.0, 2.0])
    g = srcdiff.value_and_grad(elbo)
    rng, twin = np.random.default_rng(8), np.random.default_rng(8)
    for _ in range(2):
        value, (dmu, dlog_sigma) = g((mu, log_sigma), data, rng)
        eps = twin.standard_normal((8, 2))
        z = mu + np.exp(log_sigma) * eps
        dz = -(data - z) / 8
        np.testing.assert_allclose(
            value, 0.5 * np.mean(np.sum((data - z) ** 2, 1)) - np.sum(log_sigma)
        )
        np.testing.assert_allclose(dmu, dz.sum(axis=0))
        np.testing.assert_allclose(
            dlog_sigma, (dz * np.exp(log_sigma) * eps).sum(axis=0) - 1
        )


def monte_carlo(x, rng, n):
    total = 0.0
    for _ in range(n):
        eps = rng.standard_normal(3)
        total = total + np.sum(np.tanh(x + eps))
    return total / n


def monte_carlo_by_hand(x, rng, n):
    total = np.zeros(3)
    for _ in range(n):
        total += 1 - np.tanh(x + rng.standard_normal(3)) ** 2
    return total / n


def test_a_rolled_loop_saves_its_draws_for_the_backward_loop() -> None:
    g = srcdiff.grad(monte_carlo)
    got = g(X, np.random.default_rng(9), 200)
    np.testing.assert_allclose(
        got, monte_carlo_by_hand(X, np.random.default_rng(9), 200)
    )
    source = g.source
    assert source.count("rng.standard_normal(") == 1  # the backward loop pops
    assert ".append(eps)" in source and ".pop()" in source
    run = compile_derivative(srcdiff.grad(monte_carlo).derivative())  # no example
    got = run(X, np.random.default_rng(10), 150)
    expected = monte_carlo_by_hand(X, np.random.default_rng(10), 150)
    np.testing.assert_allclose(got, expected)


def random_walk(x, rng):
    s = 0.0
    while s < 2.0:
        s = s + rng.uniform()
        x = x * 1.01 + rng.normal(size=3)
    return np.sum(x**2)


def random_walk_by_hand(x, rng):
    s, steps = 0.0, 0
    while s < 2.0:
        s = s + rng.uniform()
        x = x * 1.01 + rng.normal(size=3)
        steps += 1
    return 2 * x * 1.01**steps


def test_a_path_that_fails_its_guard_gives_its_draws_back() -> None:
    """Trip counts set by draws: a cached path that fails a guard has drawn
    already; the generator is put back before the next path draws."""
    g = srcdiff.grad(random_walk)
    rng, twin = np.random.default_rng(11), np.random.default_rng(11)
    for _ in range(6):
        np.testing.assert_allclose(g(X, rng), random_walk_by_hand(X, twin))


RUNNER = """
import importlib.util, pickle, sys
import numpy as np
spec = importlib.util.spec_from_file_location("emitted", sys.argv[1])
emitted = importlib.util.module_from_spec(spec)
spec.loader.exec_module(emitted)
x = np.array([0.3, -1.2, 0.7])
rng = np.random.default_rng(12)
results = [emitted.noisy_grad(x, rng), emitted.noisy_grad(x, rng)]
assert "srcdiff" not in sys.modules, "the emitted file imported srcdiff"
with open(sys.argv[2], "wb") as out:
    pickle.dump(results, out)
"""


def test_the_emitted_file_draws_fresh_samples_standalone(tmp_path: Path) -> None:
    g = srcdiff.grad(noisy)
    g(X, np.random.default_rng(0))
    emitted = tmp_path / "noisy_grad.py"
    emitted.write_text(g.source)
    imports = [
        n
        for n in ast.walk(ast.parse(g.source))
        if isinstance(n, ast.Import | ast.ImportFrom)
    ]
    assert [ast.unparse(n) for n in imports] == ["import numpy as np"]
    out = tmp_path / "result.pkl"
    subprocess.run(
        [sys.executable, "-I", "-c", RUNNER, str(emitted), str(out)],
        check=True,
        cwd=tmp_path,
    )
    first, second = pickle.loads(out.read_bytes())
    twin = np.random.default_rng(12)
    np.testing.assert_allclose(first, noisy_by_hand(X, twin))
    np.testing.assert_allclose(second, noisy_by_hand(X, twin))
    assert not np.allclose(first, second)


RNG = np.random.default_rng(13)
HOLDER = types.SimpleNamespace(rng=RNG)


def reads_a_generator_attribute(x):
    return np.sum(x * HOLDER.rng.normal(size=3))


def draws_around_mu(mu, rng):
    z = rng.normal(mu, 1.0)
    return np.sum(z**2)


def shuffles(x, rng):
    order = np.arange(3)
    rng.shuffle(order)
    return np.sum(x[order])


def default_generator(x, rng=RNG):
    return np.sum(x * rng.normal(size=3))


def branch_draws(x, rng, n):
    total = 0.0
    for _ in range(n):
        if np.sum(x) > 0:
            total = total + np.sum(x * rng.normal(size=3))
    return total


def test_located_refusals() -> None:
    """A generator read by name from a global or closure is drawn from
    (tests/trace/test_closure_generators.py); one held by an object's attribute or
    a parameter's default has no name the emitted code could take it by."""
    with pytest.raises(TraceError) as error:
        srcdiff.grad(reads_a_generator_attribute)(X)
    text = str(error.value)
    assert "test_randomness.py:" in text and "^" in text
    assert "`HOLDER.rng` is a random generator" in text
    assert "Pass the generator as an argument" in text
    with pytest.raises(TraceError, match="the default value of `rng`"):
        srcdiff.grad(default_generator)(X)
    with pytest.raises(UnsupportedPrimitive, match="Reparameterise"):
        srcdiff.grad(draws_around_mu)(X, np.random.default_rng(0))
    with pytest.raises(UnsupportedPrimitive, match="permutation"):
        srcdiff.grad(shuffles)(X, np.random.default_rng(0))
    with pytest.raises(NeedsExample, match="draws random numbers inside an if"):
        srcdiff.grad(branch_draws).source  # noqa: B018
