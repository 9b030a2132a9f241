"""Products beyond matmul and einsum (tensordot, inner, vdot, kron, cross, convolve,
correlate, vecdot, matvec, vecmat, trace) and NumPy's polynomial functions.

Each product is a composition of primitives (matmul, multiply, getitem, reshape ...),
so every transformation differentiates, batches and runs it in the inputs' library;
``roots`` is a primitive differentiated implicitly from p(r) = 0.  Untraced calls run
NumPy's function.  Complex inputs follow NumPy's conjugations (``vdot``, ``vecdot`` and
``vecmat`` conjugate their first argument, ``correlate`` its second) and JAX's
convention for derivatives.
"""
import operator
import warnings

import numpy as np

from .. import backend
from ..core import Primitive, Tracer, bind, strip
from ._dispatch import array_of, composite, holds_tracer
from ._elementwise import (add, astype, conj, divide, multiply, negative, real, sqrt,
                           subtract, zeros_like)
from ._linalg import matmul
from ._reductions import sum as _sum
from ._shape import (_normalize_axes, _reshape, concatenate, getitem, moveaxis, ravel,
                     stack, transpose)

__all__ = ["tensordot", "inner", "vdot", "kron", "cross", "convolve", "correlate", "vecdot",
           "matvec", "vecmat", "trace", "polyval", "polyfit", "polyder", "polyint", "polyadd",
           "polysub", "polymul", "polydiv", "roots", "vander", "poly"]


# ---------------------------------------------------------------- helpers

def _arr(a):
    """a as a value to compute with: a list holding traced values as one traced array,
    other lists and Python numbers as NumPy arrays."""
    if holds_tracer(a):
        return array_of(a)
    if isinstance(a, (list, tuple, int, float, complex)):
        return np.asarray(a)
    return a


def _shape(x):
    return tuple(np.shape(strip(x)))


def _dtype(x):
    """x's dtype as NumPy's (another library's dtype object by its name)."""
    dt = backend.dtype(strip(x))
    return dt if isinstance(dt, np.dtype) else np.dtype(str(dt).rsplit(".", 1)[-1])


def _kind(x):
    return backend.kind(backend.dtype(strip(x)))


def _const(v, like, dtype=None):
    """The NumPy constant v in the library (and on the device) of ``like``; as dtype, or
    as like's real floating dtype (float64 for non-float ``like``)."""
    if dtype is None:
        dt = _dtype(like)
        dtype = (np.finfo(dt).dtype if dt.kind == "c" else dt if dt.kind == "f"
                 else np.dtype(np.float64))
    xs = backend._leaf(like)
    if not backend.is_foreign(xs):
        return np.asarray(v, dtype)
    xp = backend.namespace(xs)
    return backend.asarray(np.asarray(v, dtype), xs, backend.xp_dtype(xp, np.dtype(dtype)))


def _zeros(shape, like):
    """Constant zeros of shape, of like's dtype, library and device."""
    xs = backend._leaf(like)
    return backend.zeros(shape, backend.dtype(xs) if backend.is_foreign(xs) else _dtype(like),
                         xs)


def _inexact(a):
    """a cast to float64 where its dtype is neither float nor complex (``a + 0.0``)."""
    return a if _kind(a) in "fc" else astype(a, np.float64)


def _conj(x):
    return conj(x) if _kind(x) == "c" else x


def _permuted(x, perm):
    return x if list(perm) == list(range(len(perm))) else transpose(x, perm)


def _reshaped(x, shape):
    return x if _shape(x) == tuple(shape) else _reshape(x, tuple(shape))


def _no_out(out, name):
    if out is not None:
        raise TypeError(f"{name}: out= cannot hold a traced result (traced arrays are "
                        f"immutable); use the returned value")


def _last(x, axis, name):
    """x with ``axis`` moved last."""
    nd = len(_shape(x))
    ax = _normalize_axes(axis, nd, name)[0]
    return x if ax == nd - 1 else moveaxis(x, ax, -1)


# ---------------------------------------------------------------- products

