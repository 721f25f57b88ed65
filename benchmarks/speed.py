"""Speed of srcdiff's gradients next to a hand-written one, autograd and JAX.

For each problem at a small and a large size it times, in one process:

- forward: the loss itself (``examples/<name>.py``), NumPy;
- hand-written: ``benchmarks/handwritten.py``, the baseline every ratio is to;
- grad(f): ``srcdiff.grad(loss, wrt=...)`` in steady state (after its first
  call), so its call dispatch is included;
- emitted: the module srcdiff emits, written to a temporary folder and
  imported as plain Python (its ``loss_grad``): the code alone;
- autograd: ``autograd.grad`` of the same source with autograd's numpy;
- jax: ``jax.jit(jax.grad(...))`` of a jax.numpy version written below (the
  loops as ``lax.fori_loop``/``lax.scan``, as a JAX user would), float64,
  inputs already JAX arrays, result waited for;

and the first call of grad(f) (trace, compile, run) and of the jitted JAX
gradient (trace, compile, run): the median of several, each on a fresh
function object, so that no cache of srcdiff's or JAX's holds it. The
first-call target is checked on ``thirty_lines`` below, a 30-line loss.

It prints Markdown: the table (every time with its ratio to the hand-written
gradient of the same run) and, for each target of issue 12, whether it is met.

Before timing, every hand-written gradient is checked against central
differences (each coordinate when there are at most 200, else 3 random
directions) and every tool's gradient against the hand-written one; any
disagreement stops the run. BLAS, OpenMP and XLA are pinned to one thread
(environment variables before NumPy is imported, then threadpoolctl), the
tools are timed round-robin (each round runs every tool once, in a rotated
order, so drifts on a noisy machine hit them all alike), and medians are
reported. A peer that is not installed shows as "not installed".

Run from the repository root::

    .venv/bin/python benchmarks/speed.py --quick     # under 2 minutes
    .venv/bin/python benchmarks/speed.py --plot docs/benchmarks.png

The peers come from the ``bench`` extra: ``pip install -e '.[bench]'``.
"""

from __future__ import annotations

import argparse
import datetime
import importlib
import importlib.metadata
import importlib.util
import inspect
import os
import platform
import re
import statistics
import subprocess
import sys
import tempfile
import time
import timeit
import types
from dataclasses import dataclass, field
from pathlib import Path

# One thread everywhere, set before NumPy (or JAX) loads its libraries; the
# threadpoolctl limit below is the primary pin, these are the fallback.
for _var in (
    "OMP_NUM_THREADS",
    "OPENBLAS_NUM_THREADS",
    "MKL_NUM_THREADS",
    "BLIS_NUM_THREADS",
    "VECLIB_MAXIMUM_THREADS",
    "NUMEXPR_NUM_THREADS",
):
    os.environ[_var] = "1"
os.environ.setdefault(
    "XLA_FLAGS", "--xla_cpu_multi_thread_eigen=false intra_op_parallelism_threads=1"
)

import numpy as np  # noqa: E402
import scipy  # noqa: E402

import srcdiff  # noqa: E402
import srcdiff.api  # noqa: E402

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT / "benchmarks"))
import handwritten  # noqa: E402


def optional(name: str) -> types.ModuleType | None:
    """A peer from the bench extra, or None (reported, never faked)."""
    try:
        return importlib.import_module(name)
    except ImportError:
        return None


threadpoolctl = optional("threadpoolctl")
autograd = optional("autograd")
jax = optional("jax")
if jax is not None:
    jax.config.update("jax_enable_x64", True)
    import jax.numpy as jnp
    from jax.scipy.special import logsumexp as jlogsumexp

TOOLS = ("forward", "hand-written", "grad(f)", "emitted", "autograd", "jax")
# Steady-state tools compared with the hand-written gradient in the plot.
PLOTTED = ("emitted", "grad(f)", "autograd", "jax")


# --- JAX versions of the examples' losses -------------------------------------


def jax_logistic(w, X, y):
    p = 1 / (1 + jnp.exp(-(X @ w)))
    return -jnp.mean(y * jnp.log(p) + (1 - y) * jnp.log(1 - p))


