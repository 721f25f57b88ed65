"""Each example runs on its own inputs and has a finite numerical gradient."""

import importlib.util
from pathlib import Path
from types import ModuleType

import numpy as np
import pytest

from srcdiff.numeric import leaves, map_leaves, numerical_grad

EXAMPLES = sorted((Path(__file__).parents[2] / "examples").glob("*.py"))


def load(path: Path) -> ModuleType:
    spec = importlib.util.spec_from_file_location(f"examples.{path.stem}", path)
    assert spec is not None
    assert spec.loader is not None
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


def test_examples_are_found():
    assert [path.stem for path in EXAMPLES] == [
        "attention",
        "cox_survival",
        "deconvolution",
        "denoising",
        "gp",
        "logistic",
        "loglinear",
        "matrix_factorization",
        "mlp",
        "negative_binomial",
        "ode",
        "receptive_field",
        "rnn",
        "robust_regression",
        "softmax_regression",
        "taylor_sine",
        "tobit",
    ]


@pytest.fixture(params=EXAMPLES, ids=lambda path: path.stem)
def example(request: pytest.FixtureRequest) -> ModuleType:
    return load(request.param)


def test_loss_is_a_finite_scalar(example):
    value = example.loss(*example.example())
    assert np.ndim(value) == 0
    assert np.isfinite(value)


def test_example_inputs_are_reproducible(example):
    # Leaf by leaf: inputs may be integer or boolean, and missing data NaN.
    first, second = leaves(example.example()), leaves(example.example())
    for a, b in zip(first, second, strict=True):
        np.testing.assert_array_equal(a, b)


def test_numerical_gradient_is_finite(example):
    args = example.example()
    g = numerical_grad(example.loss, args, 0)
    assert map_leaves(np.shape, g) == map_leaves(np.shape, args[0])
    assert all(np.all(np.isfinite(leaf)) for leaf in leaves(g))
