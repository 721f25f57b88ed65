"""The stages in order: parse -> fence -> trace -> reverse -> simplify -> emit.

This module is the contents page: ``derive`` calls each stage once and
passes its typed result to the next.
"""

from __future__ import annotations

import ast
import copy
import inspect
import operator
import types
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any

import numpy as np

from srcdiff import simplify
from srcdiff.emit import dense
from srcdiff.emit.literals import literal
from srcdiff.emit.statements import Emitted, emit
from srcdiff.errors import InvalidWrt, NeedsExample, NonScalarOutput, SrcdiffError
from srcdiff.forward import inputs as forward_inputs
from srcdiff.forward import over_reverse
from srcdiff.forward.context import Context as ForwardContext
from srcdiff.forward.sweep import jvp
from srcdiff.ir import effects
from srcdiff.ir.nodes import UNKNOWN, Assign, Const, Program, Var, all_stmts, walk_vars
from srcdiff.ir.prims import PRIMS, numpy_path
from srcdiff.ir.values import shape_of
from srcdiff.parse import datalists, fence
from srcdiff.parse.source import Source, parse
from srcdiff.progress import Progress
from srcdiff.reverse.backprop import gradients
from srcdiff.reverse.context import Context
from srcdiff.spec import Spec, data_lists, split_wrt
from srcdiff.trace import entry
from srcdiff.trace.builder import Builder
from srcdiff.trace.tracer import Tracer


@dataclass
class Derivative:
    source: Source
    spec: Spec
    program: Program
    emitted: Emitted
    # Numbers read from globals and attributes, baked into the derivative.
    outer_reads: dict[str, tuple[Callable[[], Any], Any]]
    # Whether it draws from np.random's or Python's hidden generator.
    global_draws: bool = False
    # Generators read by name from a closure or globals, by the name of the
    # keyword-only parameter the emitted function takes each as.
    generators: dict[str, effects.Outer] = field(default_factory=dict)

    @property
    def name(self) -> str:
        return self.emitted.name


def derive(
    fn: types.FunctionType,
    spec: Spec,
    arguments: dict[str, Any] | None,
    bound: dict[str, Any] | None = None,
) -> Derivative:
    """Trace ``fn`` (on ``arguments`` if given) and emit its derivative.

    ``bound`` holds parameters fixed in every case, such as a bound method's
    ``self``, whose array attributes are read as constants.
    """
    source = parse(fn)
    fence.check(source, differentiated=True)
    _check_no_generator_defaults(source, fn)
    params = _param_names(source)

    def traced_inputs() -> tuple[dict[str, Any], dict[int, Any]]:
        """Fresh inputs for one trace, and its copy of each generator."""
        copies: dict[int, Any] = {}
        inputs = make_inputs(params, arguments, fn, data_lists(spec), copies)
        return inputs | (bound or {}), copies

    inputs, copies = traced_inputs()
    _check_wrt(source, spec.wrt, params, inputs)

    with Progress(f"{source.name} ({source.file})", "tracing") as progress:
        if _of_numbers(spec, inputs):
            try:
                return _derive(
                    fn, source, spec, params, inputs, copies, progress, tangent=True
                )
            except SrcdiffError:  # no tangent rule, say: reverse mode, anew
                inputs, copies = traced_inputs()
        return _derive(fn, source, spec, params, inputs, copies, progress)


def _of_numbers(spec: Spec, inputs: dict[str, Any]) -> bool:
    """Whether the gradient is the derivative of a function of numbers (no
    arrays in) along one real number: forward mode gives it in one sweep
    with no saved values, as a person writes ``d/dx`` of a series, where
    reverse mode needs two and a list of every trip's values."""
    if spec.mode != "grad" or spec.elementwise or len(spec.wrt) != 1:
        return False
    wrt = inputs.get(spec.wrt[0])  # a parameter itself, not an item of one
    leaves = [leaf for value in inputs.values() for leaf in walk_vars(value)]
    return (
        isinstance(wrt, Var)
        and isinstance(wrt.value, (float, np.floating))
        and all(leaf.known and np.ndim(leaf.value) == 0 for leaf in leaves)
    )


