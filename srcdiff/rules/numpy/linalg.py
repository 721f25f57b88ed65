"""Adjoints of np.linalg: inverses, solves, determinants and factorizations.

Each rule is the textbook matrix-calculus adjoint and takes stacks of
matrices (leading batch dimensions) wherever NumPy does. cholesky and eigh
read one triangle of their input, so their gradients lie on that triangle, as
finite differences of NumPy's functions do.

Complex matrices follow autograd's convention (the gradient of the real part
of the loss). inv, solve, det and matrix_power are holomorphic: their rules
are the real ones, plain transposes and no conjugates. The factorizations,
pinv, lstsq and slogdet's sign are not: their rules conjugate where the
derivation does (``conj``, ``mH``), which costs nothing on matrices an example
shows to be real. Without an example a matrix may be complex, so the
shape-generic derivatives of those rules carry the conjugates.
"""

import numpy as np

from srcdiff import helpers
from srcdiff.helpers import unbroadcast
from srcdiff.ir import prims
from srcdiff.ir.prims import NUMPY, PRIMS, Prim, call, numpy_prim, register
from srcdiff.rules.numpy.products import is_complex
from srcdiff.rules.registry import (
    adjoint,
    assume_symmetric,
    computed,
    known,
    made_symmetric,
)

FAMILY = "linalg"


def linalg_prim(name: str, arity: int = 0, shape: str = "") -> Prim:
    """A prim for ``np.linalg.<name>``; ``arity`` counts the results of a tuple."""
    fn = getattr(np.linalg, name)
    render = call(f"np.linalg.{name}")
    imports = (NUMPY,)
    prim = Prim(f"linalg.{name}", fn, render, imports=imports, shape=shape, arity=arity)
    return register(prim, fn)


for _name in ["inv", "cholesky", "matrix_power"]:
    linalg_prim(_name, shape="same")
for _name in ["solve", "det", "eigvalsh", "pinv"]:
    linalg_prim(_name)
for _name, _arity in [("slogdet", 2), ("eigh", 2), ("qr", 2), ("svd", 3), ("lstsq", 4)]:
    linalg_prim(_name, _arity)
# Functions the rules below call; the shape family owns their adjoints (np.tri
# takes sizes only).
for _name in ["tril", "triu", "tri", "concatenate"]:
    if getattr(np, _name) not in PRIMS:
        numpy_prim(_name)
for _name in ["conj", "real", "imag"]:
    if getattr(np, _name) not in PRIMS:
        numpy_prim(_name, shape="same")


# ----- Stacks of matrices -----
def mT(x):
    """The transpose of each matrix in a stack (NumPy's ``x.mT``)."""
    if known(x) and np.ndim(x) == 2:
        return x.T
    return np.swapaxes(x, -1, -2)


def conj(x):
    """The complex conjugate of x; x itself where an example shows it is real."""
    return np.conj(x) if is_complex(x) else x


def mH(x):
    """The conjugate transpose of each matrix in a stack (NumPy's ``x.mH``)."""
    return conj(mT(x))


def real_part(g):
    """The adjoint of a real result (eigenvalues, singular values, logabsdet):
    only its real part belongs to the result. An example shows it real
    already; without one it may arrive complex."""
    return np.real(g) if is_complex(g) else g


def i_imag(z):
    """``1j * np.imag(z)``, written so that a real z stays real (without an
    example z may be either)."""
    if known(z):
        return 1j * np.imag(z)
    return (z - np.conj(z)) / 2


def rows(v):
    """Vectors laid along the rows of matrices: ``m * rows(v)`` scales columns."""
    if known(v) and np.ndim(v) == 1:
        return v
    return v[..., None, :]


def cols(v):
    """Vectors standing as columns: ``cols(v) * m`` scales rows."""
    if known(v) and np.ndim(v) == 1:
        return v[:, None]
    return v[..., None]


def per_matrix(s):
    """One number per matrix of a stack, shaped to scale its matrix."""
    if known(s) and np.ndim(s) == 0:
        return s
    return s[..., None, None]


def outer(x, y, vectors=False):
    """``x y^T`` for each pair of matrices, or of vectors with ``vectors=True``."""
    if not vectors:
        return x @ mT(y)
    if known(x) and np.ndim(x) == 1:
        return np.outer(x, y)
    return x[..., None] * y[..., None, :]


def solve_each(solve, factor, g, vectors, **options):
    """``solve(factor, g)``, where g is a stack of vectors when ``vectors``."""
    if vectors and np.ndim(g) > 1:
        return solve(factor, g[..., None], **options)[..., 0]
    return solve(factor, g, **options)


def plus(x, y):
    """``x + y``, where None stands for a term that is absent."""
    if x is None:
        return y
    if y is None:
        return x
    return x + y


def identity(x):
    """The identity matrix the size of x's last axis."""
    return np.eye(np.shape(x)[-1])