@composite(np.tensordot)
def tensordot(a, b, axes=2):
    """Differentiable ``numpy.tensordot``: the sum over the last ``axes`` axes of a and
    the first of b (an int), or over the axes paired in ``axes = (axes_a, axes_b)``;
    one matrix product of the transposed, reshaped operands.

        >>> dnp.tensordot(np.ones((2, 3)), np.ones((3, 4)), axes=1).shape    # (2, 4)
    """
    a, b = _arr(a), _arr(b)
    sa, sb = _shape(a), _shape(b)
    if isinstance(axes, (int, np.integer)):
        axes_a, axes_b = list(range(-int(axes), 0)), list(range(int(axes)))
    else:
        axes_a, axes_b = axes
        axes_a = list(axes_a) if isinstance(axes_a, (list, tuple)) else [axes_a]
        axes_b = list(axes_b) if isinstance(axes_b, (list, tuple)) else [axes_b]
    if len(axes_a) != len(axes_b):
        raise ValueError("shape-mismatch for sum")
    axes_a = [_normalize_axes(i, len(sa), "tensordot")[0] for i in axes_a]
    axes_b = [_normalize_axes(i, len(sb), "tensordot")[0] for i in axes_b]
    if any(sa[i] != sb[j] for i, j in zip(axes_a, axes_b)):
        raise ValueError("shape-mismatch for sum")
    free_a = [i for i in range(len(sa)) if i not in axes_a]
    free_b = [i for i in range(len(sb)) if i not in axes_b]
    k = int(np.prod([sa[i] for i in axes_a]))
    out_a, out_b = [sa[i] for i in free_a], [sb[i] for i in free_b]
    a2 = _reshaped(_permuted(a, free_a + axes_a), (int(np.prod(out_a)), k))
    b2 = _reshaped(_permuted(b, axes_b + free_b), (k, int(np.prod(out_b))))
    return _reshaped(matmul(a2, b2), out_a + out_b)


@composite(np.inner)
def inner(a, b):
    """Differentiable ``numpy.inner``: the sum over the last axes of a and b (no
    conjugation); a product where either is 0-d.

        >>> dnp.inner(np.array([1.0, 2.0]), np.array([3.0, 4.0]))    # 11.0
    """
    a, b = _arr(a), _arr(b)
    sa, sb = _shape(a), _shape(b)
    if not sa or not sb:
        return multiply(a, b)
    if sa[-1] != sb[-1]:
        raise ValueError(f"shapes {sa} and {sb} not aligned: {sa[-1]} (dim {len(sa) - 1}) "
                         f"!= {sb[-1]} (dim {len(sb) - 1})")
    return tensordot(a, b, ([-1], [-1]))


@composite(np.vdot)
def vdot(a, b):
    """Differentiable ``numpy.vdot``: the dot product of the flattened arrays, the first
    conjugated.

        >>> dnp.vdot(np.array([1j, 2.0]), np.array([1j, 3.0]))    # (7+0j)
    """
    a, b = ravel(_arr(a)), ravel(_arr(b))
    if _shape(a) != _shape(b):
        raise ValueError("cannot reshape array of size {} into shape {}: vdot needs two "
                         "arrays of one size".format(_shape(b)[0], _shape(a)))
    return matmul(_conj(a), b)


@composite(np.kron)
def kron(a, b):
    """Differentiable ``numpy.kron``: the Kronecker product (blocks ``a[i, j] * b``).

        >>> dnp.kron(np.array([1.0, 2.0]), np.array([1.0, 10.0]))   # [1, 10, 2, 20]
    """
    a, b = _arr(a), _arr(b)
    sa, sb = _shape(a), _shape(b)
    nd = max(len(sa), len(sb))
    sa, sb = (1,) * (nd - len(sa)) + sa, (1,) * (nd - len(sb)) + sb
    a2 = _reshaped(a, [n for s in sa for n in (s, 1)])
    b2 = _reshaped(b, [n for s in sb for n in (1, s)])
    return _reshaped(multiply(a2, b2), [m * n for m, n in zip(sa, sb)])