def _derive(
    fn: types.FunctionType,
    source: Source,
    spec: Spec,
    params: list[str],
    inputs: dict[str, Any],
    copies: dict[int, Any],
    progress: Progress,
    tangent: bool = False,
) -> Derivative:
    """``derive`` once its inputs are made, reporting on ``progress``.
    ``tangent``: the gradient along one number, by forward mode."""
    tracer = Tracer(Builder())
    tracer.progress = progress.step
    tracer.generator_copies = copies
    tracer.unroll = spec.unroll
    arrays = {
        name: [
            leaf
            for leaf in walk_vars(inputs[name])
            if isinstance(leaf.value, (np.ndarray, np.generic))
        ]
        for name in params
    }
    wrt = [_wrt_value(source, inputs, item) for item in spec.wrt]
    locs = {name: source.loc(_param_node(source, name)) for name in params}
    forward = spec.mode in ("jvp", "jacobian") or tangent
    second = spec.mode in ("hvp", "hessian", "grad2")
    if spec.mode in ("jacobian", "hessian", "grad2"):
        _check_dense_wrt(source, spec, wrt, locs)
    tangents_in = (
        forward_inputs.inputs(spec.wrt, wrt, params, vectors=second)
        if spec.mode in ("jvp", "jacobian", "hvp", "hessian")
        else {}
    )
    for leaf in (leaf for leaves in arrays.values() for leaf in leaves):
        tracer.builder.input_sizes(leaf)
    tracer.builder.mark_entry()
    entry_at = len(tracer.builder.stmts)
    with effects.global_state_kept():  # draws made while tracing are not kept
        output = tracer.run_top(source, inputs)
        aux = None
        if spec.has_aux:
            output, aux = _split_aux(source, output)
        if spec.elementwise:  # the gradient of np.sum(f(x))
            output = tracer.builder.bind(
                PRIMS[np.sum], (output,), loc=output_loc(output)
            )
        if spec.mode == "grad":
            _check_scalar(source, output)
            _check_dimensions(source, tracer, output)
            _guard_scalar(source, tracer, output)
        if isinstance(output, Var) and output.kind == "temp":
            output.hint, output.kind = source.name, "user"
        backward_start: int | None = len(tracer.builder.stmts)
        progress.enter("differentiating")
        if forward:
            forward_inputs.name_after_primals(tangents_in)
            context = ForwardContext(tracer.builder, tracer.run_rule)
            seeds = [1.0] if tangent else list(tangents_in.values())
            derivative = jvp(context, output, wrt, seeds)
        else:
            grads = gradients(Context(tracer.builder, tracer.run_rule), output, wrt)
        if second:
            forward_inputs.name_after_primals(tangents_in, prefix="v_")
            context = ForwardContext(
                tracer.builder, tracer.run_rule, "tangent", source.loc(source.node)
            )
            vectors = list(tangents_in.values()) or [1.0] * len(wrt)
            grads = over_reverse.hvp(context, grads, wrt, vectors)
            if spec.mode == "grad2":
                over_reverse.name_second(grads[0], source.name)
        checks = entry.checks(tracer.builder, arrays, locs)
        if spec.mode == "grad2":
            checks += _scalar_checks(tracer.builder, spec, wrt, locs)
        if tangents_in:
            checks += forward_inputs.shape_checks(
                tracer.builder,
                tangents_in,
                spec.wrt,
                wrt,
                [locs[split_wrt(item)[0]] for item in spec.wrt],
            )
        tracer.builder.stmts[entry_at:entry_at] = checks
        backward_start = (
            None if forward or second else len(checks) + (backward_start or 0)
        )
    if tangent:
        result: Any = (derivative,) if spec.tuple_result else derivative
    elif forward:
        result = (output, derivative)
    else:
        result = tuple(grads) if len(grads) != 1 or spec.tuple_result else grads[0]
    value = (output, aux) if spec.has_aux else output
    if spec.value:
        result = (value, result)
    elif spec.has_aux:
        result = (result, aux)
    statics = {
        name: inputs[name]
        for name in params
        if (name in tracer.static_reads or _is_function(inputs[name]))
        and not isinstance(inputs[name], Var)
    }
    program = Program(
        source.name,
        params + list(tangents_in),
        inputs | tangents_in,
        tracer.builder.stmts,
        result,
        statics,
        backward_start,
    )
    progress.enter("simplifying")
    program = simplify.run(program)
    plain = _signature(source, fn, statics)  # f's parameters
    signature = (
        forward_inputs.signature(plain, list(tangents_in)) if tangents_in else plain
    )
    name, doc = _titled(source.name, spec, tangents_in)
    progress.enter("emitting")
    emitted = emit(program, name, doc, signature)
    if spec.mode in ("jacobian", "hessian"):
        vector = next(iter(tangents_in))
        emitted = dense.append(
            emitted, spec.mode, source.name, spec.wrt[0], plain, vector
        )
    global_draws = any(
        isinstance(s, Assign) and s.prim in effects.GLOBAL
        for s in all_stmts(program.stmts)
    )
    outers = {outer.var: outer for outer in tracer.outer_generators.values()}
    generators = {name: outers[var] for name, var in emitted.generators.items()}
    return Derivative(
        source,
        spec,
        program,
        emitted,
        tracer.outer_reads,
        global_draws,
        generators,
    )


