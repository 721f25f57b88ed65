"""Logistic regression: mean negative log-likelihood of binary labels."""

import numpy as np


def sigmoid(z):
    return 1 / (1 + np.exp(-z))


def loss(w, X, y):
    p = sigmoid(X @ w)
    return -np.mean(y * np.log(p) + (1 - y) * np.log(1 - p))


def example():
    rng = np.random.default_rng(0)
    X = rng.normal(size=(20, 3))
    w_true = np.array([1.0, -2.0, 0.5])
    y = (rng.random(20) < sigmoid(X @ w_true)).astype(float)
    w = 0.1 * rng.normal(size=3)
    return w, X, y
