"""Cox proportional-hazards model: negative log partial likelihood (Breslow).

Sorted by descending survival time, each subject's risk set (those still at
risk at its time) is a prefix, so the risk-set sums of exp(eta) are a cumsum.
`died` marks deaths; the other subjects are censored.
"""

import numpy as np


def loss(beta, X, time, died):
    order = np.argsort(-time)
    eta = X[order] @ beta
    log_risk = np.log(np.cumsum(np.exp(eta)))
    return -np.sum(died[order] * (eta - log_risk)) / np.sum(died)


def example(n=9):
    rng = np.random.default_rng(5)
    X = rng.normal(size=(n, 3))
    hazard = np.exp(X @ np.array([0.5, -1.0, 0.25]))
    time = rng.exponential(1 / hazard)
    died = rng.random(n) < 0.7
    beta = 0.1 * rng.normal(size=3)
    return beta, X, time, died
