"""Property tests of the product rules: vdot, inner, tensordot, einsum, kron, cross.

Real inputs go through ``check_grad`` (and ``check_generic`` where the rule
has a shape-generic path); complex inputs are compared with central
differences of the real part along the real and the imaginary direction.
"""

import math

import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st
from hypothesis.extra import numpy as hnp
from rule_checks import (
    TOL,
    check_generic,
    check_grad,
    check_rule,
    draw_array,
    draw_like,
    draw_weights,
    inner,
    is_differentiable,
    step,
)
from rule_domains import REAL, Row

import srcdiff
from srcdiff.ir.prims import lookup
from srcdiff.numeric import max_relative_error, numerical_grad
from srcdiff.rules import rule_for

# ----- Products (srcdiff/rules/products.py) -----
PRODUCTS = {
    np.vdot: Row((REAL, REAL)),
    np.inner: Row((REAL, REAL)),
    np.tensordot: Row((REAL, REAL)),
    np.einsum: Row((REAL, REAL, REAL)),
    np.kron: Row((REAL, REAL)),
    np.cross: Row((REAL, REAL)),
}

SHAPES = hnp.array_shapes(min_dims=0, max_dims=3, max_side=3)


def draw_pair(data, op, a_shape, b_shape):
    a_elements, b_elements = PRODUCTS[op].inputs[:2]
    return draw_array(data, a_elements, a_shape), draw_array(data, b_elements, b_shape)


def needs_example(f):
    """Without an example the rule cannot choose its formula, and says so."""
    with pytest.raises(srcdiff.NeedsExample):
        srcdiff.grad(f, wrt=(0, 1)).derivative()


# ----- vdot -----
@st.composite
def same_size(draw):
    """A shape and another with as many elements (vdot flattens both)."""
    shape = draw(SHAPES)
    size = math.prod(shape)
    return shape, draw(st.sampled_from([shape, (size,), shape[::-1], (1, *shape)]))


@given(data=st.data(), shapes=same_size())
def test_vdot(data, shapes):
    a, b = draw_pair(data, np.vdot, *shapes)
    G = draw_weights(data, ())

    def f(a, b):
        return np.vdot(a, b) * G

    expected = check_grad(f, [a, b])
    check_rule(data, np.vdot, [a, b], G)
    check_generic(f, [a, b], expected)


# ----- inner -----
@st.composite
def inner_shapes(draw):
    """Shapes sharing their last axis, or one of them 0-d."""
    a, b = draw(SHAPES), draw(SHAPES)
    if a and b:
        b = (*b[:-1], a[-1])
    return a, b


@given(data=st.data(), shapes=inner_shapes())
def test_inner(data, shapes):
    a, b = draw_pair(data, np.inner, *shapes)
    G = draw_weights(data, np.shape(np.inner(a, b)))

    def f(a, b):
        return np.sum(np.inner(a, b) * G)

    check_grad(f, [a, b])
    check_rule(data, np.inner, [a, b], G)
    needs_example(f)


# ----- tensordot -----
@st.composite
def tensordot_problems(draw):
    """Two shapes and an ``axes`` in one of its three forms, summing matching axes."""
    count = draw(st.integers(0, 2))
    a_ndim = draw(st.integers(count, 3))
    b_ndim = draw(st.integers(count, 3))
    a_axes = draw(st.permutations(range(a_ndim)))[:count]
    b_axes = draw(st.permutations(range(b_ndim)))[:count]
    side = st.integers(1, 3)
    a_shape = [draw(side) for _ in range(a_ndim)]
    b_shape = [draw(side) for _ in range(b_ndim)]
    for i, j in zip(a_axes, b_axes, strict=True):
        b_shape[j] = a_shape[i]
    leading = a_axes == list(range(a_ndim - count, a_ndim))
    if leading and b_axes == list(range(count)) and draw(st.booleans()):
        return tuple(a_shape), tuple(b_shape), count
    # Negative axes count from the end.
    a_axes = [i - a_ndim if draw(st.booleans()) else i for i in a_axes]
    b_axes = [j - b_ndim if draw(st.booleans()) else j for j in b_axes]
    if count == 1 and draw(st.booleans()):
        return tuple(a_shape), tuple(b_shape), (a_axes[0], b_axes[0])
    return tuple(a_shape), tuple(b_shape), (a_axes, b_axes)


