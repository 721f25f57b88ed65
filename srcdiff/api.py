"""``grad``, ``value_and_grad`` and ``print_source``: the in-process API.

A gradient function traces on its first call with the actual arguments,
compiles the emitted module, and caches one compiled derivative per ``Spec``.
When a guard in a compiled derivative fails (the inputs take another path),
it traces again on those inputs and keeps both versions. The cache holds the
``MAX_SPECS`` specialisations used most recently, ``MAX_PATHS`` paths each.
"""

from __future__ import annotations

import ast
import inspect
import types
from collections import OrderedDict
from collections.abc import Callable, Sequence
from dataclasses import replace
from typing import Any, overload

from srcdiff import notebook
from srcdiff.emit.format import header_lines, source_text
from srcdiff.errors import InvalidWrt, PathChanged, SrcdiffError, TraceError
from srcdiff.ir import effects
from srcdiff.ir.prims import numpy_path
from srcdiff.parse import datalists
from srcdiff.parse.source import parse, run_source, ufunc_function
from srcdiff.pipeline import Derivative, derive
from srcdiff.primitive import Primitive
from srcdiff.progress import Progress
from srcdiff.spec import (
    Spec,
    bind_arguments,
    call_key,
    data_lists,
    fact,
    make_spec,
    split_wrt,
    structure,
)

Wrt = str | int | Sequence[str | int] | None
# Specialisations a gradient function keeps (least recently used dropped
# first), and paths kept per specialisation (oldest dropped first): a
# training loop over ever new arguments holds at most this many derivatives.
MAX_SPECS = 16
MAX_PATHS = 8
# Call keys remembered (cleared when full): each maps a call to its spec.
MAX_KEYS = 256
_MISSED = object()


def compile_derivative(derivative: Derivative) -> Callable[..., Any]:
    """Compile the emitted module (via ``ast.unparse``; black is not needed)."""
    text = ast.unparse(derivative.emitted.module) + "\n"
    filename = f"<srcdiff {derivative.source.file}:{derivative.name}>"
    namespace: dict[str, Any] = {"__name__": "srcdiff_generated"}
    namespace.update(derivative.emitted.constants)
    run_source(text, filename, namespace)
    if "PathChanged" in namespace:
        namespace["PathChanged"] = PathChanged
    fn: Callable[..., Any] = _inlined_functions_left_out(
        namespace[derivative.name], derivative.program.statics
    )
    reads = derivative.emitted.constant_reads
    baked = derivative.outer_reads
    generators = derivative.generators
    if not reads and not baked and not generators:
        return fn

    def with_current_constants(*args: Any, **kwargs: Any) -> Any:
        """Globals and attributes the function reads may be rebound after
        tracing: use today's arrays, and trace again if their shape changed
        or if a number baked into the code changed. The generators it reads
        by name are passed as the keyword-only arguments the emitted
        function takes them as: the ones the names hold now."""
        for name, (read_number, value) in baked.items():
            if read_number() != value:
                raise PathChanged(name, f"is no longer {value!r}")
        for name, read in reads.items():
            current, traced = read(), namespace[name]
            if current is not traced:
                if fact(current) != fact(traced):
                    raise PathChanged(name, "changed its shape or dtype since tracing")
                namespace[name] = current
        drawn_from = {}
        for name, outer in generators.items():
            drawn_from[name] = outer.current()
            if drawn_from[name] is None:
                kind = outer.kind.__name__
                raise PathChanged(outer.name, f"no longer holds a {kind}")
        return fn(*args, **kwargs, **drawn_from)

    return with_current_constants


def _inlined_functions_left_out(
    fn: Callable[..., Any], statics: dict[str, Any]
) -> Callable[..., Any]:
    """A function argument the emitted code cannot name (the user's own) is
    traced through, so the code takes it as None (and refuses any other);
    grad() caches per function, so it passes None for it."""
    names = [
        name
        for name, value in statics.items()
        if callable(value) and not isinstance(value, type) and numpy_path(value) is None
    ]
    if not names:
        return fn
    signature = inspect.signature(fn)

    def without_functions(*args: Any, **kwargs: Any) -> Any:
        bound = signature.bind(*args, **kwargs)
        for name in names:
            bound.arguments.pop(name, None)
        return fn(*bound.args, **bound.kwargs)

    return without_functions


