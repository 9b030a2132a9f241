"""Table cases: inverse trigonometric and hyperbolic functions, logarithms and
exponentials, sinc, i0, hypot, logaddexp, copysign, fmax/fmin, ldexp, frexp, modf,
divmod, float_power, clip, nan_to_num."""
import numpy as np

from table import Arg, F32, case

_NOT_STD = "not in the array API standard"
_OWN_ARRAYS = ("the case's function holds NumPy arrays of its own; array_api_strict refuses "
               "them in its operations")


def _c(m, a, b):
    return a + 1j * b


def _r(m, z):
    return m.real(z) * 0.75 - m.imag(z) * 1.25


# ---------------------------------------------------------------- one argument
# name: (real inputs, complex inputs: real part, imaginary part (None: real only))
_UNARY = {
    "arcsin": (dict(lo=-0.9, hi=0.9), dict(lo=-0.8, hi=0.8), dict()),
    "arccos": (dict(lo=-0.9, hi=0.9), dict(lo=-0.8, hi=0.8), dict()),
    "arctan": (dict(), dict(), dict(lo=-0.7, hi=0.7)),
    "arcsinh": (dict(), dict(), dict(lo=-0.7, hi=0.7)),
    "arccosh": (dict(lo=1.2, hi=3.0), dict(lo=0.3, hi=2.0), dict(lo=0.3, hi=1.0, signed=True)),
    "arctanh": (dict(lo=-0.9, hi=0.9), dict(lo=-0.8, hi=0.8), dict()),
    "log1p": (dict(lo=-0.5, hi=2.0), dict(lo=-0.3, hi=2.0), dict(lo=-1.0, hi=1.0)),
    "expm1": (dict(), dict(lo=-1.5, hi=1.5), dict(lo=-1.0, hi=1.0)),
    "log2": (dict(lo=0.2, hi=3.0), dict(lo=0.3, hi=2.0), dict(lo=-1.0, hi=1.0)),
    "log10": (dict(lo=0.2, hi=3.0), dict(lo=0.3, hi=2.0), dict(lo=-1.0, hi=1.0)),
    "exp2": (dict(), dict(lo=-1.5, hi=1.5), dict(lo=-1.0, hi=1.0)),
    "reciprocal": (dict(lo=0.5, hi=2.0, signed=True), dict(lo=0.5, hi=2.0), dict()),
    "sinc": (dict(lo=-3.0, hi=3.0), dict(lo=-1.5, hi=1.5), dict(lo=-1.0, hi=1.0)),
    "positive": (dict(), dict(), dict()),
    "cbrt": (dict(lo=0.3, hi=2.0, signed=True), None, None),
    "i0": (dict(lo=-3.0, hi=3.0), None, None),
    "deg2rad": (dict(lo=-90.0, hi=90.0), None, None),
    "rad2deg": (dict(), None, None),
    "fabs": (dict(lo=0.3, hi=2.0, signed=True), None, None),
}
for _name, (_kw, _re, _im) in _UNARY.items():
    case(_name, "2x3", lambda m, x, _n=_name: getattr(m, _n)(x), Arg(2, 3, **_kw))
    if _re is not None:
        case(_name, "complex", lambda m, a, b, _n=_name: _r(m, getattr(m, _n)(_c(m, a, b))),
             Arg(2, 3, **_re), Arg(2, 3, **_im))
case("arcsin", "numpy2_aliases", lambda m, x: m.asin(x) + m.acos(x) * m.atan(x) + m.asinh(x)
     * m.atanh(x) + m.acosh(x + 2.0), Arg(2, 3, lo=-0.9, hi=0.9))
case("deg2rad", "radians_degrees", lambda m, x: m.radians(m.degrees(x) * x), Arg(3))
case("exp2", "0d", lambda m, x: m.exp2(x), Arg())
# sinc's derivatives at 0 (and nearby), every order finite: sinc'(0) = 0, sinc''(0) = -pi^2/3.
case("sinc", "at_zero", lambda m, x: m.sinc(x), np.array([0.0, 0.5, -1.5, 2.0]))
case("sinc", "composed", lambda m, x: m.sinc(m.sin(x) * 2.0), Arg(2, 2))
# i0 far from 0, where the derivative's integral needs more nodes.
case("i0", "large", lambda m, x: m.i0(x), Arg(3, lo=15.0, hi=40.0, signed=True))

# ---------------------------------------------------------------- two arguments
_DIVISOR = dict(lo=0.5, hi=2.0, signed=True)
for _name in ("arctan2", "hypot", "logaddexp", "logaddexp2", "copysign", "fmax", "fmin"):
    _ky = _DIVISOR if _name in ("arctan2", "copysign") else {}
    case(_name, "same_2x3", lambda m, x, y, _n=_name: getattr(m, _n)(x, y), Arg(2, 3),
         Arg(2, 3, **_ky))
    case(_name, "bcast_3x1_4", lambda m, x, y, _n=_name: getattr(m, _n)(x, y), Arg(3, 1),
         Arg(4, **_ky))
