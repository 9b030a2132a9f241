"""Indexing, selection, triangular and diagonal functions: diag, diagflat, diagonal,
tril, triu, take, take_along_axis, put_along_axis, choose, select, compress, extract,
piecewise, interp, unwrap, and JAX's functional updates of traced values
(``x.at[idx].set(v)`` ...).

Indices, masks and conditions are constants (their primal values are used); the
functions are differentiable in the values they select from or write.  Most are
compositions of the shape primitives (getitem, scatter_add, set_item, where), so
every transformation and every array library that those support is supported here.
"""
import math
import operator

import numpy as np

from .. import backend
from ..core import Composite, Primitive, Tracer, bind, strip
from ._dispatch import (CONVERSION_ERRORS, array_of, composite, dispatching_composite,
                        holds_tracer, plain)
from ._elementwise import (add, astype, divide, multiply, nonzero, power, remainder, subtract,
                           where)
from ._reductions import _sum, max as _max, min as _min, prod as _prod
from ._shape import (_indexed_shape, _normalize_axes, _reshape, _scatter, _static_index,
                     broadcast_to, concatenate, getitem, moveaxis, set_item, stack)

__all__ = ["diag", "diagflat", "diagonal", "tril", "triu", "take", "take_along_axis",
           "put_along_axis", "choose", "select", "compress", "extract", "piecewise", "interp",
           "unwrap"]


def _arr(a):
    """a as a value dualrev computes with: a list holding traced values stacked into one
    traced array, another list or scalar as a NumPy array, an array as it is."""
    if holds_tracer(a):
        return array_of(a)
    if isinstance(a, Tracer) or backend.is_foreign(a):
        return a
    return np.asarray(a)


def _batch_values(i):
    """The NumPy (or other library's) values of a constant that vmap may batch: the
    whole batch, for checks that hold for every example."""
    return backend._leaf(i)


def _static_ints(i, who):
    """An index argument (constant) as integers: a NumPy array, or (under vmap) the
    batched value; floats raise NumPy's TypeError."""
    i = strip(i)
    if not isinstance(i, Tracer) and not backend.is_foreign(i):
        i = np.asarray(i)
    if backend.kind(backend.dtype(i)) not in "iu":
        raise TypeError(f"{who}: indices must be integers, got dtype {backend.dtype(i)}")
    return i


# ---------------------------------------------------------------- tril, triu

def _xp_tri(xp, x, k, lower):
    n, m = tuple(x.shape)[-2:]
    dev = backend.device(x)
    rows = xp.reshape(xp.arange(n, device=dev), (n, 1))
    cols = xp.reshape(xp.arange(m, device=dev), (1, m))
    keep = (cols - rows <= k) if lower else (cols - rows >= k)
    return xp.where(keep, x, xp.zeros_like(x))


tril_p = Primitive(
    "tril", lambda x, *, k: np.tril(x, k),
    xp=lambda xp, x, *, k: _xp_tri(xp, x, k, True),
    jvp=(lambda x_dot, ans, x, *, k: bind(tril_p, (x_dot,), dict(k=k)),),
    vjp=(lambda g, ans, x, *, k: bind(tril_p, (g,), dict(k=k)),),
    batch=lambda batched, x, *, k: bind(tril_p, (x,), dict(k=k)))

triu_p = Primitive(
    "triu", lambda x, *, k: np.triu(x, k),
    xp=lambda xp, x, *, k: _xp_tri(xp, x, k, False),
    jvp=(lambda x_dot, ans, x, *, k: bind(triu_p, (x_dot,), dict(k=k)),),
    vjp=(lambda g, ans, x, *, k: bind(triu_p, (g,), dict(k=k)),),
    batch=lambda batched, x, *, k: bind(triu_p, (x,), dict(k=k)))


def _triangle(prim, np_fn, doc):
    def fn(m, k=0):
        if plain(m):
            try:
                return np_fn(m, k)
            except CONVERSION_ERRORS:
                pass
        m = _arr(m)
        if plain(m):
            return np_fn(m, k)
        k = operator.index(k)
        shape = np.shape(m)
        if len(shape) == 0:
            raise ValueError(f"{prim.name}: the input must be at least 1-d, got a 0-d array")
        if len(shape) == 1:     # NumPy: a vector is broadcast to the square matrix
            m = broadcast_to(m, (shape[0],) * 2)
        return bind(prim, (m,), dict(k=k))
    fn.__name__ = fn.__qualname__ = prim.name
    fn.__doc__ = doc
    return fn


