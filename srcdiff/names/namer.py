"""Deterministic, readable names for every value an emitted function holds.

User names are kept; a reassigned name gets a numbered version (``h``,
``h_2``); parameter leaves that share a name are numbered by position
(``W1``, ``W2``); the adjoint of ``h`` is ``dh``, a tangent over a gradient
``h_dot`` (``dh_dot``), the Hessian times ``v`` for ``W`` ``hv_W``;
temporaries are named after what they compute (``exp_z``). Names are handed
out in program order, so the same program always gets the same names.
"""

from __future__ import annotations

import ast
import builtins
import keyword
import re
from collections import Counter
from collections.abc import Iterable

from srcdiff.ir.nodes import Var
from srcdiff.ir.prims import REDUCTION_METHODS

# Longer descriptions make worse names than a plain one.
_LONGEST = 20
# The name of a temporary nothing better describes.
FALLBACK = "t"
# ... unless it is the adjoint of an unnamed value: backprop's word for that
# (and, over a gradient, ``delta_dot`` for its tangent).
DELTA = "delta"
DELTAS = (DELTA, DELTA + "_dot")


class Namer:
    def __init__(self, reserved: Iterable[str]) -> None:
        self.taken = set(reserved)
        self.names: dict[Var, str] = {}

    def fresh(self, base: str) -> str:
        base = _identifier(base)
        if base in _BUILTINS:  # `sum = ...` would hide the builtin from readers
            base = _INSTEAD_OF_BUILTIN.get(base, base + "_")
        if base not in self.taken:
            self.taken.add(base)
            return base
        n = 2
        while f"{base}_{n}" in self.taken:
            n += 1
        self.taken.add(f"{base}_{n}")
        return f"{base}_{n}"

    def name_params(self, params: dict[str, list[Var]]) -> None:
        """Parameters keep their names; leaves sharing a name are numbered."""
        leaves = [v for vs in params.values() for v in vs if v.path]
        counts = Counter(v.hint for v in leaves)
        seen: Counter[str] = Counter()
        for param, vars_ in params.items():
            for var in vars_:
                if not var.path:
                    self.names[var] = param
                    continue
                seen[var.hint] += 1
                base = (
                    var.hint if counts[var.hint] == 1 else f"{var.hint}{seen[var.hint]}"
                )
                self.names[var] = self.fresh(base)

    def name(self, var: Var, render_hint: str = "") -> str:
        if var in self.names:
            return self.names[var]
        if var.kind == "adjoint" and var.adjoint_of is not None:
            base = "d" + self.name(var.adjoint_of)
        elif var.kind == "tangent" and var.adjoint_of is not None:
            base = self.name(var.adjoint_of) + "_dot"
        elif var.kind == "hvp" and var.adjoint_of is not None:
            base = "hv_" + self.name(var.adjoint_of)
        elif var.local and var.kind == "temp" and var.hint not in DELTAS:
            base = var.local  # what the rule calls it: winners, z
        elif var.kind in ("user", "param", "leaf") or (
            render_hint == FALLBACK and var.hint in DELTAS
        ):
            base = var.hint
        else:
            base = render_hint or var.hint
        self.names[var] = self.fresh(base)
        return self.names[var]


_BUILTINS = frozenset(dir(builtins))
_INSTEAD_OF_BUILTIN = {
    "sum": "total",
    "max": "largest",
    "min": "smallest",
    "abs": "magnitude",
}
_OPS = {
    ast.Add: "plus",
    ast.Sub: "minus",
    ast.Mult: "times",
    ast.Div: "over",
    ast.Pow: "pow",
    ast.MatMult: "dot",
    ast.Mod: "mod",
    ast.FloorDiv: "div",
}
_COMPARES = {
    ast.Gt: "gt",
    ast.Lt: "lt",
    ast.GtE: "ge",
    ast.LtE: "le",
    ast.Eq: "eq",
    ast.NotEq: "ne",
}
_NUMBERS = {0: "zero", 1: "one", 2: "two", 0.5: "half"}


