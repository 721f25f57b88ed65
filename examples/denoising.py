"""Image denoising energy: data fit, periodic smoothness and a 4x4 patch prior.

The image is zero-padded by one pixel, cut into non-overlapping 4x4 patches
and each patch projected onto a (fixed) basis; large coefficients are charged
with a smooth absolute value.
"""

import numpy as np


def loss(image, noisy, basis):
    fit = 0.5 * np.sum((image - noisy) ** 2)
    dy = np.roll(image, -1, axis=0) - image
    dx = np.roll(image, -1, axis=1) - image
    edges = np.concatenate([dy.ravel(), dx.ravel()])
    smoothness = np.sum(np.sqrt(edges**2 + 0.01))
    padded = np.pad(image, 1)
    rows, cols = padded.shape
    patches = padded.reshape(rows // 4, 4, cols // 4, 4).transpose(0, 2, 1, 3)
    coefficients = patches.reshape(-1, 16) @ basis
    sparsity = np.sum(np.sqrt(coefficients**2 + 0.01))
    return fit + 0.1 * smoothness + 0.05 * sparsity


def example(rows=6, cols=6):
    """Images whose padded sides (rows + 2, cols + 2) are multiples of 4."""
    rng = np.random.default_rng(6)
    clean = np.outer(np.sin(np.linspace(0, np.pi, rows)), np.ones(cols))
    noisy = clean + 0.2 * rng.normal(size=(rows, cols))
    basis, _ = np.linalg.qr(rng.normal(size=(16, 16)))
    return noisy.copy(), noisy, basis
