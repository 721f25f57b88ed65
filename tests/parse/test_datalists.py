"""Python int lists read as data: a character model's windows share one trace.

A next-character loss takes the window's characters as a list of ints. The
derivative reads them by index when it runs, so a training loop over many
windows traces once; lists used any other way stay Python values. Also the
bound on how many specialisations a gradient function keeps.
"""

import ast

import numpy as np
import pytest

import srcdiff
import srcdiff.api
from srcdiff.numeric import max_relative_error, numerical_grad
from srcdiff.parse.datalists import indexed_only
from srcdiff.parse.source import parse

TOL = 1e-6
RNG = np.random.default_rng(5)
ALPHABET, STATE = 6, 4
TEXT = [int(c) for c in RNG.integers(0, ALPHABET, size=60)]
WEIGHTS = [
    RNG.normal(size=(STATE, ALPHABET)) * 0.5,  # letter -> state
    RNG.normal(size=(STATE, STATE)) * 0.5,  # state -> state
    RNG.normal(size=(ALPHABET, STATE)) * 0.5,  # state -> scores
    RNG.normal(size=(STATE, 1)) * 0.1,
    RNG.normal(size=(ALPHABET, 1)) * 0.1,
]
START = RNG.normal(size=(STATE, 1)) * 0.1


def next_letter_loss(weights, letters, following, start):
    """Cross-entropy of each next letter; one-hot columns kept per step."""
    embed, recur, read, b_state, b_score = weights
    onehots, states, probs = {}, {}, {}
    states[-1] = np.copy(start)
    nll = 0
    for step in range(len(letters)):
        onehots[step] = np.zeros((ALPHABET, 1))
        onehots[step][letters[step]] = 1
        pre = np.dot(embed, onehots[step]) + np.dot(recur, states[step - 1])
        states[step] = np.tanh(pre + b_state)
        scores = np.dot(read, states[step]) + b_score
        probs[step] = np.exp(scores) / np.sum(np.exp(scores))
        nll += -np.log(probs[step][following[step], 0])
    return nll


def column_loss(weights, letters, following, start):
    """The same model reading the letter's column of ``embed`` directly."""
    embed, recur, read, b_state, b_score = weights
    state = start[:, 0]
    nll = 0.0
    for step in range(len(letters)):
        state = np.tanh(embed[:, letters[step]] + recur @ state + b_state[:, 0])
        scores = read @ state + b_score[:, 0]
        nll = nll - scores[following[step]] + np.log(np.sum(np.exp(scores)))
    return nll


def window(at, length=8):
    return (WEIGHTS, TEXT[at : at + length], TEXT[at + 1 : at + length + 1], START)


@pytest.mark.parametrize("loss", [next_letter_loss, column_loss])
@pytest.mark.parametrize("unroll", [None, False, True])
def test_windows_of_a_character_model_share_one_trace(loss, unroll, traces):
    g = srcdiff.grad(loss, unroll=unroll)
    for at in (0, 17, 40):
        args = window(at)
        expected = numerical_grad(loss, args, 0)
        assert max_relative_error(g(*args), expected) < TOL
    assert len(traces) == 1
    source = g.source
    assert "letters[" in source and "following[" in source
    assert str(TEXT[:8]) not in source  # the values are not baked in


def test_a_window_of_another_length_traces_again_and_stays_right(traces):
    g = srcdiff.grad(next_letter_loss)
    for length in (8, 5, 8, 5):
        args = window(3, length)
        expected = numerical_grad(next_letter_loss, args, 0)
        assert max_relative_error(g(*args), expected) < TOL
    assert len(traces) == 2  # one unrolled derivative per length


def test_the_emitted_file_reads_the_list_when_it_runs():
    derivative = srcdiff.grad(column_loss).derivative(*window(0))
    namespace: dict = {}
    exec(compile(srcdiff.api.render(derivative), "<emitted>", "exec"), namespace)
    for at in (9, 30):
        args = window(at)
        got = namespace["column_loss_grad"](*args)
        assert max_relative_error(got, numerical_grad(column_loss, args, 0)) < TOL


def lookup_table(w, ids):
    rows = [w * 1.0, w * 2.0, w**2]
    return sum(np.sum(rows[ids[k]]) for k in range(len(ids)))


