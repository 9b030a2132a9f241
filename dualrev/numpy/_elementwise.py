"""Elementwise primitives (NumPy ufuncs) and their rules.

The arithmetic primitives are implemented with Python's operators: on arrays
they run the same ufuncs, and on NumPy scalars (what 0-d results are) they
take NumPy's much faster scalar path.  Untraced calls still go to the ufunc.
"""
import math
import operator

import numpy as np

from ..batching import OneHots, _dense
from .. import backend
from ..core import PY_SCALARS, Primitive, Tracer, bind, broadcast_batch, broadcasting, strip
from ._dispatch import CONVERSION_ERRORS, plain, binary, nondiff, traced_array, traced_arrays, unary


def _weights(x, y, g):
    """maximum/minimum tie split: 1 where x wins, 0.5 on ties, 0 where y wins."""
    xs, ys = strip(x), strip(y)
    return astype(where(greater(xs, ys), 1.0, where(equal(xs, ys), 0.5, 0.0)),
                  backend.dtype(strip(g)))


def _pow_dx(t, x, y):
    """t * d(x**y)/dx, finite at every order wherever the derivative is.

    d(x**y)/dx = y * x**(y-1), but not as ``where(y == 0, 0, y * x**(y-1))``:
    at x = 0 that untaken branch is 0 * inf, and one order up its cotangent is
    0 * inf = nan.  A Python exponent 0 gives an exact zero instead, and an
    array exponent takes x = 1 where both are 0 (so y * x**(y-1) is 0 * 1
    there, and its derivative in x is 0).  Integer exponents then step down
    to x**0, and all their derivatives at 0 are finite.
    """
    if isinstance(y, (int, float)):
        if y == 0:
            z = zeros_like(strip(t))
            return z[()] if isinstance(z, np.ndarray) else z
        if y == 2:                      # x ** 2, the common case: no power of x ** 1
            return t * (2 * x)
        return t * (y * power(x, y - 1))
    return t * (y * power(where((strip(y) == 0) & (strip(x) == 0), 1.0, x), y - 1))


def _log_base(x):
    if isinstance(x, (int, float)):
        # A Python number stays a Python float (weakly typed), so a float32
        # exponent keeps a float32 derivative.
        return math.log(x) if x > 0 else (0.0 if x == 0 else math.nan)
    xs = strip(x)
    return log(where(xs == 0, 1.0, x))


def _unary_p(name, impl, jvp, vjp, **kw):
    """A one-argument elementwise primitive: output shape and dtype are the input's."""
    return Primitive(name, impl, jvp=(jvp,), vjp=(vjp,), elementwise=True, **kw)


add_p = Primitive(
    "add", operator.add,
    jvp=(lambda x_dot, ans, x, y: x_dot, lambda y_dot, ans, x, y: y_dot),
    vjp=(lambda g, ans, x, y: g, lambda g, ans, x, y: g),
    batch=broadcasting)
subtract_p = Primitive(
    "subtract", operator.sub,
    jvp=(lambda x_dot, ans, x, y: x_dot, lambda y_dot, ans, x, y: negative(y_dot)),
    vjp=(lambda g, ans, x, y: g, lambda g, ans, x, y: negative(g)),
    batch=broadcasting)


def _multiply_batch(batched, x, y):
    """Broadcasting; a batch of one-hots (jacfwd's and jacrev's seeds) times a
    constant stays one-hots, scaled."""
    if batched[0] != batched[1]:
        hots, c = (x, y) if batched[0] else (y, x)
        if type(hots) is OneHots:
            out = hots.scaled(c)
            if out is not None:
                return out
    return broadcast_batch(multiply_p, batched, (_dense(x), _dense(y)))


_multiply_batch.takes_one_hots = True

multiply_p = Primitive(
    "multiply", operator.mul,
    jvp=(lambda x_dot, ans, x, y: x_dot * y, lambda y_dot, ans, x, y: x * y_dot),
    vjp=(lambda g, ans, x, y: g * y, lambda g, ans, x, y: x * g),
    batch=_multiply_batch)
divide_p = Primitive(
    "divide", operator.truediv,
    jvp=(lambda x_dot, ans, x, y: x_dot / y, lambda y_dot, ans, x, y: -(y_dot * ans) / y),
    vjp=(lambda g, ans, x, y: g / y, lambda g, ans, x, y: -(g * ans) / y),
    batch=broadcasting)
power_p = Primitive(
    "power", operator.pow,
    jvp=(lambda x_dot, ans, x, y: _pow_dx(x_dot, x, y),
         lambda y_dot, ans, x, y: y_dot * (ans * _log_base(x))),
    vjp=(lambda g, ans, x, y: _pow_dx(g, x, y),
         lambda g, ans, x, y: g * (ans * _log_base(x))),
    batch=broadcasting)
