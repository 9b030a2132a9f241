"""Cumulative functions, reductions beyond sum/max/prod, statistics and sorting.

``cumsum`` is a primitive (its transpose is the reversed cumulative sum); the
rest are compositions of primitives.  Sorting orders the primal values with a
non-differentiable ``argsort`` and gathers the (traced) values with it, so the
derivative of every order statistic (sort, partition, median, quantiles, ptp)
is the permutation of the tangent that the ordering makes; ties are broken by
a stable sort, as JAX.
"""
import operator
import warnings

import numpy as np

from .. import backend
from ..core import Primitive, bind, strip
from ._dispatch import array_of, dispatching_composite, numpy_first, plain
from ._elementwise import (add, astype, ceil, conj, divide, floor, isnan, maximum, minimum,
                           multiply, real, sqrt, subtract, where)
from ._elementwise import where as _where
from ._reductions import _norm_axis, _sum, max as _max, min as _min, mean as _mean, prod
from ._reductions import sum as _rsum
from ._shape import _normalize_axes, _reshape, concatenate, getitem, ravel, transpose

__all__ = ["cumsum", "cumprod", "cumulative_sum", "cumulative_prod", "nancumsum", "nancumprod",
           "diff", "ediff1d", "gradient", "ptp", "trapezoid",
           "nansum", "nanprod", "nanmax", "nanmin", "nanmean", "nanvar", "nanstd",
           "nanmedian", "nanpercentile", "nanquantile", "nanargmax", "nanargmin",
           "average", "var", "std", "median", "percentile", "quantile", "cov", "corrcoef",
           "sort", "argsort", "partition", "argpartition", "sort_complex"]

_NOVALUE = np._NoValue


# ---------------------------------------------------------------- helpers

def _shape(x):
    return np.shape(strip(x))


def _axis(axis, nd, name):
    return _normalize_axes(axis, nd, name)[0]


def _slice(x, axis, s):
    """x[..., s, ...] with s at ``axis``."""
    return getitem(x, (slice(None),) * axis + (s,))


def _flip(x, axis):
    return _slice(x, axis, slice(None, None, -1))


def _along(v, nd, axis):
    """A 1-d v shaped to broadcast along ``axis`` of an nd-dimensional array."""
    return _reshape(v, tuple(-1 if i == axis else 1 for i in range(nd)))


def _take(x, idx, axis):
    """``take_along_axis(x, idx, axis)`` for an idx of x's shape (or one that broadcasts
    against the other axes)."""
    shape = _shape(x)
    nd = len(shape)
    index = tuple(idx if i == axis else np.arange(n).reshape((-1,) + (1,) * (nd - 1 - i))
                  for i, n in enumerate(shape))
    return getitem(x, index)


def _npdt(x):
    """x's dtype as NumPy's (another library's dtype object by its name)."""
    dt = backend.dtype(strip(x))
    return dt if isinstance(dt, np.dtype) else np.dtype(str(dt).rsplit(".", 1)[-1])


def _real_dtype(x):
    dt = _npdt(x)
    if backend.kind(dt) == "c":
        return np.float32 if np.dtype(dt) == np.complex64 else np.float64
    if backend.kind(dt) == "f":
        return dt
    return np.float64


def _inexact(a):
    """a cast to float64 when its dtype is not a float or complex one (as NumPy's
    statistics compute on integers)."""
    return a if backend.kind(backend.dtype(strip(a))) in "fc" else astype(a, np.float64)


def _abs2(c):
    return real(multiply(c, conj(c))) if backend.kind(backend.dtype(strip(c))) == "c" \
        else multiply(c, c)


def _count(mask, axis, keepdims, dtype):
    """How many entries of the constant boolean mask are True over ``axis``, as dtype."""
    return _sum(astype(mask, dtype), axis, keepdims)


def _no_out(out, name):
    if out is not None:
        raise TypeError(f"{name}: out= cannot hold a traced result (traced arrays are "
                        f"immutable); use the returned value")


def _like(v, x):
    """A constant v (NumPy's or Python's) in the library of x, with x's dtype where x is
    another library's array (its operations may refuse NumPy values); else v."""
    xs = strip(x)
    if not plain(v) or backend.foreign_namespace([xs]) is None:
        return v
    return backend.asarray(v, xs, backend.dtype(xs))


def _stop(x):
    from ..api import stop_gradient
    return stop_gradient(x)


def _dof_warning():
    warnings.warn("Degrees of freedom <= 0 for slice", RuntimeWarning, stacklevel=4)


# ---------------------------------------------------------------- orderings (constants)

def _index_p(name, impl, xp_impl):
    """A non-differentiable primitive whose result is an array of positions along
    ``axis`` (unregistered: its result is a constant to every transformation; it is a
    primitive so that vmap batches it and other libraries compute it)."""
    def batch(batched, x, *, axis, **params):
        return bind(prim, (x,), dict(params, axis=axis + 1))
    prim = Primitive(name, impl, jvp=None, vjp=None, batch=batch, xp=xp_impl, register=False)
    return prim


_argsort_p = _index_p(
    "argsort", lambda x, *, axis, descending: np.flip(np.argsort(np.flip(x, axis), axis=axis,
                                                                 kind="stable"), axis)
    if descending else np.argsort(x, axis=axis, kind="stable"),
    lambda xp, x, *, axis, descending: xp.argsort(x, axis=axis, descending=descending,
                                                  stable=True))
# The standard has no argpartition: a stable argsort is one valid partition.
_argpartition_p = _index_p(
    "argpartition", lambda x, *, kth, axis: np.argpartition(x, kth, axis=axis),
    lambda xp, x, *, kth, axis: xp.argsort(x, axis=axis, stable=True))
