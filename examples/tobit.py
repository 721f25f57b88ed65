"""Tobit regression: a linear model for measurements censored at a detection limit.

Values above the limit contribute the normal density, those at or below it the
probability of falling below it; the noise scale sigma = exp(log_sigma) is fitted.
"""

import numpy as np
from scipy.stats import norm

DETECTION_LIMIT = 0.0


def loss(params, X, y):
    beta, log_sigma = params
    sigma = np.exp(log_sigma)
    mean = X @ beta
    censored = y <= DETECTION_LIMIT
    log_lik = np.where(
        censored,
        norm.logcdf((DETECTION_LIMIT - mean) / sigma),
        norm.logpdf(y, loc=mean, scale=sigma),
    )
    return -np.sum(log_lik)


def example(n=30):
    rng = np.random.default_rng(11)
    X = np.column_stack([np.ones(n), rng.normal(size=n)])
    latent = X @ np.array([0.5, 1.0]) + 0.7 * rng.normal(size=n)
    y = np.maximum(latent, DETECTION_LIMIT)
    return (np.zeros(2), 0.0), X, y
