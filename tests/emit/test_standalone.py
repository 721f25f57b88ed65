"""Emitted files stand alone: they run with NumPy (and SciPy) but no srcdiff.

Each golden file is imported in an isolated interpreter (``python -I``) from a
temporary directory holding only that file; the gradient it computes at the
example point must match central differences.
"""

from __future__ import annotations

import importlib.util
import pickle
import shutil
import subprocess
import sys
from pathlib import Path
from types import ModuleType

import pytest

from srcdiff.numeric import max_relative_error, numerical_grad

ROOT = Path(__file__).resolve().parents[2]
EXAMPLES = sorted(p.stem for p in (ROOT / "examples").glob("*.py"))

RUNNER = """
import importlib.util, pickle, sys
def load(name, path):
    spec = importlib.util.spec_from_file_location(name, path)
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module
example = load("example", sys.argv[1])
emitted = load("emitted", sys.argv[2])
result = emitted.loss_grad(*example.example())
assert "srcdiff" not in sys.modules, "the emitted file imported srcdiff"
with open(sys.argv[3], "wb") as out:
    pickle.dump(result, out)
"""


def load_example(name: str) -> ModuleType:
    spec = importlib.util.spec_from_file_location(
        f"example_{name}", ROOT / "examples" / f"{name}.py"
    )
    assert spec is not None and spec.loader is not None
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


@pytest.mark.parametrize("name", EXAMPLES)
def test_golden_runs_without_srcdiff(name: str, tmp_path: Path) -> None:
    emitted = tmp_path / f"{name}_grad.py"
    shutil.copy(ROOT / "golden" / f"{name}__loss.py", emitted)
    example = tmp_path / f"{name}_example.py"
    shutil.copy(ROOT / "examples" / f"{name}.py", example)
    out = tmp_path / "result.pkl"
    subprocess.run(
        [sys.executable, "-I", "-c", RUNNER, str(example), str(emitted), str(out)],
        check=True,
        cwd=tmp_path,
    )
    result = pickle.loads(out.read_bytes())
    module = load_example(name)
    args = module.example()
    expected = numerical_grad(module.loss, args, 0)
    assert max_relative_error(result, expected) < 1e-6