@given(data=st.data(), problem=tensordot_problems())
def test_tensordot(data, problem):
    a_shape, b_shape, axes = problem
    a, b = draw_pair(data, np.tensordot, a_shape, b_shape)
    G = draw_weights(data, np.shape(np.tensordot(a, b, axes)))

    def f(a, b):
        return np.sum(np.tensordot(a, b, axes=axes) * G)

    check_grad(f, [a, b])
    check_rule(data, np.tensordot, [a, b], G, {"axes": axes})
    needs_example(f)


def test_tensordot_default_axes():
    # axes=2 by default: a matrix contracted with the leading two axes of b.
    a, b = np.arange(6.0).reshape(2, 3), np.linspace(-1, 1, 12).reshape(2, 3, 2)

    def f(a, b):
        return np.sum(np.tensordot(a, b) ** 2)

    check_grad(f, [a, b])


# ----- einsum -----
LABELS = "ijkl"


@st.composite
def einsum_problems(draw):
    """Subscripts of 1 to 3 operands, with repeated labels, ellipses, broadcasting.

    Returns (labels of each operand, output labels or None, operand shapes).
    """
    size = {label: draw(st.integers(0, 3)) for label in LABELS}
    count = draw(st.integers(1, 3))
    terms = [draw(st.lists(st.sampled_from(LABELS), max_size=3)) for _ in range(count)]
    dotted = [draw(st.booleans()) for _ in terms] if draw(st.booleans()) else []
    extra = draw(
        hnp.mutually_broadcastable_shapes(
            num_shapes=max(sum(dotted), 1), max_dims=2, max_side=3
        )
    ).input_shapes
    shapes = []
    for k, term in enumerate(terms):
        # A label may have length 1 in one operand and broadcast.
        ones = [label for label in sorted(set(term)) if draw(st.booleans())]
        shape = [1 if label in ones else size[label] for label in term]
        if dotted and dotted[k]:
            at = draw(st.integers(0, len(term)))
            term.insert(at, "...")
            shape[at:at] = extra[sum(dotted[:k])]
        shapes.append(tuple(shape))
    if draw(st.booleans()):
        return terms, None, shapes
    seen = sorted({label for term in terms for label in term if label != "..."})
    output = draw(st.permutations(seen))[: draw(st.integers(0, len(seen)))]
    if any(dotted):
        output.insert(draw(st.integers(0, len(output))), "...")
    return terms, output, shapes


def einsum_arguments(terms, output, arrays, interleaved):
    """The positional arguments of np.einsum for these operands."""
    if not interleaved:
        spec = ",".join("".join(term) for term in terms)
        if output is not None:
            spec += "->" + "".join(output)
        return [spec, *arrays]

    def sublist(term):
        return [Ellipsis if label == "..." else LABELS.index(label) for label in term]

    args = [
        item for x, t in zip(arrays, terms, strict=True) for item in (x, sublist(t))
    ]
    return args if output is None else [*args, sublist(output)]


def check_einsum_rule(data, args, G):
    """The dot-product identity for einsum's rule, called on arrays."""
    rule = rule_for(lookup(np.einsum))
    first, rest = rule(G, np.einsum(*args), *args)
    contributions = [first, *rest]
    for i, arg in enumerate(args):
        if not is_differentiable(arg):
            assert contributions[i] is None
            continue
        assert np.shape(contributions[i]) == np.shape(arg)
        v = draw_like(data, arg)

        def along(t, i=i, v=v):
            moved = list(args)
            moved[i] = step(args[i], t, v)
            return np.sum(G * np.einsum(*moved))

        error = max_relative_error(
            inner(contributions[i], v), numerical_grad(along, (0.0,), 0)
        )
        assert error < TOL, f"<g, J v> != <rule(g), v> for argument {i}: {error:.3g}"


# More examples than the default: the subscripts vary far more than shapes do.
@settings(max_examples=40)
@given(data=st.data(), problem=einsum_problems(), interleaved=st.booleans())
def test_einsum(data, problem, interleaved):
    terms, output, shapes = problem
    elements = PRODUCTS[np.einsum].inputs[0]
    arrays = [draw_array(data, elements, shape) for shape in shapes]
    args = einsum_arguments(terms, output, arrays, interleaved)
    G = draw_weights(data, np.shape(np.einsum(*args)))
    count = len(arrays)

    def f(a, b=0.0, c=0.0):
        operands = [a, b, c][:count]
        return np.sum(
            np.einsum(*einsum_arguments(terms, output, operands, interleaved)) * G
        )

    expected = check_grad(f, arrays)
    check_einsum_rule(data, args, G)
    if any("..." in term[1:] for term in terms):
        # How many ellipsis axes an operand has inside its own: shapes tell.
        with pytest.raises(srcdiff.NeedsExample):
            srcdiff.grad(f, wrt=tuple(range(count))).derivative()
    elif not broadcasts_summed_label(terms, output, shapes):
        check_generic(f, arrays, expected)


