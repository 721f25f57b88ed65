"""Which Python and NumPy objects are primitives, and how each one prints.

A ``Prim`` is what an IR statement applies: its name, how to evaluate it on
concrete values, how to render it back to Python, and whether values flow
through it differentiably. Objects map to prims by identity, so ``np.add``,
``operator.add`` and ``+`` are one prim, and ``np.abs`` is ``abs``.
"""

from __future__ import annotations

import ast
import operator
import sys
from collections.abc import Callable
from typing import Any

import numpy as np

from srcdiff import helpers
from srcdiff.ir.nodes import Const, walk_vars
from srcdiff.ir.prim import Convert, Prim, Render

NUMPY = "import numpy as np"


def dotted(path: str) -> ast.expr:
    """``"np.linalg.inv"`` -> the ast of that attribute chain."""
    head, *rest = path.split(".")
    node: ast.expr = ast.Name(head, ast.Load())
    for attr in rest:
        node = ast.Attribute(node, attr, ast.Load())
    return node


def call(path: str) -> Render:
    def render(
        args: tuple[Any, ...], kwargs: dict[str, Any], conv: Convert
    ) -> ast.expr:
        keywords = [ast.keyword(k, conv(v)) for k, v in kwargs.items()]
        return ast.Call(dotted(path), [conv(a) for a in args], keywords)

    return render


def _binop(op: ast.operator) -> Render:
    def render(
        args: tuple[Any, ...], kwargs: dict[str, Any], conv: Convert
    ) -> ast.expr:
        return ast.BinOp(conv(args[0]), op, conv(args[1]))

    return render


def _unary(op: ast.unaryop) -> Render:
    def render(
        args: tuple[Any, ...], kwargs: dict[str, Any], conv: Convert
    ) -> ast.expr:
        return ast.UnaryOp(op, conv(args[0]))

    return render


def _compare(op: ast.cmpop) -> Render:
    def render(
        args: tuple[Any, ...], kwargs: dict[str, Any], conv: Convert
    ) -> ast.expr:
        return ast.Compare(conv(args[0]), [op], [conv(args[1])])

    return render


def _getitem(args: tuple[Any, ...], kwargs: dict[str, Any], conv: Convert) -> ast.expr:
    return ast.Subscript(conv(args[0]), conv(args[1], index=True), ast.Load())


def _transpose(
    args: tuple[Any, ...], kwargs: dict[str, Any], conv: Convert
) -> ast.expr:
    if len(args) == 1 and not kwargs:
        return ast.Attribute(conv(args[0]), "T", ast.Load())
    return call("np.transpose")(args, kwargs, conv)


PRIMS: dict[Any, Prim] = {}


def register(prim: Prim, *objects: Any) -> Prim:
    for obj in objects:
        PRIMS[obj] = prim
    return prim


def numpy_prim(
    name: str, *, differentiable: bool = True, path: str = "", shape: str = ""
) -> Prim:
    """A prim for ``np.<name>``, rendered as a call of ``np.<path or name>``."""
    path = path or f"np.{name}"
    fn = operator.attrgetter(path.removeprefix("np."))(np)
    return register(
        Prim(name, fn, call(path), differentiable, (NUMPY,), shape=shape),
        fn,
    )


# ----- Operators -----
ADD = register(
    Prim("add", operator.add, _binop(ast.Add()), shape="broadcast"),
    operator.add,
    np.add,
)
SUB = register(
    Prim("subtract", operator.sub, _binop(ast.Sub()), shape="broadcast"),
    operator.sub,
    np.subtract,
)
MUL = register(
    Prim("multiply", operator.mul, _binop(ast.Mult()), shape="broadcast"),
    operator.mul,
    np.multiply,
)
DIV = register(
    Prim("divide", operator.truediv, _binop(ast.Div()), shape="broadcast"),
    operator.truediv,
    np.divide,
)
POW = register(
    Prim("power", operator.pow, _binop(ast.Pow()), shape="broadcast"),
    operator.pow,
    np.power,
)
MATMUL = register(
    Prim("matmul", operator.matmul, _binop(ast.MatMult())), operator.matmul, np.matmul
)


