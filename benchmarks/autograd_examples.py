"""autograd's own examples, each one's first gradient answered by srcdiff.

Run from the repository root (needs the network once, to fetch autograd's
source distribution, which holds its ``examples/`` folder; or pass a source
tree, the folder that holds ``examples/``)::

    .venv/bin/python benchmarks/autograd_examples.py [--source DIR] [--jobs N]

Each example file runs (``runpy.run_path(path, run_name="__main__")``) in a
subprocess of its own, with a timeout, in a temporary copy of the examples
folder (examples import each other: ``from data import ...``,
``from black_box_svi import ...``). Before it runs, autograd's reverse-mode
operators are replaced, in ``autograd.differential_operators``, in ``autograd``
and wherever another ``autograd.*`` module holds them, so that examples get
the replacements whichever way they import them (``from autograd import
grad``, ``value_and_grad as vgrad``, ...).

Where the gradient is taken. The replacement ``grad(fun, argnum)`` returns a
function that, on its first call with actual (unboxed) arguments, judges
``srcdiff.grad(fun, wrt=argnum)(*args, **kwargs)`` there and then stops the
example. ``fun`` is the example's own objective and the arguments are those
the example first asks a gradient at: its initial parameters. The optimizers
in ``autograd.misc.optimizers`` (``adam``, ``sgd``, ``rmsprop``) call no
operator themselves; they receive the example's ``grad(objective)`` and call
it on ``unflatten(flatten(init_params))``, the initial parameters with their
structure (lists, tuples, dicts of arrays) intact, so intercepting the
operator sees what the example passed, not the flattened vector. The same
holds for ``scipy.optimize.minimize(value_and_grad(objective), x0, jac=True)``.
``grad``, ``value_and_grad`` (the gradient half) and ``elementwise_grad``
(the gradient of ``sum(fun(...))``) count; ``argnum`` may be a tuple.

Outcomes, for examples that asked for a first-order reverse gradient:

* correct: srcdiff agrees with autograd's gradient of the same function at
  the same arguments (``srcdiff.numeric.max_relative_error`` below 1e-6:
  tree-aware, structures and shapes must match, relative above 1 and absolute
  below), or, where they disagree, srcdiff agrees with central differences
  (1e-5; along 3 random directions when the argument has more than 2000
  numbers) and autograd does not;
* wrong: srcdiff returned a gradient that agrees with neither;
* refused: srcdiff raised one of its own located errors (``SrcdiffError``);
* crash: any other exception from srcdiff (type, message, and the innermost
  frame inside srcdiff);
* timeout: srcdiff had not answered when the example's time ran out.

Random draws: objectives that sample (black-box variational inference) read
``RandomState`` objects from their closures. Every NumPy ``RandomState`` and
``Generator`` alive at the first gradient request, the global one included,
is put back to the state it had then before srcdiff's gradient, autograd's
gradient and each central-difference evaluation, so all see the same draws.

Not counted, listed separately: examples that ask for no reverse gradient at
all (helper modules, forward mode, ``autograd.tracer`` demos), examples whose
only gradients are higher order (a gradient of a gradient, ``hessian``,
``make_hvp``, a gradient traced by autograd itself; srcdiff has neither
forward mode nor nested gradients), examples that need data from the
network (every network access is refused and the example is excluded as
"needs data") and examples that fail on their own before asking (listed with
their error).

MNIST, the only download among autograd's examples, is not fetched: the
values of the data do not matter for judging a gradient, so ``mnist()`` in
the examples' ``data_mnist`` module (which ``data.load_mnist`` calls too)
returns seeded random arrays of MNIST's shapes and dtypes instead (uint8
images of 28 x 28 and uint8 labels 0-9; 500 training and 100 test examples).
The examples that use it are counted, marked "(synthetic MNIST)" in the
report. matplotlib is not needed: a fake
``matplotlib`` package whose attributes are no-op callables stands in, with
a small PNG reader for ``pyplot.imread`` (the fluid simulations read their
start and target images with it). Nothing else is installed or downloaded.
Prints Markdown; writes nothing outside a temporary folder.
"""

from __future__ import annotations