maximum_p = Primitive(
    "maximum", np.maximum,
    jvp=(lambda x_dot, ans, x, y: x_dot * _weights(x, y, x_dot),
         lambda y_dot, ans, x, y: y_dot * _weights(y, x, y_dot)),
    vjp=(lambda g, ans, x, y: g * _weights(x, y, g),
         lambda g, ans, x, y: g * _weights(y, x, g)),
    batch=broadcasting)
minimum_p = Primitive(
    "minimum", np.minimum,
    jvp=(lambda x_dot, ans, x, y: x_dot * _weights(y, x, x_dot),
         lambda y_dot, ans, x, y: y_dot * _weights(x, y, y_dot)),
    vjp=(lambda g, ans, x, y: g * _weights(y, x, g),
         lambda g, ans, x, y: g * _weights(x, y, g)),
    batch=broadcasting)

negative_p = _unary_p("negative", operator.neg,
    jvp=lambda x_dot, ans, x: negative(x_dot),
    vjp=lambda g, ans, x: negative(g))
exp_p = _unary_p("exp", np.exp,
    jvp=lambda x_dot, ans, x: x_dot * ans,
    vjp=lambda g, ans, x: g * ans)
log_p = _unary_p("log", np.log,
    jvp=lambda x_dot, ans, x: x_dot / x,
    vjp=lambda g, ans, x: g / x)
sin_p = _unary_p("sin", np.sin,
    jvp=lambda x_dot, ans, x: x_dot * cos(x),
    vjp=lambda g, ans, x: g * cos(x))
cos_p = _unary_p("cos", np.cos,
    jvp=lambda x_dot, ans, x: -(x_dot * sin(x)),
    vjp=lambda g, ans, x: -(g * sin(x)))
tan_p = _unary_p("tan", np.tan,
    jvp=lambda x_dot, ans, x: x_dot * (1 + ans * ans),
    vjp=lambda g, ans, x: g * (1 + ans * ans))
tanh_p = _unary_p("tanh", np.tanh,
    jvp=lambda x_dot, ans, x: x_dot * (1 - ans * ans),
    vjp=lambda g, ans, x: g * (1 - ans * ans))
sinh_p = _unary_p("sinh", np.sinh,
    jvp=lambda x_dot, ans, x: x_dot * cosh(x),
    vjp=lambda g, ans, x: g * cosh(x))
cosh_p = _unary_p("cosh", np.cosh,
    jvp=lambda x_dot, ans, x: x_dot * sinh(x),
    vjp=lambda g, ans, x: g * sinh(x))
sqrt_p = _unary_p("sqrt", np.sqrt,
    jvp=lambda x_dot, ans, x: x_dot / (2 * ans),
    vjp=lambda g, ans, x: g / (2 * ans))
square_p = _unary_p("square", np.square,
    jvp=lambda x_dot, ans, x: x_dot * (2 * x),
    vjp=lambda g, ans, x: g * (2 * x))


def _is_complex(x):
    return backend.is_complex(strip(x))


def _unit(x, ans):
    """conj(x) / |x| for complex x, 0 where x = 0 (so the untaken branch stays finite)."""
    zero = strip(ans) == 0
    return where(zero, 0, conj(x) / where(zero, 1, ans))


# abs'(0) = 1 on reals, as JAX; on complex values d|z| = Re(conj(z) dz) / |z|, 0 at z = 0.
abs_p = Primitive(
    "abs", np.abs,
    jvp=(lambda x_dot, ans, x: real(_unit(x, ans) * x_dot) if _is_complex(x)
         else where(strip(x) >= 0, x_dot, negative(x_dot)),),
    vjp=(lambda g, ans, x: g * _unit(x, ans) if _is_complex(x)
         else where(strip(x) >= 0, g, negative(g)),),
    batch=broadcasting)
# real, imag, conj and angle.  Under JAX's convention a VJP is the transpose of the
# JVP over the reals: the transpose of Re(c·dz) is g ↦ g·c, and a real cotangent
# reaching a complex input is made complex by the central cast (``_unbroadcast``).
real_p = Primitive(
    "real", np.real,
    xp=lambda xp, x: xp.real(x) if backend.is_complex(x) else x,
    jvp=(lambda x_dot, ans, x: real(x_dot),),
    vjp=(lambda g, ans, x: g,),
    batch=broadcasting)
imag_p = Primitive(   # complex arguments only: the imaginary part of a real value is a constant
    "imag", np.imag,
    xp=lambda xp, x: xp.imag(x),
    jvp=(lambda x_dot, ans, x: imag(x_dot),),
    vjp=(lambda g, ans, x: g * -1j,),
    batch=broadcasting)