def _negative(args: tuple[Any, ...], kwargs: dict[str, Any], conv: Convert) -> ast.expr:
    """``-(a * b)`` prints as ``-a * b``: the same number, fewer parentheses."""
    operand = conv(args[0])
    if isinstance(operand, ast.BinOp) and isinstance(operand.op, (ast.Mult, ast.Div)):
        left = ast.UnaryOp(ast.USub(), operand.left)
        return ast.BinOp(left, operand.op, operand.right)
    return ast.UnaryOp(ast.USub(), operand)


NEG = register(
    Prim("negative", operator.neg, _negative, shape="same"), operator.neg, np.negative
)
GETITEM = register(Prim("getitem", operator.getitem, _getitem), operator.getitem)


def _index_update(
    target: str, args: tuple[Any, ...], kwargs: dict[str, Any], conv: Convert
) -> list[ast.stmt]:
    """``A_2 = A.copy()`` then ``A_2[i] = v``; emit drops the copy when A is dead."""
    array, index, value = args
    copy = ast.Call(ast.Attribute(conv(array), "copy", ast.Load()), [], [])
    item = ast.Subscript(
        ast.Name(target, ast.Load()), conv(index, index=True), ast.Store()
    )
    return [
        ast.Assign([ast.Name(target, ast.Store())], copy),
        ast.Assign([item], conv(value)),
    ]


def _index_add(
    target: str, args: tuple[Any, ...], kwargs: dict[str, Any], conv: Convert
) -> list[ast.stmt]:
    """``A_2 = A.copy()`` then ``A_2[i] += v``, or ``np.add.at(A_2, i, v)``
    where ``i`` may repeat (``+=`` would add once per distinct index)."""
    array, index, value = args
    copy = ast.Call(ast.Attribute(conv(array), "copy", ast.Load()), [], [])
    start = ast.Assign([ast.Name(target, ast.Store())], copy)
    if _may_repeat(index):  # np.add.at adds every repeat of an index
        at = dotted("np.add.at")
        args_ = [ast.Name(target, ast.Load()), conv(index), conv(value)]
        return [start, ast.Expr(ast.Call(at, args_, []))]
    item = ast.Subscript(
        ast.Name(target, ast.Store()), conv(index, index=True), ast.Store()
    )
    added = conv(value)
    if isinstance(added, ast.UnaryOp) and isinstance(added.op, ast.USub):
        return [start, ast.AugAssign(item, ast.Sub(), added.operand)]  # -= v
    return [start, ast.AugAssign(item, ast.Add(), added)]


def _may_repeat(index: Any) -> bool:
    """Whether an index may name one element twice (an integer array may)."""
    parts = index if isinstance(index, tuple) else (index,)
    for part in parts:
        if isinstance(part, (list, np.ndarray)):
            return True
        if isinstance(part, Const):
            return part.value.dtype != np.bool_ and part.value.ndim > 0
        for var in walk_vars(part):
            scalar = var.sym == () or (var.known and np.ndim(var.value) == 0)
            if not scalar and not (var.known and var.dtype == np.bool_):
                return True
    return False


def _astype(args: tuple[Any, ...], kwargs: dict[str, Any], conv: Convert) -> ast.expr:
    keywords = [ast.keyword(k, conv(v)) for k, v in kwargs.items()]
    method = ast.Attribute(conv(args[0]), "astype", ast.Load())
    return ast.Call(method, [conv(a) for a in args[1:]], keywords)


def _cast(a: Any, dtype: Any) -> Any:
    return np.asarray(a).astype(dtype)


# ``x.astype(float)``: a method NumPy has no function for.
ASTYPE = register(Prim("astype", _cast, _astype, shape="same"), _cast)

# ``A[i] = v`` in user code: a functional update of A.
INDEX_UPDATE = register(
    Prim(
        "index_update",
        helpers.index_update,
        call("index_update"),
        statements=_index_update,
    ),
    helpers.index_update,
)


def _boolop(op: ast.boolop) -> Render:
    def render(
        args: tuple[Any, ...], kwargs: dict[str, Any], conv: Convert
    ) -> ast.expr:
        return ast.BoolOp(op, [conv(a) for a in args])

    return render


