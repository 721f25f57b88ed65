"""docs/coverage.md is generated from the registry and must not go stale."""

from __future__ import annotations

from srcdiff import coverage, rules
from srcdiff.ir.prims import PRIMS


def test_coverage_table_is_current(update_golden: bool) -> None:
    text = coverage.render()
    if update_golden:
        coverage.PATH.write_text(text)
    assert coverage.PATH.read_text() == text, "run: python -m srcdiff.coverage"


def test_every_rule_appears_in_the_table() -> None:
    rules.load_scipy(everything=True)
    text = coverage.render()
    for obj, prim in PRIMS.items():
        # Helpers are what srcdiff emits in place of a user's call (SciPy's
        # logsumexp), listed under that call's name; a user's srcdiff.primitive
        # is not srcdiff's to list.
        if rules.rule_for(prim) and prim.helper is None and prim.copied is None:
            assert coverage.public_name(obj) in text