def resolve_wrt(fn: Any, wrt: Wrt, skip: int = 0) -> tuple[str, ...]:
    """Parameter names from a name, an index, or a sequence of them.

    The first ``skip`` parameters (a bound method's ``self``) are not counted.
    """
    source = parse(fn)
    args = source.node.args
    params = [a.arg for a in args.posonlyargs + args.args + args.kwonlyargs][skip:]
    positional = [a.arg for a in args.posonlyargs + args.args][skip:]
    stars = [a.arg for a in (args.vararg, args.kwarg) if a is not None]
    items = [0] if wrt is None else [wrt] if isinstance(wrt, (str, int)) else list(wrt)
    names = []
    for item in items:
        if isinstance(item, int) and not isinstance(item, bool):
            if args.vararg is not None and item >= len(positional):
                # def f(*args) and grad(f, wrt=0): the first positional
                # argument of the call, an item of the tuple args.
                names.append(f"{args.vararg.arg}[{item - len(positional)}]")
                continue
            if not -len(params) <= item < len(params):
                raise InvalidWrt(
                    f"wrt={item} is out of range: {source.name} has "
                    f"{len(params)} parameters",
                    source.loc(source.node),
                    f"Choose from: {', '.join(params + stars) or 'no parameters'}.",
                )
            names.append(params[item])
        elif isinstance(item, str) and split_wrt(item)[0] in params + stars:
            names.append(item)
        else:
            raise InvalidWrt(
                f"wrt={item!r} is not a parameter of {source.name}",
                source.loc(source.node),
                f"Choose from: {', '.join(params + stars) or 'no parameters'}.",
            )
    return tuple(names)