def broadcasts_summed_label(terms, output, shapes):
    """Whether a label summed away has length 1 in one operand, not in another.

    Without an example the rule takes summed labels to have one length.
    """
    seen = [label for term in terms for label in term]
    if output is None:
        output = [label for label in seen if seen.count(label) == 1]
    lengths = {}
    for term, shape in zip(terms, shapes, strict=True):
        if "..." in term:  # labels after the ellipsis count from the end
            at = term.index("...")
            head, tail = term[:at], term[at + 1 :]
            ends = shape[: len(head)], shape[len(shape) - len(tail) :]
            pairs = [*zip(head, ends[0], strict=True), *zip(tail, ends[1], strict=True)]
        else:
            pairs = zip(term, shape, strict=True)
        for label, n in pairs:
            lengths.setdefault(label, set()).add(n)
    return any(len(ns) > 1 for label, ns in lengths.items() if label not in output)


@pytest.mark.parametrize(
    ("spec", "shapes"),
    [
        ("ii", [(3, 3)]),
        ("ii->i", [(3, 3)]),
        ("iij->j", [(2, 2, 3)]),
        ("i,i", [(3,), (3,)]),
        ("ij->", [(2, 3)]),
        ("ij,ij->ij", [(2, 3), (2, 3)]),
        ("...ii->...i", [(2, 3, 3)]),
        ("i...,i...->...", [(2, 3), (2, 4, 1)]),
        ("ij,jk,kl", [(2, 3), (3, 4), (4, 2)]),
    ],
)
def test_einsum_named_cases(spec, shapes):
    # Traces, diagonals, inner products and chains, on fixed shapes.
    rng = np.random.default_rng(len(spec))
    arrays = [rng.normal(size=shape) for shape in shapes]

    def f(a, b=0.0, c=0.0):
        return np.sum(np.sin(np.einsum(spec, *[a, b, c][: len(shapes)])))

    expected = check_grad(f, arrays)
    if "i..." not in spec:  # the ellipsis inside an operand needs an example
        check_generic(f, arrays, expected)


# Few examples: einsum's path search makes each one slow, and only the values vary.
@settings(max_examples=5)
@given(data=st.data())
def test_einsum_optimize(data):
    # optimize=True picks a contraction order; the adjoints pass it on.
    a, b, c = (draw_array(data, REAL, shape) for shape in [(2, 3), (3, 4), (4, 2)])
    G = draw_weights(data, (2,))

    def f(a, b, c):
        return np.sum(np.einsum("ij,jk,kl->i", a, b, c, optimize=True) * G)

    expected = check_grad(f, [a, b, c])
    check_generic(f, [a, b, c], expected)
    grad = srcdiff.grad(f, wrt=(0, 1, 2))
    grad(a, b, c)
    assert grad.source.count("optimize=True") == 3  # one adjoint per operand


# ----- kron -----
@given(data=st.data(), shapes=st.tuples(SHAPES, SHAPES))
def test_kron(data, shapes):
    a, b = draw_pair(data, np.kron, *shapes)
    G = draw_weights(data, np.shape(np.kron(a, b)))

    def f(a, b):
        return np.sum(np.kron(a, b) * G)

    check_grad(f, [a, b])
    check_rule(data, np.kron, [a, b], G)
    needs_example(f)


# ----- cross -----
def vector_at(rest, axis):
    """``rest`` with a 3-vector axis inserted where ``axis`` names it."""
    at = axis % (len(rest) + 1)
    return (*rest[:at], 3, *rest[at:])