_nanargmax_p = _index_p(
    "nanargmax", lambda x, *, axis: np.nanargmax(x, axis=axis),
    lambda xp, x, *, axis: xp.argmax(xp.where(xp.isnan(x), -xp.inf, x), axis=axis))
_nanargmin_p = _index_p(
    "nanargmin", lambda x, *, axis: np.nanargmin(x, axis=axis),
    lambda xp, x, *, axis: xp.argmin(xp.where(xp.isnan(x), xp.inf, x), axis=axis))


def _order(x, axis):
    """The stable sorting permutation of x's primal values along ``axis``."""
    return bind(_argsort_p, (strip(x),), dict(axis=axis, descending=False))


def _flat_axis(a, axis, name):
    """(a, axis): a flattened with axis 0 for axis=None, else the axis checked."""
    if axis is None:
        return ravel(a), 0
    return a, _axis(axis, max(len(_shape(a)), 1), name)


def argsort(a, axis=-1, kind=None, order=None, *, stable=None):
    """``numpy.argsort``; a constant (no derivative).  On traced values the sort is stable.

        >>> dnp.argsort(x)          # x traced: a NumPy integer array
    """
    if plain(a):
        return np.argsort(a, axis=axis, kind=kind, order=order, stable=stable)
    if order is not None:
        raise ValueError("argsort: order= applies to structured arrays, not traced values")
    a, ax = _flat_axis(array_of(a), axis, "argsort")
    return bind(_argsort_p, (strip(a),), dict(axis=ax, descending=False))


def argpartition(a, kth, axis=-1, kind="introselect", order=None):
    """``numpy.argpartition``; a constant (no derivative).

        >>> dnp.argpartition(x, 2)
    """
    if plain(a):
        return np.argpartition(a, kth, axis=axis, kind=kind, order=order)
    a, ax = _flat_axis(array_of(a), axis, "argpartition")
    return bind(_argpartition_p, (strip(a),), dict(kth=_kth(kth, _shape(a)[ax]), axis=ax))


def _kth(kth, n):
    k = np.asarray(kth)
    if k.dtype.kind not in "iu":
        raise TypeError("Partition index must be integer")
    if np.any((k < -n) | (k >= n)):
        raise ValueError(f"kth(={int(k.ravel()[0])}) out of bounds ({n})")
    return int(k) if k.ndim == 0 else tuple(int(i) for i in k.ravel())


def _nanarg(prim, np_fn, name):
    def fn(a, axis=None, out=None, *, keepdims=False):
        if plain(a):
            return np_fn(a, axis=axis, out=out, keepdims=keepdims)
        a = array_of(a)
        shape = _shape(a)
        flat, ax = _flat_axis(a, axis, name)
        res = bind(prim, (strip(flat),), dict(axis=ax))
        if keepdims:
            from ._shape import reshape
            res = reshape(res, (1,) * len(shape) if axis is None
                          else shape[:ax] + (1,) + shape[ax + 1:])
        return res
    fn.__name__ = fn.__qualname__ = name
    fn.__doc__ = (f"``numpy.{name}``; a constant (no derivative).\n\n"
                  f"    >>> dnp.{name}(x, axis=0)\n")
    return fn


nanargmax = _nanarg(_nanargmax_p, np.nanargmax, "nanargmax")
nanargmin = _nanarg(_nanargmin_p, np.nanargmin, "nanargmin")


# ---------------------------------------------------------------- sorting

@dispatching_composite(np.sort, one_array=True)
def sort(a, axis=-1, kind=None, order=None, *, stable=None):
    """Differentiable ``numpy.sort``: the derivative is the tangent permuted as the values
    are (ties keep their order: a stable sort, as JAX).  Complex values are ordered
    lexicographically, as NumPy.

        >>> dualrev.grad(lambda x: dnp.sort(x)[0])(np.array([3.0, 1.0, 2.0]))   # [0, 1, 0]
    """
    if order is not None:
        raise ValueError("sort: order= applies to structured arrays, not traced values")
    a, ax = _flat_axis(array_of(a), axis, "sort")
    return _take(a, _order(a, ax), ax)


@dispatching_composite(np.partition, one_array=True)
def partition(a, kth, axis=-1, kind="introselect", order=None):
    """Differentiable ``numpy.partition``: the derivative follows the values.  The order
    of the elements on either side of the kth is NumPy's for the same values.

        >>> dnp.partition(x, 1)      # x[1] in its sorted place, smaller ones before it
    """
    a, ax = _flat_axis(array_of(a), axis, "partition")
    idx = bind(_argpartition_p, (strip(a),), dict(kth=_kth(kth, _shape(a)[ax]), axis=ax))
    return _take(a, idx, ax)


@dispatching_composite(np.sort_complex, one_array=True)
def sort_complex(a):
    """Differentiable ``numpy.sort_complex``: sorted along the last axis, as complex.

        >>> dnp.sort_complex(x)      # complex128 for float64 x
    """
    a = array_of(a)
    dt = np.sort_complex(np.zeros(0, _npdt(a))).dtype
    return sort(astype(a, dt), axis=-1)


# ---------------------------------------------------------------- cumulative

def _cumsum(x, axis):
    return bind(cumsum_p, (x,), dict(axis=axis))


cumsum_p = Primitive(
    "cumsum", lambda x, *, axis: np.cumsum(x, axis=axis),
    xp=lambda xp, x, *, axis: xp.cumulative_sum(x, axis=axis),
    jvp=(lambda x_dot, ans, x, *, axis: _cumsum(x_dot, axis),),
    vjp=(lambda g, ans, x, *, axis: _flip(_cumsum(_flip(g, axis), axis), axis),),
    batch=lambda batched, x, *, axis: _cumsum(x, axis + 1))


