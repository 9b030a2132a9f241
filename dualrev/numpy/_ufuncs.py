"""NumPy's remaining elementwise math, differentiable: inverse trigonometric and
hyperbolic functions, logarithms and exponentials of other bases, ``sinc``, ``i0``,
``hypot``, ``logaddexp``, ``copysign``, ``fmax``/``fmin``, ``clip``, ``nan_to_num``,
the tuple-valued ``frexp``, ``modf`` and ``divmod``, and the rounding and
floating-point functions whose derivative is zero.

Each differentiable function is a primitive (NumPy's ufunc as its implementation, its
rules written with dualrev.numpy so that every order works) or an exact composition
of primitives (``clip``, ``float_power``, ``divmod``).  Complex arguments follow JAX's
convention wherever NumPy accepts them.
"""
import math

import numpy as np

from .. import backend
from ..core import Primitive, Tracer, bind, broadcasting, strip
from ._dispatch import CONVERSION_ERRORS, binary, composite, nondiff, plain, traced_array, unary
from ._elementwise import (add, astype, exp, imag, isfinite, isinf, isnan, maximum, minimum,
                           negative, power, real, remainder, sqrt, trunc, where, zeros_like)

pow = power     # NumPy 2's array-API name

__all__ = ["arcsin", "arccos", "arctan", "arcsinh", "arccosh", "arctanh", "asin", "acos",
           "atan", "asinh", "acosh", "atanh", "arctan2", "atan2", "log1p", "expm1", "log2",
           "log10", "exp2", "cbrt", "reciprocal", "sinc", "i0", "deg2rad", "rad2deg",
           "degrees", "radians", "positive", "fabs", "hypot", "logaddexp", "logaddexp2",
           "copysign", "fmax", "fmin", "ldexp", "float_power", "clip", "nan_to_num", "frexp",
           "modf", "divmod", "floor_divide", "rint", "fix", "around", "heaviside", "signbit",
           "spacing", "nextafter", "pow"]

_LN2, _LN10 = math.log(2.0), math.log(10.0)


def _is_complex(x):
    return backend.is_complex(strip(x))


def _xp_named(name, fallback=None):
    """On another library's arrays: its function ``name`` where it has one (Dask's
    namespace has NumPy's), else ``fallback(xp, *args)`` from the standard's functions."""
    def impl(xp, *args, **params):
        fn = getattr(xp, name, None)
        if fn is not None:
            return fn(*args, **params)
        if fallback is None:
            raise NotImplementedError(
                f"numpy.{name} on arrays of {xp.__name__}: the library has no {name} and "
                f"the array API standard has no equivalent")
        return fallback(xp, *args, **params)
    return impl


def _unary_p(name, impl, jvp, vjp, xp=None):
    return Primitive(name, impl, jvp=(jvp,), vjp=(vjp,), elementwise=True, xp=xp)


def _binary_p(name, impl, jvp, vjp, xp=None):
    return Primitive(name, impl, jvp=jvp, vjp=vjp, batch=broadcasting, xp=xp)


# ---------------------------------------------------------------- inverse trigonometric, hyperbolic
# Holomorphic on complex values (g * f'(z), no conjugate); (1 - x)(1 + x) rather than
# 1 - x^2 keeps the digits near +-1.  arccosh' = 1 / (sqrt(z - 1) sqrt(z + 1)), not
# 1 / sqrt(z^2 - 1): the latter has the wrong sign on complex values with Re z < 0.

arcsin_p = _unary_p("arcsin", np.arcsin,
    jvp=lambda x_dot, ans, x: x_dot / sqrt((1 - x) * (1 + x)),
    vjp=lambda g, ans, x: g / sqrt((1 - x) * (1 + x)))
arccos_p = _unary_p("arccos", np.arccos,
    jvp=lambda x_dot, ans, x: negative(x_dot / sqrt((1 - x) * (1 + x))),
    vjp=lambda g, ans, x: negative(g / sqrt((1 - x) * (1 + x))))
arctan_p = _unary_p("arctan", np.arctan,
    jvp=lambda x_dot, ans, x: x_dot / (1 + x * x),
    vjp=lambda g, ans, x: g / (1 + x * x))
arcsinh_p = _unary_p("arcsinh", np.arcsinh,
    jvp=lambda x_dot, ans, x: x_dot / sqrt(1 + x * x),
    vjp=lambda g, ans, x: g / sqrt(1 + x * x))