conj_p = _unary_p("conj", np.conjugate,
    xp=lambda xp, x: xp.conj(x) if backend.is_complex(x) else x,
    jvp=lambda x_dot, ans, x: conj(x_dot),
    vjp=lambda g, ans, x: conj(g))


def _angle_coef(x):
    """d angle(x) = Re(coef · dx): coef = -i·conj(x)/|x|² for complex x; for real x,
    0/x² (angle is 0 or π: derivative 0, nan at 0 and at nan, and to every order as
    JAX's atan2(0, x))."""
    with np.errstate(divide="ignore", invalid="ignore"):
        if _is_complex(x):
            return conj(x) * -1j / real(x * conj(x))
        return 0.0 / (x * x)


angle_p = Primitive(
    "angle", np.angle,
    xp=lambda xp, x: xp.atan2(xp.imag(x), xp.real(x)) if backend.is_complex(x)
    else xp.atan2(xp.zeros_like(x), x),
    jvp=(lambda x_dot, ans, x: real(_angle_coef(x) * x_dot) if _is_complex(x)
         else x_dot * _angle_coef(x),),
    vjp=(lambda g, ans, x: g * _angle_coef(x),),
    batch=broadcasting)
where_p = Primitive(
    "where", np.where,
    xp=lambda xp, c, x, y: xp.where(c, x, y) if type(x) not in PY_SCALARS or type(y) not in
    PY_SCALARS else xp.where(c, backend.asarray(x, c), y),   # the standard wants one array
    jvp=(None, lambda x_dot, ans, c, x, y: where(c, x_dot, 0),
         lambda y_dot, ans, c, x, y: where(c, 0, y_dot)),
    vjp=(None, lambda g, ans, c, x, y: where(c, g, 0),
         lambda g, ans, c, x, y: where(c, 0, g)),
    batch=broadcasting)


def _astype_impl(x, *, dtype):
    return np.asarray(x).astype(dtype, copy=False) if np.ndim(x) else np.result_type(dtype).type(x)


astype_p = Primitive(
    "astype", _astype_impl,
    xp=lambda xp, x, *, dtype: xp.astype(x, backend.xp_dtype(xp, dtype)),
    jvp=(lambda x_dot, ans, x, *, dtype: astype(
        real(x_dot) if backend.kind(dtype) != "c" and _is_complex(x_dot) else x_dot, dtype),),
    vjp=(lambda g, ans, x, *, dtype: g,),
    batch=broadcasting)   # cast back by the central unbroadcast

add = binary(add_p, np.add)
subtract = binary(subtract_p, np.subtract)
multiply = binary(multiply_p, np.multiply)
divide = binary(divide_p, np.divide)
true_divide = divide
_power = binary(power_p, np.power)


def power(x, y):
    """Differentiable ``numpy.power``.  ``x ** 0`` with the Python integer 0 is the
    constant 1, as JAX's: it does not depend on x, so its derivative is a true zero
    that never meets an infinite x in a later rule (0 * inf).  Tensors and the
    imperative graph (levels inf and 0) record it, as PyTorch does."""
    if y.__class__ is int and y == 0 and isinstance(x, Tracer) and \
            0 < x._trace.level < math.inf:
        return backend.full(np.shape(x), 1, backend.dtype(strip(x)), x)
    return _power(x, y)
maximum = binary(maximum_p, doc="Differentiable ``numpy.maximum``; ties split the gradient 0.5/0.5.")
minimum = binary(minimum_p, doc="Differentiable ``numpy.minimum``; ties split the gradient 0.5/0.5.")
negative = unary(negative_p, np.negative)
exp = unary(exp_p)
log = unary(log_p)
sin = unary(sin_p)
cos = unary(cos_p)
tan = unary(tan_p)
tanh = unary(tanh_p)
sinh = unary(sinh_p)
cosh = unary(cosh_p)
sqrt = unary(sqrt_p, doc="Differentiable ``numpy.sqrt``; sqrt'(0) = inf.")
square = unary(square_p)
abs = absolute = unary(abs_p, doc="Differentiable ``numpy.abs``; abs'(0) = 1 on reals, "
                                   "0 on complex values (as JAX).")
real = unary(real_p, doc="Differentiable ``numpy.real``.")
_imag = unary(imag_p)


def imag(x):
    """Differentiable ``numpy.imag``; of a real value, a constant (zeros), as JAX."""
    if isinstance(x, Tracer) and not _is_complex(x):
        return backend.zeros(np.shape(x), backend.dtype(strip(x)), x)
    return _imag(x)

conj = conjugate = unary(conj_p, doc="Differentiable ``numpy.conjugate``.")
angle = unary(angle_p, doc="Differentiable ``numpy.angle`` (radians); its derivative at 0 is nan.")


