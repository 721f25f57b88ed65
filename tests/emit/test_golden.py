"""Every example's emitted gradient, byte for byte against golden/.

``pytest --update-golden`` rewrites the files; read the diff as a user would.
"""

from __future__ import annotations

from pathlib import Path

import pytest

from srcdiff import cli

ROOT = Path(__file__).resolve().parents[2]
EXAMPLES = sorted(p.stem for p in (ROOT / "examples").glob("*.py"))
# (golden file name, srcdiff emit arguments)
CASES = [
    (
        f"{name}__loss.py",
        [f"examples/{name}.py:loss", "--example", f"examples/{name}.py:example"],
    )
    for name in EXAMPLES
] + [
    ("logistic__loss__generic.py", ["examples/logistic.py:loss"]),
    (
        "gp__loss__hyperparameters.py",
        [
            "examples/gp.py:loss",
            "--example",
            "examples/gp.py:example",
            *(
                "--wrt",
                "log_lengthscale",
                "--wrt",
                "log_variance",
                "--wrt",
                "log_noise",
            ),
        ],
    ),
    ("taylor_sine__loss__generic.py", ["examples/taylor_sine.py:loss"]),
    (
        "ode__loss__all.py",
        [
            "examples/ode.py:loss",
            "--example",
            "examples/ode.py:example",
            *("--wrt", "angle0", "--wrt", "velocity0", "--wrt", "damping"),
        ],
    ),
    (
        "rnn__loss__all.py",
        [
            "examples/rnn.py:loss",
            "--example",
            "examples/rnn.py:example",
            *("--wrt", "W", "--wrt", "U", "--wrt", "V", "--wrt", "h0"),
        ],
    ),
    (
        "loglinear__loss__value.py",
        [
            "examples/loglinear.py:loss",
            "--example",
            "examples/loglinear.py:example",
            "--value",
        ],
    ),
]


def emitted(args: list[str], capsys: pytest.CaptureFixture[str]) -> str:
    assert cli.main(["emit", *args]) == 0
    return capsys.readouterr().out


@pytest.mark.parametrize(("golden", "args"), CASES, ids=[c[0] for c in CASES])
def test_golden(
    golden: str,
    args: list[str],
    update_golden: bool,
    capsys: pytest.CaptureFixture[str],
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    monkeypatch.chdir(ROOT)
    text = emitted(args, capsys)
    path = ROOT / "golden" / golden
    if update_golden:
        path.write_text(text)
    assert path.exists(), f"no golden file {path}; run pytest --update-golden"
    assert text == path.read_text()


def test_no_stale_golden_files() -> None:
    expected = {name for name, _ in CASES}
    present = {p.name for p in (ROOT / "golden").glob("*.py")}
    assert present == expected


def test_emission_is_deterministic(
    capsys: pytest.CaptureFixture[str], monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.chdir(ROOT)
    args = ["examples/mlp.py:loss", "--example", "examples/mlp.py:example"]
    assert emitted(args, capsys) == emitted(args, capsys)


def test_readme_shows_the_golden_mlp_gradient():
    """The README's headline listing is golden/mlp__loss.py's function."""
    readme = (ROOT / "README.md").read_text()
    start = readme.index("```python\ndef loss_grad(params, X, Y):") + len("```python\n")
    listing = readme[start : readme.index("```", start)]
    golden = (ROOT / "golden" / "mlp__loss.py").read_text()
    assert golden.endswith(listing)
