"""Table cases: numpy.linalg's inverses, solves, determinants and decompositions.

Eigenvectors and singular vectors are defined up to a sign (a phase): the cases check
functions of them that do not depend on it (|v|^2, products rebuilding a matrix), as
JAX's own tests do.  Inputs are fixed matrices with well-separated eigenvalues and
singular values plus small random perturbations (drawn by hypothesis too): a random
matrix may come near a repeated eigenvalue or a singular matrix, where the derivatives
blow up.  The fixed matrices (and identities) are arguments (a case's own NumPy constants
would not run on other libraries' arrays).
"""
import functools

import numpy as np

from helpers import jax, jnp
from table import Arg, case as _case

_NOT_STD = "not in the array API standard"
# Dask factors one 2-d matrix held in one chunk (no stacks, no det, slogdet, eigh, eig or
# pinv), and its rules would need the same of every matrix they solve with.
case = functools.partial(_case, dask="dask.array.linalg factors single-chunk 2-d matrices only")
I3 = np.eye(3)
P = dict(lo=-0.1, hi=0.1)
B3 = np.array([[3.0, 0.5, 0.2], [0.3, -2.0, 0.4], [0.1, 0.6, 1.0]])     # eigenvalues near 3, -2, 1
C3 = np.array([[1.0, -2.0, 0.3], [1.5, 0.5, 0.2], [0.1, 0.4, -1.0]])    # a complex pair
S3 = np.array([[3.0, 0.4, 0.2], [0.4, 1.0, 0.3], [0.2, 0.3, -2.0]])     # symmetric
B43 = np.array([[3.0, 0.2, 0.1], [0.1, -2.0, 0.3], [0.2, 0.1, 1.0], [0.5, 0.4, 0.3]])
B24 = np.array([[3.0, 0.2, 0.1, 0.5], [0.1, -2.0, 0.3, 0.4]])
B32 = B43[:3, :2].copy()


def _c(m, a, b):
    return a + 1j * b


def _r(m, z):
    if not m.iscomplexobj(z):
        return z * 0.75
    return m.real(z) * 0.75 - m.imag(z) * 1.25


def _mT(m, x):
    return m.swapaxes(x, -1, -2)


def _H(m, z):
    return m.conj(_mT(m, z))


def _herm(m, a, b, e):
    """A Hermitian positive definite matrix from a, b (and the identity e)."""
    z = _c(m, a, b)
    return z @ _H(m, z) + 2.0 * e


def _hs(m, x, b):
    """The Hermitian part of x + b."""
    y = x + b
    return (y + _H(m, y)) * 0.5


def _abs2(m, z):
    return m.real(z * m.conj(z))


def _flat(m, *parts):
    return m.concatenate([m.reshape(p, (-1,)) for p in parts])


# ---------------------------------------------------------------- inv, solve, det, slogdet
case("linalg.inv", "3x3", lambda m, x, b: m.linalg.inv(x + b), Arg(3, 3, **P), B3, diff=(0,))
case("linalg.inv", "batched_complex", lambda m, x, y, b: _r(m, m.linalg.inv(_c(m, x + b, y))),
     Arg(2, 3, 3, **P), Arg(2, 3, 3, **P), B3, diff=(0, 1))
case("linalg.solve", "matrix_b", lambda m, a, b, c: m.linalg.solve(a + c, b),
     Arg(3, 3, **P), Arg(3, 2), B3, diff=(0, 1))
case("linalg.solve", "vector_b_batched_a", lambda m, a, b, c: m.linalg.solve(a + c, b),
     Arg(2, 3, 3, **P), Arg(3), B3, diff=(0, 1))
case("linalg.solve", "complex_broadcast",
     lambda m, x, y, c, b: _r(m, m.linalg.solve(_c(m, x + b, y), c)),
     Arg(2, 3, 3, **P), Arg(2, 3, 3, **P), Arg(1, 3, 2), B3, diff=(0, 1, 2))
case("linalg.det", "3x3", lambda m, x: m.linalg.det(x), Arg(3, 3))
case("linalg.det", "batched_complex", lambda m, a, b: _r(m, m.linalg.det(_c(m, a, b))),
     Arg(2, 3, 3), Arg(2, 3, 3))
