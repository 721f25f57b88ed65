"""Shared test options: --update-golden, the hypothesis profiles, and a
loader for generated functions (srcdiff reads source, so they need a file)."""

import importlib.util
import itertools
import os
from collections.abc import Callable
from typing import Any

import pytest
from hypothesis import settings

import srcdiff.api

settings.register_profile("dev", max_examples=30, deadline=None)
settings.register_profile(
    "ci", derandomize=True, max_examples=25, deadline=None, print_blob=True
)
settings.load_profile(os.environ.get("HYPOTHESIS_PROFILE", "dev"))


def pytest_addoption(parser: pytest.Parser) -> None:
    parser.addoption(
        "--update-golden",
        action="store_true",
        default=False,
        help="rewrite golden/ files from the current output instead of comparing",
    )


@pytest.fixture
def update_golden(request: pytest.FixtureRequest) -> bool:
    """True when the run was started with --update-golden."""
    return bool(request.config.getoption("--update-golden"))


_modules = itertools.count()


@pytest.fixture(scope="module")
def load_function(
    tmp_path_factory: pytest.TempPathFactory,
) -> Callable[[str], Any]:
    """Write generated source to a file of its own and return its ``f``."""
    directory = tmp_path_factory.mktemp("generated")

    def load(source: str) -> Any:
        path = directory / f"generated_{next(_modules)}.py"
        path.write_text(source)
        spec = importlib.util.spec_from_file_location(path.stem, path)
        assert spec is not None and spec.loader is not None
        module = importlib.util.module_from_spec(spec)
        spec.loader.exec_module(module)
        return module.f

    return load


@pytest.fixture
def traces(monkeypatch: pytest.MonkeyPatch) -> list[Any]:
    """How many times srcdiff.api traced a function, by monkeypatching derive."""
    calls: list[Any] = []
    real = srcdiff.api.derive

    def counting(fn: Any, spec: Any, arguments: Any) -> Any:
        calls.append(spec)
        return real(fn, spec, arguments)

    monkeypatch.setattr(srcdiff.api, "derive", counting)
    return calls
