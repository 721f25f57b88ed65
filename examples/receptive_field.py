"""Temporal receptive field: a linear filter fitted to a neuron's response.

The predicted response is the stimulus convolved with the filter; a penalty on
the filter's first differences keeps it smooth.
"""

import numpy as np
from scipy.signal import convolve


def loss(kernel, stimulus, response):
    prediction = convolve(stimulus, kernel, mode="valid")
    misfit = np.mean((prediction - response) ** 2)
    return misfit + 0.1 * np.sum(np.diff(kernel) ** 2)


def example(n=60, width=8):
    rng = np.random.default_rng(10)
    stimulus = rng.normal(size=n)
    lags = np.arange(width)
    true_kernel = np.exp(-lags / 2.0) * np.sin(lags / 1.5)
    response = convolve(stimulus, true_kernel, mode="valid")
    response = response + 0.1 * rng.normal(size=response.shape)
    return np.zeros(width), stimulus, response