tril = _triangle(tril_p, np.tril, """Differentiable ``numpy.tril``: zeros above the k-th
    diagonal of the last two axes (a vector is broadcast to a square matrix first).

        >>> dnp.tril(x)          # x 3x3: its lower triangle; grad: tril of the cotangent
    """)
triu = _triangle(triu_p, np.triu, """Differentiable ``numpy.triu``: zeros below the k-th
    diagonal of the last two axes (a vector is broadcast to a square matrix first).

        >>> dnp.triu(x, 1)       # x 3x3: its strict upper triangle
    """)


# ---------------------------------------------------------------- diagonal, diag, diagflat

def _diagonal_slice(n1, n2, offset):
    """The slice of a flattened n1 x n2 matrix that is its offset-th diagonal."""
    if offset >= 0:
        d, start = max(0, min(n1, n2 - offset)), offset
    else:
        d, start = max(0, min(n1 + offset, n2)), -offset * n2
    if d == 0:
        return slice(0, 0)
    return slice(start, start + (d - 1) * (n2 + 1) + 1, n2 + 1)


@dispatching_composite(np.diagonal, one_array=True)
def diagonal(a, offset=0, axis1=0, axis2=1):
    """Differentiable ``numpy.diagonal``: the diagonal's axis last.  Its VJP places the
    cotangent on the diagonal of a zero array.

        >>> dnp.diagonal(x, 1)   # x 3x3: [x[0, 1], x[1, 2]]
    """
    a = _arr(a)
    shape = backend.known_shape(a, "diagonal")
    nd = len(shape)
    if nd < 2:
        raise ValueError("diag requires an array of at least two dimensions")
    ax1 = _normalize_axes(axis1, nd, "diagonal axis1")[0]
    ax2 = _normalize_axes(axis2, nd, "diagonal axis2")[0]
    if ax1 == ax2:
        raise ValueError("axis1 and axis2 cannot be the same")
    offset = operator.index(offset)
    n1, n2 = shape[ax1], shape[ax2]
    rest = tuple(n for i, n in enumerate(shape) if i not in (ax1, ax2))
    m = moveaxis(a, (ax1, ax2), (-2, -1)) if (ax1, ax2) != (nd - 2, nd - 1) else a
    flat = _reshape(m, rest + (n1 * n2,))
    return getitem(flat, (Ellipsis, _diagonal_slice(n1, n2, offset)))


@composite(np.diag)
def diag(v, k=0):
    """Differentiable ``numpy.diag``: a vector's matrix with it on the k-th diagonal, or
    a matrix's k-th diagonal.

        >>> dnp.diag(v)          # v of length 3: the 3x3 diagonal matrix
    """
    v = _arr(v)
    k = operator.index(k)
    shape = backend.known_shape(v, "diag")
    if len(shape) == 2:
        return diagonal(v, k)
    if len(shape) != 1:
        raise ValueError("Input must be 1- or 2-d.")
    n = shape[0] + abs(k)
    out = _scatter(v, (_diagonal_slice(n, n, k),), (n * n,))
    return _reshape(out, (n, n))


@composite(np.diagflat)
def diagflat(v, k=0):
    """Differentiable ``numpy.diagflat``: the flattened input on the k-th diagonal.

        >>> dnp.diagflat(x)      # x 2x2: the 4x4 diagonal matrix of its elements
    """
    v = _arr(v)
    return diag(_reshape(v, (int(np.prod(np.shape(v))),)), k)


# ---------------------------------------------------------------- take, take_along_axis, ...

def _moded(i, n, mode, who):
    """Integer indices i (constant) into an axis of length n under NumPy's mode: 'raise'
    (as they are; out of range raises), 'wrap' or 'clip'."""
    if mode == "raise":
        return i
    if mode not in ("wrap", "clip"):
        raise ValueError(f"{who}: mode must be one of 'raise', 'wrap' or 'clip', got {mode!r}")
    if n == 0:
        raise IndexError("cannot do a non-empty take from an empty axes.")
    if isinstance(i, Tracer):       # batched by vmap: the index ops of its batch
        from ._elementwise import maximum, minimum
        return remainder(i, n) if mode == "wrap" else minimum(maximum(i, 0), n - 1)
    return np.mod(i, n) if mode == "wrap" else np.clip(i, 0, n - 1)


def _no_out(out, who):
    if out is not None:
        raise TypeError(f"{who}: out= is not supported when the input is traced (traced "
                        f"arrays are immutable); use the returned array")


