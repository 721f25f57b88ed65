"""The adjoint of ``x[mask]`` for a boolean mask reads ``dx[mask] = g``.

A mask picks each element at most once, so no scatter with repeats is
needed: ``dx = np.zeros_like(x)``, then ``dx[mask] = g``. Other indices add
into zeros too, ``np.add.at`` where an index may repeat (an int array,
``np.nonzero``'s tuple); the copied ``scatter_add`` helper stays only where no
example tells that the adjoint is real. Each gradient is checked against
central differences.
"""

from __future__ import annotations

import numpy as np
import pytest

import srcdiff
from srcdiff.api import compile_derivative, render
from srcdiff.numeric import max_relative_error, numerical_grad

RNG = np.random.default_rng(11)


def gradient_lines(f, *args, tol=1e-6):
    derivative = srcdiff.grad(f).derivative(*args)
    got = compile_derivative(derivative)(*args)
    expected = numerical_grad(f, args, 0)
    assert max_relative_error(got, expected) < tol
    assert np.result_type(got) == np.result_type(args[0])
    return [line.strip() for line in render(derivative).splitlines()]


def positive_part(x):
    return np.sum(np.sin(x[x > 0]) ** 2)


def test_a_mask_writes_the_adjoint_where_it_picked():
    lines = gradient_lines(positive_part, RNG.normal(size=9))
    assert "dx = np.zeros_like(x)" in lines
    assert "dx[x_gt_zero] = 2.0 * np.sin(x_x_gt_zero) * np.cos(x_x_gt_zero)" in lines
    assert not any("scatter_add" in line for line in lines)


def test_a_mask_of_float32_values_keeps_their_dtype():
    lines = gradient_lines(
        positive_part, RNG.normal(size=9).astype(np.float32), tol=1e-3
    )
    assert "dx = np.zeros_like(x)" in lines


def count_positive(A):
    return np.sum(A[A > 0.1])


def test_a_fill_written_at_a_mask_is_its_number():
    lines = gradient_lines(count_positive, RNG.normal(size=(3, 4)))
    assert "dA[A > 0.1] = 1.0" in lines


def two_masks(x):
    return np.sum(np.cos(x[x > 0])) + np.sum(np.sin(x[x < 0.5]))


def test_two_masks_add_into_one_array():
    lines = gradient_lines(two_masks, RNG.normal(size=8))
    assert lines.count("dx = np.zeros_like(x)") == 1
    assert "dx[x_gt_zero] -= np.sin(x[x_gt_zero])" in lines
    assert "dx[x_lt_half] += np.cos(x[x_lt_half])" in lines


def by_nonzero(x):
    return np.sum(np.sin(x[np.nonzero(x > 0)]))


def by_ints(x):
    return np.sum(np.sin(x[np.array([0, 2, 2, 1])]))


@pytest.mark.parametrize("f", [by_nonzero, by_ints])
def test_an_index_that_may_repeat_adds_every_repeat(f):
    lines = gradient_lines(f, RNG.normal(size=6))
    assert "dx = np.zeros_like(x)" in lines
    assert any(line.startswith("np.add.at(dx, ") for line in lines)
    assert not any("scatter_add" in line for line in lines)


def by_slice(x):
    return np.sum(np.sin(x[1:3]))


def test_a_slice_adds_its_adjoint_into_zeros():
    lines = gradient_lines(by_slice, RNG.normal(size=6))
    assert lines[-3:] == [
        "dx = np.zeros_like(x)",
        "dx[1:3] += np.cos(x[1:3])",
        "return dx",
    ]


def test_without_an_example_the_adjoint_may_be_complex_so_the_helper_stays():
    text = render(srcdiff.grad(by_slice).derivative())
    assert "dx = scatter_add(np.cos(x[1:3]), np.shape(x), np.s_[1:3])" in text


def masked_sine(x):
    return np.sum(np.sin(x)[np.array([True, False, True, True, False])])


def test_a_masked_temporary_is_not_computed_for_its_shape():
    lines = gradient_lines(masked_sine, RNG.normal(size=5))
    assert "np.sin(x)" not in "\n".join(lines)


def two_masks_of_a_temporary(x):
    return np.sum(np.cos((np.sin(x) * 2)[x > 0])) + np.sum(
        np.sin((np.sin(x) * 2)[x < 0.5])
    )


def test_two_masks_of_a_temporary_add_into_one_array():
    lines = gradient_lines(two_masks_of_a_temporary, RNG.normal(size=8))
    assert not any(".copy()" in line for line in lines)
    assert sum(line.startswith("zeros[") for line in lines) == 2
