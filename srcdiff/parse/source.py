"""Function object -> its source AST, file position and name resolver.

Free names are resolved through the function's own closure cells, globals and
builtins, so ``np``, ``import numpy as xp`` and ``from numpy import exp``
all reach the same NumPy object.
"""

from __future__ import annotations

import ast
import builtins
import contextlib
import functools
import inspect
import keyword
import linecache
import os
import textwrap
import types
from collections.abc import Iterator
from dataclasses import dataclass
from typing import Any

import numpy as np

from srcdiff.errors import Loc, NoSource
from srcdiff.parse.aliases import HELPERS, canonical


@dataclass(frozen=True)
class Source:
    """A parsed function: its def (or lambda) node and where it came from.

    ``path`` is the file as Python knows it; ``file`` is how users see it,
    worked out when asked, so a cached Source follows the working directory.
    """

    fn: types.FunctionType
    node: ast.FunctionDef | ast.Lambda
    path: str
    lines: tuple[str, ...]
    first_line: int
    indent: int
    # ``loss = lambda w: ...``: the name a lambda is assigned to.
    assigned: str | None = None

    @property
    def name(self) -> str:
        """The function's name, as the emitted ``<name>_grad`` can use it: its
        ``__name__``, else its def's name (a decorator may set any string),
        else the name a lambda is assigned to, else ``f``."""
        for name in (self.fn.__name__, self.fn.__code__.co_name, self.assigned):
            if name and name.isidentifier() and not keyword.iskeyword(name):
                return name
        return "f"

    @property
    def file(self) -> str:
        return display_path(self.path)

    def loc(self, node: ast.AST) -> Loc:
        line = getattr(node, "lineno", 1)
        offset = getattr(node, "col_offset", 0)
        index = line - 1
        text = self.lines[index] if 0 <= index < len(self.lines) else ""
        # ast counts columns in UTF-8 bytes of the dedented line; carets count
        # characters of the original one.
        col = self.indent + char_column(text[self.indent :], offset)
        return Loc(self.file, line + self.first_line - 1, col, text)

    def lookup(self, name: str) -> Any:
        """Resolve a free name: closure cell, then globals, then builtins."""
        code = self.fn.__code__
        if name in code.co_freevars and self.fn.__closure__:
            cell = self.fn.__closure__[code.co_freevars.index(name)]
            try:
                return cell.cell_contents
            except ValueError:
                pass
        if name in self.fn.__globals__:
            return self.fn.__globals__[name]
        if hasattr(builtins, name):
            return getattr(builtins, name)
        raise NameError(name)

    def scope_of(self, name: str) -> str:
        """Where ``lookup`` finds a free name, in words."""
        code = self.fn.__code__
        if name in code.co_freevars and self.fn.__closure__:
            cell = self.fn.__closure__[code.co_freevars.index(name)]
            try:
                cell.cell_contents  # noqa: B018
            except ValueError:
                pass
            else:
                return "its closure"
        if name in self.fn.__globals__:
            return "its module's globals"
        return "the builtins"


# Directories paths are shown relative to, innermost last (the command line
# shows them relative to the project root, so that an emitted file reads the
# same whatever directory it was made from); the working directory if none.
_BASES: list[str] = []


@contextlib.contextmanager
def paths_relative_to(directory: str) -> Iterator[None]:
    _BASES.append(directory)
    try:
        yield
    finally:
        _BASES.pop()


def display_path(path: str) -> str:
    """A file path as users see it: relative to the working directory (or the
    directory ``paths_relative_to`` gives) if inside it."""
    if path.startswith("<"):
        return path
    try:
        rel = os.path.relpath(path, _BASES[-1] if _BASES else None)
    except ValueError:
        return path
    return rel if not rel.startswith("..") else path


def char_column(text: str, offset: int) -> int:
    """The character index in ``text`` of the UTF-8 byte ``offset`` that ast gives."""
    return len(text.encode("utf-8")[:offset].decode("utf-8", errors="ignore"))


def parse(fn: Any) -> Source:
    """Parse ``fn``'s source; decorators are stripped, lambdas located."""
    original = fn
    fn = inspect.unwrap(fn)
    if not isinstance(fn, types.FunctionType) or _library_code(fn):
        if _library(original) == "autograd":
            # autograd.numpy.tanh and .mean stand for np.tanh and np.mean.
            mapped = canonical(original)
            if not (_library(mapped) or isinstance(mapped, np.ufunc)):
                mapped = getattr(original, "fun", original)  # what it wraps
            original = mapped
        what = _describe(original, _library(original))
        raise NoSource(
            f"{what}, not a function of yours: srcdiff differentiates Python "
            "functions written with NumPy",
            caller_loc(),
            _wrap_hint(original),
        )
    return _parse(fn)


_LIBRARIES = {"numpy": "NumPy", "scipy": "SciPy", "autograd": "autograd"}
_REDUCTIONS = {"sum", "mean", "prod", "max", "min", "amax", "amin", "std", "var"}