def _cross_component(a, b, i, j):
    """a_i b_j - a_j b_i, with None for a component that is zero (of a 2-vector)."""
    first = None if a[i] is None or b[j] is None else multiply(a[i], b[j])
    second = None if a[j] is None or b[i] is None else multiply(a[j], b[i])
    if second is None:
        return first
    return negative(second) if first is None else subtract(first, second)


@composite(np.cross)
def cross(a, b, axisa=-1, axisb=-1, axisc=-1, axis=None):
    """Differentiable ``numpy.cross`` of 2- and 3-vectors along axisa and axisb (result
    along axisc; ``axis`` sets all three); two 2-vectors give the z component alone.

        >>> dnp.cross(np.array([1.0, 0, 0]), np.array([0, 1.0, 0]))    # [0, 0, 1]
    """
    if axis is not None:
        axisa = axisb = axisc = axis
    a, b = _arr(a), _arr(b)
    a = _last(a, axisa, "cross: axisa")
    b = _last(b, axisb, "cross: axisb")
    na, nb = _shape(a)[-1], _shape(b)[-1]
    if na not in (2, 3) or nb not in (2, 3):
        raise ValueError("incompatible dimensions for cross product\n"
                         "(dimension must be 2 or 3)")
    if na == 2 or nb == 2:
        warnings.warn("Arrays of 2-dimensional vectors are deprecated. Use arrays of "
                      "3-dimensional vectors instead. (deprecated in NumPy 2.0)",
                      DeprecationWarning, stacklevel=3)
    ca = [getitem(a, (Ellipsis, i)) for i in range(na)] + [None] * (3 - na)
    cb = [getitem(b, (Ellipsis, i)) for i in range(nb)] + [None] * (3 - nb)
    z = _cross_component(ca, cb, 0, 1)
    if na == 2 and nb == 2:
        return z
    shape = np.broadcast_shapes(_shape(a)[:-1], _shape(b)[:-1])
    axc = _normalize_axes(axisc, len(shape) + 1, "cross: axisc")[0]
    out = stack([_cross_component(ca, cb, 1, 2), _cross_component(ca, cb, 2, 0), z], axis=-1)
    return out if axc == len(shape) else moveaxis(out, -1, axc)


_MODES = {"valid": 0, "same": 1, "full": 2, 0: 0, 1: 1, 2: 2}


def _vector(x, name):
    x = _arr(x)
    s = _shape(x)
    if len(s) > 1:
        raise ValueError("object too deep for desired array")
    if len(s) == 0:
        x = _reshape(x, (1,))
    elif s[0] == 0:
        raise ValueError(f"{name} cannot be empty")
    return x


def _full_convolution(a, v, start, length):
    """Entries start .. start+length-1 of the full convolution of the 1-d a and v:
    ``out[k] = sum_i s[i] l[k - i]`` with s the shorter of the two; the product of s with
    the matrix of l's entries at k - i (zero outside l), gathered in one step."""
    s, long_ = (a, v) if _shape(a)[0] <= _shape(v)[0] else (v, a)
    n, m = _shape(s)[0], _shape(long_)[0]
    idx = np.arange(start, start + length)[None, :] - np.arange(n)[:, None]
    idx = np.where((idx >= 0) & (idx < m), idx, m)
    padded = concatenate([long_, _zeros((1,), long_)])
    return matmul(s, getitem(padded, idx))


def _mode(mode):
    try:
        return _MODES[mode]
    except (KeyError, TypeError):
        raise ValueError(f"mode must be one of 'valid', 'same', or 'full' (got {mode!r})") \
            from None