def jax_mlp(params, X, Y):
    h = X
    for W, b in params[:-1]:
        h = jnp.tanh(h @ W + b)
    W, b = params[-1]
    logits = h @ W + b
    log_probs = logits - jlogsumexp(logits, axis=1, keepdims=True)
    return -jnp.mean(jnp.sum(Y * log_probs, axis=1))


def jax_loglinear(W, X, Y, lam):
    logits = X @ W
    log_probs = logits - jlogsumexp(logits, axis=1, keepdims=True)
    return -jnp.sum(Y * log_probs) / X.shape[0] + lam * jnp.sum(W**2)


def jax_taylor_sine(x):
    """Not jittable: the while test needs a concrete value (jax.grad alone is)."""
    ans = term = x
    i = 0
    while jnp.abs(term) > 1e-3:
        term = -term * x**2 / ((2 * i + 3) * (2 * i + 2))
        ans = ans + term
        i += 1
    return ans


def jax_ode(angle0, velocity0, damping, target, steps=1000, dt=0.01):
    def step(_, state):
        angle, velocity = state
        acceleration = -jnp.sin(angle) - damping * velocity
        return angle + dt * velocity, velocity + dt * acceleration

    angle, _ = jax.lax.fori_loop(0, steps, step, (angle0, velocity0))
    return jnp.mean((angle - target) ** 2)


def jax_gp(log_lengthscale, log_variance, log_noise, X, y):
    lengthscale = jnp.exp(log_lengthscale)
    variance = jnp.exp(log_variance)
    noise = jnp.exp(log_noise)
    n = len(y)
    d2 = jnp.sum((X[:, None, :] - X[None, :, :]) ** 2, axis=-1)
    K = variance * jnp.exp(-d2 / (2 * lengthscale**2)) + noise * jnp.eye(n)
    L = jnp.linalg.cholesky(K)
    alpha = jnp.linalg.solve(L.T, jnp.linalg.solve(L, y))
    _, logdet = jnp.linalg.slogdet(K)
    return 0.5 * y @ alpha + 0.5 * logdet + 0.5 * n * jnp.log(2 * jnp.pi)


def jax_rnn(W, U, V, h0, xs, y):
    def step(h, x_t):
        return jnp.tanh(W @ h + U @ x_t), None

    h, _ = jax.lax.scan(step, h0, xs)
    return jnp.sum((V @ h - y) ** 2)


# A two-layer classifier with standardised inputs, layer norm, label smoothing
# and penalties: a function of the length the first-call target names.
def thirty_lines(W1, b1, W2, b2, X, Y, lam):
    """30 lines, def to return: only its first grad(f) call is timed."""
    mean = np.mean(X, axis=0)
    scale = np.std(X, axis=0) + 1e-8
    Z = (X - mean) / scale
    pre = Z @ W1 + b1
    centre = np.mean(pre, axis=1, keepdims=True)
    spread = np.var(pre, axis=1, keepdims=True)
    normed = (pre - centre) / np.sqrt(spread + 1e-5)
    hidden = np.tanh(normed)
    logits = hidden @ W2 + b2
    top = np.max(logits, axis=1, keepdims=True)
    shifted = logits - top
    log_norm = np.log(np.sum(np.exp(shifted), axis=1, keepdims=True))
    log_probs = shifted - log_norm
    probs = np.exp(log_probs)
    classes = Y.shape[1]
    smooth = 0.9 * Y + 0.1 / classes
    nll = -np.mean(np.sum(smooth * log_probs, axis=1))
    entropy = -np.mean(np.sum(probs * log_probs, axis=1))
    margin = np.mean(np.sum(Y * probs, axis=1))
    weights = np.sum(W1**2) + np.sum(W2**2)
    biases = np.sum(b1**2) + np.sum(b2**2)
    l1 = np.sum(np.abs(W1)) + np.sum(np.abs(W2))
    activity = np.mean(hidden**2)
    penalty = lam * (weights + 0.1 * biases) + 1e-4 * l1
    calibration = (margin - np.mean(np.max(probs, axis=1))) ** 2
    total = nll - 0.01 * entropy + penalty
    total = total + 0.1 * calibration + 1e-3 * activity
    return total


