"""A pytest plugin that counts hypothesis property tests and the examples they run.

``count_property_tests.py`` loads it with ``-p hypothesis_counter`` (this
folder on PYTHONPATH) and names the JSON file to write in the environment
variable ``HYPOTHESIS_COUNTER_OUT``. It needs no ``--hypothesis-show-statistics``:
hypothesis's own pytest plugin always hands each ``@given`` run's raw
statistics to ``hypothesis.statistics.collector``; this plugin's hook runs
inside that one's and chains a collector that keeps the raw numbers too.
"""

from __future__ import annotations

import json
import os
from collections import Counter
from collections.abc import Iterator
from typing import Any

import pytest
from hypothesis import is_hypothesis_test
from hypothesis.statistics import collector

OUT_VARIABLE = "HYPOTHESIS_COUNTER_OUT"


class Counts:
    def __init__(self) -> None:
        self.collected = 0
        self.property_items: list[str] = []
        self.property_functions: set[str] = set()
        self.outcomes: Counter[str] = Counter()
        # nodeid -> phase -> status -> number of test cases
        self.cases: dict[str, dict[str, Counter[str]]] = {}

    def record(self, nodeid: str, stats: dict[str, Any]) -> None:
        phases = self.cases.setdefault(nodeid, {})
        for key, value in stats.items():
            if not key.endswith("-phase") or not isinstance(value, dict):
                continue
            phase = key.removesuffix("-phase")
            statuses = phases.setdefault(phase, Counter())
            for case in value.get("test-cases", []):
                statuses[case["status"]] += 1

    def as_json(self) -> dict[str, Any]:
        by_phase: Counter[str] = Counter()
        by_status: Counter[str] = Counter()
        for phases in self.cases.values():
            for phase, statuses in phases.items():
                by_phase[phase] += sum(statuses.values())
                by_status.update(statuses)
        return {
            "collected": self.collected,
            "outcomes": dict(self.outcomes),
            "property_items": len(self.property_items),
            "property_functions": len(self.property_functions),
            "items_with_statistics": len(self.cases),
            "examples": sum(by_phase.values()),
            "examples_by_phase": dict(by_phase),
            "examples_by_status": dict(by_status),
            "per_item": {
                nodeid: sum(sum(s.values()) for s in phases.values())
                for nodeid, phases in sorted(self.cases.items())
            },
        }


COUNTS = Counts()


def pytest_collection_modifyitems(items: list[pytest.Item]) -> None:
    COUNTS.collected = len(items)
    for item in items:
        if isinstance(item, pytest.Function) and is_hypothesis_test(item.obj):
            COUNTS.property_items.append(item.nodeid)
            COUNTS.property_functions.add(item.nodeid.split("[", 1)[0])


@pytest.hookimpl(hookwrapper=True, trylast=True)
def pytest_runtest_call(item: pytest.Item) -> Iterator[None]:
    """Innermost wrapper: hypothesis's plugin has set its collector by now."""
    outer = collector.value

    def note(stats: dict[str, Any]) -> None:
        COUNTS.record(item.nodeid, stats)
        if outer is not None:
            outer(stats)

    with collector.with_value(note):
        yield


def pytest_runtest_logreport(report: pytest.TestReport) -> None:
    if report.when == "call" or (report.when == "setup" and not report.passed):
        COUNTS.outcomes[report.outcome] += 1


def pytest_sessionfinish(session: pytest.Session) -> None:
    path = os.environ.get(OUT_VARIABLE)
    if path:
        with open(path, "w") as out:
            json.dump(COUNTS.as_json(), out, indent=1)