def run_source(text: str, filename: str, namespace: dict[str, Any]) -> None:
    """Run ``text`` in ``namespace`` as the file ``filename``, with its lines
    in linecache: ``inspect`` (so srcdiff's own parser) and tracebacks read
    generated code as they read a file."""
    exec(compile(text, filename, "exec"), namespace)
    linecache.cache[filename] = (len(text), None, text.splitlines(True), filename)


def ufunc_function(obj: Any) -> types.FunctionType | None:
    """``grad(np.sqrt)`` as autograd takes it: a def that calls the ufunc
    (``def sqrt(x): return np.sqrt(x)``), made once per ufunc with its source
    in linecache; None for anything but a NumPy ufunc of one or two inputs."""
    obj = canonical(obj)
    if not isinstance(obj, np.ufunc) or obj.nout != 1 or obj.nin > 2:
        return None
    name = obj.__name__
    if getattr(np, name, None) is not obj:
        return None
    if name not in _UFUNC_FUNCTIONS:
        params = "x" if obj.nin == 1 else "x1, x2"
        filename = f"<numpy.{name}>"
        text = f"import numpy as np\n\n\ndef {name}({params}):\n"
        text += f"    return np.{name}({params})\n"
        namespace: dict[str, Any] = {}
        run_source(text, filename, namespace)
        _UFUNC_FUNCTIONS[name] = namespace[name]
    return _UFUNC_FUNCTIONS[name]


_UFUNC_FUNCTIONS: dict[str, types.FunctionType] = {}


def _library_code(fn: types.FunctionType) -> bool:
    """NumPy's, SciPy's or autograd's own code, except autograd's NumPy-level
    helpers that NumPy has no name for (``autograd.numpy.linalg.T``)."""
    helper = (fn.__module__ or "").startswith(HELPERS) and canonical(fn) is fn
    return bool(_library(fn)) and not helper


def _library(fn: Any) -> str:
    """``NumPy`` (or SciPy, autograd) when ``fn`` is that library's own code."""
    module = getattr(fn, "__module__", None)
    package = module.split(".")[0] if isinstance(module, str) else ""
    return _LIBRARIES.get(package, "")


def _describe(obj: Any, library: str) -> str:
    """``numpy.tanh is a NumPy ufunc``, ``builtins.len is a built-in function``."""
    if isinstance(obj, np.ufunc):
        return f"numpy.{obj.__name__} is a NumPy ufunc"
    name = getattr(obj, "__qualname__", None) or getattr(obj, "__name__", None)
    module = getattr(obj, "__module__", None)
    what = f"{module}.{name}" if module and name else name
    if isinstance(obj, types.BuiltinFunctionType):
        return f"{what} is a built-in function"
    if isinstance(obj, type):
        return f"{what} is a class"
    if isinstance(obj, types.ModuleType):
        return f"{obj.__name__} is a module"
    if library:
        return f"{what} is part of {library}"
    kind = type(obj)
    return f"this is a {kind.__module__}.{kind.__qualname__} object"


def _wrap_hint(obj: Any) -> str:
    hint = "Pass a function written in Python with `def` or `lambda`."
    if isinstance(obj, functools.partial):
        return (
            f"{hint} Wrap the partial in one that passes the fixed arguments "
            "itself (`def f(x): return g(x, b=1.0)`); inside the differentiated "
            "function, functools.partial is followed."
        )
    name = getattr(obj, "__name__", None)
    if isinstance(name, str) and getattr(np, name, None) is obj:
        call = f"np.{name}(x)" if name in _REDUCTIONS else f"np.sum(np.{name}(x))"
        hint += f" To differentiate np.{name}, wrap it: `def f(x): return {call}`."
    return hint


def caller_loc() -> Loc | None:
    """Where the user's code called into srcdiff: the first frame outside it.

    Frames of srcdiff itself and of frozen modules (``runpy`` under
    ``python -m``) are skipped.
    """
    package = os.path.dirname(os.path.dirname(os.path.abspath(__file__))) + os.sep
    frame = inspect.currentframe()
    while frame is not None and (
        frame.f_code.co_filename.startswith("<frozen ")
        or os.path.abspath(frame.f_code.co_filename).startswith(package)
    ):
        frame = frame.f_back
    if frame is None:
        return None
    info = inspect.getframeinfo(frame, context=0)
    text = linecache.getline(info.filename, info.lineno).rstrip("\n")
    positions = getattr(info, "positions", None)  # Python 3.11 and later
    offset = positions.col_offset if positions and positions.col_offset else None
    col = char_column(text, offset) if offset is not None else _indent(text)
    return Loc(display_path(info.filename), info.lineno, col, text)


def _indent(text: str) -> int:
    return len(text) - len(text.lstrip())


