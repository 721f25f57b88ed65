"""Property tests of the scipy.stats distribution rules beyond norm.

t, gamma, chi2 and beta: densities in x, the shape parameters, loc and scale;
tails (cdf, sf, logcdf, logsf) in x, loc and scale, their shape parameters
held fixed (no closed form; differentiating in them must fail). poisson: in
mu, the counts fixed. dirichlet and multivariate_normal: every layout of
points SciPy accepts, with the squeezed results it returns. Each gradient is
checked against central differences, as the transpose of the derivative (the
rule called on arrays) and, where the rule has one, traced without an example.
Dirichlet points with all K components cannot move off the simplex (SciPy
refuses them), so their gradient is checked along directions on it.
"""

import autograd
import autograd.numpy as anp
import autograd.scipy.stats as astats
import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st
from hypothesis.extra import numpy as hnp
from rule_checks import (
    check_generic,
    check_grad,
    check_rule,
    draw_array,
    draw_like,
    draw_weights,
    inner,
)
from rule_domains import REAL, Row, floats
from scipy import stats

import srcdiff
from srcdiff.coverage import public_name
from srcdiff.ir.prims import lookup
from srcdiff.numeric import max_relative_error, numerical_grad
from srcdiff.rules import rule_for

# z = (x - loc) / scale stays inside each support with a margin: positive for
# gamma and chi2 (z >= 1/8), within (1/16, 9/10) for beta.
LOC = floats(-0.25, 0.25)
# Near z = 0 SciPy's t.cdf (df near 1) is accurate to only ~1e-11, too
# little for central differences: t's tails keep |x - loc| >= 1/2.
AWAY_FROM_CENTER = st.one_of(floats(-2, -0.75), floats(0.75, 2))
SCALE = floats(0.5, 2)
POSITIVE_X = floats(0.5, 6)
SHAPE = floats(0.5, 5)
DF = floats(1, 8)
UNIT_X = floats(0.2, 0.8)
BETA_LOC = floats(-0.1, 0.1)
BETA_SCALE = floats(1, 1.5)
COUNT = st.integers(2, 10)
COUNT_LOC = st.integers(0, 2)
RATE = floats(1, 8)
# Dirichlet points are positive weights, normalised; alpha away from 0.
WEIGHT = floats(0.5, 2)
ALPHA = floats(0.5, 4)
# Covariances are A A^T + dim * I from these entries: well conditioned.
FACTOR = floats(-1, 1)
VARIANCE = floats(0.5, 2)

DISTRIBUTIONS = {
    # name: (distribution, element strategies of x, its shape parameters, loc
    # and scale)
    "t": (stats.t, (REAL, DF, LOC, SCALE)),
    "gamma": (stats.gamma, (POSITIVE_X, SHAPE, LOC, SCALE)),
    "chi2": (stats.chi2, (POSITIVE_X, DF, LOC, SCALE)),
    "beta": (stats.beta, (UNIT_X, SHAPE, SHAPE, BETA_LOC, BETA_SCALE)),
}
TAIL_INPUTS = {"t": (AWAY_FROM_CENTER, DF, LOC, SCALE)}
DENSITIES = ["pdf", "logpdf"]
TAILS = ["cdf", "sf", "logcdf", "logsf"]
UNIVARIATE_DOMAINS = {
    getattr(dist, method): Row(inputs)
    for dist, inputs in DISTRIBUTIONS.values()
    for method in DENSITIES
} | {
    getattr(dist, method): Row(TAIL_INPUTS.get(name, inputs))
    for name, (dist, inputs) in DISTRIBUTIONS.items()
    for method in TAILS
}
POISSON_DOMAINS = {
    getattr(stats.poisson, method): Row((COUNT, RATE, COUNT_LOC))
    for method in ["pmf", "logpmf", "cdf", "sf", "logcdf", "logsf"]
}
# x, alpha; x is drawn as normalised WEIGHTs (dirichlet_inputs).
DIRICHLET_DOMAINS = {
    stats.dirichlet.pdf: Row((WEIGHT, ALPHA)),
    stats.dirichlet.logpdf: Row((WEIGHT, ALPHA)),
    stats.dirichlet.entropy: Row((ALPHA,)),
}
# x, mean, cov; cov is built from FACTORs or VARIANCEs (mvn_inputs).
MVN_DOMAINS = {
    stats.multivariate_normal.pdf: Row((REAL, REAL, FACTOR)),
    stats.multivariate_normal.logpdf: Row((REAL, REAL, FACTOR)),
    stats.multivariate_normal.entropy: Row((REAL, FACTOR)),
}
SHAPES = {"max_dims": 2, "max_side": 3}