@composite(np.take)
def _take(a, indices, axis=None, out=None, mode="raise"):
    """Differentiable ``numpy.take`` (mode 'raise', 'wrap' or 'clip', as NumPy; out of
    range raises IndexError where JAX's default fills with NaN).

        >>> dnp.take(x, [2, 0], axis=1)      # x[:, [2, 0]]
    """
    _no_out(out, "take")
    a = _arr(a)
    i = _static_ints(indices, "take")
    if axis is None:
        a = _reshape(a, (int(np.prod(np.shape(a))),))
        axis = 0
    shape = np.shape(a)
    axis = _normalize_axes(axis, len(shape), "take")[0]
    i = _moded(i, shape[axis], mode, "take")
    if not isinstance(i, Tracer) and np.ndim(i) == 0:
        i = int(i)
    return getitem(a, (slice(None),) * axis + (i,))


def take(a, indices, axis=None, out=None, mode="raise"):
    if a.__class__ is np.ndarray and not isinstance(indices, Tracer):
        try:
            return np.take(a, indices, axis, out, mode)
        except CONVERSION_ERRORS:       # a list holding traced values
            pass
    return _take(a, indices, axis, out, mode)


take.__doc__, take.composite = _take.__doc__, _take.composite


def _along_axis_index(shape, indices, axis, who):
    """The integer-array index that picks ``indices`` along ``axis`` of an array of
    ``shape`` (the other axes by position, broadcast against the indices)."""
    nd = len(shape)
    if np.ndim(indices) != nd:
        raise ValueError("`indices` and `arr` must have the same number of dimensions")
    idx = []
    for k, n in enumerate(shape):
        if k == axis:
            idx.append(indices)
        else:
            idx.append(np.arange(n).reshape((1,) * k + (n,) + (1,) * (nd - k - 1)))
    return tuple(idx)


@composite(np.take_along_axis)
def take_along_axis(arr, indices, axis=-1):
    """Differentiable ``numpy.take_along_axis``.

        >>> dnp.take_along_axis(x, dnp.argsort(x, axis=1), axis=1)   # x sorted along rows
    """
    arr = _arr(arr)
    i = _static_ints(indices, "take_along_axis")
    if axis is None:
        if np.ndim(i) != 1:
            raise ValueError("when axis=None, `indices` must have a single dimension.")
        arr = _reshape(arr, (int(np.prod(np.shape(arr))),))
        axis = 0
    shape = np.shape(arr)
    axis = _normalize_axes(axis, len(shape), "take_along_axis")[0]
    return getitem(arr, _along_axis_index(shape, i, axis, "take_along_axis"))


def _np_put_along_axis(arr, indices, values, axis, inplace=True, *, mode=None):
    if mode is not None:
        raise NotImplementedError("put_along_axis: only mode=None (NumPy's indexing) is "
                                  "supported")
    if inplace:
        return np.put_along_axis(arr, indices, values, axis)
    out = np.array(arr, copy=True)
    np.put_along_axis(out, indices, values, axis)
    return out


def put_along_axis(arr, indices, values, axis, inplace=True, *, mode=None):
    """``numpy.put_along_axis`` with JAX's ``inplace``: ``inplace=False`` returns a new
    array with the values put (differentiable in arr and values; where an index repeats,
    the last value put stays, as NumPy).  ``inplace=True`` (NumPy's behaviour, the
    default) writes into a NumPy ``arr`` and returns None; traced arrays are immutable,
    so with a traced ``arr`` or ``values`` it raises ValueError (as JAX's does).

        >>> dnp.put_along_axis(x, idx, v, axis=1, inplace=False)
    """
    if inplace:
        if plain(arr) and plain(values) and not holds_tracer(values):
            return _np_put_along_axis(arr, indices, values, axis, True, mode=mode)
        raise ValueError("put_along_axis cannot modify a traced array in place (traced "
                         "arrays are immutable); pass inplace=False to get the updated array")
    if plain(arr) and plain(values) and plain(strip(indices)) and not holds_tracer(values):
        return _np_put_along_axis(arr, indices, values, axis, False, mode=mode)
    return _put_along_axis.definition(arr, indices, values, axis, mode=mode)


def _put_along_axis_def(arr, indices, values, axis, mode=None):
    if mode is not None:
        raise NotImplementedError("put_along_axis: only mode=None (NumPy's indexing) is "
                                  "supported")
    arr, values = _arr(arr), _arr(values)
    i = _static_ints(indices, "put_along_axis")
    if isinstance(i, Tracer):
        raise NotImplementedError("put_along_axis with indices batched by vmap is not "
                                  "supported")
    if axis is None:
        if np.ndim(i) != 1:
            raise ValueError("when axis=None, `indices` must have a single dimension.")
        shape = np.shape(arr)
        flat = _reshape(arr, (int(np.prod(shape)),))
        return _reshape(set_item(flat, (i,), values), shape)
    shape = np.shape(arr)
    axis = _normalize_axes(axis, len(shape), "put_along_axis")[0]
    return set_item(arr, _along_axis_index(shape, i, axis, "put_along_axis"), values)


