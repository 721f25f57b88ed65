"""A user's script that uses srcdiff type-checks under ``mypy --strict``, and
the checker sees a ``GradFunction`` (not ``Any``) where grad returns one.

srcdiff's own modules are followed silently, as mypy treats an installed
package: the script's errors are the user's, the library's are not shown.
"""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

import pytest

pytest.importorskip("mypy")

REPO = Path(__file__).resolve().parents[2]

SCRIPT = """\
import numpy as np
from numpy.typing import NDArray

import srcdiff
from srcdiff.api import GradFunction


def loss(w: NDArray[np.float64], X: NDArray[np.float64]) -> float:
    return float(np.sum(np.tanh(X @ w) ** 2))


g = srcdiff.grad(loss)
both: GradFunction = srcdiff.value_and_grad(loss, wrt="w")


@srcdiff.grad(wrt="X")
def loss_in_X(w: NDArray[np.float64], X: NDArray[np.float64]) -> float:
    return float(np.sum(X * w))


reveal_type(g)
reveal_type(loss_in_X)
dw = g(np.ones(3), np.ones((4, 3)))
srcdiff.print_source(g)
text: str = g.source
"""

CONFIG = """\
[mypy]
strict = True

[mypy-srcdiff.*]
follow_imports = silent
"""


def _mypy(tmp_path: Path, script: str) -> subprocess.CompletedProcess[str]:
    (tmp_path / "user_script.py").write_text(script)
    (tmp_path / "mypy.ini").write_text(CONFIG)
    env = {**os.environ, "MYPYPATH": str(REPO)}
    options = ["--config-file", "mypy.ini", "--cache-dir", str(tmp_path / "cache")]
    return subprocess.run(
        [sys.executable, "-m", "mypy", *options, "user_script.py"],
        cwd=tmp_path,
        env=env,
        capture_output=True,
        text=True,
    )


def test_a_user_script_is_strict_clean_and_sees_grad_functions(tmp_path):
    result = _mypy(tmp_path, SCRIPT)
    assert result.returncode == 0, result.stdout
    revealed = [line for line in result.stdout.splitlines() if "Revealed type" in line]
    assert revealed == [
        'user_script.py:21: note: Revealed type is "srcdiff.api.GradFunction"',
        'user_script.py:22: note: Revealed type is "srcdiff.api.GradFunction"',
    ]


def test_a_misuse_is_a_type_error(tmp_path):
    result = _mypy(tmp_path, SCRIPT + "wrong: int = srcdiff.grad(loss)\n")
    assert result.returncode == 1
    assert 'expression has type "GradFunction", variable has type "int"' in (
        result.stdout
    )


def test_the_package_is_marked_typed():
    assert (REPO / "srcdiff" / "py.typed").is_file()
