"""Calls with effects: random draws, the clock, and seeding.

A pure call on plain values runs once while tracing and its result becomes a
constant of the derivative (``np.hanning(3)``). A call that draws random
numbers (``np.random.*``, the methods of a ``Generator``, a ``RandomState`` or
a ``random.Random``, Python's ``random.*``), reads the clock (``time.*``) or
changes such state (``np.random.seed``) must not: the function makes it afresh
on every call, so its derivative must too. Such a call becomes an IR
statement of an *effect* prim. While tracing it is evaluated once on the
example (on a copy of a generator argument, so tracing leaves the caller's
generator as it was); the emitted code makes the same call, once per gradient
call, and both sweeps read its one result. The statement has no gradient, and
is never folded into an expression, merged with an equal call, moved or
dropped: every draw changes the generator's state, so dropping or reordering
one would change the draws after it.

A generator the function reads by name from its closure or its module's
globals (``rs = npr.RandomState(0)`` around an objective) is an ``Outer``:
tracing draws from a copy of it, and the emitted function takes it as a
keyword-only parameter of that name, which the compiled gradient passes,
read again on every call.
"""

from __future__ import annotations

import ast
import contextlib
import copy
import random
import time
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from typing import Any

import numpy as np

from srcdiff.errors import Loc, TraceError, UnsupportedPrimitive
from srcdiff.ir.prims import NUMPY, Convert, Prim, call

# Objects that hold the state random draws advance.
GENERATORS = (np.random.Generator, np.random.RandomState, random.Random)
# The hidden generators behind the module functions (np.random.normal, ...).
_MODULE_GENERATORS = (np.random.mtrand._rand, random._inst)  # type: ignore[attr-defined]
# Modules whose every callable is an effect, how emitted code names each, and
# the import that name needs.
_MODULES = (
    (np.random, "np.random", NUMPY),
    (random, "random", "import random"),
    (time, "time", "import time"),
)
# Attributes a generator has and an array has not: ``rng.normal`` on a value
# no example gives is a draw, not an array method.
METHOD_NAMES = frozenset(
    name
    for kind in GENERATORS
    for name in dir(kind)
    if not name.startswith("_") and not hasattr(np.ndarray, name)
)
# Calls that change an argument in place, which SSA values cannot say.
_IN_PLACE = {"shuffle": "permutation"}

_prims: dict[str, Prim] = {}
_methods: dict[str, Callable[..., Any]] = {}
_by_function: dict[Any, Prim] = {}
# Prims that draw from (or seed) a module's hidden generator.
GLOBAL: set[Prim] = set()


def is_generator(value: Any) -> bool:
    return isinstance(value, GENERATORS)


def prim_for(fn: Any, loc: Loc | None) -> Prim | None:
    """The effect prim a call of ``fn`` binds, or None for any other callable."""
    try:
        prim = _by_function.get(fn)
    except TypeError:  # unhashable: no module function and no method of ours
        return None
    if prim is not None:
        return prim
    owner = getattr(fn, "__self__", None)
    if is_generator(owner) and not any(owner is g for g in _MODULE_GENERATORS):
        raise outer_generator(f"{type(owner).__name__} object", loc)
    name = getattr(fn, "__name__", None)
    if not isinstance(name, str):
        return None
    for module, path, imports in _MODULES:
        if getattr(module, name, None) is fn and callable(fn):
            prim = _prim(f"{path}.{name}", name, fn, call(f"{path}.{name}"), imports)
            _by_function[fn] = prim
            GLOBAL.add(prim)
            return prim
    return None


def method(name: str) -> Callable[..., Any]:
    """``rng.<name>(...)`` as a function of the generator and the arguments,
    which ``prim_for`` knows."""
    if name not in _methods:

        def impl(generator: Any, *args: Any, **kwargs: Any) -> Any:
            return getattr(generator, name)(*args, **kwargs)

        def render(args: tuple[Any, ...], kwargs: dict[str, Any], conv: Convert) -> Any:
            keywords = [ast.keyword(k, conv(v)) for k, v in kwargs.items()]
            attribute = ast.Attribute(conv(args[0]), name, ast.Load())
            return ast.Call(attribute, [conv(a) for a in args[1:]], keywords)

        _methods[name] = impl
        _by_function[impl] = _prim(f"method {name}", name, impl, render, "")
    return _methods[name]


def _prim(key: str, name: str, impl: Any, render: Any, imports: str) -> Prim:
    if key not in _prims:
        _prims[key] = Prim(
            name,
            impl,
            render,
            differentiable=False,
            imports=(imports,) if imports else (),
            effect=True,
        )
    return _prims[key]