_put_along_axis = Composite("put_along_axis", _np_put_along_axis, _put_along_axis_def)
put_along_axis.composite = _put_along_axis


@composite(np.choose)
def choose(a, choices, out=None, mode="raise"):
    """Differentiable ``numpy.choose``: ``choices[a[i]][i]``, differentiable in the
    choices (``a`` holds constant integers; mode 'raise', 'wrap' or 'clip').

        >>> dnp.choose([0, 1, 0], [x, y])     # [x[0], y[1], x[2]]
    """
    _no_out(out, "choose")
    i = _static_ints(a, "choose")
    if isinstance(choices, (list, tuple)):
        choices = [_arr(c) for c in choices]
    else:
        choices = _arr(choices)
        choices = [getitem(choices, k) for k in range(np.shape(choices)[0])]
    n = len(choices)
    if mode == "raise":
        vals = _batch_values(i)
        if np.size(vals) and (backend.to_numpy(vals).min() < 0 or
                              backend.to_numpy(vals).max() >= n):
            raise ValueError("invalid entry in choice array")
    i = _moded(i, n, mode, "choose")
    shape = np.broadcast_shapes(np.shape(i), *(np.shape(c) for c in choices))
    stacked = stack([broadcast_to(c, shape) for c in choices])
    i = broadcast_to(i, shape) if np.shape(i) != shape else i
    return getitem(stacked, (i,) + tuple(np.indices(shape, sparse=True)))


@composite(np.select)
def select(condlist, choicelist, default=0):
    """Differentiable ``numpy.select``: where the first true condition is, its choice;
    elsewhere ``default``.  Differentiable in the choices and the default.

        >>> dnp.select([x < 0, x > 1], [-x, x ** 2], x)
    """
    if len(condlist) != len(choicelist):
        raise ValueError("list of cases must be same length as list of conditions")
    if len(condlist) == 0:
        raise ValueError("select with an empty condition list is not possible")
    conds = [strip(c) for c in condlist]
    for k, c in enumerate(conds):
        if backend.kind(backend.dtype(c)) != "b":
            raise TypeError(f"invalid entry {k} in condlist: should be boolean ndarray")
    out = default if isinstance(default, (int, float, complex)) else _arr(default)
    for c, v in zip(reversed(conds), reversed(list(choicelist))):
        out = where(c, _arr(v), out)
    return out


def _static_mask(condition, who):
    c = strip(condition)
    if isinstance(c, Tracer):
        raise NotImplementedError(
            f"{who} with a condition batched by vmap is not supported: each example's "
            f"result would have a size of its own; use dualrev.numpy.where instead")
    return np.asarray(backend.to_numpy(c) if backend.is_foreign(c) else c)


@composite(np.compress)
def _compress(condition, a, axis=None, out=None):
    """Differentiable ``numpy.compress``: the slices of ``a`` along ``axis`` where the
    (constant) condition is true.

        >>> dnp.compress([True, False, True], x, axis=0)    # x[[0, 2]]
    """
    _no_out(out, "compress")
    c = _static_mask(condition, "compress")
    if c.ndim != 1:
        raise ValueError("condition must be a 1-d array")
    a = _arr(a)
    if axis is None:
        a = _reshape(a, (int(np.prod(np.shape(a))),))
        axis = 0
    shape = np.shape(a)
    axis = _normalize_axes(axis, len(shape), "compress")[0]
    i = np.flatnonzero(c)
    if i.size and i[-1] >= shape[axis]:
        raise IndexError(f"index {i[-1]} is out of bounds for axis {axis} with size "
                         f"{shape[axis]}")
    return getitem(a, (slice(None),) * axis + (i,))


def compress(condition, a, axis=None, out=None):
    if a.__class__ is np.ndarray and not isinstance(condition, Tracer):
        try:
            return np.compress(condition, a, axis, out)
        except CONVERSION_ERRORS:
            pass
    return _compress(condition, a, axis, out)


compress.__doc__, compress.composite = _compress.__doc__, _compress.composite


@composite(np.extract)
def extract(condition, arr):
    """Differentiable ``numpy.extract``: the elements of ``arr`` where the (constant)
    condition is nonzero, flattened.

        >>> dnp.extract(x > 0, x)      # the positive elements of x
    """
    c = _static_mask(condition, "extract").ravel()
    arr = _arr(arr)
    flat = _reshape(arr, (int(np.prod(np.shape(arr))),))
    i = np.flatnonzero(c)
    if i.size and i[-1] >= np.shape(flat)[0]:
        raise IndexError(f"index {i[-1]} is out of bounds for axis 0 with size "
                         f"{np.shape(flat)[0]}")
    return getitem(flat, (i,))