class GradFunction:
    """The derivative of a NumPy function; call it like the function itself."""

    # What it emits (``srcdiff.spec.MODES``); subclasses emit the others.
    mode = "grad"

    def __init__(
        self,
        fn: Any,
        wrt: Wrt,
        value: bool,
        unroll: bool | None = None,
        has_aux: bool = False,
        elementwise: bool = False,
    ) -> None:
        # A bound method: `self` is passed on every call, its arrays are constants.
        self._bound: tuple[Any, ...] = ()
        if isinstance(fn, types.MethodType):
            self._bound, fn = (fn.__self__,), fn.__func__
        fn = ufunc_function(fn) or fn  # grad(np.sqrt) differentiates np.sqrt
        if isinstance(fn, Primitive):  # and its own rules, a srcdiff.primitive
            fn = fn.caller()
        self.fn = fn
        self.wrt = resolve_wrt(fn, wrt, skip=len(self._bound))
        self.tuple_result = not isinstance(wrt, str | int | None)
        self.value = value
        self.unroll = unroll
        self.has_aux, self.elementwise = has_aux, elementwise
        suffix = "value_and_grad" if value else "grad"
        suffix = "elementwise_grad" if elementwise else suffix
        self.__name__ = f"{fn.__name__}_{suffix}"
        self.__doc__ = (
            f"Gradient of {fn.__name__} with respect to {', '.join(self.wrt)}."
        )
        self._paths: OrderedDict[Spec, list[tuple[Derivative, Callable[..., Any]]]] = (
            OrderedDict()
        )
        self._latest: Derivative | None = None
        # Int lists it only indexes are data (``srcdiff.parse.datalists``), until a
        # trace shows they cannot be.
        self.data = datalists.indexed_only(parse(fn).node)
        # The parameters positional arguments fill, for ``call_key``; none
        # (always the long way) for a function taking *args or **kwargs.
        params = inspect.signature(fn).parameters.values()
        starred = any(p.kind in (p.VAR_POSITIONAL, p.VAR_KEYWORD) for p in params)
        positional = (
            inspect.Parameter.POSITIONAL_ONLY,
            inspect.Parameter.POSITIONAL_OR_KEYWORD,
        )
        self._positional = (
            [] if starred else [p.name for p in params if p.kind in positional]
        )
        # call_key -> the structure(spec) it stands for.
        self._keys: dict[Any, Spec] = {}
        # The last plain call's key and the compiled derivative that answered
        # it (one that draws from no generator): a call with an equal key runs
        # it at once, and its guards send any other path the long way.
        self._last: tuple[Any, Callable[..., Any]] | None = None

    def spec(self, arguments: dict[str, Any] | None, unroll: bool | None) -> Spec:
        """What a derivative for these arguments is specialised on."""
        spec = make_spec(
            self.wrt, self.value, arguments, unroll, self.data, self.tuple_result
        )
        return replace(
            spec, mode=self.mode, has_aux=self.has_aux, elementwise=self.elementwise
        )

    def derive(self, spec: Spec, arguments: dict[str, Any] | None) -> Derivative:
        """Trace ``spec``; if reading its int lists as data fails, trace again
        with their values (and keep reading them so from then on)."""
        if not data_lists(spec):
            return derive(self.fn, spec, arguments)
        try:
            return derive(self.fn, spec, arguments)
        except SrcdiffError:
            values = replace(spec, facts=make_spec(spec.wrt, False, arguments).facts)
            derivative = derive(self.fn, values, arguments)
            self.data = frozenset()
            self._keys.clear()  # keys made while the lists were data
            self._last = None
            return derivative

    def __call__(self, *args: Any, **kwargs: Any) -> Any:
        last = self._last
        if (
            last is not None
            and not kwargs
            and call_key(self._positional, args, kwargs, self.data) == last[0]
        ):
            try:
                return last[1](*args)
            except PathChanged:
                pass
        return self._call(args, kwargs, {})

    def _call(
        self, args: tuple[Any, ...], kwargs: dict[str, Any], extra: dict[str, Any]
    ) -> Any:
        """Call the derivative for ``f(*args, **kwargs)``, passing it ``extra``
        (``srcdiff.jvp``'s tangents) by keyword."""
        args = (*self._bound, *args)
        quick = call_key(self._positional, args, kwargs, self.data)
        found = self._known_call(quick, args, kwargs, extra)
        if found is not _MISSED:
            return found
        arguments = self._arguments(args, kwargs)
        spec = self.spec(arguments, self.unroll)
        key = structure(spec)
        if quick is not None:
            if len(self._keys) >= MAX_KEYS:
                self._keys.clear()
            self._keys[quick] = key
        paths = self._paths.setdefault(key, [])
        self._paths.move_to_end(key)
        generators = list(effects.generators_in([args, kwargs]))
        for derivative, compiled in paths:
            # A path that fails a guard may have drawn already: put the
            # generators back, so that the path that runs draws what f would.
            hidden = effects.module_generators() if derivative.global_draws else []
            outer = [g.current() for g in derivative.generators.values()]
            restore = effects.snapshot(
                generators + hidden + [g for g in outer if g is not None]
            )
            try:
                result = compiled(*args, **kwargs, **extra)
            except PathChanged:
                restore()
                continue
            self._latest = derivative
            self._remember(quick, args, kwargs, extra, derivative, compiled)
            return result
        derivative = self.derive(spec, arguments)
        compiled = compile_derivative(derivative)
        if derivative.spec != spec:  # its lists read as values after all
            key = structure(derivative.spec)
            paths = self._paths.setdefault(key, [])
            self._paths.move_to_end(key)
        paths.append((derivative, compiled))
        del paths[:-MAX_PATHS]
        while len(self._paths) > MAX_SPECS:
            self._paths.popitem(last=False)
        self._latest = derivative
        result = compiled(*args, **kwargs, **extra)
        self._remember(quick, args, kwargs, extra, derivative, compiled)
        return result

    def _remember(
        self,
        quick: Any,
        args: tuple[Any, ...],
        kwargs: dict[str, Any],
        extra: dict[str, Any],
        derivative: Derivative,
        compiled: Callable[..., Any],
    ) -> None:
        """Keep what answered a plain call (positional arguments only, no
        bound ``self``, no generator drawn from) for ``__call__``'s quick way;
        after any other call, nothing (the latest derivative is that call's)."""
        plain = quick is not None and not kwargs and not extra and not self._bound
        draws = derivative.global_draws or derivative.generators
        self._last = (quick, compiled) if plain and not draws else None

    def _known_call(
        self, quick: Any, args: tuple[Any, ...], kwargs: Any, extra: dict[str, Any]
    ) -> Any:
        """The result from a derivative cached for calls keyed ``quick``, or
        ``_MISSED``. Only derivatives that draw from no generator run here:
        those need the generators put back when a path fails its guards."""
        key = self._keys.get(quick) if quick is not None else None
        paths = self._paths.get(key) if key is not None else None
        if not paths:
            return _MISSED
        self._paths.move_to_end(key)
        for derivative, compiled in paths:
            if derivative.global_draws or derivative.generators:
                return _MISSED
            try:
                result = compiled(*args, **kwargs, **extra)
            except PathChanged:
                continue
            self._latest = derivative
            self._remember(quick, args, kwargs, extra, derivative, compiled)
            return result
        return _MISSED

    def derivative(self, *args: Any, **kwargs: Any) -> Derivative:
        """The derivative for these arguments, or the shape-generic one."""
        if not args and not kwargs:
            if self._latest is not None:
                return self._latest
            bound = dict(zip(self._params(), self._bound, strict=False))
            spec = self.spec(None, self.unroll)
            return derive(self.fn, spec, None, bound)
        args = (*self._bound, *args)
        arguments = self._arguments(args, kwargs)
        return self.derive(self.spec(arguments, self.unroll), arguments)

    def _params(self) -> list[str]:
        return list(inspect.signature(self.fn).parameters)

    def _arguments(
        self, args: tuple[Any, ...], kwargs: dict[str, Any]
    ) -> dict[str, Any]:
        try:
            return bind_arguments(self.fn, args, kwargs)
        except TypeError as exc:
            source = parse(self.fn)
            raise TraceError(
                f"{self.__name__} takes the arguments of {source.name}: {exc}",
                source.loc(source.node),
                f"Call it as {source.name}{inspect.signature(self.fn)} is called.",
            ) from None

    @property
    def source(self) -> str:
        """The emitted module as text: the latest specialisation, or the generic one."""
        return render(self.derivative())

    def _repr_html_(self) -> str:
        return self._shown()[0]

    def _repr_markdown_(self) -> str:
        return self._shown()[1]

    def _shown(self) -> tuple[str, str]:
        params = ", ".join(self._params()[len(self._bound) :])
        return notebook.shown(lambda: self.source, self.fn.__name__, params)

    def __repr__(self) -> str:
        return f"<srcdiff gradient {self.__name__} of {self.fn.__qualname__}>"