import argparse
import gc
import importlib.abc
import importlib.machinery
import json
import os
import runpy
import shutil
import struct
import subprocess
import sys
import tempfile
import time
import traceback
import types
import zlib
from collections import Counter
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path
from typing import Any, ClassVar

import numpy as np
from autograd_suite import fetch_source  # the same sdist, fetched once

TIMEOUT = 120
TOLERANCE = 1e-6
NUMERIC_TOLERANCE = 1e-5
NUMERIC_LIMIT = 2000  # numbers; above this, central differences go along directions
COUNTED = ("correct", "wrong", "refused", "crash", "timeout")
EXCLUDED = ("no reverse gradient", "higher order", "needs data", "example error")
FIRST_ORDER = ("grad", "value_and_grad", "elementwise_grad")
OTHER_OPERATORS = (
    "hessian",
    "hessian_tensor_product",
    "hessian_vector_product",
    "make_hvp",
    "make_ggnvp",
    "jacobian",
    "tensor_jacobian_product",
    "vector_jacobian_product",
    "make_vjp",
    "make_jvp",
    "deriv",
    "holomorphic_grad",
    "grad_and_aux",
    "grad_named",
    "multigrad_dict",
)
HIGHER_ORDER = {
    "hessian",
    "hessian_tensor_product",
    "hessian_vector_product",
    "make_hvp",
    "make_ggnvp",
}


# ---- the child side: one example, its first gradient judged ---------------


class _Stop(BaseException):
    """Raised through the example once its first gradient is judged."""


class _NeedsData(BaseException):
    """Raised where the example reaches for the network."""


class _NoOp:
    """Whatever a plotting call returns: callable, with every attribute."""

    def __call__(self, *args: Any, **kwargs: Any) -> _NoOp:
        return _NoOp()

    def __getattr__(self, name: str) -> _NoOp:
        if name.startswith("__"):
            raise AttributeError(name)
        return _NoOp()

    def __getitem__(self, key: Any) -> _NoOp:
        return _NoOp()

    def __iter__(self) -> Any:
        return iter(())

    def __enter__(self) -> _NoOp:
        return self

    def __exit__(self, *exc: Any) -> None:
        return None