def _titled(fn_name: str, spec: Spec, tangents: dict[str, Any]) -> tuple[str, str]:
    """The emitted function's name and docstring (for a dense Jacobian or
    Hessian, those of the function its columns come from)."""
    wrt = ", ".join(spec.wrt)
    if spec.mode in ("jvp", "jacobian"):
        return f"{fn_name}_jvp", forward_inputs.docstring(fn_name, tangents)
    if spec.mode in ("hvp", "hessian"):
        vectors = ", ".join(tangents)
        return f"{fn_name}_hvp", f"Hessian of {fn_name} in {wrt}, times {vectors}."
    if spec.mode == "grad2":
        return f"{fn_name}_grad_grad", f"Second derivative of {fn_name} in {wrt}."
    suffix = "value_and_grad" if spec.value else "grad"
    what = "Value and gradient" if spec.value else "Gradient"
    of = fn_name
    if spec.elementwise:
        suffix, of = "elementwise_grad", f"np.sum({fn_name}(...))"
    doc = f"{what} of {of} with respect to {wrt}"
    doc += f", and {fn_name}'s aux output." if spec.has_aux else "."
    return f"{fn_name}_{suffix}", doc


def _check_dense_wrt(
    source: Source, spec: Spec, wrt: list[Any], locs: dict[str, Any]
) -> None:
    """A dense Jacobian or Hessian, and ``grad(grad(f))``, are taken with
    respect to arrays or numbers (a column per element), not containers;
    ``grad(grad(f))`` with respect to one number."""
    if len(spec.wrt) != 1:
        raise InvalidWrt(
            f"srcdiff.{_FRONT[spec.mode]} takes one wrt argument, not "
            f"{len(spec.wrt)}",
            locs[split_wrt(spec.wrt[1])[0]],
            "Take the derivative with respect to one argument at a time (the "
            "mixed blocks come from srcdiff.hvp with several wrt).",
        )
    for item, value in zip(spec.wrt, wrt, strict=True):
        loc = locs[split_wrt(item)[0]]
        if not isinstance(value, Var):
            raise InvalidWrt(
                f"wrt={item!r} holds a {type(value).__name__}; "
                f"srcdiff.{_FRONT[spec.mode]} takes arrays or numbers",
                loc,
                "Differentiate with respect to one array (e.g. params['W1']), or "
                "use srcdiff.hvp / srcdiff.jvp, which take containers.",
            )
        if spec.mode == "grad2" and value.known and np.ndim(value.value) != 0:
            raise NonScalarOutput(
                f"grad({source.name}) returns an array of shape "
                f"{np.shape(value.value)}; grad(grad({source.name})) needs it to "
                "be one number",
                loc,
                f"Pass {item} as a number, or use srcdiff.hessian for the matrix "
                "of second derivatives.",
            )


_FRONT = {"jacobian": "jacobian", "hessian": "hessian", "grad2": "grad(grad(f))"}


