"""Run a function of an emitted file the way a user without srcdiff would:
in an isolated interpreter (``python -I``) started in the file's directory,
with ``import srcdiff`` made to fail; arguments and result go by pickle."""

from __future__ import annotations

import pickle
import subprocess
import sys
from pathlib import Path
from typing import Any

RUNNER = """
import importlib.util, pickle, sys
sys.modules["srcdiff"] = None  # import srcdiff fails here
spec = importlib.util.spec_from_file_location("emitted", sys.argv[1])
emitted = importlib.util.module_from_spec(spec)
spec.loader.exec_module(emitted)
with open(sys.argv[2], "rb") as file:
    args = pickle.load(file)
result = getattr(emitted, sys.argv[3])(*args)
with open(sys.argv[2], "wb") as file:
    pickle.dump(result, file)
"""


def run_standalone(emitted: Path, function: str, args: tuple[Any, ...]) -> Any:
    """``function(*args)`` of the emitted file, run in an isolated interpreter
    from its directory, where srcdiff cannot be imported."""
    io = emitted.parent / f"{emitted.stem}.pkl"
    io.write_bytes(pickle.dumps(args))
    subprocess.run(
        [sys.executable, "-I", "-c", RUNNER, str(emitted), str(io), function],
        check=True,
        cwd=emitted.parent,
    )
    return pickle.loads(io.read_bytes())
