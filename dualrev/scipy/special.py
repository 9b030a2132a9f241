"""dualrev.scipy.special: SciPy's special functions, differentiable.

Each function is a dualrev primitive (``registry["scipy.special.erf"]`` ...) whose
derivative is written in closed form with other primitives (erf' = 2/sqrt(pi)
exp(-x**2), gammaln' = digamma, digamma' = polygamma(1, .), i0' = i1 ...), so that
derivatives of every order work.  Names, signatures and values follow
``scipy.special`` and ``jax.scipy.special``.

SciPy is optional.  Where it is installed it computes the values; without it NumPy
implementations stand in (``math.erf`` and ``math.lgamma`` elementwise, recurrences,
asymptotic expansions, Newton's method), and the modified Bessel functions other than
i0, which have none, raise an ImportError that names SciPy.  Real arguments only, as
JAX, except ``logsumexp``, which takes complex ones as SciPy does.
"""
import math

import numpy as np

from .. import backend
from .. import numpy as dnp
from ..core import Primitive, Tracer, bind, broadcasting, strip
from ..numpy._dispatch import array_of, binary, composite, plain, unary
from ..numpy._shape import _normalize_axes

try:
    import scipy.special as _scipy
except ImportError:   # pragma: no cover - exercised by monkeypatching _scipy to None
    _scipy = None

__all__ = ["logsumexp", "softmax", "log_softmax", "expit", "logit", "erf", "erfc", "erfinv",
           "erfcx", "gammaln", "gamma", "digamma", "polygamma", "betaln", "xlogy", "xlog1py",
           "entr", "ndtr", "ndtri", "log_ndtr", "i0", "i0e", "i1", "i1e", "multigammaln"]

_SQRT_PI = math.sqrt(math.pi)
_SQRT_2PI = math.sqrt(2 * math.pi)
_LOG_SQRT_2PI = 0.5 * math.log(2 * math.pi)


# ============================================================================ implementations

def _float_dtype(x):
    """The floating dtype a function of x computes in: x's (float32 stays float32),
    float64 for integers and booleans."""
    return np.result_type(np.asarray(x).dtype, 1.0)


def _out(values, dtype):
    """values (float64) in dtype, a 0-d result as a NumPy scalar (as a ufunc's)."""
    out = np.asarray(values).astype(dtype, copy=False)
    return out[()] if out.ndim == 0 else out


def _impl(name, fallback=None):
    """The NumPy implementation of scipy.special.<name>: SciPy's where it is installed,
    else ``fallback`` (or an ImportError naming SciPy where there is none)."""
    sc = getattr(_scipy, name, None)

    def impl(*args):
        if _scipy is not None:
            return sc(*args)
        if fallback is None:
            raise ImportError(f"scipy.special.{name} needs SciPy (pip install scipy), which is "
                              f"not installed; dualrev has no NumPy implementation of it")
        return fallback(*args)
    impl.__name__ = impl.__qualname__ = name
    return impl


def _weak(name, fallback):
    """``_impl`` of a two-argument function, in the dtype NumPy's promotion gives x and y
    with Python numbers weak (SciPy's promote 1.0 and float32 values to float64)."""
    sc = getattr(_scipy, name, None)

    def impl(x, y):
        if _scipy is None:
            out = fallback(x, y)
        else:
            out = sc(x, y)
            if x.__class__ is np.ndarray and y.__class__ is np.ndarray and x.dtype == y.dtype:
                return out
        return _out(out, np.result_type(x, y, 1.0))
    impl.__name__ = impl.__qualname__ = name
    return impl


def _elementwise(math_fn):
    """A NumPy function from a function of one Python float."""
    ufunc = np.frompyfunc(math_fn, 1, 1)

    def fn(x):
        dt = _float_dtype(x)
        return _out(np.asarray(ufunc(np.asarray(x, np.float64)), np.float64), dt)
    return fn


def _lgamma(v):
    try:
        return math.lgamma(v)
    except ValueError:   # a pole: 0 or a negative integer
        return math.inf


def _gamma(v):
    try:
        return math.gamma(v)
    except OverflowError:
        return math.inf
    except ValueError:   # 0 (signed infinity), a negative integer or -inf (nan)
        return math.copysign(math.inf, v) if v == 0 else math.nan


def _as64(*args):
    return [np.asarray(a, np.float64) for a in args]


# The Bernoulli numbers B_2, B_4, ..., B_14, and B_2k / (2k)!.
_BERNOULLI = [1 / 6, -1 / 30, 1 / 42, -1 / 30, 5 / 66, -691 / 2730, 7 / 6]
_B_OVER_FACT = [b / math.factorial(2 * k) for k, b in enumerate(_BERNOULLI, 1)]