# ---------------------------------------------------------------- piecewise

def _piecewise_def(x, condlist, funclist, *args, **kw):
    x = _arr(x)
    nd = np.ndim(x)
    n2 = len(funclist)
    if not isinstance(condlist, (list, tuple)) or (
            nd != 0 and not isinstance(strip(condlist[0]), (list, np.ndarray, Tracer))
            and not backend.is_foreign(strip(condlist[0]))):
        condlist = [condlist]
    conds = [strip(c) for c in condlist]
    batched = any(isinstance(c, Tracer) or backend.is_foreign(c) for c in conds)
    if not batched:
        conds = [np.asarray(backend.to_numpy(c) if backend.is_foreign(c) else c, dtype=bool)
                 for c in conds]
    n = len(conds)
    if n == n2 - 1:
        from ._elementwise import invert
        none = conds[0]
        for c in conds[1:]:
            none = none | c
        conds.append(invert(none) if batched else ~none)
    elif n != n2:
        raise ValueError(f"with {n} condition(s), either {n} or {n + 1} functions are "
                         f"expected")
    dtype = backend.dtype(strip(x))
    y = backend.zeros(np.shape(x), dtype, x)
    if batched:
        # A condition differs per example (vmap), or is another library's array (which
        # NumPy cannot index with): each function sees the whole x, as JAX's piecewise;
        # where its condition is false its value is not used.
        for c, f in zip(conds, funclist):
            v = f(x, *args, **kw) if callable(f) else f
            y = where(c, astype(_arr(v), dtype) if not isinstance(v, (int, float)) else v, y)
        return y
    for c, f in zip(conds, funclist):
        c = np.broadcast_to(c, np.shape(x)) if np.shape(c) != np.shape(x) else c
        if not callable(f):
            y = set_item(y, c, f)
            continue
        vals = getitem(x, c)
        if np.size(strip(vals)) > 0:
            v = _arr(f(vals, *args, **kw))
            y = set_item(y, c, astype(v, dtype) if not backend.same_dtype(
                backend.dtype(strip(v)), dtype) else v)
    return y


_piecewise = Composite("piecewise", np.piecewise, _piecewise_def)


def piecewise(x, condlist, funclist, *args, **kw):
    """Differentiable ``numpy.piecewise``: each function is applied to the elements of x
    where its (constant) condition holds, as NumPy, so a function never sees (nor
    differentiates at) the points it does not own; later conditions win.  The functions
    may compute with traced values.  Under vmap, where the conditions differ per
    example, and on other libraries' arrays, each function is applied to the whole x
    (JAX's piecewise) and the results are selected.

        >>> dnp.piecewise(x, [x < 0, x >= 0], [lambda v: -v, lambda v: v ** 2])
    """
    if plain(x) and not holds_tracer(x):
        try:
            return np.piecewise(x, condlist, funclist, *args, **kw)
        except CONVERSION_ERRORS:
            pass        # a function computed with traced values
    return _piecewise.definition(x, condlist, funclist, *args, **kw)


piecewise.composite = _piecewise


# ---------------------------------------------------------------- interp

def _segments(xps, xs):
    """For each x, the index i of the segment [xp[i-1], xp[i]] holding it (NumPy's
    searchsorted(xp, x, 'right'), clipped to [1, len(xp) - 1])."""
    m = np.shape(xps)[0]
    if not isinstance(xps, Tracer) and not isinstance(xs, Tracer):
        if backend.is_foreign(xps) or backend.is_foreign(xs):
            xp_ = backend.namespace(xps, xs)
            i = xp_.searchsorted(xps, xs, side="right")
            return xp_.clip(i, 1, m - 1)
        return np.clip(np.searchsorted(xps, xs, side="right"), 1, m - 1)
    # Batched by vmap: count the sample points at or below each x.
    from ._elementwise import maximum, minimum
    below = astype(getitem(xs, (Ellipsis, None)) >= xps, np.int64)
    i = _sum(below, (np.ndim(xs),), False)
    return minimum(maximum(i, 1), m - 1)


def _np_interp(x, xp, fp, left=None, right=None, period=None):
    """NumPy's interp, in single precision where the inputs are (NumPy's is double)."""
    return _single_out(np.interp(x, xp, fp, left, right, period), x, xp, fp)