arccosh_p = _unary_p("arccosh", np.arccosh,
    jvp=lambda x_dot, ans, x: x_dot / (sqrt(x - 1) * sqrt(x + 1)),
    vjp=lambda g, ans, x: g / (sqrt(x - 1) * sqrt(x + 1)))
arctanh_p = _unary_p("arctanh", np.arctanh,
    jvp=lambda x_dot, ans, x: x_dot / ((1 - x) * (1 + x)),
    vjp=lambda g, ans, x: g / ((1 - x) * (1 + x)))

arcsin = asin = unary(arcsin_p, doc="""Differentiable ``numpy.arcsin`` (``asin``);
arcsin'(+-1) = inf, as JAX.  Complex values: holomorphic, NumPy's branch cuts.

    >>> dualrev.grad(dnp.arcsin)(0.0)          # 1.0""")
arccos = acos = unary(arccos_p, doc="""Differentiable ``numpy.arccos`` (``acos``);
arccos'(+-1) = -inf, as JAX.

    >>> dualrev.grad(dnp.arccos)(0.0)          # -1.0""")
arctan = atan = unary(arctan_p, doc="""Differentiable ``numpy.arctan`` (``atan``).

    >>> dualrev.grad(dnp.arctan)(1.0)          # 0.5""")
arcsinh = asinh = unary(arcsinh_p, doc="""Differentiable ``numpy.arcsinh`` (``asinh``).

    >>> dualrev.grad(dnp.arcsinh)(0.0)         # 1.0""")
arccosh = acosh = unary(arccosh_p, doc="""Differentiable ``numpy.arccosh`` (``acosh``);
arccosh'(1) = inf, as JAX.  On complex values with a negative real part the derivative
is that of NumPy's branch, 1 / (sqrt(z - 1) sqrt(z + 1)) (JAX's has the opposite sign
there).

    >>> dualrev.grad(dnp.arccosh)(2.0)         # 0.5773502691896258""")
arctanh = atanh = unary(arctanh_p, doc="""Differentiable ``numpy.arctanh`` (``atanh``);
arctanh'(+-1) = inf, as JAX.

    >>> dualrev.grad(dnp.arctanh)(0.5)         # 1.3333333333333333""")


def _arctan2_den(y, x):
    return x * x + y * y


arctan2_p = _binary_p(
    "arctan2", np.arctan2,
    jvp=(lambda y_dot, ans, y, x: y_dot * x / _arctan2_den(y, x),
         lambda x_dot, ans, y, x: negative(x_dot * y) / _arctan2_den(y, x)),
    vjp=(lambda g, ans, y, x: g * x / _arctan2_den(y, x),
         lambda g, ans, y, x: negative(g * y) / _arctan2_den(y, x)))
arctan2 = atan2 = binary(arctan2_p, doc="""Differentiable ``numpy.arctan2(y, x)`` (``atan2``):
d/dy = x / (x^2 + y^2), d/dx = -y / (x^2 + y^2); nan at (0, 0), as JAX.

    >>> dualrev.grad(dnp.arctan2, (0, 1))(1.0, 1.0)     # (0.5, -0.5)""")


# ---------------------------------------------------------------- logarithms, exponentials

log1p_p = _unary_p("log1p", np.log1p,
    jvp=lambda x_dot, ans, x: x_dot / (1 + x),
    vjp=lambda g, ans, x: g / (1 + x))
expm1_p = _unary_p("expm1", np.expm1,
    jvp=lambda x_dot, ans, x: x_dot * (ans + 1),
    vjp=lambda g, ans, x: g * (ans + 1))
log2_p = _unary_p("log2", np.log2,
    jvp=lambda x_dot, ans, x: x_dot / (x * _LN2),
    vjp=lambda g, ans, x: g / (x * _LN2))
log10_p = _unary_p("log10", np.log10,
    jvp=lambda x_dot, ans, x: x_dot / (x * _LN10),
    vjp=lambda g, ans, x: g / (x * _LN10))
exp2_p = _unary_p("exp2", np.exp2,
    jvp=lambda x_dot, ans, x: x_dot * (ans * _LN2),
    vjp=lambda g, ans, x: g * (ans * _LN2),
    xp=_xp_named("exp2", lambda xp, x: 2.0 ** x))
cbrt_p = _unary_p("cbrt", np.cbrt,
    jvp=lambda x_dot, ans, x: x_dot / (3 * (ans * ans)),
    vjp=lambda g, ans, x: g / (3 * (ans * ans)),
    xp=_xp_named("cbrt", lambda xp, x: xp.sign(x) * xp.abs(x) ** (1 / 3)))