def render(derivative: Derivative, command: str = "") -> str:
    source = derivative.source
    with Progress(f"{source.name} ({source.file})", "formatting"):
        return source_text(derivative.emitted, header_lines(derivative, command))


class SecondDerivative(GradFunction):
    """``grad(grad(f))``: the second derivative of ``f`` in one number, the
    Hessian-vector product along 1 (``Spec.mode == "grad2"``)."""

    mode = "grad2"

    def __init__(self, fn: Any, wrt: Wrt, unroll: bool | None = None) -> None:
        super().__init__(fn, wrt, value=False, unroll=unroll)
        self.__name__ = f"{self.fn.__name__}_grad_grad"
        self.__doc__ = f"Second derivative of {self.fn.__name__} in {self.wrt[0]}."


def _grad_of_grad(
    inner: GradFunction, wrt: Wrt, unroll: bool | None
) -> SecondDerivative:
    """``grad(grad(f))``: ``inner`` must be a plain gradient, and the outer
    ``wrt`` (if given) the argument it differentiates."""
    source = parse(inner.fn)
    if type(inner) is not GradFunction or inner.value or inner._bound:
        raise InvalidWrt(
            f"grad() of {inner!r}: srcdiff differentiates a gradient function "
            "only as grad(grad(f))",
            source.loc(source.node),
            "Use srcdiff.hvp or srcdiff.hessian for the second derivatives of "
            "other functions.",
        )
    if wrt is not None and resolve_wrt(inner.fn, wrt) != inner.wrt:
        raise InvalidWrt(
            f"grad(grad({source.name}), wrt={wrt!r}): the inner gradient is with "
            f"respect to {', '.join(inner.wrt)}",
            source.loc(source.node),
            "Leave out the outer wrt, or use srcdiff.hessian for mixed "
            "second derivatives.",
        )
    if len(inner.wrt) != 1:
        raise InvalidWrt(
            f"grad(grad({source.name})): the inner gradient is a tuple, not one "
            "number",
            source.loc(source.node),
            "Differentiate the inner gradient with respect to one number, or "
            "use srcdiff.hessian.",
        )
    unroll = inner.unroll if unroll is None else unroll
    return SecondDerivative(inner.fn, inner.wrt[0], unroll=unroll)


