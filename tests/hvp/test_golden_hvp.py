"""Emitted HVP files (``srcdiff emit --hvp``), byte for byte against
golden/hvp/. ``pytest --update-golden`` rewrites them; read the diff as a user
would. ``tests/emit/test_standalone.py`` runs them without srcdiff."""

from pathlib import Path

import pytest

from srcdiff import cli

ROOT = Path(__file__).resolve().parents[2]
GOLDEN = ROOT / "golden" / "hvp"
# (golden file name, example, srcdiff emit arguments after the target)
CASES = [
    ("mlp__loss.py", "mlp", ["--example", "examples/mlp.py:example"]),
    ("logistic__loss.py", "logistic", ["--example", "examples/logistic.py:example"]),
]
IDS = [case[0] for case in CASES]


@pytest.mark.parametrize(("golden", "name", "args"), CASES, ids=IDS)
def test_golden_hvp(golden, name, args, update_golden, capsys, monkeypatch):
    monkeypatch.chdir(ROOT)
    assert cli.main(["emit", "--hvp", f"examples/{name}.py:loss", *args]) == 0
    text = capsys.readouterr().out
    path = GOLDEN / golden
    if update_golden:
        path.parent.mkdir(exist_ok=True)
        path.write_text(text)
    assert path.exists(), f"no golden file {path}; run pytest --update-golden"
    assert text == path.read_text()


def test_no_stale_golden_hvp_files():
    assert {p.name for p in GOLDEN.glob("*.py")} == set(IDS)