reciprocal_p = _unary_p("reciprocal", np.reciprocal,
    jvp=lambda x_dot, ans, x: negative(x_dot * (ans * ans)),
    vjp=lambda g, ans, x: negative(g * (ans * ans)))

log1p = unary(log1p_p, doc="""Differentiable ``numpy.log1p``: log(1 + x), 1 / (1 + x).

    >>> dualrev.grad(dnp.log1p)(1.0)           # 0.5""")
expm1 = unary(expm1_p, doc="""Differentiable ``numpy.expm1``: exp(x) - 1, exp(x).

    >>> dualrev.grad(dnp.expm1)(0.0)           # 1.0""")
log2 = unary(log2_p, doc="""Differentiable ``numpy.log2``: 1 / (x ln 2).

    >>> dualrev.grad(dnp.log2)(1.0)            # 1.4426950408889634""")
log10 = unary(log10_p, doc="""Differentiable ``numpy.log10``: 1 / (x ln 10).

    >>> dualrev.grad(dnp.log10)(1.0)           # 0.4342944819032518""")
exp2 = unary(exp2_p, doc="""Differentiable ``numpy.exp2``: 2^x ln 2.

    >>> dualrev.grad(dnp.exp2)(1.0)            # 1.3862943611198906""")
cbrt = unary(cbrt_p, doc="""Differentiable ``numpy.cbrt`` (real values, as NumPy):
1 / (3 cbrt(x)^2); inf at 0, as JAX.

    >>> dualrev.grad(dnp.cbrt)(8.0)            # 0.08333333333333333""")
reciprocal = unary(reciprocal_p, doc="""Differentiable ``numpy.reciprocal``: -1 / x^2.

    >>> dualrev.grad(dnp.reciprocal)(2.0)      # -0.25""")


# ---------------------------------------------------------------- angles, signs

_DEG = math.pi / 180.0
deg2rad_p = _unary_p("deg2rad", np.deg2rad,
    jvp=lambda x_dot, ans, x: x_dot * _DEG,
    vjp=lambda g, ans, x: g * _DEG,
    xp=_xp_named("deg2rad", lambda xp, x: x * _DEG))
rad2deg_p = _unary_p("rad2deg", np.rad2deg,
    jvp=lambda x_dot, ans, x: x_dot * (180.0 / math.pi),
    vjp=lambda g, ans, x: g * (180.0 / math.pi),
    xp=_xp_named("rad2deg", lambda xp, x: x * (180.0 / math.pi)))
positive_p = _unary_p("positive", np.positive,
    jvp=lambda x_dot, ans, x: x_dot,
    vjp=lambda g, ans, x: g)
# fabs'(0) = 1 (also at -0), as JAX's abs.
fabs_p = _unary_p("fabs", np.fabs,
    jvp=lambda x_dot, ans, x: where(strip(x) >= 0, x_dot, negative(x_dot)),
    vjp=lambda g, ans, x: where(strip(x) >= 0, g, negative(g)),
    xp=_xp_named("fabs", lambda xp, x: xp.abs(x)))

deg2rad = radians = unary(deg2rad_p, doc="""Differentiable ``numpy.deg2rad``
(``radians``): x pi / 180.

    >>> dnp.deg2rad(180.0)                     # 3.141592653589793""")
rad2deg = degrees = unary(rad2deg_p, doc="""Differentiable ``numpy.rad2deg``
(``degrees``): x 180 / pi.

    >>> dnp.rad2deg(np.pi)                     # 180.0""")
positive = unary(positive_p, doc="""Differentiable ``numpy.positive`` (+x).

    >>> dualrev.grad(dnp.positive)(3.0)        # 1.0""")
fabs = unary(fabs_p, doc="""Differentiable ``numpy.fabs`` (real values, as NumPy);
fabs'(0) = 1, as JAX.

    >>> dualrev.grad(dnp.fabs)(-2.0)           # -1.0""")


# ---------------------------------------------------------------- sinc
# sinc(x) = s(pi x), s(u) = sin(u) / u.  The k-th derivative of s: for |u| < 2 its
# Maclaurin series, s^(k)(u) = sum_{2j >= k} (-1)^j u^(2j-k) / ((2j-k)! (2j+1));
# elsewhere the recurrence from differentiating u s(u) = sin(u) k times,
# u s^(k) + k s^(k-1) = sin(u + k pi / 2).  Each derivative is a primitive whose
# derivative is the next one: every order is finite and accurate at and near 0.

