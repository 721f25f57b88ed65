"""Newton-CG (gradient and Hessian-vector products from srcdiff) against
L-BFGS-B (gradient only) on the logistic example: iterations and time.

Both run through ``srcdiff.optimize.minimize`` from the same start to the
same tolerance; the fit is checked to be the same minimum. Times are the
median of interleaved repeats, in one process, BLAS pinned to one thread.

Run from the repository root::

    .venv/bin/python benchmarks/optimize_logistic.py
"""

from __future__ import annotations

import os

for _var in ("OMP_NUM_THREADS", "OPENBLAS_NUM_THREADS", "MKL_NUM_THREADS"):
    os.environ.setdefault(_var, "1")

import statistics  # noqa: E402
import sys  # noqa: E402
import time  # noqa: E402
from pathlib import Path  # noqa: E402

import numpy as np  # noqa: E402

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

import srcdiff  # noqa: E402
from examples.logistic import example, loss  # noqa: E402

METHODS = ("Newton-CG", "L-BFGS-B")
SIZES = ((20, 3), (2000, 10))
REPEATS = 30


def fit(method: str, w0: np.ndarray, X: np.ndarray, y: np.ndarray):
    return srcdiff.optimize.minimize(loss, w0, args=(X, y), method=method, tol=1e-8)


def main() -> None:
    print("| n, d | method | iterations | gradients | HVPs | time (ms) | loss |")
    print("|---|---|---|---|---|---|---|")
    for n, d in SIZES:
        w0, X, y = example(n=n, d=d)
        results = {method: fit(method, w0, X, y) for method in METHODS}  # warm
        fits = [r.x for r in results.values()]
        assert np.allclose(fits[0], fits[1], atol=1e-4), "different minima"
        times: dict[str, list[float]] = {method: [] for method in METHODS}
        for _ in range(REPEATS):
            for method in METHODS:
                start = time.perf_counter()
                fit(method, w0, X, y)
                times[method].append(time.perf_counter() - start)
        for method, result in results.items():
            print(
                f"| {n}, {d} | {method} | {result.nit} | {result.njev} | "
                f"{result.get('nhev', 0)} | "
                f"{1e3 * statistics.median(times[method]):.2f} | {result.fun:.6f} |"
            )


if __name__ == "__main__":
    main()
