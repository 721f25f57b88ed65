"""``@srcdiff.primitive``: a user's NumPy function taken as one step.

srcdiff does not trace inside it: a call is one IR statement, differentiated
by the rules its author gives (``defvjp`` for reverse mode, ``defjvp`` for
forward mode, autograd's and JAX's conventions). The emitted file holds plain
copies of the function and of its rules and calls them by name.
"""

from __future__ import annotations

import functools
import inspect
from collections.abc import Callable
from typing import Any

from srcdiff.ir.prim import Prim
from srcdiff.ir.prims import call, register
from srcdiff.parse.source import run_source
from srcdiff.rules.registry import RULES, TANGENTS, WANTED


class Primitive:
    """A function srcdiff calls as it is, with the derivative rules given."""

    def __init__(self, fn: Callable[..., Any]) -> None:
        functools.update_wrapper(self, fn)
        self.fn = fn
        self.params = list(inspect.signature(fn).parameters)
        self._caller: Callable[..., Any] | None = None
        self.prim = register(_copied(fn, fn.__name__, ""), self)
        name, args = fn.__name__, ", ".join(self.params)
        WANTED[self.prim] = {
            "vjp": f"Give it a reverse-mode rule: {name}.defvjp(rule), with "
            f"rule(g, ans, {args}) returning one cotangent per argument.",
            "jvp": f"Give it forward-mode rules: {name}.defjvp(rule, ...), one "
            f"rule(t, ans, {args}) per argument, returning its tangent share.",
        }

    def __call__(self, *args: Any, **kwargs: Any) -> Any:
        return self.fn(*args, **kwargs)

    def defvjp(self, rule: Callable[..., Any]) -> Callable[..., Any]:
        """``rule(g, ans, *args)`` returns the cotangent of each argument (a
        lone value for a function of one parameter, else a tuple; None for an
        argument without one). Returns ``rule``, so it works as a decorator."""
        count = len(self.params)
        name = _name(rule, f"{self.fn.__name__}_vjp")
        register(_copied(rule, name, "cotangents", count if count > 1 else 0), rule)
        RULES[self.prim] = rule
        return rule

    def defjvp(self, *rules: Callable[..., Any] | None) -> None:
        """One ``rule(t, ans, *args)`` per argument (None for one without a
        tangent): the share of the result's tangent that argument's tangent
        ``t`` gives."""
        shares = TANGENTS.setdefault(self.prim, {})
        for position, rule in enumerate(rules):
            if rule is not None:
                name = _name(rule, f"{self.fn.__name__}_jvp_{self.params[position]}")
                register(_copied(rule, name, "tangent"), rule)
                shares[position] = rule

    def caller(self) -> Callable[..., Any]:
        """``def f(x): return f(x)`` with this primitive as the ``f`` called,
        so that ``grad(f)`` of the primitive itself uses its rules; its source
        is in linecache, as ``grad(np.tanh)``'s is. The function itself where
        its defaults have no source form."""
        if self._caller is None:
            name = self.fn.__name__
            filename = f"<srcdiff.primitive {self.fn.__module__}.{name}>"
            text = _caller_source(name, inspect.signature(self.fn))
            namespace: dict[str, Any] = {_CALLED: self}
            try:
                run_source(text, filename, namespace)
            except (SyntaxError, NameError):  # a default such as an object's repr
                return self.fn
            self._caller = namespace[name]
        return self._caller


# What a primitive's caller() calls it by.
_CALLED = "primitive_"


def primitive(fn: Callable[..., Any]) -> Primitive:
    """Decorate a NumPy function so that srcdiff calls it as one step."""
    return Primitive(fn)


def _copied(fn: Callable[..., Any], name: str, shape: str, arity: int = 0) -> Prim:
    """A call of ``fn`` as ``name``, its source copied into emitted files."""
    return Prim(name, fn, call(name), shape=shape, arity=arity, copied=fn)


def _name(rule: Callable[..., Any], fallback: str) -> str:
    """A rule's own name; a lambda's copy is a def named ``fallback``."""
    name = getattr(rule, "__name__", "")
    return name if name.isidentifier() else fallback


def _caller_source(name: str, signature: inspect.Signature) -> str:
    """``def name(x, axis=-1):`` and a call passing each parameter on."""
    empty = inspect.Parameter.empty
    params = [p.replace(annotation=empty) for p in signature.parameters.values()]
    passed = [
        f"*{p.name}"
        if p.kind == p.VAR_POSITIONAL
        else f"**{p.name}"
        if p.kind == p.VAR_KEYWORD
        else f"{p.name}={p.name}"
        if p.kind == p.KEYWORD_ONLY
        else p.name
        for p in params
    ]
    plain = signature.replace(parameters=params, return_annotation=empty)
    return f"def {name}{plain}:\n    return {_CALLED}({', '.join(passed)})\n"
