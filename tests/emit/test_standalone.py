"""Emitted files stand alone: they run with NumPy (and SciPy) but no srcdiff.

Each golden file is imported in an isolated interpreter (``python -I``) from a
temporary directory holding only that file, with srcdiff made unimportable;
the gradient it computes at the example point must match central differences.
So must the HVP files of golden/hvp/ (differences of the gradient along v),
and a dense Hessian file.
"""

from __future__ import annotations

import importlib.util
import shutil
from pathlib import Path
from types import ModuleType

import numpy as np
import pytest
from standalone import run_standalone

import srcdiff
from srcdiff.numeric import leaves, map_leaves, max_relative_error, numerical_grad

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


HVP = sorted(p.stem.split("__")[0] for p in (ROOT / "golden" / "hvp").glob("*.py"))


@pytest.mark.parametrize("name", HVP)
def test_golden_hvp_runs_without_srcdiff(name: str, tmp_path: Path) -> None:
    """The product matches differences of the gradient along v."""
    module = load_example(name)
    x, *rest = module.example()
    rng = np.random.default_rng(0)
    v = map_leaves(lambda leaf: rng.normal(size=np.shape(leaf)), x)
    emitted = tmp_path / f"{name}_hvp.py"
    shutil.copy(ROOT / "golden" / "hvp" / f"{name}__loss.py", emitted)
    product = run_standalone(emitted, "loss_hvp", (*module.example(), v))
    grad, eps = srcdiff.grad(module.loss), 1e-6
    steps = [eps * d for d in leaves(v)]
    ahead = leaves(grad(map_leaves(lambda a: a + steps.pop(0), x), *rest))
    steps = [eps * d for d in leaves(v)]
    behind = leaves(grad(map_leaves(lambda a: a - steps.pop(0), x), *rest))
    differences = [(a - b) / (2 * eps) for a, b in zip(ahead, behind, strict=True)]
    assert max_relative_error(leaves(product), differences) < 1e-6


def test_emitted_hessian_runs_without_srcdiff(tmp_path: Path) -> None:
    module = load_example("logistic")
    hessian = srcdiff.hessian(module.loss)
    args = module.example()
    expected = hessian(*args)
    emitted = tmp_path / "logistic_hessian.py"
    emitted.write_text(hessian.source)
    result = run_standalone(emitted, "loss_hessian", args)
    assert max_relative_error(result, expected) < 1e-12