def method_id(op):
    return public_name(op).strip("`").removeprefix("scipy.stats.")


def draw_inputs(data, inputs):
    """Arrays of ``inputs``' elements, of mutually broadcastable shapes."""
    shapes = data.draw(
        hnp.mutually_broadcastable_shapes(num_shapes=len(inputs), **SHAPES)
    )
    args = [
        draw_array(data, elements, shape)
        for elements, shape in zip(inputs, shapes.input_shapes, strict=True)
    ]
    return args, draw_weights(data, shapes.result_shape)


# ----- Densities of t, gamma, chi2, beta -----
def density(op, G, names, style):
    """``sum(op(...) * G)``, every input an argument, in the calling style drawn
    (keywords: every parameter by its name)."""
    name = names.split(", ")[0]

    def standard_1(x, s):
        return np.sum(op(x, s) * G)

    def positional_1(x, s, loc, scale):
        return np.sum(op(x, s, loc, scale) * G)

    def keywords_1(x, s, loc, scale):
        return np.sum(op(x, **{name: s}, loc=loc, scale=scale) * G)

    def standard_2(x, a, b):
        return np.sum(op(x, a, b) * G)

    def positional_2(x, a, b, loc, scale):
        return np.sum(op(x, a, b, loc, scale) * G)

    def keywords_2(x, a, b, loc, scale):
        return np.sum(op(x, a=a, b=b, loc=loc, scale=scale) * G)

    return locals()[f"{style}_{len(names.split(', '))}"]


@pytest.mark.parametrize("name", list(DISTRIBUTIONS))
@pytest.mark.parametrize("method", DENSITIES)
@settings(max_examples=15)  # up to five inputs, each traced and differenced
@given(data=st.data(), style=st.sampled_from(["standard", "positional", "keywords"]))
def test_density(name, method, data, style):
    dist = DISTRIBUTIONS[name][0]
    op = getattr(dist, method)
    inputs = UNIVARIATE_DOMAINS[op].inputs
    if style == "standard":
        inputs = inputs[:-2]
    args, G = draw_inputs(data, inputs)
    f = density(op, G, dist.shapes, style)
    expected = check_grad(f, args)
    check_rule(data, op, args, G)
    check_generic(f, args, expected)


# ----- Tails of t, gamma, chi2, beta: shape parameters fixed -----
def tail(op, G, shapes, style):
    """``sum(op(x, *shapes, ...) * G)`` with the shape parameters held fixed."""

    def standard(x):
        return np.sum(op(x, *shapes) * G)

    def positional(x, loc, scale):
        return np.sum(op(x, *shapes, loc, scale) * G)

    def keywords(x, loc, scale):
        return np.sum(op(x, *shapes, loc=loc, scale=scale) * G)

    return locals()[style]


@pytest.mark.parametrize("name", list(DISTRIBUTIONS))
@pytest.mark.parametrize("method", TAILS)
@settings(max_examples=10)  # sixteen rules, one shared path (location_scale)
@given(data=st.data(), style=st.sampled_from(["standard", "positional", "keywords"]))
def test_tail(name, method, data, style):
    dist = DISTRIBUTIONS[name][0]
    op = getattr(dist, method)
    inputs = UNIVARIATE_DOMAINS[op].inputs
    if style == "standard":
        inputs = inputs[:-2]
    args, G = draw_inputs(data, inputs)
    shapes = args[1 : 1 + dist.numargs]
    args = [args[0], *args[1 + dist.numargs :]]
    f = tail(op, G, shapes, style)
    expected = check_grad(f, args)
    check_generic(f, args, expected)
    # The rule on arrays: x checked, each shape parameter answered NotImplemented.
    kwargs = dict(zip(["loc", "scale"], args[1:], strict=False))
    kwargs.update(zip(dist.shapes.split(", "), shapes, strict=True))
    check_rule(data, op, args[:1], G, kwargs)
    full = [args[0], *shapes, *args[1:]]
    contributions = rule_for(lookup(op))(G, op(*full), *full)
    assert contributions[1 : 1 + dist.numargs] == (NotImplemented,) * dist.numargs