def _sinc_d(xp, x, k):
    """The k-th derivative of sinc at x, computed with the namespace xp."""
    u = x * math.pi
    small = xp.abs(u) < 2.0
    us = xp.where(small, u, 0.0)
    j0 = (k + 1) // 2
    series = 0.0
    for j in range(j0 + 18, j0 - 1, -1):
        m = 2 * j - k
        series = series + (-1.0) ** j / (math.factorial(m) * (2 * j + 1)) * us ** m
    ub = xp.where(small, 1.0, u)
    s, c = xp.sin(ub), xp.cos(ub)
    shifted = (s, c, -s, -c)
    d = s / ub
    for i in range(1, k + 1):
        d = (shifted[i % 4] - i * d) / ub
    return xp.where(small, series, d) * math.pi ** k


def _sinc_d_np(x, *, k):
    return np.asarray(_sinc_d(np, np.asarray(x), k))[()]


def _sinc_d_xp(xp, x, *, k):
    return _sinc_d(xp, x, k)


def _sinc_next(x, k):
    return bind(_sinc_d_p, (x,), dict(k=k))


_sinc_d_p = Primitive(
    "sinc_derivative", _sinc_d_np,
    jvp=(lambda x_dot, ans, x, *, k: x_dot * _sinc_next(x, k + 1),),
    vjp=(lambda g, ans, x, *, k: g * _sinc_next(x, k + 1),),
    elementwise=True, xp=_sinc_d_xp, register=False)


def _xp_sinc(xp, x):
    u = x * math.pi
    zero = u == 0
    safe = xp.where(zero, 1.0, u)
    return xp.where(zero, 1.0, xp.sin(safe) / safe)


sinc_p = _unary_p("sinc", np.sinc,
    jvp=lambda x_dot, ans, x: x_dot * _sinc_next(x, 1),
    vjp=lambda g, ans, x: g * _sinc_next(x, 1),
    xp=_xp_named("sinc", _xp_sinc))
sinc = unary(sinc_p, doc="""Differentiable ``numpy.sinc``: sin(pi x) / (pi x).  Every
derivative is finite and accurate at and near 0 (sinc'(0) = 0, sinc''(0) = -pi^2 / 3, as
JAX; JAX's lose their digits close to 0).  Complex values: holomorphic.

    >>> dualrev.grad(dualrev.grad(dnp.sinc))(0.0)      # -3.289868133696453""")


# ---------------------------------------------------------------- i0
# NumPy has i0 but no other Bessel function.  I_n for n >= 1 comes from Poisson's
# integral, I_n(x) = (x/2)^n / (sqrt(pi) Gamma(n + 1/2)) int_0^pi exp(x cos t) sin^2n(t) dt:
# the integrand is positive (no cancellation: accurate relative to I_n for every x,
# also near 0) and smooth and periodic, so the trapezoid rule converges faster than
# any power of the step; its error is ~ I_(2M-2n)(x) / I_0(x) for M intervals, below
# 1e-17 when M > n + 4.5 sqrt(|x|) + 10.  I_n' = (I_(n-1) + I_(n+1)) / 2.

def _poisson_nodes(n, m):
    t = np.linspace(0.0, np.pi, m + 1)
    w = np.full(m + 1, np.pi / m)
    w[0] = w[-1] = np.pi / (2 * m)
    return np.cos(t) - 1.0, w * np.sin(t) ** (2 * n) / (math.sqrt(math.pi) * math.gamma(n + 0.5))


def _float_dtype(x):
    dt = np.result_type(x)
    return dt if dt.kind == "f" else np.dtype(np.float64)


def _bessel_i_np(x, *, n):
    """I_n(x) by the trapezoid rule on Poisson's integral, in x's floating dtype."""
    dt = _float_dtype(x)
    x = np.asarray(x, np.float64)
    a = np.abs(x)
    top = np.max(a, initial=0.0, where=np.isfinite(a))
    c, w = _poisson_nodes(n, n + 12 + int(4.5 * math.sqrt(min(top, 1e4))))
    with np.errstate(over="ignore", invalid="ignore"):
        s = np.exp(a[..., None] * c) @ w
        half = np.exp(a / 2)
        out = np.where(np.isinf(a), np.sign(x) ** n * np.inf, half * s * half * (x / 2) ** n)
    return out.astype(dt, copy=False)[()]


