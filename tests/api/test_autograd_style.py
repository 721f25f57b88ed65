"""Loss functions written the way autograd's users write them.

``import autograd.numpy as np`` and autograd.scipy's distributions, helpers
with a nonlinearity as a default argument, a class that cuts named weights
out of one flat vector, functools.partial, autograd.misc.flatten and
autograd.builtins: srcdiff's gradient of each is checked against central
differences and against autograd's own ``grad`` on the same code.
"""

import functools
import itertools
import re

import autograd.numpy as np
import autograd.numpy.random as npr
import autograd.scipy.stats.norm as norm
import numpy
import pytest
from autograd import grad as autograd_grad
from autograd.builtins import tuple as ag_tuple
from autograd.misc import flatten
from autograd.scipy.special import logsumexp
from autograd.scipy.stats import multivariate_normal as mvn
from autograd.scipy.stats import t as student_t

import srcdiff
from srcdiff.numeric import max_relative_error, numerical_grad

RS = npr.RandomState(3)
TOL = 1e-6


# ----- A small classifier: layers as (W, b) pairs, nonlinearity a default -----
def init_layers(sizes, scale=0.3):
    return [
        (scale * RS.randn(m, n), scale * RS.randn(n))
        for m, n in itertools.pairwise(sizes)
    ]


def forward(layers, inputs, nonlinearity=np.tanh):
    for W, b in layers[:-1]:
        inputs = nonlinearity(np.dot(inputs, W) + b)
    W, b = layers[-1]
    outputs = np.dot(inputs, W) + b
    return outputs - logsumexp(outputs, axis=1, keepdims=True)


def classifier_loss(layers, inputs, targets):
    log_probs = forward(layers, inputs)
    return -np.mean(np.sum(log_probs * targets, axis=1))


LAYERS = init_layers([3, 5, 4])
INPUTS = RS.randn(6, 3)
TARGETS = numpy.eye(4)[RS.randint(0, 4, size=6)]


# ----- The same network out of one flat vector, with a weights parser -----
class WeightCutter:
    """Hands out named, shaped views of a single parameter vector."""

    def __init__(self):
        self.spans = {}
        self.count = 0

    def declare(self, name, shape):
        start = self.count
        self.count += int(numpy.prod(shape))
        self.spans[name] = (slice(start, self.count), shape)

    def get(self, vector, name):
        span, shape = self.spans[name]
        return np.reshape(vector[span], shape)


CUTTER = WeightCutter()
CUTTER.declare("hidden", (3, 4))
CUTTER.declare("hidden bias", (4,))
CUTTER.declare("out", (4,))


def flat_regression_loss(weights, inputs, targets, nonlinearity=np.tanh):
    hidden = nonlinearity(
        np.dot(inputs, CUTTER.get(weights, "hidden"))
        + CUTTER.get(weights, "hidden bias")
    )
    predictions = np.dot(hidden, CUTTER.get(weights, "out"))
    log_prior = np.sum(norm.logpdf(weights, 0.0, 2.0))
    log_lik = np.sum(norm.logpdf(predictions, targets, 0.5))
    return -(log_prior + log_lik)


WEIGHTS = 0.4 * RS.randn(CUTTER.count)
REG_TARGETS = RS.randn(6)


# ----- Gaussian-process marginal likelihood, kernel parameters in logs -----
def squared_exponential(log_params, xs, ys):
    log_variance, log_lengthscale = log_params[0], log_params[1]
    diffs = np.expand_dims(xs, 1) - np.expand_dims(ys, 0)
    sq = np.sum((diffs / np.exp(log_lengthscale)) ** 2, axis=2)
    return np.exp(log_variance) * np.exp(-0.5 * sq)


def gp_negative_log_marginal(params, xs, ys):
    mean, log_noise = params[2], params[3]
    cov = squared_exponential(params[:2], xs, xs)
    cov = cov + np.exp(log_noise) * np.eye(len(ys)) + 1e-6 * np.eye(len(ys))
    return -mvn.logpdf(ys, mean * np.ones(len(ys)), cov)


GP_PARAMS = numpy.array([0.1, -0.3, 0.2, -1.0])
GP_X = RS.randn(5, 2)
GP_Y = numpy.sin(GP_X[:, 0]) + 0.1 * RS.randn(5)