@pytest.mark.parametrize("method", TAILS)
@pytest.mark.parametrize("name", list(DISTRIBUTIONS))
def test_tail_refuses_shape_parameters(name, method):
    op = getattr(DISTRIBUTIONS[name][0], method)

    def f(x, s):
        return np.sum(op(x, s, s))

    def g(x, s):
        return np.sum(op(x, s))

    fn = f if name == "beta" else g
    x = np.array([0.3, 0.6])
    assert np.shape(srcdiff.grad(fn)(x, 2.0)) == (2,)
    with pytest.raises(srcdiff.SrcdiffError):
        srcdiff.grad(fn, wrt=1)(x, 2.0)


# ----- Poisson -----
def poisson_call(op, G, style):
    def standard(k, mu):
        return np.sum(op(k, mu) * G)

    def positional(k, mu, loc):
        return np.sum(op(k, mu, loc) * G)

    def keywords(k, mu, loc):
        return np.sum(op(k, mu=mu, loc=loc) * G)

    return locals()[style]


@pytest.mark.parametrize("op", list(POISSON_DOMAINS), ids=method_id)
@settings(max_examples=15)  # six rules of two lines each
@given(data=st.data(), style=st.sampled_from(["standard", "positional", "keywords"]))
def test_poisson(op, data, style):
    inputs = POISSON_DOMAINS[op].inputs
    if style == "standard":
        inputs = inputs[:2]
    shapes = data.draw(
        hnp.mutually_broadcastable_shapes(num_shapes=len(inputs), **SHAPES)
    )
    args = [
        draw_array(data, elements, shape, dtype=np.int64 if i != 1 else np.float64)
        for i, (elements, shape) in enumerate(
            zip(inputs, shapes.input_shapes, strict=True)
        )
    ]
    G = draw_weights(data, shapes.result_shape)
    f = poisson_call(op, G, style)
    expected = check_grad(f, args)
    assert list(expected) == [1]
    check_rule(data, op, args, G)
    check_generic(f, args, expected)


# ----- Dirichlet -----
@st.composite
def dirichlet_inputs(draw):
    """x (one point, or one a column; all K components or K - 1) and alpha."""
    k = draw(st.integers(2, 4))
    shape = draw(st.sampled_from([(k,), (k, 1), (k, 2), (k, 3)]))
    weights = draw(hnp.arrays(np.float64, shape, elements=WEIGHT))
    x = weights / np.sum(weights, axis=0)
    if draw(st.booleans()):
        x = x[:-1]
    alpha = draw(hnp.arrays(np.float64, (k,), elements=ALPHA))
    return x, alpha


def on_simplex(data, x, alpha):
    """A direction for x that keeps each point's components summing to 1."""
    if np.shape(x)[0] < np.shape(alpha)[0]:
        return draw_like(data, x)  # K - 1 components move freely
    v = draw_like(data, x)
    return v - np.mean(v, axis=0)


def along(f, args, i, v):
    """d/dt f(args with args[i] + t v) at 0, by central differences."""

    def moved(t):
        shifted = list(args)
        shifted[i] = args[i] + t * v
        return f(*shifted)

    return numerical_grad(moved, (0.0,), 0)


