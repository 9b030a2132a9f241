"""numpy.linalg's norms, condition numbers, powers and products of matrices, tensor
inverses and solves, and numpy.linalg's array-API aliases, differentiable and batched
over leading axes as NumPy's are.

Every function is a composite of dualrev.numpy's primitives (2-norms and nuclear norms
through ``svdvals``, inverses through ``inv`` and ``solve``): its derivatives of every
order are those of the composition.  Untraced calls run NumPy's function.
"""
import math
import operator

import numpy as np

from .. import backend, numpy as dnp
from ..core import strip
from ._decomp import LinAlgError, _as, _eye, _real_dtype, _square_shape, inv, solve, svdvals
from ._arrange import _arr
from ._dispatch import composite, dispatching_composite

__all__ = ["norm", "vector_norm", "matrix_norm", "matrix_power", "multi_dot", "cond",
           "tensorinv", "tensorsolve", "cross", "outer", "trace", "diagonal", "matmul",
           "vecdot", "matrix_transpose", "tensordot"]

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


@dispatching_composite(np.linalg.norm, name="linalg.norm", one_array=True)
def norm(x, ord=None, axis=None, keepdims=False):
    """Differentiable ``numpy.linalg.norm``: vector norms (ord None/2, inf, -inf, 0, 1 or
    any p) along one axis, matrix norms (None/'fro', 'nuc', 2, -2, 1, -1, inf, -inf) over
    a pair of axes.  At a zero vector the 2-norm's derivative is NaN, as JAX's (the norm
    has no derivative there; its directional derivatives are the tangent's norm).

        >>> float(dnp.linalg.norm(np.array([3.0, 4.0])))
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


@dispatching_composite(np.linalg.vector_norm, name="linalg.vector_norm", one_array=True)
def vector_norm(x, /, *, axis=None, keepdims=False, ord=2):
    """Differentiable ``numpy.linalg.vector_norm``: the ord-norm of the vectors along axis
    (an int, a tuple of axes taken together, or None: all of them).

        >>> float(dnp.linalg.vector_norm(np.ones((2, 2)), ord=1))
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


@dispatching_composite(np.linalg.matrix_norm, name="linalg.matrix_norm", one_array=True)
def matrix_norm(x, /, *, keepdims=False, ord="fro"):
    """Differentiable ``numpy.linalg.matrix_norm``: the ord-norm of the matrices spanned by
    the last two axes.

        >>> float(dnp.linalg.matrix_norm(np.eye(2), ord="nuc"))
        2.0
    """
    x = _arr(x)
    nd = len(_shape(x))
    return _matrix(x, ord, _axis(-2, nd), _axis(-1, nd), keepdims)


@dispatching_composite(np.linalg.matrix_power, name="linalg.matrix_power", one_array=True)
def matrix_power(a, n):
    """Differentiable ``numpy.linalg.matrix_power``: a (..., M, M) to the integer power n,
    by repeated squaring; n < 0 raises the inverse to -n, n == 0 gives identities.

        >>> dnp.linalg.matrix_power(np.array([[1.0, 1.0], [0.0, 1.0]]), 3)
        array([[1., 3.],
               [0., 1.]])
    """
    a = _arr(a)
    shape = _square_shape(a)
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

        >>> float(dnp.linalg.multi_dot([np.ones(2), np.eye(2), np.ones(2)]))
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


