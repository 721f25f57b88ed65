"""Random programs: a hypothesis strategy that writes small NumPy functions
``def f(x, y)`` from a grammar of safe elementwise ops, arithmetic with
broadcasting, reductions and ``@``. Shared by the tests of every mode that
checks them (``tests/api/test_programs.py``, ``tests/hvp/``).
"""

import textwrap

import numpy as np
from hypothesis import strategies as st

INPUTS = {"x": (3, 4), "y": (4,)}
# Each template keeps values in a range where central differences are accurate.
UNARY = [
    "np.tanh({a})",
    "np.sin({a})",
    "np.cos({a})",
    "np.arctan({a})",
    "np.exp(np.tanh({a}))",
    "np.log(1 + {a} ** 2)",
    "np.sqrt({a} * {a} + 1)",
    "np.log1p(np.square({a}))",
    "np.expm1(np.sin({a}))",
    "np.sinh(np.tanh({a}))",
    "np.cosh(np.tanh({a}))",
    "-{a}",
    "2.5 * {a}",
    "{a} ** 2",
    "np.where({a} > 0, {a}, 0.5 * {a})",
    "{a}[0]",
    "{a}[::-1]",
    "{a}[:, 1:3]",
    "{a}[None]",
    "{a}.reshape(-1)",
]
BINARY = [
    "{a} + {b}",
    "{a} - {b}",
    "{a} * {b}",
    "{a} / (1 + {b} ** 2)",
    "{a} @ {b}",
    "np.maximum({a}, {b})",
    "np.stack([{a}, {b}])",
]
REDUCE = ["np.sum", "np.mean", "np.max"]
METHOD = ["{a}.sum({axis})", "{a}.mean({axis})", "{a}.T"]


def result_shape(expr, shapes):
    """The shape ``expr`` has on inputs of ``shapes``, or None if it fails."""
    env = {name: np.ones(shape) for name, shape in shapes.items()}
    try:
        return np.shape(eval(expr, {"np": np}, env))
    except (ValueError, IndexError):
        return None


def candidates(shapes):
    """Every expression over the names in ``shapes`` the grammar allows."""
    names = sorted(shapes)
    exprs = [t.format(a=a) for t in UNARY for a in names]
    exprs += [t.format(a=a, b=b) for t in BINARY for a in names for b in names]
    for a in names:
        axes = ["None", *map(str, range(len(shapes[a])))]
        exprs += [f"{r}({a}, axis={k})" for r in REDUCE for k in axes]
        exprs += [f"np.sum({a}, axis={k}, keepdims=True)" for k in axes[1:]]
        exprs += [m.format(a=a, axis=f"axis={k}") for m in METHOD for k in axes]
    return [(e, s) for e in exprs if (s := result_shape(e, shapes)) is not None]


@st.composite
def programs(draw):
    """Source of ``def f(x, y)`` with 2 to 6 statements, and a seed for inputs."""
    shapes = dict(INPUTS)
    lines = []
    names = [f"v{i}" for i in range(draw(st.integers(2, 6)))]
    for name in names:
        expr, shapes[name] = draw(st.sampled_from(candidates(shapes)))
        lines.append(f"{name} = {expr}")
    lines.append("return " + " + ".join(f"np.sum({n})" for n in names[-2:]))
    body = textwrap.indent("\n".join(lines), "    ")
    source = f"import numpy as np\n\n\ndef f(x, y):\n{body}\n"
    return source, draw(st.integers(0, 2**16))
