"""Committed gradients that cannot go stale: --check, regen, and a command
line that behaves like black's and ruff's (exit codes, --version, errors)."""

from __future__ import annotations

import importlib.metadata
import os
import shlex
import subprocess
import sys
from pathlib import Path

import numpy as np
import pytest

import srcdiff
from srcdiff import cli as cli_module
from srcdiff.cli import main

REPO = Path(__file__).resolve().parents[2]

LOSS = """\
import numpy as np


def loss(w, X):
    return np.sum(np.tanh(X @ w) ** 2)


def example():
    return np.ones(3), np.ones((4, 3))
"""


@pytest.fixture
def project(tmp_path):
    """A project of the user's: pyproject.toml at its root, code in a folder
    whose name needs quoting in a shell."""
    (tmp_path / "pyproject.toml").write_text("[project]\nname = 'demo'\n")
    code = tmp_path / "my models"
    code.mkdir()
    (code / "model.py").write_text(LOSS)
    return tmp_path


@pytest.fixture
def run(monkeypatch, capsys):
    """``cli.main(ARGS)`` in ``cwd`` -> (exit code, stdout, stderr)."""

    def call(cwd: Path, *args: str) -> tuple[int, str, str]:
        monkeypatch.chdir(cwd)
        code = main(list(args))
        out, err = capsys.readouterr()
        return code, out, err

    return call


def _emit(run, project, cwd, target, example, output):
    return run(cwd, "emit", target, "--example", example, "-o", output)


def test_the_recorded_command_is_one_quoted_line_from_the_project_root(run, project):
    code, out, err = _emit(
        run, project, project / "my models", "model.py:loss", "model.py:example", "g.py"
    )
    assert (code, out, err) == (0, "", "")
    line = (project / "my models" / "g.py").read_text().splitlines()[1]
    assert line.startswith("# Regenerate: srcdiff emit ")
    words = shlex.split(line.removeprefix("# Regenerate: "), comments=True)
    assert words == [
        *("srcdiff", "emit", "my models/model.py:loss"),
        *("--example", "my models/model.py:example", "-o", "my models/g.py"),
    ]


def test_the_file_is_the_same_whatever_the_working_directory(run, project):
    inside = project / "my models"
    _emit(run, project, inside, "model.py:loss", "model.py:example", "a.py")
    _emit(
        run,
        project,
        project,
        "my models/model.py:loss",
        "my models/model.py:example",
        "my models/a2.py",
    )
    first = (inside / "a.py").read_text().replace("a.py", "")
    second = (inside / "a2.py").read_text().replace("a2.py", "")
    assert first == second
    assert "my models/model.py:4" in first  # paths relative to the root


def test_check_is_quiet_when_the_file_is_current(run, project):
    where = project / "my models"
    _emit(run, project, where, "model.py:loss", "model.py:example", "g.py")
    code, out, err = run(
        where, "emit", "model.py:loss", "--example", "model.py:example", "-o", "g.py",
        "--check",
    )  # fmt: skip
    assert (code, out, err) == (0, "", "")


def test_check_prints_a_diff_and_exits_1_when_the_file_is_stale(run, project):
    where = project / "my models"
    _emit(run, project, where, "model.py:loss", "model.py:example", "g.py")
    stale = (where / "g.py").read_text().replace("** 2", "**2")
    (where / "g.py").write_text(stale.replace("return ", "return 2 * ", 1))
    code, out, _ = run(
        where, "emit", "model.py:loss", "--example", "model.py:example", "-o", "g.py",
        "--check",
    )  # fmt: skip
    assert code == 1
    assert out.startswith("--- g.py (committed)\n+++ g.py (regenerated)\n")
    assert "\n-    return 2 * " in out
    assert (where / "g.py").read_text().count("return 2 * ") == 1  # not written


def test_check_needs_a_file(run, project):
    code, _, err = run(project / "my models", "emit", "model.py:loss", "--check")
    assert code == 2
    assert "--check compares with a file" in err


def test_regen_rewrites_a_stale_file_from_another_directory(run, project, tmp_path):
    where = project / "my models"
    _emit(run, project, where, "model.py:loss", "model.py:example", "g.py")
    current = (where / "g.py").read_text()
    (where / "g.py").write_text(current + "# edited by hand\n")
    elsewhere = tmp_path / "elsewhere"
    elsewhere.mkdir()
    code, out, _ = run(elsewhere, "regen", "--check", str(where / "g.py"))
    assert code == 1
    assert "-# edited by hand" in out
    assert run(elsewhere, "regen", str(where / "g.py")) == (0, "", "")
    assert (where / "g.py").read_text() == current
    assert run(elsewhere, "regen", "--check", str(where / "g.py")) == (0, "", "")


def test_regen_checks_every_golden_file(run):
    goldens = sorted(str(p) for p in (REPO / "golden").glob("**/*.py"))
    assert len(goldens) > 10
    assert run(REPO, "regen", "--check", *goldens) == (0, "", "")


def test_regen_refuses_a_file_without_a_recorded_command(run, project):
    code, _, err = run(project, "regen", "my models/model.py")
    assert code == 2
    assert "records no `srcdiff emit` command" in err


def test_dash_means_standard_output(run):
    code, out, _ = run(REPO, "emit", "examples/logistic.py:loss", "-o", "-")
    assert code == 0
    assert out.startswith("# Generated by srcdiff from examples/logistic.py:loss.")
    assert "def loss_grad(" in out