def thirty_lines_args():
    rng = np.random.default_rng(11)
    X = rng.normal(size=(32, 6))
    Y = np.eye(4)[rng.integers(4, size=32)]
    W1, W2 = rng.normal(size=(6, 10)) / 3, rng.normal(size=(10, 4)) / 3
    return W1, np.zeros(10), W2, np.zeros(4), X, Y, 0.01


# --- The problems ----------------------------------------------------------------


@dataclass
class Case:
    """One problem at one size: the example's loss, arguments and ``wrt``."""

    problem: str
    size: str
    example: str  # examples/<example>.py, handwritten.<example>, jax_<example>
    args: tuple
    wrt: tuple[str, ...]
    static: tuple[int, ...] = ()  # argument positions jax.jit takes as static
    times: dict[str, float | None] = field(default_factory=dict)
    first: dict[str, float | None] = field(default_factory=dict)
    notes: list[str] = field(default_factory=list)


def load(name: str, autograd_numpy: bool = False) -> types.ModuleType:
    """examples/<name>.py as a module; with ``autograd_numpy`` the same source
    with autograd's numpy and scipy.special imported instead."""
    path = ROOT / "examples" / f"{name}.py"
    module = types.ModuleType(f"examples_{name}{'_autograd' * autograd_numpy}")
    module.__file__ = str(path)
    text = path.read_text()
    if autograd_numpy:
        assert "import numpy as np\n" in text, name
        text = text.replace("import numpy as np\n", "import autograd.numpy as np\n")
        text = text.replace("from scipy.special", "from autograd.scipy.special")
    exec(compile(text, str(path), "exec"), module.__dict__)
    return module


def cases() -> list[Case]:
    """Each problem small (the example's own size) and large."""
    ex = {name: load(name) for name in ("logistic", "mlp", "loglinear", "gp", "rnn")}
    ode = load("ode")
    out = [
        Case("logistic", "n=20 d=3", "logistic", ex["logistic"].example(), ("w",)),
        Case(
            "logistic",
            "n=10000 d=100",
            "logistic",
            ex["logistic"].example(n=10_000, d=100),
            ("w",),
        ),
        Case("mlp", "n=16 5-8-3", "mlp", ex["mlp"].example(), ("params",)),
        Case(
            "mlp",
            "n=1000 100-256-10",
            "mlp",
            ex["mlp"].example(n=1000, features=100, hidden=256, classes=10),
            ("params",),
        ),
        Case(
            "log-linear", "n=30 d=4 k=3", "loglinear", ex["loglinear"].example(), ("W",)
        ),
        Case(
            "log-linear",
            "n=10000 d=100 k=10",
            "loglinear",
            ex["loglinear"].example(n=10_000, d=100, k=10),
            ("W",),
        ),
        Case("taylor sine", "x=1.2 (4 terms)", "taylor_sine", (1.2,), ("x",)),
        Case("taylor sine", "x=10 (17 terms)", "taylor_sine", (10.0,), ("x",)),
    ]
    ode_wrt = ("angle0", "velocity0", "damping")
    for steps in (100, 1000):
        for n in (5, 10_000):
            args = (*ode.example(n=n), steps)
            out.append(Case(f"ode {steps} steps", f"n={n}", "ode", args, ode_wrt, (4,)))
    gp_wrt = ("log_lengthscale", "log_variance", "log_noise")
    out += [
        Case("gp nlml", "n=12 d=2", "gp", ex["gp"].example(), gp_wrt),
        Case("gp nlml", "n=400 d=2", "gp", ex["gp"].example(n=400), gp_wrt),
        Case("rnn", "40 steps h=6", "rnn", ex["rnn"].example(), ("W", "U", "V")),
        Case(
            "rnn",
            "200 steps h=128",
            "rnn",
            large_rnn(ex["rnn"]),
            ("W", "U", "V"),
        ),
    ]
    return out