# Rank 2 and rank 1: the derivative is the cofactor matrix (JAX's too), to second order.
case("linalg.det", "singular", lambda m, x: m.linalg.det(x),
     np.array([[[1.0, 2.0, 3.0], [2.0, 4.0, 6.0], [1.0, 0.0, 1.0]],
               [[1.0, 2.0, 3.0], [2.0, 4.0, 6.0], [-1.0, -2.0, -3.0]]]))
case("linalg.slogdet", "sign_logabsdet",
     lambda m, x, b: m.stack(list(m.linalg.slogdet(x + b))), Arg(2, 3, 3, **P), B3,
     diff=(0,))
case("linalg.slogdet", "complex",
     lambda m, x, y, b: m.stack([_r(m, v) for v in m.linalg.slogdet(_c(m, x + b, y))]),
     Arg(3, 3, **P), Arg(3, 3, **P), B3, diff=(0, 1))

# ---------------------------------------------------------------- cholesky
case("linalg.cholesky", "spd", lambda m, x, e: m.linalg.cholesky(x @ _mT(m, x) + e),
     Arg(2, 3, 3), I3, diff=(0,))
case("linalg.cholesky", "upper_complex",
     lambda m, a, b, e: _r(m, m.linalg.cholesky(_herm(m, a, b, e), upper=True)),
     Arg(3, 3), Arg(3, 3), I3, diff=(0, 1))

# ---------------------------------------------------------------- eigh, eigvalsh
case("linalg.eigh", "w_abs2v", lambda m, x, b: _flat(m, *(lambda w, v: (w, v * v))(
     *m.linalg.eigh(_hs(m, x, b)))), Arg(3, 3, **P), S3, diff=(0,))
case("linalg.eigh", "upper_complex", lambda m, x, y, b: _flat(m, *(lambda w, v: (
     w, _abs2(m, v)))(*m.linalg.eigh(_hs(m, _c(m, x, y), b), UPLO="U"))),
     Arg(3, 3, **P), Arg(3, 3, **P), S3, diff=(0, 1))
case("linalg.eigh", "svd_hermitian", lambda m, x, b: _flat(m, *(lambda u, s, vh: (s, u * vh.T))(
     *m.linalg.svd(_hs(m, x, b), hermitian=True))), Arg(3, 3, **P), S3, diff=(0,),
     strict=_NOT_STD)
case("linalg.eigvalsh", "batched", lambda m, x, b: m.linalg.eigvalsh(_hs(m, x, b)),
     Arg(2, 3, 3, **P), S3, diff=(0,))
case("linalg.eigvalsh", "complex", lambda m, x, y, b: m.linalg.eigvalsh(_hs(m, _c(m, x, y), b)),
     Arg(3, 3, **P), Arg(3, 3, **P), S3, diff=(0, 1))


# ---------------------------------------------------------------- eig, eigvals
def _eig(m, x):
    if m is jnp:        # JAX differentiates eigenvectors only when asked to
        w, v = jax.lax.linalg.eig(x, compute_left_eigenvectors=False,
                                  enable_eigvec_derivs=True)
        return w, v
    return m.linalg.eig(x)


case("linalg.eig", "real_w_abs2v", lambda m, x, b: _flat(m, *(lambda w, v: (
     m.real(w), m.imag(w), _abs2(m, v)))(*_eig(m, x + b))), Arg(3, 3, **P), B3, diff=(0,),
     strict=_NOT_STD)
case("linalg.eig", "complex_eigenvalues", lambda m, x, b: _flat(m, *(lambda w, v: (
     m.real(w), m.imag(w), _abs2(m, v), _abs2(m, v[0] * m.conj(v[1]))))(*_eig(m, x + b))),
     Arg(3, 3, **P), C3, diff=(0,), strict=_NOT_STD)
case("linalg.eig", "complex", lambda m, x, y, b: _flat(m, *(lambda w, v: (
     _r(m, w), _abs2(m, v)))(*_eig(m, _c(m, x + b, y)))), Arg(3, 3, **P), Arg(3, 3, **P), B3,
     diff=(0, 1), strict=_NOT_STD)
