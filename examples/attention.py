"""Single-head softmax attention fitted to targets by mean squared error."""

import numpy as np


def softmax(scores):
    shifted = scores - np.max(scores, axis=1, keepdims=True)
    e = np.exp(shifted)
    return e / np.sum(e, axis=1, keepdims=True)


def loss(Wq, Wk, Wv, X, Y):
    Q = X @ Wq
    K = X @ Wk
    V = X @ Wv
    d = Q.shape[1]
    scores = np.einsum("id,jd->ij", Q, K) / np.sqrt(d)
    out = softmax(scores) @ V
    return np.mean((out - Y) ** 2)


def example(n=6, features=4, d=3):
    rng = np.random.default_rng(3)
    X = rng.normal(size=(n, features))
    Y = rng.normal(size=(n, d))
    Wq = rng.normal(size=(features, d)) / 2
    Wk = rng.normal(size=(features, d)) / 2
    Wv = rng.normal(size=(features, d)) / 2
    return Wq, Wk, Wv, X, Y