def large_rnn(example: types.ModuleType) -> tuple:
    """The example's draws at 200 steps, 128 hidden units and 32 inputs, with
    W rescaled to 0.9/sqrt(128) and U to 1/sqrt(32) standard normals (the
    example's /3 and /2 suit its 6 units): unscaled, the recurrence is chaotic
    and its gradient (~1e20) is not one central differences can check."""
    W, U, V, h0, xs, y = example.example(steps=200, hidden=128, inputs=32, outputs=8)
    return W * 2.7 / np.sqrt(128), U * 2 / np.sqrt(32), V, h0, xs, y


# --- Pytrees of arrays and floats (lists, tuples) ----------------------------------


def leaves(tree) -> list:
    if isinstance(tree, list | tuple):
        return [leaf for item in tree for leaf in leaves(item)]
    return [tree]


def flat(tree) -> np.ndarray:
    return np.concatenate([np.ravel(np.asarray(x, dtype=float)) for x in leaves(tree)])


def rebuild(template, vector: np.ndarray, start: int = 0):
    """(``template``'s structure filled from ``vector[start:]``, next index)."""
    if isinstance(template, list | tuple):
        items = []
        for item in template:
            value, start = rebuild(item, vector, start)
            items.append(value)
        return type(template)(items), start
    if np.ndim(template) == 0:
        return float(vector[start]), start + 1
    size = np.size(template)
    return vector[start : start + size].reshape(np.shape(template)), start + size


def to_jax(tree):
    if isinstance(tree, list | tuple):
        return type(tree)(to_jax(item) for item in tree)
    return jnp.asarray(tree) if isinstance(tree, np.ndarray) else tree


def fresh(fn: types.FunctionType) -> types.FunctionType:
    """A new function object with fn's code: caches keyed on the function miss."""
    copy = types.FunctionType(
        fn.__code__, fn.__globals__, fn.__name__, fn.__defaults__, fn.__closure__
    )
    copy.__kwdefaults__ = fn.__kwdefaults__
    return copy


# --- Checks -------------------------------------------------------------------------


class WrongGradient(SystemExit):
    pass


def check_differences(case: Case, loss, gradient) -> None:
    """Hand-written gradient against central differences of the loss."""
    positions = argnums(case)
    x = flat([case.args[i] for i in positions])
    g = flat(gradient)

    def f(vector):
        values, _ = rebuild([case.args[i] for i in positions], vector)
        args = list(case.args)
        for i, value in zip(positions, values, strict=True):
            args[i] = value
        return float(loss(*args))

    if x.size <= 200:
        directions = np.eye(x.size)
    else:
        directions = np.random.default_rng(0).normal(size=(3, x.size))
        directions /= np.linalg.norm(directions, axis=1, keepdims=True)
    h = 1e-5
    value = abs(f(x))
    for v in directions:
        fd = (f(x + h * v) - f(x - h * v)) / (2 * h)
        exact = g @ v
        if abs(fd - exact) > 1e-5 * (abs(fd) + abs(exact)) + 1e-8 * (
            value + np.linalg.norm(g)
        ):
            raise WrongGradient(
                f"WRONG hand-written gradient for {case.problem} ({case.size}): "
                f"central difference {fd!r}, gradient {exact!r} along {v[:5]}..."
            )


def check_agrees(case: Case, tool: str, gradient, reference) -> None:
    """A tool's gradient against the (already checked) hand-written one."""
    got, want = flat(gradient), flat(reference)
    scale = max(1.0, float(np.max(np.abs(want))))
    if got.shape != want.shape or not np.allclose(
        got, want, rtol=1e-6, atol=1e-9 * scale
    ):
        worst = np.max(np.abs(got - want)) if got.shape == want.shape else got.shape
        raise WrongGradient(
            f"WRONG: {tool} and the hand-written gradient disagree for "
            f"{case.problem} ({case.size}): largest difference {worst}"
        )


def argnums(case: Case) -> tuple[int, ...]:
    params = list(inspect.signature(load_cached(case.example).loss).parameters)
    return tuple(params.index(name) for name in case.wrt)


_loaded: dict[tuple[str, bool], types.ModuleType] = {}


def load_cached(name: str, autograd_numpy: bool = False) -> types.ModuleType:
    key = (name, autograd_numpy)
    if key not in _loaded:
        _loaded[key] = load(name, autograd_numpy)
    return _loaded[key]


# --- Timing -----------------------------------------------------------------------