# ``not stopped``, ``a and b``, ``a or b`` on Python bools and 0-d comparisons:
# the tests of rolled loops and ifs decided when the code runs.
NOT = Prim("not", operator.not_, _unary(ast.Not()), False)
BOTH = Prim("both", lambda a, b: bool(a) and bool(b), _boolop(ast.And()), False)
EITHER = Prim("either", lambda *xs: any(map(bool, xs)), _boolop(ast.Or()), False)
# Primitives whose results hold booleans (comparisons, logic): conditions.
TESTS = frozenset(
    [
        *("greater", "less", "greater_equal", "less_equal", "equal", "not_equal"),
        *("and", "or", "invert", "not", "both", "either"),
        *("logical_and", "logical_or", "logical_not", "logical_xor"),
    ]
)
# ``A[i] += v`` with a basic index, for sums a rolled adjoint loop builds up.
INDEX_ADD = Prim(
    "index_add", helpers.index_add, call("index_add"), statements=_index_add
)
# One result of a primitive that returns several (``w, v = np.linalg.eigh(A)``).
TUPLE_ITEM = Prim("tuple_item", operator.getitem, _getitem)
TRANSPOSE = register(
    Prim("transpose", np.transpose, _transpose, imports=(NUMPY,)), np.transpose
)

_COMPARISONS = [
    ("greater", operator.gt, np.greater, ast.Gt()),
    ("less", operator.lt, np.less, ast.Lt()),
    ("greater_equal", operator.ge, np.greater_equal, ast.GtE()),
    ("less_equal", operator.le, np.less_equal, ast.LtE()),
    ("equal", operator.eq, np.equal, ast.Eq()),
    ("not_equal", operator.ne, np.not_equal, ast.NotEq()),
]
for _name, _op, _ufunc, _node in _COMPARISONS:
    register(Prim(_name, _op, _compare(_node), False, shape="broadcast"), _op, _ufunc)
AND = register(
    Prim("and", operator.and_, _binop(ast.BitAnd()), False, shape="broadcast"),
    operator.and_,
)
OR = register(
    Prim("or", operator.or_, _binop(ast.BitOr()), False, shape="broadcast"),
    operator.or_,
)
INVERT = register(
    Prim("invert", operator.invert, _unary(ast.Invert()), False, shape="same"),
    operator.invert,
)


def _dim(args: tuple[Any, ...], kwargs: dict[str, Any], conv: Convert) -> ast.expr:
    """``len(y)`` for a vector, ``X.shape[1]`` otherwise."""
    value, axis = args
    if axis == 0 and np.ndim(getattr(value, "value", None)) == 1:
        return ast.Call(ast.Name("len", ast.Load()), [conv(value)], [])
    shape = ast.Attribute(conv(value), "shape", ast.Load())
    return ast.Subscript(shape, ast.Constant(axis), ast.Load())


def _dtype(args: tuple[Any, ...], kwargs: dict[str, Any], conv: Convert) -> ast.expr:
    return ast.Attribute(conv(args[0]), "dtype", ast.Load())


# ``w.dtype``: the gradient of a float32 argument is cast back to it.
DTYPE = Prim("dtype", lambda x: np.asarray(x).dtype, _dtype, False)

# One axis's size, read when the code runs (``srcdiff.ir.sizes``).
DIM = Prim("dim", lambda x, axis: np.shape(x)[axis], _dim, False)

# ----- NumPy functions with adjoint rules -----
ELEMENTWISE = [
    "exp",
    "log",
    "log1p",
    "expm1",
    "sqrt",
    "square",
    "sin",
    "cos",
    "tan",
    "tanh",
    "sinh",
    "cosh",
    "arctan",
    "abs",
]
for _name in ELEMENTWISE:
    numpy_prim(_name, shape="same")
for _name in ["maximum", "minimum", "where"]:
    numpy_prim(_name, shape="broadcast")
for _name in ["sum", "mean", "max", "min"]:
    numpy_prim(_name, shape="reduction")