def test_version_is_printed(capsys):
    with pytest.raises(SystemExit):
        main(["--version"])
    assert capsys.readouterr().out == f"srcdiff {srcdiff.__version__}\n"
    # The installed metadata takes its version from the attribute.
    assert importlib.metadata.version("srcdiff") == srcdiff.__version__


def test_help_shows_worked_examples(capsys):
    with pytest.raises(SystemExit):
        main(["emit", "--help"])
    text = capsys.readouterr().out
    assert "examples:\n  srcdiff emit examples/logistic.py:loss\n" in text
    assert "srcdiff regen --check mlp_grad.py" in text
    assert "exit status: 0 ok, 1 a check failed, 2 bad input, 3 a bug" in text


def test_a_missing_function_lists_the_module_functions(run):
    code, _, err = run(REPO, "emit", "examples/logistic.py:los")
    assert code == 2
    assert err == (
        "srcdiff: error: examples/logistic.py has no attribute 'los'\n"
        "Functions it defines: example, loss, sigmoid.\n"
    )


def test_a_syntax_error_has_its_column_and_a_caret(run, tmp_path):
    (tmp_path / "bad.py").write_text(
        "import numpy as np\n\ndef f(x):\n    return x +* 2\n"
    )
    code, _, err = run(tmp_path, "emit", "bad.py:f")
    assert code == 2
    assert err.startswith(
        "srcdiff: error: bad.py:4:15: not valid Python: invalid syntax\n"
        "    return x +* 2\n"
        "              ^\n"  # under the *
    )


def test_an_internal_error_is_one_line_and_says_it_is_a_bug(run, monkeypatch):
    def broken(*args, **kwargs):
        raise ZeroDivisionError("oops")

    monkeypatch.setattr(cli_module, "render", broken)
    code, out, err = run(REPO, "emit", "examples/logistic.py:loss")
    assert (code, out) == (3, "")
    assert err == (
        "srcdiff: internal error: ZeroDivisionError: oops\n"
        "This is a bug in srcdiff. Please report it with the command you ran; "
        "--debug shows the traceback.\n"
    )
    with pytest.raises(ZeroDivisionError):
        run(REPO, "--debug", "emit", "examples/logistic.py:loss")


@pytest.mark.skipif(not os.path.exists("/dev/full"), reason="needs /dev/full")
def test_a_full_disk_on_standard_output_is_an_error_not_a_traceback():
    with open("/dev/full", "w") as full:
        result = subprocess.run(
            [sys.executable, "-m", "srcdiff", "emit", "examples/logistic.py:loss"],
            cwd=REPO,
            stdout=full,
            stderr=subprocess.PIPE,
            text=True,
        )
    assert result.returncode == 2
    assert result.stderr == (
        "srcdiff: error: cannot write to standard output: No space left on device\n"
    )


AUX = """\
import numpy as np


def loss(w, X, y):
    r = X @ w - y
    return np.mean(r**2), {"residual": r}


def softplus(x):
    return np.log1p(np.exp(x))


def example():
    rng = np.random.default_rng(0)
    return rng.normal(size=3), rng.normal(size=(5, 3)), rng.normal(size=5)


def points():
    return (np.linspace(-2.0, 2.0, 5),)
"""


def _module(text: str) -> dict:
    namespace: dict = {}
    exec(compile(text, "<emitted>", "exec"), namespace)
    return namespace


@pytest.mark.parametrize("value", [False, True])
def test_has_aux_and_elementwise_are_options_that_regen_keeps(run, tmp_path, value):
    (tmp_path / "pyproject.toml").write_text("[project]\nname = 'demo'\n")
    (tmp_path / "model.py").write_text(AUX)
    extra = ["--value"] if value else []
    args = ["model.py:loss", "--example", "model.py:example", "--has-aux", *extra]
    assert run(tmp_path, "emit", *args, "-o", "g.py") == (0, "", "")
    elementwise = ["model.py:softplus", "--example", "model.py:points"]
    elementwise += ["--elementwise", "-o", "e.py"]
    assert run(tmp_path, "emit", *elementwise) == (0, "", "")
    model = _module(AUX)
    w, X, y = model["example"]()
    emitted = _module((tmp_path / "g.py").read_text())
    if value:
        (loss, aux), dw = emitted["loss_value_and_grad"](w, X, y)
        assert loss == pytest.approx(model["loss"](w, X, y)[0], rel=1e-12)
    else:
        dw, aux = emitted["loss_grad"](w, X, y)
    np.testing.assert_allclose(aux["residual"], X @ w - y, rtol=1e-12)
    np.testing.assert_allclose(dw, 2 * X.T @ (X @ w - y) / len(y), rtol=1e-10)
    (x,) = model["points"]()
    slopes = _module((tmp_path / "e.py").read_text())["softplus_elementwise_grad"](x)
    np.testing.assert_allclose(slopes, 1 / (1 + np.exp(-x)), rtol=1e-12)
    for name in ("g.py", "e.py"):  # the recorded commands carry the options
        assert run(tmp_path, "regen", "--check", name) == (0, "", "")
    assert "--has-aux" in (tmp_path / "g.py").read_text().splitlines()[1]
    assert "--elementwise" in (tmp_path / "e.py").read_text().splitlines()[1]


def test_has_aux_with_another_mode_is_a_usage_error(run, tmp_path):
    (tmp_path / "model.py").write_text(AUX)
    code, out, err = run(tmp_path, "emit", "model.py:loss", "--has-aux", "--hvp")
    assert (code, out) == (2, "")
    assert "--has-aux goes with the gradient or --value, not --hvp" in err
