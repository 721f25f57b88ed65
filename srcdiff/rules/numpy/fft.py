"""Adjoints of the discrete Fourier transforms (np.fft) and of np.convolve.

Complex values follow autograd's convention: an adjoint holds the gradient of
the real part of the loss, d/dx - i d/dy, so the adjoint of a linear map is its
plain transpose, never its conjugate transpose. A DFT matrix is symmetric, so
the adjoint of a complex transform is the same transform, with the same norm,
applied to ``g``, then cut or zero-padded back to the input's shape (the
transpose of what ``n=`` or ``s=`` did). The real transforms add the Hermitian
bookkeeping: ``rfft`` drops the upper half of the spectrum, which its adjoint
puts back as zeros; each bin ``irfft`` reads stands for itself and its mirror
image, so its adjoint counts twice, except the bins that are their own mirror
image (bin 0, and bin n / 2 for even n).
"""

import numpy as np

from srcdiff.ir.prims import PRIMS, numpy_prim
from srcdiff.rules.registry import adjoint, known

FAMILY = "fft"

for _name in ["fft", "ifft", "fft2", "ifft2", "fftn", "ifftn"]:
    numpy_prim(f"fft.{_name}", path=f"np.fft.{_name}")
for _name in ["rfft", "irfft", "rfft2", "irfft2", "rfftn", "irfftn"]:
    numpy_prim(f"fft.{_name}", path=f"np.fft.{_name}")
for _name in ["fftshift", "ifftshift"]:
    numpy_prim(f"fft.{_name}", path=f"np.fft.{_name}", shape="same")
for _name in ["fftfreq", "rfftfreq"]:
    numpy_prim(f"fft.{_name}", path=f"np.fft.{_name}")
numpy_prim("convolve")
# Functions the adjoints call, which the shape family may register first.
for _name in ["pad", "flip"]:
    if getattr(np, _name) not in PRIMS:
        numpy_prim(_name)

# The norm that scales the other way round: the adjoint of an inverse real
# transform is a forward one that scales as the inverse did.
DUAL_NORM = {None: "forward", "backward": "forward", "ortho": "ortho"}
DUAL_NORM["forward"] = "backward"


# ----- Helpers, inlined into the rules -----
def refuse_out(out):
    if out is not None:
        raise NotImplementedError("out= (let the transform return a new array)")


def options(axes, norm, default_axes, key):
    """``axis=``/``axes=`` and ``norm=`` where they differ from NumPy's defaults."""
    chosen = {} if axes == default_axes else {key: axes}
    return chosen if norm is None else {**chosen, "norm": norm}


def transformed_axes(a, s, axes):
    """The axes an n-D transform works on: ``axes``, else the last ``len(s)``."""
    if axes is not None:
        return tuple(axes)
    if s is not None:
        return tuple(range(-len(s), 0))
    return tuple(range(np.ndim(a)))


def refuse_repeats(a, s, axes):
    """With ``s=``, NumPy resizes a repeated axis between its transforms."""
    if s is not None and axes is not None:
        normal = [axis % np.ndim(a) for axis in axes]
        if any(normal.count(axis) > 1 for axis in normal):
            raise NotImplementedError("s= together with a repeated axis")


def fit(grad, a):
    """``grad`` cut or zero-padded at the end of each axis to the shape of ``a``.

    The transpose of the truncation or zero-padding that ``n=`` or ``s=`` apply.
    """
    have, want = np.shape(grad), np.shape(a)
    if have == want:
        return grad
    if any(h > w for h, w in zip(have, want, strict=True)):
        cuts = [
            slice(None, w) if h > w else slice(None)
            for h, w in zip(have, want, strict=True)
        ]
        while cuts[-1] == slice(None):
            cuts = cuts[:-1]
        grad = grad[cuts[0] if len(cuts) == 1 else tuple(cuts)]
    if any(h < w for h, w in zip(have, want, strict=True)):
        grad = np.pad(
            grad, [(0, max(w - h, 0)) for h, w in zip(have, want, strict=True)]
        )
    return grad


def is_complex(v):
    """Whether ``v`` is known to hold complex numbers (without an example: no)."""
    if isinstance(v, (bool, int, float, complex)):
        return isinstance(v, complex)
    if isinstance(v, (list, tuple)):  # np.fft.fft([a, b]) of scalars or arrays
        return any(is_complex(item) for item in v)
    return known(v) and v.dtype.kind == "c"


