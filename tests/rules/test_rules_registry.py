"""Every registered adjoint rule has a domain row, and so a property test.

Rows live in ``rule_domains.py`` and in any ``test_rules_*.py`` module that
keeps its own table: a module-level dict from functions to ``Row``.
"""

import importlib
from pathlib import Path

from rule_domains import DOMAINS, Row

from srcdiff.ir.prims import lookup
from srcdiff.rules import RULES


def domain_rows():
    rows = dict(DOMAINS)
    for path in sorted(Path(__file__).parent.glob("test_rules_*.py")):
        module = importlib.import_module(path.stem)
        for table in vars(module).values():
            is_table = isinstance(table, dict) and bool(table)
            if is_table and all(isinstance(row, Row) for row in table.values()):
                rows.update(table)
    return rows


def test_every_rule_has_a_domain_row():
    # Looking up a SciPy function loads the SciPy rules, so do it first.
    rows = {lookup(fn) for fn in domain_rows()}
    assert None not in rows, "a row names a function that is not a primitive"
    missing = sorted(
        f"{RULES[prim].__module__}: {prim.name}"
        for prim in set(RULES) - rows
        if prim.copied is None  # a user's srcdiff.primitive has its own rule
    )
    assert not missing, "rules without a domain row:\n" + "\n".join(missing)
    assert rows <= set(RULES), "rows for primitives without a rule"