def test_a_list_its_items_index_a_python_list_falls_back_to_values(traces):
    """``rows[ids[k]]`` needs Python ints: traced again with the values, and
    from then on read as values (one trace per new list)."""
    w = RNG.normal(size=3)
    g = srcdiff.grad(lookup_table)
    for ids in ([0, 2, 1], [2, 2, 0], [0, 2, 1]):
        expected = numerical_grad(lookup_table, (w, ids), 0)
        assert max_relative_error(g(w, ids), expected) < TOL
    assert g.data == frozenset()
    assert len(traces) == 3  # data tried once, then one trace per new list


def counted(w, ids):
    total = 0.0
    for i in ids:
        total = total + w[i] ** 2
    return total + len(ids) * np.sum(w)


def test_a_list_used_otherwise_stays_python_values(traces):
    w = RNG.normal(size=4)
    g = srcdiff.grad(counted)
    for ids in ([0, 3], [1, 1, 2]):
        expected = numerical_grad(counted, (w, ids), 0)
        assert max_relative_error(g(w, ids), expected) < TOL
    assert "ids" not in g.data and len(traces) == 2


def _params(source: str) -> frozenset:
    tree = ast.parse(source)
    return indexed_only(tree.body[0])


def test_which_parameters_are_only_indexed_with():
    assert _params("def f(a, b):\n return x[a[0]] + len(a) + b[1:]\n") == {"a"}
    assert _params("def f(a, b):\n return g(a) + x[b[a[0]], 0]\n") == {"b"}
    assert _params("def f(a, b):\n a = [1]\n y[b[0]] = 2\n") == {"b"}
    assert _params("def f(a, b):\n a[0] = 1\n return sum(b)\n") == frozenset()
    assert _params("def f(a):\n g = lambda a: a\n return x[a[0]]\n") == frozenset()
    assert _params("def f(a):\n return [x[a[i]] for i in range(len(a))]\n") == {"a"}
    # Items used as numbers could set a size: np.zeros(a[0]) keeps them values.
    assert _params("def f(a, b):\n return np.zeros(a[0]) + b[0] * x\n") == frozenset()
    assert _params("def f(a):\n return x[a[0] : a[1]]\n") == frozenset()
    assert indexed_only(parse(next_letter_loss).node) == {"letters", "following"}


# ----- xs[t][i] = v -----
def shared_row(x):
    row = np.zeros(3)
    rows = {0: row}
    rows[0][1] = x[0]
    return np.sum(row * x)


def a_parameter_in_a_dict(x):
    rows = {0: x}
    rows[0][1] = 2.0
    return np.sum(rows[0])


def set_first(rows, value):
    rows[0][0] = value


def through_a_helper(x):
    row = np.zeros(3)
    set_first([row], x[0])  # NumPy changes `row` too
    return np.sum(row * x)


def test_assigning_into_an_array_others_hold_is_refused():
    with pytest.raises(srcdiff.UnsupportedSyntax, match="another name also holds"):
        srcdiff.grad(shared_row)(np.ones(3))
    with pytest.raises(srcdiff.UnsupportedSyntax, match="did not make"):
        srcdiff.grad(a_parameter_in_a_dict)(np.ones(3))
    with pytest.raises(srcdiff.UnsupportedSyntax, match="did not make"):
        srcdiff.grad(through_a_helper)(np.ones(3))


def one_hot_rows(w, ids):
    rows = []
    for k in range(len(ids)):
        rows.append(np.zeros(3))
        rows[k][ids[k]] = 1.0
    return sum(np.sum(np.tanh(w * r + 0.1 * k)) for k, r in enumerate(rows))


def test_assigning_into_a_list_item_at_a_data_index(traces):
    w = RNG.normal(size=3)
    g = srcdiff.grad(one_hot_rows)
    for ids in ([0, 2, 2, 1], [1, 0, 2, 2]):
        expected = numerical_grad(one_hot_rows, (w, ids), 0)
        assert max_relative_error(g(w, ids), expected) < TOL
    assert len(traces) == 1
    assert "rows_0[ids[0]] = 1.0" in g.source


# ----- the bound on specialisations -----
def powered(x, n):
    return np.sum(x**n)


def test_the_cache_keeps_the_most_recent_specialisations(monkeypatch, traces):
    monkeypatch.setattr(srcdiff.api, "MAX_SPECS", 3)
    g = srcdiff.grad(powered)
    x = RNG.normal(size=3)
    for n in range(1, 8):
        assert max_relative_error(g(x, n), n * x ** (n - 1)) < TOL
    assert len(g._paths) == 3 and len(traces) == 7
    g(x, 7)
    g(x, 5)  # still kept: no trace
    assert len(traces) == 7
    g(x, 1)  # dropped long ago: traced again
    assert len(traces) == 8 and len(g._paths) == 3
