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
import io
import os
import sys
import tempfile
from collections.abc import Sequence
from pathlib import Path
from typing import Any

import numpy as np

from srcdiff import __version__
from srcdiff.api import GradFunction, render
from srcdiff.api_forward import JvpFunction
from srcdiff.api_second import DenseFunction, HvpFunction
from srcdiff.errors import Loc, NoSource, SrcdiffError, UnboundMethod
from srcdiff.ir.nodes import dump
from srcdiff.numeric import leaves, map_leaves, max_relative_error, numerical_grad
from srcdiff.parse.source import display_path, parse, paths_relative_to
from srcdiff.regen import (
    command_line,
    generated_files,
    is_file_target,
    project_root,
    recorded_command,
    relative_to,
    target_relative_to,
    unified_diff,
    with_file,
)
from srcdiff.spec import bind_arguments


class UsageError(Exception):
    """A bad target or option: reported like a SrcdiffError, exit status 2."""


# Exit statuses, as black and ruff use them.
OK, CHECK_FAILED, BAD_INPUT, INTERNAL_ERROR = 0, 1, 2, 3
ABORTED = 130  # Ctrl-C, as a shell reports SIGINT

EXAMPLES = """\
examples:
  srcdiff emit examples/logistic.py:loss
      print a shape-generic gradient of loss
  srcdiff emit examples/mlp.py:loss --example examples/mlp.py:example -o mlp_grad.py
      specialise it to the example's shapes and write mlp_grad.py
  srcdiff emit examples/mlp.py:loss --example examples/mlp.py:example \\
      -o mlp_grad.py --check
      exit 1 with a diff if mlp_grad.py is not what that command writes now
  srcdiff regen --check mlp_grad.py
      the same, with the command read from mlp_grad.py's header
  srcdiff check examples/mlp.py:loss --example examples/mlp.py:example
      compare the gradient with finite differences

exit status: 0 ok, 1 a check failed, 2 bad input, 3 a bug in srcdiff,
130 interrupted
"""


def main(argv: Sequence[str] | None = None) -> int:
    parser = _parser()
    args = parser.parse_args(argv)
    try:
        return int(args.run(args))
    except (SrcdiffError, UsageError) as exc:
        _report(f"srcdiff: error: {exc}")
        return BAD_INPUT
    except KeyboardInterrupt:
        _report("Aborted")
        return ABORTED
    except Exception as exc:
        if args.debug:
            raise
        _report(
            f"srcdiff: internal error: {type(exc).__name__}: {exc}\n"
            "This is a bug in srcdiff. Please report it with the command you ran; "
            "--debug shows the traceback."
        )
        return INTERNAL_ERROR


def _report(message: str) -> None:
    with contextlib.suppress(OSError):  # stderr itself closed or full
        print(message, file=sys.stderr)


def _parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(
        prog="srcdiff",
        description="Turn a NumPy function into the Python source of its gradient.",
        epilog=EXAMPLES,
        formatter_class=argparse.RawDescriptionHelpFormatter,
    )
    parser.add_argument("--version", action="version", version=f"srcdiff {__version__}")
    parser.add_argument(
        "--debug",
        action="store_true",
        help="show the traceback of an internal error",
    )
    sub = parser.add_subparsers(required=True, metavar="COMMAND")
    emit = sub.add_parser(
        "emit",
        help="print the gradient's source",
        epilog=EXAMPLES,
        formatter_class=argparse.RawDescriptionHelpFormatter,
    )
    _common(emit)
    _emit_options(emit)
    emit.set_defaults(run=_emit)
    regen = sub.add_parser(
        "regen",
        help="emit files again with the command their header records",
        description="Run again the `srcdiff emit` command each FILE's header "
        "records (from its project root) and write FILE.",
    )
    regen.add_argument(
        "files",
        nargs="*",
        metavar="FILE",
        help="emitted files (default: every file srcdiff made under the working "
        "directory)",
    )
    regen.add_argument(
        "--check",
        action="store_true",
        help="write nothing; exit 1 with a diff if a FILE is not what it would be",
    )
    regen.set_defaults(run=_regen)
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


