"""Tangent rules (forward mode) of NumPy's functions that need no formula.

Three tables: functions linear in their array arguments (the tangent is the
function applied to the tangents), products (linear in each factor on its
own) and elementwise functions, whose adjoint rule ``g * f'(x)`` run on a
tangent is the tangent rule. The rules that need a formula of their own are
in ``tangents.py``; ``docs/coverage.md`` lists which arguments have one.
"""

import operator

import numpy as np

from srcdiff.helpers import index_update
from srcdiff.ir import prims
from srcdiff.ir.prims import ASTYPE
from srcdiff.rules.numpy import updates as _updates  # noqa: F401  (np.copy)
from srcdiff.rules.registry import elementwise, linear, multilinear

# ----- Linear in the array arguments -----
linear(
    operator.neg,
    np.positive,
    np.real,
    np.imag,
    np.conj,
    np.sum,
    np.mean,
    np.cumsum,
    np.trace,
    np.gradient,
    np.copy,
    ASTYPE.impl,
    np.reshape,
    np.ravel,
    np.transpose,
    np.swapaxes,
    np.moveaxis,
    np.rollaxis,
    np.expand_dims,
    np.squeeze,
    np.broadcast_to,
    np.flip,
    np.fliplr,
    np.flipud,
    np.roll,
    np.rot90,
    np.repeat,
    np.tile,
    np.triu,
    np.tril,
    np.diag,
    np.diagonal,
    np.take,
    np.take_along_axis,
    np.array,
    np.stack,
    np.concatenate,
    np.vstack,
    np.hstack,
    np.dstack,
    np.column_stack,
    np.split,
    np.array_split,
    np.hsplit,
    np.vsplit,
    np.dsplit,
    np.fft.fft,
    np.fft.ifft,
    np.fft.fft2,
    np.fft.ifft2,
    np.fft.fftn,
    np.fft.ifftn,
    np.fft.rfft,
    np.fft.rfft2,
    np.fft.rfftn,
    np.fft.irfft,
    np.fft.irfft2,
    np.fft.irfftn,
    np.fft.fftshift,
    np.fft.ifftshift,
)
linear(operator.getitem)  # x[index]: the index has no tangent
linear(np.append, argnums=(0, 1))
# np.atleast_2d(x, y) -> (x2, y2): linear in all its arguments together
linear(np.atleast_1d, np.atleast_2d, np.atleast_3d, argnums=tuple(range(32)))
linear(np.diff, argnums=(0, 3, 4))  # a, prepend, append: a constant end is no tangent
linear(np.full, np.full_like, np.bincount, argnums=(1,))  # the value, the weights
linear(np.where, argnums=(1, 2))  # not the condition
linear(index_update, argnums=(0, 2))  # A[i] = v: linear in A and v together

# ----- Products: linear in each factor -----
multilinear(
    operator.matmul,
    np.dot,
    np.outer,
    np.inner,
    np.vdot,
    np.kron,
    np.tensordot,
    np.cross,
    np.convolve,
)
multilinear(operator.mul)
multilinear(np.einsum, argnums=tuple(range(1, 33)))  # the operands

# ----- Elementwise: the adjoint rule on the tangent -----
elementwise(
    np.exp,
    np.exp2,
    np.expm1,
    np.log,
    np.log2,
    np.log10,
    np.log1p,
    np.sqrt,
    np.cbrt,
    np.square,
    np.reciprocal,
    np.sin,
    np.cos,
    np.tan,
    np.arcsin,
    np.arccos,
    np.arctan,
    np.sinc,
    np.deg2rad,
    np.radians,
    np.rad2deg,
    np.degrees,
    np.sinh,
    np.cosh,
    np.tanh,
    np.arcsinh,
    np.arccosh,
    np.arctanh,
    np.nan_to_num,
    prims.sigmoid,
    prims.softplus,
)
elementwise(
    operator.truediv,
    operator.pow,
    np.float_power,
    np.maximum,
    np.minimum,
    np.hypot,
    np.arctan2,
    np.logaddexp,
    np.logaddexp2,
    np.remainder,
    np.fmod,
    np.copysign,
    np.fmax,
    np.fmin,
    np.nextafter,
    np.heaviside,
    argnums=(0, 1),
)
elementwise(np.clip, argnums=(0, 1, 2))
elementwise(np.ldexp)