def first_call(make, args, runs: int) -> float:
    """Median time of ``make()(*args)``, each run on a newly made function."""
    times = []
    for _ in range(runs):
        start = time.perf_counter()
        make()(*args)
        times.append(time.perf_counter() - start)
    return statistics.median(times)


def steady(tools: dict[str, tuple], repeats: int, batch: float) -> dict[str, float]:
    """Median seconds per call of each tool, timed round-robin.

    Each tool runs in batches of as many calls as fill about ``batch``
    seconds (timeit, so the garbage collector is off within a batch); every
    round times one batch of each tool, starting at a different tool.
    """
    timers, numbers = {}, {}
    for name, (fn, args) in tools.items():
        timers[name] = timeit.Timer("fn(*args)", globals={"fn": fn, "args": args})
        one = timers[name].timeit(1)
        numbers[name] = max(1, int(batch / max(one, 1e-7)))
    samples: dict[str, list[float]] = {name: [] for name in tools}
    names = list(tools)
    for r in range(repeats):
        for name in names[r % len(names) :] + names[: r % len(names)]:
            samples[name].append(timers[name].timeit(numbers[name]) / numbers[name])
    return {name: statistics.median(values) for name, values in samples.items()}


def prepare(case: Case, directory: Path, firsts: int) -> dict[str, tuple]:
    """Each tool's (function, arguments) for ``case``, all checked; the first
    calls of grad(f) and of the jitted JAX gradient are timed on the way."""
    example = load_cached(case.example)
    loss, hand = example.loss, getattr(handwritten, case.example)
    args, nums = case.args, argnums(case)

    case.first["grad(f)"] = first_call(
        lambda: srcdiff.grad(fresh(loss), wrt=case.wrt), args, firsts
    )
    g = srcdiff.grad(loss, wrt=case.wrt)
    g(*args)
    stem = re.sub(r"\W+", "_", f"{case.example} {case.size}")
    path = directory / f"{stem}.py"
    path.write_text(srcdiff.api.render(g.derivative(*args)))
    spec = importlib.util.spec_from_file_location(stem, path)
    emitted = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(emitted)

    tools = {
        "forward": (loss, args),
        "hand-written": (hand, args),
        "grad(f)": (g, args),
        "emitted": (emitted.loss_grad, args),
    }
    if autograd is not None:
        aloss = load_cached(case.example, autograd_numpy=True).loss
        argnum = nums if len(nums) > 1 else nums[0]
        tools["autograd"] = (autograd.grad(aloss, argnum), args)
    if jax is not None:
        tools["jax"] = jax_tool(case, nums, firsts)

    reference = hand(*args)
    check_differences(case, loss, reference)
    for name, (fn, fn_args) in tools.items():
        if name != "forward":
            check_agrees(case, name, fn(*fn_args), reference)
    return tools


def jax_tool(case: Case, nums: tuple[int, ...], firsts: int):
    """The jitted JAX gradient (first call timed on fresh functions), or the
    plain jax.grad where jit cannot trace the loss (noted)."""
    jloss = globals()[f"jax_{case.example}"]
    jargs = to_jax(case.args)

    def make(fn=jloss):
        return jax.jit(jax.grad(fresh(fn), nums), static_argnums=case.static)

    def blocking(fn):
        return lambda *a: jax.block_until_ready(fn(*a))

    try:
        case.first["jax"] = first_call(lambda: blocking(make()), jargs, firsts)
        fn = make()
    except jax.errors.ConcretizationTypeError:
        case.notes.append(
            "jax: not jittable (Python while on a traced value), jax.grad"
        )
        fn = jax.grad(jloss, nums)
        case.first["jax"] = first_call(
            lambda: blocking(jax.grad(fresh(jloss), nums)), jargs, 1
        )
    fn = blocking(fn)
    fn(*jargs)
    return fn, jargs


# --- Output -------------------------------------------------------------------------


def fmt(seconds: float | None) -> str:
    if seconds is None:
        return "not installed"
    for unit, scale in (("s", 1.0), ("ms", 1e-3), ("us", 1e-6)):
        if seconds >= scale or unit == "us":
            return f"{seconds / scale:.3g} {unit}"
    raise AssertionError