def _cum_prep(a, axis, dtype, out, name):
    _no_out(out, name)
    a = array_of(a)
    if dtype is not None:
        a = astype(a, dtype)
    return _flat_axis(a, axis, name)


@numpy_first(np.cumsum, one_array=True)
def cumsum(a, axis=None, dtype=None, out=None):
    """Differentiable ``numpy.cumsum``.

        >>> dualrev.grad(lambda x: dnp.cumsum(x)[-1])(np.ones(3))    # [1, 1, 1]
    """
    a, ax = _cum_prep(a, axis, dtype, out, "cumsum")
    return _cumsum(a, ax)


def _cumprod(x, axis):
    """The running product by doubling steps (Hillis-Steele): after the step with
    shift s, entry i holds the product of entries max(0, i-2s+1)..i.  Only products:
    the derivative is exact with zeros in x, with no division."""
    n = _shape(x)[axis]
    s = 1
    while s < n:
        head = _slice(x, axis, slice(0, s))
        tail = multiply(_slice(x, axis, slice(s, None)), _slice(x, axis, slice(0, n - s)))
        x = concatenate([head, tail], axis)
        s *= 2
    return x


@dispatching_composite(np.cumprod, one_array=True)
def cumprod(a, axis=None, dtype=None, out=None):
    """Differentiable ``numpy.cumprod``; exact with zeros in the input (no division).

        >>> dualrev.grad(lambda x: dnp.cumprod(x)[-1])(np.array([2.0, 0.0, 3.0]))   # [0, 6, 0]
    """
    a, ax = _cum_prep(a, axis, dtype, out, "cumprod")
    return _cumprod(a, ax)


def _cumulative(a, axis, dtype, include_initial, name, scan, initial):
    a = array_of(a)
    nd = len(_shape(a))
    if axis is None:
        if nd != 1:
            raise ValueError(f"{name}: axis must be given for arrays of {nd} dimensions "
                             f"(it may be left out for 1-d arrays only)")
        axis = 0
    ax = _axis(axis, nd, name)
    if dtype is not None:
        a = astype(a, dtype)
    out = scan(a, ax)
    if include_initial:
        shape = _shape(out)
        first = backend.full(shape[:ax] + (1,) + shape[ax + 1:], initial,
                             backend.dtype(strip(out)), strip(out))
        out = concatenate([first, out], ax)
    return out


@dispatching_composite(getattr(np, "cumulative_sum", None), one_array=True)
def cumulative_sum(x, /, *, axis=None, dtype=None, include_initial=False):
    """Differentiable ``numpy.cumulative_sum`` (NumPy 2, the array API's).

        >>> dnp.cumulative_sum(x, include_initial=True)     # [0, x0, x0 + x1, ...]
    """
    return _cumulative(x, axis, dtype, include_initial, "cumulative_sum", _cumsum, 0)


@dispatching_composite(getattr(np, "cumulative_prod", None), one_array=True)
def cumulative_prod(x, /, *, axis=None, dtype=None, include_initial=False):
    """Differentiable ``numpy.cumulative_prod``; exact with zeros in the input.

        >>> dnp.cumulative_prod(x, include_initial=True)    # [1, x0, x0 * x1, ...]
    """
    return _cumulative(x, axis, dtype, include_initial, "cumulative_prod", _cumprod, 1)


def _nan_to(a, fill):
    return where(isnan(strip(a)), fill, a)


@dispatching_composite(np.nancumsum, one_array=True)
def nancumsum(a, axis=None, dtype=None, out=None):
    """Differentiable ``numpy.nancumsum``: NaNs count as zero (derivative 0 there).

        >>> dnp.nancumsum(x)
    """
    a, ax = _cum_prep(a, axis, dtype, out, "nancumsum")
    return _cumsum(_nan_to(a, 0), ax)


@dispatching_composite(np.nancumprod, one_array=True)
def nancumprod(a, axis=None, dtype=None, out=None):
    """Differentiable ``numpy.nancumprod``: NaNs count as one (derivative 0 there).

        >>> dnp.nancumprod(x)
    """
    a, ax = _cum_prep(a, axis, dtype, out, "nancumprod")
    return _cumprod(_nan_to(a, 1), ax)


# ---------------------------------------------------------------- differences, integrals

def _edge(v, shape, axis):
    """prepend/append v as a block of length 1 along axis where it is a scalar."""
    v = array_of(v)
    if len(_shape(v)) == 0:
        from ._shape import broadcast_to
        v = broadcast_to(v, shape[:axis] + (1,) + shape[axis + 1:])
    return v


@dispatching_composite(np.diff)
def diff(a, n=1, axis=-1, prepend=_NOVALUE, append=_NOVALUE):
    """Differentiable ``numpy.diff``.

        >>> dnp.diff(x, n=2, prepend=0.0)
    """
    n = operator.index(n)
    if n < 0:
        raise ValueError(f"order must be non-negative but got {n!r}")
    a = array_of(a)
    if n == 0:
        return a
    shape = _shape(a)
    if len(shape) == 0:
        raise ValueError("diff requires input that is at least one dimensional")
    ax = _axis(axis, len(shape), "diff")
    parts = ([_edge(prepend, shape, ax)] if prepend is not _NOVALUE else []) + [a] + (
        [_edge(append, shape, ax)] if append is not _NOVALUE else [])
    if len(parts) > 1:
        a = concatenate(parts, ax)
    for _ in range(n):
        a = subtract(_slice(a, ax, slice(1, None)), _slice(a, ax, slice(None, -1)))
    return a


