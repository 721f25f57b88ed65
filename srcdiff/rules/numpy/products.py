"""Adjoints of products: vdot, inner, tensordot, einsum, kron, cross.

Complex inputs follow autograd's convention (the gradient of the real part):
products are holomorphic in each input, so their rules carry no conjugation,
except vdot's, which conjugates its first argument.
"""

import numpy as np

from srcdiff.helpers import unbroadcast
from srcdiff.ir.prims import PRIMS, numpy_prim
from srcdiff.rules.registry import adjoint, known

FAMILY = "products"

for _name in ["vdot", "inner", "tensordot", "einsum", "kron", "cross"]:
    numpy_prim(_name)
# vdot's rule conjugates; the elementwise family may already own np.conj.
if np.conj not in PRIMS:
    numpy_prim("conj", shape="same")

LETTERS = "abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ"


def is_complex(x):
    """Whether ``x`` holds complex numbers; without an example, assume it may."""
    if isinstance(x, (bool, int, float)):
        return False
    if isinstance(x, complex):
        return True
    if not known(x):
        return True
    return np.issubdtype(x.dtype, np.complexfloating)


def reshaped(x, shape):
    """``x`` reshaped to ``shape`` (same size), only if it must be."""
    if known(x) and np.shape(x) == shape:
        return x
    return np.reshape(x, shape)


@adjoint(np.vdot, note="conjugates its first argument: da = conj(g * b)")
def vdot(g, ans, a, b):
    # vdot flattens: a and b have the same size, not always the same shape.
    b_as_a, a_as_b = reshaped(b, np.shape(a)), reshaped(a, np.shape(b))
    if is_complex(a):
        return np.conj(g * b_as_a), g * np.conj(a_as_b)
    return g * b_as_a, g * a_as_b


@adjoint(np.inner, note="any dimensions; needs an example")
def inner(g, ans, a, b):
    # Which product inner is (scalar, matrix or tensor) depends on the number
    # of dimensions; without an example the branches raise NeedsExample.
    if np.ndim(a) == 0 or np.ndim(b) == 0:
        return unbroadcast(g * b, a), unbroadcast(g * a, b)
    if np.ndim(a) == 1 and np.ndim(b) == 1:
        return g * b, g * a
    if np.ndim(a) <= 2 and np.ndim(b) <= 2:
        if np.ndim(a) == 1:
            return g @ b, np.outer(g, a)
        if np.ndim(b) == 1:
            return np.outer(g, b), g @ a
        return g @ b, g.T @ a
    # g's axes are a's leading axes, then b's: contract each with the other.
    leading = list(range(np.ndim(a) - 1))
    return np.tensordot(g, b, np.ndim(b) - 1), np.tensordot(
        g, a, axes=(leading, leading)
    )


# ----- tensordot -----
def tensordot_axes(axes, a_ndim, b_ndim):
    """The summed axes of a and of b, as lists of axes counted from 0."""
    if isinstance(axes, (int, np.integer)):
        return list(range(a_ndim - axes, a_ndim)), list(range(axes))
    a_axes, b_axes = axes
    if isinstance(a_axes, (int, np.integer)):
        a_axes, b_axes = [a_axes], [b_axes]
    return [i % a_ndim for i in a_axes], [i % b_ndim for i in b_axes]


def axes_argument(x_axes, y_axes, x_ndim):
    """The shortest ``axes=`` that sums ``x_axes`` of x with ``y_axes`` of y."""
    count = len(x_axes)
    if x_axes == list(range(x_ndim - count, x_ndim)) and y_axes == list(range(count)):
        return count
    if count == 1:
        return x_axes[0], y_axes[0]
    return x_axes, y_axes


def in_order(x, axes):
    """``x``, whose axes stand for ``axes`` of an input, put back in input order."""
    order = [axes.index(i) for i in range(len(axes))]
    if order == list(range(len(axes))):
        return x
    return np.transpose(x, order)


@adjoint(np.tensordot, note="axes as an int, a pair of ints or a pair of sequences")
def tensordot(g, ans, a, b, axes=2):
    a_sum, b_sum = tensordot_axes(axes, np.ndim(a), np.ndim(b))
    a_keep = [i for i in range(np.ndim(a)) if i not in a_sum]
    b_keep = [i for i in range(np.ndim(b)) if i not in b_sum]
    # g's axes are a's kept axes, then b's.
    g_of_b = list(range(len(a_keep), len(a_keep) + len(b_keep)))
    g_of_a = list(range(len(a_keep)))
    da = np.tensordot(g, b, axes=axes_argument(g_of_b, b_keep, np.ndim(ans)))
    db = np.tensordot(a, g, axes=axes_argument(a_keep, g_of_a, np.ndim(a)))
    # Summed axes come out in the order of the other input's axes.
    da_axes = a_keep + [a_sum[b_sum.index(j)] for j in sorted(b_sum)]
    db_axes = [b_sum[a_sum.index(i)] for i in sorted(a_sum)] + b_keep
    return in_order(da, da_axes), in_order(db, db_axes)


