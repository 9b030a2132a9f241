"""dualrev.scipy.stats: the densities and distribution functions of ``jax.scipy.stats``,
differentiable in every argument (x, loc, scale and the shape parameters).

Each distribution is a namespace (``norm``, ``t``, ``cauchy``, ``logistic``, ``laplace``,
``gamma``, ``beta``, ``poisson``, ``dirichlet``) whose functions
are composites of dualrev.numpy's primitives and dualrev.scipy.special's (registered as
``"scipy.stats.norm.logpdf"`` ...); called on NumPy values they compute with NumPy.
Outside a distribution's support, log densities are -inf and densities 0, as JAX's; the
derivatives there are 0, not nan.

    >>> from dualrev.scipy.stats import norm
    >>> dualrev.grad(norm.logpdf, argnums=(0, 1, 2))(1.0, 0.0, 2.0)   # (-0.25, 0.25, -0.375)
"""
import math
import sys
import types

import numpy as np

from .. import numpy as dnp
from ..core import strip
from ..numpy._dispatch import composite
from . import special

__all__ = ["norm", "t", "cauchy", "logistic", "laplace", "gamma", "beta", "poisson",
           "multivariate_normal",
           "dirichlet"]

_LOG_SQRT_2PI = 0.5 * math.log(2 * math.pi)
_PY = (int, float)


def _namespace(name, doc, fns):
    """The distribution ``name``: a module (``dualrev.scipy.stats.norm``) of composites,
    each registered as ``scipy.stats.<name>.<function>``."""
    mod = types.ModuleType(f"{__name__}.{name}", doc)
    for fname, fn in fns.items():
        public = composite(fn, f"scipy.stats.{name}.{fname}")(fn)
        public.__module__ = mod.__name__
        setattr(mod, fname, public)
    mod.__all__ = list(fns)
    sys.modules[mod.__name__] = mod
    return mod


# Python numbers stay Python numbers (weakly typed: float32 arguments keep float32 results).
def _log(v):
    return math.log(v) if type(v) in _PY and v > 0 else dnp.log(v)


def _gammaln(v):
    return math.lgamma(v) if type(v) in _PY and v > 0 else special.gammaln(v)


def _standard(x, loc, scale):
    return (x - loc) / scale if not (type(loc) in _PY and loc == 0) else x / scale


def _outside(mask, values):
    """values, -inf where the constant mask holds (derivative 0 there)."""
    return dnp.where(mask, -np.inf, values)


def _inside(mask, y, fill):
    """y where the constant mask holds, else the finite ``fill``: a point inside the support
    for the branch that where() discards, so that its derivatives stay finite."""
    return dnp.where(mask, y, fill)


def _exp_of(logpdf):
    def pdf(*args, **kwargs):
        return dnp.exp(logpdf(*args, **kwargs))
    pdf.__doc__ = "The density: exp(logpdf)." if "pdf" in logpdf.__name__ else \
        "The probability mass: exp(logpmf)."
    return pdf


# ---------------------------------------------------------------- norm

def _norm_logpdf(x, loc=0, scale=1):
    """Log density of N(loc, scale^2): -z^2/2 - log(scale) - log(2 pi)/2, z = (x - loc)/scale."""
    z = _standard(x, loc, scale)
    return -0.5 * (z * z) - _log(scale) - _LOG_SQRT_2PI


def _norm_cdf(x, loc=0, scale=1):
    """CDF of N(loc, scale^2): ndtr((x - loc) / scale)."""
    return special.ndtr(_standard(x, loc, scale))


def _norm_logcdf(x, loc=0, scale=1):
    """log CDF of N(loc, scale^2): log_ndtr((x - loc) / scale), accurate in the lower tail."""
    return special.log_ndtr(_standard(x, loc, scale))


def _norm_sf(x, loc=0, scale=1):
    """Survival function 1 - cdf of N(loc, scale^2): ndtr(-(x - loc) / scale)."""
    return special.ndtr(-_standard(x, loc, scale))


def _norm_logsf(x, loc=0, scale=1):
    """log(1 - cdf) of N(loc, scale^2): log_ndtr(-(x - loc) / scale)."""
    return special.log_ndtr(-_standard(x, loc, scale))


def _norm_ppf(q, loc=0, scale=1):
    """Quantile function of N(loc, scale^2): loc + scale ndtri(q)."""
    return special.ndtri(q) * scale + loc


norm = _namespace("norm", "The normal distribution N(loc, scale^2).", dict(
    logpdf=_norm_logpdf, pdf=_exp_of(_norm_logpdf), cdf=_norm_cdf, logcdf=_norm_logcdf,
    sf=_norm_sf, logsf=_norm_logsf, ppf=_norm_ppf))


# ---------------------------------------------------------------- t

