"""Table cases: dualrev.scipy.special and dualrev.scipy.stats, against jax.scipy."""
import jax.scipy.special as jsp
import jax.scipy.stats as jst
import numpy as np

import dualrev.scipy.special as dsp
import dualrev.scipy.stats as dst
from helpers import jnp
from table import Arg, case

_NS = "not in the array API standard"   # the special functions


def sp(m):
    return jsp if m is jnp else dsp


def st(m):
    return jst if m is jnp else dst


def _r(m, z):
    return m.real(z) * 0.75 - m.imag(z) * 1.25


def _special(name, *args, n=None, **kw):
    """One case of the elementwise function ``name`` on the given inputs."""
    case(f"scipy.special.{name}", n or "2x3", lambda m, *xs: getattr(sp(m), name)(*xs), *args,
         **kw)


# ---------------------------------------------------------------- elementwise, one argument
for _name, _lo, _hi in (("erf", -2, 2), ("erfc", -2, 2), ("erfinv", -0.9, 0.9),
                        ("erfcx", -2, 4), ("gammaln", 0.2, 5), ("gamma", 0.2, 4),
                        ("digamma", 0.2, 5), ("ndtr", -3, 3), ("ndtri", 0.02, 0.98),
                        ("log_ndtr", -5, 5), ("i0", -3, 3), ("i0e", -3, 3), ("i1", -3, 3),
                        ("i1e", -3, 3)):
    _special(_name, Arg(2, 3, lo=_lo, hi=_hi), strict=_NS)
for _name, _lo, _hi in (("expit", -4, 4), ("logit", 0.05, 0.95), ("entr", 0.1, 2)):
    _special(_name, Arg(2, 3, lo=_lo, hi=_hi))

# Negative non-integer arguments (the gamma function's sign changes).
_NEG = np.array([-0.5, -1.5, -2.3, 0.7])
_special("gammaln", _NEG, n="negative", strict=_NS)
_special("gamma", _NEG, n="negative", strict=_NS)
_special("digamma", _NEG, n="negative", strict=_NS)
# (Edges with infinite derivatives, erfinv(+-1), logit(0), entr'(0), are in
# test_scipy.py: a Jacobian there holds 0 * inf.)

# ---------------------------------------------------------------- two arguments
case("scipy.special.polygamma", "orders_012", lambda m, n, x: sp(m).polygamma(n, x),
     np.array([0, 1, 2]), Arg(2, 3, lo=0.3, hi=4), diff=(1,), strict=_NS)
case("scipy.special.polygamma", "scalar_order", lambda m, x: sp(m).polygamma(1, x),
     Arg(3, lo=0.3, hi=4), strict=_NS)
case("scipy.special.betaln", "bcast", lambda m, a, b: sp(m).betaln(a, b),
     Arg(2, 3, lo=0.3, hi=4), Arg(3, lo=0.3, hi=4), strict=_NS)
case("scipy.special.xlogy", "2x3", lambda m, x, y: sp(m).xlogy(x, y), Arg(2, 3),
     Arg(2, 3, lo=0.2, hi=3))
case("scipy.special.xlogy", "zero_x", lambda m, x, y: sp(m).xlogy(x, y),
     np.array([0.0, 0.0, 1.5]), np.array([2.0, 0.5, 0.5]), fd=False)
case("scipy.special.xlog1py", "2x3", lambda m, x, y: sp(m).xlog1py(x, y), Arg(2, 3),
     Arg(2, 3, lo=-0.8, hi=2))
case("scipy.special.xlog1py", "zero_x", lambda m, x, y: sp(m).xlog1py(x, y),
     np.array([0.0, 0.0, 1.5]), np.array([1.0, -0.5, -0.5]), fd=False)
case("scipy.special.multigammaln", "d3", lambda m, a: sp(m).multigammaln(a, 3),
     Arg(2, 3, lo=1.5, hi=4), strict=_NS)

# ---------------------------------------------------------------- softmax, logsumexp
_NEG_INF = np.array([[0.5, -np.inf, 1.0], [-np.inf, 2.0, -1.0]])
case("scipy.special.logsumexp", "all", lambda m, a: sp(m).logsumexp(a), Arg(2, 3))
case("scipy.special.logsumexp", "axis1_keepdims",
     lambda m, a: sp(m).logsumexp(a, axis=1, keepdims=True), Arg(2, 3))
case("scipy.special.logsumexp", "b_weights_axis0",
     lambda m, a, b: sp(m).logsumexp(a, axis=0, b=b), Arg(2, 3), Arg(3, lo=0.5, hi=2))
case("scipy.special.logsumexp", "return_sign",
     lambda m, a, b: sp(m).logsumexp(a, axis=-1, b=b, return_sign=True)[0] * 1.5,
     Arg(2, 3), Arg(2, 3, lo=0.5, hi=2, signed=True))
case("scipy.special.logsumexp", "neg_inf_entries", lambda m, a: sp(m).logsumexp(a, axis=1),
     _NEG_INF, fd=False)
case("scipy.special.logsumexp", "complex",
     lambda m, a, c: _r(m, sp(m).logsumexp(a + 1j * c, axis=1)), Arg(2, 3), Arg(2, 3, lo=-1, hi=1))
case("scipy.special.softmax", "axis1", lambda m, x: sp(m).softmax(x, axis=1), Arg(2, 3))
case("scipy.special.softmax", "all", lambda m, x: sp(m).softmax(x), Arg(2, 2))
case("scipy.special.log_softmax", "axis0", lambda m, x: sp(m).log_softmax(x, axis=0), Arg(3, 2))
case("scipy.special.log_softmax", "neg_inf", lambda m, x: sp(m).log_softmax(x, axis=1),
     _NEG_INF, fd=False)