case("linalg.eigvals", "basic", lambda m, x, b: _r(
     m, _eig(m, x + b)[0] if m is jnp else m.linalg.eigvals(x + b)), Arg(3, 3, **P), C3,
     diff=(0,), strict=_NOT_STD)
case("linalg.eigvals", "complex", lambda m, x, y, b: _r(
     m, _eig(m, _c(m, x + b, y))[0] if m is jnp else m.linalg.eigvals(_c(m, x + b, y))),
     Arg(3, 3, **P), Arg(3, 3, **P), B3, diff=(0, 1), strict=_NOT_STD)


# ---------------------------------------------------------------- svd, svdvals
def _svd_parts(m, u, s, vh):
    return _flat(m, s, _abs2(m, u), _abs2(m, vh), _r(m, (u * s[..., None, :]) @ vh))


case("linalg.svd", "reduced_tall", lambda m, x, b: _svd_parts(
     m, *m.linalg.svd(x + b, full_matrices=False)), Arg(4, 3, **P), B43, diff=(0,))
case("linalg.svd", "square_full", lambda m, x, b: _svd_parts(m, *m.linalg.svd(x + b)),
     Arg(2, 3, 3, **P), B3, diff=(0,))
case("linalg.svd", "reduced_wide_complex", lambda m, x, y, b: _svd_parts(
     m, *m.linalg.svd(_c(m, x + b, y), full_matrices=False)), Arg(2, 4, **P), Arg(2, 4, **P),
     B24, diff=(0, 1))
case("linalg.svd", "s_only", lambda m, x, b: m.linalg.svd(x + b, compute_uv=False),
     Arg(3, 4, **P), B43.T.copy(), diff=(0,))
case("linalg.svdvals", "batched_complex", lambda m, x, y, b: m.linalg.svdvals(_c(m, x + b, y)),
     Arg(2, 3, 2, **P), Arg(2, 3, 2, **P), B32, diff=(0, 1))

# ---------------------------------------------------------------- qr
case("linalg.qr", "reduced_tall", lambda m, x, b: _flat(m, *m.linalg.qr(x + b)),
     Arg(4, 3, **P), B43, diff=(0,))
case("linalg.qr", "wide", lambda m, x, b: _flat(m, *m.linalg.qr(x + b)), Arg(2, 4, **P), B24,
     diff=(0,))
case("linalg.qr", "complex_batched", lambda m, x, y, b: _r(m, _flat(
     m, *m.linalg.qr(_c(m, x + b, y)))), Arg(2, 3, 3, **P), Arg(2, 3, 3, **P), B3, diff=(0, 1))
case("linalg.qr", "r_mode", lambda m, x, b: m.linalg.qr(x + b, mode="r"), Arg(3, 2, **P), B32,
     diff=(0,))

# ---------------------------------------------------------------- pinv, lstsq
case("linalg.pinv", "tall", lambda m, x, b: m.linalg.pinv(x + b), Arg(4, 3, **P), B43,
     diff=(0,))
case("linalg.pinv", "complex_wide", lambda m, x, y, b: _r(m, m.linalg.pinv(_c(m, x + b, y))),
     Arg(2, 4, **P), Arg(2, 4, **P), B24, diff=(0, 1))
case("linalg.pinv", "hermitian", lambda m, x, b: m.linalg.pinv(_hs(m, x, b), hermitian=True),
     Arg(3, 3, **P), S3, diff=(0,), strict="hermitian= is not in the array API standard")


def _lstsq(m, a, b):
    if m is jnp:
        x, res, _, s = jnp.linalg.lstsq(a, b)   # residuals: m > n, full rank
    else:
        x, res, _, s = m.linalg.lstsq(a, b)
    return _flat(m, x, res, s)


case("linalg.lstsq", "vector_b", lambda m, x, b, c: _lstsq(m, x + c, b), Arg(4, 3, **P), Arg(4),
     B43, diff=(0, 1), strict=_NOT_STD)
case("linalg.lstsq", "matrix_b_complex", lambda m, x, y, b, c: _r(m, _lstsq(m, _c(m, x + c, y), b)),
     Arg(4, 3, **P), Arg(4, 3, **P), Arg(4, 2), B43, diff=(0, 1, 2), strict=_NOT_STD)