def _digamma_np(x):
    """psi(x): the reflection psi(1 - x) - pi / tan(pi x) below 1/2, the recurrence
    psi(y) = psi(y + 1) - 1/y up to y >= 10, then the asymptotic series."""
    dt = _float_dtype(x)
    (x,) = _as64(x)
    reflect = x < 0.5
    y = np.where(reflect, 1.0 - x, x)
    acc = np.zeros(np.broadcast(y).shape)
    with np.errstate(divide="ignore", invalid="ignore"):
        while np.any(small := y < 10):
            acc = acc - np.where(small, 1.0 / y, 0.0)
            y = np.where(small, y + 1.0, y)
        inv2 = 1.0 / (y * y)
        series = sum(b / (2 * k) * inv2 ** k for k, b in enumerate(_BERNOULLI, 1))
        psi = acc + np.log(y) - 0.5 / y - series
        psi = np.where(reflect, psi - np.pi / np.tan(np.pi * x), psi)
    psi = np.where(x == 0, -np.inf, np.where((x < 0) & (x == np.floor(x)), np.nan, psi))
    return _out(psi, dt)


def _polygamma_np(n, x):
    """psi^(n)(x) = (-1)^(n+1) n! zeta(n + 1, x) for n >= 1, the Hurwitz zeta function by
    the recurrence zeta(s, y) = y^-s + zeta(s, y + 1) up to y >= s + 10, then the
    Euler-Maclaurin sum; psi for n = 0."""
    dt = _float_dtype(x)
    n, x = np.broadcast_arrays(np.asarray(n), np.asarray(x, np.float64))
    if np.any((n < 0) | (n != np.floor(n))):
        raise ValueError("polygamma: the order n must be a non-negative integer")
    s = n.astype(np.float64) + 1.0
    acc = np.zeros(x.shape)
    y = x.copy()
    with np.errstate(divide="ignore", invalid="ignore", over="ignore"):
        while np.any(small := y < s + 10):
            acc = acc + np.where(small, y ** -s, 0.0)
            y = np.where(small, y + 1.0, y)
        zeta = acc + y ** (1 - s) / (s - 1) + 0.5 * y ** -s
        rising = s.copy()   # s (s+1) ... (s + 2k - 2)
        for k, c in enumerate(_B_OVER_FACT, 1):
            zeta = zeta + c * rising * y ** (-s - 2 * k + 1)
            rising = rising * (s + 2 * k - 1) * (s + 2 * k)
        fact = np.vectorize(lambda m: float(math.factorial(int(m))), otypes=[float])(n)
        out = np.where(n % 2 == 1, 1.0, -1.0) * fact * zeta
    if np.any(n == 0):
        out = np.where(n == 0, _digamma_np(x), out)
    return _out(out, dt)


def _betaln_np(a, b):
    return _out(_lgamma_np(a) + _lgamma_np(b) - _lgamma_np(np.add(a, b)),
                np.result_type(_float_dtype(a), _float_dtype(b)))


def _expit_np(x):
    dt = _float_dtype(x)
    with np.errstate(over="ignore"):
        e = np.exp(-np.abs(np.asarray(x, dt)))
        return _out(np.where(np.asarray(x) >= 0, 1 / (1 + e), e / (1 + e)), dt)


def _logit_np(p):
    dt = _float_dtype(p)
    p = np.asarray(p, dt)
    with np.errstate(divide="ignore", invalid="ignore"):
        return _out(np.log(p / (1 - p)), dt)


def _x_log(log):
    """x * log(y), 0 where x = 0 (unless y is nan)."""
    def fn(x, y):
        dt = np.result_type(x, y, 1.0)
        with np.errstate(divide="ignore", invalid="ignore"):
            return _out(np.where((np.asarray(x) == 0) & ~np.isnan(y), 0.0,
                                 np.multiply(x, log(y))), dt)
    return fn


_xlogy_np = _x_log(np.log)
_xlog1py_np = _x_log(np.log1p)


def _entr_np(x):
    dt = _float_dtype(x)
    x = np.asarray(x, dt)
    with np.errstate(divide="ignore", invalid="ignore"):
        return _out(np.where(x > 0, -x * np.log(np.where(x > 0, x, 1)),
                             np.where(x == 0, 0.0, -np.inf)), dt)


_erf_np = _elementwise(math.erf)
_erfc_np = _elementwise(math.erfc)
_lgamma_np = _elementwise(_lgamma)
_gamma_np = _elementwise(_gamma)


def _ndtr_np(x):
    dt = _float_dtype(x)
    return _out(0.5 * _erfc_np(-np.asarray(x, np.float64) / math.sqrt(2)), dt)


def _log_ndtr_np(x):
    """log Phi(x): log1p(-Phi(-x)) above 0, log Phi(x) down to -20, below that the
    asymptotic series log(phi(x) / -x (1 - 1/x^2 + 3/x^4 - ...))."""
    dt = _float_dtype(x)
    (x,) = _as64(x)
    with np.errstate(divide="ignore", invalid="ignore", over="ignore"):
        upper = np.log1p(-_ndtr_np(-x))
        middle = np.log(_ndtr_np(x))
        t = 1 / (x * x)
        series = 1.0
        for k in range(8, 0, -1):   # 1 - t + 3 t^2 - 15 t^3 ..., (2k - 1)!! t^k
            series = 1.0 - (2 * k - 1) * t * series
        tail = -0.5 * x * x - np.log(-x) - _LOG_SQRT_2PI + np.log(series)
    return _out(np.where(x > 0, upper, np.where(x > -20, middle, tail)), dt)


