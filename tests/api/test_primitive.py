"""``@srcdiff.primitive``: one step with the user's own rules, copied into
the emitted file as plain defs that run without srcdiff."""

from __future__ import annotations

import numpy as np
import pytest
from standalone import run_standalone

import srcdiff
from srcdiff.api import render
from srcdiff.cli import main
from srcdiff.numeric import max_relative_error, numerical_grad

TOL = 1e-6
SHIFT = 0.0  # a number the copies read: written out in the emitted file


@srcdiff.primitive
def logsumexp_stable(x):
    top = np.max(x)
    return top + np.log(np.sum(np.exp(x - top))) + SHIFT


def logsumexp_stable_vjp(g, ans, x):
    return g * np.exp(x - ans)


def logsumexp_stable_jvp(t, ans, x):
    return np.sum(t * np.exp(x - ans))


logsumexp_stable.defvjp(logsumexp_stable_vjp)
logsumexp_stable.defjvp(logsumexp_stable_jvp)


def log_likelihood(w, X):
    z = X @ w
    return logsumexp_stable(z) - np.mean(z) + 0.5 * np.sum(w**2)


@srcdiff.primitive
def cross_entropy(z, onehot):
    """Mean cross-entropy of the rows of softmax(z) against one-hot rows."""
    top = np.max(z, axis=1, keepdims=True)
    lse = np.log(np.sum(np.exp(z - top), axis=1)) + top[:, 0]
    return np.mean(lse - np.sum(z * onehot, axis=1))


@cross_entropy.defvjp
def cross_entropy_vjp(g, ans, z, onehot):
    p = np.exp(z - np.max(z, axis=1, keepdims=True))
    p = p / np.sum(p, axis=1, keepdims=True)
    return g * (p - onehot) / z.shape[0], None


def classifier(W, X, Y):
    return cross_entropy(X @ W, Y) + 0.1 * np.sum(W * W)


@srcdiff.primitive
def wiggle(x):
    return np.sin(x)


def uses_wiggle(x):
    return np.sum(wiggle(x))


@srcdiff.primitive
def scaled(x):
    return x * len(CONTAINER)


CONTAINER = [1, 2]
scaled.defvjp(lambda g, ans, x: g * len(CONTAINER))


def uses_scaled(x):
    return np.sum(scaled(x))


def code(text: str) -> str:
    """The emitted file without its header comments."""
    return "\n".join(line for line in text.splitlines() if not line.startswith("#"))


@srcdiff.primitive
def softmax(z, axis=-1):
    e = np.exp(z - np.max(z, axis=axis, keepdims=True))
    return e / np.sum(e, axis=axis, keepdims=True)


@softmax.defvjp
def softmax_vjp(g, ans, z, axis=-1):
    return ans * (g - np.sum(g * ans, axis=axis, keepdims=True)), None


@srcdiff.primitive
def entropy(z):
    p = softmax(z, axis=1)
    return -np.sum(p * np.log(p))


@entropy.defvjp
def entropy_vjp(g, ans, z):
    p = softmax(z, axis=1)
    return -g * p * (np.log(p) + 1 - np.sum(p * (np.log(p) + 1), axis=1)[:, None])


def mixed(W, X):
    return np.sum(softmax(X @ W, axis=1)[:, 0] ** 2) + entropy(X @ W)


def directional(f, args, v, h=1e-6):
    """Central difference of ``f`` along ``v`` in its first argument."""
    x, rest = args[0], args[1:]
    return (f(x + h * v, *rest) - f(x - h * v, *rest)) / (2 * h)


def problem(seed: int = 0):
    rng = np.random.default_rng(seed)
    return rng.normal(size=3), rng.normal(size=(6, 3))


def classes(seed: int = 1):
    rng = np.random.default_rng(seed)
    X = rng.normal(size=(8, 3))
    return rng.normal(size=(3, 4)), X, np.eye(4)[rng.integers(0, 4, size=8)]


def test_grad_uses_the_rule_and_matches_central_differences():
    args = problem()
    got = srcdiff.grad(log_likelihood)(*args)
    assert max_relative_error(got, numerical_grad(log_likelihood, args, 0)) < TOL


def test_a_wrong_rule_gives_a_wrong_gradient():
    """The rule is what runs: srcdiff does not trace inside the primitive."""

    @srcdiff.primitive
    def double(x):
        return 2 * x

    double.defvjp(lambda g, ans, x: 3 * g)

    def f(x):
        return np.sum(double(x))

    assert np.allclose(srcdiff.grad(f)(np.ones(2)), 3.0)


def test_one_cotangent_may_come_as_a_tuple_of_one():
    @srcdiff.primitive
    def lse(x):
        return np.log(np.sum(np.exp(x)))

    lse.defvjp(lambda g, ans, x: (g * np.exp(x - ans),))  # JAX's convention

    def f(x):
        return 2 * lse(x)

    x = np.array([0.5, 1.0, -1.0])
    assert np.allclose(srcdiff.grad(f)(x), 2 * np.exp(x) / np.sum(np.exp(x)))


def test_several_arguments_none_for_one_without_a_cotangent():
    args = classes()
    value, got = srcdiff.value_and_grad(classifier)(*args)
    assert value == pytest.approx(classifier(*args))
    assert max_relative_error(got, numerical_grad(classifier, args, 0)) < TOL


def test_none_for_an_argument_that_needs_a_gradient_is_a_located_error():
    with pytest.raises(srcdiff.UnsupportedPrimitive) as info:
        srcdiff.grad(classifier, wrt="Y")(*classes())
    assert "with respect to its argument 'onehot'" in str(info.value)
    assert info.value.loc.line > 0 and "cross_entropy(X @ W, Y)" in info.value.loc.text


