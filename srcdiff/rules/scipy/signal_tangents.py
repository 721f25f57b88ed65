"""Tangent rules (forward mode) of scipy.signal: convolution is bilinear.

Loaded with the adjoint rules of scipy.signal (``FAMILIES`` in ``__init__.py``).
"""

from scipy import signal

from srcdiff.rules.registry import multilinear
from srcdiff.rules.scipy import signal as _signal  # noqa: F401  (the prims)

multilinear(signal.convolve)