@st.composite
def cross_problems(draw):
    """Broadcasting stacks of 3-vectors, each with its vector axis anywhere."""
    a_rest, b_rest = draw(
        hnp.mutually_broadcastable_shapes(num_shapes=2, max_dims=2, max_side=3)
    ).input_shapes
    c_ndim = max(len(a_rest), len(b_rest)) + 1
    if draw(st.booleans()):
        ndim = min(len(a_rest), len(b_rest)) + 1
        axis = draw(st.integers(-ndim, ndim - 1))
        return vector_at(a_rest, axis), vector_at(b_rest, axis), {"axis": axis}
    # Each of axisa, axisb, axisc named or left at -1; either sign.
    kwargs = {}
    for key, ndim in [
        ("axisa", len(a_rest)),
        ("axisb", len(b_rest)),
        ("axisc", c_ndim - 1),
    ]:
        if draw(st.booleans()):
            kwargs[key] = draw(st.integers(-ndim - 1, ndim))
    a_shape = vector_at(a_rest, kwargs.get("axisa", -1))
    b_shape = vector_at(b_rest, kwargs.get("axisb", -1))
    return a_shape, b_shape, kwargs


@given(data=st.data(), problem=cross_problems())
def test_cross(data, problem):
    a_shape, b_shape, kwargs = problem
    a, b = draw_pair(data, np.cross, a_shape, b_shape)
    G = draw_weights(data, np.shape(np.cross(a, b, **kwargs)))

    def f(a, b):
        return np.sum(np.cross(a, b, **kwargs) * G)

    check_grad(f, [a, b])
    check_rule(data, np.cross, [a, b], G, kwargs)
    needs_example(f)


# ----- Complex inputs: holomorphic, so no conjugation (vdot's first aside) -----
def draw_complex(data, shape):
    real, imag = (draw_array(data, REAL, shape, allow_float=False) for _ in range(2))
    return real + 1j * imag


def complex_numerical_grad(f, args, i, h=1e-6):
    """autograd's convention: d/dx - i d/dy of the real part of ``f``."""
    grad = np.zeros(np.shape(args[i]), dtype=complex)
    for index in np.ndindex(grad.shape):
        for direction, sign in [(1.0, 1.0), (1j, -1j)]:
            moved = [list(args), list(args)]
            for side, t in zip(moved, (h, -h), strict=True):
                side[i] = np.array(args[i], dtype=complex)
                side[i][index] += t * direction
            above, below = (np.real(f(*side)) for side in moved)
            grad[index] += sign * (above - below) / (2 * h)
    return grad


def check_complex(f, args):
    for i in range(len(args)):
        got = srcdiff.grad(f, wrt=i)(*args)
        expected = complex_numerical_grad(f, args, i)
        assert np.shape(got) == np.shape(expected)
        for part in (np.real, np.imag):
            error = max_relative_error(part(got), part(expected))
            assert error < TOL, f"gradient in argument {i} is off by {error:.3g}"


COMPLEX_CASES = {
    "vdot": (np.vdot, lambda a, b: np.vdot(a, b), [(2, 3), (3, 2)]),
    "inner": (np.inner, lambda a, b: np.inner(a, b), [(2, 3), (4, 3)]),
    "tensordot": (
        np.tensordot,
        lambda a, b: np.tensordot(a, b, axes=([0, 2], [1, 0])),
        [(2, 3, 2), (2, 2)],
    ),
    "kron": (np.kron, lambda a, b: np.kron(a, b), [(2, 1), (3,)]),
    "cross": (np.cross, lambda a, b: np.cross(a, b, axisa=0), [(3, 2), (2, 3)]),
}


@settings(max_examples=5)
@pytest.mark.parametrize("name", COMPLEX_CASES)
@given(data=st.data())
def test_complex(name, data):
    _, op, shapes = COMPLEX_CASES[name]
    a, b = (draw_complex(data, shape) for shape in shapes)
    G = draw_complex(data, np.shape(op(a, b)))

    def f(a, b):
        return np.sum(op(a, b) * G)

    check_complex(f, [a, b])


@settings(max_examples=15)
@given(data=st.data(), problem=einsum_problems())
def test_einsum_complex(data, problem):
    terms, output, shapes = problem
    arrays = [draw_complex(data, shape) for shape in shapes]
    args = einsum_arguments(terms, output, arrays, interleaved=False)
    G = draw_complex(data, np.shape(np.einsum(*args)))
    count = len(arrays)

    def f(a, b=0.0, c=0.0):
        operands = [a, b, c][:count]
        return np.sum(np.einsum(*einsum_arguments(terms, output, operands, False)) * G)

    check_complex(f, arrays)
