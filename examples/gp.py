"""Gaussian-process regression: negative log marginal likelihood, RBF kernel."""

import numpy as np


def loss(log_lengthscale, log_variance, log_noise, X, y):
    lengthscale = np.exp(log_lengthscale)
    variance = np.exp(log_variance)
    noise = np.exp(log_noise)
    n = len(y)
    d2 = np.sum((X[:, None, :] - X[None, :, :]) ** 2, axis=-1)
    K = variance * np.exp(-d2 / (2 * lengthscale**2)) + noise * np.eye(n)
    L = np.linalg.cholesky(K)
    alpha = np.linalg.solve(L.T, np.linalg.solve(L, y))
    _, logdet = np.linalg.slogdet(K)
    return 0.5 * y @ alpha + 0.5 * logdet + 0.5 * n * np.log(2 * np.pi)


def example(n=12, d=2):
    rng = np.random.default_rng(3)
    X = rng.uniform(-3, 3, size=(n, d))
    y = np.sin(X[:, 0]) + 0.5 * np.cos(2 * X[:, 1]) + 0.1 * rng.normal(size=n)
    return 0.0, 0.0, -2.0, X, y
