"""srcdiff's rule registry against autograd 1.9's differentiable functions.

Run from the repository root::

    .venv/bin/python benchmarks/coverage_vs_autograd.py

It prints Markdown: one row per srcdiff family with both counts and the names
each side has that the other lacks, then the zero-gradient sets, then what
was left out of autograd's VJP registry and why. Nothing is written to disk.
autograd is a test extra; this script is not part of the test suite.

How a function is counted, the same way on both sides:

* One function is one NumPy/SciPy callable object. Names bound to the same
  object count once (``np.abs`` is ``np.absolute``, ``scipy.special.psi`` is
  ``scipy.special.digamma``); distinct objects count separately even when
  they compute the same thing (``np.max`` and ``np.amax``, ``np.degrees``
  and ``np.rad2deg``).
* Python operators and builtins (``+``, ``abs()``) are spellings of a NumPy
  function and do not count on their own; an operator counts only when no
  NumPy function stands for it (``x[...]``, ``&``).
* ndarray methods (``x.sum()``) do not count; both libraries route them to
  the NumPy function.
* autograd: a public name of ``autograd.numpy``, ``autograd.numpy.linalg``,
  ``autograd.numpy.fft``, ``autograd.scipy.{special,linalg,signal,integrate}``
  or ``autograd.scipy.stats.<distribution>`` counts when the same name exists
  in the real NumPy/SciPy module and its value either has a VJP in
  ``autograd.core.primitive_vjps`` or is a Python wrapper autograd writes
  over differentiable primitives (``np.stack``, ``np.mean``: marked with *).
  Zero gradient: registered as no-trace for VJPs (``nograd_functions``), or
  a VJP that is ``None`` for every argument.
* srcdiff: what ``srcdiff.coverage`` counts (a prim with an adjoint rule, or
  traced with zero gradient), one entry per object registered for the prim.
"""

from __future__ import annotations

import builtins
import importlib
import operator
import pkgutil
import sys
import types
from collections import defaultdict
from collections.abc import Callable, Iterable
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import autograd.numpy
import autograd.numpy.fft
import autograd.numpy.linalg
import autograd.scipy.integrate
import autograd.scipy.linalg
import autograd.scipy.signal
import autograd.scipy.special
import autograd.scipy.stats
import numpy as np
from autograd.core import VJPNode, primitive_vjps
from autograd.tracer import notrace_primitives

# The srcdiff of this checkout, not whichever one the venv has installed.
sys.path.insert(0, str(Path(__file__).resolve().parent.parent))
from srcdiff import coverage, rules
from srcdiff.ir.prims import PRIMS, Prim

# autograd namespace -> (the real module or object, how users write it).
_NAMESPACES = {
    "autograd.numpy": ("numpy", "np"),
    "autograd.numpy.linalg": ("numpy.linalg", "np.linalg"),
    "autograd.numpy.fft": ("numpy.fft", "np.fft"),
    "autograd.scipy.special": ("scipy.special", "scipy.special"),
    "autograd.scipy.linalg": ("scipy.linalg", "scipy.linalg"),
    "autograd.scipy.signal": ("scipy.signal", "scipy.signal"),
    "autograd.scipy.integrate": ("scipy.integrate", "scipy.integrate"),
}
# Family of an autograd function srcdiff has no rule for: by namespace prefix,
# else these NumPy names, else "elementwise" for ufuncs.
_PREFIX_FAMILY = {
    "np.linalg.": "linalg",
    "scipy.linalg.": "linalg",
    "np.fft.": "fft",
    "scipy.special.": "scipy.special",
    "scipy.stats.": "scipy.stats",
    "scipy.signal.": "scipy.signal",
    "scipy.integrate.": "scipy.integrate",
}
_NUMPY_FAMILY = {
    "gradient": "reductions",
    "astype": "shape",
    "real_if_close": "elementwise",
}
# srcdiff primitives that no NumPy name stands for.
_SPECIAL_NAMES = {"index_update": "A[i] = v", "_cast": "x.astype"}
# autograd primitives with VJPs that back a public function counted under
# its own name (their raw function is autograd's, not NumPy's).
_BEHIND = {
    "concatenate_args": "np.concatenate, np.stack, np.vstack, np.hstack, "
    "np.column_stack, np.append",
    "array_from_args": "np.array (lists of arrays)",
    "_array_from_scalar_or_array": "np.array",
}
_HELPERS = {
    "dot_adjoint_0",
    "dot_adjoint_1",
    "tensordot_adjoint_0",
    "tensordot_adjoint_1",
    "untake",
    "truncate_pad",
}