def _bessel_i_xp(xp, x, *, n):
    """I_n(x) in the namespace xp (nodes for |x| up to the overflow of I_n, ~713)."""
    c, w = _poisson_nodes(n, n + 130)
    c, w = backend.asarray(c, x, x.dtype), backend.asarray(w, x, x.dtype)
    a = xp.abs(x)
    s = xp.sum(xp.exp(xp.expand_dims(a, axis=-1) * c) * w, axis=-1)
    half = xp.exp(a / 2)
    return half * s * half * (x / 2) ** n


def _bessel_i(x, n):
    return i0(x) if n == 0 else bind(_bessel_i_p, (x,), dict(n=n))


_bessel_i_p = Primitive(
    "bessel_i", _bessel_i_np,
    jvp=(lambda x_dot, ans, x, *, n: x_dot * ((_bessel_i(x, n - 1) + _bessel_i(x, n + 1)) / 2),),
    vjp=(lambda g, ans, x, *, n: g * ((_bessel_i(x, n - 1) + _bessel_i(x, n + 1)) / 2),),
    elementwise=True, xp=_bessel_i_xp, register=False)

i0_p = _unary_p("i0", np.i0,
    jvp=lambda x_dot, ans, x: x_dot * _bessel_i(x, 1),
    vjp=lambda g, ans, x: g * _bessel_i(x, 1),
    xp=_xp_named("i0", lambda xp, x: _bessel_i_xp(xp, x, n=0)))
i0 = unary(i0_p, doc="""Differentiable ``numpy.i0`` (real values, as NumPy), the modified
Bessel function of the first kind of order 0: i0' = I_1, i0'' = (I_0 + I_2) / 2 ...,
computed with NumPy alone (the trapezoid rule on Poisson's integral).  Every order is
right at 0: i0''(0) = 1/2, where JAX gives 0.

    >>> dualrev.grad(dnp.i0)(1.0)              # 0.5651591039924851""")


# ---------------------------------------------------------------- hypot, logaddexp

def _hypot_d(x, ans):
    """x / hypot; 0.5 where both arguments are 0, as JAX."""
    zero = strip(ans) == 0
    return where(zero, 0.5, x / where(zero, 1.0, ans))


hypot_p = _binary_p(
    "hypot", np.hypot,
    jvp=(lambda x_dot, ans, x, y: x_dot * _hypot_d(x, ans),
         lambda y_dot, ans, x, y: y_dot * _hypot_d(y, ans)),
    vjp=(lambda g, ans, x, y: g * _hypot_d(x, ans),
         lambda g, ans, x, y: g * _hypot_d(y, ans)))
hypot = binary(hypot_p, doc="""Differentiable ``numpy.hypot``: d/dx = x / hypot(x, y);
(0.5, 0.5) at (0, 0), as JAX.

    >>> dualrev.grad(dnp.hypot, (0, 1))(3.0, 4.0)       # (0.6, 0.8)""")


def _share(x, y, ans, expb):
    """d logaddexp(x, y) / dx = b^(x - ans) (expb: exp or exp2).  Where x = ans = +-inf
    that is nan: there it is 1 (x = inf > y) or 0.5 (x = y = +-inf: the two shares of an
    invariant sum, d/dx + d/dy = 1)."""
    xs, a = strip(x), strip(ans)
    edge = isinf(xs) & (xs == a)
    limit = astype(where(xs == strip(y), 0.5, 1.0), backend.dtype(a))
    return where(edge, limit, expb(where(edge, 0.0, x) - where(edge, 0.0, ans)))


def _logaddexp_p(name, impl, expb, xp=None):
    return _binary_p(
        name, impl,
        jvp=(lambda x_dot, ans, x, y: x_dot * _share(x, y, ans, expb),
             lambda y_dot, ans, x, y: y_dot * _share(y, x, ans, expb)),
        vjp=(lambda g, ans, x, y: g * _share(x, y, ans, expb),
             lambda g, ans, x, y: g * _share(y, x, ans, expb)),
        xp=xp)


logaddexp_p = _logaddexp_p("logaddexp", np.logaddexp, exp)
logaddexp2_p = _logaddexp_p("logaddexp2", np.logaddexp2, lambda v: exp2(v), xp=_xp_named(
    "logaddexp2", lambda xp, x, y: xp.logaddexp(x * _LN2, y * _LN2) / _LN2))
logaddexp = binary(logaddexp_p, doc="""Differentiable ``numpy.logaddexp``: log(e^x + e^y),
d/dx = e^(x - logaddexp(x, y)).  At infinite arguments the derivatives are the limits
(JAX's are nan at (-inf, -inf) and 1 + e^y at (inf, y)): d/dx = 1 at (inf, y < inf), 0.5
at (inf, inf) and (-inf, -inf).

    >>> dualrev.grad(dnp.logaddexp, (0, 1))(0.0, 0.0)   # (0.5, 0.5)""")
