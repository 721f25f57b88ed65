"""The pipeline's own checks stay linear in the length of the trace."""

from __future__ import annotations

import numpy as np

import srcdiff
from srcdiff import pipeline


def chain(x):
    for _ in range(300):
        x = x + 0.01 * np.sin(x)
    return np.sum(x)


def test_the_output_rank_bound_visits_each_value_once(monkeypatch):
    # Each step reads x twice: following both reads without remembering
    # what it found made emitting this without an example take 2**300 steps.
    calls = 0
    inner = pipeline._min_ndim

    def counted(*args, **kwargs):
        nonlocal calls
        calls += 1
        return inner(*args, **kwargs)

    monkeypatch.setattr(pipeline, "_min_ndim", counted)
    g = srcdiff.grad(chain, unroll=True)
    assert "np.cos" in g.source  # the shape-generic derivative, all 300 steps
    assert 0 < calls < 10 * 300