def table(results: list[Case]) -> list[str]:
    lines = [
        "| problem | size | "
        + " | ".join(TOOLS)
        + " | first grad(f) call | jax first call |",
        "|" + " --- |" * (len(TOOLS) + 4),
    ]
    for case in results:
        hand = case.times["hand-written"]
        cells = []
        for tool in TOOLS:
            t = case.times.get(tool)
            cells.append(fmt(t) if t is None else f"{fmt(t)} ({t / hand:.2f}x)")
        firsts = [fmt(case.first.get(tool)) for tool in ("grad(f)", "jax")]
        jax_mark = " *" if case.notes else ""
        lines.append(
            f"| {case.problem} | {case.size} | "
            + " | ".join(cells)
            + jax_mark
            + " | "
            + " | ".join(firsts)
            + " |"
        )
    return lines


def targets(results: list[Case], thirty: float) -> list[str]:
    ratios = {
        f"{c.problem} {c.size}": c.times["emitted"] / c.times["hand-written"]
        for c in results
    }
    median = statistics.median(ratios.values())
    over = [f"{k} {v:.2f}x" for k, v in ratios.items() if v > 1.5]
    met = median <= 1.10 and not over
    lines = [
        f"- emitted / hand-written: median {median:.2f}x (target <= 1.10), "
        f"above 1.5x: {', '.join(over) or 'none'} -> "
        f"{'met' if met else 'NOT met'}"
    ]
    if autograd is None:
        lines.append("- grad(f) over autograd: autograd: not installed")
    else:
        small = [c for c in results if c is first_of(results, c)]
        speedups = {
            f"{c.problem} {c.size}": c.times["autograd"] / c.times["grad(f)"]
            for c in small
        }
        under = [f"{k} {v:.1f}x" for k, v in speedups.items() if v < 10]
        lines.append(
            f"- grad(f) speedup over autograd, small sizes: min "
            f"{min(speedups.values()):.1f}x, median "
            f"{statistics.median(speedups.values()):.1f}x (target >= 10x on every "
            f"one), under 10x: {', '.join(under) or 'none'} -> "
            f"{'met' if not under else 'NOT met'}"
        )
    slow = [
        f"{c.problem} {c.size} {fmt(c.first['grad(f)'])}"
        for c in results
        if c.first["grad(f)"] > 0.05
    ]
    lines.append(
        f"- first grad(f) call, 30-line function: {fmt(thirty)} (target <= 50 ms) -> "
        f"{'met' if thirty <= 0.05 else 'NOT met'}; problems above 50 ms: "
        f"{', '.join(slow) or 'none'}"
    )
    return lines


def first_of(results: list[Case], case: Case) -> Case:
    return next(c for c in results if c.problem == case.problem)


def plot(results: list[Case], path: str) -> str:
    """Bars of each tool's time over the hand-written one, log scale; JAX's
    bars are hatched where it ran without jit."""
    matplotlib = optional("matplotlib")
    if matplotlib is None:
        return "matplotlib: not installed, no plot"
    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    labels = [f"{c.problem}\n{c.size}" for c in results]
    tools = [t for t in PLOTTED if all(c.times.get(t) for c in results)]
    fig, ax = plt.subplots(figsize=(14, 5.5))
    width = 0.8 / len(tools)
    for k, tool in enumerate(tools):
        ratios = [c.times[tool] / c.times["hand-written"] for c in results]
        xs = [i + (k - (len(tools) - 1) / 2) * width for i in range(len(results))]
        bars = ax.bar(xs, ratios, width, label=tool)
        for bar, case in zip(bars, results, strict=True):
            if tool == "jax" and case.notes:
                bar.set_hatch("//")
    ax.axhline(1.0, color="black", linewidth=0.8)
    ax.set_yscale("log")
    ax.set_ylabel("time / hand-written NumPy gradient (log)")
    ax.set_xlabel("hatched: jax.grad without jit (the loss cannot be jitted)")
    ax.set_xticks(range(len(results)), labels, fontsize=7, rotation=45, ha="right")
    ax.legend()
    ax.set_title("Gradient time relative to a hand-written NumPy gradient (1 thread)")
    fig.tight_layout()
    fig.savefig(path, dpi=110)
    return f"Plot: {path}"