logaddexp2 = binary(logaddexp2_p, doc="""Differentiable ``numpy.logaddexp2``:
log2(2^x + 2^y), d/dx = 2^(x - logaddexp2(x, y)); at infinite arguments as
``logaddexp``.

    >>> dualrev.grad(dnp.logaddexp2, (0, 1))(1.0, 1.0)  # (0.5, 0.5)""")


# ---------------------------------------------------------------- copysign, fmax, fmin, ldexp

def _zero(t):
    return zeros_like(strip(t))


def _copysign_flip(x, y):
    """Where copysign(x, y) = -x: sign(x) sign(y) = -1, with sign(+-0) = +1 for x (as
    JAX's abs) and the sign bit of y."""
    return (strip(x) >= 0) == signbit(strip(y))


copysign_p = _binary_p(
    "copysign", np.copysign,
    jvp=(lambda x_dot, ans, x, y: where(_copysign_flip(x, y), negative(x_dot), x_dot),
         lambda y_dot, ans, x, y: _zero(y_dot)),
    vjp=(lambda g, ans, x, y: where(_copysign_flip(x, y), negative(g), g),
         lambda g, ans, x, y: _zero(g)))
copysign = binary(copysign_p, doc="""Differentiable ``numpy.copysign``: d/dx = sign(x)
sign(y) (+1 for x = +-0, y's sign bit), d/dy = 0, as JAX.

    >>> dualrev.grad(dnp.copysign)(2.0, -1.0)  # -1.0""")


def _fmax_takes_x(x, y):
    xs, ys = strip(x), strip(y)
    return (xs > ys) | isnan(ys)


def _fmin_takes_x(x, y):
    xs, ys = strip(x), strip(y)
    return (xs < ys) | isnan(ys)


def _fminmax_p(name, impl, takes_x):
    return _binary_p(
        name, impl,
        jvp=(lambda x_dot, ans, x, y: where(takes_x(x, y), x_dot, 0.0),
             lambda y_dot, ans, x, y: where(takes_x(x, y), 0.0, y_dot)),
        vjp=(lambda g, ans, x, y: where(takes_x(x, y), g, 0.0),
             lambda g, ans, x, y: where(takes_x(x, y), 0.0, g)),
        xp=_xp_named(name, lambda xp, x, y: xp.where(takes_x(x, y), x, y)))


fmax_p = _fminmax_p("fmax", np.fmax, _fmax_takes_x)
fmin_p = _fminmax_p("fmin", np.fmin, _fmin_takes_x)
fmax = binary(fmax_p, doc="""Differentiable ``numpy.fmax`` (the larger value, ignoring
NaN): the derivative goes to x where x > y or y is NaN, else to y (ties and two NaNs:
to y and x respectively, as JAX).

    >>> dualrev.grad(dnp.fmax, (0, 1))(np.nan, 1.0)     # (0.0, 1.0)""")
fmin = binary(fmin_p, doc="""Differentiable ``numpy.fmin`` (the smaller value, ignoring
NaN): the derivative goes to x where x < y or y is NaN, else to y, as JAX.

    >>> dualrev.grad(dnp.fmin, (0, 1))(1.0, np.nan)     # (1.0, 0.0)""")

ldexp_p = _binary_p(
    "ldexp", np.ldexp,
    jvp=(lambda x_dot, ans, x, i: ldexp(x_dot, i), None),
    vjp=(lambda g, ans, x, i: ldexp(g, i), None),
    xp=_xp_named("ldexp"))
ldexp = binary(ldexp_p, doc="""Differentiable ``numpy.ldexp(x, i)`` = x 2^i, in the
mantissa x (the integer exponent i has no derivative, as JAX).

    >>> dualrev.grad(dnp.ldexp)(1.5, 3)        # 8.0""")


# ---------------------------------------------------------------- frexp, modf

def _frexp_scale(x, ans):
    """d mantissa / dx = 2^-e, the constant mantissa / x (1 at 0, inf and nan: e = 0)."""
    xs = strip(x)
    regular = isfinite(xs) & (xs != 0)
    return where(regular, strip(ans) / where(regular, xs, 1.0), 1.0)


def _xp_frexp(xp, x, part):
    fn = getattr(xp, "frexp", None)
    if fn is None:
        raise NotImplementedError(f"numpy.frexp on arrays of {xp.__name__}: the array API "
                                  f"standard has no frexp")
    return fn(x)[part]