def _scalar_checks(
    builder: Builder, spec: Spec, wrt: list[Any], locs: dict[str, Any]
) -> list[Any]:
    """Without an example, ``<f>_grad_grad`` checks that its ``wrt`` argument
    is one number (its first derivative must be one)."""
    out: list[Any] = []
    with builder.block(out, builder.entry_seen):
        for item, value in zip(spec.wrt, wrt, strict=True):
            if value.known or shape_of(value) == ():
                continue
            loc = locs[split_wrt(item)[0]]
            ndim = builder.bind(PRIMS[np.ndim], (value,), loc=loc)
            scalar = builder.bind(PRIMS[operator.eq], (ndim, 0), loc=loc)
            what = f"{item} is an array, but grad(grad(f)) needs one number"
            builder.guard(scalar, True, loc, what, message=what)
    return out


def _check_no_generator_defaults(source: Source, fn: Any) -> None:
    """A generator as a parameter's default is one object made when the
    function was defined: a standalone file cannot hold it."""
    args = source.node.args
    positional = args.posonlyargs + args.args
    defaults = list(fn.__defaults__ or ())
    pairs = list(
        zip(positional[len(positional) - len(defaults) :], defaults, strict=True)
    )
    kwdefaults = fn.__kwdefaults__ or {}
    pairs += [(a, kwdefaults[a.arg]) for a in args.kwonlyargs if a.arg in kwdefaults]
    for arg, default in pairs:
        if effects.is_generator(default):
            raise effects.outer_generator(
                f"the default value of `{arg.arg}`", source.loc(arg)
            )


def _param_names(source: Source) -> list[str]:
    """Every parameter, ``*args`` (a tuple) and ``**kwargs`` (a dict) too."""
    args = source.node.args
    named = args.posonlyargs + args.args + [args.vararg] + args.kwonlyargs
    return [a.arg for a in [*named, args.kwarg] if a is not None]


def make_inputs(
    params: list[str],
    arguments: dict[str, Any] | None,
    fn: Any,
    data: frozenset[str] = frozenset(),
    copies: dict[int, Any] | None = None,
) -> dict[str, Any]:
    """What each parameter holds at trace time: Vars for data, values for the
    rest; the int lists named in ``data`` are data (``srcdiff.parse.datalists``).
    A generator is a copy, one per generator in ``copies``."""
    if arguments is None:
        defaults = _defaults(fn)
        return {
            name: (
                defaults[name]
                if name in defaults and _is_static(defaults[name])
                else Var(name, UNKNOWN, kind="param")
            )
            for name in params
        }
    return {
        name: (
            Var(name, datalists.as_array(arguments[name]), kind="param")
            if name in data
            else _input(name, arguments[name], (), copies)
        )
        for name in params
    }


def _input(
    name: str,
    value: Any,
    path: tuple[Any, ...],
    copies: dict[int, Any] | None = None,
) -> Any:
    if isinstance(value, (np.ndarray, np.generic, float, complex)) and not isinstance(
        value, bool
    ):
        if not path:
            return Var(name, value, kind="param")
        return Var("_".join([name, *map(str, path)]), value, kind="leaf", path=path)
    if effects.is_generator(value):  # tracing draws from a copy of it
        kind = "leaf" if path else "param"
        hint = "_".join([name, *map(str, path)])
        return Var(hint, effects.trace_value(value, copies), kind=kind, path=path)
    if isinstance(value, (list, tuple)):
        return type(value)(
            _input(name, v, (*path, i), copies) for i, v in enumerate(value)
        )
    if isinstance(value, dict):
        return {k: _input(name, v, (*path, k), copies) for k, v in value.items()}
    return value


def _is_static(value: Any) -> bool:
    """A default taken as it is without an example: a plain value, or a
    function (``nonlinearity=np.tanh``), which no example could stand for."""
    return value is None or isinstance(value, (bool, int, str)) or callable(value)


def _defaults(fn: Any) -> dict[str, Any]:
    return {
        name: p.default
        for name, p in inspect.signature(fn).parameters.items()
        if p.default is not inspect.Parameter.empty
    }