def read_png(path: Any, *args: Any, **kwargs: Any) -> np.ndarray:
    """``pyplot.imread`` for 8-bit non-interlaced PNG files: floats in [0, 1],
    2-D for greyscale, height x width x channels otherwise."""
    data = Path(path).read_bytes()
    if data[:8] != b"\x89PNG\r\n\x1a\n":
        raise ValueError(f"{path}: not a PNG file")
    pos, chunks, header = 8, [], None
    while pos < len(data):
        length, kind = struct.unpack(">I4s", data[pos : pos + 8])
        body = data[pos + 8 : pos + 8 + length]
        pos += 12 + length
        if kind == b"IHDR":
            header = struct.unpack(">IIBBBBB", body)
        elif kind == b"IDAT":
            chunks.append(body)
    width, height, depth, color, _, _, interlace = header
    channels = {0: 1, 2: 3, 4: 2, 6: 4}.get(color)
    if depth != 8 or interlace or channels is None:
        raise ValueError(f"{path}: only 8-bit non-interlaced PNG files are read")
    raw = zlib.decompress(b"".join(chunks))
    stride = width * channels
    rows = np.zeros((height, stride), np.uint8)
    prev = bytearray(stride)
    for r in range(height):
        start = r * (stride + 1)
        kind, line = raw[start], bytearray(raw[start + 1 : start + 1 + stride])
        for i in range(stride):
            a = line[i - channels] if i >= channels else 0
            b = prev[i]
            c = prev[i - channels] if i >= channels else 0
            if kind == 1:
                line[i] = (line[i] + a) & 255
            elif kind == 2:
                line[i] = (line[i] + b) & 255
            elif kind == 3:
                line[i] = (line[i] + (a + b) // 2) & 255
            elif kind == 4:
                p = a + b - c
                pa, pb, pc = abs(p - a), abs(p - b), abs(p - c)
                near = a if pa <= pb and pa <= pc else b if pb <= pc else c
                line[i] = (line[i] + near) & 255
        rows[r] = np.frombuffer(bytes(line), np.uint8)
        prev = line
    image = rows.reshape(height, width, channels).astype(np.float32) / 255
    return image[:, :, 0] if channels == 1 else image


class _FakeModule(types.ModuleType):
    def __getattr__(self, name: str) -> Any:
        if name.startswith("__"):
            raise AttributeError(name)
        return _NoOp()


class _FakeMatplotlib(importlib.abc.MetaPathFinder, importlib.abc.Loader):
    """Serves ``matplotlib`` and every ``matplotlib.*`` import."""

    def find_spec(self, name: str, path: Any, target: Any = None) -> Any:
        if name == "matplotlib" or name.startswith("matplotlib."):
            return importlib.machinery.ModuleSpec(name, self, is_package=True)
        return None

    def create_module(self, spec: Any) -> types.ModuleType:
        module = _FakeModule(spec.name)
        module.__path__ = []
        if spec.name in ("matplotlib.pyplot", "matplotlib.image"):
            module.imread = read_png
        return module

    def exec_module(self, module: types.ModuleType) -> None:
        return None


def _refuse_network() -> None:
    import socket
    import urllib.request

    def refuse(*args: Any, **kwargs: Any) -> None:
        raise _NeedsData(f"downloads {args[0] if args else 'something'}")

    urllib.request.urlretrieve = refuse
    urllib.request.urlopen = refuse
    socket.socket.connect = refuse
    socket.create_connection = refuse


MNIST_TRAIN, MNIST_TEST = 500, 100  # synthetic examples


def _synthetic_mnist() -> tuple[np.ndarray, ...]:
    """What ``data_mnist.mnist()`` returns, of seeded random values: train
    images, train labels, test images, test labels."""
    _State.synthetic = True
    rng = np.random.default_rng(0)
    arrays = []
    for count in (MNIST_TRAIN, MNIST_TEST):
        arrays.append(rng.integers(0, 256, (count, 28, 28), dtype=np.uint8))
        arrays.append(rng.integers(0, 10, count, dtype=np.uint8))
    return tuple(arrays)


def _stub_mnist(folder: Path) -> None:
    """The examples' MNIST loader, ``data_mnist.mnist``, made synthetic."""
    if (folder / "data_mnist.py").exists():
        import data_mnist

        data_mnist.mnist = _synthetic_mnist


class _State:
    """The child process's one run: where it logs, what it has seen."""

    depth = 0  # > 0 inside an operator we let through, or while judging
    done = False
    synthetic = False  # the example loaded synthetic MNIST
    used: ClassVar[list[str]] = []  # operators used that are not counted
    example = ""
    log: Path


def _write(entry: dict[str, Any]) -> None:
    data = {"data": "synthetic MNIST"} if _State.synthetic else {}
    with open(_State.log, "a", encoding="utf-8") as log:
        log.write(json.dumps({"example": _State.example, **entry, **data}) + "\n")


def _leaves(tree: Any) -> list[Any]:
    if isinstance(tree, list | tuple):
        return [leaf for item in tree for leaf in _leaves(item)]
    if isinstance(tree, dict):
        return [leaf for item in tree.values() for leaf in _leaves(item)]
    return [tree]


def _describe(tree: Any) -> str:
    """``float64[3, 2]``; structures item by item, or counted when large."""
    leaves = _leaves(tree)
    if isinstance(tree, list | tuple | dict) and len(leaves) > 4:
        size = sum(int(np.size(leaf)) for leaf in leaves)
        return f"{type(tree).__name__} of {len(leaves)} arrays ({size} numbers)"
    if isinstance(tree, list | tuple):
        inner = ", ".join(_describe(item) for item in tree)
        return f"[{inner}]" if isinstance(tree, list) else f"({inner})"
    if isinstance(tree, dict):
        return "{" + ", ".join(f"{k!r}: {_describe(v)}" for k, v in tree.items()) + "}"
    if isinstance(tree, np.ndarray):
        return f"{tree.dtype}{list(tree.shape)}"
    return type(tree).__name__


def _random_states() -> list[tuple[Any, Any]]:
    states = []
    for obj in gc.get_objects():
        if isinstance(obj, np.random.RandomState):
            states.append((obj, obj.get_state()))
        elif isinstance(obj, np.random.Generator):
            states.append((obj, obj.bit_generator.state))
    return states


def _restore(states: list[tuple[Any, Any]]) -> None:
    for obj, state in states:
        if isinstance(obj, np.random.RandomState):
            obj.set_state(state)
        else:
            obj.bit_generator.state = state


def _srcdiff_frame(error: BaseException) -> str:
    import srcdiff

    package = Path(srcdiff.__file__).resolve().parent
    where = "outside srcdiff"
    for frame in traceback.extract_tb(error.__traceback__):
        path = Path(frame.filename).resolve()
        if path.is_relative_to(package):
            where = f"{path.relative_to(package.parent)}:{frame.lineno}"
    return where


def _first_line(text: str) -> str:
    lines = [line for line in str(text).strip().splitlines() if line.strip()]
    return lines[0] if lines else ""


def _numeric(loss: Any, args: tuple, argnum: Any, rng: np.random.Generator) -> Any:
    """Central differences of ``loss`` in ``args[argnum]``: all of them, or
    (for large arguments) three directional derivatives, as ``(kind, value)``."""
    from srcdiff.numeric import numerical_grad

    argnums = list(argnum) if isinstance(argnum, list | tuple) else [argnum]
    size = sum(np.size(leaf) for i in argnums for leaf in _leaves(args[i]))
    if size <= NUMERIC_LIMIT:
        grads = [numerical_grad(loss, args, i) for i in argnums]
        return "full", grads if isinstance(argnum, list | tuple) else grads[0]
    directions = []
    for _ in range(3):
        v = {
            i: [rng.standard_normal(np.shape(x)) for x in _leaves(args[i])]
            for i in argnums
        }
        h = 1e-6
        values = []
        for sign in (1, -1):
            moved = list(args)
            for i in argnums:
                moved[i] = _shift(args[i], iter(v[i]), sign * h)
            values.append(float(np.real(loss(*moved))))
        directions.append((v, (values[0] - values[1]) / (2 * h)))
    return "directions", directions


def _shift(tree: Any, steps: Any, h: float) -> Any:
    if isinstance(tree, list | tuple):
        return type(tree)(_shift(item, steps, h) for item in tree)
    if isinstance(tree, dict):
        return {k: _shift(item, steps, h) for k, item in tree.items()}
    step = next(steps)
    moved = np.asarray(tree, dtype=float) + h * step
    return moved if np.ndim(tree) else float(moved)


def _agrees_numerically(grad: Any, numeric: tuple[str, Any], argnum: Any) -> bool:
    from srcdiff.numeric import max_relative_error

    kind, value = numeric
    try:
        if kind == "full":
            return max_relative_error(grad, value) < NUMERIC_TOLERANCE
        grads = list(grad) if isinstance(argnum, list | tuple) else [grad]
        argnums = list(argnum) if isinstance(argnum, list | tuple) else [argnum]
        for v, slope in value:
            dot = sum(
                float(np.sum(np.asarray(g) * d))
                for g_tree, i in zip(grads, argnums, strict=True)
                for g, d in zip(_leaves(g_tree), v[i], strict=True)
            )
            if abs(dot - slope) > NUMERIC_TOLERANCE * max(1.0, abs(slope)) * 10:
                return False
        return True
    except (ValueError, TypeError):
        return False


def _judge(
    name: str,
    original: Any,
    fun: Any,
    argnum: Any,
    op: tuple,
    args: tuple,
    kwargs: dict,
) -> dict[str, Any]:
    import autograd.numpy as anp

    import srcdiff
    from srcdiff.errors import SrcdiffError
    from srcdiff.numeric import max_relative_error

    states = _random_states()
    if name == "elementwise_grad":

        def loss(*a: Any, **k: Any) -> Any:
            return anp.sum(fun(*a, **k))
    else:
        loss = fun

    def fixed_draws(*a: Any) -> Any:
        _restore(states)
        return loss(*a, **kwargs)

    _restore(states)
    start = time.perf_counter()
    try:
        got = srcdiff.grad(loss, wrt=argnum)(*args, **kwargs)
    except SrcdiffError as e:
        seconds = round(time.perf_counter() - start, 2)
        where = ""  # where in the example; none when it is this script's call
        if e.loc is not None and Path(e.loc.file).name != Path(__file__).name:
            where = f"{Path(e.loc.file).name}:{e.loc.line}: "
        detail = f"{type(e).__name__}: {where}{_first_line(e.message)}"
        return {"outcome": "refused", "detail": detail, "srcdiff_s": seconds}
    except Exception as e:
        seconds = round(time.perf_counter() - start, 2)
        detail = f"{type(e).__name__}: {_first_line(str(e))} ({_srcdiff_frame(e)})"
        return {"outcome": "crash", "detail": detail, "srcdiff_s": seconds}
    seconds = round(time.perf_counter() - start, 2)
    _write({"event": "asked", "stage": "autograd"})
    _restore(states)
    try:
        want = original(fun, argnum, *op)(*args, **kwargs)
        if name == "value_and_grad":
            want = want[1]
        error = max_relative_error(got, want)
        if error < TOLERANCE:
            return {
                "outcome": "correct",
                "detail": "agrees with autograd",
                "srcdiff_s": seconds,
            }
        against = f"off by {error:.2e} from autograd"
    except ValueError as e:  # structures or shapes differ
        against = f"differs from autograd: {e}"
    _write({"event": "asked", "stage": "central differences"})
    real = all(
        not np.iscomplexobj(leaf)
        for i in (argnum if isinstance(argnum, list | tuple) else [argnum])
        for leaf in _leaves(args[i])
    )
    if real:
        numeric = _numeric(fixed_draws, args, argnum, np.random.default_rng(0))
        if _agrees_numerically(got, numeric, argnum):
            detail = f"agrees with central differences ({numeric[0]}); {against}"
            return {"outcome": "correct", "detail": detail, "srcdiff_s": seconds}
        if _agrees_numerically(want, numeric, argnum):
            against += " (autograd agrees with central differences)"
    return {"outcome": "wrong", "detail": against, "srcdiff_s": seconds}


def _request(
    name: str,
    original: Any,
    fun: Any,
    argnum: Any,
    op: tuple,
    args: tuple,
    kwargs: dict,
) -> Any:
    """One call of a gradient function the example built."""
    from autograd.tracer import isbox

    def let_through() -> Any:
        _State.depth += 1
        try:
            return original(fun, argnum, *op)(*args, **kwargs)
        finally:
            _State.depth -= 1

    if _State.depth or _State.done:
        return let_through()
    if getattr(fun, "_srcdiff_intercepted", False):
        _State.used.append(f"{name} of a gradient")
        return let_through()
    if any(isbox(leaf) for leaf in _leaves([args, kwargs])):
        _State.used.append(f"{name} traced by autograd")
        return let_through()
    _State.done = True
    _State.depth += 1  # what srcdiff, autograd and the loss ask for goes through
    fun_name = getattr(fun, "__qualname__", type(fun).__name__)
    asked = {"operator": name, "fun": fun_name, "argnum": repr(argnum)}
    argnums = argnum if isinstance(argnum, list | tuple) else [argnum]
    asked["wrt"] = ", ".join(_describe(args[i]) for i in argnums if i < len(args))
    _write({"event": "asked", **asked, "stage": "srcdiff"})
    try:
        verdict = _judge(name, original, fun, argnum, op, args, kwargs)
    except Exception as e:  # in the harness or autograd, not in srcdiff
        verdict = {
            "outcome": "example error",
            "detail": f"judging failed: {type(e).__name__}: {e}",
        }
    _write({"event": "result", **asked, **verdict})
    raise _Stop


def _first_order(name: str, original: Any) -> Any:
    def operator(fun: Any, argnum: Any = 0, *op: Any) -> Any:
        def differentiated(*args: Any, **kwargs: Any) -> Any:
            return _request(name, original, fun, argnum, op, args, kwargs)

        differentiated._srcdiff_intercepted = True
        differentiated.__name__ = f"{name}_of_{getattr(fun, '__name__', 'fun')}"
        return differentiated

    operator.__name__ = name
    return operator


def _other(name: str, original: Any) -> Any:
    def operator(*op_args: Any, **op_kwargs: Any) -> Any:
        inner = original(*op_args, **op_kwargs)
        if not callable(inner):
            return inner

        def applied(*args: Any, **kwargs: Any) -> Any:
            if not _State.depth:
                _State.used.append(name)
            _State.depth += 1
            try:
                return inner(*args, **kwargs)
            finally:
                _State.depth -= 1

        applied._srcdiff_intercepted = True
        return applied

    operator.__name__ = name
    return operator


def _patch_operators() -> None:
    import autograd.differential_operators as ops
    import autograd.misc.optimizers  # noqa: F401  (so that its names get patched too)

    replacements = {}
    for name in FIRST_ORDER + OTHER_OPERATORS:
        original = getattr(ops, name, None)
        if original is not None and id(original) not in replacements:
            make = _first_order if name in FIRST_ORDER else _other
            replacements[id(original)] = make(name, original)
    for module_name, module in list(sys.modules.items()):
        if module_name == "autograd" or module_name.startswith("autograd."):
            for attr, value in list(vars(module).items()):
                if id(value) in replacements:
                    setattr(module, attr, replacements[id(value)])


def child(example: Path, log: Path, label: str) -> None:
    """Runs one example with autograd's operators intercepted."""
    import warnings

    warnings.simplefilter("ignore")
    _State.log, _State.example = log, label
    sys.meta_path.insert(0, _FakeMatplotlib())
    _refuse_network()
    _patch_operators()
    sys.path.insert(0, str(example.parent))
    _stub_mnist(example.parent)
    sys.argv = [str(example)]
    try:
        runpy.run_path(str(example), run_name="__main__")
    except _Stop:
        return
    except _NeedsData as e:
        _write({"event": "result", "outcome": "needs data", "detail": str(e)})
        return
    except BaseException as e:  # the example's own failure
        if _State.done:
            return
        frame = traceback.extract_tb(e.__traceback__)[-1]
        where = f"{Path(frame.filename).name}:{frame.lineno}"
        detail = f"{type(e).__name__}: {_first_line(str(e))} ({where})"
        _write({"event": "result", "outcome": "example error", "detail": detail})
        return
    used = list(dict.fromkeys(_State.used))
    higher = [
        u for u in used if u in HIGHER_ORDER or " of a gradient" in u or "traced" in u
    ]
    if higher:
        _write(
            {"event": "result", "outcome": "higher order", "detail": ", ".join(used)}
        )
    else:
        detail = f"uses {', '.join(used)}" if used else "asks for no gradient"
        _write({"event": "result", "outcome": "no reverse gradient", "detail": detail})


# ---- the runner side ------------------------------------------------------


def run_example(example: Path, label: str, log: Path, timeout: float) -> dict[str, Any]:
    root = Path(__file__).resolve().parent.parent
    env = {**os.environ, "MPLBACKEND": "agg", "PYTHONHASHSEED": "0"}
    env["PYTHONPATH"] = os.pathsep.join([str(root), env.get("PYTHONPATH", "")])
    command = [
        sys.executable,
        str(Path(__file__).resolve()),
        "--child",
        str(example),
        str(log),
        label,
    ]
    start = time.perf_counter()
    try:
        result = subprocess.run(
            command,
            env=env,
            capture_output=True,
            text=True,
            cwd=example.parent,
            timeout=timeout,
        )
        tail = (result.stderr or "").strip().splitlines()[-1:]
    except subprocess.TimeoutExpired:
        tail = None
    seconds = round(time.perf_counter() - start, 1)
    lines = (
        [json.loads(line) for line in log.read_text().splitlines()]
        if log.exists()
        else []
    )
    results = [entry for entry in lines if entry.get("event") == "result"]
    if results:
        return {**results[-1], "seconds": seconds}
    asked = [entry for entry in lines if entry.get("event") == "asked"]
    fields = {}
    if asked:
        fields = {k: v for k, v in asked[0].items() if k not in ("event", "stage")}
    if tail is None:
        stages = [entry["stage"] for entry in asked]
        if stages and stages[-1] == "srcdiff":
            outcome, detail = (
                "timeout",
                f"srcdiff.grad had not answered after {timeout:g} s",
            )
        elif stages:
            outcome, detail = (
                "example error",
                f"timed out computing the {stages[-1]} reference",
            )
        else:
            outcome, detail = (
                "example error",
                f"asked for no gradient within {timeout:g} s",
            )
    else:
        outcome, detail = "example error", f"the subprocess died: {' '.join(tail)}"
    return {
        "example": label,
        "event": "result",
        **fields,
        "outcome": outcome,
        "detail": detail,
        "seconds": seconds,
    }


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--source", type=Path, help="an autograd source tree")
    parser.add_argument("--jobs", type=int, default=os.cpu_count() or 1)
    parser.add_argument(
        "--timeout", type=float, default=TIMEOUT, help="seconds per example"
    )
    parser.add_argument("--list", action="store_true", help="print every JSON line")
    parser.add_argument("examples", nargs="*", help="only these example files (names)")
    parser.add_argument("--child", nargs=3, help=argparse.SUPPRESS)
    options = parser.parse_args()
    if options.child:
        example, log, label = options.child
        child(Path(example), Path(log), label)
        return
    with tempfile.TemporaryDirectory() as scratch:
        source = options.source or fetch_source(Path(scratch) / "sdist")
        examples = Path(scratch) / "examples"
        shutil.copytree(source / "examples", examples)
        logs = Path(scratch) / "logs"
        logs.mkdir()
        files = sorted(p for p in examples.rglob("*.py") if p.name != "__init__.py")
        if options.examples:
            wanted = {Path(name).name for name in options.examples}
            files = [p for p in files if p.name in wanted]
        labels = {p: p.relative_to(examples).as_posix() for p in files}

        def run(p: Path) -> dict[str, Any]:
            log = logs / (labels[p].replace("/", "__") + ".jsonl")
            return run_example(p, labels[p], log, options.timeout)

        with ThreadPoolExecutor(max(options.jobs, 1)) as pool:
            entries = list(pool.map(run, files))
    report(entries, options.list)


def _label(entry: dict[str, Any]) -> str:
    """The example's name, and the data it ran on when not its own."""
    data = entry.get("data")
    return f"{entry['example']} ({data})" if data else entry["example"]


def report(entries: list[dict[str, Any]], every: bool) -> None:
    counted = [e for e in entries if e["outcome"] in COUNTED]
    outcomes = Counter(e["outcome"] for e in counted)
    total = len(counted)
    print("# autograd's examples, first gradient answered by srcdiff\n")
    synthetic = sum(1 for e in counted if e.get("data"))
    print(
        f"{len(entries)} example files; {total} asked for a first-order reverse "
        f"gradient ({len(entries) - total} not counted, listed below)"
        + (f"; {synthetic} of them on synthetic MNIST" if synthetic else "")
        + "\n"
    )
    print("| outcome | examples | share |\n| --- | --- | --- |")
    for outcome in COUNTED:
        n = outcomes[outcome]
        if n or outcome != "timeout":
            print(f"| {outcome} | {n} | {100 * n / max(total, 1):.1f}% |")
    print("\n| example | operator | function | wrt | outcome | srcdiff s | detail |")
    print("| --- | --- | --- | --- | --- | --- | --- |")
    for e in sorted(counted, key=lambda e: (COUNTED.index(e["outcome"]), e["example"])):
        cells = [
            _label(e),
            e.get("operator", ""),
            e.get("fun", ""),
            f"{e.get('wrt', '')} (argnum {e.get('argnum', '')})",
            e["outcome"],
            str(e.get("srcdiff_s", "")),
            e["detail"],
        ]
        print("| " + " | ".join(c.replace("|", "\\|") for c in cells) + " |")
    print("\n## Not counted\n")
    print("| example | reason | detail |\n| --- | --- | --- |")
    for e in sorted(
        (e for e in entries if e["outcome"] not in COUNTED),
        key=lambda e: (EXCLUDED.index(e["outcome"]), e["example"]),
    ):
        detail = e["detail"].replace("|", "\\|")
        print(f"| {_label(e)} | {e['outcome']} | {detail} |")
    if every:
        print()
        for e in entries:
            print(json.dumps(e))


if __name__ == "__main__":
    main()
