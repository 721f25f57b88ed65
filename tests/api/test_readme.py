"""The README's code listings are what srcdiff really reads and writes.

A listing quoting an emitted gradient must be statement for statement part
of the golden file it names (``...`` marks a gap); the function shown beside
it must be the example's own; the listing of a random-draw gradient must be
what srcdiff emits for the function shown with it. Statements are compared as
ASTs, so a listing may wrap lines differently from black.
"""

from __future__ import annotations

import ast
import re
import textwrap
from collections.abc import Iterator
from pathlib import Path

import numpy as np

import srcdiff
from srcdiff.numeric import max_relative_error, numerical_grad

ROOT = Path(__file__).resolve().parents[2]
README = (ROOT / "README.md").read_text()
LISTINGS = re.findall(r"```python\n(.*?)```", README, flags=re.DOTALL)


def _listing(marker: str) -> str:
    (found,) = [text for text in LISTINGS if marker in text]
    return found


def _chunks(listing: str) -> list[list[str]]:
    """The listing's statements, as AST dumps, in pieces split at ``...``."""
    pieces = re.split(r"^\s*\.\.\.\s*$", listing, flags=re.MULTILINE)
    return [_dumps(ast.parse(textwrap.dedent(p)).body) for p in pieces if p.strip()]


def _dumps(stmts: list[ast.stmt]) -> list[str]:
    return [ast.dump(s) for s in stmts]


def _blocks(tree: ast.AST) -> Iterator[list[ast.stmt]]:
    """Every statement list in a module, at every depth."""
    for node in ast.walk(tree):
        for field in ("body", "orelse", "finalbody"):
            block = getattr(node, field, None)
            if isinstance(block, list) and block and isinstance(block[0], ast.stmt):
                yield block


def _contains(block: list[str], chunk: list[str]) -> bool:
    n = len(chunk)
    return any(block[i : i + n] == chunk for i in range(len(block) - n + 1))


def _quoted_in(listing: str, path: Path) -> bool:
    blocks = [_dumps(b) for b in _blocks(ast.parse(path.read_text()))]
    return all(any(_contains(b, c) for b in blocks) for c in _chunks(listing))


def test_every_python_listing_is_checked_here():
    markers = [
        "def loss(params, X, Y)",
        "def loss_grad(params, X, Y)",
        "hs.append(h)",
        "y is not shaped like the example",
        "def neg_elbo_grad",
        "import srcdiff",
        "def loss_jvp",
        "j = srcdiff.jvp",
        "def loss_hvp",
        "h = srcdiff.hvp",
        "fit = srcdiff.optimize.minimize",
        "@srcdiff.primitive",
        "def loss_grad(W, X, Y)",
        "has_aux=True",
    ]
    assert sorted(LISTINGS) == sorted(_listing(m) for m in markers)


def test_the_mlp_function_is_the_example():
    example = ast.parse((ROOT / "examples" / "mlp.py").read_text()).body
    shown = _chunks(_listing("def loss(params, X, Y)"))
    assert shown == [_dumps(example[1:4])]  # the imports and loss, docstring aside


def test_the_mlp_gradient_is_its_golden_file_whole():
    golden = ast.parse((ROOT / "golden" / "mlp__loss.py").read_text())
    (function,) = [
        n
        for n in golden.body
        if isinstance(n, ast.FunctionDef) and n.name == "loss_grad"
    ]
    assert _chunks(_listing("def loss_grad(params, X, Y)")) == [_dumps([function])]


def test_the_rolled_loop_listing_is_in_the_rnn_golden():
    assert _quoted_in(_listing("hs.append(h)"), ROOT / "golden" / "rnn__loss__all.py")


def test_the_size_check_listing_is_in_the_logistic_golden():
    listing = _listing("y is not shaped like the example")
    assert _quoted_in(listing, ROOT / "golden" / "logistic__loss.py")


def test_the_forward_mode_listing_is_in_the_rnn_jvp_golden():
    listing = _listing("def loss_jvp")
    assert _quoted_in(listing.split("...", 1)[1], ROOT / "golden/jvp/rnn__loss__all.py")
    assert (
        "def loss_jvp(W, U, V, h0, xs, y, dW, dU, dV, dh0):"
        in (ROOT / "golden/jvp/rnn__loss__all.py").read_text()
    )


def test_the_jvp_usage_listing_runs(load_function):
    rnn = load_function((ROOT / "examples" / "rnn.py").read_text() + "\nf = loss\n")
    W, U, V, h0, xs, y = rnn.__globals__["example"]()
    dW, dh0 = np.ones_like(W), np.ones_like(h0)
    namespace = {"srcdiff": srcdiff, "loss": rnn, **locals()}
    exec(_listing("j = srcdiff.jvp"), namespace)
    gW, gh0 = srcdiff.grad(rnn, wrt=["W", "h0"])(W, U, V, h0, xs, y)
    expected = np.sum(gW) + np.sum(gh0)
    assert abs(namespace["dloss"] - expected) < 1e-9 * max(1.0, abs(expected))


