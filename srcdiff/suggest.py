"""Supported functions to suggest for one srcdiff cannot differentiate.

Only real near misses, and only for NumPy's and SciPy's functions (nothing
for ``print`` or another package's): a function of the same name in either
(``scipy.linalg.inv``: ``np.linalg.inv``), or else one of the same library
whose name is a typo or two away (``np.logspace``: ``np.linspace``), is it
with up to three letters more at the end (``np.linalg.eigvals``:
``np.linalg.eigvalsh``), or is the plain form of a NaN-ignoring name
(``np.nancumsum``: ``np.cumsum``). Anything looser (difflib's ratio
suggested ``np.rint`` for ``print`` and ``np.isreal`` for ``np.histogram``;
``np.array`` for ``np.array_repr`` shares a word, not a meaning) names
unrelated functions.
"""

from __future__ import annotations

import difflib
from typing import Any

from srcdiff.coverage import public_name
from srcdiff.ir.prims import PRIMS

COVERAGE = "docs/coverage.md"
_LIBRARIES = ("numpy", "scipy")


def hint(fn: Any) -> str:
    close = near_misses(fn)
    if close:
        return (
            f"Supported functions with a close name: {', '.join(close)}. "
            f"{COVERAGE} lists them all."
        )
    return (
        f"{COVERAGE} lists the supported functions; write the operation with "
        "them, or compute it outside the differentiated function."
    )


def near_misses(fn: Any, count: int = 4) -> list[str]:
    """How users write the supported functions whose names nearly match fn's."""
    name = getattr(fn, "__name__", None)
    library = _library(public_name(fn))
    if not isinstance(name, str) or not library:
        return []
    found: dict[str, float] = {}
    for obj, prim in list(PRIMS.items()):
        other = getattr(obj, "__name__", None)
        if prim.helper is not None or not isinstance(other, str) or obj is fn:
            continue
        written = public_name(obj).strip("`")
        if not _library(written):
            continue
        if name == other or (_library(written) == library and near(name, other)):
            ratio = difflib.SequenceMatcher(None, name, other).ratio()
            found[written] = max(found.get(written, 0.0), ratio)
    if 1.0 in found.values():  # the same name elsewhere: np.emath.sqrt
        found = {w: r for w, r in found.items() if r == 1.0}
    return sorted(found, key=lambda w: (-found[w], w))[:count]


def _library(written: str) -> str:
    """``numpy`` for ``np.linalg.inv``, ``scipy`` for ``scipy.special.erf``,
    else "" (an operator, a builtin, another package)."""
    head = written.strip("`").split(".")[0]
    head = {"np": "numpy"}.get(head, head)
    return head if head in _LIBRARIES and "." in written else ""


def near(name: str, other: str) -> bool:
    """Whether ``other`` is a near miss of ``name`` (see the module's doc)."""
    if name.startswith("nan") and len(name) > 3 and _near(name[3:], other):
        return True
    return _near(name, other)


def _near(name: str, other: str) -> bool:
    if name == other:
        return True
    short, long = sorted((name, other), key=len)
    if len(short) >= 5 and long.startswith(short) and len(long) - len(short) <= 3:
        return True
    typos = 2 if len(short) >= 8 else 1 if len(short) >= 5 else 0
    return distance(name, other) <= typos


def distance(a: str, b: str) -> int:
    """Edits (insert, delete, replace, swap two neighbours) from a to b."""
    rows = [list(range(len(b) + 1))]
    for i, ca in enumerate(a, 1):
        row = [i]
        for j, cb in enumerate(b, 1):
            cost = min(rows[-1][j] + 1, row[j - 1] + 1, rows[-1][j - 1] + (ca != cb))
            if i > 1 and j > 1 and ca == b[j - 2] and a[i - 2] == cb:
                cost = min(cost, rows[-2][j - 2] + 1)
            row.append(cost)
        rows.append(row)
    return rows[-1][-1]