def _check_wrt(
    source: Source, wrt: tuple[str, ...], params: list[str], inputs: dict[str, Any]
) -> None:
    for item in wrt:
        name = split_wrt(item)[0]
        loc = source.loc(_param_node(source, name))
        if name not in params:
            raise InvalidWrt(
                f"wrt={name!r} is not a parameter of {source.name}",
                loc,
                f"Choose from: {', '.join(params)}.",
            )
        value = _wrt_value(source, inputs, item)
        leaves = list(walk_vars(value))
        empty = isinstance(value, (list, tuple, dict)) and not value  # gradient: {}
        if not leaves and not empty:
            raise InvalidWrt(
                f"wrt={item!r} holds {value!r}, which has no gradient",
                loc,
                "Differentiate with respect to a float array or float argument; "
                "pass ints as floats (e.g. 2.0) if you want their gradient.",
            )
        for leaf in leaves:
            if leaf.known and not np.issubdtype(leaf.dtype, np.inexact):
                raise InvalidWrt(
                    f"wrt={name!r} has dtype {leaf.dtype}, which has no gradient",
                    loc,
                    f"Convert it first, e.g. {name}.astype(float), or pick another "
                    "argument.",
                )


def _wrt_value(source: Source, inputs: dict[str, Any], item: str) -> Any:
    """The value ``wrt`` names: a parameter, or a leaf like ``params['W1']``."""
    name, path = split_wrt(item)
    value = inputs[name]
    for key in path:
        if isinstance(value, Var) and not value.known:
            raise NeedsExample(
                f"wrt={item!r} names an item of {name}, whose items only the "
                "arguments of a call show",
                source.loc(_param_node(source, name)),
                "Call the gradient with arguments (grad(f, wrt=...)(x, y) traces "
                "on them) or pass --example MODULE:CALLABLE to srcdiff emit; "
                f"without them, differentiate with respect to all of {name}.",
            )
        try:
            value = value[key]
        except (KeyError, IndexError, TypeError):
            raise InvalidWrt(
                f"wrt={item!r}: {name} has no item {key!r}",
                source.loc(_param_node(source, name)),
                "Name an item the argument holds, e.g. params['W1'] or params[0].",
            ) from None
    return value


def _param_node(source: Source, name: str) -> ast.AST:
    """The parameter's own node, so that a caret points at it."""
    args = source.node.args
    every = [*args.posonlyargs, *args.args, args.vararg, *args.kwonlyargs, args.kwarg]
    for arg in every:
        if arg is not None and arg.arg == name:
            return arg
    return source.node


def _check_scalar(source: Source, output: Any) -> None:
    """One number: a scalar, or an array holding one (shape (1,) or (1, 1), as
    autograd takes it; the seed 1.0 broadcasts to it)."""
    if isinstance(output, Var) and output.known and np.size(output.value) != 1:
        raise NonScalarOutput(
            f"{source.name} returns an array of shape {np.shape(output.value)}; "
            "a gradient needs one number",
            output.loc,
            "Reduce the result to a scalar, e.g. return np.sum(...) or np.mean(...), "
            "or differentiate one element of it.",
        )
    number = isinstance(output, (int, float, np.floating, np.integer))
    if not isinstance(output, Var) and not (number and not isinstance(output, bool)):
        raise NonScalarOutput(
            f"{source.name} returns {_describe(output)}; a gradient needs one number",
            output_loc(output) or source.loc(source.node),
            "Return a single scalar, e.g. np.sum(...) of the arrays.",
        )


def _split_aux(source: Source, output: Any) -> tuple[Any, Any]:
    """``(loss, aux)`` from a function differentiated with ``has_aux=True``."""
    if isinstance(output, tuple) and len(output) == 2:
        return output
    what = f"a tuple of {len(output)}" if isinstance(output, tuple) else "one value"
    raise NonScalarOutput(
        f"{source.name} returns {what}; with has_aux=True it returns a pair "
        "(loss, aux)",
        output_loc(output) or source.loc(source.node),
        "Return the loss and what else you want back: return loss, aux.",
    )


def _describe(value: Any) -> str:
    if isinstance(value, (list, tuple, dict)):
        return f"a {type(value).__name__}"
    return "None" if value is None else f"a {type(value).__name__} value"


def _check_dimensions(source: Source, tracer: Tracer, output: Any) -> None:
    """Without an example, refuse an output the trace shows to be an array
    (``np.outer(x, x)``, ``x[None]``, ``np.stack(...)``): a file whose scalar
    check always fails is no gradient. Where the statements cannot tell
    (``np.sum(x, axis=0)`` of an ``x`` of unknown rank), the emitted code
    checks it (``_guard_scalar``)."""
    if not isinstance(output, Var) or output.known:
        return
    ndim = min_ndim(output, tracer.builder.defs)
    if ndim == 0:
        return
    raise NonScalarOutput(
        f"{source.name} returns an array of at least {ndim} dimension"
        f"{'s' if ndim > 1 else ''} for any arguments; a gradient needs one number",
        output.loc or source.loc(source.node),
        "Reduce the result to a scalar, e.g. return np.sum(...) or np.mean(...), "
        "or differentiate one element of it.",
    )


