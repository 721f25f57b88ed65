"""Rolled loops: how long and how heavy the gradient is next to the function.

For examples/ode.py (1000 Euler steps) and examples/rnn.py (40 steps), with
the gradient srcdiff compiles for the example arguments:

- time: best of several runs of the gradient over best of several runs of the
  forward function, measured side by side in this process;
- memory: tracemalloc's peak during one forward call and during one gradient
  call (the gradient's extra is mostly the saved loop-carried values);
- lines: of the emitted gradient function (golden files, ``def`` to ``return``).

Run from the repository root: ``.venv/bin/python benchmarks/loops.py``.
"""

from __future__ import annotations

import importlib.util
import timeit
import tracemalloc
from pathlib import Path
from types import ModuleType

import srcdiff

ROOT = Path(__file__).resolve().parent.parent
CASES = {
    "ode": (("angle0", "velocity0", "damping"), "ode__loss__all.py"),
    "rnn": (("W", "U", "V", "h0"), "rnn__loss__all.py"),
}


def load(name: str) -> ModuleType:
    path = ROOT / "examples" / f"{name}.py"
    spec = importlib.util.spec_from_file_location(f"examples.{name}", path)
    assert spec is not None and spec.loader is not None
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


def best(fn, args, repeat: int = 7) -> float:
    """Best time of one call, over ``repeat`` rounds of a few calls each."""
    timer = timeit.Timer(lambda: fn(*args))
    number, _ = timer.autorange()
    return min(timer.repeat(repeat, number)) / number


def peak(fn, args) -> int:
    """tracemalloc's peak bytes during one call, above what was allocated before."""
    tracemalloc.start()
    tracemalloc.reset_peak()
    before, _ = tracemalloc.get_traced_memory()
    fn(*args)
    _, top = tracemalloc.get_traced_memory()
    tracemalloc.stop()
    return top - before


def function_lines(golden: str) -> int:
    lines = (ROOT / "golden" / golden).read_text().splitlines()
    start = next(i for i, line in enumerate(lines) if line.startswith("def "))
    return len(lines) - start


def main() -> None:
    print(
        "| example | gradient lines | gradient/forward time | forward peak | "
        "gradient peak | peak ratio |"
    )
    print("| --- | --- | --- | --- | --- | --- |")
    for name, (wrt, golden) in CASES.items():
        example = load(name)
        args = example.example()
        g = srcdiff.grad(example.loss, wrt=wrt)
        g(*args)  # trace and compile once, outside the measurements
        forward_time = best(example.loss, args)
        gradient_time = best(g, args)
        forward_peak = peak(example.loss, args)
        gradient_peak = peak(g, args)
        print(
            f"| {name} | {function_lines(golden)} | "
            f"{gradient_time / forward_time:.2f} | {forward_peak / 1024:.1f} KiB | "
            f"{gradient_peak / 1024:.1f} KiB | {gradient_peak / forward_peak:.1f} |"
        )


if __name__ == "__main__":
    main()