@dispatching_composite(np.linalg.cond, name="linalg.cond", one_array=True)
def cond(x, p=None):
    """Differentiable ``numpy.linalg.cond``: the condition number of the matrices x (...,
    M, N) in the p-norm: the ratio of extreme singular values for p None, 2, -2 (any
    shape), ``norm(x, p) * norm(inv(x), p)`` otherwise (square matrices).  Traced, a
    singular matrix raises LinAlgError for those p (NumPy's untraced cond gives inf).

        >>> float(dnp.linalg.cond(np.diag([1.0, 4.0])))
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
    _square_shape(x)
    return (_matrix(x, p, len(shape) - 2, len(shape) - 1, False)
            * _matrix(inv(x), p, len(shape) - 2, len(shape) - 1, False))


@dispatching_composite(np.linalg.tensorinv, name="linalg.tensorinv", one_array=True)
def tensorinv(a, ind=2):
    """Differentiable ``numpy.linalg.tensorinv``: the inverse of a (the first ind axes
    against the others, as a square matrix), shaped ``a.shape[ind:] + a.shape[:ind]``.

        >>> dnp.linalg.tensorinv(np.eye(4).reshape(4, 2, 2), ind=1).shape
        (2, 2, 4)
    """
    a = _arr(a)
    shape = _shape(a)
    if not isinstance(ind, int) or ind <= 0:
        raise ValueError("Invalid ind argument.")
    rows = math.prod(shape[:ind])
    inv_shape = shape[ind:] + shape[:ind]
    if rows != math.prod(shape[ind:]):
        raise LinAlgError("Last 2 dimensions of the array must be square")
    return dnp.reshape(inv(dnp.reshape(a, (rows, rows))), inv_shape)


@composite(np.linalg.tensorsolve, name="linalg.tensorsolve")
def tensorsolve(a, b, axes=None):
    """Differentiable ``numpy.linalg.tensorsolve``: x with ``tensordot(a, x, x.ndim) == b``,
    x of shape ``a.shape[b.ndim:]`` (after moving the axes of a named by axes to the end).

        >>> dnp.linalg.tensorsolve(2 * np.eye(4).reshape(2, 2, 4), np.ones((2, 2))).shape
        (4,)
    """
    a, b = _arr(a), _arr(b)
    nd = len(_shape(a))
    if axes is not None:
        axes = [_axis(ax, nd) for ax in axes]
        rest = [k for k in range(nd) if k not in axes]
        a = dnp.transpose(a, rest + axes)
    sa, sb = _shape(a), _shape(b)
    x_shape = sa[len(sb):]
    n = math.prod(x_shape)
    if math.prod(sa[:len(sb)]) != n:
        raise LinAlgError(f"tensorsolve: a of shape {sa} does not map an x of shape "
                          f"{x_shape} to b's {len(sb)} axes by a square system")
    if math.prod(sb) != n:
        raise ValueError(f"tensorsolve: b of shape {sb} has {math.prod(sb)} elements, "
                         f"not the {n} of a's first {len(sb)} axes {sa[:len(sb)]}")
    x = solve(dnp.reshape(a, (n, n)), dnp.reshape(b, (n,)))
    return dnp.reshape(x, x_shape)


def _alias_error(who, what):
    raise ValueError(f"linalg.{who}: {what}")


@composite(np.linalg.cross, name="linalg.cross")
def cross(x1, x2, /, *, axis=-1):
    """``numpy.linalg.cross``: the cross product of 3-element vectors along axis.

        >>> dnp.linalg.cross(np.array([1.0, 0, 0]), np.array([0.0, 1, 0]))
        array([0., 0., 1.])
    """
    x1, x2 = _arr(x1), _arr(x2)
    if _shape(x1)[axis] != 3 or _shape(x2)[axis] != 3:
        _alias_error("cross", "both input arrays must be (arrays of) 3-dimensional vectors, "
                     f"but they have {_shape(x1)[axis]} and {_shape(x2)[axis]} elements")
    return dnp.cross(x1, x2, axis=axis)


@composite(np.linalg.outer, name="linalg.outer")
def outer(x1, x2, /):
    """``numpy.linalg.outer``: the outer product of two vectors (1-d only).

        >>> dnp.linalg.outer(np.array([1.0, 2.0]), np.array([3.0]))
        array([[3.],
               [6.]])
    """
    x1, x2 = _arr(x1), _arr(x2)
    if len(_shape(x1)) != 1 or len(_shape(x2)) != 1:
        _alias_error("outer", f"input arrays must be one-dimensional, but they are "
                     f"{len(_shape(x1))}- and {len(_shape(x2))}-dimensional")
    return dnp.outer(x1, x2)


@dispatching_composite(np.linalg.trace, name="linalg.trace", one_array=True)
def trace(x, /, *, offset=0, dtype=None):
    """``numpy.linalg.trace``: the sums along the offset diagonals of the matrices spanned
    by the last two axes.

        >>> dnp.linalg.trace(np.ones((2, 3, 3)), offset=1)
        array([2., 2.])
    """
    x = _arr(x)
    if len(_shape(x)) < 2:
        _alias_error("trace", "x must be at least 2-dimensional")
    return dnp.trace(x, offset, -2, -1, dtype=dtype)


@dispatching_composite(np.linalg.diagonal, name="linalg.diagonal", one_array=True)
def diagonal(x, /, *, offset=0):
    """``numpy.linalg.diagonal``: the offset diagonals of the matrices spanned by the last
    two axes.

        >>> dnp.linalg.diagonal(np.arange(4.0).reshape(2, 2))
        array([0., 3.])
    """
    x = _arr(x)
    if len(_shape(x)) < 2:
        _alias_error("diagonal", "x must be at least 2-dimensional")
    return dnp.diagonal(x, offset, -2, -1)


@composite(np.linalg.matmul, name="linalg.matmul")
def matmul(x1, x2, /):
    """``numpy.linalg.matmul``: as ``numpy.matmul``.

        >>> dnp.linalg.matmul(np.eye(2), np.ones(2))
        array([1., 1.])
    """
    return dnp.matmul(_arr(x1), _arr(x2))


@composite(np.linalg.vecdot, name="linalg.vecdot")
def vecdot(x1, x2, /, *, axis=-1):
    """``numpy.linalg.vecdot``: the dot products (conjugating x1) of the vectors along axis.

        >>> dnp.linalg.vecdot(np.ones((2, 3)), np.ones(3))
        array([3., 3.])
    """
    return dnp.vecdot(_arr(x1), _arr(x2), axis=axis)


@dispatching_composite(np.linalg.matrix_transpose, name="linalg.matrix_transpose", one_array=True)
def matrix_transpose(x, /):
    """``numpy.linalg.matrix_transpose``: the last two axes swapped.

        >>> dnp.linalg.matrix_transpose(np.ones((2, 3))).shape
        (3, 2)
    """
    x = _arr(x)
    if len(_shape(x)) < 2:
        _alias_error("matrix_transpose", "x must be at least 2-dimensional")
    return dnp.matrix_transpose(x)


@composite(np.linalg.tensordot, name="linalg.tensordot")
def tensordot(x1, x2, /, *, axes=2):
    """``numpy.linalg.tensordot``: as ``numpy.tensordot`` with keyword-only axes.

        >>> dnp.linalg.tensordot(np.ones((2, 3)), np.ones((3, 2)), axes=1)
        array([[3., 3.],
               [3., 3.]])
    """
    return dnp.tensordot(_arr(x1), _arr(x2), axes=axes)
