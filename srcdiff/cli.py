"""The command line: ``srcdiff emit`` and ``srcdiff check``.

Errors in the user's input print as one paragraph (file:line:col, the line,
a caret, what to write instead) and exit with status 2; ``-o`` writes
atomically, so a failed run never leaves a file behind.
"""

from __future__ import annotations

import argparse
import importlib
import importlib.util
import os
import shlex
import sys
import tempfile
from collections.abc import Sequence
from pathlib import Path
from typing import Any

import numpy as np

from .api import GradFunction, render
from .errors import SrcdiffError
from .numeric import leaves, map_leaves, max_relative_error, numerical_grad
from .pipeline import derive
from .spec import bind_arguments, make_spec


class UsageError(Exception):
    """A bad target or option: reported like a SrcdiffError, exit status 2."""


def main(argv: Sequence[str] | None = None) -> int:
    parser = _parser()
    args = parser.parse_args(argv)
    try:
        return int(args.run(args))
    except (SrcdiffError, UsageError) as exc:
        print(f"srcdiff: error: {exc}", file=sys.stderr)
        return 2


def _parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(
        prog="srcdiff",
        description="Turn a NumPy function into the Python source of its gradient.",
    )
    sub = parser.add_subparsers(required=True, metavar="COMMAND")
    emit = sub.add_parser("emit", help="print the gradient's source")
    _common(emit)
    emit.add_argument(
        "-o", "--output", metavar="FILE", help="write to FILE (atomically)"
    )
    emit.add_argument(
        "--value",
        action="store_true",
        help="emit <f>_value_and_grad returning (value, grad)",
    )
    emit.set_defaults(run=_emit)
    check = sub.add_parser("check", help="compare the gradient with finite differences")
    _common(check)
    check.add_argument(
        "--tol", type=float, default=1e-6, help="max relative error (1e-6)"
    )
    check.add_argument(
        "--perturbations",
        type=int,
        default=3,
        help="random points near the example (3)",
    )
    check.add_argument("--seed", type=int, default=0, help="seed for the perturbations")
    check.set_defaults(run=_check)
    return parser


def _common(parser: argparse.ArgumentParser) -> None:
    parser.add_argument("target", help="FILE.py:FUNCTION or package.module:FUNCTION")
    parser.add_argument(
        "--wrt",
        action="append",
        metavar="NAME",
        help="differentiate with respect to NAME (repeatable; default: the first)",
    )
    parser.add_argument(
        "--example",
        metavar="MOD:CALLABLE",
        help="a callable returning example arguments, for a shape-specialised gradient",
    )


def load(target: str) -> Any:
    """``path/to/file.py:name`` or ``package.module:name`` -> the object."""
    module_part, sep, attr = target.rpartition(":")
    if not sep or not module_part or not attr:
        raise UsageError(
            f"{target!r} is not of the form FILE.py:FUNCTION or module:FUNCTION\n"
            "For example: srcdiff emit examples/logistic.py:loss"
        )
    if module_part.endswith(".py") or os.sep in module_part:
        module = _load_file(Path(module_part))
    else:
        try:
            module = importlib.import_module(module_part)
        except ImportError as exc:
            raise UsageError(f"cannot import {module_part!r}: {exc}") from None
    try:
        obj = module
        for part in attr.split("."):
            obj = getattr(obj, part)
    except AttributeError:
        raise UsageError(f"{module_part} has no attribute {attr!r}") from None
    return obj


def _load_file(path: Path) -> Any:
    if not path.is_file():
        raise UsageError(f"no such file: {path}")
    name = f"srcdiff_target_{path.stem}"
    if name in sys.modules and getattr(sys.modules[name], "__file__", None) == str(
        path.resolve()
    ):
        return sys.modules[name]
    spec = importlib.util.spec_from_file_location(name, path.resolve())
    if spec is None or spec.loader is None:
        raise UsageError(f"cannot load {path}")
    module = importlib.util.module_from_spec(spec)
    sys.modules[name] = module
    sys.path.insert(0, str(path.resolve().parent))
    try:
        spec.loader.exec_module(module)
    except Exception as exc:
        del sys.modules[name]
        raise UsageError(
            f"importing {path} failed: {type(exc).__name__}: {exc}"
        ) from None
    finally:
        sys.path.pop(0)
    return module


