"""What a Hessian-vector product costs next to the gradient it differentiates.

For every example in examples/, with respect to its first argument: the
emitted ``loss_hvp`` (``srcdiff emit --hvp``) and the emitted ``loss_grad``,
both compiled from their text as plain Python modules, timed in alternation
(one batch of each per round, so that drift in a shared machine hits both)
with BLAS pinned to one thread when threadpoolctl is installed. Prints each
one's median batch time per call and the ratio HVP / gradient; forward mode
over the gradient should cost a small multiple of it (the target is 3x).

Run from the repository root: ``.venv/bin/python benchmarks/hvp_cost.py``
(``--rounds N``, default 15).
"""

from __future__ import annotations

import argparse
import importlib.util
import os
import statistics
import time
from collections.abc import Callable
from pathlib import Path
from types import ModuleType
from typing import Any

for _name in ("OMP_NUM_THREADS", "OPENBLAS_NUM_THREADS", "MKL_NUM_THREADS"):
    os.environ.setdefault(_name, "1")  # before NumPy loads its BLAS

import numpy as np  # noqa: E402

import srcdiff  # noqa: E402
from srcdiff.api import render  # noqa: E402

ROOT = Path(__file__).resolve().parent.parent
# Seconds each timed batch should take, roughly.
BATCH = 0.02


def load(name: str) -> ModuleType:
    path = ROOT / "examples" / f"{name}.py"
    spec = importlib.util.spec_from_file_location(f"examples.{name}", path)
    assert spec is not None and spec.loader is not None
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


def compiled(front: Any, args: list[Any], name: str) -> Callable[..., Any]:
    """The emitted module's function ``name``, run from its text."""
    text = render(front.derivative(*args))
    namespace: dict[str, Any] = {}
    exec(compile(text, f"<{name}>", "exec"), namespace)
    return namespace[name]


def like(rng: np.random.Generator, x: Any) -> Any:
    """A random vector shaped like ``x``."""
    if isinstance(x, (list, tuple)):
        return type(x)(like(rng, item) for item in x)
    if isinstance(x, dict):
        return {k: like(rng, item) for k, item in x.items()}
    return rng.normal(size=np.shape(x)) if np.ndim(x) else float(rng.normal())


def per_call(fn: Callable[[], Any], calls: int) -> float:
    start = time.perf_counter()
    for _ in range(calls):
        fn()
    return (time.perf_counter() - start) / calls


def calls_for(fn: Callable[[], Any]) -> int:
    """How many calls make one batch of about ``BATCH`` seconds."""
    once = per_call(fn, 1)
    return max(1, int(BATCH / max(once, 1e-7)))


def measure(name: str, rounds: int) -> tuple[float, float]:
    """Median seconds per call of the gradient and of the HVP."""
    module = load(name)
    args = list(module.example())
    v = like(np.random.default_rng(0), args[0])
    grad = compiled(srcdiff.grad(module.loss), args, "loss_grad")
    hvp = compiled(srcdiff.hvp(module.loss), args, "loss_hvp")
    jobs = [lambda: grad(*args), lambda: hvp(*args, v=v)]
    sizes = [calls_for(job) for job in jobs]
    times: list[list[float]] = [[], []]
    for _ in range(rounds):
        for job, calls, out in zip(jobs, sizes, times, strict=True):
            out.append(per_call(job, calls))
    return statistics.median(times[0]), statistics.median(times[1])


def show(seconds: float) -> str:
    if seconds < 1e-3:
        return f"{seconds * 1e6:.3g} us"
    return f"{seconds * 1e3:.3g} ms"


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--rounds", type=int, default=15)
    options = parser.parse_args()
    try:
        import threadpoolctl

        threadpoolctl.threadpool_limits(1)
        blas = "BLAS pinned to 1 thread (threadpoolctl)"
    except ImportError:
        blas = "threadpoolctl not installed: BLAS threads set by environment only"
    print(f"{blas}; {options.rounds} interleaved rounds of ~{BATCH * 1e3:.0f} ms")
    print("| example | gradient | HVP | HVP / gradient |")
    print("| --- | --- | --- | --- |")
    ratios = []
    for path in sorted((ROOT / "examples").glob("*.py")):
        grad, hvp = measure(path.stem, options.rounds)
        ratios.append(hvp / grad)
        print(f"| {path.stem} | {show(grad)} | {show(hvp)} | {hvp / grad:.2f}x |")
    print(f"median ratio {statistics.median(ratios):.2f}x, largest {max(ratios):.2f}x")


if __name__ == "__main__":
    main()