frexp_p = _unary_p("frexp", lambda x: np.frexp(x)[0],
    jvp=lambda x_dot, ans, x: x_dot * _frexp_scale(x, ans),
    vjp=lambda g, ans, x: g * _frexp_scale(x, ans),
    xp=lambda xp, x: _xp_frexp(xp, x, 0))
# The integer exponent: applied to values without derivatives only (batched by vmap,
# or another library's).
_exponent_p = Primitive("frexp_exponent", lambda x: np.frexp(x)[1], jvp=None, vjp=None,
                        batch=broadcasting, xp=lambda xp, x: _xp_frexp(xp, x, 1),
                        register=False)


def frexp(x):
    """Differentiable ``numpy.frexp``: (mantissa, exponent) with x = mantissa 2^exponent;
    the mantissa's derivative is 2^-exponent, the exponent (integers) a constant, as JAX.

        >>> dualrev.grad(lambda x: dnp.frexp(x)[0])(6.0)      # 0.125"""
    if x.__class__ is np.ndarray:
        return np.frexp(x)
    if plain(x):
        try:
            return np.frexp(x)
        except CONVERSION_ERRORS:
            x = traced_array(x)
    return bind(frexp_p, (x,)), bind(_exponent_p, (strip(x),))


def _xp_modf(xp, x):
    fn = getattr(xp, "modf", None)
    if fn is not None:
        return fn(x)[0]
    return xp.where(xp.isinf(x), xp.zeros_like(x) * xp.sign(x), x - xp.trunc(x))


modf_p = _unary_p("modf", lambda x: np.modf(x)[0],
    jvp=lambda x_dot, ans, x: x_dot,
    vjp=lambda g, ans, x: g,
    xp=_xp_modf)


def modf(x):
    """Differentiable ``numpy.modf``: (fractional part, integral part), both with x's
    sign; the fractional part's derivative is 1 and the integral part a constant, as JAX.

        >>> dualrev.grad(lambda x: dnp.modf(x)[0])(-2.5)      # 1.0"""
    if x.__class__ is np.ndarray:
        return np.modf(x)
    if plain(x):
        try:
            return np.modf(x)
        except CONVERSION_ERRORS:
            x = traced_array(x)
    return bind(modf_p, (x,)), trunc(x)


# ---------------------------------------------------------------- compositions

def _dtype(v):
    return v if type(v) in (bool, int, float, complex) else backend.dtype(strip(v))


@composite(np.float_power)
def float_power(x1, x2):
    """Differentiable ``numpy.float_power``: ``power`` in float64 (complex128 for complex
    arguments), whatever the arguments' precision, as NumPy.

        >>> dualrev.grad(dnp.float_power)(np.float32(2.0), 3.0)   # 12.0 (float64)"""
    dt = np.result_type(_dtype(x1), _dtype(x2), np.float64)
    x1, x2 = (v if type(v) in (bool, int, float, complex) else astype(v, dt) for v in (x1, x2))
    return power(x1, x2)


_NO_VALUE = np._NoValue


@composite(np.clip)
def clip(a, a_min=_NO_VALUE, a_max=_NO_VALUE, out=None, *, min=_NO_VALUE, max=_NO_VALUE,
         **kwargs):
    """Differentiable ``numpy.clip``: ``minimum(maximum(a, a_min), a_max)``, so every
    argument may be traced or None, and a value at a bound shares its derivative with
    the bound 0.5/0.5, as JAX (0.25/0.25/0.5 where a = a_min = a_max).

        >>> dualrev.grad(lambda x: dnp.clip(x, 0.0, 1.0))(2.0)    # 0.0"""
    if out is not None:
        raise TypeError("clip: out= cannot hold a traced value (traced arrays are "
                        "immutable); use the returned array")
    if kwargs:
        raise TypeError(f"clip: unexpected keyword arguments {sorted(kwargs)} with traced "
                        f"values")
    if min is not _NO_VALUE or max is not _NO_VALUE:
        if a_min is not _NO_VALUE or a_max is not _NO_VALUE:
            raise ValueError("clip: passing `min` or `max` keyword argument when `a_min` "
                             "and `a_max` are provided is forbidden")
        a_min, a_max = min, max
    lo = None if a_min is _NO_VALUE else a_min
    hi = None if a_max is _NO_VALUE else a_max
    if lo is not None:
        a = maximum(a, lo)
    if hi is not None:
        a = minimum(a, hi)
    return a


