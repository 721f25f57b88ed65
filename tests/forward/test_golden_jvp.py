"""Emitted forward-mode files (``srcdiff emit --jvp``), byte for byte against
golden/jvp/, and each run on its own: imported in an isolated interpreter
(``python -I``) without srcdiff, its value and tangent at the example point
along a random direction match ``f`` and central differences.

``pytest --update-golden`` rewrites the files; read the diff as a user would.
"""

from __future__ import annotations

import importlib.util
import inspect
import pickle
import shutil
import subprocess
import sys
from pathlib import Path
from types import ModuleType

import numpy as np
import pytest
from forward_checks import direction, directional, relative_error

from srcdiff import cli

ROOT = Path(__file__).resolve().parents[2]
GOLDEN = ROOT / "golden" / "jvp"
# (golden file name, example, srcdiff emit arguments after the target)
CASES = [
    ("mlp__loss.py", "mlp", ["--example", "examples/mlp.py:example"]),
    ("logistic__loss__generic.py", "logistic", []),
    (
        "rnn__loss__all.py",
        "rnn",
        [
            *("--example", "examples/rnn.py:example"),
            *("--wrt", "W", "--wrt", "U", "--wrt", "V", "--wrt", "h0"),
        ],
    ),
    ("taylor_sine__loss__generic.py", "taylor_sine", []),
]
IDS = [case[0] for case in CASES]

RUNNER = """
import importlib.util, pickle, sys
def load(name, path):
    spec = importlib.util.spec_from_file_location(name, path)
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module
example = load("example", sys.argv[1])
emitted = load("emitted", sys.argv[2])
with open(sys.argv[3], "rb") as given:
    tangents = pickle.load(given)
result = emitted.loss_jvp(*example.example(), *tangents)
assert "srcdiff" not in sys.modules, "the emitted file imported srcdiff"
with open(sys.argv[3], "wb") as out:
    pickle.dump(result, out)
"""


def load_example(name: str) -> ModuleType:
    path = ROOT / "examples" / f"{name}.py"
    spec = importlib.util.spec_from_file_location(f"example_{name}", path)
    assert spec is not None and spec.loader is not None
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


@pytest.mark.parametrize(("golden", "name", "args"), CASES, ids=IDS)
def test_golden_jvp(
    golden: str,
    name: str,
    args: list[str],
    update_golden: bool,
    capsys: pytest.CaptureFixture[str],
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    monkeypatch.chdir(ROOT)
    assert cli.main(["emit", "--jvp", f"examples/{name}.py:loss", *args]) == 0
    text = capsys.readouterr().out
    path = GOLDEN / golden
    if update_golden:
        path.write_text(text)
    assert path.exists(), f"no golden file {path}; run pytest --update-golden"
    assert text == path.read_text()


def test_no_stale_golden_jvp_files() -> None:
    assert {p.name for p in GOLDEN.glob("*.py")} == set(IDS)


@pytest.mark.parametrize(("golden", "name", "args"), CASES, ids=IDS)
def test_golden_jvp_runs_without_srcdiff(
    golden: str, name: str, args: list[str], tmp_path: Path
) -> None:
    module = load_example(name)
    example = list(module.example())
    params = list(inspect.signature(module.loss).parameters)
    wrt = [args[i + 1] for i, a in enumerate(args) if a == "--wrt"] or [params[0]]
    index = [params.index(w) for w in wrt]
    rng = np.random.default_rng(0)
    v = [direction(rng, example[i]) for i in index]
    shutil.copy(GOLDEN / golden, tmp_path / "emitted.py")
    shutil.copy(ROOT / "examples" / f"{name}.py", tmp_path / "example.py")
    io = tmp_path / "io.pkl"
    io.write_bytes(pickle.dumps(v))
    subprocess.run(
        [sys.executable, "-I", "-c", RUNNER, "example.py", "emitted.py", str(io)],
        check=True,
        cwd=tmp_path,
    )
    value, tangent = pickle.loads(io.read_bytes())
    assert relative_error(value, module.loss(*example)) < 1e-12
    numeric = directional(module.loss, example, index, v)
    assert relative_error(tangent, numeric) < 1e-6


def test_jvp_and_value_are_different_files(capsys: pytest.CaptureFixture[str]) -> None:
    with pytest.raises(SystemExit) as info:
        cli.main(["emit", "--jvp", "--value", "examples/mlp.py:loss"])
    assert info.value.code == 2
    assert "not allowed with argument" in capsys.readouterr().err