def _single_out(out, x, xp, fp):
    arrays = [v for v in (x, xp, fp) if isinstance(v, (np.ndarray, np.generic))]
    if any(v.dtype.char in "fF" for v in arrays) and all(
            v.dtype.char in "fF" or v.dtype.kind in "iub" for v in arrays):
        out = out.astype(np.complex64 if out.dtype.kind == "c" else np.float32)
    return out


@composite(_np_interp, name="interp")
def _interp(x, xp, fp, left=None, right=None, period=None):
    """Differentiable ``numpy.interp``: piecewise-linear interpolation, differentiable in
    x, xp and fp (and left/right).  At a sample point the derivative in x is the slope
    of the segment to its right (of the last segment at xp[-1]), as JAX; where two
    sample points coincide the value is the left one's fp, with a finite derivative.
    Traced values keep their dtype (float32 stays float32, as JAX); NumPy's own
    interp (untraced inputs) returns float64.

        >>> dnp.interp(2.5, [1.0, 2.0, 3.0], fp)     # (fp[1] + fp[2]) / 2
    """
    x, xp, fp = _arr(x), _arr(xp), _arr(fp)
    if np.ndim(xp) != 1 or np.ndim(fp) != 1:
        raise ValueError("interp: xp and fp must be 1-d sequences")
    if np.shape(xp)[0] != np.shape(fp)[0]:
        raise ValueError("fp and xp are not of the same length.")
    if np.shape(xp)[0] == 0:
        raise ValueError("array of sample points is empty")
    if backend.is_complex(strip(x)) or backend.is_complex(strip(xp)):
        raise TypeError("interp: x and xp must be real")
    if period is not None:
        if np.ndim(period) != 0 or period == 0:
            raise ValueError("period must be a non-zero value")
        period = abs(period)
        left = right = None
        x = remainder(x, period)
        xp = remainder(xp, period)
        xps = strip(xp)
        if isinstance(xps, Tracer):
            raise NotImplementedError("interp with period and sample points batched by vmap "
                                      "is not supported")
        order = (backend.namespace(xps).argsort(xps, stable=True) if backend.is_foreign(xps)
                 else np.argsort(xps, kind="stable"))
        xp, fp = getitem(xp, (order,)), getitem(fp, (order,))
        xp = concatenate([getitem(xp, (slice(-1, None),)) - period, xp,
                          getitem(xp, (slice(0, 1),)) + period])
        fp = concatenate([getitem(fp, (slice(-1, None),)), fp, getitem(fp, (slice(0, 1),))])
    shape = np.shape(x)
    x = _reshape(x, (int(np.prod(shape)),))     # (index arrays of one dimension for Dask)
    m = np.shape(xp)[0]
    if m == 1:
        f = broadcast_to(getitem(fp, 0), np.shape(x))
    else:
        xs, xps = strip(x), strip(xp)
        i = _segments(xps, xs)
        x0, x1 = getitem(xp, i - 1), getitem(xp, i)
        f0, f1 = getitem(fp, i - 1), getitem(fp, i)
        dx = subtract(x1, x0)
        same = strip(dx) == 0
        t = divide(subtract(x, x0), where(same, 1.0, dx))
        f = where(same, f0, add(f0, multiply(t, subtract(f1, f0))))
    xs, xps = strip(x), strip(xp)
    first, last = getitem(xps, 0), getitem(xps, -1)
    f = where(xs < first, getitem(fp, 0) if left is None else left, f)
    f = where(xs > last, getitem(fp, -1) if right is None else right, f)
    return _reshape(f, shape)


def interp(x, xp, fp, left=None, right=None, period=None):
    cx = x.__class__
    if (cx is np.ndarray or cx is float or cx is int) and xp.__class__ is np.ndarray and \
            fp.__class__ is np.ndarray:
        out = np.interp(x, xp, fp, left, right, period)
        if fp.dtype.char in "fF" or xp.dtype.char in "fF" or (
                cx is np.ndarray and x.dtype.char in "fF"):
            return _single_out(out, x, xp, fp)
        return out
    return _interp(x, xp, fp, left, right, period)


interp.__doc__, interp.composite = _interp.__doc__, _interp.composite


# ---------------------------------------------------------------- unwrap

def _xp_unwrap(xp, p, *, discont, axis, period):
    nd = p.ndim
    lo = (slice(None),) * axis
    rest = (slice(None),) * (nd - axis - 1)
    dd = p[lo + (slice(1, None),) + rest] - p[lo + (slice(0, -1),) + rest]
    half = period / 2
    ddmod = (dd + half) % period - half
    ddmod = xp.where((ddmod == -half) & (dd > 0), xp.full_like(ddmod, half), ddmod)
    fix = xp.where(xp.abs(dd) < (half if discont is None else discont),
                   xp.zeros_like(dd), ddmod - dd)
    return xp.concat([p[lo + (slice(0, 1),) + rest],
                      p[lo + (slice(1, None),) + rest] + xp.cumulative_sum(fix, axis=axis)],
                     axis=axis)