@composite(np.divmod)
def divmod(x1, x2):
    """Differentiable ``numpy.divmod``: (floor_divide(x1, x2), remainder(x1, x2)); the
    quotient is a constant, the remainder differentiable as ``remainder``.

        >>> dualrev.grad(lambda x: dnp.divmod(x, 2.0)[1])(5.5)   # 1.0"""
    return floor_divide(x1, x2), remainder(x1, x2)


# ---------------------------------------------------------------- nan_to_num

def _finite_parts(t, x):
    """t where x is finite, 0 elsewhere (complex x: each part by its own part of x)."""
    xs = strip(x)
    if not backend.is_complex(xs):
        return where(isfinite(xs), t, 0.0)
    return add(where(isfinite(real(xs)), real(t), 0.0),
               where(isfinite(imag(xs)), imag(t), 0.0) * 1j)


def _xp_nan_to_num(xp, x, *, nan, posinf, neginf):
    fn = getattr(xp, "nan_to_num", None)
    if fn is not None and (nan, posinf, neginf) == (0.0, None, None):
        return fn(x)
    if backend.is_complex(x):
        re = _xp_nan_to_num(xp, xp.real(x), nan=nan, posinf=posinf, neginf=neginf)
        im = _xp_nan_to_num(xp, xp.imag(x), nan=nan, posinf=posinf, neginf=neginf)
        return xp.astype(re, x.dtype) + xp.astype(im, x.dtype) * 1j
    dt = backend.as_dtype(x.dtype)
    big = (np.finfo(dt) if isinstance(dt, np.dtype) else xp.finfo(dt)).max
    x = xp.where(xp.isnan(x), nan, x)
    x = xp.where(x == math.inf, big if posinf is None else posinf, x)
    return xp.where(x == -math.inf, -big if neginf is None else neginf, x)


nan_to_num_p = Primitive(
    "nan_to_num", lambda x, *, nan, posinf, neginf: np.nan_to_num(
        x, nan=nan, posinf=posinf, neginf=neginf),
    jvp=(lambda x_dot, ans, x, **params: _finite_parts(x_dot, x),),
    vjp=(lambda g, ans, x, **params: _finite_parts(g, x),),
    elementwise=True, xp=_xp_nan_to_num)


def nan_to_num(x, copy=True, nan=0.0, posinf=None, neginf=None):
    """Differentiable ``numpy.nan_to_num``: NaN and infinities replaced by finite numbers
    (each part of a complex value on its own); derivative 1 where x is finite, 0 where a
    value was replaced, as JAX.

        >>> dualrev.grad(lambda x: dnp.sum(dnp.nan_to_num(x)))(np.array([1.0, np.inf]))  # [1, 0]"""
    if plain(x):
        try:
            return np.nan_to_num(x, copy=copy, nan=nan, posinf=posinf, neginf=neginf)
        except CONVERSION_ERRORS:
            x = traced_array(x)
    return bind(nan_to_num_p, (x,), dict(nan=nan, posinf=posinf, neginf=neginf))


# ---------------------------------------------------------------- zero derivatives

_ZERO_DOC = """``numpy.{0}`` on the primal values; its derivative is 0 everywhere (its
result is a constant to every transformation, also under vmap), as JAX.

    >>> dualrev.grad(lambda x: dnp.{0}({1}) * x)(2.5)     # {0}({1}) at 2.5
"""


def _zero_derivative(np_fn, example):
    fn = nondiff(np_fn)
    fn.__doc__ = _ZERO_DOC.format(np_fn.__name__, example)
    return fn


floor_divide = _zero_derivative(np.floor_divide, "x, 2.0")
rint = _zero_derivative(np.rint, "x")
fix = _zero_derivative(np.fix, "x")
around = _zero_derivative(np.around, "x")
heaviside = _zero_derivative(np.heaviside, "x, 0.5")
signbit = _zero_derivative(np.signbit, "x")
spacing = _zero_derivative(np.spacing, "x")
nextafter = _zero_derivative(np.nextafter, "x, 0.0")


# ---------------------------------------------------------------- methods of traced values

def _clip_method(self, min=None, max=None, out=None, **kwargs):
    return clip(self, min, max, out, **kwargs)


def _round_method(self, decimals=0, out=None):
    if out is not None:
        raise TypeError("round: out= cannot hold a traced value (traced arrays are immutable)")
    return around(self, decimals)


METHODS = {"clip": _clip_method, "round": _round_method}