def test_the_hvp_listing_is_in_the_logistic_hvp_golden():
    listing = _listing("def loss_hvp")
    head, body = listing.split("...", 1)
    path = ROOT / "golden" / "hvp" / "logistic__loss.py"
    assert _quoted_in(body, path)
    assert head.strip().splitlines()[0] + "\n" in path.read_text()


def test_the_hvp_usage_listing_runs(load_function):
    source = (ROOT / "examples" / "logistic.py").read_text() + "\nf = loss\n"
    logistic = load_function(source)
    w, X, y = logistic.__globals__["example"]()
    v = np.array([1.0, -0.5, 2.0])
    namespace = {"srcdiff": srcdiff, "loss": logistic, **locals()}
    exec(_listing("h = srcdiff.hvp"), namespace)
    assert np.allclose(namespace["H"] @ v, namespace["hv"])
    gradient = srcdiff.grad(logistic)
    eps = 1e-6
    numeric = (gradient(w + eps * v, X, y) - gradient(w - eps * v, X, y)) / (2 * eps)
    assert np.allclose(namespace["hv"], numeric, atol=1e-7)


def test_the_primitive_listing_is_the_example_s_own():
    listing = _listing("@srcdiff.primitive")
    assert _quoted_in(listing, ROOT / "examples" / "softmax_regression.py")


def test_the_primitive_gradient_listing_is_in_its_golden():
    listing = _listing("def loss_grad(W, X, Y)")
    golden = ROOT / "golden" / "softmax_regression__loss.py"
    assert _quoted_in(listing.split("...", 1)[1], golden)
    assert "def loss_grad(W, X, Y):" in golden.read_text()


def test_the_aux_stop_gradient_listing_runs(load_function):
    example = (ROOT / "examples" / "softmax_regression.py").read_text()
    listing = _listing("has_aux=True")
    f = load_function(f"{example}\n{listing}\nf = self_distilled\n")
    space = f.__globals__
    W, X, Y = space["W"], space["X"], space["Y"]
    assert space["accuracy"] == space["loss_and_accuracy"](W, X, Y)[1]
    assert space["value"] == space["loss"](W, X, Y)
    assert np.allclose(space["dW"], srcdiff.grad(space["loss"])(W, X, Y))
    Z = X @ W
    P = np.exp(Z - np.log(np.sum(np.exp(Z), axis=1, keepdims=True)))
    held = numerical_grad(space["loss"], (W, X, 0.9 * Y + 0.1 * P), 0)
    assert max_relative_error(space["dW_distilled"], held) < 1e-6
    assert np.allclose(space["dtanh"], 1 - np.tanh(X) ** 2)


def test_a_listing_that_is_not_in_a_golden_file_is_caught():
    assert not _quoted_in("h = np.tanh(h)\n", ROOT / "golden" / "rnn__loss__all.py")


def _is_size_check(stmt: ast.stmt) -> bool:
    return (
        isinstance(stmt, ast.If)
        and len(stmt.body) == 1
        and isinstance(stmt.body[0], ast.Raise)
    )


def test_the_random_draw_listing_is_what_srcdiff_emits(load_function):
    listing = _listing("def neg_elbo_grad")
    source, emitted_shown = listing.split("def neg_elbo_grad")
    neg_elbo = load_function("import numpy as np\n\n" + source.replace("neg_elbo", "f"))
    params = (np.zeros(2), np.zeros(2))
    data = np.ones((8, 2))
    g = srcdiff.grad(neg_elbo)
    g(params, data, np.random.default_rng(0))
    emitted = ast.parse(g.source)
    (function,) = [n for n in emitted.body if isinstance(n, ast.FunctionDef)]
    body = [s for s in function.body[1:] if not _is_size_check(s)]  # docstring
    shown = ast.parse("def f" + emitted_shown).body[0]
    assert isinstance(shown, ast.FunctionDef)
    assert _dumps(shown.body) == _dumps(body)


def test_the_newton_cg_listing_fits_the_logistic_example():
    namespace = {"srcdiff": srcdiff}
    exec(_listing("fit = srcdiff.optimize.minimize"), namespace)
    fit, X, y = namespace["fit"], namespace["X"], namespace["y"]
    assert fit.success and fit.nhev > 0
    logistic = namespace["loss"]
    # The fit is a minimum: the gradient there, by central differences, is ~0.
    eps = 1e-6
    steps = np.eye(len(fit.x)) * eps
    numeric = [
        (logistic(fit.x + s, X, y) - logistic(fit.x - s, X, y)) / (2 * eps)
        for s in steps
    ]
    assert np.abs(numeric).max() < 1e-5
