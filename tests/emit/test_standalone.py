"""Emitted files stand alone: they run with NumPy (and SciPy) but no srcdiff.

Each golden file is imported in an isolated interpreter (``python -I``) from a
temporary directory holding only that file; the gradient it computes at the
example point must match central differences. So must the HVP files of
golden/hvp/ (differences of the gradient along v), and a dense Hessian file.
"""

from __future__ import annotations

import importlib.util
import pickle
import shutil
import subprocess
import sys
from pathlib import Path
from types import ModuleType
from typing import Any

import numpy as np
import pytest

import srcdiff
from srcdiff.numeric import leaves, map_leaves, max_relative_error, numerical_grad

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
function, vectors = "loss_grad", ()
if len(sys.argv) > 4:  # another function, and the vectors it takes after f's
    function = sys.argv[4]
    with open(sys.argv[3], "rb") as given:
        vectors = pickle.load(given)
result = getattr(emitted, function)(*example.example(), *vectors)
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


def run_alone(
    name: str, text: str, tmp_path: Path, function: str = "", vectors: Any = ()
) -> Any:
    """What the emitted module ``text`` computes at example ``name``'s point,
    in an isolated interpreter: ``loss_grad``, or ``function`` given
    ``vectors`` after the example's arguments."""
    emitted = tmp_path / f"{name}_emitted.py"
    emitted.write_text(text)
    example = tmp_path / f"{name}_example.py"
    shutil.copy(ROOT / "examples" / f"{name}.py", example)
    out = tmp_path / "result.pkl"
    out.write_bytes(pickle.dumps(vectors))
    paths = [str(example), str(emitted), str(out)]
    subprocess.run(
        [sys.executable, "-I", "-c", RUNNER, *paths, *([function] if function else [])],
        check=True,
        cwd=tmp_path,
    )
    return pickle.loads(out.read_bytes())


@pytest.mark.parametrize("name", EXAMPLES)
def test_golden_runs_without_srcdiff(name: str, tmp_path: Path) -> None:
    text = (ROOT / "golden" / f"{name}__loss.py").read_text()
    result = run_alone(name, text, tmp_path)
    module = load_example(name)
    args = module.example()
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
    text = (ROOT / "golden" / "hvp" / f"{name}__loss.py").read_text()
    product = run_alone(name, text, tmp_path, "loss_hvp", [v])
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
    result = run_alone("logistic", hessian.source, tmp_path, "loss_hessian")
    assert max_relative_error(result, expected) < 1e-12