def versions() -> str:
    peers = []
    for name, module in (("autograd", autograd), ("jax", jax)):
        if module is None:
            peers.append(f"{name}: not installed")
        else:
            peers.append(f"{name} {importlib.metadata.version(name)}")
    return ", ".join(
        [
            f"Python {platform.python_version()}",
            f"NumPy {np.__version__}",
            f"SciPy {scipy.__version__}",
            f"srcdiff {srcdiff.__version__}",
            *peers,
        ]
    )


def revision() -> str:
    """Which srcdiff is measured: the commit, and whether srcdiff/ differs."""
    source = Path(srcdiff.__file__).resolve().parent
    if source != ROOT / "srcdiff":
        return f"srcdiff imported from {source}, not this checkout"
    try:
        head, dirty = (
            subprocess.run(
                ["git", *command], cwd=ROOT, capture_output=True, text=True, check=True
            ).stdout.strip()
            for command in (
                ["rev-parse", "--short", "HEAD"],
                ["status", "--porcelain", "srcdiff"],
            )
        )
    except (OSError, subprocess.CalledProcessError):
        return "srcdiff from a folder that is not a git checkout"
    return f"commit {head}" + (", srcdiff/ has uncommitted changes" * bool(dirty))


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--quick", action="store_true", help="fewer, shorter rounds")
    parser.add_argument("--plot", metavar="PNG", help="write the ratio bar chart")
    parser.add_argument("--only", metavar="PROBLEM", help="problems containing this")
    options = parser.parse_args()
    repeats, batch, firsts = (5, 0.005, 3) if options.quick else (21, 0.05, 7)
    started = time.perf_counter()
    results = [c for c in cases() if (options.only or "") in c.problem]
    if not results:
        parser.error(f"no problem contains {options.only!r}")
    sys.stdout.reconfigure(line_buffering=True)  # progress on stderr in between

    if threadpoolctl is None:
        blas = "threadpoolctl: not installed (threads pinned by env vars only)"
    else:
        threadpoolctl.threadpool_limits(1)
        pools = threadpoolctl.threadpool_info()
        blas = ", ".join(
            f"{p['internal_api']} {p['num_threads']} thread" for p in pools
        )
    print(f"# srcdiff speed ({'quick' if options.quick else 'full'})\n")
    print(f"- {datetime.date.today()}, {platform.machine()}, {os.cpu_count()} cores")
    print(f"- {versions()}; {revision()}")
    print(f"- thread pools: {blas}; XLA_FLAGS={os.environ['XLA_FLAGS']!r}")
    print(f"- {repeats} round-robin rounds of ~{batch * 1e3:.0f} ms batches, medians\n")

    # One-time costs (srcdiff's and JAX's own imports, backend start) before
    # anything is timed, on a function none of the problems uses.
    thirty_args = thirty_lines_args()
    srcdiff.grad(fresh(thirty_lines))(*thirty_args)
    if jax is not None:
        small = to_jax(load_cached("logistic").example())
        jax.jit(jax.grad(jax_logistic))(*small).block_until_ready()
    thirty = first_call(lambda: srcdiff.grad(fresh(thirty_lines)), thirty_args, firsts)

    with tempfile.TemporaryDirectory() as directory:
        # Every gradient is checked before anything is timed.
        prepared = []
        for case in results:
            prepared.append((case, prepare(case, Path(directory), firsts)))
            print(f"  checked {case.problem} {case.size}", file=sys.stderr)
        for case, tools in prepared:
            case.times = steady(tools, repeats, batch)
            print(f"  timed {case.problem} {case.size}", file=sys.stderr)
    print("\n".join(table(results)))
    print()
    for case in results:
        for note in case.notes:
            print(f"\\* {case.problem} {case.size}: {note}")
    print("\nTargets:\n")
    print("\n".join(targets(results, thirty)))
    if options.plot:
        print(f"\n{plot(results, options.plot)}")
    print(f"\nTime: {time.perf_counter() - started:.0f} s (after the imports)")


if __name__ == "__main__":
    main()