# A function to differentiate (and what decorating one gives).
Function = Callable[..., Any]
Decorator = Callable[[Function], GradFunction]


@overload
def grad(
    fn: Function,
    wrt: Wrt = None,
    unroll: bool | None = None,
    has_aux: bool = False,
) -> GradFunction: ...
@overload
def grad(
    fn: None = None,
    wrt: Wrt = None,
    unroll: bool | None = None,
    has_aux: bool = False,
) -> Decorator: ...
def grad(
    fn: Function | None = None,
    wrt: Wrt = None,
    unroll: bool | None = None,
    has_aux: bool = False,
) -> GradFunction | Decorator:
    """The gradient of scalar ``fn`` with respect to ``wrt`` (default: first parameter).

    Usable as ``grad(f)``, ``@grad`` and ``@grad(wrt="y")``. ``unroll=True``
    unrolls every loop whose trips are known, ``unroll=False`` keeps every
    loop it can rolled; by default short loops are unrolled. ``has_aux=True``:
    ``fn`` returns ``(loss, aux)`` and the gradient function ``(gradient, aux)``.
    ``grad(grad(f))`` of ``f`` of one number is its second derivative.
    """
    if fn is None:
        return lambda f: grad(f, wrt, unroll, has_aux)
    if isinstance(fn, GradFunction):
        return _grad_of_grad(fn, wrt, unroll)
    return GradFunction(fn, wrt, False, unroll, has_aux)


@overload
def value_and_grad(
    fn: Function,
    wrt: Wrt = None,
    unroll: bool | None = None,
    has_aux: bool = False,
) -> GradFunction: ...
@overload
def value_and_grad(
    fn: None = None,
    wrt: Wrt = None,
    unroll: bool | None = None,
    has_aux: bool = False,
) -> Decorator: ...
def value_and_grad(
    fn: Function | None = None,
    wrt: Wrt = None,
    unroll: bool | None = None,
    has_aux: bool = False,
) -> GradFunction | Decorator:
    """Like ``grad``, but the function returns ``(value, gradient)``; with
    ``has_aux=True``, ``((value, aux), gradient)``."""
    if fn is None:
        return lambda f: GradFunction(f, wrt, True, unroll, has_aux)
    return GradFunction(fn, wrt, True, unroll, has_aux)


@overload
def elementwise_grad(
    fn: Function, wrt: Wrt = None, unroll: bool | None = None
) -> GradFunction: ...
@overload
def elementwise_grad(
    fn: None = None, wrt: Wrt = None, unroll: bool | None = None
) -> Decorator: ...
def elementwise_grad(
    fn: Function | None = None, wrt: Wrt = None, unroll: bool | None = None
) -> GradFunction | Decorator:
    """The gradient of ``np.sum(fn(...))``, as autograd's: for an elementwise
    ``fn``, the derivative of each output element by its input element
    (``<f>_elementwise_grad``)."""
    if fn is None:
        return lambda f: GradFunction(f, wrt, False, unroll, elementwise=True)
    return GradFunction(fn, wrt, False, unroll, elementwise=True)


def print_source(g: GradFunction, *args: Any, **kwargs: Any) -> None:
    """Print the derivative's source: for these arguments, or as ``g.source``."""
    print(render(g.derivative(*args, **kwargs)), end="")