@composite(np.convolve)
def convolve(a, v, mode="full"):
    """Differentiable ``numpy.convolve`` of two 1-d arrays (modes 'full', 'same',
    'valid').

        >>> dnp.convolve(np.array([1.0, 2.0]), np.array([1.0, 1.0, 1.0]))   # [1, 3, 3, 2]
    """
    mode = _mode(mode)
    a, v = _vector(a, "a"), _vector(v, "v")
    n, m = _shape(a)[0], _shape(v)[0]
    lo, hi = min(n, m), max(n, m)
    start, length = ((lo - 1, hi - lo + 1), ((lo - 1) // 2, hi), (0, n + m - 1))[mode]
    return _full_convolution(a, v, start, length)


@composite(np.correlate)
def correlate(a, v, mode="valid"):
    """Differentiable ``numpy.correlate``: ``c[k] = sum_n a[n + k] * conj(v[n])`` (modes
    'valid', 'same', 'full').

        >>> dnp.correlate(np.array([1.0, 2.0, 3.0]), np.array([0.0, 1.0]))   # [2, 3]
    """
    mode = _mode(mode)
    a, v = _vector(a, "a"), _vector(v, "v")
    n, m = _shape(a)[0], _shape(v)[0]
    lo, hi = min(n, m), max(n, m)
    same = (lo - 1) // 2 if n >= m else lo // 2
    start, length = ((lo - 1, hi - lo + 1), (same, hi), (0, n + m - 1))[mode]
    return _full_convolution(a, getitem(_conj(v), slice(None, None, -1)), start, length)


def _core_pair(x1, x2, axis, name):
    """x1 and x2 with their core axis ``axis`` moved last (each counted in its own
    dimensions, as a generalized ufunc's), checked to be of one length."""
    x1, x2 = _arr(x1), _arr(x2)
    if not _shape(x1) or not _shape(x2):
        raise ValueError(f"{name}: Input operand does not have enough dimensions")
    x1, x2 = _last(x1, axis, name), _last(x2, axis, name)
    if _shape(x1)[-1] != _shape(x2)[-1]:
        raise ValueError(f"{name}: Input operand 1 has a mismatch in its core dimension 0 "
                         f"({_shape(x2)[-1]} is different from {_shape(x1)[-1]})")
    return x1, x2


def _vecdot_np(x1, x2, /, *, axis=-1):
    return np.vecdot(x1, x2, axis=axis)


@composite(np.vecdot, name="vecdot")
def vecdot(x1, x2, /, *, axis=-1):
    """Differentiable ``numpy.vecdot``: ``sum(conj(x1) * x2)`` along ``axis``, the other
    axes broadcast.

        >>> dnp.vecdot(np.array([1j, 2.0]), np.array([1j, 3.0]))    # (7+0j)
    """
    x1, x2 = _core_pair(x1, x2, axis, "vecdot")
    return _sum(multiply(_conj(x1), x2), axis=-1)


def _matvec(x1, x2):
    x1, x2 = _arr(x1), _arr(x2)
    s1, s2 = _shape(x1), _shape(x2)
    if len(s1) < 2 or len(s2) < 1:
        raise ValueError("matvec: Input operand does not have enough dimensions")
    if s1[-1] != s2[-1]:
        raise ValueError(f"matvec: Input operand 1 has a mismatch in its core dimension 0 "
                         f"({s2[-1]} is different from {s1[-1]})")
    out = matmul(x1, _reshape(x2, s2 + (1,)))
    return _reshape(out, _shape(out)[:-1])


def _vecmat(x1, x2):
    x1, x2 = _arr(x1), _arr(x2)
    s1, s2 = _shape(x1), _shape(x2)
    if len(s1) < 1 or len(s2) < 2:
        raise ValueError("vecmat: Input operand does not have enough dimensions")
    if s1[-1] != s2[-2]:
        raise ValueError(f"vecmat: Input operand 1 has a mismatch in its core dimension 0 "
                         f"({s2[-2]} is different from {s1[-1]})")
    out = matmul(_reshape(_conj(x1), s1[:-1] + (1, s1[-1])), x2)
    s = _shape(out)
    return _reshape(out, s[:-2] + s[-1:])


# numpy.matvec and numpy.vecmat are new in NumPy 2.2: on older NumPy, untraced calls
# run the compositions below on NumPy's arrays.
@composite(getattr(np, "matvec", _matvec), name="matvec")
def matvec(x1, x2, /):
    """Differentiable ``numpy.matvec``: the matrix-vector products of the matrices x1
    (..., m, n) with the vectors x2 (..., n), leading axes broadcast (no conjugation).

        >>> dnp.matvec(np.eye(2), np.array([1.0, 2.0]))    # [1, 2]
    """
    return _matvec(x1, x2)


@composite(getattr(np, "vecmat", _vecmat), name="vecmat")
def vecmat(x1, x2, /):
    """Differentiable ``numpy.vecmat``: the vector-matrix products ``conj(x1) @ x2`` of
    the vectors x1 (..., n) with the matrices x2 (..., n, m), leading axes broadcast.

        >>> dnp.vecmat(np.array([1.0, 2.0]), np.eye(2))    # [1, 2]
    """
    return _vecmat(x1, x2)


@composite(np.trace)
def trace(a, offset=0, axis1=0, axis2=1, dtype=None, out=None):
    """Differentiable ``numpy.trace``: the sum of the diagonal ``offset`` of the 2-d
    sub-arrays spanned by axis1 and axis2.

        >>> dualrev.grad(lambda a: dnp.trace(a))(np.ones((2, 2)))    # the identity
    """
    _no_out(out, "trace")
    a = _arr(a)
    s = _shape(a)
    if len(s) < 2:
        raise ValueError("diag requires an array of at least two dimensions")
    ax1 = _normalize_axes(axis1, len(s), "trace: axis1")[0]
    ax2 = _normalize_axes(axis2, len(s), "trace: axis2")[0]
    if ax1 == ax2:
        raise ValueError("axis1 and axis2 cannot be the same")
    rest = [i for i in range(len(s)) if i not in (ax1, ax2)]
    a = _permuted(a, rest + [ax1, ax2])
    n1, n2 = s[ax1], s[ax2]
    offset = operator.index(offset)
    rows = np.arange(max(0, -offset), max(0, min(n1, n2 - offset)))
    d = getitem(a, (Ellipsis, rows, rows + offset))
    if dtype is not None:
        d = astype(d, dtype)
    return _sum(d, axis=-1)


# ---------------------------------------------------------------- polynomials

def _poly(p, name):
    """p as a 1-d coefficient array (a 0-d one as length 1)."""
    p = _arr(p)
    if not _shape(p):
        p = _reshape(p, (1,))
    return p


def _coefs(n, like):
    """The integer factors n, n-1, ..., 1 as a constant of like's library, of NumPy's
    promotion of like's dtype with int64 (its real part): a float32 polynomial's
    derivative and integral are float64, as NumPy's."""
    dt = np.result_type(_dtype(like), np.int64)
    return _const(np.arange(n, 0, -1), like, np.finfo(dt).dtype if dt.kind == "c" else dt)


def _cast(x, dt):
    return x if _dtype(x) == dt else astype(x, dt)


@composite(np.polyval)
def polyval(p, x):
    """Differentiable ``numpy.polyval``: ``p[0] * x**(N-1) + ... + p[N-1]`` by Horner's
    scheme, in both p and x.

        >>> dualrev.grad(lambda x: dnp.polyval(np.array([1.0, 0.0, 0.0]), x))(3.0)   # 6.0
    """
    p, x = _arr(p), _arr(x)
    n = _shape(p)[0] if _shape(p) else 0
    if n == 0:
        return zeros_like(x)
    y = getitem(p, 0)
    for k in range(1, n):
        y = add(multiply(y, x), getitem(p, k))
    if n == 1:
        shape = np.broadcast_shapes(_shape(y), _shape(x))
        y = add(y, _zeros(shape, x))
    return y


@composite(np.polyder)
def polyder(p, m=1):
    """Differentiable ``numpy.polyder``: the coefficients of the m-th derivative.

        >>> dnp.polyder(np.array([1.0, 2.0, 3.0]))    # [2, 2]
    """
    m = operator.index(m)
    if m < 0:
        raise ValueError("Order of derivative must be positive (see polyint)")
    p = _arr(p)
    for _ in range(m):
        n = _shape(p)[0] - 1
        p = multiply(getitem(p, slice(None, -1)), _coefs(n, p))
    return p


@composite(np.polyint)
def polyint(p, m=1, k=None):
    """Differentiable ``numpy.polyint``: the coefficients of the m-th antiderivative, with
    integration constants k (differentiable too).

        >>> dnp.polyint(np.array([3.0, 2.0]), k=1.0)    # [1.5, 2, 1]
    """
    m = operator.index(m)
    if m < 0:
        raise ValueError("Order of integral must be positive (see polyder)")
    p = _arr(p)
    k = _const(np.zeros(m), p) if k is None else _arr(k)
    if not _shape(k):
        k = _reshape(k, (1,))
    if _shape(k)[0] == 1 and m > 1:
        k = multiply(getitem(k, 0), np.ones(m, float))
    if _shape(k)[0] < m:
        raise ValueError("k must be a scalar or a rank-1 array of length 1 or >m.")
    for i in range(m):
        q = divide(p, _coefs(_shape(p)[0], p))
        dt = _result_dtype(q, k)
        p = concatenate([_cast(q, dt), _reshape(_cast(getitem(k, i), dt), (1,))])
    return p


def _result_dtype(*xs):
    return np.result_type(*(_dtype(x) for x in xs))


def _padded(a, n):
    """a with n zeros in front."""
    return a if n == 0 else concatenate([_zeros((n,), a), a])


def _poly_pair(a1, a2):
    a1, a2 = _poly(a1, "a1"), _poly(a2, "a2")
    n1, n2 = _shape(a1)[0], _shape(a2)[0]
    return _padded(a1, max(n2 - n1, 0)), _padded(a2, max(n1 - n2, 0))


@composite(np.polyadd)
def polyadd(a1, a2):
    """Differentiable ``numpy.polyadd``: the sum of two polynomials (the shorter padded
    with leading zeros).

        >>> dnp.polyadd(np.array([1.0, 2.0]), np.array([1.0, 0.0, 0.0]))    # [1, 1, 2]
    """
    return add(*_poly_pair(a1, a2))


@composite(np.polysub)
def polysub(a1, a2):
    """Differentiable ``numpy.polysub``: the difference a1 - a2 of two polynomials.

        >>> dnp.polysub(np.array([1.0, 2.0]), np.array([1.0, 0.0, 0.0]))    # [-1, 1, 2]
    """
    return subtract(*_poly_pair(a1, a2))


@composite(np.polymul)
def polymul(a1, a2):
    """Differentiable ``numpy.polymul``: the product of two polynomials (their
    convolution).

        >>> dnp.polymul(np.array([1.0, 1.0]), np.array([1.0, -1.0]))    # [1, 0, -1]
    """
    return convolve(_poly(a1, "a1"), _poly(a2, "a2"))


@composite(np.polydiv)
def polydiv(u, v):
    """Differentiable ``numpy.polydiv``: ``(q, r)`` with u = q v + r, by long division;
    leading entries of r within 1e-8 of 0 are dropped (as NumPy).

        >>> dnp.polydiv(np.array([1.0, 0.0, -1.0]), np.array([1.0, 1.0]))   # ([1, -1], [0])
    """
    u, v = _inexact(_poly(u, "u")), _inexact(_poly(v, "v"))
    dt = _result_dtype(u, v)
    u = _cast(u, dt)
    m, n = _shape(u)[0] - 1, _shape(v)[0] - 1
    r = u
    if m < n:
        q = _zeros((1,), u)
    else:
        scale = divide(1.0, getitem(v, 0))
        qs = []
        for k in range(m - n + 1):
            d = multiply(scale, getitem(r, k))
            qs.append(d)
            parts = [subtract(getitem(r, slice(k, k + n + 1)), multiply(d, v))]
            if k:
                parts.insert(0, getitem(r, slice(0, k)))
            if k + n + 1 <= m:
                parts.append(getitem(r, slice(k + n + 1, None)))
            r = concatenate(parts) if len(parts) > 1 else parts[0]
        q = stack(qs)
    lead = 0
    rs = backend.to_numpy(strip(r)) if not isinstance(strip(r), Tracer) else None
    while rs is not None and lead < len(rs) - 1 and np.allclose(rs[lead], 0, rtol=1e-14):
        lead += 1
    if lead:
        r = getitem(r, slice(lead, None))
    return q, r


def _companion_roots(p):
    """The eigenvalues of the companion matrices of the polynomials p (..., N), N >= 2,
    whose leading coefficients are not 0: their roots."""
    n = p.shape[-1] - 1
    c = np.zeros(p.shape[:-1] + (n, n), np.result_type(p.dtype, np.float64)
                 if p.dtype.kind not in "fc" else p.dtype)
    c[..., np.arange(1, n), np.arange(n - 1)] = 1
    c[..., 0, :] = -p[..., 1:] / p[..., :1]
    return np.linalg.eigvals(c)


def _roots_jvp(p_dot, ans, p):
    return negative(divide(polyval(p_dot, ans), polyval(polyder(p), ans)))


def _roots_vjp(g, ans, p):
    n = _shape(p)[0]
    w = negative(divide(g, polyval(polyder(p), ans)))
    return matmul(w, vander(ans, n))


roots_p = Primitive(
    "roots", _companion_roots,
    jvp=(_roots_jvp,), vjp=(_roots_vjp,),
    batch=lambda batched, p: bind(roots_p, (p,)))


@composite(np.roots)
def roots(p):
    """Differentiable ``numpy.roots``: the roots of the polynomial with coefficients p
    (highest power first), the eigenvalues of its companion matrix; their derivative by
    implicit differentiation of p(r) = 0, ``dr = -dp(r) / p'(r)`` (infinite at a repeated
    root, where the roots are not differentiable).  Real where every root is real, as
    NumPy.  Under vmap, leading and trailing zero coefficients are not stripped.

        >>> dualrev.jacfwd(dnp.roots)(np.array([1.0, -3.0, 2.0]))    # d(roots [2, 1])/dp
    """
    p = _arr(p)
    if len(_shape(p)) != 1:
        raise ValueError("Input must be a rank-1 array.")
    p = _inexact(p)
    trailing = 0
    ps = strip(p)
    if not isinstance(ps, Tracer):
        nz = np.flatnonzero(backend.to_numpy(ps))
        if len(nz) == 0:
            return np.array([])
        trailing = _shape(p)[0] - 1 - int(nz[-1])
        if nz[0] != 0 or trailing:
            p = getitem(p, slice(int(nz[0]), int(nz[-1]) + 1))
    r = bind(roots_p, (p,)) if _shape(p)[0] > 1 else _const(np.zeros(0), p, np.float64)
    if trailing:
        r = concatenate([r, _zeros((trailing,), r)])
    return r


@composite(np.poly)
def poly(seq_of_zeros):
    """Differentiable ``numpy.poly``: the coefficients (highest power first, leading 1) of
    the polynomial with the given roots, or of a square matrix's characteristic polynomial
    (the roots: its eigenvalues); real where the roots come in conjugate pairs, as NumPy
    (complex under vmap and on other libraries' arrays, where that is not read from the
    values).

        >>> dnp.poly(np.array([1.0, 2.0]))      # [1, -3, 2]
    """
    from .linalg import eigvals
    a = _arr(seq_of_zeros)
    sh = _shape(a)
    if len(sh) == 2 and sh[0] == sh[1] and sh[0] != 0:
        a = eigvals(a)
    elif len(sh) != 1:
        raise ValueError("input must be 1d or non-empty square 2d array.")
    n = _shape(a)[0]
    if n == 0:
        return 1.0
    a = _inexact(a)
    c = _const(np.ones(1), a, _dtype(a))
    for k in range(n):
        c = convolve(c, concatenate([_const(np.ones(1), a, _dtype(a)),
                                     _reshape(negative(getitem(a, k)), (1,))]))
    r = strip(a)
    if _kind(a) == "c" and not isinstance(r, Tracer) and not backend.is_foreign(r):
        if np.all(np.sort(r) == np.sort(r.conjugate())):
            c = real(c)
    return c


@composite(np.vander)
def vander(x, N=None, increasing=False):
    """Differentiable ``numpy.vander``: the columns ``x**(N-1), ..., x, 1`` (reversed with
    ``increasing``), built by repeated products (exact derivatives at x = 0).

        >>> dnp.vander(np.array([2.0, 3.0]), 3)    # [[4, 2, 1], [9, 3, 1]]
    """
    x = _arr(x)
    if len(_shape(x)) != 1:
        raise ValueError("x must be a one-dimensional array or sequence.")
    n = _shape(x)[0] if N is None else operator.index(N)
    x = _cast(x, np.promote_types(_dtype(x), int))
    if n == 0:
        return _zeros((_shape(x)[0], 0), x)
    cols = [add(_zeros(_shape(x), x), 1)]
    for _ in range(1, n):
        cols.append(x if len(cols) == 1 else multiply(cols[-1], x))
    if not increasing:
        cols = cols[::-1]
    return stack(cols, axis=1)


@composite(np.polyfit)
def polyfit(x, y, deg, rcond=None, full=False, w=None, cov=False):
    """Differentiable ``numpy.polyfit``: the least-squares polynomial fit of degree deg
    (weights w), differentiable in x, y and w; with ``full``, also the residuals, the
    rank (a constant), the singular values and rcond; with ``cov``, the covariance.

        >>> dualrev.grad(lambda y: dnp.polyfit(np.arange(3.0), y, 1)[0])(np.zeros(3))
    """
    from .linalg import inv, lstsq
    order = operator.index(deg) + 1
    x, y = _inexact(_arr(x)), _inexact(_arr(y))
    if deg < 0:
        raise ValueError("expected deg >= 0")
    sx, sy = _shape(x), _shape(y)
    if len(sx) != 1:
        raise TypeError("expected 1D vector for x")
    if sx[0] == 0:
        raise TypeError("expected non-empty vector for x")
    if len(sy) < 1 or len(sy) > 2:
        raise TypeError("expected 1D or 2D array for y")
    if sx[0] != sy[0]:
        raise TypeError("expected x and y to have same length")
    if rcond is None:
        rcond = sx[0] * np.finfo(_dtype(x)).eps
    lhs, rhs = vander(x, order), y
    if w is not None:
        w = _inexact(_arr(w))
        if len(_shape(w)) != 1:
            raise TypeError("expected a 1-d array for weights")
        if _shape(w)[0] != sy[0]:
            raise TypeError("expected w and y to have the same length")
        wc = _reshape(w, (sx[0], 1))
        lhs = multiply(lhs, wc)
        rhs = multiply(rhs, wc if len(sy) == 2 else w)
    scale = sqrt(_sum(multiply(lhs, lhs), axis=0))
    lhs = divide(lhs, scale)
    c, resids, rank, s = lstsq(lhs, rhs, rcond)
    c = divide(c, _reshape(scale, (order,) + (1,) * (len(sy) - 1)))
    rk = strip(rank)
    if not full and not isinstance(rk, Tracer) and int(backend.to_numpy(rk)) != order:
        warnings.warn("Polyfit may be poorly conditioned", np.exceptions.RankWarning,
                      stacklevel=3)
    if full:
        return c, resids, rank, s, rcond
    if not cov:
        return c
    base = divide(inv(matmul(transpose(lhs), lhs)),
                  multiply(_reshape(scale, (order, 1)), _reshape(scale, (1, order))))
    if cov == "unscaled":
        fac = 1
    else:
        if sx[0] <= order:
            raise ValueError("the number of data points must exceed order to scale the "
                             "covariance matrix")
        fac = divide(resids, sx[0] - order)
    if len(sy) == 1:
        return c, multiply(base, fac)
    return c, multiply(_reshape(base, (order, order, 1)), fac)


# ---------------------------------------------------------------- methods of traced values

def _trace_method(self, offset=0, axis1=0, axis2=1, dtype=None, out=None):
    return trace(self, offset, axis1, axis2, dtype, out)


METHODS = {"trace": _trace_method}
