"""Two-layer tanh network with softmax cross-entropy, averaged over a batch."""

import numpy as np
from scipy.special import logsumexp


def loss(params, X, Y):
    h = X
    for W, b in params[:-1]:
        h = np.tanh(h @ W + b)
    W, b = params[-1]
    logits = h @ W + b
    log_probs = logits - logsumexp(logits, axis=1, keepdims=True)
    return -np.mean(np.sum(Y * log_probs, axis=1))


def example():
    rng = np.random.default_rng(2)
    X = rng.normal(size=(16, 5))
    Y = np.eye(3)[rng.integers(3, size=16)]
    W1 = rng.normal(size=(5, 8)) / np.sqrt(5)
    b1 = 0.1 * rng.normal(size=8)
    W2 = rng.normal(size=(8, 3)) / np.sqrt(8)
    b2 = 0.1 * rng.normal(size=3)
    return [(W1, b1), (W2, b2)], X, Y
