"""Emitted files stand alone: they run with NumPy (and SciPy) but no srcdiff.

Each golden file is imported in an isolated interpreter (``python -I``) from a
temporary directory holding only that file, with srcdiff made unimportable;
the gradient it computes at the example point must match central differences.
"""

from __future__ import annotations

import importlib.util
import shutil
from pathlib import Path
from types import ModuleType

import pytest
from standalone import run_standalone

from srcdiff.numeric import max_relative_error, numerical_grad

ROOT = Path(__file__).resolve().parents[2]
EXAMPLES = sorted(p.stem for p in (ROOT / "examples").glob("*.py"))


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
    module = load_example(name)
    args = module.example()
    result = run_standalone(emitted, "loss_grad", args)
    expected = numerical_grad(module.loss, args, 0)
    assert max_relative_error(result, expected) < 1e-6
