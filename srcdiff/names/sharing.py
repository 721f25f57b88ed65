"""Which values take over another value's name in the emitted code.

A loop's carried value keeps one name before, in and after the loop (``h``);
an update, an ``if`` arm's value, an array updated in place, and a backward
trip's restored or recomputed value take over a name whose old value nothing
reads any more. Emit asks as it writes each statement: whether a name is
still read depends on where emit stands (``at``, ``depth``). Takes the namer
and the program's ``Folding``; leaves its decisions in ``namer.names``, the
values that must not be updated in place in ``aliased``, and the names of
the lists a forward loop saves into in ``lists``.
"""

from __future__ import annotations

import math
from typing import Any

from srcdiff.ir.nodes import (
    Assign,
    Branch,
    Carried,
    Const,
    Loop,
    Merge,
    Program,
    Stmt,
    Var,
    all_loops,
    loop_inputs,
    reads_within,
    stmt_inputs,
    walk_vars,
)
from srcdiff.ir.prims import VIEWS
from srcdiff.names.namer import Namer, plural
from srcdiff.simplify.fold import Folding


class Sharing:
    def __init__(self, namer: Namer, folding: Folding, program: Program) -> None:
        self.namer = namer
        self.folding = folding
        # The top-level statement being emitted, and the last one reading each Var.
        self.at = 0
        self.last_read: dict[Var, float] = {}
        for index, stmt in enumerate(program.stmts):
            for var in reads_within(stmt):
                self.last_read[var] = index
        self.last_read.update(dict.fromkeys(walk_vars(program.output), math.inf))
        # How many loops and ifs deep the statement being emitted stands.
        self.depth = 0
        # Loop values that may hold another name's array: never updated in place.
        self.aliased: set[Var] = set()
        # The list each saved forward phi is appended to (``hs``).
        self.lists: dict[Var, str] = {}

    def loop_bounds(self, program: Program) -> None:
        """``range(steps)``: a loop runs to the int argument itself."""
        for loop in all_loops(program.stmts):
            for var in walk_vars(loop.bounds):
                if var.kind == "param" and var.hint in program.params:
                    self.namer.names[var] = var.hint

    def carried(self, c: Carried, loop: Loop) -> bool:
        """Whether ``c`` takes the name of its value before the loop: one of
        the same role nothing else reads, or an argument of the same name
        nothing reads after the loop starts (``for ...: h = f(h)``)."""
        names = self.namer.names
        init = c.init
        same_role = isinstance(init, Var) and (
            init.kind in ("temp", "adjoint", "tangent") or init.hint == c.phi.hint
        )
        shares = (
            same_role
            and self.folding.uses[init] == 1
            and init.kind not in ("param", "leaf")
            and init in names
            and c.phi not in names
        )
        rebinds_argument = isinstance(init, Var) and init.hint == c.phi.hint
        if not (shares or (rebinds_argument and self._free_after(init, loop))):
            return False
        names[c.phi] = names[init]
        if not shares:  # the caller's array, for the first trip
            self.aliased.add(c.phi)
        return True

    def starts_as(self, var: Var, value: Any) -> None:
        """``var`` holds ``value``, written out in full, for the first trip:
        never updated in place if that may be another name's array."""
        if isinstance(value, Var) and value in self.folding.inline:
            may_alias = self.folding.inline[value].prim.name in VIEWS
        else:
            may_alias = isinstance(value, (Var, Const))
        if may_alias:
            self.aliased.add(var)

    def restored(self, loop: Loop) -> None:
        """A backward trip's ``h = hs.pop()`` reuses the forward name ``h`` when
        nothing the backward loop or later code reads holds that name."""
        names = self.namer.names
        for var, phi in loop.restores:
            if var in names:
                continue
            name = names.get(phi)
            if self._name_free(name, loop):
                names[var] = name  # type: ignore[assignment]
            else:
                self.namer.name(var)

    def forward_names(self, loop: Loop) -> None:
        """A backward trip recomputes ``x_t`` under the forward trip's name when
        nothing else the backward trip reads holds that name."""
        names = self.namer.names
        here = {names.get(v) for v in loop_inputs(loop)}
        here.update(names.get(c.phi) for c in loop.carried)
        here.update(names.get(v) for v, _ in loop.restores)
        for copy, original in loop.origins.items():
            name = names.get(original)
            if copy in names or copy in self.folding.inline or name in here:
                continue
            if self._name_free(name, loop):
                names[copy] = name  # type: ignore[assignment]
                here.add(name)

    def saved_list(self, phi: Var) -> str:
        """``hs`` holds the saved values of ``h``."""
        if phi not in self.lists:
            self.lists[phi] = self.namer.fresh(plural(self.namer.name(phi)))
        return self.lists[phi]

    def updates(self, loop: Loop) -> None:
        """``h = np.tanh(W @ h + ...)``: the update takes the carried name when
        nothing after it in the trip still reads the old value."""
        folding = self.folding
        defs = {
            stmt.var: i
            for i, stmt in enumerate(loop.body)
            if isinstance(stmt, Assign)
            and stmt.var not in folding.inline
            and stmt.var not in folding.unpacked
            and stmt.prim.statements is None
        }
        for i, stmt in enumerate(loop.body):  # if ...: h = f(h)
            if isinstance(stmt, Branch):
                defs.update((m.result, i) for m in stmt.merges)
        reads = [folding.expanded(list(stmt_inputs(stmt))) for stmt in loop.body]
        updates = [c.update for c in loop.carried]
        for c in loop.carried:
            u = c.update
            if not isinstance(u, Var) or u not in defs or u in self.namer.names:
                continue
            if updates.count(u) > 1:
                continue
            others = [x for x in updates if x is not u]
            later = set().union(*reads[defs[u] + 1 :], folding.expanded(others))
            if c.phi not in later:
                self.namer.names[u] = self.namer.names[c.phi]

    def arm(self, merges: list[Merge], values: list[Any], stmts: list[Stmt]) -> None:
        """A value an ``if`` arm (``stmts``) computes takes the name it merges
        into when nothing after it in the arm reads what that name held."""
        names = self.namer.names
        for m, value in zip(merges, values, strict=True):
            if self._can_take_name(value, names[m.result], stmts, values):
                names[value] = names[m.result]

    def in_place(self, stmt: Assign) -> bool:
        """Whether a statement-shaped primitive (``A[i] = v``) updates its
        array in place, under its name: the old array is read nowhere else
        and belongs to the function."""
        array = stmt.args[0]
        in_place = (
            isinstance(array, Var)
            and self.folding.uses[array] == 1
            and array.kind not in ("param", "leaf")
            and array in self.namer.names
            and array not in self.aliased
        )
        if in_place:
            self.namer.names[stmt.var] = self.namer.names[array]
        return in_place

    def _can_take_name(
        self, value: Any, name: str, stmts: list[Stmt], values: list[Any]
    ) -> bool:
        """Whether ``value``, defined in ``stmts``, may be written under ``name``:
        nothing after its definition still reads what ``name`` held."""
        names, folding = self.namer.names, self.folding
        if not isinstance(value, Var) or value in names or value in folding.inline:
            return False
        at = next((i for i, s in enumerate(stmts) if self._writes(s, value)), None)
        if at is None or values.count(value) > 1:
            return False
        holders = {v for v, n in names.items() if n == name}
        later = set().union(
            *(folding.expanded(list(stmt_inputs(s))) for s in stmts[at + 1 :]),
            folding.expanded([v for v in values if v is not value]),
        )
        return not holders & later

    def _writes(self, stmt: Stmt, value: Var) -> bool:
        """Whether ``stmt`` binds ``value`` to a name of its choosing."""
        if isinstance(stmt, Branch):
            return any(m.result is value for m in stmt.merges)
        return (
            isinstance(stmt, Assign)
            and stmt.var is value
            and stmt.prim.statements is None
            and value not in self.folding.unpacked
        )

    def _name_free(self, name: str | None, loop: Loop) -> bool:
        """Whether ``loop`` (a top-level statement) may rebind ``name``: no value
        that name holds is read inside the loop or after it."""
        if name is None or self.depth > 0:
            return False
        holders = {v for v, n in self.namer.names.items() if n == name}
        after = any(self.last_read.get(v, -1) > self.at for v in holders)
        return not after and not holders & _reads_inside(loop)

    def _free_after(self, value: Any, loop: Loop) -> bool:
        """Whether an argument's name may be rebound by the loop (``for ...: h =
        f(h)`` with ``h`` an argument nothing reads later)."""
        if not isinstance(value, Var) or value.kind != "param" or value.path:
            return False
        return self._name_free(self.namer.names.get(value), loop)


def _reads_inside(loop: Loop) -> set[Var]:
    """What a loop reads once it has started (its inits are read before)."""
    reads: set[Var] = set()
    for stmt in [*loop.test, *loop.body]:
        reads.update(reads_within(stmt))
    reads.update(walk_vars([[c.update for c in loop.carried], loop.cond, loop.saves]))
    reads.update(v for v, _ in loop.stacks)
    return reads