for _name in [
    "clip",
    "reshape",
    "dot",
    "outer",
    "expand_dims",
    "squeeze",
    "broadcast_to",
    "swapaxes",
    "stack",
    "array",
    "take",
]:
    numpy_prim(_name)
register(PRIMS[np.abs], np.absolute, abs)
register(PRIMS[np.max], np.amax)
register(PRIMS[np.min], np.amin)

# ----- NumPy functions through which no gradient flows -----
for _name in ["floor", "ceil", "round", "isnan", "isfinite"]:
    numpy_prim(_name, differentiable=False, shape="same")
for _name in ["zeros_like", "ones_like", "full_like"]:
    numpy_prim(_name, differentiable=False, shape="same")
for _name in [
    "zeros",
    "ones",
    "eye",
    "arange",
    "argmax",
    "argmin",
    "shape",
    "size",
    "ndim",
]:
    numpy_prim(_name, differentiable=False)


def helper_prim(fn: Callable[..., Any], shape: str = "") -> Prim:
    """A prim that calls a helper function copied into the emitted file."""
    prim = Prim(fn.__name__, fn, call(fn.__name__), helper=fn, shape=shape)
    return register(prim, fn)


for _helper in (
    helpers.unbroadcast,
    helpers.scatter_add,
    helpers.item_grads,
    helpers.matmul_left_grad,
    helpers.matmul_right_grad,
):
    helper_prim(_helper)
# scipy.special.logsumexp(a, axis, keepdims=...) of a float array, in NumPy
# (srcdiff.simplify.logsumexp binds it in place of SciPy's).
LOGSUMEXP = helper_prim(helpers.logsumexp, shape="reduction")


def symmetric_solve(a: Any, b: Any) -> Any:
    """``np.linalg.solve`` by the symmetric matrix whose lower triangle is a's,
    the one ``np.linalg.cholesky(a)`` factors: ``solve(L.T, solve(L, b))``
    (srcdiff.simplify.cholesky binds it, for an a the emitted code checks
    symmetric, so it prints as ``np.linalg.solve(a, b)``)."""
    return np.linalg.solve(np.tril(a) + np.swapaxes(np.tril(a, -1), -1, -2), b)


SYMMETRIC_SOLVE = register(
    Prim("symmetric_solve", symmetric_solve, call("np.linalg.solve"), imports=(NUMPY,)),
    symmetric_solve,
)
# The inverse of a Cholesky factor above 64 rows (srcdiff.simplify.triangular).
LOWER_INVERSE = helper_prim(helpers.lower_inverse, shape="same")


def sigmoid(z: Any) -> Any:
    """The logistic function as people write it (srcdiff.simplify.sigmoid)."""
    return 1 / (1 + np.exp(-z))


def _sigmoid(args: tuple[Any, ...], kwargs: dict[str, Any], conv: Convert) -> ast.expr:
    exp = ast.Call(dotted("np.exp"), [ast.UnaryOp(ast.USub(), conv(args[0]))], [])
    one = ast.Constant(1)
    return ast.BinOp(one, ast.Div(), ast.BinOp(one, ast.Add(), exp))


# ``1 / (1 + np.exp(-z))``: one statement, so that its adjoint is the
# textbook ``g * p * (1 - p)``.
SIGMOID = register(
    Prim("sigmoid", sigmoid, _sigmoid, imports=(NUMPY,), shape="same"), sigmoid
)


def softplus(x: Any) -> Any:
    """``log(1 + exp(x))`` as people write it (srcdiff.simplify.sigmoid)."""
    return np.log(1 + np.exp(x))


def _softplus(args: tuple[Any, ...], kwargs: dict[str, Any], conv: Convert) -> ast.expr:
    exp = ast.Call(dotted("np.exp"), [conv(args[0])], [])
    total = ast.BinOp(ast.Constant(1), ast.Add(), exp)
    return ast.Call(dotted("np.log"), [total], [])


# ``np.log(1 + np.exp(x))``: its adjoint is ``g`` times the sigmoid of ``x``.
SOFTPLUS = register(
    Prim("softplus", softplus, _softplus, imports=(NUMPY,), shape="same"), softplus
)