def _ndtri_np(p):
    """The inverse of ndtr: Newton's method on log ndtr from Winitzki's approximation,
    for q = min(p, 1 - p) (1 - p is exact for p >= 1/2), mirrored above 1/2."""
    dt = _float_dtype(p)
    (p,) = _as64(p)
    with np.errstate(divide="ignore", invalid="ignore", over="ignore"):
        q = np.where(p > 0.5, 1.0 - p, p)
        a = 0.147
        L = np.log(4 * q * (1 - q))
        t = 2 / (np.pi * a) + L / 2
        x = -math.sqrt(2) * np.sqrt(np.maximum(np.sqrt(t * t - L / a) - t, 0.0))
        x = np.where(q > 0, x, -np.inf)
        logq = np.log(q)
        for _ in range(6):
            step = (_log_ndtr_np(x) - logq) * np.exp(_log_ndtr_np(x) + 0.5 * x * x + _LOG_SQRT_2PI)
            x = np.where(np.isfinite(x) & (q > 0), x - step, x)
        x = np.where(q == 0.5, 0.0, x)
        x = np.where(p > 0.5, -x, x)
        x = np.where((p < 0) | (p > 1) | np.isnan(p), np.nan, x)
    return _out(x, dt)


def _erfinv_np(y):
    """erfinv(y) = ndtri((1 + y) / 2) / sqrt(2), for y <= 0 (1 + y exact), mirrored."""
    dt = _float_dtype(y)
    (y,) = _as64(y)
    v = np.asarray(_ndtri_np((1 - np.abs(y)) / 2), np.float64) / -math.sqrt(2)
    v = np.where(y < 0, -v, v)
    small = np.abs(y) < 0.5
    for _ in range(2):   # Newton on erf itself, accurate where 1 - |y| lost y's digits
        v = np.where(small, v - (np.asarray(_erf_np(v), np.float64) - y)
                     * (_SQRT_PI / 2) * np.exp(v * v), v)
    return _out(v, dt)


def _erfcx_np(x):
    """exp(x^2) erfc(x); above 8 the asymptotic series 1 / (x sqrt(pi)) sum (-1)^k
    (2k - 1)!! / (2 x^2)^k."""
    dt = _float_dtype(x)
    (x,) = _as64(x)
    with np.errstate(over="ignore", invalid="ignore", divide="ignore"):
        direct = np.exp(x * x) * np.asarray(_erfc_np(x), np.float64)
        t = 1 / (2 * x * x)
        series = 1.0
        for k in range(25, 0, -1):
            series = 1.0 - (2 * k - 1) * t * series
        tail = series / (x * _SQRT_PI)
    return _out(np.where(x < 8, direct, tail), dt)


def _i0_np(x):
    dt = _float_dtype(x)
    return _out(np.i0(np.asarray(x, np.float64)), dt)


def _iv_impl(v, x):
    """I_v(x) (integer order v), in x's floating dtype."""
    if _scipy is None:
        raise ImportError("the derivatives of scipy.special.i0 and i1 need SciPy's iv "
                          "(pip install scipy), which is not installed")
    return _out(_tiny(v, x, _scipy.iv(np.abs(v), x)), _float_dtype(x))


def _ive_impl(v, x):
    """exp(-|x|) I_v(x) (integer order v), in x's floating dtype."""
    if _scipy is None:
        raise ImportError("the derivatives of scipy.special.i0e and i1e need SciPy's ive "
                          "(pip install scipy), which is not installed")
    return _out(_tiny(v, x, _scipy.ive(np.abs(v), x)), _float_dtype(x))


def _tiny(v, x, values):
    """values, with the leading term (x/2)^|v| / |v|! where |x| < 1e-150 (SciPy's iv and
    ive give nan for the smallest arguments)."""
    small = np.abs(x) < 1e-150
    if not np.any(small):
        return values
    v = np.abs(v)
    return np.where(small, np.where(v == 0, 1.0, np.where(v == 1, np.multiply(x, 0.5), 0.0)),
                    values)


def _polygamma_impl(n, x):
    dt = _float_dtype(x)
    if _scipy is None:
        return _polygamma_np(n, x)
    return _out(_scipy.polygamma(n, x), dt)


# ============================================================================ other libraries

def _xp_elementwise(name, impl, dtype_arg=None):
    """The implementation on other libraries' arrays: Dask's (blockwise, NumPy's
    implementation on each block) and CuPy's (cupyx.scipy.special); the array API
    standard has no special functions."""
    def xp_impl(xp, *args):
        arrays = [a for a in args if backend.is_foreign(a)]
        lib = backend.library(arrays[0])
        if lib == "dask":
            from dask.array.core import elemwise
            src = args if dtype_arg is None else args[dtype_arg:dtype_arg + 1]
            dt = np.result_type(*(backend.dtype(a) if backend.is_foreign(a) else a
                                  for a in src), 1.0)
            return elemwise(impl, *args, dtype=dt)
        if lib == "cupy":
            import cupyx.scipy.special as cs
            return getattr(cs, name)(*args)
        raise NotImplementedError(
            f"scipy.special.{name} on {lib} arrays: the array API standard ({xp.__name__}) "
            f"has no special functions; dualrev computes it on NumPy, Dask and CuPy arrays")
    return xp_impl