@dispatching_composite(np.ediff1d)
def ediff1d(ary, to_end=None, to_begin=None):
    """Differentiable ``numpy.ediff1d``.

        >>> dnp.ediff1d(x, to_begin=0.0)
    """
    ary = ravel(array_of(ary))
    dt = _npdt(ary)
    parts = [diff(ary)]
    if to_begin is not None:
        parts.insert(0, astype(ravel(_like(array_of(to_begin), ary)), dt))
    if to_end is not None:
        parts.append(astype(ravel(_like(array_of(to_end), ary)), dt))
    return concatenate(parts) if len(parts) > 1 else parts[0]


def _weights3(nd, axis, *ws):
    return [_along(w, nd, axis) if len(_shape(w)) else w for w in ws]


def _gradient_axis(f, h, axis, edge_order):
    """The derivative of f along axis, spacing h: a scalar or the coordinates."""
    nd = len(_shape(f))
    s = lambda start, stop=None: _slice(f, axis, slice(start, stop))   # noqa: E731
    if len(_shape(h)) == 0:
        inner = divide(divide(subtract(s(2), s(None, -2)), h), 2.0)
        if edge_order == 1:
            first = divide(subtract(s(1, 2), s(0, 1)), h)
            last = divide(subtract(s(-1), s(-2, -1)), h)
        else:
            first = divide(add(add(multiply(s(0, 1), -1.5), multiply(s(1, 2), 2.0)),
                               multiply(s(2, 3), -0.5)), h)
            last = divide(add(add(multiply(s(-3, -2), 0.5), multiply(s(-2, -1), -2.0)),
                              multiply(s(-1), 1.5)), h)
        return concatenate([first, inner, last], axis)
    dx = diff(h)
    dx1, dx2 = getitem(dx, slice(None, -1)), getitem(dx, slice(1, None))
    both = add(dx1, dx2)
    a = divide(-dx2, multiply(dx1, both))
    b = divide(subtract(dx2, dx1), multiply(dx1, dx2))
    c = divide(dx1, multiply(dx2, both))
    a, b, c = _weights3(nd, axis, a, b, c)
    inner = add(add(multiply(a, s(None, -2)), multiply(b, s(1, -1))), multiply(c, s(2)))
    if edge_order == 1:
        first = divide(subtract(s(1, 2), s(0, 1)), _along(getitem(dx, slice(0, 1)), nd, axis))
        last = divide(subtract(s(-1), s(-2, -1)), _along(getitem(dx, slice(-1, None)), nd, axis))
    else:
        d1, d2 = getitem(dx, 0), getitem(dx, 1)
        t = add(d1, d2)
        first = add(add(multiply(s(0, 1), divide(-add(multiply(d1, 2.0), d2), multiply(d1, t))),
                        multiply(s(1, 2), divide(t, multiply(d1, d2)))),
                    multiply(s(2, 3), divide(-d1, multiply(d2, t))))
        d1, d2 = getitem(dx, -2), getitem(dx, -1)
        t = add(d1, d2)
        last = add(add(multiply(s(-3, -2), divide(d2, multiply(d1, t))),
                       multiply(s(-2, -1), divide(-t, multiply(d1, d2)))),
                   multiply(s(-1), divide(add(multiply(d2, 2.0), d1), multiply(d2, t))))
    return concatenate([first, inner, last], axis)


@dispatching_composite(np.gradient)
def gradient(f, *varargs, axis=None, edge_order=1):
    """Differentiable ``numpy.gradient`` (in f and in the spacings or coordinates), with
    edge_order 1 or 2.

        >>> dnp.gradient(y, x)              # dy/dx at the points x, second-order accurate
    """
    f = _inexact(array_of(f))
    shape = _shape(f)
    nd = len(shape)
    axes = tuple(range(nd)) if axis is None else tuple(_normalize_axes(axis, nd, "gradient"))
    if len(varargs) == 0:
        hs = [1.0] * len(axes)
    elif len(varargs) == 1 and np.ndim(strip(varargs[0])) == 0:
        hs = [varargs[0]] * len(axes)
    elif len(varargs) == len(axes):
        hs = list(varargs)
    else:
        raise TypeError("invalid number of arguments")
    if edge_order > 2 or edge_order < 1:
        raise ValueError("'edge_order' greater than 2 not supported")
    out = []
    for ax, h in zip(axes, hs):
        h = array_of(h)
        if np.ndim(strip(h)) == 1 and _shape(h)[0] != shape[ax]:
            raise ValueError("when 1d, distances must match the length of the corresponding "
                             "dimension")
        if np.ndim(strip(h)) > 1:
            raise ValueError("distances must be either scalars or 1d")
        if shape[ax] < edge_order + 1:
            raise ValueError("Shape of array too small to calculate a numerical gradient, at "
                             "least (edge_order + 1) elements are required.")
        if np.ndim(strip(h)) == 1:
            h = _inexact(h)
        out.append(_gradient_axis(f, h, ax, edge_order))
    return out[0] if len(out) == 1 else tuple(out)


@dispatching_composite(np.trapezoid)
def trapezoid(y, x=None, dx=1.0, axis=-1):
    """Differentiable ``numpy.trapezoid`` (in y, x and dx).

        >>> dnp.trapezoid(y, x)             # the integral of y over x by the trapezoid rule
    """
    y = array_of(y)
    nd = len(_shape(y))
    ax = _axis(axis, nd, "trapezoid")
    if x is None:
        d = array_of(dx)
    else:
        x = array_of(x)
        d = diff(x, axis=ax) if len(_shape(x)) > 1 else (
            _along(diff(x), nd, ax) if nd > 1 else diff(x))
    mid = add(_slice(y, ax, slice(1, None)), _slice(y, ax, slice(None, -1)))
    return _sum(divide(multiply(d, mid), 2.0), (ax,), False)


