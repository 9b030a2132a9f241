"""Table cases: dualrev.scipy.linalg against jax.scipy.linalg.  Matrices are fixed
well-conditioned ones plus small random perturbations (a random triangular matrix may come
near a zero on its diagonal)."""
import numpy as np

import dualrev.scipy.linalg as dsl
from helpers import jax, jnp
from table import Arg, case

_NS = "not in the array API standard"
_DASK = "dask.array.linalg factors single-chunk 2-d matrices only"
_DASK_TRI = "the check for a zero on the diagonal reads the values (computes the graph)"
_DASK_EXPM = "the scaling of expm reads the norm of the matrix (computes the graph)"
P = dict(lo=-0.3, hi=0.3)
T3 = np.array([[3.0, 0.5, -0.4], [0.7, -2.0, 0.6], [0.2, -0.8, 1.5]])


def sl(m):
    return jax.scipy.linalg if m is jnp else dsl


def _c(m, a, b):
    return a + 1j * b


def _r(m, z):
    return m.real(z) * 0.75 - m.imag(z) * 1.25


# ---------------------------------------------------------------- solve_triangular
case("scipy.linalg.solve_triangular", "upper_matrix",
     lambda m, a, t, b: sl(m).solve_triangular(a + t, b), Arg(3, 3, **P), T3, Arg(3, 2),
     diff=(0, 2), dask=_DASK_TRI)
case("scipy.linalg.solve_triangular", "lower_trans_vector_batched",
     lambda m, a, t, b: sl(m).solve_triangular(a + t, b, trans="T", lower=True),
     Arg(2, 3, 3, **P), T3, Arg(3), diff=(0, 2), dask=_DASK_TRI)
case("scipy.linalg.solve_triangular", "unit_diagonal_trans_N",
     lambda m, a, t, b: sl(m).solve_triangular(a + t, b, lower=True, unit_diagonal=True),
     Arg(3, 3, **P), T3, Arg(3, 2), diff=(0, 2), dask=_DASK_TRI)
case("scipy.linalg.solve_triangular", "complex_trans_C",
     lambda m, a, c, t, b, d: _r(m, sl(m).solve_triangular(_c(m, a + t, c), _c(m, b, d),
                                                             trans=2)),
     Arg(3, 3, **P), Arg(3, 3, **P), T3, Arg(3, 2), Arg(3, 2), diff=(0, 1, 3, 4), dask=_DASK_TRI)
case("scipy.linalg.solve_triangular", "complex_lower_trans_T",
     lambda m, a, c, t, b: _r(m, sl(m).solve_triangular(_c(m, a + t, c), b, trans=1,
                                                          lower=True)),
     Arg(3, 3, **P), Arg(3, 3, **P), T3, Arg(3, 2), diff=(0, 1, 3), dask=_DASK_TRI)


# ---------------------------------------------------------------- cholesky, cho_factor, cho_solve
def _spd(m, x, e):
    return x @ m.swapaxes(x, -1, -2) + e


def _hpd(m, x, y, e):
    z = _c(m, x, y)
    return z @ m.conj(m.swapaxes(z, -1, -2)) + e


I3 = np.eye(3)
case("scipy.linalg.cholesky", "upper_default", lambda m, x, e: sl(m).cholesky(_spd(m, x, e)),
     Arg(3, 3), I3, diff=(0,), dask=_DASK)
case("scipy.linalg.cholesky", "lower_complex",
     lambda m, x, y, e: _r(m, sl(m).cholesky(_hpd(m, x, y, e), lower=True)),
     Arg(3, 3), Arg(3, 3), I3, diff=(0, 1), dask=_DASK)
case("scipy.linalg.cho_factor", "lower",
     lambda m, x, e: sl(m).cho_factor(_spd(m, x, e), lower=True)[0], Arg(3, 3), I3,
     diff=(0,), dask=_DASK)
case("scipy.linalg.cho_solve", "upper_matrix_b",
     lambda m, x, e, b: sl(m).cho_solve(sl(m).cho_factor(_spd(m, x, e)), b),
     Arg(3, 3), I3, Arg(3, 2), diff=(0, 2), dask=_DASK)
case("scipy.linalg.cho_solve", "lower_complex_vector_b",
     lambda m, x, y, e, b: _r(m, sl(m).cho_solve(sl(m).cho_factor(_hpd(m, x, y, e), lower=True),
                                                 b)),
     Arg(3, 3), Arg(3, 3), I3, Arg(3), diff=(0, 1, 3), dask=_DASK)

# ---------------------------------------------------------------- block_diag
case("scipy.linalg.block_diag", "mixed_ranks",
     lambda m, a, b, c: sl(m).block_diag(a, b, c), Arg(2, 2), Arg(3), Arg(1, 2), strict=_NS,
     dask=_NS)
case("scipy.linalg.block_diag", "complex",
     lambda m, a, b, c: _r(m, sl(m).block_diag(_c(m, a, b), c)), Arg(2, 3), Arg(2, 3),
     Arg(1, 1), strict=_NS, dask=_NS)

# ---------------------------------------------------------------- solve, inv, det
case("scipy.linalg.solve", "general", lambda m, a, t, b: sl(m).solve(a + t, b),
     Arg(3, 3, **P), T3, Arg(3, 2), diff=(0, 2), dask=_DASK)
