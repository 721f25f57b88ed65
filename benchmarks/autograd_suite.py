"""autograd's own test suite, with every gradient check answered by srcdiff.

Run from the repository root (needs the network once, to fetch autograd's
source distribution, which holds its tests; or pass a source tree)::

    .venv/bin/python benchmarks/autograd_suite.py [--source DIR] [--jobs N]

autograd's tests call ``check_grads(fun)(*args)``, directly or through its
``combo_check`` helpers. This script runs those tests under pytest with
``autograd.test_util.check_grads`` replaced: each first-order reverse-mode
check becomes one case. The case scalarises ``fun``'s output with a fixed
random cotangent ``v`` (``real(sum(conj(v) * fun(...)))``, what autograd's own
VJP check computes), asks ``srcdiff.grad`` for the gradient in the checked
arguments, and compares it with autograd's gradient of the same scalar (and
with central differences, for real inputs, where the two disagree). Outcomes:

* correct: srcdiff agrees with autograd, or with central differences;
* wrong: srcdiff returned a gradient that agrees with neither;
* refused: srcdiff raised one of its own located errors;
* crash: any other exception from srcdiff (a traceback from inside it).

Forward-mode-only checks and the second-order part of ``order=2`` are not
counted (srcdiff has no forward mode yet). autograd's own assertions still
run; tests that fail for reasons of their own are listed, not counted.
Prints Markdown; writes nothing outside a temporary folder.
"""

from __future__ import annotations

import argparse
import json
import os
import subprocess
import sys
import tempfile
import traceback
from collections import Counter
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path
from typing import Any

import autograd.numpy as anp
import numpy as np

LOG_VARIABLE = "SRCDIFF_SUITE_LOG"
TOLERANCE = 1e-6


# ---- the pytest plugin side: loaded with -p autograd_suite ----------------


def scalarised(fun: Any, cotangent: Any, kwargs: dict[str, Any]) -> Any:
    """``fun``'s output paired with ``cotangent``: the scalar whose gradient
    is ``fun``'s vector-Jacobian product. Written with autograd's names, so
    that autograd can differentiate it too (srcdiff reads them as NumPy's)."""

    def loss(*args):
        return anp.real(anp.sum(anp.conj(cotangent) * fun(*args, **kwargs)))

    return loss


def scalarised_items(fun: Any, cotangents: dict, kwargs: dict[str, Any]) -> Any:
    """The same for a function that returns a tuple, list or dict of arrays
    (``cotangents`` has one per index or key)."""

    def loss(*args):
        outputs = fun(*args, **kwargs)
        total = 0.0
        for key, cotangent in cotangents.items():
            total = total + anp.real(anp.sum(anp.conj(cotangent) * outputs[key]))
        return total

    return loss


def _cotangent(value: Any, rng: np.random.Generator) -> Any:
    shape = np.shape(value)
    v = rng.standard_normal(shape)
    if np.iscomplexobj(value):
        v = v + 1j * rng.standard_normal(shape)
    return v if shape else v.item()


def _leaves(tree: Any) -> list[Any]:
    if isinstance(tree, list | tuple):
        return [leaf for item in tree for leaf in _leaves(item)]
    if isinstance(tree, dict):
        return [leaf for key in sorted(tree) for leaf in _leaves(tree[key])]
    return [tree]


def _error(got: Any, want: Any) -> float:
    a, b = _leaves(got), _leaves(want)
    if len(a) != len(b):
        return float("inf")
    worst = 0.0
    for x, y in zip(a, b, strict=True):
        x, y = np.asarray(x), np.asarray(y)
        if x.shape != y.shape:
            return float("inf")
        if x.size:
            scale = max(1.0, float(np.max(np.abs(y))))
            worst = max(worst, float(np.max(np.abs(x - y))) / scale)
    return worst


def _central_differences(loss: Any, args: tuple, argnums: list[int]) -> Any:
    from srcdiff.numeric import numerical_grad

    grads = [numerical_grad(loss, args, i) for i in argnums]
    return grads


def _judge(fun: Any, argnum: Any, args: tuple, kwargs: dict) -> dict[str, Any]:
    import autograd

    import srcdiff
    from srcdiff.errors import SrcdiffError

    joint = isinstance(argnum, list | tuple)
    argnums = list(argnum) if joint else [argnum]
    rng = np.random.default_rng(0)
    output = fun(*args, **kwargs)
    if isinstance(output, tuple | list | dict):
        keys = sorted(output) if isinstance(output, dict) else range(len(output))
        cotangents = {key: _cotangent(output[key], rng) for key in keys}
        loss = scalarised_items(fun, cotangents, kwargs)
    else:
        loss = scalarised(fun, _cotangent(output, rng), kwargs)
    wrt = tuple(argnums) if joint else argnum
    try:
        got = srcdiff.grad(loss, wrt=wrt)(*args)
    except SrcdiffError as e:
        # The first line, less its location: what srcdiff says is wrong.
        what = str(e).strip().splitlines()[0].split(": ", 1)[-1]
        return {"outcome": "refused", "detail": f"{type(e).__name__}: {what}"}
    except Exception as e:
        frame = traceback.extract_tb(e.__traceback__)[-1]
        where = f"{Path(frame.filename).name}:{frame.lineno}"
        return {"outcome": "crash", "detail": f"{type(e).__name__}: {e} ({where})"}
    want = autograd.grad(loss, tuple(argnums) if joint else argnum)(*args)
    error = _error(got, want)
    if error < TOLERANCE:
        return {"outcome": "correct", "detail": "agrees with autograd"}
    real = all(not np.iscomplexobj(leaf) for i in argnums for leaf in _leaves(args[i]))
    if real:
        numeric = _central_differences(loss, args, argnums)
        fd_error = _error(got if joint else [got], numeric)
        if fd_error < 1e-5:
            return {"outcome": "correct", "detail": "agrees with central differences"}
    return {"outcome": "wrong", "detail": f"off by {error:.2e} from autograd"}