@functools.lru_cache(maxsize=512)
def _parse(fn: types.FunctionType) -> Source:
    code = fn.__code__
    if code.co_name == "<lambda>":  # whatever its __name__ was set to since
        found = _parse_lambda(fn)
        if found is not None:
            return found
    try:
        lines, first_line = inspect.getsourcelines(fn)
    except (OSError, TypeError):
        raise NoSource(
            f"the source of {fn.__qualname__} is not available: it was defined "
            f"in {code.co_filename}, not in a file srcdiff can read",
            caller_loc(),
            "Define the function in a .py file or a notebook cell; functions "
            "made by exec() or compile() have no source.",
        ) from None
    text = "".join(lines)
    dedented = textwrap.dedent(text)
    indent = len(lines[0]) - len(lines[0].lstrip()) if dedented != text else 0
    path = inspect.getsourcefile(fn) or code.co_filename
    file = display_path(path)
    first_line = max(first_line, 1)
    tree = _parse_text(dedented, fn, file, first_line)
    node = _find_node(tree, fn, first_line)
    if node is None:
        raise NoSource(
            f"could not find the definition of {fn.__qualname__} in its source",
            Loc(file, first_line, 0, lines[0]),
            hint="Give the function its own `def`, or put the lambda on a line "
            "of its own.",
        )
    if isinstance(node, (ast.FunctionDef, ast.AsyncFunctionDef)):
        node.decorator_list = []
    original = tuple(line.rstrip("\n") for line in lines)
    assigned = _assigned_name(tree, node)
    return Source(fn, node, path, original, first_line, indent, assigned)


def _parse_lambda(fn: types.FunctionType) -> Source | None:
    """A lambda found in its whole file, wherever it sits in an expression
    (a dict value, a call spanning lines), by line and parameters, and on
    Python 3.11+ by the position of its body when a line holds several."""
    code = fn.__code__
    path = inspect.getsourcefile(fn) or code.co_filename
    lines = linecache.getlines(path, fn.__globals__)
    try:
        tree = ast.parse("".join(lines))
    except (SyntaxError, ValueError):
        return None
    found = [
        n
        for n in ast.walk(tree)
        if isinstance(n, ast.Lambda)
        and n.lineno == code.co_firstlineno
        and _params(n) == code.co_varnames[: code.co_argcount]
    ]
    if len(found) > 1 and hasattr(code, "co_positions"):
        spans = set(code.co_positions())
        found = [n for n in found if _span(n.body) in spans]
    if len(found) != 1:
        return None
    text = tuple(line.rstrip("\n") for line in lines)
    return Source(fn, found[0], path, text, 1, 0, _assigned_name(tree, found[0]))


def _assigned_name(tree: ast.AST, node: ast.AST) -> str | None:
    """``g`` for the lambda of ``g = lambda x: ...``; None for anything else."""
    for parent in ast.walk(tree):
        if (
            isinstance(parent, ast.Assign)
            and parent.value is node
            and len(parent.targets) == 1
            and isinstance(parent.targets[0], ast.Name)
        ):
            return parent.targets[0].id
    return None


def _span(node: ast.expr) -> tuple[int | None, ...]:
    return (node.lineno, node.end_lineno, node.col_offset, node.end_col_offset)


def _params(node: ast.Lambda | ast.FunctionDef) -> tuple[str, ...]:
    return tuple(a.arg for a in node.args.posonlyargs + node.args.args)


def _parse_text(text: str, fn: types.FunctionType, file: str, line: int) -> ast.Module:
    try:
        return ast.parse(text)
    except SyntaxError:
        # A lambda inside a larger expression that spans lines: try the
        # lambda's line alone, wrapped so that it parses.
        first = text.splitlines()[0].strip().rstrip(",")
        for candidate in (first, f"({first})", f"{first})", f"({first}"):
            try:
                return ast.parse(candidate)
            except SyntaxError:
                continue
    raise NoSource(
        f"could not parse the source of {fn.__qualname__}",
        Loc(file, line, 0, text.splitlines()[0] if text else ""),
        hint="Define the function with `def` on lines of its own.",
    )


def _find_node(tree: ast.Module, fn: types.FunctionType, first_line: int) -> Any:
    """The def (or lambda) of ``fn``'s code, found by where it starts, not by
    ``__name__``: a function renamed since, or by a decorator, is still found.
    An async def is found too, so that the fence can say what is wrong."""
    code = fn.__code__
    params = code.co_varnames[: code.co_argcount]
    if code.co_name == "<lambda>":
        candidates = [
            n
            for n in ast.walk(tree)
            if isinstance(n, ast.Lambda) and _params(n) == params
        ]
        return candidates[0] if len(candidates) == 1 else None
    defs = [
        n
        for n in ast.walk(tree)
        if isinstance(n, (ast.FunctionDef, ast.AsyncFunctionDef))
    ]
    # co_firstlineno is the line of the first decorator, if any.
    at = [
        n
        for n in defs
        if min([n.lineno] + [d.lineno for d in n.decorator_list]) + first_line - 1
        == code.co_firstlineno
    ]
    for n in at + defs:
        if n.name == code.co_name:
            return n
    return at[0] if at else None