def _emit_options(emit: argparse.ArgumentParser) -> None:
    emit.add_argument(
        "-o",
        "--output",
        metavar="FILE",
        help="write to FILE (atomically); - is standard output",
    )
    emit.add_argument(
        "--check",
        action="store_true",
        help="write nothing; exit 1 with a diff if FILE (-o) is not what it would be",
    )
    modes = emit.add_mutually_exclusive_group()
    modes.add_argument(
        "--value",
        action="store_true",
        help="emit <f>_value_and_grad returning (value, grad)",
    )
    modes.add_argument(
        "--elementwise",
        action="store_true",
        help="emit <f>_elementwise_grad, the gradient of np.sum(f(...)): for an "
        "elementwise f, each output element's derivative",
    )
    modes.add_argument(
        "--jvp",
        action="store_true",
        help="emit <f>_jvp(..., d<wrt>) returning (value, tangent): forward mode",
    )
    modes.add_argument(
        "--hvp",
        action="store_true",
        help="emit <f>_hvp(..., v) returning the Hessian times v "
        "(forward mode over the gradient)",
    )
    modes.add_argument(
        "--hessian",
        action="store_true",
        help="emit <f>_hvp and <f>_hessian, the dense Hessian (small problems)",
    )
    modes.add_argument(
        "--jacobian",
        action="store_true",
        help="emit <f>_jvp and <f>_jacobian, the dense Jacobian (small problems)",
    )
    emit.add_argument(
        "--has-aux",
        action="store_true",
        help="f returns (loss, aux): the gradient function returns (grad, aux), "
        "with --value ((value, aux), grad)",
    )
    emit.add_argument(
        "--dump",
        action="store_true",
        help="also print the traced and reversed IR to stderr, one statement a line",
    )


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


def load(target: str, differentiated: bool = False, directory: str = "") -> Any:
    """``path/to/file.py:name`` or ``package.module:name`` -> the object.

    A module is imported with ``directory`` (default: the working directory)
    on the path. A ``differentiated`` target may not be a method read from its
    class."""
    module_part, sep, attr = target.rpartition(":")
    if not sep or not module_part or not attr:
        raise UsageError(
            f"{target!r} is not of the form FILE.py:FUNCTION or module:FUNCTION\n"
            "For example: srcdiff emit examples/logistic.py:loss"
        )
    if is_file_target(target):
        module = _load_file(Path(module_part))
    else:
        module = _import(module_part, directory or os.getcwd())
    try:
        obj = module
        for part in attr.split("."):
            owner, obj = obj, getattr(obj, part)
    except AttributeError:
        shown = display_path(module_part) if is_file_target(target) else module_part
        raise UsageError(
            f"{shown} has no attribute {attr!r}\n{_functions_in(module)}"
        ) from None
    if (
        differentiated
        and inspect.isclass(owner)
        and inspect.isfunction(inspect.getattr_static(owner, part, None))
    ):
        _refuse_unbound_method(obj, attr)
    return obj


def _functions_in(module: Any) -> str:
    """The functions a module defines, to pick the one meant."""
    names = sorted(
        name
        for name, value in vars(module).items()
        if inspect.isfunction(value)
        and value.__module__ == module.__name__
        and not name.startswith("_")
    )
    if not names:
        return f"{module.__name__} defines no functions."
    return f"Functions it defines: {', '.join(names)}."


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


def _import(name: str, directory: str) -> Any:
    """Import ``name`` with ``directory`` on the path, as ``python -m`` does
    with the working directory."""
    cwd = directory
    added = cwd not in sys.path and not (cwd == os.getcwd() and "" in sys.path)
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


def _function(target: str, directory: str = "") -> Any:
    """The target of ``emit`` or ``check``, checked to be a Python function."""
    fn = load(target, differentiated=True, directory=directory)
    try:
        parse(fn)
    except NoSource as exc:
        raise UsageError(f"{_shown(target)}: {exc.message}\n{exc.hint}") from None
    return fn


def _shown(target: str) -> str:
    """A target as the user wrote it (relative to the working directory)."""
    return with_file(target, display_path)