# ============================================================================ primitives

def _public(fn, name, doc):
    fn.__name__ = fn.__qualname__ = name
    fn.__module__ = __name__
    fn.__doc__ = doc
    return fn


def _unary(name, impl, d, doc, xp=None):
    """The dnp-style function of an elementwise one-argument primitive with derivative
    ``d(x, ans)`` (written with differentiable functions: every order works)."""
    prim = Primitive(f"scipy.special.{name}", impl,
                     jvp=(lambda x_dot, ans, x: x_dot * d(x, ans),),
                     vjp=(lambda g, ans, x: g * d(x, ans),),
                     elementwise=True, xp=xp or _xp_elementwise(name, impl))
    return _public(unary(prim, impl), name, doc)


def _binary(name, impl, d0, d1, doc, xp=None, dtype_arg=None):
    """The function of an elementwise two-argument primitive with partial derivatives
    ``d0(x, y, ans)`` and ``d1(x, y, ans)`` (None: a constant argument)."""
    prim = Primitive(
        f"scipy.special.{name}", impl,
        jvp=(None if d0 is None else (lambda x_dot, ans, x, y: x_dot * d0(x, y, ans)),
             lambda y_dot, ans, x, y: y_dot * d1(x, y, ans)),
        vjp=(None if d0 is None else (lambda g, ans, x, y: g * d0(x, y, ans)),
             lambda g, ans, x, y: g * d1(x, y, ans)),
        batch=broadcasting, xp=xp or _xp_elementwise(name, impl, dtype_arg))
    return _public(binary(prim, impl), name, doc)


# ---------------------------------------------------------------- error function

erf = _unary("erf", _impl("erf", _erf_np), lambda x, ans: (2 / _SQRT_PI) * dnp.exp(-(x * x)), """\
The error function, differentiable: erf'(x) = 2/sqrt(pi) exp(-x^2).

    >>> dualrev.grad(erf)(0.0)      # 1.1283791670955126""")
erfc = _unary("erfc", _impl("erfc", _erfc_np),
              lambda x, ans: (-2 / _SQRT_PI) * dnp.exp(-(x * x)), """\
The complementary error function 1 - erf(x), differentiable (accurate where erf(x) is
near 1).

    >>> erfc(3.0)                   # 2.209049699858544e-05""")
erfinv = _unary("erfinv", _impl("erfinv", _erfinv_np),
                lambda x, ans: (_SQRT_PI / 2) * dnp.exp(ans * ans), """\
The inverse of erf on (-1, 1), differentiable: erfinv'(y) = sqrt(pi)/2 exp(erfinv(y)^2);
erfinv(+-1) = +-inf, where the derivative is inf (as JAX).

    >>> dualrev.grad(erfinv)(0.0)   # 0.886226925452758""")
erfcx = _unary("erfcx", _impl("erfcx", _erfcx_np),
               lambda x, ans: 2 * x * ans - 2 / _SQRT_PI, """\
The scaled complementary error function exp(x^2) erfc(x), differentiable:
erfcx'(x) = 2 x erfcx(x) - 2/sqrt(pi).

    >>> erfcx(30.0)                 # 0.018795888861416754""")
ndtr = _unary("ndtr", _impl("ndtr", _ndtr_np),
              lambda x, ans: dnp.exp(-0.5 * (x * x)) / _SQRT_2PI, """\
The standard normal CDF, differentiable: ndtr'(x) = exp(-x^2/2) / sqrt(2 pi).

    >>> ndtr(0.0)                   # 0.5""")
ndtri = _unary("ndtri", _impl("ndtri", _ndtri_np),
               lambda x, ans: _SQRT_2PI * dnp.exp(0.5 * (ans * ans)), """\
The inverse of ndtr, differentiable: ndtri'(p) = sqrt(2 pi) exp(ndtri(p)^2 / 2);
ndtri(0) = -inf and ndtri(1) = inf, where the derivative is inf (as JAX).

    >>> ndtri(0.975)                # 1.959963984540054""")
log_ndtr = _unary("log_ndtr", _impl("log_ndtr", _log_ndtr_np),
                  lambda x, ans: dnp.exp(-0.5 * (x * x) - ans) / _SQRT_2PI, """\
log(ndtr(x)), accurate far into both tails, differentiable: its derivative
exp(-x^2/2 - log_ndtr(x)) / sqrt(2 pi) is computed without ndtr, so it stays finite
(about -x) where ndtr underflows.

    >>> dualrev.grad(log_ndtr)(-40.0)   # 40.02496884784...""")

# ---------------------------------------------------------------- gamma function