@dispatching_composite(np.ptp, one_array=True)
def ptp(a, axis=None, out=None, keepdims=False):
    """Differentiable ``numpy.ptp`` (max - min; ties share the derivative, as JAX).

        >>> dnp.ptp(x, axis=0)
    """
    _no_out(out, "ptp")
    a = array_of(a)
    return subtract(_max(a, axis, keepdims), _min(a, axis, keepdims))


# ---------------------------------------------------------------- the nan* reductions

def _nan_prep(a, dtype, out, name, where_=_NOVALUE, initial=_NOVALUE):
    _no_out(out, name)
    if where_ is not _NOVALUE or initial is not _NOVALUE:
        raise NotImplementedError(f"{name}: where= and initial= are not supported on traced "
                                  f"values")
    a = array_of(a)
    return a if dtype is None else astype(a, dtype)


@dispatching_composite(np.nansum, one_array=True)
def nansum(a, axis=None, dtype=None, out=None, keepdims=False, initial=_NOVALUE,
           where=_NOVALUE):
    """Differentiable ``numpy.nansum``: NaNs count as zero, with derivative 0 (as JAX).

        >>> dnp.nansum(x, axis=0)
    """
    a = _nan_prep(a, dtype, out, "nansum", where, initial)
    return _rsum(_nan_to(a, 0), axis, keepdims)


@dispatching_composite(np.nanprod, one_array=True)
def nanprod(a, axis=None, dtype=None, out=None, keepdims=False, initial=_NOVALUE,
            where=_NOVALUE):
    """Differentiable ``numpy.nanprod``: NaNs count as one, with derivative 0 (as JAX).

        >>> dnp.nanprod(x)
    """
    a = _nan_prep(a, dtype, out, "nanprod", where, initial)
    return prod(_nan_to(a, 1), axis, keepdims)


def _nan_extreme(name, reduce, fill):
    np_fn = getattr(np, name)

    def fn(a, axis=None, out=None, keepdims=False, initial=_NOVALUE, where=_NOVALUE):
        a = _nan_prep(a, None, out, name, where, initial)
        mask = isnan(strip(a))
        ax = _norm_axis(axis, len(_shape(a)), name)
        res = reduce(_where(mask, fill, a), axis, keepdims)
        empty = _count(~mask, ax, keepdims, np.int64) == 0
        if plain(empty) and not np.any(empty):
            return res
        if plain(empty):
            warnings.warn("All-NaN slice encountered", RuntimeWarning, stacklevel=3)
        return _where(empty, np.nan, res)
    fn.__name__ = fn.__qualname__ = name
    fn.__doc__ = (f"Differentiable ``numpy.{name}``: NaNs are skipped (derivative 0 there); "
                  f"an all-NaN slice gives NaN, as NumPy.\n\n    >>> dnp.{name}(x, axis=0)\n")
    return dispatching_composite(np_fn, one_array=True)(fn)


nanmax = _nan_extreme("nanmax", _max, -np.inf)
nanmin = _nan_extreme("nanmin", _min, np.inf)


@dispatching_composite(np.nanmean, one_array=True)
def nanmean(a, axis=None, dtype=None, out=None, keepdims=False, *, where=_NOVALUE):
    """Differentiable ``numpy.nanmean``: the mean of the non-NaN entries (derivative 0 at
    NaNs); an all-NaN slice gives NaN.

        >>> dnp.nanmean(x, axis=1)
    """
    a = _inexact(_nan_prep(a, dtype, out, "nanmean", where))
    mask = isnan(strip(a))
    ax = _norm_axis(axis, len(_shape(a)), "nanmean")
    n = _count(~mask, ax, keepdims, _real_dtype(a))
    return divide(_sum(_nan_to(a, 0), ax, keepdims), n)


def _nanvar(a, axis, dtype, out, ddof, keepdims, where_, mean, correction, name):
    a = _inexact(_nan_prep(a, dtype, out, name, where_))
    ddof = _ddof(ddof, correction, name)
    mask = isnan(strip(a))
    ax = _norm_axis(axis, len(_shape(a)), name)
    rdt = _real_dtype(a)
    n = _count(~mask, ax, True, rdt)
    if mean is _NOVALUE:
        mean = divide(_sum(_nan_to(a, 0), ax, True), n)
    sq = _abs2(_nan_to(subtract(a, mean), 0))
    s = _sum(sq, ax, keepdims)
    dof = subtract(n if keepdims else _reshape(n, _shape(s)), ddof)
    bad = dof <= 0
    if plain(bad) and not np.any(bad):
        return divide(s, dof)
    if plain(bad):
        _dof_warning()
    return where(bad, np.nan, divide(s, where(bad, 1, dof)))


def _ddof(ddof, correction, name):
    if correction is not _NOVALUE and correction is not None:
        if ddof != 0:
            raise ValueError(f"{name}: ddof and correction can't be provided simultaneously.")
        return correction
    return ddof


@dispatching_composite(np.nanvar, one_array=True)
def nanvar(a, axis=None, dtype=None, out=None, ddof=0, keepdims=False, *, where=_NOVALUE,
           mean=_NOVALUE, correction=_NOVALUE):
    """Differentiable ``numpy.nanvar``: NaNs are skipped (derivative 0 there); a slice with
    no more than ddof non-NaN entries gives NaN (derivative 0), as NumPy.

        >>> dnp.nanvar(x, axis=0, ddof=1)
    """
    return _nanvar(a, axis, dtype, out, ddof, keepdims, where, mean, correction, "nanvar")