# ----- Black-box variational inference with fixed noise (a closure) -----
def make_elbo(log_density, dims, noise):
    def unpack(params):
        return params[:dims], params[dims:]

    def gaussian_entropy(log_std):
        return 0.5 * dims * (1.0 + np.log(2 * np.pi)) + np.sum(log_std)

    def negative_elbo(params):
        mean, log_std = unpack(params)
        samples = noise * np.exp(log_std) + mean
        return -(gaussian_entropy(log_std) + np.mean(log_density(samples)))

    return negative_elbo


def banana_log_density(z):
    first, second = z[:, 0], z[:, 1]
    return norm.logpdf(first, 0.0, 1.35) + norm.logpdf(second, first**2 / 2, 0.7)


NEGATIVE_ELBO = make_elbo(banana_log_density, 2, RS.randn(20, 2))
VI_PARAMS = numpy.array([0.2, -0.1, -0.5, 0.3])


def variational_loss(params):
    return NEGATIVE_ELBO(params)


# ----- A mixture model: stacks, variances, autograd.builtins.tuple -----
def mixture_log_likelihood(params, data):
    means, log_scales, logits = params
    log_weights = logits - logsumexp(logits)
    per_component = np.stack(
        [norm.logpdf(data, means[k], np.exp(log_scales[k])) for k in range(len(means))],
        axis=1,
    )
    spread = np.var(np.hstack([means, np.exp(log_scales)]))
    return -np.sum(logsumexp(per_component + log_weights, axis=1)) + 0.1 * spread


MIXTURE = ag_tuple(
    [numpy.array([-1.0, 0.5, 2.0]), numpy.array([0.1, -0.2, 0.3]), RS.randn(3)]
)
MIXTURE_DATA = RS.randn(12) * 1.5


# ----- Robust regression: Student's t residuals, a partial for the scale -----
def robust_residuals(coefs, inputs, targets, df, scale):
    fitted = np.dot(inputs, coefs[:-1]) + coefs[-1]
    return -np.sum(student_t.logpdf(targets, df, fitted, scale))


ROBUST = functools.partial(robust_residuals, df=3.0, scale=0.8)


def robust_loss(coefs, inputs, targets):
    penalty = functools.partial(np.sum, axis=0)
    return ROBUST(coefs, inputs, targets) + 0.01 * penalty(coefs**2)


COEFS = RS.randn(4)


# ----- Parameters kept as one vector by autograd.misc.flatten -----
INITIAL = {"scale": 0.5, "shift": RS.randn(3), "mix": RS.randn(3, 3)}
FLAT_INITIAL, UNFLATTEN = flatten(INITIAL)


def flattened_objective(flat, inputs):
    p = UNFLATTEN(flat)
    out = np.tanh(np.dot(inputs, p["mix"]) + p["shift"]) * p["scale"]
    return np.sum(np.column_stack([out, np.sin(out)]) ** 2)


CASES = [
    pytest.param(classifier_loss, (LAYERS, INPUTS, TARGETS), id="classifier"),
    pytest.param(
        flat_regression_loss, (WEIGHTS, INPUTS, REG_TARGETS), id="weights-parser"
    ),
    pytest.param(gp_negative_log_marginal, (GP_PARAMS, GP_X, GP_Y), id="gp"),
    pytest.param(variational_loss, (VI_PARAMS,), id="bbvi"),
    pytest.param(mixture_log_likelihood, (MIXTURE, MIXTURE_DATA), id="mixture"),
    pytest.param(robust_loss, (COEFS, INPUTS, REG_TARGETS), id="student-t"),
    pytest.param(flattened_objective, (FLAT_INITIAL, INPUTS), id="flatten"),
]


@pytest.mark.parametrize("loss, args", CASES)
def test_matches_central_differences(loss, args):
    got = srcdiff.grad(loss)(*args)
    assert max_relative_error(got, numerical_grad(loss, args, 0)) < TOL


@pytest.mark.parametrize("loss, args", CASES)
def test_matches_autograd(loss, args):
    got = srcdiff.grad(loss)(*args)
    assert max_relative_error(got, autograd_grad(loss)(*args)) < TOL


@pytest.mark.parametrize("loss, args", CASES)
def test_emitted_source_runs_on_numpy_alone(loss, args):
    """The file reads NumPy and SciPy only, and gives the same gradient."""
    g = srcdiff.grad(loss)
    expected = g(*args)
    names = {}
    exec(compile(g.source, "<emitted>", "exec"), names)
    assert not re.search(r"\bautograd\b", g.source)  # not test_autograd_style.py
    got = names[f"{loss.__name__}_grad"](*args)
    assert max_relative_error(got, expected) < 1e-12
