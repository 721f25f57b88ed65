"""Assignment targets, and the in-place updates srcdiff allows.

``x = v`` binds a name; ``a, b = v`` unpacks, checking the count when the
code runs if no example gives it. ``A[i] = v`` and ``xs[t][i] = v`` rebind
to an updated copy (SSA) where NumPy changes the array in place: allowed
only for an array the function made itself (``Frame.owned``) and no other
name holds, where the copy and the change in place cannot differ.
"""

from __future__ import annotations

import ast
import operator
from typing import Any

import numpy as np

from srcdiff.errors import Loc, TraceError, UnsupportedSyntax
from srcdiff.ir import effects
from srcdiff.ir.nodes import Const, Var, walk_vars
from srcdiff.ir.prims import GETITEM, INDEX_UPDATE, LEN, PRIMS, VIEWS, lookup
from srcdiff.ir.values import is_traced, shape_of
from srcdiff.trace.frame import BoundMethod, Frame, Tracing


class InPlace(Tracing):
    """``assign``, and what owning an array means."""

    def assign(self, target: ast.expr, value: Any, frame: Frame) -> None:
        if isinstance(target, ast.Name):
            frame.env[target.id] = value
            frame.owned.pop(target.id, None)
            made_here = isinstance(value, Var) and value.serial >= frame.first_serial
            if frame.in_rule and made_here and value.kind == "temp":
                value.local = value.local or _rule_local(target.id)
            if isinstance(value, Var) and not frame.in_rule:
                if value.kind == "temp":
                    value.hint, value.kind = target.id, "user"
                elif value.kind == "leaf":
                    value.hint, value.kind = target.id, "param"
            return
        if isinstance(target, (ast.Tuple, ast.List)):
            items = self._unpack(value, target, frame.loc(target))
            if len(items) != len(target.elts):
                raise TraceError(
                    f"cannot unpack {len(items)} values into {len(target.elts)} names",
                    frame.loc(target),
                )
            for elt, item in zip(target.elts, items, strict=True):
                self.assign(elt, item, frame)
            return
        if isinstance(target, ast.Subscript) and isinstance(target.value, ast.Name):
            self._assign_item(target, value, frame)
            return
        if isinstance(target, ast.Subscript) and isinstance(
            target.value, ast.Subscript
        ):
            self._assign_into_item(target, value, frame)
            return
        raise UnsupportedSyntax("unsupported assignment target", frame.loc(target))

    def _unpack(self, value: Any, target: ast.Tuple | ast.List, loc: Loc) -> list[Any]:
        """``W, b = params`` without an example: ``params`` may be a list,
        tuple or array; its items are read by index, and the emitted code
        checks that there are as many as names."""
        count = len(target.elts)
        starred = any(isinstance(e, ast.Starred) for e in target.elts)
        if not isinstance(value, Var) or value.known or starred:
            return self.iterate(value, loc)
        if self.builder.arity(value) or shape_of(value) == ():
            return self.iterate(value, loc)
        length = self.builder.bind(LEN, (value,), loc=loc)
        same = self.builder.bind(PRIMS[operator.eq], (length, count), loc=loc)
        what = f"unpacking into {count} names needs {count} items"
        self.builder.guard(same, True, loc, what, message=what)
        return [self.builder.bind(GETITEM, (value, i), loc=loc) for i in range(count)]

    def _assign_item(self, target: ast.Subscript, value: Any, frame: Frame) -> None:
        """``A[i] = v``: srcdiff rebinds ``A`` to an updated copy (SSA)."""
        assert isinstance(target.value, ast.Name)
        name, loc = target.value.id, frame.loc(target)
        if name not in frame.env:
            raise UnsupportedSyntax(
                f"`{name}` is not a local name, so srcdiff will not change it in place",
                loc,
                f"Copy it into a local first: `{name}_local = {name}.copy()`.",
            )
        base = frame.env[name]
        index = self.eval(target.slice, frame)
        if isinstance(base, (list, dict)) and not is_traced(index):
            base[index] = value  # a Python container: exactly what Python does
            self._name_item(value, name, index, frame)
            return
        if not isinstance(base, (Var, Const)):
            raise TraceError(f"cannot assign into a {type(base).__name__}", loc)
        if frame.owned.get(name) is not base:
            raise UnsupportedSyntax(
                f"`{ast.unparse(target)} = ...` would change in place an array that "
                f"the function did not make (a parameter, or one `{name}` shares)",
                loc,
                f"Copy it first, `{name} = {name}.copy()`, or start from a new "
                f"array such as `{name} = np.zeros(...)`.",
            )
        updated = self.builder.bind(INDEX_UPDATE, (base, index, value), loc=loc)
        frame.env[name] = frame.owned[name] = updated
        if isinstance(updated, Var) and not frame.in_rule:
            updated.hint, updated.kind = name, "user"

    def _assign_into_item(
        self, target: ast.Subscript, value: Any, frame: Frame
    ) -> None:
        """``xs[t][i] = v`` (min-char-rnn's one-hot rows): the array a Python
        list or dict holds at ``t`` becomes an updated copy, when the function
        made it and nothing else holds it (NumPy changes it in place)."""
        outer, loc = target.value, frame.loc(target)
        assert isinstance(outer, ast.Subscript)
        text = ast.unparse(target)
        container = self.eval(outer.value, frame)
        key = self.eval(outer.slice, frame)
        if not isinstance(container, (list, dict)) or is_traced(key):
            raise UnsupportedSyntax(
                f"srcdiff does not support assigning into `{text}` here",
                loc,
                "Index an array once, `A[i, j] = v`, or assign into an item of a "
                "Python list or dict at a Python index, `xs[t][i] = v`.",
            )
        item = self.eval(outer, frame)
        stmt = self.builder.defs.get(item) if isinstance(item, Var) else None
        if (
            stmt is None
            or stmt.prim.name in VIEWS
            or item.kind in ("param", "leaf")  # type: ignore[union-attr]
            or item.serial < frame.first_serial  # type: ignore[union-attr]
        ):
            raise UnsupportedSyntax(
                f"`{text} = ...` would change in place an array that the "
                "function did not make",
                loc,
                f"Store a new array first, e.g. `{ast.unparse(outer)} = "
                "np.zeros(...)` or `... = x.copy()`.",
            )
        seen: dict[int, Any] = {}  # each container once, however many names
        scope: Frame | None = frame
        while scope is not None:
            seen.update((id(v), v) for v in scope.env.values())
            scope = scope.parent
        holders = [leaf for leaf in walk_vars(list(seen.values())) if leaf is item]
        if len(holders) > 1:
            raise UnsupportedSyntax(
                f"`{text} = ...` changes in place an array that another name "
                "also holds",
                loc,
                f"Store a copy first: `{ast.unparse(outer)} = "
                f"{ast.unparse(outer)}.copy()`.",
            )
        index = self.eval(target.slice, frame)
        updated = self.builder.bind(INDEX_UPDATE, (item, index, value), loc=loc)
        container[key] = updated
        name = outer.value.id if isinstance(outer.value, ast.Name) else ""
        if item.hint == _item_name(name, key):  # type: ignore[union-attr]
            item.kind = "temp"  # type: ignore[union-attr]  # the name moves on
        self._name_item(updated, name, key, frame)

    @staticmethod
    def _name_item(value: Any, name: str, key: Any, frame: Frame) -> None:
        """A new value stored at ``hs[3]`` is called ``hs_3``."""
        hint = _item_name(name, key)
        temp = isinstance(value, Var) and value.kind == "temp"
        if hint and temp and not frame.in_rule:
            value.hint, value.kind = hint, "user"

    def _check_not_shared(
        self, name: str, current: Any, node: ast.stmt, frame: Frame, rewrite: str
    ) -> None:
        """Refuse an in-place change to an array another name also holds.

        srcdiff reads ``y += ...`` as ``y = y + ...`` and ``y[i] = v`` as an
        updated copy of ``y``, but NumPy changes the array in place, so every
        other name bound to it would change too.
        """
        if not isinstance(current, Var) or (
            current.known and not isinstance(current.value, np.ndarray)
        ):
            return
        scope: Frame | None = frame
        while scope is not None:
            for other, value in scope.env.items():
                shared = current in walk_vars(value)
                if shared and not (scope is frame and other == name):
                    raise UnsupportedSyntax(
                        f"`{ast.unparse(node).splitlines()[0]}` changes in place an "
                        f"array that `{other}` also holds",
                        frame.loc(node),
                        f"{rewrite}, which makes a new array and leaves `{other}` "
                        "as it is.",
                    )
            scope = scope.parent

    def _creates_array(self, node: ast.expr, value: Any, frame: Frame) -> bool:
        """Whether NumPy makes a new array for this expression (not a view)."""
        if isinstance(node, (ast.BinOp, ast.UnaryOp, ast.Compare)):
            return True
        if not isinstance(node, ast.Call):
            return False
        if any(isinstance(n, ast.Call) for n in ast.walk(node.func)):
            # ``f(x).sum()``: evaluating ``f(x)`` again could draw again; the
            # statement that made the value says what made it.
            stmt = self.builder.defs.get(value) if isinstance(value, Var) else None
            return stmt is not None and stmt.prim.name not in VIEWS
        fn = self.eval(node.func, frame)
        if isinstance(fn, BoundMethod):
            fn = fn.fn
        prim = lookup(fn) or effects.prim_for(fn, frame.loc(node))
        return prim is not None and prim.name not in VIEWS


def _item_name(name: str, key: Any) -> str:
    """``hs_3`` for ``hs[3]``, ``hs_neg_1`` for ``hs[-1]`` ('' for other keys)."""
    part = key if isinstance(key, str) and key.isidentifier() else ""
    if type(key) is int:
        part = str(key) if key >= 0 else f"neg_{-key}"
    return f"{name}_{part}" if name and part else ""


def _rule_local(name: str) -> str:
    """A rule's local name worth showing: not its ``dx``-style partials (the
    emitted code has its own ``d`` names), generic words or one letter but z."""
    one_letter = len(name) == 1 and name != "z"
    if name.startswith(("d", "_")) or name in _GENERIC or one_letter:
        return ""
    return name


_GENERIC = frozenset({"grad", "out", "result", "value", "tmp", "res", "total"})