# How far back min_ndim follows a value's definitions (several Python frames
# a step): deeper, it says 0 and the emitted code checks the output instead.
_DEPTH = 60


def min_ndim(
    value: Any, defs: dict[Var, Any], depth: int = 0, seen: dict[Var, int] | None = None
) -> int:
    """A lower bound on the number of dimensions ``value`` has for any
    arguments, from the statements that computed it (0 when they do not say).
    ``seen`` remembers each value's bound: a value read twice by each step of
    a long chain (``x = x + f(x)``) is worked out once, not 2**steps times."""
    seen = {} if seen is None else seen
    if isinstance(value, Var) and value in seen:
        return seen[value]
    bound = _min_ndim(value, defs, depth, seen)
    if isinstance(value, Var):
        seen[value] = bound
    return bound


def _min_ndim(
    value: Any, defs: dict[Var, Any], depth: int, seen: dict[Var, int]
) -> int:
    if isinstance(value, Const):
        return int(np.ndim(value.value))
    if isinstance(value, (list, tuple)):  # a list standing for an array
        items = [min_ndim(v, defs, depth + 1, seen) for v in value]
        return 1 + max(items, default=0)
    if not isinstance(value, Var):
        return 0
    if value.known:
        return int(np.ndim(value.value))
    stmt = defs.get(value)
    if stmt is None or depth > _DEPTH or not hasattr(stmt, "prim"):
        return 0
    prim, args, kwargs = stmt.prim, stmt.args, stmt.kwargs

    def of(v: Any) -> int:
        return min_ndim(v, defs, depth + 1, seen)

    if prim.shape == "same":
        return of(args[0])
    if prim.shape == "broadcast":
        return max((of(a) for a in (*args, *kwargs.values())), default=0)
    if prim.shape == "reduction":
        return _reduced_ndim(of(args[0]), args, kwargs)
    name = prim.name
    if name == "getitem":
        return _indexed_ndim(of(args[0]), args[1])
    if name in _EXACTLY:
        return _EXACTLY[name]
    if name in _AT_LEAST:
        return max(_AT_LEAST[name], of(args[0]))
    if name in ("array", "asarray"):  # of a list: one more than its items
        return of(args[0])
    if name in ("stack", "concatenate", "hstack"):
        seq = args[0] if isinstance(args[0], (list, tuple)) else ()
        items = max((of(v) for v in seq), default=0)
        axis = args[1] if len(args) > 1 else kwargs.get("axis", 0)
        if name == "concatenate" and axis is None:  # flattened first
            return 1
        return items + 1 if name == "stack" else max(items, 1)
    if name == "expand_dims":
        axis = args[1] if len(args) > 1 else kwargs.get("axis", 0)
        return of(args[0]) + (len(axis) if isinstance(axis, (tuple, list)) else 1)
    if name in ("reshape", "broadcast_to", "zeros", "ones", "empty", "full"):
        shape = args[1] if name in ("reshape", "broadcast_to") else args[0]
        return _shape_ndim(shape, defs, of)
    if name in _KEEPS_NDIM:
        return of(args[0])
    if name in ("matmul", "dot"):
        a, b = of(args[0]), of(args[1])
        if name == "matmul":
            return max(a, b) if min(a, b) >= 2 else max(a, b, 1) - 1
        return max(a + b - 2, 0)
    if name == "kron":
        return max(of(args[0]), of(args[1]))
    return 0


# Results with at least this many dimensions, whatever the arguments.
_EXACTLY = {
    "outer": 2,
    "vstack": 2,
    "column_stack": 2,
    "dstack": 3,
    "ravel": 1,
    "diag": 1,  # at least: 2 from a vector, 1 from a matrix
    "eye": 2,
    "identity": 2,
}
# Results with at least this many dimensions, and as many as their first
# argument has.
_AT_LEAST = {"atleast_1d": 1, "atleast_2d": 2, "atleast_3d": 3, "tril": 2, "triu": 2}
# Results with as many dimensions as their first argument.
_KEEPS_NDIM = frozenset(
    {"transpose", "swapaxes", "moveaxis", "rollaxis", "clip", "rot90", "pad"}
)


