"""An Elman recurrent network read out after a 40-step sequence, by squared error."""

import numpy as np


def loss(W, U, V, h0, xs, y):
    h = h0
    for x_t in xs:
        h = np.tanh(W @ h + U @ x_t)
    return np.sum((V @ h - y) ** 2)


def example():
    rng = np.random.default_rng(7)
    W = rng.normal(size=(6, 6)) / 3
    U = rng.normal(size=(6, 3)) / 2
    V = rng.normal(size=(2, 6)) / 2
    h0 = np.zeros(6)
    xs = rng.normal(size=(40, 3))
    y = rng.normal(size=2)
    return W, U, V, h0, xs, y
