"""Hand-written gradients of the losses speed.py times: the baseline column.

Each function takes the arguments of ``loss`` in ``examples/<name>.py`` and
returns its gradient with respect to the same arguments speed.py asks
srcdiff for (the ``wrt`` there), shaped as srcdiff returns it. They are
what a careful NumPy programmer would write by hand: forward intermediates
are kept and reused, whatever a loop allows is done once outside it (input
projections, the weight gradients of a recurrence as one matrix
product), and the GP uses a Cholesky solve instead of general inverses.
speed.py checks every one against central differences and against srcdiff
before timing anything, and stops if one disagrees.
"""

from __future__ import annotations

import numpy as np
import scipy.linalg


def logistic(w, X, y):
    """d/dw of the mean negative log-likelihood: X.T (p - y) / n."""
    p = 1 / (1 + np.exp(-(X @ w)))
    return X.T @ (p - y) / len(y)


def _softmax_rows(logits):
    logits = logits - logits.max(axis=1, keepdims=True)
    probs = np.exp(logits)
    return probs / probs.sum(axis=1, keepdims=True)


def mlp(params, X, Y):
    """d/dparams, as a list of (dW, db) per layer; tanh layers, softmax out."""
    hs = [X]
    for W, b in params[:-1]:
        hs.append(np.tanh(hs[-1] @ W + b))
    W, b = params[-1]
    probs = _softmax_rows(hs[-1] @ W + b)
    # d(-mean sum Y log softmax)/dlogits; Y's rows need not sum to one.
    delta = (probs * Y.sum(axis=1, keepdims=True) - Y) / len(X)
    grads = []
    for i in reversed(range(len(params))):
        grads.append((hs[i].T @ delta, delta.sum(axis=0)))
        if i:
            delta = (delta @ params[i][0].T) * (1 - hs[i] ** 2)
    return grads[::-1]


def loglinear(W, X, Y, lam):
    """d/dW of softmax cross-entropy over the batch plus lam * |W|^2."""
    probs = _softmax_rows(X @ W)
    delta = (probs * Y.sum(axis=1, keepdims=True) - Y) / X.shape[0]
    return X.T @ delta + 2 * lam * W


def taylor_sine(x):
    """d/dx of the truncated series: the cosine series, term by term.

    The loop stops where the forward loop stops (same test on the same
    terms), so it differentiates the same truncated sum.
    """
    term, dterm, dans, i = x, 1.0, 1.0, 0
    x2 = x * x
    while abs(term) > 1e-3:
        term = -term * x2 / ((2 * i + 3) * (2 * i + 2))
        dterm = -dterm * x2 / ((2 * i + 2) * (2 * i + 1))
        dans += dterm
        i += 1
    return dans


def ode(angle0, velocity0, damping, target, steps=1000, dt=0.01):
    """d/d(angle0, velocity0, damping) of the Euler-stepped pendulums.

    The forward loop keeps the states it makes (a list, no copies: stacking
    them in one preallocated array was slower at n=10000, where NumPy asks
    for huge pages and the page faults stall); the backward loop carries the
    two adjoints and sums the damping gradient as one dot product a step.
    """
    angles, velocities = [], []
    angle, velocity = angle0, velocity0
    for _ in range(steps):
        angles.append(angle)
        velocities.append(velocity)
        angle, velocity = (
            angle + dt * velocity,
            velocity - dt * (np.sin(angle) + damping * velocity),
        )
    decay = 1 - dt * damping
    dangle = 2 * (angle - target) / np.size(angle)
    dvelocity = np.zeros_like(dangle)
    ddamping = 0.0
    for angle, velocity in zip(reversed(angles), reversed(velocities), strict=True):
        dacceleration = dt * dvelocity  # adjoint of this step's acceleration
        ddamping -= dacceleration @ velocity
        dangle, dvelocity = (
            dangle - dacceleration * np.cos(angle),
            dt * dangle + decay * dvelocity,
        )
    return dangle, dvelocity, float(ddamping)


def gp(log_lengthscale, log_variance, log_noise, X, y):
    """d/d(log hyperparameters) of the GP's negative log marginal likelihood.

    The textbook form 0.5 tr((K^-1 - alpha alpha^T) dK/dtheta), with K^-1 and
    alpha from one Cholesky factorisation (SciPy's triangular solves).
    """
    lengthscale2 = np.exp(2 * log_lengthscale)
    variance = np.exp(log_variance)
    noise = np.exp(log_noise)
    n = len(y)
    d2 = np.sum((X[:, None, :] - X[None, :, :]) ** 2, axis=-1)
    signal = variance * np.exp(-d2 / (2 * lengthscale2))
    K = signal + noise * np.eye(n)
    factor = scipy.linalg.cho_factor(K, lower=True)
    K_inv = scipy.linalg.cho_solve(factor, np.eye(n))
    alpha = K_inv @ y
    inner = K_inv - np.outer(alpha, alpha)
    signal_inner = signal * inner
    return (
        0.5 * np.sum(signal_inner * d2) / lengthscale2,
        0.5 * np.sum(signal_inner),
        0.5 * noise * np.trace(inner),
    )


def rnn(W, U, V, h0, xs, y):
    """d/d(W, U, V) of the Elman network's squared error, by backprop in time.

    The input projections are one matrix product before the loop; the
    backward loop only carries the hidden adjoint, and dW, dU are one
    matrix product each over the saved per-step deltas.
    """
    steps = len(xs)
    H = np.empty((steps + 1, len(h0)))
    H[0] = h0
    projected = xs @ U.T
    for t in range(steps):
        H[t + 1] = np.tanh(W @ H[t] + projected[t])
    residual = 2 * (V @ H[-1] - y)
    dV = np.outer(residual, H[-1])
    dh = V.T @ residual
    slopes = 1 - H[1:] ** 2
    deltas = np.empty((steps, len(h0)))
    for t in reversed(range(steps)):
        deltas[t] = delta = dh * slopes[t]
        dh = delta @ W
    return deltas.T @ H[:-1], deltas.T @ xs, dV