@pytest.mark.parametrize("op", [stats.dirichlet.pdf, stats.dirichlet.logpdf])
@given(data=st.data(), inputs=dirichlet_inputs())
def test_dirichlet(op, data, inputs):
    x, alpha = inputs
    G = draw_weights(data, np.shape(op(x, alpha)))

    def f(x, alpha):
        return np.sum(op(x, alpha) * G)

    dx, dalpha = srcdiff.grad(f, wrt=(0, 1))(x, alpha)
    assert max_relative_error(dalpha, numerical_grad(f, (x, alpha), 1)) < 1e-6
    v = on_simplex(data, x, alpha)
    assert max_relative_error(inner(dx, v), along(f, (x, alpha), 0, v)) < 1e-6
    rx, ralpha = rule_for(lookup(op))(G, op(x, alpha), x, alpha)
    assert max_relative_error(rx, dx) < 1e-12
    assert max_relative_error(ralpha, dalpha) < 1e-12


def test_dirichlet_completes_x():
    """With K - 1 components x is free: plain central differences apply. Which
    form x takes is a matter of shapes, so the rule needs an example."""
    x, alpha = np.array([[0.2, 0.5], [0.3, 0.1]]), np.array([1.5, 2.0, 3.0])

    def f(x, alpha):
        return np.sum(stats.dirichlet.logpdf(x, alpha) * np.array([1.0, -2.0]))

    check_grad(f, [x, alpha])
    with pytest.raises(srcdiff.NeedsExample):
        srcdiff.grad(f).derivative()


@given(data=st.data(), k=st.integers(1, 4))
def test_dirichlet_entropy(data, k):
    alpha = data.draw(hnp.arrays(np.float64, (k + 1,), elements=ALPHA))

    def f(alpha):
        return stats.dirichlet.entropy(alpha) * 1.5

    expected = check_grad(f, [alpha])
    check_rule(data, stats.dirichlet.entropy, [alpha], 1.5)
    check_generic(f, [alpha], expected)


# ----- Multivariate normal -----
@st.composite
def mvn_inputs(draw):
    """x in every layout SciPy reads, mean (or None) and a full, diagonal or
    scalar cov, for 1 to 3 dimensions."""
    dim = draw(st.integers(1, 3))
    layouts = [(dim,), (2, dim), (3, dim), (2, 1, dim)]
    if dim == 1:
        layouts += [(), (3,)]  # scalars, and a vector of scalar points
    x = draw(hnp.arrays(np.float64, draw(st.sampled_from(layouts)), elements=REAL))
    means = [None, (dim,)] + ([()] if dim == 1 else [])
    mean_shape = draw(st.sampled_from(means))
    mean = None
    if mean_shape is not None:
        mean = draw(hnp.arrays(np.float64, mean_shape, elements=REAL))
    forms = ["matrix", "diagonal", "scalar"]
    if mean is None and dim > 1:
        forms = ["matrix"]  # SciPy reads the dimension off cov
    form = draw(st.sampled_from(forms))
    if form == "matrix":
        a = draw(hnp.arrays(np.float64, (dim, dim), elements=FACTOR))
        cov = a @ a.T + dim * np.eye(dim)
    else:
        cov = draw(
            hnp.arrays(
                np.float64, (dim,) if form == "diagonal" else (), elements=VARIANCE
            )
        )
    return x, mean, cov


def mvn_call(op, G, with_mean):
    def with_mean_(x, mean, cov):
        return np.sum(op(x, mean, cov) * G)

    def without_mean(x, cov):
        return np.sum(op(x, cov=cov) * G)

    return with_mean_ if with_mean else without_mean


@pytest.mark.parametrize(
    "op", [stats.multivariate_normal.pdf, stats.multivariate_normal.logpdf]
)
@given(data=st.data(), inputs=mvn_inputs())
def test_multivariate_normal(op, data, inputs):
    x, mean, cov = inputs
    G = draw_weights(data, np.shape(op(x, mean, cov)))
    f = mvn_call(op, G, mean is not None)
    args = [x, mean, cov] if mean is not None else [x, cov]
    expected = check_grad(f, args)
    check_rule(data, op, [x, mean, cov], G)
    if np.ndim(cov) == 2:  # without an example, cov is taken as a matrix
        check_generic(f, args, expected)