case("arctan2", "atan2_const_x", lambda m, y: m.atan2(y, -1.5), Arg(2, 3))
case("hypot", "zeros", lambda m, x, y: m.hypot(x, y), np.array([0.0, 0.0, 3.0, -1.0]),
     np.array([0.0, 2.0, 0.0, 0.5]), fd=False)
case("logaddexp", "bcast_0d_2x3_far_apart", lambda m, x, y: m.logaddexp(x, y),
     Arg(lo=30.0, hi=40.0), Arg(2, 3))
case("copysign", "signed_zeros", lambda m, x, y: m.copysign(x, y),
     np.array([0.0, -0.0, 2.0, -2.0, 0.0]), np.array([-1.0, 1.0, -0.0, 0.0, 0.0]), fd=False,
     strict=_OWN_ARRAYS)
case("fmax", "nan_and_ties", lambda m, x, y: m.fmax(x, y),
     np.array([np.nan, 1.0, np.nan, 2.0, 0.5]), np.array([1.0, np.nan, np.nan, 2.0, 0.7]),
     fd=False)
case("fmin", "nan_and_ties", lambda m, x, y: m.fmin(x, y),
     np.array([np.nan, 1.0, np.nan, 2.0, 0.5]), np.array([1.0, np.nan, np.nan, 2.0, 0.7]),
     fd=False)
for _name in ("fmax", "fmin"):   # complex values are ordered lexicographically, as NumPy
    case(_name, "complex", lambda m, a, b, c, d, _n=_name: _r(m, getattr(m, _n)(
        _c(m, a, b), _c(m, c, d))), Arg(2, 3), Arg(2, 3), Arg(3), Arg(3),
        strict="the standard orders real values only")
case("ldexp", "int_exponents", lambda m, x: m.ldexp(x, np.array([1, -2, 3], dtype=np.int32)),
     Arg(2, 3), strict=_NOT_STD)

# float_power computes in float64 whatever the inputs (the cast to the input's dtype
# keeps the float32 run's dtypes those of JAX, whose float_power keeps float32).
case("float_power", "2x3", lambda m, x, y: m.astype(m.float_power(x, y), x.dtype),
     Arg(2, 3, lo=0.5, hi=2.0), Arg(2, 3, lo=-1.5, hi=2.5), strict=_NOT_STD)
case("float_power", "complex", lambda m, a, b: m.astype(
    _r(m, m.float_power(_c(m, a, b), 1.5)), a.dtype), Arg(3, lo=0.5, hi=2.0), Arg(3),
    strict=_NOT_STD)

# ---------------------------------------------------------------- clip, nan_to_num
case("clip", "python_bounds", lambda m, x: m.clip(x, -0.5, 1.0), Arg(2, 3))
case("clip", "traced_bounds", lambda m, x, lo, hi: m.clip(x, lo, hi), Arg(2, 3),
     Arg(3, lo=-1.5, hi=-0.2), Arg(2, 1, lo=0.2, hi=1.5))
case("clip", "upper_only_method", lambda m, x: x.clip(None, 0.5), Arg(2, 3))
# At the bounds the derivative is shared 0.5/0.5 with the bound (0.25/0.25/0.5 where
# a_min = a_max), as JAX.
case("clip", "at_bounds", lambda m, x, lo, hi: m.clip(x, lo, hi),
     np.array([-1.0, 1.0, 0.5, 2.0, 0.0]), np.array([-1.0, -1.0, -1.0, 2.0, 1.0]),
     np.array([1.0, 1.0, 1.0, 2.0, -1.0]), fd=False)

_NONFINITE = np.array([1.5, np.nan, np.inf, -np.inf, -0.5])
case("nan_to_num", "nonfinite", lambda m, x: m.nan_to_num(x), _NONFINITE,
     f32="infinities become the dtype's largest finite number")
case("nan_to_num", "keywords", lambda m, x: m.nan_to_num(x * 2.0, nan=1.5, posinf=3.0,
                                                         neginf=-3.0), _NONFINITE)
case("nan_to_num", "complex_parts", lambda m, a, b: _r(m, m.nan_to_num(
    _c(m, a, b) + np.array([0j, complex(0.0, np.inf), complex(np.nan, 1.0),
                            complex(-np.inf, np.nan)]), posinf=9.0, neginf=-9.0)),
    Arg(4), Arg(4), strict=_OWN_ARRAYS,
    f32="the case's complex128 constants make the result complex128")

# ---------------------------------------------------------------- tuples: frexp, modf, divmod
case("frexp", "ldexp_of_parts", lambda m, x: m.ldexp(m.frexp(x)[0] * x, m.frexp(x)[1]),
     Arg(2, 3, lo=0.3, hi=5.0, signed=True), strict=_NOT_STD)
case("modf", "both_parts", lambda m, x: m.modf(x)[0] * x + m.modf(x)[1] * 0.5,
     Arg(2, 3, lo=-4.0, hi=4.0), strict=_NOT_STD)
case("divmod", "both_parts", lambda m, x, y: m.divmod(x, y)[1] * x + m.divmod(x, y)[0],
     Arg(2, 3, lo=-4.0, hi=4.0), Arg(3, **_DIVISOR))