@dispatching_composite(np.nanstd, one_array=True)
def nanstd(a, axis=None, dtype=None, out=None, ddof=0, keepdims=False, *, where=_NOVALUE,
           mean=_NOVALUE, correction=_NOVALUE):
    """Differentiable ``numpy.nanstd``: the square root of ``nanvar``.

        >>> dnp.nanstd(x)
    """
    return sqrt(_nanvar(a, axis, dtype, out, ddof, keepdims, where, mean, correction, "nanstd"))


# ---------------------------------------------------------------- mean, var, std, average

def _var(a, axis, dtype, out, ddof, keepdims, where_, mean, correction, name):
    _no_out(out, name)
    a = array_of(a)
    if dtype is not None:
        a = astype(a, dtype)
    a = _inexact(a)
    ddof = _ddof(ddof, correction, name)
    shape = _shape(a)
    ax = _norm_axis(axis, len(shape), name)
    if where_ is not _NOVALUE and where_ is not True:
        w = np.broadcast_to(strip(where_), shape) if plain(strip(where_)) else strip(where_)
        n = _count(w, ax, True, _real_dtype(a))
        if mean is _NOVALUE:
            mean = divide(_sum(where(w, a, 0), ax, True), n)
        s = _sum(where(w, _abs2(subtract(a, mean)), 0), ax, keepdims)
        dof = maximum(subtract(n if keepdims else _reshape(n, _shape(s)), ddof), 0)
        if plain(dof) and np.any(dof == 0):
            _dof_warning()
        return divide(s, dof)
    n = int(np.prod(shape if ax is None else [shape[i] for i in ax]))
    if mean is _NOVALUE:
        mean = divide(_sum(a, ax, True), n)
    s = _sum(_abs2(subtract(a, array_of(mean))), ax, keepdims)
    dof = n - ddof
    if dof > 0:
        return divide(s, dof)
    _dof_warning()
    # NumPy's value (s / 0: inf, or nan where s is 0) with JAX's derivative (that of
    # where(dof > 0, s / dof, nan)).
    return where(False, divide(s, dof), _stop(divide(s, 0)))


@dispatching_composite(np.var, one_array=True)
def var(a, axis=None, dtype=None, out=None, ddof=0, keepdims=False, *, where=_NOVALUE,
        mean=_NOVALUE, correction=_NOVALUE):
    """Differentiable ``numpy.var`` (ddof, where=, mean=, correction=).  Complex values
    give the mean of |x - mean|^2.  ddof >= N gives NumPy's value (inf, nan where all the
    values are equal, with NumPy's warning) and JAX's derivative (nan for ddof == N, 0 for
    ddof > N).

        >>> dnp.var(x, axis=0, ddof=1)
    """
    return _var(a, axis, dtype, out, ddof, keepdims, where, mean, correction, "var")


@dispatching_composite(np.std, one_array=True)
def std(a, axis=None, dtype=None, out=None, ddof=0, keepdims=False, *, where=_NOVALUE,
        mean=_NOVALUE, correction=_NOVALUE):
    """Differentiable ``numpy.std``: the square root of ``var`` (its derivative is inf
    where the variance is 0, as JAX).

        >>> dnp.std(x, ddof=1)
    """
    return sqrt(_var(a, axis, dtype, out, ddof, keepdims, where, mean, correction, "std"))


@dispatching_composite(np.average)
def average(a, axis=None, weights=None, returned=False, *, keepdims=False):
    """Differentiable ``numpy.average`` (in a and in the weights).

        >>> dnp.average(x, axis=0, weights=w, returned=True)   # (average, sum of weights)
    """
    a = _inexact(array_of(a))
    shape = _shape(a)
    ax = _norm_axis(axis, len(shape), "average")
    if weights is None:
        avg = _mean(a, ax, keepdims)
        n = int(np.prod(shape)) // max(int(np.prod(_shape(avg))), 1) if shape else 1
        scl = backend.full(_shape(avg), n, backend.dtype(strip(avg)), strip(avg))
    else:
        w = array_of(weights)
        ws = _shape(w)
        if ws != shape:
            if axis is None:
                raise TypeError("Axis must be specified when shapes of a and weights differ.")
            if len(ws) != 1:
                raise TypeError("1D weights expected when shapes of a and weights differ.")
            if len(ax) != 1 or ws[0] != shape[ax[0]]:
                raise ValueError("Length of weights not compatible with specified axis.")
            w = _along(w, len(shape), ax[0])
        scl = _sum(_broadcast(w, shape), ax, keepdims)
        if plain(strip(scl)) and np.any(strip(scl) == 0.0):
            raise ZeroDivisionError("Weights sum to zero, can't be normalized")
        avg = divide(_sum(multiply(a, w), ax, keepdims), scl)
    if returned:
        from ._shape import broadcast_to
        if _shape(scl) != _shape(avg):
            scl = broadcast_to(scl, _shape(avg))
        return avg, astype(scl, _npdt(avg))
    return avg


def _broadcast(w, shape):
    from ._shape import broadcast_to
    return w if _shape(w) == shape else broadcast_to(w, shape)


# ---------------------------------------------------------------- quantiles

_METHODS = ("linear", "lower", "higher", "midpoint", "nearest")