_polygamma_p = Primitive(
    "scipy.special.polygamma", _polygamma_impl,
    jvp=(None, lambda x_dot, ans, n, x: x_dot * polygamma(n + 1, x)),
    vjp=(None, lambda g, ans, n, x: g * polygamma(n + 1, x)),
    batch=broadcasting, xp=_xp_elementwise("polygamma", _polygamma_impl, dtype_arg=1))


def polygamma(n, x):
    """The n-th derivative of digamma (n a constant non-negative integer, or an array of
    them), differentiable in x: polygamma(n, x)' = polygamma(n + 1, x).

        >>> polygamma(1, 1.0)           # pi^2 / 6 = 1.6449340668482264
    """
    n = strip(n)
    if plain(x) and plain(n):
        return _polygamma_impl(n, x)
    return bind(_polygamma_p, (n, x))


gammaln = _unary("gammaln", _impl("gammaln", _lgamma_np), lambda x, ans: digamma(x), """\
log|Gamma(x)|, differentiable: gammaln' = digamma.

    >>> gammaln(10.0)               # log(9!) = 12.801827480081469""")
gamma = _unary("gamma", _impl("gamma", _gamma_np), lambda x, ans: ans * digamma(x), """\
The gamma function, differentiable: Gamma'(x) = Gamma(x) digamma(x).

    >>> gamma(5.0)                  # 24.0""")
digamma = _unary("digamma", _impl("digamma", _digamma_np), lambda x, ans: polygamma(1, x), """\
The digamma function psi = gammaln', differentiable: psi' = polygamma(1, .).
psi(0) = -inf (as SciPy; JAX gives nan), nan at the negative integers.

    >>> digamma(1.0)                # -euler_gamma = -0.5772156649015329""")
betaln = _binary("betaln", _weak("betaln", _betaln_np),
                 lambda a, b, ans: digamma(a) - digamma(a + b),
                 lambda a, b, ans: digamma(b) - digamma(a + b), """\
log|B(a, b)| = gammaln(a) + gammaln(b) - gammaln(a + b), differentiable in both:
d/da = digamma(a) - digamma(a + b).

    >>> betaln(1.0, 2.0)            # log(1/2)""")


@composite(None, "scipy.special.multigammaln")
def multigammaln(a, d):
    """The log of the multivariate gamma function of dimension d (a constant integer):
    d(d-1)/4 log(pi) + sum_j gammaln(a - j/2), j = 0 .. d-1; differentiable in a.
    As SciPy, a must exceed (d - 1)/2.

        >>> multigammaln(3.0, 2)        # 1.5501949939575645
    """
    d = _check_dimension(d)
    values = strip(a)
    foreign = backend.is_foreign(values)
    if not isinstance(values, Tracer) and not foreign and np.any(
            np.asarray(values) <= 0.5 * (d - 1)):
        raise ValueError(f"multigammaln: the condition a > (d - 1)/2 = {0.5 * (d - 1)} is "
                         f"not met by a = {values}")
    dt = backend.dtype(values) if foreign else np.result_type(backend.dtype(values), 1.0)
    j = np.arange(d, dtype=np.float64) / 2
    j = backend.asarray(j, values, dt) if foreign else j.astype(dt)
    terms = gammaln(dnp.expand_dims(a, -1) - j)
    return dnp.sum(terms, axis=-1) + (d * (d - 1) / 4) * math.log(math.pi)


multigammaln.composite.impl = multigammaln.composite.definition


def _check_dimension(d):
    if isinstance(d, (bool, np.bool_)) or not isinstance(d, (int, np.integer)) and not (
            isinstance(d, (float, np.floating)) and float(d).is_integer()) or d < 1:
        raise ValueError(f"multigammaln: the dimension d must be a positive integer, got {d!r}")
    return int(d)


# ---------------------------------------------------------------- logistic

expit = _unary("expit", _impl("expit", _expit_np), lambda x, ans: ans * (1 - ans), """\
The logistic sigmoid 1 / (1 + exp(-x)), differentiable: expit' = expit (1 - expit).

    >>> expit(0.0)                  # 0.5""", xp=lambda xp, x: 1 / (1 + xp.exp(-x)))
logit = _unary("logit", _impl("logit", _logit_np), lambda x, ans: 1 / (x * (1 - x)), """\
log(p / (1 - p)), the inverse of expit, differentiable: logit'(p) = 1 / (p (1 - p));
logit(0) = -inf, logit(1) = inf, with derivative inf there (as JAX).

    >>> logit(0.5)                  # 0.0""", xp=lambda xp, p: xp.log(p / (1 - p)))


# ---------------------------------------------------------------- x log y

def _nonzero_x(x, y, y0):
    """y, with 1 where x == 0 and y == y0 (so that x / y is 0, not 0/0, there)."""
    xs, ys = strip(x), strip(y)
    return dnp.where((xs == 0) & (ys == y0), 1.0, y)


def _xp_xlogy(log):
    def impl(xp, x, y):
        x, y = _xp_arrays(xp, x, y)
        return xp.where((x == 0) & ~xp.isnan(y), xp.zeros_like(x * y), x * log(xp, y))
    return impl