def inverse_gaps(w, eye):
    """``F[i, j] = 1 / (w[j] - w[i])`` off the diagonal, 0 on it."""
    return 1 / (rows(w) - cols(w) + eye) - eye


def halved_triangle(x, lower=True):
    """x's lower (or upper) triangle with its diagonal halved: Murray's Phi.
    One matrix takes it as a product with a mask (ones below the diagonal,
    halves on it): one multiplication, where np.tril and a diagonal cost
    several NumPy calls on small matrices."""
    if known(x) and np.ndim(x) == 2:
        n = np.shape(x)[-1]
        halves = np.tri(n) - np.eye(n) / 2
        return x * halves if lower else x * halves.T
    triangle = np.tril(x) if lower else np.triu(x)
    return triangle - x * identity(x) / 2


def on_triangle(grad, lower=True):
    """A gradient ``grad`` for hermitian changes of ``a``, moved to the one
    triangle NumPy reads: each entry there stands for itself and its mirror
    (its conjugate), and the diagonal for its real part."""
    return halved_triangle(grad + mH(grad), lower)


def inverse_transposed(a):
    """a^-T, which the determinants' adjoints scale. Where the program
    factors a symmetric a = L L^T it is L^-T L^-1, and L^-1 is the inverse
    the Cholesky adjoint needs anyway (symmetric a only: np.linalg.cholesky
    reads a's lower triangle alone)."""
    L = computed(np.linalg.cholesky, a)
    if L is not None and not is_complex(a) and assume_symmetric(a):
        L_inv = np.linalg.inv(L)
        return mT(L_inv) @ L_inv
    return mT(np.linalg.inv(a))


def solve_transposed(a, g, vectors):
    """a^-T g; a product where the program inverts a or a^T already (the
    Cholesky adjoint inverts its factor), or a's Cholesky factor L (a = L L^T,
    symmetric: two products with L^-1, which the log-determinant's adjoint
    makes), else a solve."""
    L = computed(np.linalg.cholesky, a)
    L_inv = None if L is None else computed(np.linalg.inv, L)
    real_matrix = L_inv is not None and np.ndim(a) == 2 and not is_complex(a)
    if real_matrix and assume_symmetric(a):
        return mT(L_inv) @ (L_inv @ g)
    a_inv, at_inv = computed(np.linalg.inv, a), computed(np.linalg.inv, mT(a))
    if a_inv is None and at_inv is None:  # a^T is a where a is made symmetric
        flipped = a if made_symmetric(a) else mT(a)
        return solve_each(np.linalg.solve, flipped, g, vectors)
    inverse = mT(a_inv) if at_inv is None else at_inv
    if vectors and np.ndim(g) > 1:
        return (inverse @ g[..., None])[..., 0]
    return inverse @ g


# ----- Inverses, solves, determinants -----
@adjoint(np.linalg.inv, note="invertible a")
def inv(g, ans, a):
    return -mT(ans) @ g @ mT(ans)


@adjoint(
    np.linalg.solve,
    note="invertible a; b is one vector when 1-D, else a stack of matrices",
)
def solve(g, ans, a, b):
    vectors = np.ndim(b) == 1  # b is one vector, however many matrices a stacks
    gb = solve_transposed(a, g, vectors)
    return unbroadcast(-outer(gb, ans, vectors), a), unbroadcast(gb, b)


@adjoint(
    prims.symmetric_solve,
    note="`np.linalg.solve(L.T, np.linalg.solve(L, b))` for L = "
    "`np.linalg.cholesky(a)`, recognised as written; symmetric positive "
    "definite a, read by its lower triangle as cholesky reads it",
)
def symmetric_solve(g, ans, a, b):
    vectors = np.ndim(b) == 1
    whole = a if assume_symmetric(a) else np.tril(a) + mT(np.tril(a, -1))
    gb = solve_transposed(whole, g, vectors)
    return on_triangle(-outer(gb, ans, vectors)), unbroadcast(gb, b)


@adjoint(helpers.lower_inverse, note="a Cholesky factor's inverse, L lower triangular")
def lower_inverse(g, ans, L):
    return -np.tril(mT(ans) @ g @ mT(ans))


@adjoint(np.linalg.det, note="invertible a")
def det(g, ans, a):
    return per_matrix(g * ans) * inverse_transposed(a)


@adjoint(
    np.linalg.slogdet,
    note="invertible a; a real sign is piecewise constant, a complex one "
    "(det / abs(det)) is smooth",
)
def slogdet(g, ans, a):
    sign, _ = ans
    gsign, glogabsdet = g
    # d log(det) = tr(a^-1 da): logabsdet is its real part, and the phase of
    # sign = exp(i theta) moves with its imaginary part, d sign = i sign d theta.
    scale = None if glogabsdet is None else real_part(glogabsdet)
    if gsign is not None and is_complex(sign):
        scale = plus(scale, i_imag(gsign * sign))
    if scale is None:
        return None
    return per_matrix(scale) * inverse_transposed(a)