def _reduced_ndim(ndim: int, args: tuple[Any, ...], kwargs: dict[str, Any]) -> int:
    if kwargs.get("keepdims"):
        return ndim
    axis = args[1] if len(args) > 1 else kwargs.get("axis")
    if axis is None or isinstance(axis, Var):
        return 0
    return max(ndim - (len(axis) if isinstance(axis, (tuple, list)) else 1), 0)


def _indexed_ndim(ndim: int, index: Any) -> int:
    """``x[None]`` adds an axis, ``x[:, 0]`` keeps one and drops one."""
    parts = index if isinstance(index, tuple) else (index,)
    added = sum(p is None for p in parts)
    kept = sum(isinstance(p, slice) for p in parts)
    dropped = sum(
        (isinstance(p, (int, np.integer)) and not isinstance(p, bool))
        or (isinstance(p, Var) and p.sym == ())
        for p in parts
    )
    simple = added + kept + dropped + sum(p is Ellipsis for p in parts) == len(parts)
    return max(added + kept, ndim - dropped + added if simple else 0)


def _shape_ndim(shape: Any, defs: dict[Var, Any], of: Callable[[Any], int]) -> int:
    """How many dimensions a shape argument gives: ``(n, 3)``, ``-1``,
    ``np.shape(x)``."""
    if isinstance(shape, (tuple, list)):
        return len(shape)
    if isinstance(shape, (int, np.integer)):
        return 1
    stmt = defs.get(shape) if isinstance(shape, Var) else None
    if stmt is not None and getattr(stmt, "prim", None) is PRIMS[np.shape]:
        return of(stmt.args[0])
    return 0


def _guard_scalar(source: Source, tracer: Tracer, output: Any) -> None:
    """Without an example, the emitted code checks that the output is a scalar."""
    if not isinstance(output, Var) or output.known or shape_of(output) == ():
        return
    ndim = tracer.builder.bind(PRIMS[np.ndim], (output,), loc=output.loc)
    scalar = tracer.builder.bind(PRIMS[operator.eq], (ndim, 0), loc=output.loc)
    what = f"{source.name} returned an array, but a gradient needs one number"
    tracer.builder.guard(scalar, True, output.loc, what, message=what)


def output_loc(output: Any) -> Any:
    return next((v.loc for v in walk_vars(output) if v.loc), None)


def _signature(source: Source, fn: Any, statics: dict[str, Any]) -> ast.arguments:
    """The user's parameters, defaults kept where they are plain values. A
    function argument traced through that the file cannot name defaults to
    None (the code checks it is None: the function is inlined)."""
    node = source.node
    args = copy.deepcopy(node.args)
    for arg in args.posonlyargs + args.args + args.kwonlyargs:
        arg.annotation = None
    inlined = {name for name, value in statics.items() if _is_function(value)} - {
        name for name, value in statics.items() if numpy_path(value)
    }

    def default(name: str, value: Any) -> ast.expr:
        return ast.Constant(None) if name in inlined else _default(value)

    defaults = list(fn.__defaults__ or ())
    positional = [a.arg for a in args.posonlyargs + args.args]
    named = positional[len(positional) - len(defaults) :]
    args.defaults = [default(n, v) for n, v in zip(named, defaults, strict=True)]
    kwdefaults = fn.__kwdefaults__ or {}
    args.kw_defaults = [
        default(a.arg, kwdefaults[a.arg]) if a.arg in kwdefaults else None
        for a in args.kwonlyargs
    ]
    if args.vararg:
        args.vararg.annotation = None
    if args.kwarg:
        args.kwarg.annotation = None
    return args


def _is_function(value: Any) -> bool:
    """A function passed as an argument (``nl=np.tanh``) is traced through, so
    the derivative is specialised on it (and emitted files check it)."""
    return isinstance(value, (types.FunctionType, types.BuiltinFunctionType, np.ufunc))


def _default(value: Any) -> ast.expr:
    try:
        return literal(value)
    except TypeError:
        return ast.Constant(None)
