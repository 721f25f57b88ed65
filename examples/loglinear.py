"""Multinomial log-linear (softmax) regression with an L2 penalty on the weights."""

import numpy as np
from scipy.special import logsumexp


def loss(W, X, Y, lam):
    logits = X @ W
    log_probs = logits - logsumexp(logits, axis=1, keepdims=True)
    return -np.sum(Y * log_probs) / X.shape[0] + lam * np.sum(W**2)


def example(n=30, d=4, k=3):
    rng = np.random.default_rng(1)
    X = rng.normal(size=(n, d))
    W = 0.1 * rng.normal(size=(d, k))
    Y = np.eye(k)[rng.integers(k, size=n)]
    return W, X, Y, 0.01
