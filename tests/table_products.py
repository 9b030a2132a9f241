"""Table cases: products (tensordot, inner, vdot, kron, cross, convolve, correlate, vecdot,
matvec, vecmat, trace), polynomials and the differentiable constructors."""
import warnings

import numpy as np

from helpers import jax, jnp
from table import Arg, case


def _c(m, a, b):
    return a + 1j * b


def _r(m, z):
    return m.real(z) * 0.75 - m.imag(z) * 1.25


def _as(m, y, x):
    """y in x's dtype: NumPy computes vander, polyder, polyint, polyfit and geomspace of
    float32 values in float64 (JAX in float32); the cases compare in the input's dtype."""
    return m.astype(y, x.dtype)


_NOT_STD = "not in the array API standard"
_EIG = "eigvals is not in the array API standard nor in Dask"
_LSTSQ = "lstsq is not in the array API standard; Dask's factors single-chunk matrices only"
_TRIM = "the remainder's leading zeros are found from its values (computed)"
_PAIRS = ("whether the roots come in conjugate pairs (a real result) is read from their "
          "values (NumPy's only)")

# ---------------------------------------------------------------- products
case("tensordot", "axes_pairs", lambda m, a, b: m.tensordot(a, b, axes=([1, 0], [0, 2])),
     Arg(2, 3, 2), Arg(3, 2, 2))
case("tensordot", "int_axes", lambda m, a, b: m.tensordot(a, b, 1), Arg(2, 3), Arg(3, 2))
case("tensordot", "complex", lambda m, a, b, c: _r(m, m.tensordot(_c(m, a, b), c)),
     Arg(2, 2, 3), Arg(2, 2, 3), Arg(2, 3, 2))
case("inner", "matrices", lambda m, a, b: m.inner(a, b), Arg(2, 3), Arg(4, 3))
case("inner", "complex", lambda m, a, b, c: _r(m, m.inner(_c(m, a, b), c)), Arg(3), Arg(3),
     Arg(2, 3))
case("vdot", "matrices", lambda m, a, b: m.vdot(a, b), Arg(2, 3), Arg(2, 3))
case("vdot", "complex", lambda m, a, b, c: _r(m, m.vdot(_c(m, a, b), _c(m, c, a))), Arg(4),
     Arg(4), Arg(4))
case("kron", "matrices", lambda m, a, b: m.kron(a, b), Arg(2, 2), Arg(3, 2))
case("kron", "complex_ranks", lambda m, a, b, c: _r(m, m.kron(_c(m, a, b), c)), Arg(2),
     Arg(2), Arg(2, 3))
case("cross", "vectors3_bcast", lambda m, a, b: m.cross(a, b), Arg(2, 3), Arg(3))
case("cross", "axes", lambda m, a, b: m.cross(a, b, axisa=0, axisb=1, axisc=0), Arg(3, 2),
     Arg(2, 3))


def _cross2(m, a, b):
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", DeprecationWarning)
        return m.concatenate([m.ravel(m.cross(a, b)), m.cross(a, b[:, :2])])


case("cross", "vectors2", _cross2, Arg(2, 2), Arg(2, 3))
case("cross", "complex", lambda m, a, b, c: _r(m, m.cross(_c(m, a, b), c)), Arg(3), Arg(3),
     Arg(3))
case("convolve", "full", lambda m, a, v: m.convolve(a, v), Arg(5), Arg(3))
case("convolve", "same_short_first", lambda m, a, v: m.convolve(a, v, mode="same"), Arg(3),
     Arg(4))
case("convolve", "valid_complex", lambda m, a, b, v: _r(m, m.convolve(_c(m, a, b), v, "valid")),
     Arg(5), Arg(5), Arg(2))
case("correlate", "valid", lambda m, a, v: m.correlate(a, v), Arg(5), Arg(3))
case("correlate", "same_short_first_complex",
     lambda m, a, b, v: _r(m, m.correlate(a, _c(m, v, b), mode="same")), Arg(2), Arg(4),
     Arg(4))
case("correlate", "full_complex", lambda m, a, b, v: _r(m, m.correlate(_c(m, a, b), v, "full")),
     Arg(4), Arg(4), Arg(3))
case("vecdot", "axis0_bcast", lambda m, a, b: m.vecdot(a, b, axis=0), Arg(3, 2), Arg(3, 1))
case("vecdot", "complex", lambda m, a, b, c: _r(m, m.vecdot(_c(m, a, b), _c(m, c, a))),
     Arg(2, 3), Arg(2, 3), Arg(2, 3))
case("matvec", "bcast", lambda m, a, b: m.matvec(a, b), Arg(2, 2, 3), Arg(3))
case("matvec", "complex", lambda m, a, b, c: _r(m, m.matvec(_c(m, a, b), c)), Arg(2, 3),
     Arg(2, 3), Arg(2, 3))
case("vecmat", "bcast", lambda m, a, b: m.vecmat(a, b), Arg(3), Arg(2, 3, 2))
case("vecmat", "complex", lambda m, a, b, c: _r(m, m.vecmat(_c(m, a, b), c)), Arg(3), Arg(3),
     Arg(3, 2))
case("trace", "offset_axes", lambda m, a: m.trace(a, 1, 2, 0), Arg(3, 2, 4))
case("trace", "negative_offset_method", lambda m, a: a.trace(-1), Arg(3, 3))
case("trace", "complex", lambda m, a, b: _r(m, m.trace(_c(m, a, b))), Arg(3, 3), Arg(3, 3))

# ---------------------------------------------------------------- polynomials
case("polyval", "arrays", lambda m, p, x: m.polyval(p, x), Arg(4), Arg(2, 3))
case("polyval", "complex_x", lambda m, p, a, b: _r(m, m.polyval(p, _c(m, a, b))), Arg(3),
     Arg(2), Arg(2))
