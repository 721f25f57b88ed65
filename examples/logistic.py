"""Logistic regression: mean negative log-likelihood of binary labels."""

import numpy as np


def sigmoid(z):
    return 1 / (1 + np.exp(-z))


def loss(w, X, y):
    p = sigmoid(X @ w)
    return -np.mean(y * np.log(p) + (1 - y) * np.log(1 - p))


def example(n=20, d=3):
    rng = np.random.default_rng(0)
    X = rng.normal(size=(n, d))
    w_true = np.resize([1.0, -2.0, 0.5], d)
    y = (rng.random(n) < sigmoid(X @ w_true)).astype(float)
    w = 0.1 * rng.normal(size=d)
    return w, X, y
