"""Sine summed from its Taylor series until a term falls below 1e-3."""

import numpy as np


def loss(x):
    ans = term = x
    i = 0
    while np.abs(term) > 1e-3:
        term = -term * x**2 / ((2 * i + 3) * (2 * i + 2))
        ans = ans + term
        i += 1
    return ans


def example():
    return (1.2,)