@adjoint(np.linalg.matrix_power, note="integer n; invertible a when n < 0")
def matrix_power(g, ans, a, n):
    if n == 0:
        return None
    if n > 0:
        return power_grad(g, a, n)
    a_inv = ans if n == -1 else np.linalg.inv(a)
    return -mT(a_inv) @ power_grad(g, a_inv, -n) @ mT(a_inv)


def power_grad(g, a, n):
    """The sum over k < n of ``(a^T)^k g (a^T)^(n-1-k)``, by Horner's scheme."""
    at = mT(a)
    grad, power = g, None
    for _ in range(n - 1):
        power = at if power is None else power @ at
        grad = at @ grad + g @ power
    return grad


@adjoint(np.linalg.pinv, note="a of full rank; not hermitian=True")
def pinv(g, ans, a, rcond=None, hermitian=False, rtol=None):
    # Golub and Pereyra (1973): the last two terms vanish for invertible a.
    # They come from a^H in p (p = (a^H a)^-1 a^H for tall a), so for complex a
    # they are the conjugates of the real terms, which pc, gh and ac give.
    if hermitian:
        raise NotImplementedError("np.linalg.pinv with hermitian=True")
    p, pt, gt = ans, mT(ans), mT(g)
    pc, gh, ac = conj(p), conj(gt), conj(a)
    return (
        -pt @ g @ pt
        + (gh - ac @ (pc @ gh)) @ (pc @ pt)
        + (pt @ pc) @ (gh - gh @ pc @ ac)
    )


@adjoint(
    np.linalg.lstsq,
    note="a of full rank; through x, residuals and s (rank is an integer)",
)
def lstsq(g, ans, a, b, rcond=None):
    x = ans[0]
    gx, gresiduals, _, gs = g
    m, n = np.shape(a)[-2], np.shape(a)[-1]
    vectors = np.ndim(b) == 1
    ga, gb = None, None
    ac = conj(a)  # a^H = ac.T
    if gx is not None and m >= n:
        # x = (a^H a)^-1 a^H b; the residual b - a x is orthogonal to a.
        w = np.linalg.solve(a.T @ ac, gx)
        gb = ac @ w
        ga = conj(outer(b - a @ x, w, vectors)) - outer(gb, x, vectors)
    if gx is not None and m < n:
        # x = a^H (a a^H)^-1 b, the shortest of all solutions.
        gram = ac @ a.T
        gb = np.linalg.solve(gram, ac @ gx)
        y = np.linalg.solve(conj(gram), b)
        ga = conj(outer(y, gx - a.T @ gb, vectors)) - outer(gb, x, vectors)
    if gresiduals is not None and m > n:
        # residuals: |b - a x|^2 summed down each column of b
        weighted = 2 * conj(b - a @ x) * real_part(gresiduals)
        ga, gb = plus(ga, -outer(weighted, x, vectors)), plus(gb, weighted)
    if gs is not None:
        ga = plus(ga, singular_values_grad(gs, a))
    return ga, gb


# ----- Factorizations -----
def cholesky_grad(g, L, L_inv=None, fold=True):
    """Murray (2016): the gradient on a's lower triangle, for a = L L^H.
    ``L_inv``: L's inverse, where the caller has a cheaper way to it than
    np.linalg.inv (SciPy's triangular solve). ``fold=False``: the gradient
    for hermitian changes of a, which is all an a made symmetric needs."""
    L_inv = np.linalg.inv(L) if L_inv is None else L_inv
    grad = mT(L_inv) @ halved_triangle(mT(L) @ g) @ conj(L_inv)
    return on_triangle(grad) if fold else grad


@adjoint(
    np.linalg.cholesky,
    note="hermitian (real: symmetric) positive definite a; NumPy reads only the "
    "lower triangle (upper with upper=True) and the real part of the diagonal, "
    "so the gradient lies there (Murray, 2016)",
)
def cholesky(g, ans, a, upper=False):
    if upper:  # a = U^H U is the lower factorization of L = U^H, transposed
        return mH(cholesky_grad(mH(g), mH(ans)))
    return cholesky_grad(g, ans, fold=not made_symmetric(a))


def eigh_grad(w, v, gw, gv):
    """``conj(v) (diag(gw) + F * (v^T gv)) v^T``: the gradient for hermitian
    changes (F: the inverse gaps between eigenvalues, 0 on the diagonal)."""
    vc, vt = conj(v), mT(v)
    gw = None if gw is None else real_part(gw)
    if gv is None:
        return vc * rows(gw) @ vt
    eye = identity(w)
    middle = inverse_gaps(w, eye) * (vt @ gv)
    if gw is not None:
        middle = middle + eye * rows(gw)  # + diag(gw)
    return vc @ middle @ vt