@given(data=st.data(), inputs=mvn_inputs())
def test_multivariate_normal_entropy(data, inputs):
    _, mean, cov = inputs

    def f(mean, cov):
        return stats.multivariate_normal.entropy(mean, cov) * 1.5

    expected = check_grad(f, [mean, cov])
    if np.ndim(cov) == 2:
        check_generic(f, [mean, cov], expected)
    # On arrays (the mean has no gradient, so check_rule does not apply).
    rule = rule_for(lookup(stats.multivariate_normal.entropy))
    dmean, dcov = rule(1.5, f(mean, cov) / 1.5, mean, cov)
    assert dmean is None
    assert max_relative_error(dcov, expected[1]) < 1e-6


# ----- Against autograd (fixed inputs; finite differences above) -----
X = np.array([0.3, 0.55, 0.8])


def agree(f, reference, args, wrt):
    for i in wrt:
        got = srcdiff.grad(f, wrt=i)(*args)
        expected = autograd.grad(reference, i)(*args)
        assert max_relative_error(got, expected) < 1e-10, f"argument {i}"


@pytest.mark.parametrize("method", ["pdf", "logpdf"])
def test_t_agrees_with_autograd(method):
    op, ref = getattr(stats.t, method), getattr(astats.t, method)

    def f(x, df, loc, scale):
        return np.sum(op(x, df, loc, scale) * X)

    def reference(x, df, loc, scale):
        return anp.sum(ref(x, df, loc, scale) * X)

    agree(f, reference, (X - 0.5, 3.5, 0.25, 1.5), wrt=(0, 1, 2, 3))


@pytest.mark.parametrize("method", ["cdf", "logcdf"])
def test_t_tails_agree_with_autograd(method):
    op, ref = getattr(stats.t, method), getattr(astats.t, method)

    def f(x, loc):
        return np.sum(op(x, 3.5, loc, 1.5) * X)

    def reference(x, loc):
        return anp.sum(ref(x, 3.5, loc, 1.5) * X)

    agree(f, reference, (X - 0.5, 0.25), wrt=(0, 1))


@pytest.mark.parametrize("method", ["pdf", "logpdf", "cdf"])
@pytest.mark.parametrize("name", ["gamma", "chi2"])
def test_one_shape_agrees_with_autograd(name, method):
    """autograd differentiates these in x, and gamma's density in a too."""
    op, ref = getattr(getattr(stats, name), method), getattr(astats, name)
    ref = getattr(ref, method)

    def f(x, a):
        return np.sum(op(x, a) * X)

    def reference(x, a):
        return anp.sum(ref(x, a) * X)

    wrt = (0, 1) if name == "gamma" and method != "cdf" else (0,)
    agree(f, reference, (X * 4, 3.0), wrt)


@pytest.mark.parametrize("method", ["pdf", "logpdf", "cdf"])
def test_beta_agrees_with_autograd(method):
    op, ref = getattr(stats.beta, method), getattr(astats.beta, method)

    def f(x, a, b):
        return np.sum(op(x, a, b) * X)

    def reference(x, a, b):
        return anp.sum(ref(x, a, b) * X)

    agree(f, reference, (X, 2.5, 1.5), (0,) if method == "cdf" else (0, 1, 2))


@pytest.mark.parametrize("method", ["pmf", "logpmf", "cdf"])
def test_poisson_agrees_with_autograd(method):
    op, ref = getattr(stats.poisson, method), getattr(astats.poisson, method)
    k = np.array([0, 2, 5])

    def f(k, mu):
        return np.sum(op(k, mu) * X)

    def reference(k, mu):
        return anp.sum(ref(k, mu) * X)

    agree(f, reference, (k, 2.5), (1,))


@pytest.mark.parametrize("method", ["pdf", "logpdf"])
def test_dirichlet_agrees_with_autograd(method):
    op, ref = getattr(stats.dirichlet, method), getattr(astats.dirichlet, method)
    x, alpha = np.array([0.2, 0.5, 0.3]), np.array([1.5, 2.0, 3.0])

    def f(x, alpha):
        return op(x, alpha) * 1.5

    def reference(x, alpha):
        return ref(x, alpha) * 1.5

    agree(f, reference, (x, alpha), (0, 1))


