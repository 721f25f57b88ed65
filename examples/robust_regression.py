"""Robust regression of a saturating response: Cauchy loss, pseudo-Huber penalty."""

import numpy as np


def loss(w, X, y):
    prediction = 2.0 * np.tanh(X @ w / 2.0)
    residual = (prediction - y) / 0.3
    data_fit = np.mean(np.log1p(residual**2))
    penalty = 0.01 * np.sum(np.sqrt(1 + w**2) - 1)
    return data_fit + penalty


def example(n=25):
    rng = np.random.default_rng(4)
    X = rng.normal(size=(n, 3))
    w_true = np.array([0.8, -0.5, 0.3])
    y = 2.0 * np.tanh(X @ w_true / 2.0) + 0.1 * rng.standard_cauchy(size=n)
    w = 0.1 * rng.normal(size=3)
    return w, X, y