@adjoint(
    np.linalg.eigh,
    note="hermitian (real: symmetric) a with distinct eigenvalues; NumPy reads "
    "only the UPLO triangle, so the gradient lies on it (off-diagonal entries "
    "count twice); complex eigenvectors: losses that do not see their phases",
)
def eigh(g, ans, a, UPLO="L"):
    w, v = ans
    gw, gv = g
    return on_triangle(eigh_grad(w, v, gw, gv), UPLO == "L")


@adjoint(
    np.linalg.eigvalsh,
    note="hermitian (real: symmetric) a with distinct eigenvalues; the gradient "
    "lies on the UPLO triangle, as for eigh",
)
def eigvalsh(g, ans, a, UPLO="L"):
    _, v = np.linalg.eigh(a) if UPLO == "L" else np.linalg.eigh(a, UPLO)
    return on_triangle(conj(v) * rows(real_part(g)) @ mT(v), UPLO == "L")


def singular_values_grad(gs, a):
    """The gradient of ``a``'s singular values: ``conj(u diag(gs) vh)``."""
    u, _, vh = np.linalg.svd(a, full_matrices=False)
    return conj(u) * rows(real_part(gs)) @ conj(vh)


@adjoint(
    np.linalg.svd,
    note="a with distinct nonzero singular values; full_matrices=False (or "
    "square a); not hermitian=True; complex singular vectors: losses that do "
    "not see their phases",
)
def svd(g, ans, a, full_matrices=True, compute_uv=True, hermitian=False):
    if hermitian:
        raise NotImplementedError("np.linalg.svd with hermitian=True")
    if not compute_uv:
        return singular_values_grad(g, a)
    if full_matrices and np.shape(a)[-1] != np.shape(a)[-2]:
        raise NotImplementedError(
            "np.linalg.svd of a non-square matrix with full_matrices=True"
        )
    u, s, vh = ans
    gu, gs, gvh = g
    # Townsend (2016), with v = vh^H: conj(u) (diag(gs) + J s + s K) conj(vh),
    # plus the parts of gu and gvh outside the spans of u and v.
    uc, vhc = conj(u), conj(vh)
    eye = identity(s)
    middle = None if gs is None else eye * rows(real_part(gs))
    outside = None
    if gu is not None or gvh is not None:
        F = inverse_gaps(s**2, eye)
    if gu is not None:
        ut_gu = mT(u) @ gu
        middle = plus(middle, F * (ut_gu - mH(ut_gu)) * rows(s))
        if is_complex(u):
            # The phases of u's columns turn against v's with the imaginary
            # part of u^H da v's diagonal (Wan and Zhang, 2019).
            middle = middle + eye * i_imag(ut_gu) / rows(s)
        outside = (gu - uc @ ut_gu) / rows(s) @ vhc
    if gvh is not None:
        gvh_v = gvh @ mT(vh)
        middle = plus(middle, cols(s) * (F * (mH(gvh_v) - gvh_v)))
        outside = plus(outside, uc @ ((gvh - gvh_v @ vhc) / cols(s)))
    return plus(uc @ middle @ vhc, outside)


def qr_grad(q, r, gq, gr):
    """Liao et al. (2019), for a with at least as many rows as columns."""
    if gr is None:
        m = -mT(gq) @ q
    elif gq is None:
        m = r @ mT(gr)
    else:
        m = r @ mT(gr) - mT(gq) @ q
    if is_complex(m):  # r's diagonal is real: only the real part of m's counts
        m = m - identity(m) * i_imag(m)
    b = plus(gq, conj(q @ (np.tril(m) + mH(np.tril(m, -1)))))
    return mT(np.linalg.solve(r, mT(b)))  # b r^-T


@adjoint(
    np.linalg.qr,
    note="mode='reduced', a of full rank; complex a: r's diagonal is real, as "
    "LAPACK makes it",
)
def qr(g, ans, a, mode="reduced"):
    if mode != "reduced":
        raise NotImplementedError(f"np.linalg.qr with mode='{mode}'")
    q, r = ans
    gq, gr = g
    m, n = np.shape(a)[-2], np.shape(a)[-1]
    if m >= n:
        return qr_grad(q, r, gq, gr)
    # Wide a = [x | y]: q, u = qr(x) and y = q v, with r = [u | v].
    y, gu, gv = a[..., m:], None, None
    if gr is not None:
        gu, gv = gr[..., :m], gr[..., m:]
        gq = plus(gq, conj(y @ mT(gv)))
    gx = qr_grad(q, r[..., :m], gq, gu)
    gy = np.zeros_like(y) if gv is None else conj(q) @ gv
    return np.concatenate([gx, gy], axis=-1)