@pytest.mark.parametrize("method", ["pdf", "logpdf"])
def test_multivariate_normal_agrees_with_autograd(method):
    """autograd gives the symmetric gradient in cov: ours is on the lower
    triangle, (G + G.T) / 2 of it."""
    op = getattr(stats.multivariate_normal, method)
    ref = getattr(astats.multivariate_normal, method)
    x = np.array([[0.3, -0.5, 1.0], [1.2, 0.1, -0.4]])
    mean = np.array([0.1, 0.2, -0.3])
    cov = np.array([[2.0, 0.3, -0.2], [0.3, 1.5, 0.4], [-0.2, 0.4, 1.2]])

    def f(x, mean, cov):
        return np.sum(op(x, mean, cov) * X[:2])

    def reference(x, mean, cov):
        return anp.sum(ref(x, mean, cov) * X[:2])

    agree(f, reference, (x, mean, cov), (0, 1))
    dcov = srcdiff.grad(f, wrt=2)(x, mean, cov)
    assert np.all(np.triu(dcov, 1) == 0)
    symmetric = autograd.grad(reference, 2)(x, mean, cov)
    assert max_relative_error((dcov + dcov.T) / 2, symmetric) < 1e-10


def test_multivariate_normal_entropy_agrees_with_autograd():
    cov = np.array([[2.0, 0.3], [0.3, 1.5]])

    def f(cov):
        return stats.multivariate_normal.entropy(cov=cov)

    dcov = srcdiff.grad(f)(cov)
    symmetric = autograd.grad(lambda c: astats.multivariate_normal.entropy(None, c))(
        cov
    )
    assert max_relative_error((dcov + dcov.T) / 2, symmetric) < 1e-12


# ----- Refusals and emitted code -----
def test_multivariate_normal_refuses_allow_singular():
    def f(x):
        return np.sum(stats.multivariate_normal.logpdf(x, cov=1.0, allow_singular=True))

    with pytest.raises(srcdiff.UnsupportedPrimitive, match="allow_singular"):
        srcdiff.grad(f)(np.array([0.5, 1.0]))


def test_multivariate_normal_refuses_covariance_objects():
    cov = stats.Covariance.from_diagonal(np.array([1.0, 2.0]))

    def f(x):
        return stats.multivariate_normal.logpdf(x, cov=cov)

    with pytest.raises(srcdiff.UnsupportedPrimitive, match="Covariance"):
        srcdiff.grad(f)(np.array([0.5, 1.0]))


def test_emits_distribution_methods():
    def f(x, scale):
        return np.sum(stats.t.logcdf(x, 4.0) + stats.gamma.cdf(x, 2.0, scale=scale))

    g = srcdiff.grad(f)
    g(np.array([0.5, 2.0]), 1.5)
    assert "from scipy import stats" in g.source
    # SciPy's defaults are left out of the calls the rules make.
    assert "stats.t.logpdf(x, 4.0)" in g.source
    assert "stats.gamma.pdf(x, 2.0, 0, scale)" in g.source


def test_multivariate_normal_reads_the_lower_triangle():
    """Central differences of an entry above the diagonal are zero: SciPy
    never reads it. The gradient there is zero, below it doubled."""
    x, cov = np.array([0.3, -0.5]), np.array([[2.0, 0.3], [0.3, 1.5]])

    def f(cov):
        return stats.multivariate_normal.logpdf(x, cov=cov)

    dcov = srcdiff.grad(f)(cov)
    assert dcov[0, 1] == 0
    assert max_relative_error(dcov, numerical_grad(f, [cov], 0)) < 1e-8


def test_a_shape_parameter_without_a_formula_is_refused_only_when_differentiated():
    def f(x, df):
        return np.sum(stats.t.cdf(x, df))

    x = np.array([0.5, -1.0])
    expected = numerical_grad(f, (x, 3.0), 0)
    assert max_relative_error(srcdiff.grad(f)(x, 3.0), expected) < 1e-6
    with pytest.raises(srcdiff.UnsupportedPrimitive, match="argument 'df'"):
        srcdiff.grad(f, wrt="df")(x, 3.0)
