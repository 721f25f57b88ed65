"""Softmax regression: mean cross-entropy of class labels, with the rows'
log-sum-exp written once as a srcdiff primitive that brings its own rules."""

import numpy as np

import srcdiff


@srcdiff.primitive
def logsumexp_rows(Z):
    """log(sum(exp(Z), axis=1)), each row's largest entry taken out first so
    that exp cannot overflow."""
    top = np.max(Z, axis=1, keepdims=True)
    return np.log(np.sum(np.exp(Z - top), axis=1)) + top[:, 0]


def logsumexp_rows_vjp(g, ans, Z):
    """Each row's softmax, scaled by that row's incoming gradient."""
    return g[:, None] * np.exp(Z - ans[:, None])


def logsumexp_rows_jvp(t, ans, Z):
    """Each row's softmax-weighted sum of the tangent."""
    return np.sum(t * np.exp(Z - ans[:, None]), axis=1)


logsumexp_rows.defvjp(logsumexp_rows_vjp)
logsumexp_rows.defjvp(logsumexp_rows_jvp)


def loss(W, X, Y):
    """Mean cross-entropy of softmax(X @ W) against one-hot rows Y, plus a
    small L2 penalty on W."""
    Z = X @ W
    return np.mean(logsumexp_rows(Z)) - np.sum(Y * Z) / len(X) + 0.01 * np.sum(W**2)


def loss_and_accuracy(W, X, Y):
    """The loss, and the share of rows the model gets right (for has_aux)."""
    right = np.argmax(X @ W, axis=1) == np.argmax(Y, axis=1)
    return loss(W, X, Y), np.mean(right)


def example(n=30, d=4, k=3):
    rng = np.random.default_rng(0)
    X = rng.normal(size=(n, d))
    W_true = rng.normal(size=(d, k))
    Y = np.eye(k)[np.argmax(X @ W_true + rng.gumbel(size=(n, k)), axis=1)]
    W = 0.1 * rng.normal(size=(d, k))
    return W, X, Y
