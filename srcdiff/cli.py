"""The command line: ``srcdiff emit`` and ``srcdiff check``.

Errors in the user's input print as one paragraph (file:line:col, the line,
a caret, what to write instead) and exit with status 2; ``-o`` writes
atomically, so a failed run never leaves a file behind.
"""

from __future__ import annotations

import argparse
import contextlib
import importlib
import importlib.util
import inspect
import os
import shlex
import sys
import tempfile
from collections.abc import Sequence
from pathlib import Path
from typing import Any

import numpy as np

from srcdiff.api import GradFunction, render
from srcdiff.errors import NoSource, SrcdiffError, UnboundMethod
from srcdiff.ir.nodes import dump
from srcdiff.numeric import leaves, map_leaves, max_relative_error, numerical_grad
from srcdiff.parse.source import parse
from srcdiff.spec import bind_arguments


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
    emit.add_argument(
        "--dump",
        action="store_true",
        help="also print the traced and reversed IR to stderr, one statement a line",
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
    loops = parser.add_mutually_exclusive_group()
    loops.add_argument(
        "--unroll",
        dest="unroll",
        action="store_true",
        default=None,
        help="unroll every loop whose trip count is known",
    )
    loops.add_argument(
        "--no-unroll",
        dest="unroll",
        action="store_false",
        help="keep every loop rolled that can be (default: unroll short loops)",
    )


def load(target: str, differentiated: bool = False) -> Any:
    """``path/to/file.py:name`` or ``package.module:name`` -> the object.

    A ``differentiated`` target may not be a method read from its class."""
    module_part, sep, attr = target.rpartition(":")
    if not sep or not module_part or not attr:
        raise UsageError(
            f"{target!r} is not of the form FILE.py:FUNCTION or module:FUNCTION\n"
            "For example: srcdiff emit examples/logistic.py:loss"
        )
    if module_part.endswith(".py") or os.sep in module_part or "/" in module_part:
        module = _load_file(Path(module_part))
    else:
        module = _import(module_part)
    try:
        obj = module
        for part in attr.split("."):
            owner, obj = obj, getattr(obj, part)
    except AttributeError:
        raise UsageError(f"{module_part} has no attribute {attr!r}") from None
    if (
        differentiated
        and inspect.isclass(owner)
        and inspect.isfunction(inspect.getattr_static(owner, part, None))
    ):
        _refuse_unbound_method(obj, attr)
    return obj


def _refuse_unbound_method(fn: Any, attr: str) -> None:
    """``Model.loss`` read from the class takes ``self`` as its first argument,
    which would be differentiated (``dself``) as if it were an array."""
    try:
        source = parse(fn)
    except NoSource:
        return
    args = source.node.args
    first = (args.posonlyargs + args.args)[:1]
    if not first:
        return
    owner, _, name = attr.rpartition(".")
    raise UnboundMethod(
        f"{attr} is a method read from its class: its first argument "
        f"`{first[0].arg}` would be differentiated as if it were an array",
        source.loc(first[0]),
        f"Differentiate a module-level function that takes the arrays as "
        f"arguments (def {name}(W, x): ... outside the class), or, in Python, a "
        f"bound method: srcdiff.grad(model.{name}) with model a {owner}, whose "
        "arrays are then read as constants.",
    )


def _import(name: str) -> Any:
    """Import ``name`` with the working directory on the path, as ``python -m`` does."""
    cwd = os.getcwd()
    added = "" not in sys.path and cwd not in sys.path
    if added:
        sys.path.insert(0, cwd)
    try:
        return importlib.import_module(name)
    except ModuleNotFoundError as exc:
        raise UsageError(
            f"cannot import {name!r}: {exc}\n"
            "Check the spelling, or name a file: srcdiff emit path/to/file.py:FUNCTION"
        ) from None
    except Exception as exc:
        raise UsageError(
            f"importing {name} failed: {type(exc).__name__}: {exc}"
        ) from None
    finally:
        if added:
            sys.path.remove(cwd)


def _function(target: str) -> Any:
    """The target of ``emit`` or ``check``, checked to be a Python function."""
    fn = load(target, differentiated=True)
    try:
        parse(fn)
    except NoSource as exc:
        raise UsageError(f"{target}: {exc.message}\n{exc.hint}") from None
    return fn


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


def _example_args(option: str | None, fn: Any) -> tuple[Any, ...] | None:
    """Call ``--example``'s callable; its result must fit ``fn``'s parameters."""
    if option is None:
        return None
    make = load(option)
    if not callable(make):
        raise UsageError(f"--example {option} is not callable")
    try:
        result = make()
    except Exception as exc:
        raise UsageError(
            f"--example {option} failed: {type(exc).__name__}: {exc}"
        ) from None
    example = tuple(result) if isinstance(result, (tuple, list)) else (result,)
    try:
        bind_arguments(fn, example, {})
    except TypeError as exc:
        raise UsageError(
            f"--example {option} returned {len(example)} argument"
            f"{'s' if len(example) != 1 else ''}, which do not fit "
            f"{fn.__name__}{inspect.signature(fn)}: {exc}"
        ) from None
    return example


def _emit(args: argparse.Namespace) -> int:
    fn = _function(args.target)
    if args.output:
        inputs = _files(args.target, fn)
        if args.example:
            inputs += _files(args.example, load(args.example))
        _refuse_overwriting(Path(args.output), inputs)
    grad = GradFunction(fn, args.wrt, value=args.value)
    example = _example_args(args.example, fn)
    arguments = None if example is None else bind_arguments(fn, example, {})
    derivative = grad.derive(grad.spec(arguments, args.unroll), arguments)
    if args.dump:
        print(dump(derivative.program), file=sys.stderr)
    command = "srcdiff emit " + shlex.join(_command_words(args))
    text = render(derivative, command)
    if args.output:
        _write_atomically(Path(args.output), text)
    else:
        sys.stdout.write(text)
    return 0


def _files(target: str, obj: Any) -> list[str]:
    """The files a target is read from: its module's, then its source's."""
    module_part = target.rpartition(":")[0]
    if module_part.endswith(".py") or os.sep in module_part or "/" in module_part:
        files = [module_part]
    else:
        files = [getattr(sys.modules.get(module_part), "__file__", None) or ""]
    with contextlib.suppress(TypeError):  # a builtin, or no function at all
        files.append(inspect.getsourcefile(inspect.unwrap(obj)) or "")
    return [name for name in files if name]


def _refuse_overwriting(path: Path, inputs: list[str]) -> None:
    """``-o`` must not name a file the command reads: that would replace the
    user's source with its gradient. Symlinks and relative paths are resolved
    first (and hard links caught by ``samefile``)."""
    real = os.path.realpath(path)
    for name in inputs:
        same = os.path.realpath(name) == real
        if not same and os.path.exists(name) and os.path.exists(real):
            same = os.path.samefile(name, real)
        if same:
            raise UsageError(
                f"-o {path} would overwrite {name}, which this command reads, "
                "with the gradient\n"
                f"Write it to another file, e.g. -o {Path(name).stem}_grad.py"
            )


def _command_words(args: argparse.Namespace) -> list[str]:
    words = [args.target]
    for name in args.wrt or []:
        words += ["--wrt", name]
    if args.example:
        words += ["--example", args.example]
    if getattr(args, "value", False):
        words.append("--value")
    if args.unroll is not None:
        words.append("--unroll" if args.unroll else "--no-unroll")
    if getattr(args, "output", None):
        words += ["-o", args.output]
    return words


def _write_atomically(path: Path, text: str) -> None:
    """Write through a temporary file in the same directory, then rename it:
    readers see the old file or the new one, and a failure leaves neither
    a partial file nor the temporary one."""
    if path.is_dir():
        raise UsageError(f"cannot write {path}: it is a directory")
    try:
        mode = path.stat().st_mode & 0o777 if path.exists() else _new_file_mode()
        fd, tmp = tempfile.mkstemp(
            prefix=f".{path.name}.", suffix=".tmp", dir=path.resolve().parent
        )
    except OSError as exc:
        raise UsageError(f"cannot write {path}: {exc.strerror}") from None
    try:
        with os.fdopen(fd, "w", encoding="utf-8") as handle:
            handle.write(text)
        os.chmod(tmp, mode)
        os.replace(tmp, path)
    except BaseException as exc:
        os.unlink(tmp)
        if isinstance(exc, OSError):
            raise UsageError(f"cannot write {path}: {exc.strerror}") from None
        raise


def _new_file_mode() -> int:
    """The mode ``open()`` would give a new file (mkstemp's is owner-only)."""
    umask = os.umask(0)
    os.umask(umask)
    return 0o666 & ~umask


def _check(args: argparse.Namespace) -> int:
    fn = _function(args.target)
    example = _example_args(args.example, fn)
    if example is None:
        raise UsageError("check needs --example MOD:CALLABLE to know where to compare")
    grad = GradFunction(fn, args.wrt, value=False, unroll=args.unroll)
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
            error = _error(fn, point, name, got)
            # nan (a nan or inf gradient) must win, so no max() here.
            if not error <= worst[name]:
                worst[name] = error
            errors.append(f"{name} {error:.1e}")
        print(f"{label:<12} {'  '.join(errors)}")
    verdict = all(e <= args.tol for e in worst.values())
    summary = ", ".join(f"{name} {error:.1e}" for name, error in worst.items())
    print(
        f"max relative error: {summary} "
        f"({'ok' if verdict else 'FAILED'}, tol {args.tol:g})"
    )
    return 0 if verdict else 1


def _error(fn: Any, point: tuple[Any, ...], name: str, got: Any) -> float:
    """Max relative error of ``got`` against central differences in ``name``."""
    signature = inspect.signature(fn)
    bound = signature.bind(*point)
    bound.apply_defaults()
    names = list(bound.arguments)

    def at(*values: Any) -> Any:
        moved = inspect.BoundArguments(signature, dict(zip(names, values, strict=True)))
        return fn(*moved.args, **moved.kwargs)

    expected = numerical_grad(at, list(bound.arguments.values()), names.index(name))
    try:
        return max_relative_error(got, expected)
    except ValueError:  # a gradient of the wrong shape or structure
        return float("inf")


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
