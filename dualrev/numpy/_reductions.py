"""Reductions (sum, prod, max, min, mean) and the central unbroadcast."""
import builtins

import numpy as np

from .. import backend
from ..backend import NUMPY_TYPES
from ..core import Primitive, Tracer, bind, strip
from ._dispatch import (NUMPY_ERRORS, CONVERSION_ERRORS, array_of, dispatching_composite,
                        holds_tracer, plain, traced_array)
from ._elementwise import add, astype, divide, multiply, real
from ._shape import (_broadcast_to, _normalize_axes, _reshape, broadcast_to, concatenate,
                     getitem, transpose)


def _kept_shape(in_shape, axis):
    """The shape of a reduction over ``axis`` with keepdims=True."""
    if axis is None:
        return (1,) * len(in_shape)
    return tuple(1 if i in axis else n for i, n in enumerate(in_shape))


def _expand_back(g, in_shape, axis, keepdims, in_chunks=None):
    """Broadcast a reduced cotangent back over the reduced axes (chunked as the reduced
    input was, where its library chunks arrays: a Dask cotangent of all the rows in one
    block would have to be split again, and held whole by one worker)."""
    if not keepdims:
        g = _reshape(g, _kept_shape(in_shape, axis))
    return _broadcast_to(g, in_shape, in_chunks)


def _batch_axes(x, axis):
    """A reduction's axes (None: all) of one example, as axes of the batch (batch axis first)."""
    if axis is None:
        return tuple(range(1, np.ndim(x)))
    return tuple(a + 1 for a in axis)


def _reduce_batch(prim, x, *, axis, keepdims, **params):
    """The batching rule of the reduction prim: its axes moved past the batch axis."""
    if "in_shape" in params:
        params["in_shape"] = np.shape(x)
        params["in_chunks"] = backend.chunks(x)
    return bind(prim, (x,), dict(axis=_batch_axes(x, axis), keepdims=keepdims, **params))


sum_p = Primitive(
    "sum", lambda x, *, axis, keepdims, in_shape, in_chunks: np.sum(x, axis=axis,
                                                                     keepdims=keepdims),
    xp=lambda xp, x, *, axis, keepdims, in_shape, in_chunks: xp.sum(x, axis=axis,
                                                                     keepdims=keepdims),
    jvp=(lambda x_dot, ans, x, *, axis, keepdims, in_shape, in_chunks: _sum(x_dot, axis,
                                                                             keepdims),),
    vjp=(lambda g, ans, x, *, axis, keepdims, in_shape, in_chunks: _expand_back(
        g, in_shape, axis, keepdims, in_chunks),),
    batch=lambda batched, x, **params: _reduce_batch(sum_p, x, **params))


def _extreme_weights(x, ans, axis, keepdims, like):
    """Where x attains the max/min, 1/count (ties split evenly), else 0."""
    xs, a = strip(x), strip(ans)
    if not keepdims:
        a = _reshape(a, _kept_shape(np.shape(xs), axis))
    mask = astype(xs == a, backend.dtype(strip(like)))
    return mask / _sum(mask, axis, True)


def _extreme_vjp(g, ans, x, *, axis, keepdims):
    return multiply(_expand_back(g, np.shape(x), axis, keepdims, backend.chunks(x)),
                    _extreme_weights(x, ans, axis, keepdims, g))


def _extreme_jvp(x_dot, ans, x, *, axis, keepdims):
    return _sum(multiply(x_dot, _extreme_weights(x, ans, axis, keepdims, x_dot)), axis, keepdims)


max_p = Primitive(
    "max", lambda x, *, axis, keepdims: np.max(x, axis=axis, keepdims=keepdims),
    xp=lambda xp, x, *, axis, keepdims: xp.max(x, axis=axis, keepdims=keepdims),
    jvp=(_extreme_jvp,), vjp=(_extreme_vjp,),
    batch=lambda batched, x, **params: _reduce_batch(max_p, x, **params))
min_p = Primitive(
    "min", lambda x, *, axis, keepdims: np.min(x, axis=axis, keepdims=keepdims),
    xp=lambda xp, x, *, axis, keepdims: xp.min(x, axis=axis, keepdims=keepdims),
    jvp=(_extreme_jvp,), vjp=(_extreme_vjp,),
    batch=lambda batched, x, **params: _reduce_batch(min_p, x, **params))


def _halves(x, axis, fill):
    """x split along ``axis`` into its first and second half, after padding it
    with one ``fill`` to even length."""
    shape = np.shape(strip(x))
    n = shape[axis]
    if n % 2:
        pad = backend.full(shape[:axis] + (1,) + shape[axis + 1:], fill, backend.dtype(strip(x)),
                           x)
        x = concatenate([x, pad], axis)
    lead = (slice(None),) * axis
    m = (n + 1) // 2
    return getitem(x, lead + (slice(0, m),)), getitem(x, lead + (slice(m, None),))


def _prod_others(x, axis):
    """For each element, the product of the others along ``axis``.

    No division: a pairwise tree.  The axis, padded with a one to even length,
    is split in halves a and b; an element of a has as product of the others
    its partner in b times the product of the others of the pair product a*b
    (the same problem, half as long).  So zeros, inf and nan give what the
    product of the others gives, a product that over- or underflows only part
    way is not lost, memory stays O(n), and the work is log2(n) levels of
    dualrev.numpy operations, which outer transformations record.
    """
    shape = np.shape(strip(x))
    n = shape[axis]
    if n <= 1:
        return backend.full(shape, 1, backend.dtype(strip(x)), x)
    a, b = _halves(x, axis, 1)
    others = _prod_others(multiply(a, b), axis)
    out = concatenate([multiply(b, others), multiply(a, others)], axis)
    return getitem(out, (slice(None),) * axis + (slice(0, n),)) if n % 2 else out