def _xp_arrays(xp, x, y):
    like = x if backend.is_foreign(x) else y
    return (x if backend.is_foreign(x) else backend.asarray(x, like, backend.dtype(like)),
            y if backend.is_foreign(y) else backend.asarray(y, like, backend.dtype(like)))


xlogy = _binary("xlogy", _weak("xlogy", _xlogy_np),
                lambda x, y, ans: dnp.log(y),
                lambda x, y, ans: x / _nonzero_x(x, y, 0), """\
x * log(y), 0 where x = 0 (even at y = 0), differentiable in both: d/dx = log(y),
d/dy = x / y.  At x = 0 and y = 0, d/dy is 0 (the partial derivative of the function,
which is 0 along x = 0; JAX gives nan) and d/dx is -inf (as JAX).

    >>> xlogy(0.0, 0.0)             # 0.0""", xp=_xp_xlogy(lambda xp, y: xp.log(y)))
xlog1py = _binary("xlog1py", _weak("xlog1py", _xlog1py_np),
                  lambda x, y, ans: xlog1py(1.0, y),
                  lambda x, y, ans: x / (_nonzero_x(x, y, -1) + 1), """\
x * log1p(y), 0 where x = 0 (even at y = -1), differentiable in both: d/dx = log1p(y),
d/dy = x / (1 + y).  At x = 0 and y = -1, d/dy is 0 (JAX gives nan) and d/dx is -inf.

    >>> xlog1py(2.0, 0.0)           # 0.0""", xp=_xp_xlogy(lambda xp, y: xp.log1p(y)))


def _xp_entr(xp, x):
    safe = xp.where(x > 0, x, xp.ones_like(x))
    return xp.where(x > 0, -x * xp.log(safe),
                    xp.where(x == 0, xp.zeros_like(x), xp.full_like(x, -xp.inf)))


entr = _unary("entr", _impl("entr", _entr_np), lambda x, ans: -(dnp.log(x) + 1), """\
The elementwise entropy -x log(x) (0 at 0, -inf below), differentiable:
entr'(x) = -(log(x) + 1): inf at 0, nan below 0 (as JAX).

    >>> entr(0.5)                   # 0.34657359027997264""", xp=_xp_entr)


# ---------------------------------------------------------------- modified Bessel functions

def _order(name, impl, d):
    """I_v or exp(-|x|) I_v of a constant integer order v, with derivative d(v, x, ans),
    for the derivatives of i0, i1, i0e and i1e (internal: JAX has no iv, ive)."""
    return Primitive(f"scipy.special.{name}", impl,
                     jvp=(None, lambda x_dot, ans, v, x: x_dot * d(v, x, ans)),
                     vjp=(None, lambda g, ans, v, x: g * d(v, x, ans)),
                     batch=broadcasting, xp=_xp_elementwise(name, impl, dtype_arg=1),
                     register=False)


# I_v' = (I_{v-1} + I_{v+1}) / 2, with no division by x: smooth at 0 to every order.
# (exp(-|x|) I_v)' = (exp(-|x|) I_{v-1} + exp(-|x|) I_{v+1}) / 2 - sign(x) exp(-|x|) I_v.
_iv_p = _order("iv", _iv_impl, lambda v, x, ans: (_iv(v - 1, x) + _iv(v + 1, x)) / 2)
_ive_p = _order("ive", _ive_impl, lambda v, x, ans: (_ive(v - 1, x) + _ive(v + 1, x)) / 2
                - dnp.sign(x) * ans)


def _iv(v, x):
    return bind(_iv_p, (v, x))


def _ive(v, x):
    return bind(_ive_p, (v, x))


i0 = _unary("i0", _impl("i0", _i0_np), lambda x, ans: i1(x), """\
The modified Bessel function of the first kind of order 0, differentiable: i0' = i1.

    >>> i0(0.0)                     # 1.0""")
i1 = _unary("i1", _impl("i1"), lambda x, ans: (i0(x) + _iv(2, x)) / 2, """\
The modified Bessel function of the first kind of order 1, differentiable:
i1' = (i0 + I_2) / 2 (= i0 - i1/x, without the division, so every derivative is right
at 0: i1''(0) = 0, where JAX gives 1).  Needs SciPy.

    >>> dualrev.grad(i1)(0.0)       # 0.5""")
i0e = _unary("i0e", _impl("i0e"), lambda x, ans: i1e(x) - dnp.sign(x) * ans, """\
exp(-|x|) i0(x), differentiable: i0e' = i1e - sign(x) i0e (0 at 0, as JAX).  Needs SciPy.

    >>> i0e(0.0)                    # 1.0""")
i1e = _unary("i1e", _impl("i1e"),
             lambda x, ans: (i0e(x) + _ive(2, x)) / 2 - dnp.sign(x) * ans, """\
exp(-|x|) i1(x), differentiable: i1e' = (i0e + exp(-|x|) I_2) / 2 - sign(x) i1e.
Needs SciPy.

    >>> dualrev.grad(i1e)(0.0)      # 0.5""")


