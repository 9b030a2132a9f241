"""numpy.linalg's norms, condition numbers, powers and products of matrices, tensor
inverses and solves, and numpy.linalg's array-API aliases, differentiable and batched
over leading axes as NumPy's are.

Every function is a composite of dualrev.numpy's primitives (2-norms and nuclear norms
through ``svdvals``, inverses through ``inv`` and ``solve``): its derivatives of every
order are those of the composition.  Untraced calls run NumPy's function.
"""
import operator

import numpy as np

from .. import backend, numpy as dnp
from ..core import strip
from ._decomp import LinAlgError, _as, _eye, _real_dtype, inv, solve, svdvals
from ._arrange import _arr
from ._dispatch import composite

__all__ = ["norm", "vector_norm", "matrix_norm", "matrix_power", "multi_dot", "cond"]

_INF = float("inf")


def _shape(x):
    return np.shape(strip(x))


def _cplx(x):
    return backend.is_complex(strip(x))


def _axis(ax, nd):
    return np.lib.array_utils.normalize_axis_index(operator.index(ax), nd)


def _abs2(x):
    return dnp.real(x * dnp.conj(x)) if _cplx(x) else x * x


def _vector(x, ord, axes, keepdims):
    """The ord-norm of x along axes (a tuple), as numpy.linalg.vector_norm."""
    if isinstance(ord, str):
        raise ValueError(f"Invalid norm order '{ord}' for vectors")
    if ord is None or ord == 2:
        return dnp.sqrt(dnp.sum(_abs2(x), axis=axes, keepdims=keepdims))
    if ord == _INF:
        return dnp.max(dnp.abs(x), axis=axes, keepdims=keepdims)
    if ord == -_INF:
        return dnp.min(dnp.abs(x), axis=axes, keepdims=keepdims)
    if ord == 0:
        return dnp.sum(dnp.astype(dnp.not_equal(x, 0), _real_dtype(x)), axis=axes,
                       keepdims=keepdims)
    if ord == 1:
        return dnp.sum(dnp.abs(x), axis=axes, keepdims=keepdims)
    p = float(ord)
    return dnp.power(dnp.sum(dnp.power(dnp.abs(x), p), axis=axes, keepdims=keepdims), 1.0 / p)


def _matrix(x, ord, row, col, keepdims):
    """The ord-norm of the matrices of x spanned by axes row and col (normalised)."""
    if row == col:
        raise ValueError("Duplicate axes given.")
    if ord in (2, -2, "nuc"):
        s = svdvals(dnp.moveaxis(x, (row, col), (-2, -1)))
        out = (dnp.max if ord == 2 else dnp.min if ord == -2 else dnp.sum)(s, axis=-1)
        return dnp.expand_dims(out, tuple(sorted((row, col)))) if keepdims else out
    if ord in (None, "fro"):
        return dnp.sqrt(dnp.sum(_abs2(x), axis=(row, col), keepdims=keepdims))
    if ord in (1, -1, _INF, -_INF):
        inner, outer = (row, col) if ord in (1, -1) else (col, row)
        red = dnp.max if ord > 0 else dnp.min
        s = dnp.sum(dnp.abs(x), axis=inner, keepdims=keepdims)
        return red(s, axis=outer if keepdims or outer < inner else outer - 1, keepdims=keepdims)
    raise ValueError("Invalid norm order for matrices.")


def _norm_np(x, ord=None, axis=None, keepdims=False):
    return np.linalg.norm(x, ord, axis, keepdims)


@composite(np.linalg.norm, name="linalg.norm")
def norm(x, ord=None, axis=None, keepdims=False):
    """Differentiable ``numpy.linalg.norm``: vector norms (ord None/2, inf, -inf, 0, 1 or
    any p) along one axis, matrix norms (None/'fro', 'nuc', 2, -2, 1, -1, inf, -inf) over
    a pair of axes.  At a zero vector the 2-norm's derivative is NaN, as JAX's (the norm
    has no derivative there; its directional derivatives are the tangent's norm).

        >>> dnp.linalg.norm(np.array([3.0, 4.0]))
        5.0
    """
    x = _arr(x)
    nd = len(_shape(x))
    if axis is None:
        if ord is None:
            return _vector(x, None, tuple(range(nd)), keepdims)
        if nd not in (1, 2):
            raise ValueError("Improper number of dimensions to norm.")
        axis = tuple(range(nd))
    elif not isinstance(axis, tuple):
        try:
            axis = (operator.index(axis),)
        except TypeError:
            raise TypeError("'axis' must be None, an integer or a tuple of integers") from None
    if len(axis) == 1:
        return _vector(x, ord, (_axis(axis[0], nd),), keepdims)
    if len(axis) == 2:
        return _matrix(x, ord, _axis(axis[0], nd), _axis(axis[1], nd), keepdims)
    raise ValueError("Improper number of dimensions to norm.")


def _vector_norm_np(x, /, *, axis=None, keepdims=False, ord=2):
    return np.linalg.vector_norm(x, axis=axis, keepdims=keepdims, ord=ord)


@composite(np.linalg.vector_norm, name="linalg.vector_norm")
def vector_norm(x, /, *, axis=None, keepdims=False, ord=2):
    """Differentiable ``numpy.linalg.vector_norm``: the ord-norm of the vectors along axis
    (an int, a tuple of axes taken together, or None: all of them).

        >>> dnp.linalg.vector_norm(np.ones((2, 2)), ord=1)
        4.0
    """
    x = _arr(x)
    nd = len(_shape(x))
    if axis is None:
        axes = tuple(range(nd))
    elif isinstance(axis, tuple):
        axes = tuple(_axis(a, nd) for a in axis)
        if len(set(axes)) != len(axes):
            raise ValueError("repeated axis")
    else:
        axes = (_axis(axis, nd),)
    return _vector(x, ord, axes, keepdims)


