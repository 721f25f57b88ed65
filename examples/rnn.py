"""An Elman recurrent network read out after a 40-step sequence, by squared error."""

import numpy as np


def loss(W, U, V, h0, xs, y):
    h = h0
    for x_t in xs:
        h = np.tanh(W @ h + U @ x_t)
    return np.sum((V @ h - y) ** 2)


def example(steps=40, hidden=6, inputs=3, outputs=2):
    rng = np.random.default_rng(7)
    W = rng.normal(size=(hidden, hidden)) / 3
    U = rng.normal(size=(hidden, inputs)) / 2
    V = rng.normal(size=(outputs, hidden)) / 2
    h0 = np.zeros(hidden)
    xs = rng.normal(size=(steps, inputs))
    y = rng.normal(size=outputs)
    return W, U, V, h0, xs, y
