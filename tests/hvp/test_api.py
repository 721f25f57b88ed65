"""The front doors of second order: ``srcdiff.hvp`` (vectors by position or
name, several ``wrt``, no example), ``grad(grad(f))``, ``hessian`` and
``jacobian``, ``srcdiff emit --hvp/--hessian/--jacobian``, and their errors."""

import numpy as np
import pytest

import srcdiff
from srcdiff import cli


def quartic(x, A):
    return np.sum((A @ x) ** 4) / 4


def two(x, y):
    return np.sum(np.tanh(x) * y) + np.sum(x**2 * y**3)


def test_hvp_of_a_quartic_is_its_hessian_times_v():
    rng = np.random.default_rng(0)
    x, A, v = rng.normal(size=3), rng.normal(size=(4, 3)), rng.normal(size=3)
    expected = A.T @ (3 * (A @ x) ** 2 * (A @ v))
    assert np.allclose(srcdiff.hvp(quartic)(x, A, v), expected)
    assert np.allclose(srcdiff.hvp(quartic)(x, A, v=v), expected)
    hessian = srcdiff.hessian(quartic)(x, A)
    assert np.allclose(hessian, A.T @ np.diag(3 * (A @ x) ** 2) @ A)


def test_several_wrt_take_one_vector_each_named_after_them():
    rng = np.random.default_rng(1)
    x, y, vx, vy = (rng.normal(size=3) for _ in range(4))
    hvp = srcdiff.hvp(two, wrt=["x", "y"])
    assert hvp.tangents == ["v_x", "v_y"]
    hx, hy = hvp(x, y, vx, vy)
    t = np.tanh(x)
    dxx, dxy = -2 * t * (1 - t**2) * y + 2 * y**3, 1 - t**2 + 6 * x * y**2
    assert np.allclose(hx, dxx * vx + dxy * vy)
    assert np.allclose(hy, dxy * vx + 6 * x**2 * y * vy)
    assert np.allclose(hvp(x, y, v_y=vy, v_x=vx)[1], hy)
    assert "def two_hvp(x, y, v_x, v_y):" in hvp.source


def test_hvp_without_an_example_is_shape_generic():
    source = srcdiff.hvp(quartic).source
    assert "Specialised for: any shapes" in source
    namespace: dict = {}
    exec(compile(source, "quartic_hvp", "exec"), namespace)
    rng = np.random.default_rng(2)
    for n in (2, 5):
        x, A, v = rng.normal(size=n), rng.normal(size=(3, n)), rng.normal(size=n)
        expected = srcdiff.hvp(quartic)(x, A, v)
        assert np.allclose(namespace["quartic_hvp"](x, A, v), expected)


def test_grad_of_grad_is_the_second_derivative():
    def f(x):
        return np.sin(x) * x**3

    second = srcdiff.grad(srcdiff.grad(f))
    x = 0.7
    expected = -np.sin(x) * x**3 + 6 * np.cos(x) * x**2 + 6 * np.sin(x) * x
    assert np.isclose(second(x), expected)
    assert second.__name__ == "f_grad_grad"
    assert "def f_grad_grad(x):" in second.source
    assert "d2f = " in second.source


def test_grad_of_grad_needs_one_number():
    with pytest.raises(srcdiff.NonScalarOutput, match="needs it to be one number"):
        srcdiff.grad(srcdiff.grad(quartic))(np.ones(3), np.eye(3))


def test_grad_of_grad_refuses_other_gradients_and_another_wrt():
    with pytest.raises(srcdiff.InvalidWrt, match="only as grad"):
        srcdiff.grad(srcdiff.value_and_grad(quartic))
    with pytest.raises(srcdiff.InvalidWrt, match="inner gradient is with respect"):
        srcdiff.grad(srcdiff.grad(quartic), wrt="A")


def test_dense_derivatives_take_one_array_argument():
    with pytest.raises(srcdiff.InvalidWrt, match="one wrt argument") as info:
        srcdiff.hessian(two, wrt=["x", "y"])(np.ones(2), np.ones(2))
    assert "test_api.py" in str(info.value)
    params = [(np.ones((2, 2)), np.ones(2))]
    with pytest.raises(srcdiff.InvalidWrt, match="takes arrays or numbers"):
        srcdiff.jacobian(lambda p: p[0][0] * 2)(params)


def test_jacobian_stacks_tangents_of_an_array_output():
    def f(x, y):
        return np.tanh(x) * y[0] + x**2

    x, y = np.array([0.1, 0.2, 0.3]), np.array([2.0, 1.0])
    jacobian = srcdiff.jacobian(f)(x, y)
    assert np.allclose(jacobian, np.diag((1 - np.tanh(x) ** 2) * 2 + 2 * x))
    source = srcdiff.jacobian(f).source
    assert "def f_jvp(x, y, dx):" in source and "def f_jacobian(x, y):" in source


def test_a_missing_tangent_of_a_gradient_is_a_located_error():
    def f(x):
        s = np.sort(x)
        return np.sum(s * np.arange(3.0))

    with pytest.raises(srcdiff.UnsupportedPrimitive) as info:
        srcdiff.hvp(f)(np.ones(3), np.ones(3))
    message = str(info.value)
    assert "test_api.py:" in message and "s = np.sort(x)" in message
    assert "^" in message and "srcdiff.grad for first derivatives" in message


@pytest.mark.parametrize("mode", ["hvp", "hessian", "jacobian"])
def test_emit_writes_the_mode_and_records_it(mode, capsys, monkeypatch):
    monkeypatch.chdir(__file__.rsplit("/tests/", 1)[0])
    example = ["--example", "examples/logistic.py:example"]
    assert cli.main(["emit", f"--{mode}", "examples/logistic.py:loss", *example]) == 0
    text = capsys.readouterr().out
    assert f"--example examples/logistic.py:example --{mode}" in text
    inner = "jvp" if mode == "jacobian" else "hvp"
    assert f"def loss_{inner}(" in text
    if mode != "hvp":
        assert f"def loss_{mode}(w, X, y):" in text
    assert "srcdiff" not in text.split("\n", 3)[3]
