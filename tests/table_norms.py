"""Table cases: numpy.linalg's norms, condition numbers, matrix powers and products,
tensor inverses and solves, and its array-API aliases.

Inputs of absolute values are kept away from zero and inputs of singular values and
inverses are fixed well-conditioned matrices plus small random perturbations (a random
matrix may come near a repeated singular value or a singular matrix)."""
import functools

import numpy as np

from table import Arg, case as _case

_NOT_STD = "not in the array API standard"
_DASK = "dask.array.linalg factors square-chunked 2-d matrices only (no batched svd or inv)"
_SVD = "dask.array.linalg factors single-chunk 2-d matrices only"
case = _case
svd_case = functools.partial(_case, dask=_SVD)
INF = np.inf
NZ = dict(lo=0.5, hi=2.0, signed=True)
P = dict(lo=-0.1, hi=0.1)
B3 = np.array([[3.0, 0.5, 0.2], [0.3, -2.0, 0.4], [0.1, 0.6, 1.0]])
B43 = np.array([[3.0, 0.2, 0.1], [0.1, -2.0, 0.3], [0.2, 0.1, 1.0], [0.5, 0.4, 0.3]])


def _c(m, a, b):
    return a + 1j * b


def _r(m, z):
    return m.real(z) * 0.75 - m.imag(z) * 1.25


# ---------------------------------------------------------------- norm, vector_norm, matrix_norm
case("linalg.norm", "flattened", lambda m, x: m.linalg.norm(x), Arg(2, 3, **NZ))
case("linalg.norm", "p3_axis_keepdims", lambda m, x: m.linalg.norm(x, 3, axis=1, keepdims=True),
     Arg(2, 4, **NZ))
case("linalg.norm", "vector_minus_inf", lambda m, x: m.linalg.norm(x, -INF, 0), Arg(4, 2, **NZ))
svd_case("linalg.norm", "nuc_complex", lambda m, x, y, b: m.linalg.norm(_c(m, x + b, y), "nuc"),
     Arg(4, 3, **P), Arg(4, 3, **P), B43, diff=(0, 1))
svd_case("linalg.norm", "2_axes_reversed", lambda m, x, b: m.linalg.norm(
     x + b[:, None, :], 2, axis=(2, 0)), Arg(4, 2, 3, **P), B43, diff=(0,))
case("linalg.norm", "1_keepdims", lambda m, x: m.linalg.norm(x, 1, (0, 1), True), Arg(3, 4, **NZ))
case("linalg.norm", "minus_inf_fro", lambda m, x: m.stack(
     [m.linalg.norm(x, -INF, (1, 0)), m.linalg.norm(x, "fro", (0, 1))]), Arg(3, 4, **NZ))
case("linalg.vector_norm", "tuple_axis_p", lambda m, x: m.linalg.vector_norm(
     x, axis=(0, 2), ord=-1.5, keepdims=True), Arg(2, 3, 2, **NZ), strict=_NOT_STD)
case("linalg.vector_norm", "complex_1", lambda m, x, y: m.linalg.vector_norm(
     _c(m, x, y), axis=-1, ord=1), Arg(2, 3, **NZ), Arg(2, 3, **NZ))
svd_case("linalg.matrix_norm", "batched_minus2", lambda m, x, b: m.linalg.matrix_norm(
     x + b, ord=-2), Arg(2, 4, 3, **P), B43, diff=(0,))
case("linalg.matrix_norm", "fro_complex_keepdims", lambda m, x, y: m.linalg.matrix_norm(
     _c(m, x, y), keepdims=True), Arg(2, 2, 3, **NZ), Arg(2, 2, 3, **NZ))

# ---------------------------------------------------------------- matrix_power, multi_dot, cond
case("linalg.matrix_power", "5_batched", lambda m, x, b: m.linalg.matrix_power(
     0.5 * (x + b), 5), Arg(2, 3, 3, **P), B3, diff=(0,))
case("linalg.matrix_power", "minus3_complex", lambda m, x, y, b: _r(m, m.linalg.matrix_power(
     _c(m, x + b, y), -3)), Arg(3, 3, **P), Arg(3, 3, **P), B3, diff=(0, 1),
     dask=_DASK)
case("linalg.matrix_power", "0_and_1", lambda m, x: m.linalg.matrix_power(x, 0)
     + m.linalg.matrix_power(x, 1), Arg(2, 2))