case("polyder", "m2", lambda m, p: _as(m, m.polyder(p, 2), p), Arg(5))
case("polyder", "complex", lambda m, a, b: _as(m, _r(m, m.polyder(_c(m, a, b))), a), Arg(4),
     Arg(4))
case("polyint", "m2_k", lambda m, p, k: _as(m, m.polyint(p, 2, k), p), Arg(3), Arg(2))
case("polyint", "complex", lambda m, a, b: _as(m, _r(m, m.polyint(_c(m, a, b))), a), Arg(3),
     Arg(3))
case("polyadd", "lengths", lambda m, a, b: m.polyadd(a, b), Arg(2), Arg(4))
case("polysub", "lengths", lambda m, a, b: m.polysub(a, b), Arg(4), Arg(2))
case("polymul", "complex", lambda m, a, b, c: _r(m, m.polymul(_c(m, a, b), c)), Arg(3),
     Arg(3), Arg(2))


def _polydiv(m, u, v):
    """The quotient, and the remainder's last len(v) - 1 entries (JAX keeps the leading
    zeros of the remainder, NumPy drops them)."""
    q, r = m.polydiv(u, v)
    return m.concatenate([q, r[-(v.shape[0] - 1):]])


case("polydiv", "quotient_remainder", _polydiv, Arg(5), Arg(3, lo=0.5, hi=2, signed=True),
     strict=_TRIM, dask=_TRIM)


def _jax_roots(p):
    """The eigenvalues of p's companion matrix, as jnp.roots, with the eigenvector
    derivatives JAX's eigenvalue derivative needs enabled (jnp.roots has them off)."""
    n = p.shape[0] - 1
    a = jnp.zeros((n, n), p.dtype).at[0].set(-p[1:] / p[0]) + jnp.eye(n, k=-1, dtype=p.dtype)
    return jax.lax.linalg.eig(a, compute_left_eigenvectors=False, enable_eigvec_derivs=True)[0]


def _roots(m, p):
    r = _jax_roots(p) if m is jnp else m.roots(p)
    return m.stack([m.real(r), m.imag(r)])


case("roots", "real_roots", _roots, np.poly([2.0, -1.0, 0.5]) * 1.5, strict=_EIG, dask=_EIG)
case("roots", "complex_roots", _roots, Arg(4, lo=0.5, hi=2, signed=True), strict=_EIG,
     dask=_EIG)
case("roots", "complex_coefficients", lambda m, a, b: _roots(m, _c(m, a, b)),
     Arg(3, lo=0.5, hi=2, signed=True), Arg(3), strict=_EIG, dask=_EIG)
case("poly", "real_roots", lambda m, r: m.poly(r), Arg(3))
case("poly", "complex_roots", lambda m, a, b: _r(m, m.poly(_c(m, a, b))), Arg(2), Arg(2),
     strict=_PAIRS, dask=_PAIRS)
case("vander", "N4", lambda m, x: _as(m, m.vander(x, 4), x), Arg(3))
# JAX's vander is x ** arange(N), whose derivative at 0 ** 0 is nan; the reference
# builds the same columns from integer powers, whose derivatives are exact at 0.
case("vander", "increasing_at_zero", lambda m, x: _as(m, m.vander(x, increasing=True), x)
     if m is not jnp else jnp.stack([x ** k for k in range(3)], axis=1),
     np.array([0.0, 1.5, -0.5]))

def _spread(x):
    """x (|x| <= 2) moved to distinct abscissae 5 apart: drawn values never make the
    fit's matrix singular (all x equal), where NumPy's polyfit raises or warns."""
    return x + np.arange(x.shape[0]) * 5.0


case("polyfit", "deg2", lambda m, x, y: _as(m, m.polyfit(_spread(x), y, 2), x), Arg(6),
     Arg(6), strict=_LSTSQ, dask=_LSTSQ)
case("polyfit", "weights_2d", lambda m, x, y, w: _as(m, m.polyfit(_spread(x), y, 1, w=w), x),
     Arg(5), Arg(5, 2), Arg(5, lo=0.5, hi=2), strict=_LSTSQ, dask=_LSTSQ)
case("polyfit", "cov", lambda m, x, y: _as(m, m.polyfit(_spread(x), y, 1, cov=True)[1], x),
     Arg(5), Arg(5), strict=_LSTSQ, dask=_LSTSQ)

# ---------------------------------------------------------------- constructors
case("full", "fill", lambda m, s: m.full((2, 3), s), Arg())
case("full_like", "fill", lambda m, p, s: m.full_like(p, s), np.ones((3, 2)), Arg(),
     diff=(1,))
case("linspace", "arrays_axis1", lambda m, a, b: m.linspace(a, b, 4, axis=1), Arg(2), Arg(3, 2))
case("linspace", "no_endpoint_retstep",
     lambda m, a, b: (lambda s, d: s * d)(*m.linspace(a, b, 4, endpoint=False, retstep=True)),
     Arg(1), Arg(1))
case("logspace", "base", lambda m, a, b, c: m.logspace(a, b, 4, base=c), Arg(), Arg(2),
     Arg(lo=0.5, hi=3))
case("geomspace", "signs", lambda m, a, b: _as(m, m.geomspace(a, b * m.sign(a), 4), a),
     Arg(2, lo=0.5, hi=3, signed=True), Arg(2, lo=0.5, hi=3))
case("geomspace", "complex_axis", lambda m, a, b, c: _as(m, _r(m, m.geomspace(
     _c(m, a, b), c, 3, axis=1)), a),
     Arg(2, lo=0.5, hi=2), Arg(2), Arg(2, lo=0.5, hi=2))