def _quantile(a, q, axis, method, keepdims, nan, name, scale=1.0):
    """q-th quantiles of a over axis: the sorted values gathered at q (n - 1) and
    interpolated by ``method``.  With ``nan``, NaNs are left out (n counts the others
    per slice); otherwise a slice holding a NaN gives NaN, as NumPy."""
    a = array_of(a)
    if backend.kind(backend.dtype(strip(a))) == "c":
        raise TypeError("a must be an array of real numbers")
    if method not in _METHODS:
        raise NotImplementedError(
            f"{name}: method={method!r} on traced values; supported: {', '.join(_METHODS)}")
    a = _inexact(a)
    q = array_of(q)
    qs = strip(q)
    if plain(qs):
        qa = np.asarray(qs)
        if np.any(qa < 0) or np.any(qa > scale) or np.any(np.isnan(qa)):
            raise ValueError(f"{'Percentiles' if scale == 100 else 'Quantiles'} must be in "
                             f"the range [0, {int(scale) if scale == 100 else 1}]")
    dt = np.result_type(_npdt(a), qs if isinstance(qs, (int, float)) else _npdt(qs))
    if scale != 1.0:
        q, qs = divide(q, scale), divide(qs, scale)
    shape = _shape(a)
    nd = len(shape)
    axes = tuple(range(nd)) if axis is None else tuple(_normalize_axes(axis, max(nd, 1), name))
    axes = tuple(i for i in axes if i < nd)
    rest = tuple(i for i in range(nd) if i not in axes)
    n = int(np.prod([shape[i] for i in axes]))
    x = _reshape(transpose(a, rest + axes) if rest + axes != tuple(range(nd)) else a,
                 tuple(shape[i] for i in rest) + (n,))
    rshape = tuple(shape[i] for i in rest)
    qshape = _shape(q)
    xs = strip(x)
    order = _order(x, len(rshape))
    rdt = _real_dtype(a)
    if nan:
        cnt = _count(~isnan(xs), (len(rshape),), False, rdt)
    else:
        cnt = n
    lead = (1,) * len(qshape)
    qb = _reshape(q, qshape + (1,) * len(rshape)) if rshape and qshape else q
    qbs = strip(qb)
    cm1 = cnt - 1 if isinstance(cnt, int) else subtract(cnt, 1)
    pos_s = multiply(qbs, cm1)
    low_s = floor(pos_s)
    top = max(cnt - 1, 0) if isinstance(cnt, int) else maximum(subtract(cnt, 1), 0)
    low_i = astype(minimum(maximum(low_s, 0), top), np.intp)
    high_i = astype(minimum(maximum(ceil(pos_s), 0), top), np.intp)
    grid = tuple(np.arange(k).reshape(lead + tuple(-1 if j == i else 1
                                                    for j in range(len(rshape))))
                 for i, k in enumerate(rshape))

    def at(i):
        return getitem(x, grid + (getitem(order, grid + (i,)) if rshape else
                                  getitem(order, i),))

    if method == "linear":
        w = _like(astype(subtract(multiply(qb, cm1), low_s), rdt), x)
        lo, hi = at(low_i), at(high_i)
        out = add(multiply(lo, subtract(1, w)), multiply(hi, w))
    elif method == "lower":
        out = at(low_i)
    elif method == "higher":
        out = at(high_i)
    elif method == "midpoint":
        out = multiply(add(at(low_i), at(high_i)), 0.5)
    else:   # nearest: NumPy's rounding (half to even)
        from ._elementwise import round as _round
        out = at(astype(minimum(maximum(_round(pos_s), 0), top), np.intp))
    if nan:
        empty = cnt == 0
        if plain(empty) and np.any(empty):
            warnings.warn("All-NaN slice encountered", RuntimeWarning, stacklevel=4)
        if not plain(empty) or np.any(empty):
            out = where(empty, np.nan, out)
    else:
        last = isnan(getitem(xs, (Ellipsis, slice(-1, None))))
        if not plain(last) or np.any(last):
            last = _reshape(getitem(_take(xs, order, len(rshape)), (Ellipsis, -1)), rshape)
            out = where(isnan(last), np.nan, out)
    if keepdims:
        out = _reshape(out, qshape + tuple(1 if i in axes else k for i, k in enumerate(shape)))
    return out if _npdt(out) == dt else astype(out, dt)


def _quantile_fn(np_fn, name, nan, scale, doc):
    def fn(a, q, axis=None, out=None, overwrite_input=False, method="linear", keepdims=False,
           *, weights=None, interpolation=None):
        _no_out(out, name)
        if weights is not None:
            raise NotImplementedError(f"{name}: weights= on traced values")
        if interpolation is not None:
            method = interpolation
        return _quantile(a, q, axis, method, keepdims, nan, name, scale)
    fn.__name__ = fn.__qualname__ = name
    fn.__doc__ = doc
    return dispatching_composite(np_fn)(fn)


quantile = _quantile_fn(np.quantile, "quantile", False, 1.0, """Differentiable ``numpy.quantile``
    (in a and in q), methods linear (default), lower, higher, midpoint and nearest (those of
    JAX; nearest rounds half to even, as NumPy).  The derivative follows the sorted values
    (ties: a stable sort, as JAX).

        >>> dnp.quantile(x, [0.25, 0.75], axis=0)
    """)
percentile = _quantile_fn(np.percentile, "percentile", False, 100.0, """Differentiable
    ``numpy.percentile``: ``quantile`` of q / 100.

        >>> dnp.percentile(x, 90)
    """)
nanquantile = _quantile_fn(np.nanquantile, "nanquantile", True, 1.0, """Differentiable
    ``numpy.nanquantile``: ``quantile`` of the non-NaN entries (derivative 0 at NaNs).

        >>> dnp.nanquantile(x, 0.5, axis=1)
    """)