# ----- einsum -----
def labels(text):
    """``"...ij"`` -> ``["...", "i", "j"]``."""
    head, dots, tail = text.partition("...")
    return [*head, *(["..."] if dots else []), *tail]


def sublist_labels(sublist):
    """Interleaved form: ``[0, Ellipsis, 1]`` -> ``["a", "...", "b"]``."""
    return ["..." if item is Ellipsis else LETTERS[item] for item in sublist]


def einsum_terms(subscripts, operands):
    """Each operand's labels, the output's (implicit ones spelled out), the arrays."""
    if isinstance(subscripts, str):
        text = subscripts.replace(" ", "")
        inputs, arrow, output = text.partition("->")
        terms = [labels(term) for term in inputs.split(",")]
        result = labels(output) if arrow else None
        arrays = list(operands)
    else:  # einsum(a, [0, 1], b, [1, 2], [0, 2])
        items = [subscripts, *operands]
        result = sublist_labels(items.pop()) if len(items) % 2 else None
        terms = [sublist_labels(sublist) for sublist in items[1::2]]
        arrays = items[0::2]
    if result is None:
        # Implicit output: the ellipsis first, then the labels seen once, sorted.
        seen = [label for term in terms for label in term if label != "..."]
        once = sorted(label for label in seen if seen.count(label) == 1)
        dots = ["..."] if any("..." in term for term in terms) else []
        result = dots + once
    return terms, result, arrays


def contract(terms, target, optimize):
    """The einsum of ``terms`` (labels, array) into ``target``, written simply."""
    scalars = [array for term, array in terms if not term]
    terms = [(term, array) for term, array in terms if term]
    if not terms:
        product = 1.0
    elif all(term == target for term, _ in terms) and "..." not in target[1:]:
        # The same labels everywhere: an elementwise product.
        product = terms[0][1]
        for _, array in terms[1:]:
            product = product * array
    else:
        spec = ",".join("".join(term) for term, _ in terms)
        options = {"optimize": optimize} if optimize else {}
        arrays = [array for _, array in terms]
        product = np.einsum(spec + "->" + "".join(target), *arrays, **options)
    for scalar in reversed(scalars):
        product = scalar * product
    return product


def dimension(own, position, array):
    """The length of ``array``'s axis labelled ``own[position]``."""
    if "..." in own[:position]:
        return np.shape(array)[position - len(own)]
    return np.shape(array)[position]


def longer(label, k, terms, arrays, result):
    """Whether operand k alone has a summed label at full length, the others
    broadcasting it from length 1 (so they cannot give the adjoint its length).

    Without an example, summed labels are taken to have one length throughout.
    """
    own = terms[k]
    if label == "..." or label in result or own.count(label) > 1:
        return False
    if dimension(own, own.index(label), arrays[k]) == 1:
        return False
    return all(
        dimension(terms[j], terms[j].index(label), arrays[j]) == 1
        for j in range(len(terms))
        if j != k and label in terms[j]
    )


def ellipsis_ndim(term, array):
    return np.ndim(array) - len(term) + 1


def diagonal_labels(own, array, factors, used):
    """``own`` with each repeat of a label renamed, and for each an identity
    matrix among ``factors`` that ties the new label to the old: the adjoint of
    a diagonal (``"ii->i"``) is g written back onto the diagonal."""
    fresh = [letter for letter in LETTERS if letter not in used]
    target = []
    for position, label in enumerate(own):
        if label in target and label != "...":
            twin = fresh.pop(0)
            factors.append(([label, twin], np.eye(dimension(own, position, array))))
            target.append(twin)
        else:
            target.append(label)
    return target


def sum_inner_ellipsis(contribution, k, terms, arrays):
    """Sum the ellipsis axes g has beyond operand k's, where they sit inside
    its axes (``"i...j"``), which ``unbroadcast`` cannot find."""
    own = terms[k]
    if "..." not in own or own[0] == "...":
        return contribution
    ndim = widest = ellipsis_ndim(own, arrays[k])
    for term, x in zip(terms, arrays, strict=True):
        if "..." in term and ellipsis_ndim(term, x) > widest:
            widest = ellipsis_ndim(term, x)
    if widest == ndim:
        return contribution
    start = own.index("...")
    return np.sum(contribution, axis=tuple(range(start, start + widest - ndim)))


