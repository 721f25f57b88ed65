"""Negative-binomial (NB2) regression of overdispersed counts: mean negative log-lik.

The mean is exp(X @ w) (log link) and the variance mean + mean**2 / r, with the
dispersion r = exp(log_r) fitted alongside the weights.
"""

import numpy as np
from scipy.special import gammaln, xlogy


def loss(params, X, counts):
    w, log_r = params
    r = np.exp(log_r)
    mean = np.exp(X @ w)
    log_norm = gammaln(counts + r) - gammaln(r) - gammaln(counts + 1)
    log_odds = r * log_r + xlogy(counts, mean) - (counts + r) * np.log(r + mean)
    return -np.mean(log_norm + log_odds)


def example(n=40):
    rng = np.random.default_rng(9)
    X = np.column_stack([np.ones(n), rng.normal(size=(n, 2))])
    mean = np.exp(X @ np.array([1.0, 0.5, -0.3]))
    counts = rng.negative_binomial(2.0, 2.0 / (2.0 + mean)).astype(float)
    return (np.zeros(3), 0.0), X, counts