def real_like(grad, a):
    """A real input gets the real part of its adjoint (autograd's convention)."""
    return np.real(grad) if is_complex(grad) and not is_complex(a) else grad


def real_part(g):
    """The adjoint of a real result is real: a complex constant applied later
    can make it arrive complex, and only its real part belongs to the result."""
    return np.real(g) if is_complex(g) else g


def hermitian_weights(half, n, axis, ndim):
    """How many bins of the length-``n`` spectrum each bin of ``half`` stands for."""
    k = np.arange(np.shape(half)[axis])
    weights = np.where((k == 0) | (2 * k == n), 1.0, 2.0)
    if axis == -1 or axis % ndim == ndim - 1:
        return weights
    return np.reshape(weights, (-1,) + (1,) * (ndim - 1 - axis % ndim))


# ----- Complex transforms: each is its own transpose -----
def same_transform(transform, g, a, s, axes, norm, default_axes, key="axes"):
    grad = transform(g, **options(axes, norm, default_axes, key))
    return real_like(grad if s is None else fit(grad, a), a)


@adjoint(np.fft.fft, note="any n, axis, norm")
def fft(g, ans, a, n=None, axis=-1, norm=None, out=None):
    refuse_out(out)
    return same_transform(np.fft.fft, g, a, n, axis, norm, -1, "axis")


@adjoint(np.fft.ifft, note="any n, axis, norm")
def ifft(g, ans, a, n=None, axis=-1, norm=None, out=None):
    refuse_out(out)
    return same_transform(np.fft.ifft, g, a, n, axis, norm, -1, "axis")


@adjoint(np.fft.fft2, note="any s, axes, norm")
def fft2(g, ans, a, s=None, axes=(-2, -1), norm=None, out=None):
    refuse_out(out)
    refuse_repeats(a, s, axes)
    return same_transform(np.fft.fft2, g, a, s, axes, norm, (-2, -1))


@adjoint(np.fft.ifft2, note="any s, axes, norm")
def ifft2(g, ans, a, s=None, axes=(-2, -1), norm=None, out=None):
    refuse_out(out)
    refuse_repeats(a, s, axes)
    return same_transform(np.fft.ifft2, g, a, s, axes, norm, (-2, -1))


@adjoint(np.fft.fftn, note="any s, axes, norm")
def fftn(g, ans, a, s=None, axes=None, norm=None, out=None):
    refuse_out(out)
    refuse_repeats(a, s, axes)
    axes = axes if s is None else transformed_axes(a, s, axes)
    return same_transform(np.fft.fftn, g, a, s, axes, norm, None)


@adjoint(np.fft.ifftn, note="any s, axes, norm")
def ifftn(g, ans, a, s=None, axes=None, norm=None, out=None):
    refuse_out(out)
    refuse_repeats(a, s, axes)
    axes = axes if s is None else transformed_axes(a, s, axes)
    return same_transform(np.fft.ifftn, g, a, s, axes, norm, None)


# ----- Real transforms -----
# rfft's adjoint is the complex transform of g padded with zeros for the
# dropped half of the spectrum: the transform's own n=/s= does that padding.
@adjoint(np.fft.rfft, note="any n (even or odd), axis, norm; real input")
def rfft(g, ans, a, n=None, axis=-1, norm=None, out=None):
    refuse_out(out)
    length = np.shape(a)[axis] if n is None else n
    grad = np.fft.fft(g, length, **options(axis, norm, -1, "axis"))
    return np.real(grad if n is None else fit(grad, a))


@adjoint(np.fft.rfft2, note="any s (even or odd), axes, norm; real input")
def rfft2(g, ans, a, s=None, axes=(-2, -1), norm=None, out=None):
    refuse_out(out)
    refuse_repeats(a, s, axes)
    lengths = tuple(np.shape(a)[axis] for axis in axes) if s is None else s
    grad = np.fft.fft2(g, lengths, **options(axes, norm, (-2, -1), "axes"))
    return np.real(grad if s is None else fit(grad, a))