def _t_logpdf(x, df, loc=0, scale=1):
    """Log density of Student's t with df degrees of freedom:
    gammaln((df+1)/2) - gammaln(df/2) - log(df pi)/2 - log(scale) - (df+1)/2 log1p(z^2/df)."""
    z = _standard(x, loc, scale)
    half = 0.5 * (df + 1)
    return (_gammaln(half) - _gammaln(0.5 * df) - 0.5 * _log(df * math.pi) - _log(scale)
            - special.xlog1py(half, z * z / df))


t = _namespace("t", "Student's t distribution (df degrees of freedom, loc, scale).", dict(
    logpdf=_t_logpdf, pdf=_exp_of(_t_logpdf)))


# ---------------------------------------------------------------- cauchy

def _arctan(z):
    fn = getattr(dnp, "arctan", None)
    if fn is not None:
        return fn(z)
    return dnp.angle(1 + 1j * z)   # atan2(z, 1)


def _cauchy_logpdf(x, loc=0, scale=1):
    """Log density of the Cauchy distribution: -log(pi scale) - log1p(z^2)."""
    z = _standard(x, loc, scale)
    return -math.log(math.pi) - _log(scale) - special.xlog1py(1.0, z * z)


def _cauchy_cdf(x, loc=0, scale=1):
    """CDF of the Cauchy distribution: 1/2 + arctan(z) / pi."""
    return 0.5 + _arctan(_standard(x, loc, scale)) / math.pi


def _cauchy_logcdf(x, loc=0, scale=1):
    """log CDF of the Cauchy distribution: log(1/2 + arctan(z) / pi)."""
    return dnp.log(_cauchy_cdf(x, loc, scale))


cauchy = _namespace("cauchy", "The Cauchy distribution (loc, scale).", dict(
    logpdf=_cauchy_logpdf, pdf=_exp_of(_cauchy_logpdf), cdf=_cauchy_cdf,
    logcdf=_cauchy_logcdf))


# ---------------------------------------------------------------- logistic

def _logistic_logpdf(x, loc=0, scale=1):
    """Log density of the logistic distribution: -|z| - 2 log1p(exp(-|z|)) - log(scale)
    (the form that neither overflows nor cancels)."""
    a = dnp.abs(_standard(x, loc, scale))
    return -a - special.xlog1py(2.0, dnp.exp(-a)) - _log(scale)


def _logistic_cdf(x, loc=0, scale=1):
    """CDF of the logistic distribution: expit(z)."""
    return special.expit(_standard(x, loc, scale))


logistic = _namespace("logistic", "The logistic distribution (loc, scale).", dict(
    logpdf=_logistic_logpdf, pdf=_exp_of(_logistic_logpdf), cdf=_logistic_cdf))


# ---------------------------------------------------------------- laplace

def _laplace_logpdf(x, loc=0, scale=1):
    """Log density of the Laplace distribution: -log(2 scale) - |z|."""
    return -math.log(2) - _log(scale) - dnp.abs(_standard(x, loc, scale))


def _laplace_cdf(x, loc=0, scale=1):
    """CDF of the Laplace distribution: exp(z)/2 for z <= 0, 1 - exp(-z)/2 above."""
    z = _standard(x, loc, scale)
    low = strip(z) <= 0
    return dnp.where(low, 0.5 * dnp.exp(_inside(low, z, 0.0)),
                     1 - 0.5 * dnp.exp(-_inside(~low, z, 0.0)))


laplace = _namespace("laplace", "The Laplace distribution (loc, scale).", dict(
    logpdf=_laplace_logpdf, pdf=_exp_of(_laplace_logpdf), cdf=_laplace_cdf))


# ---------------------------------------------------------------- gamma, beta

def _gamma_logpdf(x, a, loc=0, scale=1):
    """Log density of the gamma distribution with shape a:
    (a - 1) log(y) - y - gammaln(a) - log(scale), y = (x - loc)/scale; -inf for y < 0."""
    y = _standard(x, loc, scale)
    out = strip(y) < 0
    y = _inside(~out, y, 1.0)
    return _outside(out, special.xlogy(a - 1, y) - y - _gammaln(a) - _log(scale))


def _beta_logpdf(x, a, b, loc=0, scale=1):
    """Log density of the beta distribution: (a - 1) log(y) + (b - 1) log(1 - y)
    - betaln(a, b) - log(scale), y = (x - loc)/scale; -inf outside [0, 1]."""
    y = _standard(x, loc, scale)
    ys = strip(y)
    out = (ys < 0) | (ys > 1)
    y = _inside(~out, y, 0.5)
    return _outside(out, special.xlogy(a - 1, y) + special.xlog1py(b - 1, -y)
                    - special.betaln(a, b) - _log(scale))