case("linalg.multi_dot", "vector_ends", lambda m, a, b, c, d: m.linalg.multi_dot([a, b, c, d]),
     Arg(4), Arg(4, 2), Arg(2, 5), Arg(5), strict=_NOT_STD)
case("linalg.multi_dot", "matrices_complex", lambda m, a, b, c: _r(m, m.linalg.multi_dot(
     [a, _c(m, b, c), b.T])), Arg(2, 3), Arg(3, 4), Arg(3, 4), strict=_NOT_STD)
case("linalg.cond", "none_batched", lambda m, x, b: m.linalg.cond(x + b), Arg(2, 4, 3, **P), B43,
     diff=(0,), strict=_NOT_STD, dask=_DASK)
case("linalg.cond", "p_fro_1_minus2", lambda m, x, b: m.stack(
     [m.linalg.cond(x + b, p) for p in ("fro", 1, -INF, -2)]), Arg(3, 3, **P), B3, diff=(0,),
     strict=_NOT_STD, dask=_DASK)
# m.real: JAX's cond of a complex matrix has a complex dtype under NumPy 2.0.
case("linalg.cond", "nuc_complex", lambda m, x, y, b: m.real(m.linalg.cond(_c(m, x + b, y),
                                                                          "nuc")),
     Arg(3, 3, **P), Arg(3, 3, **P), B3, diff=(0, 1), strict=_NOT_STD, dask=_DASK)

# ---------------------------------------------------------------- tensorinv, tensorsolve
T4 = np.kron(B3[:2, :2], B3[1:, 1:]).reshape(2, 2, 2, 2)
case("linalg.tensorinv", "ind2", lambda m, x, b: m.linalg.tensorinv(x + b), Arg(2, 2, 2, 2, **P),
     T4, diff=(0,), strict=_NOT_STD)
case("linalg.tensorinv", "ind1_complex", lambda m, x, y, b: _r(m, m.linalg.tensorinv(
     _c(m, x + b, y), ind=1)), Arg(4, 2, 2, **P), Arg(4, 2, 2, **P), T4.reshape(4, 2, 2),
     diff=(0, 1), strict=_NOT_STD, dask=_DASK)
case("linalg.tensorsolve", "axes", lambda m, x, b, c: m.linalg.tensorsolve(
     x + b, c, axes=(0,)), Arg(4, 2, 2, **P), T4.reshape(2, 2, 4).transpose(2, 0, 1), Arg(2, 2),
     diff=(0, 2), strict=_NOT_STD, dask=_DASK)
case("linalg.tensorsolve", "complex", lambda m, x, y, b, c: _r(m, m.linalg.tensorsolve(
     _c(m, x + b, y), c)), Arg(2, 2, 4, **P), Arg(2, 2, 4, **P), T4.reshape(2, 2, 4),
     Arg(2, 2), diff=(0, 1, 3), strict=_NOT_STD, dask=_DASK)

# ---------------------------------------------------------------- array-API aliases
case("linalg.cross", "axis0", lambda m, x, y: m.linalg.cross(x, y, axis=0), Arg(3, 2), Arg(3, 1))
case("linalg.outer", "complex", lambda m, x, y: _r(m, m.linalg.outer(_c(m, x, y), x)),
     Arg(3), Arg(3))
case("linalg.trace", "offset_batched", lambda m, x: m.linalg.trace(x, offset=-1), Arg(2, 3, 4))
case("linalg.diagonal", "offset_batched", lambda m, x: m.linalg.diagonal(x, offset=1),
     Arg(2, 3, 4))
case("linalg.matmul", "broadcast", lambda m, x, y: m.linalg.matmul(x, y), Arg(2, 1, 3),
     Arg(3, 2))
case("linalg.vecdot", "complex_axis0", lambda m, x, y, z: _r(m, m.linalg.vecdot(
     _c(m, x, y), z, axis=0)), Arg(3, 2), Arg(3, 2), Arg(3, 1))
case("linalg.matrix_transpose", "batched", lambda m, x: m.linalg.matrix_transpose(x),
     Arg(2, 3, 4))
case("linalg.tensordot", "axes1", lambda m, x, y: m.linalg.tensordot(x, y, axes=1), Arg(2, 3),
     Arg(3, 2))