# ================================================================ stats
_POS = dict(lo=0.5, hi=2.0)


def _dist(dist, fname, name, fn, *args, **kw):
    case(f"scipy.stats.{dist}.{fname}", name, fn, *args, **kw)


for _f in ("logpdf", "pdf", "cdf", "logcdf", "sf", "logsf"):
    _strict = None if "pdf" in _f else _NS
    _dist("norm", _f, "loc_scale", lambda m, x, l, s, _f=_f: getattr(st(m).norm, _f)(x, l, s),
          Arg(2, 3), Arg(3), Arg(3, **_POS), strict=_strict)
_dist("norm", "logpdf", "standard", lambda m, x: st(m).norm.logpdf(x), Arg(4))
_dist("norm", "ppf", "loc_scale", lambda m, q, l, s: st(m).norm.ppf(q, l, s),
      Arg(2, 3, lo=0.05, hi=0.95), Arg(3), Arg(3, **_POS), strict=_NS)
for _f in ("logpdf", "pdf"):
    _dist("t", _f, "df_loc_scale", lambda m, x, df, l, s, _f=_f: getattr(st(m).t, _f)(x, df, l, s),
          Arg(2, 3), Arg(3, lo=1.0, hi=5.0), Arg(3), Arg(3, **_POS), strict=_NS)
_dist("t", "logpdf", "const_df", lambda m, x: st(m).t.logpdf(x, 3.0), Arg(4))
for _dname in ("cauchy", "logistic", "laplace"):
    for _f in ("logpdf", "pdf", "cdf", "logcdf"):
        if _f == "logcdf" and _dname != "cauchy":
            continue   # JAX has none
        _dist(_dname, _f, "loc_scale",
              lambda m, x, l, s, _f=_f, _d=_dname: getattr(getattr(st(m), _d), _f)(x, l, s),
              Arg(2, 3), Arg(3), Arg(3, **_POS))
_dist("laplace", "cdf", "both_sides", lambda m, x: st(m).laplace.cdf(x, 0.25, 1.5),
      np.array([-30.0, -1.0, 0.5, 1.0, 30.0]))
for _f in ("logpdf", "pdf"):
    _dist("gamma", _f, "a_loc_scale",
          lambda m, x, a, l, s, _f=_f: getattr(st(m).gamma, _f)(x, a, l, s),
          Arg(2, 3, lo=0.5, hi=3), Arg(3, lo=0.5, hi=3), Arg(3, lo=-0.4, hi=0.4), Arg(3, **_POS),
          strict=_NS)
    _dist("beta", _f, "a_b", lambda m, x, a, b, _f=_f: getattr(st(m).beta, _f)(x, a, b),
          Arg(2, 3, lo=0.1, hi=0.9), Arg(3, lo=0.5, hi=3), Arg(3, lo=0.5, hi=3), strict=_NS)
# Outside the support: -inf (density 0), derivative 0.
_dist("gamma", "logpdf", "outside", lambda m, x, a: st(m).gamma.logpdf(x, a),
      np.array([-1.0, 0.5, 2.0]), Arg(3, lo=0.5, hi=3), strict=_NS, fd=False)
# (beta's, where JAX's derivative in a is nan, in test_scipy.py.)
for _f in ("logpmf", "pmf"):
    _dist("poisson", _f, "mu", lambda m, k, mu, _f=_f: getattr(st(m).poisson, _f)(k, mu),
          np.array([[0.0, 1.0, 4.0], [2.0, 3.0, 7.0]]), Arg(2, 3, **_POS), diff=(1,),
          strict=_NS)
_dist("poisson", "logpmf", "outside_loc", lambda m, k, mu: st(m).poisson.logpmf(k, mu, 1.0),
      np.array([0.0, 1.0, 4.0, 3.5]), Arg(4, **_POS), diff=(1,), strict=_NS, fd=False)
_dist("dirichlet", "logpdf", "full", lambda m, x, a: st(m).dirichlet.logpdf(x, a),
      np.array([0.2, 0.3, 0.5]), Arg(3, lo=0.5, hi=3), diff=(1,), strict=_NS)
_dist("dirichlet", "logpdf", "one_fewer_batched", lambda m, x, a: st(m).dirichlet.logpdf(x, a),
      Arg(2, 4, lo=0.05, hi=0.45), Arg(3, lo=0.5, hi=3), strict=_NS)
_dist("dirichlet", "pdf", "full", lambda m, x, a: st(m).dirichlet.pdf(x, a),
      np.array([[0.2, 0.6], [0.3, 0.1], [0.5, 0.3]]), Arg(3, lo=0.5, hi=3), diff=(1,),
      strict=_NS)


def _spd(m, a):
    """A symmetric positive-definite matrix from a square one: a a^T + I."""
    return a @ m.swapaxes(a, -1, -2) + m.eye(a.shape[-1], dtype=a.dtype)


_dist("multivariate_normal", "logpdf", "x_mean_cov",
      lambda m, x, mu, a: st(m).multivariate_normal.logpdf(x, mu, _spd(m, a)),
      Arg(2, 3), Arg(3), Arg(3, 3), strict=_NS, dask="dask.array.linalg factors one chunk only")
_dist("multivariate_normal", "pdf", "x_mean_cov",
      lambda m, x, mu, a: st(m).multivariate_normal.pdf(x, mu, _spd(m, a)),
      Arg(3), Arg(3), Arg(3, 3), strict=_NS, dask="dask.array.linalg factors one chunk only")