gamma = _namespace("gamma", "The gamma distribution (shape a, loc, scale).", dict(
    logpdf=_gamma_logpdf, pdf=_exp_of(_gamma_logpdf)))
beta = _namespace("beta", "The beta distribution (shapes a and b, loc, scale).", dict(
    logpdf=_beta_logpdf, pdf=_exp_of(_beta_logpdf)))


# ---------------------------------------------------------------- poisson

def _poisson_logpmf(k, mu, loc=0):
    """Log probability mass of the Poisson distribution: k log(mu) - gammaln(k + 1) - mu,
    k shifted by loc; -inf where k is negative or not an integer."""
    x = k - loc
    xs = strip(x)
    out = (xs < 0) | (xs != dnp.round(xs))
    x = _inside(~out, x, 0.0)
    return _outside(out, special.xlogy(x, mu) - special.gammaln(x + 1) - mu)


poisson = _namespace("poisson", "The Poisson distribution (rate mu, loc).", dict(
    logpmf=_poisson_logpmf, pmf=_exp_of(_poisson_logpmf)))


# ---------------------------------------------------------------- dirichlet

def _dirichlet_logpdf(x, alpha):
    """Log density of the Dirichlet distribution: sum((alpha - 1) log(x)) + gammaln(sum
    alpha) - sum(gammaln(alpha)), over the first axis of x (which may hold one entry fewer
    than alpha: the last is then 1 - sum(x)); -inf off the simplex."""
    alpha_shape, x_shape = np.shape(strip(alpha)), np.shape(strip(x))
    if len(alpha_shape) != 1:
        raise ValueError(f"dirichlet.logpdf: alpha must be one-dimensional; got alpha.shape="
                         f"{alpha_shape}")
    if not x_shape or x_shape[0] not in (alpha_shape[0], alpha_shape[0] - 1):
        raise ValueError(f"dirichlet.logpdf: x must have either the same number of entries "
                         f"as alpha or one entry fewer; got x.shape={x_shape}, "
                         f"alpha.shape={alpha_shape}")
    if x_shape[0] != alpha_shape[0]:
        x = dnp.concatenate([x, 1 - dnp.sum(x, axis=0, keepdims=True)], axis=0)
    normalize = dnp.sum(special.gammaln(alpha)) - special.gammaln(dnp.sum(alpha))
    if len(x_shape) > 1:
        alpha = dnp.reshape(alpha, alpha_shape + (1,) * (len(x_shape) - 1))
    xs = strip(x)
    simplex = dnp.all(xs > 0, axis=0) & (dnp.abs(dnp.sum(xs, axis=0) - 1) < 1e-6)
    x = _inside(simplex, x, 1.0)
    return dnp.where(simplex, dnp.sum(special.xlogy(alpha - 1, x), axis=0) - normalize,
                     -np.inf)


dirichlet = _namespace("dirichlet", "The Dirichlet distribution (concentrations alpha).", dict(
    logpdf=_dirichlet_logpdf, pdf=_exp_of(_dirichlet_logpdf)))


# ---------------------------------------------------------------- multivariate_normal

def _mvn_logpdf(x, mean, cov, allow_singular=None):
    """Log density of N(mean, cov) over the last axis of x (mean and cov broadcast over
    the leading axes): -(d log(2 pi) + log det cov + r^T cov^-1 r) / 2 with r = x - mean,
    from the Cholesky factor L of cov (log det cov = 2 sum log diag L; the quadratic form
    is |L^-1 r|^2)."""
    if allow_singular is not None:
        raise NotImplementedError("multivariate_normal.logpdf: allow_singular is not "
                                  "supported (as JAX)")
    cov_shape = np.shape(strip(cov))
    if len(cov_shape) < 2 or cov_shape[-1] != cov_shape[-2]:
        raise ValueError(f"multivariate_normal.logpdf: cov must be a square matrix (or a "
                         f"stack of them); got shape {cov_shape}")
    d = cov_shape[-1]
    L = dnp.linalg.cholesky(cov)
    r = x - mean
    shape = np.broadcast_shapes(np.shape(strip(r)), cov_shape[:-1])
    z = dnp.linalg.solve(dnp.broadcast_to(L, shape[:-1] + (d, d)),
                         dnp.broadcast_to(r, shape)[..., None])[..., 0]
    log_det = dnp.sum(dnp.log(dnp.diagonal(L, axis1=-2, axis2=-1)), axis=-1)
    return -0.5 * dnp.sum(z * z, axis=-1) - log_det - d * _LOG_SQRT_2PI


multivariate_normal = _namespace(
    "multivariate_normal", "The multivariate normal distribution N(mean, cov).", dict(
        logpdf=_mvn_logpdf, pdf=_exp_of(_mvn_logpdf)))
