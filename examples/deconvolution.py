"""Deconvolution of a periodic signal blurred by a known kernel, penalising roughness.

The blur is a circular convolution done in the Fourier domain; the penalty
charges each frequency's power by its squared frequency.
"""

import numpy as np


def loss(x, observed, kernel):
    n = len(x)
    spectrum = np.fft.rfft(x)
    blurred = np.fft.irfft(spectrum * np.fft.rfft(kernel), n=n)
    misfit = 0.5 * np.sum((blurred - observed) ** 2)
    frequency = np.fft.rfftfreq(n)
    roughness = np.sum(frequency**2 * np.abs(spectrum) ** 2) / n
    return misfit + 0.5 * roughness


def example(n=32):
    rng = np.random.default_rng(8)
    t = np.arange(n)
    truth = np.sin(2 * np.pi * t / n) + (np.abs(t - 20) < 3)
    kernel = np.exp(-0.5 * (np.minimum(t, n - t) / 1.5) ** 2)
    kernel = kernel / np.sum(kernel)
    blur = np.fft.irfft(np.fft.rfft(truth) * np.fft.rfft(kernel), n=n)
    observed = blur + 0.05 * rng.normal(size=n)
    return observed.copy(), observed, kernel
