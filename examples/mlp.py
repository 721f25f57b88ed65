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


def example(n=16, features=5, hidden=8, classes=3):
    rng = np.random.default_rng(2)
    X = rng.normal(size=(n, features))
    Y = np.eye(classes)[rng.integers(classes, size=n)]
    W1 = rng.normal(size=(features, hidden)) / np.sqrt(features)
    b1 = 0.1 * rng.normal(size=hidden)
    W2 = rng.normal(size=(hidden, classes)) / np.sqrt(hidden)
    b2 = 0.1 * rng.normal(size=classes)
    return [(W1, b1), (W2, b2)], X, Y