@dataclass
class Side:
    """One library's functions, keyed by the NumPy/SciPy object."""

    grad: dict[Any, str] = field(default_factory=dict)  # key -> family
    zero: set[Any] = field(default_factory=set)
    names: dict[Any, str] = field(default_factory=dict)  # key -> display name
    composite: set[Any] = field(default_factory=set)


def _hashable(obj: Any) -> bool:
    try:
        hash(obj)
    except TypeError:
        return False
    return True


def display_name(obj: Any) -> str:
    """How users write ``obj``, without the backticks coverage.md uses."""
    name = getattr(obj, "__name__", "")
    if name in _SPECIAL_NAMES and obj in PRIMS:
        return _SPECIAL_NAMES[name]
    if obj is operator.getitem:
        return "x[...]"
    if isinstance(obj, types.MethodType):  # scipy.stats.norm.pdf
        dist = obj.__self__  # multivariate ones have no .name
        dist_name = getattr(dist, "name", type(dist).__name__.removesuffix("_gen"))
        return f"scipy.stats.{dist_name}.{obj.__name__}"
    return coverage.public_name(obj).replace("`", "")


def _is_spelling(obj: Any) -> bool:
    """An operator or builtin: another way to write a NumPy function."""
    if obj in coverage._OPERATORS:
        return True
    return getattr(builtins, getattr(obj, "__name__", ""), None) is obj


# ----- srcdiff -----


def srcdiff_side() -> tuple[Side, dict[str, int]]:
    rules.load_scipy(everything=True)
    by_prim: dict[Prim, list[Any]] = defaultdict(list)
    for obj, prim in PRIMS.items():
        if prim.helper is None:
            by_prim[prim].append(obj)
    side = Side()
    rule_counts: dict[str, int] = defaultdict(int)
    for prim, objs in by_prim.items():
        has_rule = rules.rule_for(prim) is not None
        if not has_rule and prim.differentiable:
            continue  # neither a rule nor zero gradient: not in coverage.md
        named = [o for o in objs if not _is_spelling(o)] or objs
        if has_rule:
            rule_counts[coverage._family(prim)] += 1
        for obj in named:
            side.names[obj] = display_name(obj)
            if has_rule:
                side.grad[obj] = coverage._family(prim)
            else:
                side.zero.add(obj)
    return side, rule_counts


# ----- autograd -----


def _stats_namespaces() -> dict[str, tuple[Any, str]]:
    import scipy.stats

    found = {}
    for info in pkgutil.iter_modules(autograd.scipy.stats.__path__):
        module = importlib.import_module(f"autograd.scipy.stats.{info.name}")
        real = getattr(scipy.stats, info.name, None)
        if real is not None:
            found[module.__name__] = (real, f"scipy.stats.{info.name}")
    return found


def _namespaces() -> dict[str, tuple[Any, str]]:
    spaces: dict[str, tuple[Any, str]] = {}
    for ag_name, (real_name, prefix) in _NAMESPACES.items():
        spaces[ag_name] = (importlib.import_module(real_name), prefix)
    spaces.update(_stats_namespaces())
    return spaces


def _vjp_is_none(fun: Any) -> bool:
    """True when ``defvjp(fun, None, ...)`` gave every argument a zero VJP."""
    maker = primitive_vjps[fun]
    cells = dict(
        zip(
            maker.__code__.co_freevars,
            (c.cell_contents for c in maker.__closure__ or ()),
            strict=True,
        )
    )
    vjps = cells.get("vjps_dict")
    if not vjps:
        return False
    return all(
        getattr(v, "__qualname__", "").startswith("translate_vjp.")
        for v in vjps.values()
    )


def _fallback_family(name: str, obj: Any) -> str:
    for prefix, family in _PREFIX_FAMILY.items():
        if name.startswith(prefix):
            return family
    short = name.removeprefix("np.")
    if short in _NUMPY_FAMILY:
        return _NUMPY_FAMILY[short]
    if isinstance(obj, np.ufunc):
        return "elementwise"
    return "unassigned"