def test_keywords_and_a_rule_calling_another_primitive(tmp_path):
    args = classes()[:2]
    g = srcdiff.grad(mixed)
    got = g(*args)
    assert max_relative_error(got, numerical_grad(mixed, args, 0)) < TOL
    text = g.source
    assert "softmax_vjp_z, _ = softmax_vjp(" in text  # named for its argument
    assert text.count("def softmax(z, axis=-1):") == 1
    path = tmp_path / "mixed_grad.py"
    path.write_text(text)
    assert max_relative_error(run_standalone(path, "mixed_grad", args), got) < 1e-12


@srcdiff.primitive
def scale(x, c=2.0):
    return c * x


scale.defvjp(lambda g, ans, x, c=2.0: (g * c, np.sum(g * x)))


def scaled_twice(x, c):
    return np.sum(scale(x=x, c=c) ** 2) + np.sum(scale(x))


def test_arguments_by_keyword_and_defaults_left_out():
    args = (np.array([0.5, 1.0, -1.0]), 3.0)
    dx, dc = srcdiff.grad(scaled_twice, wrt=["x", "c"])(*args)
    assert max_relative_error(dx, numerical_grad(scaled_twice, args, 0)) < TOL
    assert dc == pytest.approx(numerical_grad(scaled_twice, args, 1), rel=TOL)


def test_jvp_uses_the_tangent_rule():
    args = problem()
    dw = np.array([0.3, -1.0, 0.5])
    value, tangent = srcdiff.jvp(log_likelihood)(*args, dw)
    assert value == pytest.approx(log_likelihood(*args))
    expected = directional(log_likelihood, args, dw)
    assert tangent == pytest.approx(expected, rel=TOL)


def test_missing_vjp_says_what_to_write():
    with pytest.raises(srcdiff.UnsupportedPrimitive) as info:
        srcdiff.grad(uses_wiggle)(np.ones(3))
    text = str(info.value)
    assert "wiggle.defvjp(rule)" in text and "rule(g, ans, x)" in text
    assert "np.sum(wiggle(x))" in text and "^" in text


def test_missing_jvp_says_what_to_write():
    with pytest.raises(srcdiff.UnsupportedPrimitive) as info:
        srcdiff.jvp(uses_wiggle)(np.ones(3), np.ones(3))
    assert "wiggle.defjvp(rule, ...)" in str(info.value)


def test_a_copy_reading_a_global_the_file_cannot_hold_is_located():
    with pytest.raises(srcdiff.TraceError) as info:
        srcdiff.grad(uses_scaled).source  # noqa: B018
    assert "reads CONTAINER" in str(info.value)
    assert "x * len(CONTAINER)" in info.value.loc.text


def test_emitted_file_copies_plain_defs_and_runs_without_srcdiff(tmp_path):
    args = problem()
    g = srcdiff.grad(log_likelihood)
    g(*args)
    text = g.source
    assert "import srcdiff" not in code(text) and "srcdiff." not in code(text)
    assert "@srcdiff" not in text and "defvjp" not in text and "defjvp" not in text
    assert "SHIFT = 0.0\n" in text
    assert "def logsumexp_stable(x):" in text
    assert text.index("def logsumexp_stable(") < text.index("def logsumexp_stable_vjp(")
    assert "logsumexp_stable_jvp" not in text  # reverse mode needs no tangent rule
    path = tmp_path / "log_likelihood_grad.py"
    path.write_text(text)
    got = run_standalone(path, "log_likelihood_grad", args)
    assert max_relative_error(got, numerical_grad(log_likelihood, args, 0)) < TOL


def test_emitted_jvp_runs_without_srcdiff(tmp_path):
    args = problem()
    dw = np.array([1.0, 0.0, -2.0])
    j = srcdiff.jvp(log_likelihood)
    text = render(j.derivative(*args))
    assert "def logsumexp_stable_jvp(t, ans, x):" in text
    path = tmp_path / "log_likelihood_jvp.py"
    path.write_text(text)
    _, tangent = run_standalone(path, "log_likelihood_jvp", (*args, dw))
    assert tangent == pytest.approx(directional(log_likelihood, args, dw), rel=TOL)


def test_cli_emits_the_copies(tmp_path, monkeypatch, capsys):
    monkeypatch.chdir(tmp_path)
    target = f"{__file__}:classifier"
    assert main(["emit", target]) == 0
    text = capsys.readouterr().out
    assert "def cross_entropy(z, onehot):" in text
    assert "def cross_entropy_vjp(g, ans, z, onehot):" in text
    assert "import srcdiff" not in code(text) and "srcdiff." not in code(text)
    path = tmp_path / "classifier_grad.py"
    path.write_text(text)
    args = classes()
    got = run_standalone(path, "classifier_grad", args)
    assert max_relative_error(got, numerical_grad(classifier, args, 0)) < TOL


def test_grad_of_the_primitive_itself_uses_its_rule():
    x = np.array([0.5, 1.0, -1.0])
    g = srcdiff.grad(logsumexp_stable)
    assert max_relative_error(g(x), np.exp(x) / np.sum(np.exp(x))) < 1e-12
    assert "dx = logsumexp_stable_vjp(1.0, " in g.source
    z = classes()[1][:3]
    got = srcdiff.grad(entropy)(z)
    assert max_relative_error(got, numerical_grad(entropy, (z,), 0)) < TOL
    got = srcdiff.elementwise_grad(softmax)(z, axis=0)  # a keyword passed on
    assert np.allclose(got, 0.0)  # the softmax sums to one along axis 0


def test_the_primitive_still_runs_as_the_function():
    x = np.array([0.0, 1.0, 2.0])
    assert logsumexp_stable(x) == pytest.approx(np.log(np.sum(np.exp(x))))
    assert logsumexp_stable.__name__ == "logsumexp_stable"