def _record(entry: dict[str, Any]) -> None:
    with open(os.environ[LOG_VARIABLE], "a", encoding="utf-8") as log:
        log.write(json.dumps(entry) + "\n")


def _current_test() -> str:
    return os.environ.get("PYTEST_CURRENT_TEST", "?").split(" ")[0]


def srcdiff_check_grads(fun: Any, argnum: Any = 0, modes=("fwd", "rev"), order=2):
    """Stands in for autograd's ``check_grads``: same signature, one case."""

    def check(*args: Any, **kwargs: Any) -> None:
        name = getattr(fun, "__name__", type(fun).__name__)
        entry = {"test": _current_test(), "fun": name, "argnum": str(argnum)}
        if "rev" not in modes:
            _record({**entry, "outcome": "forward only", "detail": ""})
            return
        _record({**entry, **_judge(fun, argnum, args, kwargs)})

    return check


def pytest_configure(config: Any) -> None:
    import autograd.test_util

    autograd.test_util.check_grads = srcdiff_check_grads


# ---- the runner side ------------------------------------------------------


def fetch_source(into: Path) -> Path:
    """autograd's source distribution for the installed version, unpacked."""
    import tarfile
    from importlib.metadata import version

    release = version("autograd")
    subprocess.run(
        [
            sys.executable,
            "-m",
            "pip",
            "download",
            "-q",
            "--no-deps",
            "--no-binary",
            ":all:",
            "-d",
            str(into),
            f"autograd=={release}",
        ],
        check=True,
    )
    (archive,) = into.glob("autograd-*.tar.gz")
    with tarfile.open(archive) as tar:
        tar.extractall(into, filter="data")
    return into / f"autograd-{release}"


def run_file(test_file: Path, log: Path, ini: Path) -> tuple[str, list[str]]:
    env = {**os.environ, LOG_VARIABLE: str(log)}
    env["PYTHONPATH"] = os.pathsep.join(
        [str(Path(__file__).parent), str(Path.cwd()), env.get("PYTHONPATH", "")]
    )
    result = subprocess.run(
        [
            sys.executable,
            "-m",
            "pytest",
            str(test_file),
            "-p",
            "autograd_suite",
            "-p",
            "no:cacheprovider",
            "-q",
            "-o",
            "addopts=",
            "--tb=no",
            "-W",
            "ignore",
            "-c",
            str(ini),
            "--rootdir",
            str(test_file.parent),
        ],
        env=env,
        capture_output=True,
        text=True,
        cwd=test_file.parent,
    )
    return test_file.name, result.stdout.strip().splitlines()[-1:]


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--source", type=Path, help="an autograd source tree")
    parser.add_argument("--jobs", type=int, default=os.cpu_count() or 1)
    parser.add_argument("--list", action="store_true", help="print every case")
    options = parser.parse_args()
    with tempfile.TemporaryDirectory() as scratch:
        source = options.source or fetch_source(Path(scratch))
        logs = Path(scratch) / "logs"
        logs.mkdir()
        # autograd's own pytest settings ask for plugins this venv lacks.
        ini = Path(scratch) / "pytest.ini"
        ini.write_text("[pytest]\n")
        files = sorted((source / "tests").glob("test_*.py"))
        with ThreadPoolExecutor(options.jobs) as pool:
            summaries = list(
                pool.map(lambda f: run_file(f, logs / f"{f.stem}.jsonl", ini), files)
            )
        cases = [
            json.loads(line)
            for log in sorted(logs.glob("*.jsonl"))
            for line in log.read_text().splitlines()
        ]
    report(cases, summaries, options.list)


def report(cases: list[dict[str, Any]], summaries: list, every: bool) -> None:
    counted = [c for c in cases if c["outcome"] != "forward only"]
    outcomes = Counter(c["outcome"] for c in counted)
    total = len(counted)
    print("# autograd's test suite, gradient checks answered by srcdiff\n")
    print(
        f"{total} reverse-mode gradient checks "
        f"({len(cases) - total} forward-only checks not counted)\n"
    )
    print("| outcome | checks | share |\n| --- | --- | --- |")
    for outcome in ("correct", "wrong", "refused", "crash"):
        n = outcomes[outcome]
        print(f"| {outcome} | {n} | {100 * n / max(total, 1):.1f}% |")
    by_file = Counter()
    for c in counted:
        by_file[(c["test"].split("::")[0], c["outcome"])] += 1
    print("\n| test file | correct | wrong | refused | crash |")
    print("| --- | --- | --- | --- | --- |")
    for name in sorted({f for f, _ in by_file}):
        row = [by_file[(name, o)] for o in ("correct", "wrong", "refused", "crash")]
        print(f"| {name} | " + " | ".join(map(str, row)) + " |")
    print("\n## Not correct, grouped by reason\n")
    reasons = Counter(
        (c["outcome"], c["detail"][:160]) for c in counted if c["outcome"] != "correct"
    )
    for (outcome, detail), n in reasons.most_common():
        tests = sorted(
            {
                c["test"].split("::")[-1]
                for c in counted
                if c["outcome"] == outcome and c["detail"][:160] == detail
            }
        )
        print(f"- {outcome} x{n}: {detail} [{', '.join(tests[:4])}]")
    print("\n## pytest's own summary per file\n")
    for name, tail in summaries:
        print(f"- {name}: {' '.join(tail)}")
    if every:
        for c in cases:
            print(json.dumps(c))


if __name__ == "__main__":
    main()