@dataclass
class Dropped:
    name: str
    reason: str


def autograd_side(srcdiff: Side) -> tuple[Side, list[Dropped], int]:
    nograd = notrace_primitives[VJPNode]
    side = Side()
    reached: set[Any] = set()  # primitive_vjps keys that a counted name reaches
    composite_reals: dict[Any, Any] = {}
    for fun in primitive_vjps:  # ArrayBox.__getitem__ is x[...]
        raw = getattr(fun, "fun", fun)
        if getattr(raw, "__qualname__", "") == "ArrayBox.__getitem__":
            reached.add(fun)
            side.grad[operator.getitem] = srcdiff.grad.get(operator.getitem, "shape")
            side.names[operator.getitem] = "x[...]"
    for ag_name, (real, prefix) in _namespaces().items():
        for name, value in sorted(vars(sys.modules[ag_name]).items()):
            if name.startswith("_") or not callable(value) or isinstance(value, type):
                continue
            obj = getattr(real, name, None)
            if obj is None or not _hashable(obj):
                continue  # an autograd helper with no NumPy/SciPy counterpart
            if value in primitive_vjps:
                reached.add(value)
                zero = _vjp_is_none(value)
            elif value in nograd or getattr(value, "_is_primitive", False):
                zero = True
            elif (getattr(value, "__module__", "") or "").startswith(
                "autograd"
            ) and not getattr(value, "_is_autograd_primitive", False):
                zero = False  # a Python wrapper over autograd primitives
                side.composite.add(obj)
                composite_reals[obj] = name
            else:
                continue  # a primitive without a VJP: grad raises
            display = srcdiff.names.get(obj) or _autograd_display(obj, name, prefix)
            side.names[obj] = display
            if zero:
                side.zero.add(obj)
                continue
            if obj in srcdiff.grad:
                side.grad[obj] = srcdiff.grad[obj]
            else:
                side.grad[obj] = _fallback_family(display, obj)
    dropped = _dropped(reached, composite_reals, side)
    return side, dropped, len(primitive_vjps)


def _autograd_display(obj: Any, name: str, prefix: str) -> str:
    if prefix.startswith("scipy.stats."):
        return f"{prefix}.{name}"
    canonical = getattr(obj, "__name__", name)
    module_name = prefix.replace("np", "numpy", 1) if prefix.startswith("np") else ""
    module = sys.modules.get(module_name or prefix)
    if module is not None and getattr(module, canonical, None) is obj:
        name = canonical
    return f"{prefix}.{name}"


def _dropped(
    reached: set[Any], composite_reals: dict[Any, Any], side: Side
) -> list[Dropped]:
    out = []
    for fun in primitive_vjps:
        if fun in reached:
            continue
        raw = getattr(fun, "fun", fun)
        module = getattr(raw, "__module__", "") or ""
        name = getattr(raw, "__name__", repr(raw))
        if module.startswith("autograd.core"):
            reason = "VSpace arithmetic autograd uses to add up gradients"
        elif module.startswith("autograd.builtins"):
            reason = "container op (autograd.builtins tuple/list/dict)"
        elif name in _HELPERS:
            reason = "helper primitive used inside another VJP (higher orders)"
        elif name in _BEHIND:
            reason = f"internal primitive behind {_BEHIND[name]}: counted there"
        elif _hashable(raw) and raw in composite_reals:
            wrapper = side.names.get(raw, composite_reals[raw])
            reason = f"the primitive inside autograd's {wrapper} wrapper: counted there"
        elif module.startswith("autograd"):
            reason = "autograd-only function with no NumPy/SciPy counterpart"
        else:
            reason = "not reachable from a public NumPy/SciPy name"
        out.append(Dropped(f"{module}.{name}", reason))
    return out


# ----- report -----


def _names(keys: Iterable[Any], side: Side, mark: Callable[[Any], str]) -> str:
    shown = sorted(f"{side.names[k]}{mark(k)}".replace("|", "\\|") for k in keys)
    return ", ".join(shown) if shown else "-"