# ============================================================================ softmax, logsumexp

def _axes(axis, ndim, name):
    """A sorted tuple of non-negative axes (None: all)."""
    if axis is None:
        return tuple(range(ndim))
    return tuple(sorted(_normalize_axes(axis, max(ndim, 1), name))) if ndim else ()


def _kept(x, shape, axes):
    """x, reduced over axes without keepdims, reshaped to keep them (length 1)."""
    return dnp.reshape(x, tuple(1 if i in axes else n for i, n in enumerate(shape)))


def _batch_axes(axes):
    return tuple(a + 1 for a in axes)


def _full_batch(args, batched):
    """Every argument with the batch axis: the unbatched ones broadcast along it."""
    size = next(np.shape(a)[0] for a, b in zip(args, batched) if b)
    return [a if b else dnp.broadcast_to(a, (size,) + tuple(np.shape(a)))
            for a, b in zip(args, batched)]


def _lse_np(a, b=None, *, axis, keepdims, signed):
    """log|sum(b exp(a))| over axis (nan where the sum is negative unless ``signed``)."""
    real = a.real if np.iscomplexobj(a) else a
    m = np.max(real, axis=axis, keepdims=True) if np.size(a) else np.zeros(())
    m = np.where(np.isfinite(m), m, 0)
    e = np.exp(a - m)
    if b is not None:
        e = b * e
    s = np.sum(e, axis=axis, keepdims=True)
    if signed:
        s = np.abs(s)
    with np.errstate(divide="ignore", invalid="ignore"):
        out = np.log(s) + m
    if not keepdims:
        out = np.squeeze(out, axis) if axis else out
    return out[()] if isinstance(out, np.ndarray) and out.ndim == 0 else out


def _lse_xp(xp, a, b=None, *, axis, keepdims, signed):
    real = xp.real(a) if backend.is_complex(a) else a
    m = xp.max(real, axis=axis, keepdims=True)
    m = xp.where(xp.isfinite(m), m, xp.zeros_like(m))
    e = xp.exp(a - m)
    if b is not None:
        e = b * e
    s = xp.sum(e, axis=axis, keepdims=True)
    if signed:
        s = xp.abs(s)
    out = xp.log(s) + m
    if not keepdims and axis:
        out = xp.reshape(out, tuple(n for i, n in enumerate(out.shape) if i not in axis))
    return out


def _lse_weights(ans, a, b, axis, keepdims, signed):
    """d logsumexp / d a: b exp(a - lse) (times the sum's sign); returns it and exp(a - lse)."""
    shape = np.shape(strip(a))
    lse = ans if keepdims else _kept(ans, shape, axis)
    e = dnp.exp(a - lse)
    if signed:
        e = e * _lse_sign(strip(a), strip(b), axis)
    return (e if b is None else b * e), e


def _lse_sign(a, b, axis):
    """The sign of sum(b exp(a)) (a constant: a and b are untraced)."""
    m = dnp.max(a, axis=axis, keepdims=True)
    e = dnp.exp(a - dnp.where(dnp.isfinite(m), m, 0.0))
    return dnp.sign(dnp.sum(e if b is None else b * e, axis=axis, keepdims=True))


def _lse_jvp(argnum):
    def rule(t, ans, a, b=None, *, axis, keepdims, signed):
        w, e = _lse_weights(ans, a, b, axis, keepdims, signed)
        return dnp.sum(t * (w if argnum == 0 else e), axis=axis, keepdims=keepdims)
    return rule


def _lse_vjp(argnum):
    def rule(g, ans, a, b=None, *, axis, keepdims, signed):
        w, e = _lse_weights(ans, a, b, axis, keepdims, signed)
        g = g if keepdims else _kept(g, np.shape(strip(a)), axis)
        return g * (w if argnum == 0 else e)
    return rule


def _lse_batch(batched, *args, axis, keepdims, signed):
    args = _full_batch(args, batched)
    return bind(_logsumexp_p, tuple(args), dict(axis=_batch_axes(axis), keepdims=keepdims,
                                                signed=signed))


_logsumexp_p = Primitive("scipy.special.logsumexp", _lse_np, jvp=_lse_jvp, vjp=_lse_vjp,
                         batch=_lse_batch, xp=_lse_xp)