def check_call(prim: Prim, loc: Loc | None) -> None:
    """Refuse a call that changes an argument in place (``rng.shuffle(a)``)."""
    if prim.name in _IN_PLACE:
        instead = _IN_PLACE[prim.name]
        raise UnsupportedPrimitive(
            f"{prim.name}() changes its argument in place, which srcdiff cannot "
            "follow: it traces values, not memory",
            loc,
            f"Use the version that returns a new array: `a = rng.{instead}(a)`.",
        )


def outer_generator(what: str, loc: Loc | None) -> TraceError:
    """A generator the function neither receives, makes, nor reads by name
    from its closure or globals: an object's attribute, a parameter's
    default, a bound method (``draw = rs.randn``). The emitted code has no
    name to draw from it by, and baking its draws would fix one sample
    forever."""
    return TraceError(
        f"{what} is a random generator the function reads from outside: the "
        "emitted gradient cannot draw from it (it stands alone), and a sample "
        "baked into it would be the same on every call",
        loc,
        "Pass the generator as an argument, `def f(x, rng): ... rng.normal(...)`, "
        "and call the gradient with it; or read it by name from a global or a "
        "closure variable (`rng.normal(...)`, the gradient then takes it as "
        "`rng=`); or make it inside the function (`rng = "
        "np.random.default_rng(0)`), or use np.random's functions.",
    )


@dataclass(eq=False)
class Outer:
    """A generator the function reads by name from its closure or globals.

    The emitted function takes it as a keyword-only parameter; the compiled
    gradient passes what ``read`` gives on each call (a rebound global is
    seen), as long as it is a generator of the traced kind."""

    name: str  # what the function calls it
    reader: str  # the function that reads it (f, or a function f calls)
    scope: str  # where that reads it from: "its closure", "module m", ...
    read: Callable[[], Any]
    kind: type  # RandomState, Generator or random.Random
    var: Any  # the Var standing for it; its value is the copy tracing draws from

    def current(self) -> Any:
        """The generator to draw from now, or None if the name no longer
        holds one of the traced kind."""
        try:
            value = self.read()
        except (NameError, AttributeError):  # deleted since tracing
            return None
        return value if type(value) is self.kind else None


def draw_needs_gradient(prim: Prim, loc: Loc | None) -> UnsupportedPrimitive:
    return UnsupportedPrimitive(
        f"{prim.name}() draws with arguments that depend on what is differentiated; "
        "srcdiff does not differentiate through a random draw",
        loc,
        "Reparameterise: draw noise that does not depend on it and transform it, "
        "e.g. `mu + sigma * rng.standard_normal(size)` instead of "
        "`rng.normal(mu, sigma)`.",
    )


def trace_value(value: Any, copies: dict[int, Any] | None = None) -> Any:
    """What tracing draws from in place of a generator: a copy, one per
    generator in ``copies`` (an argument the function also reads by name
    draws from one copy both ways, as the call draws from one generator)."""
    if copies is None:
        return copy.deepcopy(value)
    if id(value) not in copies:
        copies[id(value)] = copy.deepcopy(value)
    return copies[id(value)]


def generators_in(value: Any) -> Iterator[Any]:
    """The generators inside a nested argument value."""
    if is_generator(value):
        yield value
    elif isinstance(value, (list, tuple)):
        for item in value:
            yield from generators_in(item)
    elif isinstance(value, dict):
        for item in value.values():
            yield from generators_in(item)


def _state(generator: Any) -> tuple[Callable[[], Any], Callable[[Any], None]]:
    if isinstance(generator, np.random.Generator):
        bits = generator.bit_generator

        def set_bits(state: Any) -> None:
            bits.state = state

        return (lambda: bits.state), set_bits
    if isinstance(generator, np.random.RandomState):
        return generator.get_state, generator.set_state
    return generator.getstate, generator.setstate


def snapshot(generators: list[Any]) -> Callable[[], None]:
    """Record the generators' states now; the result puts them back."""
    saved = []
    for generator in generators:
        get, put = _state(generator)
        saved.append((put, copy.deepcopy(get())))

    def restore() -> None:
        for put, state in saved:
            put(state)

    return restore


@contextlib.contextmanager
def global_state_kept() -> Iterator[None]:
    """Tracing evaluates module-level draws (``np.random.randn``) on the
    example: leave NumPy's and Python's hidden generators as they were."""
    restore = snapshot(list(_MODULE_GENERATORS))
    try:
        yield
    finally:
        restore()


def module_generators() -> list[Any]:
    return list(_MODULE_GENERATORS)