def temp_hint(expr: ast.expr) -> str:
    """A name for a temporary that says what it computes: ``exp_neg_z``."""
    words = _describe(expr)
    if words and len(words) <= _LONGEST:
        return words
    if isinstance(expr, ast.Call) and _call_name(expr) not in _SAYS_NOTHING:
        return _call_name(expr) or FALLBACK
    return FALLBACK


# Calls whose name says nothing of the value they make (a broadcast of 1/n
# is better called by what it is the adjoint of, or ``delta``).
_SAYS_NOTHING = frozenset({"broadcast_to"})


def _describe(node: ast.expr) -> str:
    if isinstance(node, ast.Name):
        return node.id
    if isinstance(node, ast.Constant) and node.value in _NUMBERS:
        return _NUMBERS[node.value]
    if _small_int(node):  # rows // 4 is rows_div_4
        return str(node.value)  # type: ignore[attr-defined]
    if isinstance(node, ast.UnaryOp) and isinstance(node.op, ast.USub):
        inner = _describe(node.operand)
        return inner and f"neg_{inner}"
    if isinstance(node, ast.BinOp) and type(node.op) in _OPS:
        left, right = _describe(node.left), _describe(node.right)
        return left and right and f"{left}_{_OPS[type(node.op)]}_{right}"
    if isinstance(node, ast.Compare) and len(node.ops) == 1:
        left, right = _describe(node.left), _describe(node.comparators[0])
        op = _COMPARES.get(type(node.ops[0]), "")
        return left and right and op and f"{left}_{op}_{right}"
    if _reduction_method(node):  # e.sum(axis=1) is sum_e, as np.sum(e, axis=1)
        inner = _describe(node.func.value)  # type: ignore[attr-defined]
        return inner and f"{_call_name(node)}_{inner}"  # type: ignore[arg-type]
    if isinstance(node, ast.Call) and node.args and _call_name(node) != "where":
        # (np.where(mask, ...) is not "where_mask": its value is elsewhere too)
        name, arg = _call_name(node), _describe(node.args[0])
        return name and arg and f"{name}_{arg}"
    if isinstance(node, ast.Subscript) and isinstance(node.slice, ast.Name):
        inner = _describe(node.value)  # X[order] is X_order
        return inner and f"{inner}_{node.slice.id}"
    if isinstance(node, ast.Subscript) and _small_int(node.slice):
        inner = _describe(node.value)  # inputs[3] is inputs_3
        return inner and f"{inner}_{node.slice.value}"  # type: ignore[attr-defined]
    if isinstance(node, ast.Attribute) and node.attr == "T":
        inner = _describe(node.value)
        return inner and f"{inner}_T"
    return ""


_REDUCTION_NAMES = frozenset(REDUCTION_METHODS.values())


def _reduction_method(node: ast.expr) -> bool:
    """``a.sum(...)``, ``a.max(...)``: an array's reduction method (the
    emitter writes NumPy's reductions so), not ``np.sum(...)``."""
    if not isinstance(node, ast.Call) or not isinstance(node.func, ast.Attribute):
        return False
    receiver = node.func.value
    while isinstance(receiver, ast.Attribute):
        receiver = receiver.value
    module = isinstance(receiver, ast.Name) and receiver.id == "np"
    return node.func.attr in _REDUCTION_NAMES and not module


def _small_int(node: ast.expr) -> bool:
    return (
        isinstance(node, ast.Constant)
        and type(node.value) is int
        and 0 <= node.value < 1000
    )


def _call_name(node: ast.Call) -> str:
    func = node.func
    if isinstance(func, ast.Attribute):
        return func.attr
    return func.id if isinstance(func, ast.Name) else ""


def _identifier(text: str) -> str:
    text = re.sub(r"\W", "_", text).strip("_") or "v"
    if text[0].isdigit():
        text = "v" + text
    return text + "_" if keyword.iskeyword(text) else text


def plural(name: str) -> str:
    """``hs``, ``velocities``, ``xs``: the name of a list of saved values."""
    if keyword.iskeyword(name + "s") or (len(name) == 1 and name in "aeiou"):
        return name + "_values"
    if re.search(r"[^aeiou]y$", name):
        return name[:-1] + "ies"
    if re.search(r"(s|x|z|ch|sh)$", name) and len(name) > 2:
        return name + "es"
    return name + "s"
