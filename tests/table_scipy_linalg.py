"""Table cases: dualrev.scipy.linalg against jax.scipy.linalg.  Matrices are fixed
well-conditioned ones plus small random perturbations (a random triangular matrix may come
near a zero on its diagonal)."""
import numpy as np

import dualrev.scipy.linalg as dsl
from helpers import jax, jnp
from table import Arg, case

_NS = "not in the array API standard"
_DASK = "dask.array.linalg factors single-chunk 2-d matrices only"
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
     diff=(0, 2), dask=_DASK)
case("scipy.linalg.solve_triangular", "lower_trans_vector_batched",
     lambda m, a, t, b: sl(m).solve_triangular(a + t, b, trans="T", lower=True),
     Arg(2, 3, 3, **P), T3, Arg(3), diff=(0, 2), dask=_DASK)
case("scipy.linalg.solve_triangular", "unit_diagonal_trans_N",
     lambda m, a, t, b: sl(m).solve_triangular(a + t, b, lower=True, unit_diagonal=True),
     Arg(3, 3, **P), T3, Arg(3, 2), diff=(0, 2), dask=_DASK)
case("scipy.linalg.solve_triangular", "complex_trans_C",
     lambda m, a, c, t, b, d: _r(m, sl(m).solve_triangular(_c(m, a + t, c), _c(m, b, d),
                                                             trans=2)),
     Arg(3, 3, **P), Arg(3, 3, **P), T3, Arg(3, 2), Arg(3, 2), diff=(0, 1, 3, 4), dask=_DASK)
case("scipy.linalg.solve_triangular", "complex_lower_trans_T",
     lambda m, a, c, t, b: _r(m, sl(m).solve_triangular(_c(m, a + t, c), b, trans=1,
                                                          lower=True)),
     Arg(3, 3, **P), Arg(3, 3, **P), T3, Arg(3, 2), diff=(0, 1, 3), dask=_DASK)