# The correction unwrap adds is a sum of whole periods, constant between the jumps: its
# derivative is the identity (as JAX's, where it is defined).
unwrap_p = Primitive(
    "unwrap", lambda p, *, discont, axis, period: np.unwrap(p, discont, axis, period=period),
    xp=_xp_unwrap,
    jvp=(lambda p_dot, ans, p, *, discont, axis, period: p_dot,),
    vjp=(lambda g, ans, p, *, discont, axis, period: g,),
    batch=lambda batched, p, *, discont, axis, period: bind(
        unwrap_p, (p,), dict(discont=discont, axis=axis + 1, period=period)))


def unwrap(p, discont=None, axis=-1, *, period=2 * math.pi):
    """Differentiable ``numpy.unwrap``: jumps larger than ``discont`` (default period/2)
    along ``axis`` are taken back by whole periods.  The derivative is the identity
    (the correction is piecewise constant).

        >>> dnp.unwrap(phases)           # grad of a sum: ones
    """
    if plain(p):
        try:
            return np.unwrap(p, discont, axis, period=period)
        except CONVERSION_ERRORS:
            pass
    p = _arr(p)
    if plain(p):
        return np.unwrap(p, discont, axis, period=period)
    nd = np.ndim(p)
    axis = _normalize_axes(axis, max(nd, 1), "unwrap")[0]
    if nd == 0:
        raise ValueError("unwrap: the input must be at least 1-d")
    return bind(unwrap_p, (p,), dict(discont=discont, axis=axis, period=period))


# ---------------------------------------------------------------- x.at[idx]

class _IndexUpdateHelper:
    """``x.at``: ``x.at[idx]`` names the elements that an update writes (JAX's)."""

    __slots__ = ("array",)

    def __init__(self, array):
        self.array = array

    def __getitem__(self, idx):
        return _IndexUpdateRef(self.array, idx)

    def __repr__(self):
        return f"_IndexUpdateHelper({self.array!r})"


_HINTS = ("indices_are_sorted", "unique_indices")


def _check_kwargs(kwargs, who):
    mode = kwargs.pop("mode", None)
    fill = kwargs.pop("fill_value", None)
    for h in _HINTS:
        kwargs.pop(h, None)
    if kwargs:
        raise TypeError(f"at[...].{who}() got unexpected keyword arguments {sorted(kwargs)}")
    if mode not in (None, "promise_in_bounds") or fill is not None:
        raise NotImplementedError(
            f"at[...].{who}(): only NumPy's indexing (an index out of range raises "
            f"IndexError) is supported, not mode={mode!r} / fill_value={fill!r}")