def where(condition, x=None, y=None):
    """Differentiable ``numpy.where(condition, x, y)``; the condition is a constant."""
    if x is None and y is None:
        return nonzero(strip(condition))
    condition = strip(condition)
    try:
        if not (plain(x) and plain(y) and plain(condition)):
            return bind(where_p, (condition, x, y))
        return np.where(condition, x, y)
    except CONVERSION_ERRORS:
        return where(*traced_arrays((condition, x, y)))


def astype(x, dtype):
    """``x.astype(dtype)``, differentiable between float and complex dtypes (complex to
    float keeps the real part, as NumPy and JAX)."""
    dtype = backend.as_dtype(dtype)
    if plain(x):
        try:
            return np.asarray(x).astype(dtype)
        except CONVERSION_ERRORS:
            x = traced_array(x)
    if backend.kind(dtype) not in "fc":
        xs = strip(x)
        if isinstance(xs, Tracer) or backend.is_foreign(xs):
            # batched by vmap (still batched), or another library's: no derivative
            return bind(astype_p, (xs,), dict(dtype=dtype))
        return np.asarray(xs).astype(dtype)
    if backend.same_dtype(backend.dtype(strip(x)), dtype):
        return x
    return bind(astype_p, (x,), dict(dtype=dtype))


sign = nondiff(np.sign)
sign.__doc__ = "``numpy.sign``; its derivative is 0 everywhere (as JAX)."
greater = nondiff(np.greater)
greater_equal = nondiff(np.greater_equal)
less = nondiff(np.less)
less_equal = nondiff(np.less_equal)
equal = nondiff(np.equal)
not_equal = nondiff(np.not_equal)
isfinite = nondiff(np.isfinite)
isnan = nondiff(np.isnan)
isinf = nondiff(np.isinf)
floor = nondiff(np.floor)
ceil = nondiff(np.ceil)
round = nondiff(np.round, "round")
trunc = nondiff(np.trunc)
zeros_like = nondiff(np.zeros_like)
nonzero = nondiff(np.nonzero)
bitwise_and = nondiff(np.bitwise_and)
bitwise_or = nondiff(np.bitwise_or)
bitwise_xor = nondiff(np.bitwise_xor)
invert = bitwise_not = nondiff(np.invert)
logical_xor = nondiff(np.logical_xor)


# ---------------------------------------------------------------- remainder, fmod
# x mod y = x - q·y with q held constant: d/dx = 1, d/dy = -q.  q is trunc(x / y) for
# fmod (the result takes the dividend's sign) and floor(x / y) for remainder (the
# divisor's sign), computed as JAX does: the truncated quotient, less 1 where the
# remainder moved fmod's result by y.  q is piecewise constant, so every higher
# derivative is 0; at y = 0 it is ±inf or nan, as in JAX.

def _quotient(x, y, floor):
    xs, ys = strip(x), strip(y)
    with np.errstate(divide="ignore", invalid="ignore"):
        q = trunc(divide(xs, ys))
        if floor:
            r = fmod(xs, ys)
            q = q - astype((r != 0) & ((r < 0) != (ys < 0)), backend.dtype(q))
    return q


def _mod_p(name, impl, floor):
    """x - q·y with q = floor(x / y) (remainder) or trunc(x / y) (fmod), held constant."""
    return Primitive(
        name, impl,
        jvp=(lambda x_dot, ans, x, y: x_dot,
             lambda y_dot, ans, x, y: negative(y_dot * _quotient(x, y, floor))),
        vjp=(lambda g, ans, x, y: g,
             lambda g, ans, x, y: negative(g * _quotient(x, y, floor))),
        batch=broadcasting)


remainder_p = _mod_p("remainder", np.remainder, True)
fmod_p = _mod_p("fmod", np.fmod, False)
fmod_p.xp_impl = lambda xp, x, y: _xp_fmod(xp, x, y)


def _xp_fmod(xp, x, y):
    """fmod from the standard's remainder (the divisor's sign): moved by y where the
    signs of the result and the dividend differ."""
    if hasattr(xp, "fmod"):
        return xp.fmod(x, y)
    r = xp.remainder(x, y)
    return xp.where((r != 0) & ((r < 0) != (x < 0)), r - y, r)

remainder = mod = binary(remainder_p, doc=(
    "Differentiable ``numpy.remainder`` (``numpy.mod``, the ``%`` operator): the result "
    "has the divisor's sign; d/dx = 1, d/dy = -floor(x / y) (as JAX)."))
fmod = binary(fmod_p, doc=(
    "Differentiable ``numpy.fmod``: the result has the dividend's sign; d/dx = 1, "
    "d/dy = -trunc(x / y) (as JAX)."))