def render() -> str:
    ours, rule_counts = srcdiff_side()
    theirs, dropped, n_vjps = autograd_side(ours)
    star = lambda k: "*" if k in theirs.composite else ""  # noqa: E731
    plain = lambda k: ""  # noqa: E731
    families = sorted(set(ours.grad.values()) | set(theirs.grad.values()))
    lines = [
        "## Functions with gradients, per family",
        "",
        "| family | srcdiff count | autograd count "
        "| in autograd not in srcdiff | in srcdiff not in autograd |",
        "| --- | --- | --- | --- | --- |",
    ]
    for fam in families:
        mine = {k for k, f in ours.grad.items() if f == fam}
        other = {k for k, f in theirs.grad.items() if f == fam}
        missing = {k for k in other if k not in ours.grad}
        extra = {k for k in mine if k not in theirs.grad}
        lines.append(
            f"| {fam} | {len(mine)} | {len(other)} "
            f"| {_names(missing, theirs, star)} | {_names(extra, ours, plain)} |"
        )
    both = set(ours.grad) & set(theirs.grad)
    lines += [
        f"| **total** | **{len(ours.grad)}** | **{len(theirs.grad)}** "
        f"| {len(set(theirs.grad) - set(ours.grad))} "
        f"| {len(set(ours.grad) - set(theirs.grad))} |",
        "",
        f"Both have {len(both)}. * marks autograd functions written as Python "
        "wrappers over its primitives rather than given a VJP of their own. "
        "Counts are public functions (see the script's docstring for aliases); "
        "srcdiff's docs/coverage.md counts rules, one per primitive with its "
        "aliases together: "
        + ", ".join(f"{f} {n}" for f, n in sorted(rule_counts.items()))
        + f" ({sum(rule_counts.values())}).",
        "",
        "autograd's wrappers (*), counted with its functions: "
        + _names(theirs.composite, theirs, plain)
        + ".",
        "",
    ]
    if getattr(np, "astype", None) in theirs.grad and "x.astype" in ours.names.values():
        lines += [
            "x.astype is srcdiff's entry for the ndarray method, which NumPy 2's "
            "np.astype shares (one rule); autograd has np.astype and the method "
            "(ArrayBox.astype, not counted).",
            "",
        ]
    lines += _zero_section(ours, theirs)
    lines += _crossed(ours, theirs)
    lines += [
        "## autograd VJP registry entries left out",
        "",
        f"autograd.core.primitive_vjps holds {n_vjps} entries; "
        f"{n_vjps - len(dropped)} are reached from a public NumPy/SciPy name "
        f"(several names may share one entry, one entry may stand for two "
        f"aliases); {len(dropped)} are left out:",
        "",
        "| entry | why |",
        "| --- | --- |",
    ]
    lines += [f"| {d.name} | {d.reason} |" for d in sorted(dropped, key=_by_reason)]
    unassigned = [theirs.names[k] for k, f in theirs.grad.items() if f == "unassigned"]
    if unassigned:
        lines += ["", f"Unassigned to a family: {', '.join(sorted(unassigned))}."]
    return "\n".join(lines)


def _by_reason(d: Dropped) -> tuple[str, str]:
    return (d.reason, d.name)


def _zero_section(ours: Side, theirs: Side) -> list[str]:
    zero_missing = theirs.zero - ours.zero - set(ours.grad)
    zero_extra = ours.zero - theirs.zero - set(theirs.grad)
    plain = lambda k: ""  # noqa: E731
    return [
        "## Traced with zero gradient",
        "",
        "| | srcdiff count | autograd count "
        "| in autograd not in srcdiff | in srcdiff not in autograd |",
        "| --- | --- | --- | --- | --- |",
        f"| zero gradient | {len(ours.zero)} | {len(theirs.zero)} "
        f"| {_names(zero_missing, theirs, plain)} "
        f"| {_names(zero_extra, ours, plain)} |",
        "",
    ]


def _crossed(ours: Side, theirs: Side) -> list[str]:
    """Functions one side differentiates and the other gives zero gradient."""
    ours_only = sorted(ours.names[k] for k in theirs.zero & set(ours.grad))
    theirs_only = sorted(theirs.names[k] for k in ours.zero & set(theirs.grad))
    return [
        "Zero gradient in autograd, a gradient in srcdiff: "
        + (", ".join(ours_only) or "none")
        + ".",
        "",
        "A gradient in autograd, zero gradient in srcdiff: "
        + (", ".join(theirs_only) or "none")
        + ".",
        "",
    ]


def main() -> None:
    print(render())


if __name__ == "__main__":
    main()