class _IndexUpdateRef:
    """``x.at[idx]``: functional updates of the elements x[idx], each returning a new
    array (x traced arrays are immutable).  Where an index repeats, ``add`` adds every
    value, ``multiply``/``divide``/``power`` use the product of the values (JAX's), ``min``
    and ``max`` take the extreme of all of them and of x (ties share the derivative
    evenly, as JAX), and ``set`` keeps the last value (NumPy's; JAX leaves it
    unspecified).

        >>> x.at[0].set(1.0); x.at[idx].add(v); x.at[:, 1].max(v); x.at[2].get()
    """

    __slots__ = ("array", "index")

    def __init__(self, array, index):
        self.array, self.index = array, index

    def __repr__(self):
        return f"_IndexUpdateRef({self.array!r}, {self.index!r})"

    def get(self, **kwargs):
        """``x[idx]``."""
        _check_kwargs(kwargs, "get")
        return getitem(self.array, self.index)

    def set(self, values, **kwargs):
        """x with x[idx] = values."""
        _check_kwargs(kwargs, "set")
        return set_item(self.array, self.index, self._values(values))

    def add(self, values, **kwargs):
        """x with values added at idx (repeated indices add every value)."""
        _check_kwargs(kwargs, "add")
        x, idx, sel = self._where()
        return add(x, _scatter(broadcast_to(self._values(values), sel), idx, np.shape(x)))

    def multiply(self, values, **kwargs):
        """x with x[idx] multiplied by values."""
        _check_kwargs(kwargs, "multiply")
        return self._combine(values, multiply)

    def divide(self, values, **kwargs):
        """x with x[idx] divided by values."""
        _check_kwargs(kwargs, "divide")
        return self._combine(values, divide)

    def power(self, values, **kwargs):
        """x with x[idx] raised to the power values."""
        _check_kwargs(kwargs, "power")
        return self._combine(values, power)

    def min(self, values, **kwargs):
        """x with x[idx] = minimum(x[idx], values)."""
        _check_kwargs(kwargs, "min")
        return self._extreme(values, _min)

    def max(self, values, **kwargs):
        """x with x[idx] = maximum(x[idx], values)."""
        _check_kwargs(kwargs, "max")
        return self._extreme(values, _max)

    # ------------------------------------------------------------ helpers

    def _where(self):
        x = self.array
        idx = _static_index(self.index)
        return x, idx, _indexed_shape(np.shape(x), idx)

    def _values(self, values):
        """values in x's dtype (JAX casts them)."""
        if type(values) in (int, float):
            return values
        values = _arr(values)
        dt = backend.dtype(strip(self.array))
        if not backend.same_dtype(backend.dtype(strip(values)), dt):
            values = astype(values, dt)
        return values

    def _layers(self, values, fill):
        """The written positions, once each: ``(x, positions, rows)`` with ``rows`` of
        shape (R, U): for each of the U distinct flat positions written, the R values
        written to it (R: the most any position gets), ``fill`` where fewer; or
        ``(x, idx, v)`` with v the values (a ``rows`` of one layer) when no position is
        written twice.  ``positions`` is None in that case."""
        x, idx, sel = self._where()
        shape = np.shape(x)
        size = int(np.prod(shape))
        pos = np.arange(size).reshape(shape)[idx]
        v = broadcast_to(self._values(values), sel)
        flat_pos = np.ravel(pos)
        uniq, first, counts = np.unique(flat_pos, return_index=True, return_counts=True)
        if uniq.size == flat_pos.size:
            return x, idx, None, v
        order = np.argsort(flat_pos, kind="stable")
        sorted_pos = flat_pos[order]
        ranks = np.arange(flat_pos.size) - np.searchsorted(sorted_pos, sorted_pos)
        col = np.searchsorted(uniq, sorted_pos)
        src = np.full((int(counts.max()), uniq.size), flat_pos.size)
        src[ranks, col] = order
        vf = _reshape(v, (flat_pos.size,))
        dt = backend.dtype(strip(vf))
        pool = concatenate([vf, backend.full((1,), fill, dt, vf)])
        rows = getitem(pool, (src,))
        return x, (uniq,), rows, None

    def _flat_update(self, x, positions, new_rows_fn):
        shape = np.shape(x)
        xf = _reshape(x, (int(np.prod(shape)),))
        cur = getitem(xf, positions)
        return _reshape(set_item(xf, positions, new_rows_fn(cur)), shape)

    def _combine(self, values, op):
        x, idx, rows, v = self._layers(values, 1)
        if rows is None:
            return set_item(x, idx, op(getitem(x, idx), v))
        return self._flat_update(x, idx, lambda cur: op(cur, _prod(rows, axis=0)))

    def _extreme(self, values, reduce):
        x, idx, rows, v = self._layers(values, _extreme_fill(self.array, reduce is _min))
        if rows is None:
            return set_item(x, idx, reduce(stack([getitem(x, idx), v]), axis=0))
        return self._flat_update(x, idx, lambda cur: reduce(
            concatenate([_reshape(cur, (1,) + np.shape(cur)), rows]), axis=0))


def _extreme_fill(x, lowest_wins):
    """A value that never wins a min (max) against x's values: +inf (-inf), or the
    extreme of x's integer dtype."""
    dt = backend.dtype(strip(x))
    k = backend.kind(dt)
    if k in "iu":
        info = np.iinfo(np.dtype(str(dt).rsplit(".", 1)[-1]))
        return info.max if lowest_wins else info.min
    if k == "b":
        return lowest_wins
    return math.inf if lowest_wins else -math.inf


# ---------------------------------------------------------------- methods of traced values

def _take_method(self, indices, axis=None, out=None, mode="raise"):
    return _take(self, indices, axis, out, mode)


def _compress_method(self, condition, axis=None, out=None):
    return compress(condition, self, axis, out)


def _choose_method(self, choices, out=None, mode="raise"):
    return choose(self, choices, out, mode)


def _diagonal_method(self, offset=0, axis1=0, axis2=1):
    return diagonal(self, offset, axis1, axis2)


METHODS = {"at": property(_IndexUpdateHelper), "take": _take_method,
           "compress": _compress_method, "choose": _choose_method,
           "diagonal": _diagonal_method, "nonzero": lambda self: nonzero(self)}