nanpercentile = _quantile_fn(np.nanpercentile, "nanpercentile", True, 100.0, """Differentiable
    ``numpy.nanpercentile``: ``nanquantile`` of q / 100.

        >>> dnp.nanpercentile(x, 90)
    """)


@dispatching_composite(np.median, one_array=True)
def median(a, axis=None, out=None, overwrite_input=False, keepdims=False):
    """Differentiable ``numpy.median``: the middle value, or the mean of the two middle
    values (each gets half the derivative).

        >>> dualrev.grad(dnp.median)(np.array([3.0, 1.0, 2.0, 5.0]))   # [0.5, 0, 0.5, 0]
    """
    _no_out(out, "median")
    return _quantile(a, 0.5, axis, "midpoint", keepdims, False, "median")


@dispatching_composite(np.nanmedian, one_array=True)
def nanmedian(a, axis=None, out=None, overwrite_input=False, keepdims=False):
    """Differentiable ``numpy.nanmedian``: ``median`` of the non-NaN entries.

        >>> dnp.nanmedian(x, axis=0)
    """
    _no_out(out, "nanmedian")
    return _quantile(a, 0.5, axis, "midpoint", keepdims, True, "nanmedian")


# ---------------------------------------------------------------- covariance

def _rows(m, rowvar, name):
    m = array_of(m)
    nd = len(_shape(m))
    if nd > 2:
        raise ValueError(f"{name}: m has more than 2 dimensions")
    if nd < 2:
        m = _reshape(m, (1, -1) if nd else (1, 1))
    if not rowvar and _shape(m)[0] != 1:
        m = transpose(m)
    return m


@dispatching_composite(np.cov)
def cov(m, y=None, rowvar=True, bias=False, ddof=None, fweights=None, aweights=None, *,
        dtype=None):
    """Differentiable ``numpy.cov`` (in m, y and aweights).  As NumPy, the result is
    float64 unless dtype is given.

        >>> dnp.cov(x, rowvar=False, aweights=w)
    """
    X = _rows(m, rowvar, "cov")
    if y is not None:
        X = concatenate([X, _rows(y, rowvar, "cov")], 0)
    if dtype is None:
        dtype = np.result_type(_npdt(X), np.float64)
    X = astype(X, dtype)
    if ddof is None:
        ddof = 0 if bias else 1
    N = _shape(X)[1]
    w = None
    if fweights is not None:
        f = np.asarray(strip(fweights))
        if not np.all(f == np.around(f)):
            raise TypeError("fweights must be integer")
        if f.ndim > 1 or f.shape[0] != N:
            raise RuntimeError("incompatible numbers of samples and fweights")
        if np.any(f < 0):
            raise ValueError("fweights cannot be negative")
        w = f.astype(np.float64)
    if aweights is not None:
        aw = array_of(aweights)
        if _npdt(aw) != np.float64:     # as NumPy: float64 weights
            aw = astype(aw, np.float64)
        aws = strip(aw)
        if np.ndim(aws) > 1 or _shape(aw)[0] != N:
            raise RuntimeError("incompatible numbers of samples and aweights")
        if plain(aws) and np.any(np.asarray(aws) < 0):
            raise ValueError("aweights cannot be negative")
        w = aw if w is None else multiply(w, aw)
    avg, w_sum = average(X, axis=1, weights=w, returned=True)
    if w is None:
        fact = N - ddof
    else:
        w_sum = getitem(w_sum, 0)
        if ddof == 0:
            fact = w_sum
        elif aweights is None:
            fact = subtract(w_sum, ddof)
        else:
            fact = subtract(w_sum, divide(multiply(ddof, _rsum(multiply(w, aw))), w_sum))
    fs = strip(fact)
    if plain(fs) and np.all(np.asarray(fs) <= 0):
        warnings.warn("Degrees of freedom <= 0 for slice", RuntimeWarning, stacklevel=3)
        fact = 0.0
    from ._linalg import matmul
    Xc = subtract(X, _reshape(avg, (-1, 1)))
    Xw = Xc if w is None else multiply(Xc, w)
    c = divide(matmul(Xc, transpose(conj(Xw))), fact)
    from ._shape import squeeze
    return squeeze(c)


@dispatching_composite(np.corrcoef)
def corrcoef(x, y=None, rowvar=True, *, dtype=None):
    """Differentiable ``numpy.corrcoef``; the real part is clipped to [-1, 1], as NumPy
    and JAX.

        >>> dnp.corrcoef(x, y)
    """
    c = cov(x, y, rowvar, dtype=dtype)
    if len(_shape(c)) == 0:
        return divide(c, c)
    k = _shape(c)[0]
    i = np.arange(k)
    d = sqrt(real(getitem(c, (i, i))))
    c = divide(divide(c, _reshape(d, (-1, 1))), _reshape(d, (1, -1)))
    if backend.kind(backend.dtype(strip(c))) == "c":
        from ._elementwise import imag
        re = minimum(maximum(real(c), -1.0), 1.0)
        im = minimum(maximum(imag(c), -1.0), 1.0)
        return add(re, multiply(im, 1j))
    return minimum(maximum(c, -1.0), 1.0)


# ---------------------------------------------------------------- methods of traced values

def _method(fn):
    def method(self, *args, **kwargs):
        return fn(self, *args, **kwargs)
    method.__name__ = fn.__name__
    return method


METHODS = {"cumsum": _method(cumsum), "cumprod": _method(cumprod), "var": _method(var),
           "std": _method(std), "argsort": _method(argsort), "argpartition": _method(argpartition)}