def logsumexp(a, axis=None, b=None, keepdims=False, return_sign=False):
    """log(sum(b * exp(a))) over axis, computed stably (the largest entry factored out),
    differentiable in a and b: d/da = b exp(a - logsumexp), the softmax weighted by b.
    Entries of -inf contribute 0 (and get derivative 0); all -inf gives -inf (with
    derivative nan, as JAX).  A negative sum gives nan unless ``return_sign``, which
    returns (log|sum|, sign).  Complex a is accepted, as SciPy.

        >>> logsumexp(np.array([0.0, np.log(3.0)]))     # log(4)
    """
    signed = bool(return_sign)
    a, b = array_of(a), array_of(b)
    if plain(a) and (b is None or plain(b)):
        a_ = np.asarray(a)
        b_ = None if b is None else np.asarray(b)
        if b_ is not None:
            a_, b_ = np.broadcast_arrays(a_, b_)
        axes = _axes(axis, a_.ndim, "logsumexp")
        out = _lse_np(a_, b_, axis=axes, keepdims=keepdims, signed=signed)
        if not signed:
            return out
        return out, _sign_np(a_, b_, axes, keepdims)
    if b is not None:
        shape = np.broadcast_shapes(np.shape(strip(a)), np.shape(strip(b)))
        a, b = dnp.broadcast_to(a, shape), dnp.broadcast_to(b, shape)
    axes = _axes(axis, np.ndim(strip(a)), "logsumexp")
    args = (a,) if b is None else (a, b)
    out = bind(_logsumexp_p, args, dict(axis=axes, keepdims=bool(keepdims), signed=signed))
    if not signed:
        return out
    sign = _lse_sign(strip(a), None if b is None else strip(b), axes)
    return out, (sign if keepdims else dnp.reshape(sign, np.shape(strip(out))))


def _sign_np(a, b, axes, keepdims):
    m = np.max(a, axis=axes, keepdims=True) if a.size else np.zeros(())
    with np.errstate(invalid="ignore"):
        e = np.exp(a - np.where(np.isfinite(m), m, 0))
        s = np.sign(np.sum(e if b is None else b * e, axis=axes, keepdims=keepdims))
    return s[()] if isinstance(s, np.ndarray) and s.ndim == 0 else s


def _softmax_np(x, *, axis):
    m = np.max(x, axis=axis, keepdims=True)
    e = np.exp(x - np.where(np.isfinite(m), m, 0))
    return e / np.sum(e, axis=axis, keepdims=True)


def _log_softmax_np(x, *, axis):
    m = np.max(x, axis=axis, keepdims=True)
    shifted = x - np.where(np.isfinite(m), m, 0)
    with np.errstate(divide="ignore"):
        return shifted - np.log(np.sum(np.exp(shifted), axis=axis, keepdims=True))


def _softmax_xp(xp, x, *, axis):
    m = xp.max(x, axis=axis, keepdims=True)
    e = xp.exp(x - xp.where(xp.isfinite(m), m, xp.zeros_like(m)))
    return e / xp.sum(e, axis=axis, keepdims=True)


def _log_softmax_xp(xp, x, *, axis):
    m = xp.max(x, axis=axis, keepdims=True)
    shifted = x - xp.where(xp.isfinite(m), m, xp.zeros_like(m))
    return shifted - xp.log(xp.sum(xp.exp(shifted), axis=axis, keepdims=True))


def _softmax_batch(prim):
    return lambda batched, x, *, axis: bind(prim, (x,), dict(axis=_batch_axes(axis)))


_softmax_p = Primitive(
    "scipy.special.softmax", _softmax_np,
    jvp=(lambda t, ans, x, *, axis: ans * (t - dnp.sum(ans * t, axis=axis, keepdims=True)),),
    vjp=(lambda g, ans, x, *, axis: ans * (g - dnp.sum(g * ans, axis=axis, keepdims=True)),),
    xp=_softmax_xp)
_softmax_p.batch = _softmax_batch(_softmax_p)
_log_softmax_p = Primitive(
    "scipy.special.log_softmax", _log_softmax_np,
    jvp=(lambda t, ans, x, *, axis: t - dnp.sum(dnp.exp(ans) * t, axis=axis, keepdims=True),),
    vjp=(lambda g, ans, x, *, axis: g - dnp.exp(ans) * dnp.sum(g, axis=axis, keepdims=True),),
    xp=_log_softmax_xp)
_log_softmax_p.batch = _softmax_batch(_log_softmax_p)


def softmax(x, axis=None):
    """exp(x) / sum(exp(x)) over axis (None: all axes, as SciPy), stably; differentiable:
    its JVP is s (t - sum(s t)).

        >>> softmax(np.array([0.0, np.log(3.0)]))       # [0.25, 0.75]
    """
    x = array_of(x)
    if plain(x):
        x = np.asarray(x)
        return _softmax_np(x, axis=_axes(axis, x.ndim, "softmax"))
    return bind(_softmax_p, (x,), dict(axis=_axes(axis, np.ndim(strip(x)), "softmax")))


def log_softmax(x, axis=None):
    """x - logsumexp(x) over axis (None: all axes, as SciPy), stably; differentiable: its
    JVP is t - sum(softmax(x) t).

        >>> log_softmax(np.array([0.0, np.log(3.0)]))   # [log(1/4), log(3/4)]
    """
    x = array_of(x)
    if plain(x):
        x = np.asarray(x)
        return _log_softmax_np(x, axis=_axes(axis, x.ndim, "log_softmax"))
    return bind(_log_softmax_p, (x,), dict(axis=_axes(axis, np.ndim(strip(x)), "log_softmax")))


for _fn, _p in ((softmax, _softmax_p), (log_softmax, _log_softmax_p),
                (logsumexp, _logsumexp_p), (polygamma, _polygamma_p)):
    _fn.__module__ = __name__
del _fn, _p