def _load_file(path: Path) -> Any:
    shown = display_path(str(path))
    if not path.is_file():
        raise UsageError(f"no such file: {shown}")
    name = f"srcdiff_target_{path.stem}"
    if name in sys.modules and getattr(sys.modules[name], "__file__", None) == str(
        path.resolve()
    ):
        return sys.modules[name]
    spec = importlib.util.spec_from_file_location(name, path.resolve())
    if spec is None or spec.loader is None:
        raise UsageError(f"cannot load {shown}")
    module = importlib.util.module_from_spec(spec)
    sys.modules[name] = module
    sys.path.insert(0, str(path.resolve().parent))
    try:
        spec.loader.exec_module(module)
    except SyntaxError as exc:
        del sys.modules[name]
        raise _syntax_error(path, exc) from None
    except Exception as exc:
        del sys.modules[name]
        raise UsageError(
            f"importing {shown} failed: {type(exc).__name__}: {exc}"
        ) from None
    finally:
        sys.path.pop(0)
    return module


def _syntax_error(path: Path, exc: SyntaxError) -> SrcdiffError:
    """A syntax error in the target's file, located like srcdiff's own errors."""
    line, col = exc.lineno or 1, exc.offset or 1
    text = (exc.text or "").rstrip("\n")
    return SrcdiffError(
        f"not valid Python: {exc.msg}",
        Loc(display_path(str(path.resolve())), line, col - 1, text),
        "Fix the syntax error; srcdiff imports the file to find the function.",
    )


def _example_args(
    option: str | None, fn: Any, directory: str = ""
) -> tuple[Any, ...] | None:
    """Call ``--example``'s callable; its result must fit ``fn``'s parameters."""
    if option is None:
        return None
    make = load(option, directory=directory)
    if not callable(make):
        raise UsageError(f"--example {_shown(option)} is not callable")
    try:
        result = make()
    except Exception as exc:
        raise UsageError(
            f"--example {_shown(option)} failed: {type(exc).__name__}: {exc}"
        ) from None
    example = tuple(result) if isinstance(result, (tuple, list)) else (result,)
    try:
        bind_arguments(fn, example, {})
    except TypeError as exc:
        raise UsageError(
            f"--example {_shown(option)} returned {len(example)} argument"
            f"{'s' if len(example) != 1 else ''}, which do not fit "
            f"{fn.__name__}{inspect.signature(fn)}: {exc}"
        ) from None
    return example


def _emit(args: argparse.Namespace) -> int:
    output = None if args.output in (None, "-") else Path(args.output)
    if args.check and output is None:
        raise UsageError("--check compares with a file: name it with -o FILE")
    base = Path.cwd()
    start = (
        Path(args.target.rpartition(":")[0]) if is_file_target(args.target) else base
    )
    root = project_root(start)
    text = _emitted(args, base, root, output, refuse_inputs=not args.check)
    if args.check:
        return _compare(output, text)
    if output is not None:
        _write_atomically(output, text)
    else:
        _write_stdout(text)
    return OK


def _regen(args: argparse.Namespace) -> int:
    """Emit each file again from its recorded command, run from its root."""
    stale = 0
    for path in [Path(name) for name in args.files] or generated_files(Path.cwd()):
        old = _read(path)
        words = recorded_command(old)
        if words is None:
            raise UsageError(
                f"{path} records no `srcdiff emit` command (no '# Regenerate:' "
                "line at the top): it was not made by srcdiff emit, or was edited"
            )
        recorded = _recorded_args(path, words)
        root = project_root(path)
        output = None if recorded.output in (None, "-") else root / recorded.output
        text = _emitted(recorded, root, root, output, refuse_inputs=False)
        if args.check:
            stale += _compare(path, text, old) != OK
        elif text != old:
            _write_atomically(path, text)
    return CHECK_FAILED if stale else OK


def _recorded_args(path: Path, words: list[str]) -> argparse.Namespace:
    """The recorded command's arguments, or a bad-input error naming the file."""
    messages = io.StringIO()
    try:
        with contextlib.redirect_stderr(messages):
            return _parser().parse_args(["emit", *words])
    except SystemExit:
        reason = messages.getvalue().strip().splitlines()[-1:]
        raise UsageError(
            f"{display_path(str(path))}: its recorded command is not one srcdiff "
            f"emit takes ({' '.join(reason)}); emit the file again"
        ) from None


