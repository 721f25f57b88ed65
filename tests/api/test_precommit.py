"""The pre-commit hook, run by pre-commit itself in a throwaway git repository.

pre-commit installs this checkout (``try-repo`` includes its uncommitted
changes) into an environment of its own, as it would for a user's
``.pre-commit-config.yaml``, and runs the ``srcdiff-regen`` hook.
"""

from __future__ import annotations

import os
import shutil
import subprocess
import sys
from pathlib import Path

import pytest

REPO = Path(__file__).resolve().parents[2]

pytest.importorskip("pre_commit")
pytestmark = pytest.mark.skipif(shutil.which("git") is None, reason="needs git")

MODEL = """\
import numpy as np


def loss(w, X):
    return np.sum(np.tanh(X @ w) ** 2)
"""


def _git(cwd: Path, *args: str) -> None:
    subprocess.run(
        ["git", "-c", "user.name=t", "-c", "user.email=t@example.com", *args],
        cwd=cwd,
        check=True,
        capture_output=True,
    )


def _hook(cwd: Path, home: Path) -> subprocess.CompletedProcess[str]:
    env = {**os.environ, "PRE_COMMIT_HOME": str(home)}
    hook = ["try-repo", str(REPO), "srcdiff-regen", "--all-files"]
    return subprocess.run(
        [sys.executable, "-m", "pre_commit", *hook],
        cwd=cwd,
        env=env,
        capture_output=True,
        text=True,
    )


def test_the_hook_passes_a_current_gradient_and_fails_a_stale_one(tmp_path):
    project = tmp_path / "project"
    project.mkdir()
    (project / "pyproject.toml").write_text("[project]\nname = 'demo'\n")
    (project / "model.py").write_text(MODEL)
    subprocess.run(
        [sys.executable, "-m", "srcdiff", "emit", "model.py:loss", "-o", "grad.py"],
        cwd=project,
        check=True,
    )
    _git(project, "init", "-q")
    _git(project, "add", "-A")
    _git(project, "commit", "-qm", "model and its gradient")

    current = _hook(project, tmp_path / "cache")
    assert current.returncode == 0, current.stdout + current.stderr
    assert "srcdiff regen --check" in current.stdout
    assert "Passed" in current.stdout

    # The source changes, the committed gradient does not: the hook fails
    # and shows what regenerating would change.
    (project / "model.py").write_text(MODEL.replace("** 2", "** 3"))
    _git(project, "add", "-A")
    stale = _hook(project, tmp_path / "cache")
    assert stale.returncode == 1
    assert "Failed" in stale.stdout
    assert "--- grad.py (committed)" in stale.stdout
