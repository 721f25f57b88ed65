"""Random rolled loops: carried values that feed, swap and overwrite each other.

A hypothesis strategy writes a function whose ``for`` loop updates three
carried arrays from each other, a parameter and the trip index, sometimes
under an ``if`` on a value. Its gradient, kept rolled (``unroll=False``) and
traced without an example, must match central differences. Naming carried
values, restored values and adjoints in one function is where a clash would
give a wrong gradient without an error.
"""

import numpy as np
from hypothesis import given, settings
from hypothesis import strategies as st

import srcdiff
from srcdiff.api import compile_derivative
from srcdiff.numeric import max_relative_error, numerical_grad

TOL = 1e-6
CARRIED = ["a", "b", "c"]
# Each keeps values bounded, so 12 trips stay where differences are accurate.
TEMPLATES = [
    "np.tanh({p} + {q})",
    "np.sin({p}) * 0.9",
    "0.5 * {p} + 0.3 * {q}",
    "{p} * np.cos({q}) * 0.8",
    "np.tanh(w * {p})",
    "{q}",
    "0.1 * t + np.tanh({p})",
]


@st.composite
def loop_programs(draw):
    lines = []
    for _ in range(draw(st.integers(1, 4))):
        target = draw(st.sampled_from(CARRIED))
        template = draw(st.sampled_from(TEMPLATES))
        p, q = draw(st.sampled_from(CARRIED)), draw(st.sampled_from(CARRIED))
        statement = f"{target} = {template.format(p=p, q=q)}"
        if draw(st.booleans()) and draw(st.booleans()):  # a quarter: under an if
            test = draw(st.sampled_from(CARRIED))
            other = draw(st.sampled_from(CARRIED))
            statement = (
                f"if np.sum({test}) > 0:\n            {statement}\n"
                f"        else:\n            {target} = 0.7 * {other}"
            )
        if draw(st.booleans()) and draw(st.booleans()):
            x, y = draw(st.permutations(CARRIED))[:2]
            statement += f"\n        {x}, {y} = {y}, {x}"
        lines.append(statement)
    body = "\n".join(f"        {line}" for line in lines)
    result = draw(st.sampled_from(["a * b + c", "a", "c * c", "b + a * w"]))
    return (
        "import numpy as np\n\n\n"
        "def f(a, b, c, w, n):\n"
        "    for t in range(n):\n"
        f"{body}\n"
        f"    return np.sum({result})\n"
    )


@settings(max_examples=40, deadline=None)
@given(source=loop_programs(), n=st.sampled_from([0, 1, 2, 12]), seed=st.integers(0, 9))
def test_random_rolled_loops(source, n, seed, load_function):
    f = load_function(source)
    rng = np.random.default_rng(seed)
    args = (*rng.uniform(-1, 1, size=(3, 3)), rng.uniform(0.5, 1.0), n)
    wrt = (0, 1, 2, 3)
    expected = tuple(numerical_grad(f, args, i) for i in wrt)
    rolled = srcdiff.grad(f, wrt=wrt, unroll=False)(*args)
    assert max_relative_error(rolled, expected) < TOL, source
    generic = compile_derivative(srcdiff.grad(f, wrt=wrt).derivative())(*args)
    assert max_relative_error(generic, expected) < TOL, source