def _front(fn: Any, args: argparse.Namespace) -> GradFunction:
    """The gradient function whose derivative ``srcdiff emit`` writes."""
    has_aux = getattr(args, "has_aux", False)
    others = [m for m in _OTHER_MODES if getattr(args, m, False)]
    if has_aux and others:
        raise UsageError(
            f"--has-aux goes with the gradient or --value, not --{others[0]}; "
            "emit the gradient of a function that returns (loss, aux) with "
            "--has-aux, its other derivatives from a function that returns the "
            "loss alone"
        )
    if getattr(args, "elementwise", False):
        return GradFunction(fn, args.wrt, value=False, elementwise=True)
    if getattr(args, "jvp", False):
        return JvpFunction(fn, args.wrt)
    if getattr(args, "hvp", False):
        return HvpFunction(fn, args.wrt)
    for mode in ("hessian", "jacobian"):
        if getattr(args, mode, False):
            return DenseFunction(fn, args.wrt, mode)
    return GradFunction(fn, args.wrt, value=args.value, has_aux=has_aux)


# The modes besides the gradient and --value, which take no aux output.
_OTHER_MODES = ("elementwise", "jvp", "hvp", "hessian", "jacobian")


def _emitted(
    args: argparse.Namespace,
    base: Path,
    root: Path,
    output: Path | None,
    refuse_inputs: bool,
) -> str:
    """The file ``srcdiff emit`` writes for ``args``, whose paths are relative
    to ``base``; paths in it (and the command it records) relative to ``root``."""
    target = _rebased(args.target, base)
    example = args.example and _rebased(args.example, base)
    fn = _function(target, str(base))
    if output is not None and refuse_inputs:
        inputs = _files(target, fn)
        if example:
            inputs += _files(example, load(example, directory=str(base)))
        _refuse_overwriting(output, inputs)
    grad = _front(fn, args)
    with paths_relative_to(str(root)):
        example_args = _example_args(example, fn, str(base))
        arguments = (
            None if example_args is None else bind_arguments(fn, example_args, {})
        )
        derivative = grad.derive(grad.spec(arguments, args.unroll), arguments)
        if args.dump:
            print(dump(derivative.program), file=sys.stderr)
        words = _command_words(args, target, example, output, root)
        return render(derivative, command_line(words))


def _rebased(target: str, base: Path) -> str:
    """A file target relative to ``base`` as an absolute one."""
    return with_file(target, lambda path: os.path.join(base, path))


def _compare(path: Path | None, text: str, old: str | None = None) -> int:
    """0 if ``path`` holds ``text``; else 1, printing the unified diff."""
    assert path is not None
    if old is None:
        old = _read(path) if path.exists() else ""
    if old == text:
        return OK
    shown = display_path(os.path.abspath(path))
    _write_stdout(unified_diff(shown, old, text) or f"{shown} differs\n")
    return CHECK_FAILED


def _read(path: Path) -> str:
    try:
        return path.read_text(encoding="utf-8")
    except OSError as exc:
        raise UsageError(f"cannot read {path}: {exc.strerror}") from None


def _write_stdout(text: str) -> None:
    try:
        sys.stdout.write(text)
        sys.stdout.flush()
    except BrokenPipeError:  # `srcdiff emit ... | head`: the reader left
        with contextlib.suppress(OSError):
            os.dup2(os.open(os.devnull, os.O_WRONLY), sys.stdout.fileno())
    except OSError as exc:
        # Nothing more can reach stdout: keep Python from failing on exit.
        with contextlib.suppress(OSError):
            os.dup2(os.open(os.devnull, os.O_WRONLY), sys.stdout.fileno())
        raise UsageError(f"cannot write to standard output: {exc.strerror}") from None


def _files(target: str, obj: Any) -> list[str]:
    """The files a target is read from: its module's, then its source's."""
    module_part = target.rpartition(":")[0]
    if is_file_target(target):
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


def _command_words(
    args: argparse.Namespace,
    target: str,
    example: str | None,
    output: Path | None,
    root: Path,
) -> list[str]:
    """The arguments of the recorded command, paths relative to ``root``."""
    words = [target_relative_to(root, target)]
    for name in args.wrt or []:
        words += ["--wrt", name]
    if example:
        words += ["--example", target_relative_to(root, example)]
    if getattr(args, "value", False):
        words.append("--value")
    for mode in _OTHER_MODES:
        if getattr(args, mode, False):
            words.append(f"--{mode}")
    if getattr(args, "has_aux", False):
        words.append("--has-aux")
    if args.unroll is not None:
        words.append("--unroll" if args.unroll else "--no-unroll")
    if output is not None:
        words += ["-o", relative_to(root, str(output))]
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
