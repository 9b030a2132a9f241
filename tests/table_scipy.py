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
