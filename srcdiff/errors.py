"""Errors srcdiff raises: one class per kind of failure, one message format.

Every message names ``file:line:col``, shows the offending source line with a
caret under the column, and ends with what to write instead.
"""

from __future__ import annotations

import linecache
import re
from dataclasses import dataclass
from typing import Any


@dataclass(frozen=True)
class Loc:
    """A position in user source: file, 1-based line, 0-based column, line text."""

    file: str
    line: int
    col: int
    text: str

    def __str__(self) -> str:
        return f"{self.file}:{self.line}:{self.col + 1}"


class SrcdiffError(Exception):
    """Base class of every error srcdiff raises on bad input.

    ``str()`` gives ``file:line:col: message``, the source line, a caret under
    the column, and the hint: what to write instead.
    """

    def __init__(self, message: str, loc: Loc | None = None, hint: str = "") -> None:
        super().__init__(message)
        self.message = message
        self.loc = loc
        self.hint = hint

    def __reduce__(self) -> tuple[Any, ...]:
        # Keep the location and hint across pickling (multiprocessing workers).
        return (type(self), (self.message, self.loc, self.hint))

    def __str__(self) -> str:
        parts = [f"{self.loc}: {self.message}" if self.loc else self.message]
        if self.loc and self.loc.text.strip():
            text = self.loc.text.rstrip("\n")
            stripped = text.lstrip()
            indent = len(text) - len(stripped)
            # Keep tabs before the column so the caret lines up under them.
            before = stripped[: max(self.loc.col - indent, 0)]
            pad = "".join(c if c == "\t" else " " for c in before)
            parts.append("    " + stripped)
            parts.append("    " + pad + "^")
        if self.hint:
            parts.append(self.hint)
        return "\n".join(parts)


class UnsupportedSyntax(SrcdiffError):
    """The function uses Python syntax srcdiff cannot differentiate through."""


class UnsupportedPrimitive(SrcdiffError):
    """A call to a function srcdiff has no adjoint rule for."""


class NonScalarOutput(SrcdiffError):
    """``grad`` needs a scalar output; the function returned an array."""


class UnboundMethod(SrcdiffError):
    """A method read from its class: its ``self`` is not an array to differentiate."""


class InvalidWrt(SrcdiffError):
    """``wrt`` names an unknown argument, or one that cannot have a gradient."""


class NoSource(SrcdiffError):
    """The function's Python source is not available (a builtin, a ufunc, exec)."""


class NeedsExample(SrcdiffError):
    """The derivative depends on values or shapes that only an example gives."""


class TraceError(SrcdiffError):
    """The function failed while being traced (a name error, a bad call)."""


class PathChanged(SrcdiffError, RuntimeError):
    """A guard failed: these inputs take another path than the traced example.

    Emitted files raise their own ``PathChanged(RuntimeError)`` with the same
    two arguments, ``where`` (``file:line`` or ``file:line:col``) and ``what``;
    in process ``grad`` maps that class onto this one and re-specialises.
    """

    def __init__(self, where: str, what: str) -> None:
        loc = _guard_loc(where)
        super().__init__(
            (
                f"{what}; these inputs take another path"
                if loc
                else f"{where}: {what}; these inputs take another path"
            ),
            loc,
            "grad() traces again for them; an emitted file must be emitted "
            "again with an example that takes this path.",
        )
        self.where = where
        self.what = what

    def __reduce__(self) -> tuple[Any, ...]:
        return (type(self), (self.where, self.what))


def _guard_loc(where: str) -> Loc | None:
    """``examples/f.py:9`` or ``examples/f.py:9:11`` -> a Loc with its line text."""
    match = re.fullmatch(r"(.+?):(\d+)(?::(\d+))?", where)
    if match is None:
        return None
    file, line = match[1], int(match[2])
    text = linecache.getline(file, line).rstrip("\n")
    indent = len(text) - len(text.lstrip())
    return Loc(file, line, int(match[3]) - 1 if match[3] else indent, text)
