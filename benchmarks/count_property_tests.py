"""How many hypothesis property tests the suite has and how many examples they run.

Run from the repository root::

    .venv/bin/python benchmarks/count_property_tests.py            # whole suite
    .venv/bin/python benchmarks/count_property_tests.py tests/rules/test_rules_fft.py

It runs pytest once in a subprocess with HYPOTHESIS_PROFILE=ci (the
profile CI uses; ``--profile dev`` for the other) and the plugin in
``hypothesis_counter.py``, then prints the number of property tests (items
using ``@given``), the hypothesis examples they ran, the tests in all, and
the wall time. Extra arguments go to pytest in place of ``tests``.
"""

from __future__ import annotations

import argparse
import json
import os
import subprocess
import sys
import tempfile
import time
from pathlib import Path

HERE = Path(__file__).resolve().parent
ROOT = HERE.parent


def run(profile: str, targets: list[str]) -> tuple[dict, float, int]:
    with tempfile.TemporaryDirectory() as tmp:
        out = Path(tmp) / "counts.json"
        env = dict(os.environ)
        env["HYPOTHESIS_PROFILE"] = profile
        env["HYPOTHESIS_COUNTER_OUT"] = str(out)
        env["PYTHONPATH"] = os.pathsep.join(
            filter(None, [str(HERE), env.get("PYTHONPATH")])
        )
        command = [
            sys.executable,
            "-m",
            "pytest",
            *(targets or ["tests"]),
            "-q",
            "-p",
            "no:cacheprovider",
            "-p",
            "hypothesis_counter",
        ]
        start = time.perf_counter()
        done = subprocess.run(command, cwd=ROOT, env=env, check=False)
        wall = time.perf_counter() - start
        if not out.exists():
            sys.exit(f"pytest exited {done.returncode} without writing counts")
        return json.loads(out.read_text()), wall, done.returncode


def report(counts: dict, wall: float, returncode: int, profile: str) -> str:
    outcomes = ", ".join(f"{n} {k}" for k, n in sorted(counts["outcomes"].items()))
    phases = ", ".join(
        f"{phase} {n}" for phase, n in sorted(counts["examples_by_phase"].items())
    )
    statuses = ", ".join(
        f"{status} {n}" for status, n in sorted(counts["examples_by_status"].items())
    )
    per_item = counts["per_item"].values()
    lines = [
        f"| measure (HYPOTHESIS_PROFILE={profile}) | value |",
        "| --- | --- |",
        f"| tests collected | {counts['collected']} ({outcomes}) |",
        f"| hypothesis property tests (items using @given) "
        f"| {counts['property_items']} |",
        f"| ... distinct @given test functions "
        f"(parametrized ones once) | {counts['property_functions']} |",
        f"| hypothesis examples run | {counts['examples']} |",
        f"| ... by phase | {phases or '-'} |",
        f"| ... by status | {statuses or '-'} |",
        f"| examples per property test (min / max) "
        f"| {min(per_item, default=0)} / {max(per_item, default=0)} |",
        f"| wall time (pytest subprocess) | {wall:.1f} s |",
        f"| pytest exit status | {returncode} |",
    ]
    return "\n".join(lines)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--profile", default="ci", choices=["ci", "dev"])
    parser.add_argument("targets", nargs="*", help="pytest paths (default: tests)")
    args = parser.parse_args()
    counts, wall, returncode = run(args.profile, args.targets)
    print(report(counts, wall, returncode, args.profile))
    sys.exit(returncode)


if __name__ == "__main__":
    main()