@adjoint(np.fft.rfftn, note="any s (even or odd), axes, norm; real input")
def rfftn(g, ans, a, s=None, axes=None, norm=None, out=None):
    refuse_out(out)
    refuse_repeats(a, s, axes)
    axes = transformed_axes(a, s, axes)
    lengths = tuple(np.shape(a)[axis] for axis in axes) if s is None else s
    grad = np.fft.fftn(g, lengths, axes, **options(None, norm, None, "axes"))
    return np.real(grad if s is None else fit(grad, a))


# irfft's adjoint: the conjugated forward transform, scaled as irfft scales,
# of the real part of g, weighted by the bins each half-spectrum bin stands for.
def hermitian_adjoint(spectrum, g, a, s, axis):
    n = np.shape(g)[axis]
    grad = np.conj(spectrum) * hermitian_weights(spectrum, n, axis, np.ndim(g))
    return real_like(grad if s is None else fit(grad, a), a)


@adjoint(np.fft.irfft, note="any n (even or odd), axis, norm")
def irfft(g, ans, a, n=None, axis=-1, norm=None, out=None):
    refuse_out(out)
    dual = options(axis, DUAL_NORM[norm], -1, "axis")
    spectrum = np.fft.rfft(real_part(g), **dual)
    return hermitian_adjoint(spectrum, g, a, n, axis)


@adjoint(np.fft.irfft2, note="any s (even or odd), axes, norm")
def irfft2(g, ans, a, s=None, axes=(-2, -1), norm=None, out=None):
    refuse_out(out)
    refuse_repeats(a, s, axes)
    dual = options(axes, DUAL_NORM[norm], (-2, -1), "axes")
    spectrum = np.fft.rfft2(real_part(g), **dual)
    return hermitian_adjoint(spectrum, g, a, s, axes[-1])


@adjoint(np.fft.irfftn, note="any s (even or odd), axes, norm")
def irfftn(g, ans, a, s=None, axes=None, norm=None, out=None):
    refuse_out(out)
    refuse_repeats(a, s, axes)
    axes = axes if s is None else transformed_axes(a, s, axes)
    dual = options(axes, DUAL_NORM[norm], None, "axes")
    spectrum = np.fft.rfftn(real_part(g), **dual)
    return hermitian_adjoint(spectrum, g, a, s, -1 if axes is None else axes[-1])


# ----- Shifts: permutations, each undone by the other -----
@adjoint(np.fft.fftshift, note="any axes")
def fftshift(g, ans, x, axes=None):
    return np.fft.ifftshift(g) if axes is None else np.fft.ifftshift(g, axes)


@adjoint(np.fft.ifftshift, note="any axes")
def ifftshift(g, ans, x, axes=None):
    return np.fft.fftshift(g) if axes is None else np.fft.fftshift(g, axes)


# ----- Sample frequencies: k / (n d) -----
@adjoint(np.fft.fftfreq, np.fft.rfftfreq, note="gradient in the sample spacing d")
def fftfreq(g, ans, n, d=1.0, device=None):
    return None, -np.sum(g * ans) / d


# ----- Convolution -----
def full_adjoint(g, full_shape):
    """``g`` zero-padded back to the full convolution it was cut from.

    NumPy and SciPy cut ``same`` and ``valid`` results from its centre.
    """
    have = np.shape(g)
    if have == tuple(full_shape):
        return g
    starts = [(n - m) // 2 for n, m in zip(full_shape, have, strict=True)]
    return np.pad(
        g, [(s, n - m - s) for s, n, m in zip(starts, full_shape, have, strict=True)]
    )


@adjoint(np.convolve, note="modes full, same, valid; complex inputs are not conjugated")
def convolve(g, ans, a, v, mode="full"):
    # The adjoint in one input correlates the full adjoint with the other
    # input: a valid convolution with it reversed.
    full = g if mode == "full" else full_adjoint(g, (np.size(a) + np.size(v) - 1,))
    da = np.convolve(full, np.flip(v), "valid")
    dv = np.convolve(full, np.flip(a), "valid")
    return real_like(scalar_like(da, a), a), real_like(scalar_like(dv, v), v)


def scalar_like(grad, x):
    """np.convolve reads a 0-d input as length 1: its gradient goes back to 0-d."""
    return np.reshape(grad, ()) if known(x) and np.ndim(x) == 0 else grad
