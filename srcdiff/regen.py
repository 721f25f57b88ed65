"""Committed gradients that cannot go stale: the command a file records.

An emitted file's header holds the one ``srcdiff emit`` command that made it,
written from the project root (the nearest directory upward holding
``pyproject.toml``) with paths relative to that root and quoted for the
shell, so it reads the same whatever directory it was run from and can be
pasted as it is. ``srcdiff regen`` reads it back and runs it again there.
"""

from __future__ import annotations

import difflib
import os
import shlex
from pathlib import Path

PREFIX = "# Regenerate: "
PROGRAM = "srcdiff emit"
MARKERS = ("pyproject.toml",)


def project_root(start: Path) -> Path:
    """The nearest directory at or above ``start`` holding ``pyproject.toml``;
    ``start``'s own directory when there is none."""
    here = start.resolve()
    if not here.is_dir():
        here = here.parent
    for directory in (here, *here.parents):
        if any((directory / marker).is_file() for marker in MARKERS):
            return directory
    return here


def relative_to(root: Path, path: str) -> str:
    """``path`` (relative to the working directory) as the root sees it."""
    absolute = Path(os.path.abspath(path))
    try:
        return absolute.relative_to(root).as_posix()
    except ValueError:
        return absolute.as_posix()


def is_file_target(target: str) -> bool:
    """``path/file.py:name`` names a file; ``package.module:name`` a module."""
    module_part = target.rpartition(":")[0]
    return module_part.endswith(".py") or os.sep in module_part or "/" in module_part


def target_relative_to(root: Path, target: str) -> str:
    if not is_file_target(target):
        return target
    module_part, _, attr = target.rpartition(":")
    return f"{relative_to(root, module_part)}:{attr}"


def command_line(words: list[str]) -> str:
    """The recorded command: one line, quoted for the shell."""
    return f"{PROGRAM} {shlex.join(words)}"


def recorded_command(text: str) -> list[str] | None:
    """The arguments after ``srcdiff emit`` in a file's Regenerate line."""
    for line in text.splitlines():
        if not line.startswith("#"):
            break
        if line.startswith(PREFIX + PROGRAM + " "):
            words = shlex.split(line[len(PREFIX) :], comments=True)
            return words[2:]
    return None


def unified_diff(path: str, old: str, new: str) -> str:
    """What regenerating would change, as ``diff -u`` prints it."""
    return "".join(
        difflib.unified_diff(
            old.splitlines(keepends=True),
            new.splitlines(keepends=True),
            fromfile=f"{path} (committed)",
            tofile=f"{path} (regenerated)",
        )
    )
