"""The dense Jacobian or Hessian: a short function after ``<f>_jvp`` or
``<f>_hvp`` that calls it once per unit vector and stacks the columns.

For small problems (one column costs about one gradient): ``<f>_jacobian``
has the shape of the output followed by that of the ``wrt`` argument,
``<f>_hessian`` that of the argument twice. It takes ``f``'s parameters and
needs nothing but NumPy.
"""

from __future__ import annotations

import ast
import dataclasses

from srcdiff.emit.statements import Emitted

# What the column loop calls each piece, unless f has a parameter of that name.
_WORDS = ("columns", "e")


def append(
    emitted: Emitted,
    mode: str,
    fn_name: str,
    arg: str,
    params: ast.arguments,
    vector: str,
) -> Emitted:
    """``emitted`` (the ``jvp`` or ``hvp`` function, whose tangent parameter
    for argument ``arg`` is ``vector``) with the dense function of ``mode``
    ("hessian" or "jacobian") after it, which the module then stands for."""
    taken = {a.arg for a in _all_args(params)}
    columns, e = (_free(word, taken) for word in _WORDS)
    name = f"{fn_name}_{mode}"
    unit = f"np.reshape({e}, np.shape({arg}))"
    call = _call(emitted.name, params, vector, unit)
    if mode == "hessian":
        doc = f"Hessian of {fn_name} with respect to {arg}, a column per unit vector."
        shape = f"np.shape({arg}) * 2"
    else:
        doc = f"Jacobian of {fn_name} with respect to {arg}, a column per unit vector."
        call += "[1]"
        shape = f"np.shape({columns}[0]) + np.shape({arg})"
    text = (
        f"def {name}():\n"
        f"    {doc!r}\n"
        f"    {columns} = [{call} for {e} in np.eye(np.size({arg}))]\n"
        f"    return np.reshape(np.stack({columns}, axis=-1), {shape})\n"
    )
    func = ast.parse(text).body[0]
    assert isinstance(func, ast.FunctionDef)
    func.args = params
    body = _with_numpy(emitted.module.body)
    module = ast.fix_missing_locations(ast.Module([*body, func], []))
    return dataclasses.replace(emitted, module=module, name=name, backward_at=None)


def _all_args(params: ast.arguments) -> list[ast.arg]:
    stars = [a for a in (params.vararg, params.kwarg) if a is not None]
    return [*params.posonlyargs, *params.args, *params.kwonlyargs, *stars]


def _free(word: str, taken: set[str]) -> str:
    while word in taken:
        word += "_"
    return word


def _call(callee: str, params: ast.arguments, vector: str, unit: str) -> str:
    """``callee`` called with ``f``'s parameters passed on, then ``unit`` as
    its ``vector`` (by keyword where ``forward.inputs`` made it keyword-only)."""
    words = [a.arg for a in [*params.posonlyargs, *params.args]]
    if params.vararg is not None:
        words.append(f"*{params.vararg.arg}")
    words += [f"{a.arg}={a.arg}" for a in params.kwonlyargs]
    plain = not (params.defaults or params.vararg or params.kwonlyargs or params.kwarg)
    if params.kwarg is not None:
        words.append(f"**{params.kwarg.arg}")
    return f"{callee}({', '.join([*words, unit if plain else f'{vector}={unit}'])})"


def _with_numpy(body: list[ast.stmt]) -> list[ast.stmt]:
    """The dense function reads ``np``: the module imports it."""
    for node in body:
        if isinstance(node, ast.Import) and any(
            a.name == "numpy" and a.asname == "np" for a in node.names
        ):
            return body
    return [ast.Import([ast.alias("numpy", "np")]), *body]