def _example_args(option: str | None) -> tuple[Any, ...] | None:
    if option is None:
        return None
    result = load(option)()
    return tuple(result) if isinstance(result, (tuple, list)) else (result,)


def _emit(args: argparse.Namespace) -> int:
    fn = load(args.target)
    grad = GradFunction(fn, args.wrt, value=args.value)
    example = _example_args(args.example)
    arguments = None if example is None else bind_arguments(fn, example, {})
    derivative = derive(fn, make_spec(grad.wrt, args.value, arguments), arguments)
    command = "srcdiff emit " + shlex.join(_command_words(args))
    text = render(derivative, command)
    if args.output:
        _write_atomically(Path(args.output), text)
    else:
        sys.stdout.write(text)
    return 0


def _command_words(args: argparse.Namespace) -> list[str]:
    words = [args.target]
    for name in args.wrt or []:
        words += ["--wrt", name]
    if args.example:
        words += ["--example", args.example]
    if getattr(args, "value", False):
        words.append("--value")
    if getattr(args, "output", None):
        words += ["-o", args.output]
    return words


def _write_atomically(path: Path, text: str) -> None:
    directory = path.resolve().parent
    fd, tmp = tempfile.mkstemp(prefix=f".{path.name}.", dir=directory)
    try:
        with os.fdopen(fd, "w") as handle:
            handle.write(text)
        os.replace(tmp, path)
    except BaseException:
        os.unlink(tmp)
        raise


def _check(args: argparse.Namespace) -> int:
    fn = load(args.target)
    example = _example_args(args.example)
    if example is None:
        raise UsageError("check needs --example MOD:CALLABLE to know where to compare")
    grad = GradFunction(fn, args.wrt, value=False)
    params = list(bind_arguments(fn, example, {}))
    rng = np.random.default_rng(args.seed)
    points = [("example", example)]
    points += [
        (f"perturbed {i + 1}", _perturb(example, rng))
        for i in range(args.perturbations)
    ]
    worst = dict.fromkeys(grad.wrt, 0.0)
    for label, point in points:
        result = grad(*point)
        results = result if len(grad.wrt) > 1 else (result,)
        errors = []
        for name, got in zip(grad.wrt, results, strict=True):
            expected = numerical_grad(fn, point, params.index(name))
            error = max_relative_error(got, expected)
            worst[name] = max(worst[name], error)
            errors.append(f"{name} {error:.1e}")
        print(f"{label:<12} {'  '.join(errors)}")
    verdict = all(e <= args.tol for e in worst.values())
    summary = ", ".join(f"{name} {error:.1e}" for name, error in worst.items())
    print(
        f"max relative error: {summary} "
        f"({'ok' if verdict else 'FAILED'}, tol {args.tol:g})"
    )
    return 0 if verdict else 1


def _perturb(example: tuple[Any, ...], rng: np.random.Generator) -> tuple[Any, ...]:
    """The example with every float leaf moved by about 1% of its size."""

    def move(leaf: Any) -> Any:
        if isinstance(leaf, float) or (
            isinstance(leaf, np.ndarray) and np.issubdtype(leaf.dtype, np.floating)
        ):
            noise = rng.standard_normal(np.shape(leaf))
            moved = leaf + 0.01 * noise * (np.abs(leaf) + 0.1)
            return float(moved) if isinstance(leaf, float) else moved
        return leaf

    return tuple(map_leaves(move, arg) if leaves(arg) else arg for arg in example)
