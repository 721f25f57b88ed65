"""Long derivations report progress on stderr; short ones stay silent."""

from __future__ import annotations

import io
import time

import numpy as np

import srcdiff
from srcdiff import progress
from srcdiff.cli import main


def test_nothing_is_printed_before_the_first_seconds():
    out = io.StringIO()
    with progress.Progress("loss (f.py)", "tracing", stream=out) as p:
        for _ in range(1000):
            p.step()
    assert out.getvalue() == ""


def test_a_slow_stage_is_reported_with_its_statement_count(monkeypatch):
    monkeypatch.setattr(progress, "AFTER", 0.01)
    monkeypatch.setattr(progress, "EVERY", 10.0)
    out = io.StringIO()
    with progress.Progress("loss (f.py)", "tracing", stream=out) as p:
        for _ in range(1234):
            p.step()
        p.enter("emitting")
        time.sleep(0.2)
    lines = out.getvalue().splitlines()
    assert lines[0] == "srcdiff: emitting loss (f.py): 0 s, 1,234 statements traced"
    assert lines[-1].startswith("srcdiff: loss (f.py): done in 0.")
    assert len(lines) == 2  # the next report is EVERY seconds away


def many_steps(x):
    for _ in range(300):
        x = x + 0.01 * np.sin(x)
    return np.sum(x)


def test_the_command_line_reports_a_long_trace(monkeypatch, capsys, tmp_path):
    monkeypatch.setattr(progress, "AFTER", 0.0)
    path = tmp_path / "steps.py"
    path.write_text(
        "import numpy as np\n\n\n"
        "def loss(x):\n"
        "    for _ in range(300):\n"
        "        x = x + 0.01 * np.sin(x)\n"
        "    return np.sum(x)\n"
    )
    assert main(["emit", f"{path}:loss", "--unroll"]) == 0
    err = capsys.readouterr().err
    # With no quiet period each stage reports as it starts (the counts are
    # tested above), and each ends with how long it took.
    assert err.startswith("srcdiff: tracing loss (steps.py): 0 s")
    assert "srcdiff: formatting loss (steps.py): " in err
    assert err.count("srcdiff: loss (steps.py): done in ") == 2


def test_grad_is_silent_when_it_is_quick(capsys):
    g = srcdiff.grad(many_steps)
    g(np.ones(2))
    assert capsys.readouterr().err == ""