@composite(np.linalg.matrix_norm, name="linalg.matrix_norm")
def matrix_norm(x, /, *, keepdims=False, ord="fro"):
    """Differentiable ``numpy.linalg.matrix_norm``: the ord-norm of the matrices spanned by
    the last two axes.

        >>> dnp.linalg.matrix_norm(np.eye(2), ord="nuc")
        2.0
    """
    x = _arr(x)
    nd = len(_shape(x))
    return _matrix(x, ord, _axis(-2, nd), _axis(-1, nd), keepdims)


def _stacked_square(a):
    shape = _shape(a)
    if len(shape) < 2:
        raise LinAlgError(f"{len(shape)}-dimensional array given. Array must be at least "
                          f"two-dimensional")
    if shape[-1] != shape[-2]:
        raise LinAlgError("Last 2 dimensions of the array must be square")
    return shape


@composite(np.linalg.matrix_power, name="linalg.matrix_power")
def matrix_power(a, n):
    """Differentiable ``numpy.linalg.matrix_power``: a (..., M, M) to the integer power n,
    by repeated squaring; n < 0 raises the inverse to -n, n == 0 gives identities.

        >>> dnp.linalg.matrix_power(np.array([[1.0, 1.0], [0.0, 1.0]]), 3)
        array([[1., 3.],
               [0., 1.]])
    """
    a = _arr(a)
    shape = _stacked_square(a)
    try:
        n = operator.index(n)
    except TypeError as e:
        raise TypeError("exponent must be an integer") from e
    if n == 0:
        eye = _as(dnp.broadcast_to(_eye(shape[-1], a), shape), a)
        return dnp.where(eye != eye, a, eye)
    if n < 0:
        a, n = inv(a), -n
    result, z = None, a
    while True:
        if n & 1:
            result = z if result is None else dnp.matmul(result, z)
        n >>= 1
        if not n:
            return result
        z = dnp.matmul(z, z)


def _chain_order(dims):
    """split[i][j]: where the optimal product of matrices i..j (dims[i] x dims[i+1], ...)
    splits, by the classic dynamic programme over the number of scalar multiplications."""
    k = len(dims) - 1
    cost = [[0] * k for _ in range(k)]
    split = [[0] * k for _ in range(k)]
    for length in range(1, k):
        for i in range(k - length):
            j = i + length
            cost[i][j] = _INF
            for s in range(i, j):
                c = cost[i][s] + cost[s + 1][j] + dims[i] * dims[s + 1] * dims[j + 1]
                if c < cost[i][j]:
                    cost[i][j], split[i][j] = c, s
    return split


def _multi_dot_np(arrays, *, out=None):
    return np.linalg.multi_dot(arrays, out=out)


@composite(np.linalg.multi_dot, name="linalg.multi_dot")
def multi_dot(arrays, *, out=None):
    """Differentiable ``numpy.linalg.multi_dot``: the product of two or more arrays in the
    order of fewest multiplications; the first may be a vector (a row), the last a vector
    (a column), the others are matrices.

        >>> dnp.linalg.multi_dot([np.ones(2), np.eye(2), np.ones(2)])
        2.0
    """
    if out is not None:
        raise TypeError("multi_dot: out= is not supported for traced values")
    arrays = [_arr(x) for x in arrays]
    k = len(arrays)
    if k < 2:
        raise ValueError("Expecting at least two arrays.")
    if k == 2:
        return dnp.dot(arrays[0], arrays[1])
    first, last = len(_shape(arrays[0])), len(_shape(arrays[-1]))
    if first == 1:
        arrays[0] = dnp.expand_dims(arrays[0], 0)
    if last == 1:
        arrays[-1] = dnp.expand_dims(arrays[-1], 1)
    for x in arrays:
        if len(_shape(x)) != 2:
            raise LinAlgError(f"{len(_shape(x))}-dimensional array given. Array must be "
                              f"two-dimensional")
    dims = [_shape(x)[0] for x in arrays] + [_shape(arrays[-1])[1]]
    split = _chain_order(dims)

    def product(i, j):
        if i == j:
            return arrays[i]
        s = split[i][j]
        return dnp.dot(product(i, s), product(s + 1, j))

    result = product(0, k - 1)
    if first == 1 and last == 1:
        return result[0, 0]
    if first == 1:
        return result[0]
    if last == 1:
        return result[:, 0]
    return result


@composite(np.linalg.cond, name="linalg.cond")
def cond(x, p=None):
    """Differentiable ``numpy.linalg.cond``: the condition number of the matrices x (...,
    M, N) in the p-norm: the ratio of extreme singular values for p None, 2, -2 (any
    shape), ``norm(x, p) * norm(inv(x), p)`` otherwise (square matrices).

        >>> dnp.linalg.cond(np.diag([1.0, 4.0]))
        4.0
    """
    x = _arr(x)
    shape = _shape(x)
    if len(shape) < 2:
        raise LinAlgError(f"{len(shape)}-dimensional array given. Array must be at least "
                          f"two-dimensional")
    if p is None or p == 2 or p == -2:
        s = svdvals(x)
        if p == -2:
            return s[..., -1] / s[..., 0]
        return s[..., 0] / s[..., -1]
    _stacked_square(x)
    return (_matrix(x, p, len(shape) - 2, len(shape) - 1, False)
            * _matrix(inv(x), p, len(shape) - 2, len(shape) - 1, False))