def einsum_operand(g, k, terms, result, arrays, optimize):
    """The adjoint of operand k: g contracted with every other operand."""
    own, array = terms[k], arrays[k]
    others = [(terms[j], arrays[j]) for j in range(len(arrays)) if j != k]
    factors = [(result, g), *others]
    used = [label for term in [*terms, result] for label in term]
    target = diagonal_labels(own, array, factors, used)
    given = [label for term, _ in factors for label in term]
    if "..." in target and "..." not in given:
        target.remove("...")  # an ellipsis with no axes in any operand
    if "..." in given and "..." not in target:
        target.insert(0, "...")  # axes this operand broadcast over: summed later
    if any(label not in given for label in target) or (
        known(*arrays) and any(longer(label, k, terms, arrays, result) for label in own)
    ):
        # Labels summed in this operand alone: g is the same along them.
        factors.append((own, np.ones_like(array)))
    contribution = contract(factors, target, optimize)
    return unbroadcast(sum_inner_ellipsis(contribution, k, terms, arrays), array)


@adjoint(
    np.einsum,
    note="any subscripts: implicit output, ellipsis, repeated labels (traces, "
    "diagonals), interleaved operand lists; without an example, a summed label "
    "must not broadcast from length 1 and an ellipsis inside an operand's labels "
    "needs one",
)
def einsum(g, ans, subscripts, *operands, optimize=False):
    terms, result, arrays = einsum_terms(subscripts, operands)
    grads = [
        einsum_operand(g, k, terms, result, arrays, optimize)
        for k in range(len(arrays))
    ]
    if isinstance(subscripts, str):
        return None, tuple(grads)
    # Interleaved: operand k > 0 sits at operands[2 * k - 1], between label lists.
    slots = {2 * k - 1: grad for k, grad in enumerate(grads) if k}
    return grads[0], tuple(slots.get(i) for i in range(len(operands)))


# ----- kron, cross -----
A_LETTERS = "ijklmnABCDEFGHIJKLM"
B_LETTERS = "pqrstuNOPQRSTUVWXYZ"


@adjoint(np.kron, note="needs an example")
def kron(g, ans, a, b):
    if np.ndim(a) == 0 or np.ndim(b) == 0:
        return unbroadcast(g * b, a), unbroadcast(g * a, b)
    ndim = max(np.ndim(a), np.ndim(b))
    if ndim > len(A_LETTERS):
        raise NotImplementedError(f"np.kron of {ndim}-dimensional arrays")
    # Both shapes padded to the same length with leading ones, as kron does.
    a_shape = (1,) * (ndim - np.ndim(a)) + np.shape(a)
    b_shape = (1,) * (ndim - np.ndim(b)) + np.shape(b)
    # g as blocks: axis pairs (a's axis, b's axis), g[i * n + p] = blocks[i, p].
    blocks = np.reshape(
        g, tuple(n for pair in zip(a_shape, b_shape, strict=True) for n in pair)
    )
    if ndim == 1:
        return blocks @ b, a @ blocks
    a_labels, b_labels = A_LETTERS[:ndim], B_LETTERS[:ndim]
    spec = "".join(i + p for i, p in zip(a_labels, b_labels, strict=True))
    da = np.einsum(f"{spec},{b_labels}->{a_labels}", blocks, reshaped(b, b_shape))
    db = np.einsum(f"{spec},{a_labels}->{b_labels}", blocks, reshaped(a, a_shape))
    return reshaped(da, np.shape(a)), reshaped(db, np.shape(b))


def from_end(axis, ndim):
    """``axis`` counted from the end, so it holds in arrays with more axes."""
    return axis % ndim - ndim


def cross_axes(axisa, axisb, axisc):
    """The keywords of np.cross for these vector axes, leaving out defaults."""
    if axisa == axisb == axisc:
        return {} if axisa == -1 else {"axis": axisa}
    named = {"axisa": axisa, "axisb": axisb, "axisc": axisc}
    return {key: axis for key, axis in named.items() if axis != -1}


@adjoint(np.cross, note="3-vectors along any axes; needs an example")
def cross(g, ans, a, b, axisa=-1, axisb=-1, axisc=-1, axis=None):
    if axis is not None:
        axisa = axisb = axisc = axis
    if np.shape(a)[axisa] != 3 or np.shape(b)[axisb] != 3:
        raise NotImplementedError("np.cross of 2-vectors (deprecated in NumPy 2)")
    axisa, axisb = from_end(axisa, np.ndim(a)), from_end(axisb, np.ndim(b))
    axisc = from_end(axisc, np.ndim(ans))
    # <g, a x b> = <a, b x g> = <b, g x a>
    da = np.cross(b, g, **cross_axes(axisb, axisc, axisa))
    db = np.cross(g, a, **cross_axes(axisc, axisa, axisb))
    return unbroadcast(da, a), unbroadcast(db, b)