def stop_gradient(x: Any) -> Any:
    """``x`` itself, through which no derivative flows (``srcdiff.stop_gradient``):
    a value used as a constant, such as a target computed from the parameters."""
    return x


def _stop_gradient(
    args: tuple[Any, ...], kwargs: dict[str, Any], conv: Convert
) -> ast.expr:
    return conv(args[0])  # emitted code just uses the value


STOP_GRADIENT = register(
    Prim("stop_gradient", stop_gradient, _stop_gradient, False, shape="same"),
    stop_gradient,
)
TO_FLOAT = Prim("float", float, call("float"), shape="same")
# How many items an argument unpacked without an example holds (not the
# prim of `len()` calls, which are traced as np.shape(x)[0]).
LEN = Prim("len", len, call("len"), differentiable=False)

# NumPy's reductions that the emitter writes as the array's method where the
# array is one a statement made (``a.sum(axis=1)``), by method name.
REDUCTION_METHODS = {PRIMS[fn]: fn.__name__ for fn in (np.sum, np.mean, np.max, np.min)}

# ndarray methods and attributes that mirror a NumPy function.
METHODS: dict[str, Any] = {
    "sum": np.sum,
    "mean": np.mean,
    "max": np.max,
    "min": np.min,
    "dot": np.dot,
    "clip": np.clip,
    "squeeze": np.squeeze,
    "swapaxes": np.swapaxes,
    "argmax": np.argmax,
    "argmin": np.argmin,
    "round": np.round,
}
# Methods whose shape argument may be spread: x.reshape(2, 3), x.transpose(1, 0).
VARARG_METHODS: dict[str, Any] = {"reshape": np.reshape, "transpose": np.transpose}


def method(name: str, fn: Any, *, varargs: bool = False) -> None:
    """Make ``x.name(...)`` on a traced array mean ``fn(x, ...)``."""
    (VARARG_METHODS if varargs else METHODS)[name] = fn


method("astype", _cast)


def lookup(obj: Any) -> Prim | None:
    try:
        prim = PRIMS.get(obj)
    except TypeError:  # unhashable objects are never primitives
        return None
    if prim is None and "scipy" in sys.modules:
        # SciPy is optional and slow to import: its prims and rules load the
        # first time a traced function calls something srcdiff does not know
        # while SciPy is imported (srcdiff.rules.scipy registers the loader).
        for load in _ON_MISS:
            load()
        prim = PRIMS.get(obj)
    return prim


_ON_MISS: list[Callable[[], None]] = []


def on_miss(load: Callable[[], None]) -> None:
    """Have ``lookup`` call ``load`` before it answers that an object is not a
    primitive: rule families registered on demand hook in here."""
    _ON_MISS.append(load)


# Functions whose result may share memory with their argument.
VIEWS = frozenset(
    {
        "reshape",
        "transpose",
        "squeeze",
        "expand_dims",
        "broadcast_to",
        "swapaxes",
        "moveaxis",
        "rollaxis",
        "ravel",
        "diagonal",
        "real",
        "imag",
        "atleast_1d",
        "atleast_2d",
        "atleast_3d",
        "flip",
        "fliplr",
        "flipud",
        "getitem",
        "asarray",
        "stop_gradient",
    }
)


_OPAQUE: dict[Any, Prim] = {}


def opaque_prim(fn: Any) -> Prim | None:
    """A NumPy function without a rule, as a call with no gradient, for
    values that read only sizes (``np.meshgrid(np.arange(n), ...)``)."""
    if fn in _OPAQUE:
        return _OPAQUE[fn]
    path = numpy_path(fn)
    if path is None:
        return None
    _OPAQUE[fn] = Prim(fn.__name__, fn, call(path), False, (NUMPY,))
    return _OPAQUE[fn]


def numpy_path(fn: Any) -> str | None:
    """``"np.linalg.norm"`` for a NumPy function, as emitted code names it."""
    name = getattr(fn, "__name__", "")
    for path, space in (("np", np), ("np.linalg", np.linalg), ("np.fft", np.fft)):
        try:
            if name and getattr(space, name, None) is fn:
                return f"{path}.{name}"
        except TypeError:  # an object that does not compare by identity
            return None
    return None
