"""The coverage table, docs/coverage.md, generated from the rule registry.

``python -m srcdiff.coverage`` rewrites the file; a test fails when it is
stale, so the table always says what the registry holds.
"""

from __future__ import annotations

import builtins
import inspect
import operator
import sys
import types
from collections import defaultdict
from pathlib import Path
from typing import Any

from srcdiff import rules
from srcdiff.ir.prims import METHODS, PRIMS, VARARG_METHODS, Prim

_OPERATORS = {
    operator.add: "`+`",
    operator.sub: "`-`",
    operator.mul: "`*`",
    operator.truediv: "`/`",
    operator.pow: "`**`",
    operator.matmul: "`@`",
    operator.neg: "unary `-`",
    operator.getitem: "`x[...]`",
    operator.gt: "`>`",
    operator.lt: "`<`",
    operator.ge: "`>=`",
    operator.le: "`<=`",
    operator.eq: "`==`",
    operator.ne: "`!=`",
    operator.and_: "`&`",
    operator.or_: "`|`",
    operator.invert: "`~`",
    operator.mod: "`%`",
    operator.floordiv: "`//`",
    operator.xor: "`^`",
}
_SEARCHED = [
    "numpy",
    "numpy.linalg",
    "numpy.fft",
    "scipy.special",
    "scipy.linalg",
    "scipy.signal",
    "srcdiff",  # srcdiff.stop_gradient
]
_SHORT = {"numpy": "np"}


def public_name(obj: Any) -> str:
    """How users write ``obj``: ``np.linalg.inv``, ``scipy.special.expit``, ``+``."""
    if obj in _OPERATORS:
        return _OPERATORS[obj]
    if (
        isinstance(obj, types.BuiltinFunctionType)
        and getattr(builtins, obj.__name__, None) is obj
    ):
        return f"`{obj.__name__}()`"
    if isinstance(obj, types.MethodType):  # scipy.stats.norm.pdf
        owner = obj.__self__  # dirichlet and multivariate_normal have no .name
        name = getattr(owner, "name", None) or type(owner).__name__.removesuffix("_gen")
        return f"`scipy.stats.{name}.{obj.__name__}`"
    name = obj.__name__
    for module_name in _SEARCHED:
        module = sys.modules.get(module_name)
        if module is not None and getattr(module, name, None) is obj:
            head, _, rest = module_name.partition(".")
            prefix = ".".join(filter(None, [_SHORT.get(head, head), rest]))
            return f"`{prefix}.{name}`"
    module = getattr(obj, "__module__", None) or "?"
    return f"`{module}.{name}`"


def _entries() -> dict[Prim, list[str]]:
    names: dict[Prim, list[str]] = defaultdict(list)
    for obj, prim in PRIMS.items():
        if prim.helper is None and prim.copied is None:  # not a user's primitive
            names[prim].append(public_name(obj))
    return {prim: sorted(set(ns), key=_sort_key) for prim, ns in names.items()}


def _sort_key(name: str) -> tuple[int, str]:
    return (0 if name.startswith("`np.") else 1, name)


def _family(prim: Prim) -> str:
    """A rule module's ``FAMILY``, or else the module's own name."""
    rule = rules.rule_for(prim)
    if rule is None:
        return ""
    module = sys.modules[rule.__module__]
    return getattr(module, "FAMILY", rule.__module__.rsplit(".", 1)[-1])


def tangents(prim: Prim) -> str:
    """The arguments with a tangent rule (forward mode), by the names of the
    adjoint rule's parameters; "-" for none."""
    positions = sorted(rules.TANGENTS.get(prim, {}))
    rule = rules.rule_for(prim)
    if not positions or rule is None:
        return "-"
    params = list(inspect.signature(rule).parameters.values())[2:]
    star = [p.name for p in params if p.kind == p.VAR_POSITIONAL]
    named = [
        p.name for p in params if p.kind in (p.POSITIONAL_ONLY, p.POSITIONAL_OR_KEYWORD)
    ]
    shown = [
        named[i] if i < len(named) else star[0]
        for i in positions
        if star or i < len(named)
    ]
    return ", ".join(dict.fromkeys(shown)) or "-"


def render() -> str:
    rules.load_scipy(everything=True)
    entries = _entries()
    with_rule = {p: n for p, n in entries.items() if rules.rule_for(p)}
    zero = {
        p: n
        for p, n in entries.items()
        if not rules.rule_for(p) and not p.differentiable
    }
    forward = {p: n for p, n in with_rule.items() if rules.TANGENTS.get(p)}
    missing = {p: n for p, n in with_rule.items() if p not in forward}
    families: dict[str, int] = defaultdict(int)
    for prim in with_rule:
        families[_family(prim)] += 1
    per_family = ", ".join(f"{fam} {n}" for fam, n in sorted(families.items()))
    lines = [
        "# What srcdiff can differentiate",
        "",
        "Generated from the rule registry by `python -m srcdiff.coverage`; "
        "a test fails when this file is stale.",
        "",
        f"**{len(with_rule)} functions with adjoint rules** ({per_family}); "
        f"**{len(zero)} traced with zero gradient**.",
        "",
        f"**{len(forward)} of them with tangent rules** (forward mode, "
        "`srcdiff.jvp`); the *tangent* column names the arguments that have "
        "one. Differentiating through any other argument in forward mode is an "
        "error naming the call; without one: "
        + ", ".join(n[0] for _, n in sorted(missing.items(), key=lambda i: i[1][0]))
        + ".",
        "",
        "| function | family | tangent | notes |",
        "| --- | --- | --- | --- |",
    ]
    rows = sorted(with_rule.items(), key=lambda item: (_family(item[0]), item[1][0]))
    for prim, names in rows:
        lines.append(
            f"| {', '.join(names)} | {_family(prim)} | {tangents(prim)} "
            f"| {rules.NOTES.get(prim, '')} |"
        )
    lines += ["", "## Traced with zero gradient", "", "| function |", "| --- |"]
    lines += [f"| {', '.join(names)} |" for names in sorted(zero.values())]
    methods = sorted({*METHODS, *VARARG_METHODS, "T"})
    lines += [
        "",
        "## ndarray methods and attributes",
        "",
        "Each means the NumPy function of the same name: "
        + ", ".join(f"`x.{m}`" for m in methods)
        + ".",
        "",
    ]
    return "\n".join(lines)


PATH = Path(__file__).resolve().parent.parent / "docs" / "coverage.md"


def main() -> None:
    PATH.write_text(render())
    print(f"wrote {PATH}")


if __name__ == "__main__":
    main()