def _prod_jvp(x_dot, ans, x, *, axis, keepdims):
    # The product rule carried up the tree of _prod_others, so that a zero
    # tangent never meets an infinite product of others.
    while np.shape(strip(x))[axis] > 1:
        a, b = _halves(x, axis, 1)
        a_dot, b_dot = _halves(x_dot, axis, 0)
        x_dot = add(multiply(a_dot, b), multiply(a, b_dot))
        x = multiply(a, b)
    return _sum(x_dot, (axis,), keepdims)


def _prod_vjp(g, ans, x, *, axis, keepdims):
    return multiply(_expand_back(g, np.shape(x), (axis,), keepdims, backend.chunks(x)),
                    _prod_others(x, axis))


prod_p = Primitive(   # over one axis
    "prod", lambda x, *, axis, keepdims: np.prod(x, axis=axis, keepdims=keepdims),
    xp=lambda xp, x, *, axis, keepdims: xp.prod(x, axis=axis, keepdims=keepdims),
    jvp=(_prod_jvp,), vjp=(_prod_vjp,),
    batch=lambda batched, x, *, axis, keepdims: _prod(x, axis + 1, keepdims))


def _norm_axis(axis, ndim, name):
    """A reduction's axis as a sorted tuple of non-negative axes (None: all)."""
    if axis is None:
        return None
    axes = _normalize_axes(axis, builtins.max(ndim, 1), name)   # a 0-d array takes axis 0
    return None if ndim == 0 else tuple(sorted(axes))


def _sum(x, axis, keepdims):
    xs = strip(x)
    return bind(sum_p, (x,), dict(axis=axis, keepdims=keepdims, in_shape=np.shape(xs),
                                  in_chunks=None if xs.__class__ in NUMPY_TYPES
                                  else backend.chunks(xs)))


def _prod(x, axis, keepdims):
    """Product over the single axis ``axis``."""
    return bind(prod_p, (x,), dict(axis=axis, keepdims=keepdims))


def _reduction(name, doc):
    """A dnp reduction from ``traced(a, axes, keepdims)``, its code for traced values
    (axes already checked: a sorted tuple, or None for all).  Untraced values go to
    NumPy; where NumPy refuses the axis, the same axis check raises its error naming the
    function.  A list holding traced values becomes one traced array first."""
    np_fn = getattr(np, name)

    def wrap(traced):
        def fn(a, axis=None, keepdims=False):
            if plain(a):
                try:
                    return np_fn(a, axis=axis, keepdims=keepdims)
                except NUMPY_ERRORS:
                    if not holds_tracer(a):
                        if axis is not None:
                            _norm_axis(axis, np.ndim(a), name)
                        raise
                a = array_of(a)
            return traced(a, _norm_axis(axis, np.ndim(a), name), keepdims)
        fn.__name__ = fn.__qualname__ = name
        fn.__doc__ = doc
        return fn
    return wrap


@_reduction("sum", "Differentiable ``numpy.sum``.")
def sum(a, ax, keepdims):
    return _sum(a, ax, keepdims)


@dispatching_composite(np.mean)
@_reduction("mean", "Differentiable ``numpy.mean``.")
def mean(a, ax, keepdims):
    shape = backend.known_shape(a, "mean")
    n = int(np.prod(shape if ax is None else [shape[i] for i in ax]))
    return divide(_sum(a, ax, keepdims), n)


@_reduction("prod", "Differentiable ``numpy.prod``; exact with zeros, inf and nan in the input.")
def prod(a, ax, keepdims):
    shape = np.shape(a)
    ax = tuple(range(len(shape))) if ax is None else ax
    if not ax:
        return a
    if len(ax) == 1:
        return _prod(a, ax[0], keepdims)
    keep = tuple(i for i in range(len(shape)) if i not in ax)
    n = int(np.prod([shape[i] for i in ax]))
    merged = _reshape(transpose(a, keep + ax), tuple(shape[i] for i in keep) + (n,))
    out = _prod(merged, len(keep), False)
    return _reshape(out, _kept_shape(shape, ax)) if keepdims else out


def _extreme(prim, name):
    @_reduction(name, f"Differentiable ``numpy.{name}``; ties share the gradient evenly (as JAX).")
    def fn(a, ax, keepdims):
        return bind(prim, (a,), dict(axis=ax, keepdims=keepdims))
    return fn


max = amax = _extreme(max_p, "max")
min = amin = _extreme(min_p, "min")


def _unbroadcast(c, shape, dtype):
    """Bring a cotangent back to an argument's shape and dtype (sum over broadcast axes)."""
    cs = np.shape(c)
    if cs != shape:
        lead = len(cs) - len(shape)
        if lead < 0:
            c = broadcast_to(c, shape)
        else:
            axes = tuple(range(lead)) + tuple(
                lead + i for i, n in enumerate(shape) if n == 1 and cs[lead + i] != 1)
            if axes:
                c = _sum(c, axes, False)
            c = _reshape(c, shape)
    d = getattr(c, "dtype", None)
    if d != dtype:
        c = _cast(c, dtype)
    return c


def _cast(c, dtype):
    """A tangent or cotangent in its value's dtype.  A complex one reaching a real
    value keeps its real part: the transpose of the real-to-complex embedding."""
    if backend.kind(dtype) != "c" and backend.is_complex(strip(c)):
        c = real(c)
    return astype(c, dtype)