# JAX's reverse mode of assume_a="pos" on a complex Hermitian matrix disagrees with its
# forward mode (tests/test_scipy_linalg.py); the complex case solves the general system.
case("scipy.linalg.solve", "pos_lower", lambda m, x, e, b: sl(m).solve(
     _spd(m, x, e), b, assume_a="pos", lower=True), Arg(3, 3), I3, Arg(3), diff=(0, 2),
     dask=_DASK)
case("scipy.linalg.solve", "complex_batched",
     lambda m, x, y, t, b: _r(m, sl(m).solve(_c(m, x + t, y), b)),
     Arg(2, 3, 3, **P), Arg(2, 3, 3, **P), T3, Arg(2, 3, 2), diff=(0, 1, 3), dask=_DASK)
case("scipy.linalg.solve", "transposed",
     lambda m, x, t, b: jnp.linalg.solve(jnp.swapaxes(x + t, -1, -2), b) if m is jnp else
     sl(m).solve(x + t, b, transposed=True), Arg(3, 3, **P), T3, Arg(3, 2), diff=(0, 2),
     dask=_DASK)
case("scipy.linalg.inv", "basic", lambda m, a, t: sl(m).inv(a + t), Arg(3, 3, **P), T3,
     diff=(0,), dask=_DASK)
case("scipy.linalg.det", "complex", lambda m, a, b: _r(m, sl(m).det(_c(m, a, b))),
     Arg(3, 3), Arg(3, 3), dask=_DASK)

# ---------------------------------------------------------------- lu_factor, lu_solve
# Perturbations small enough that the pivots stay those of T3 (and of its permutations).
Q = dict(lo=-0.1, hi=0.1)
T3P = T3[[2, 0, 1]]
case("scipy.linalg.lu_factor", "pivoted", lambda m, a, t: sl(m).lu_factor(a + t)[0],
     Arg(3, 3, **Q), T3P, diff=(0,), strict=_NS, dask=_NS)
case("scipy.linalg.lu_factor", "batched_complex",
     lambda m, a, c, t: _r(m, sl(m).lu_factor(_c(m, a + t, c))[0]),
     Arg(2, 3, 3, **Q), Arg(2, 3, 3, **Q), T3P, diff=(0, 1), strict=_NS, dask=_NS)
case("scipy.linalg.lu_solve", "matrix_b",
     lambda m, a, t, b: sl(m).lu_solve(sl(m).lu_factor(a + t), b), Arg(3, 3, **Q), T3P,
     Arg(3, 2), diff=(0, 2), strict=_NS, dask=_NS)
case("scipy.linalg.lu_solve", "complex_trans_C_vector_b",
     lambda m, a, c, t, b: _r(m, sl(m).lu_solve(sl(m).lu_factor(_c(m, a + t, c)), b, trans=2)),
     Arg(3, 3, **Q), Arg(3, 3, **Q), T3P, Arg(3), diff=(0, 1, 3), strict=_NS, dask=_NS)
case("scipy.linalg.lu_solve", "trans_T",
     lambda m, a, t, b: sl(m).lu_solve(sl(m).lu_factor(a + t), b, trans=1), Arg(3, 3, **Q),
     T3P, Arg(3, 2), diff=(0, 2), strict=_NS, dask=_NS)

# ---------------------------------------------------------------- expm, sqrtm
case("scipy.linalg.expm", "3x3", lambda m, a: sl(m).expm(a), Arg(3, 3, lo=-1, hi=1),
     dask=_DASK_EXPM)
case("scipy.linalg.expm", "large_norm_batched", lambda m, a, t: sl(m).expm(a + t),
     Arg(2, 3, 3, **P), T3, diff=(0,), dask=_DASK_EXPM)
case("scipy.linalg.expm", "complex", lambda m, a, b: _r(m, sl(m).expm(_c(m, a, b))),
     Arg(3, 3, lo=-1, hi=1), Arg(3, 3, lo=-1, hi=1), dask=_DASK_EXPM)


def _sqrtm(m, a):
    """JAX does not differentiate sqrtm: its side takes the root of a Hermitian positive
    definite a through eigh."""
    if m is jnp:
        w, v = jnp.linalg.eigh(a)
        return (v * jnp.sqrt(w)[..., None, :]) @ jnp.conj(jnp.swapaxes(v, -1, -2))
    return dsl.sqrtm(a)


S3 = np.array([[3.0, 0.4, 0.2], [0.4, 1.5, 0.3], [0.2, 0.3, 2.2]])
_EIG = "eig is not in the array API standard"
case("scipy.linalg.sqrtm", "spd", lambda m, x, s: _sqrtm(m, (x + m.swapaxes(x, -1, -2)) + s),
     Arg(3, 3, lo=-0.2, hi=0.2), S3, diff=(0,), strict=_EIG, dask=_NS)
case("scipy.linalg.sqrtm", "hermitian_complex_batched",
     lambda m, x, y, s: _r(m, _sqrtm(m, _c(m, x + m.swapaxes(x, -1, -2), y - m.swapaxes(y, -1, -2))
                                     + s)),
     Arg(2, 3, 3, lo=-0.2, hi=0.2), Arg(2, 3, 3, lo=-0.2, hi=0.2), S3, diff=(0, 1),
     strict=_EIG, dask=_NS)
