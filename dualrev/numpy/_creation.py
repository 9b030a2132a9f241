"""Array creation that can carry a derivative: full and full_like in their fill value,
linspace, logspace and geomspace in their endpoints (and logspace in its base)."""
import operator

import numpy as np

from ..core import Tracer, strip
from .. import backend
from ._dispatch import array_of, composite, holds_tracer, plain
from ._products import _dtype, _shape
from ._elementwise import (abs as _abs, add, astype, divide, exp, floor, log, multiply, power,
                           subtract)
from ._shape import (_normalize_axes, _reshape, broadcast_to, concatenate, expand_dims,
                     getitem, moveaxis)

__all__ = ["full", "full_like", "linspace", "logspace", "geomspace"]


def _arr(a):
    if holds_tracer(a):
        return array_of(a)
    if isinstance(a, (list, tuple)):
        return np.asarray(a)
    return a


def _weak(x):
    """x for NumPy's type promotion: Python numbers as they are (weak), arrays by dtype."""
    return x if isinstance(x, (int, float, complex)) else _dtype(x)


def _in(x, dt, like):
    """x in dtype dt: traced and foreign values cast, NumPy's and Python's values as
    constants of like's library."""
    if not plain(x):
        return x if backend.same_dtype(backend.dtype(strip(x)), dt) else astype(x, dt)
    xs = backend._leaf(like)
    if not backend.is_foreign(xs):
        return np.asarray(x, dt)
    return backend.asarray(np.asarray(x, dt), xs, backend.xp_dtype(backend.namespace(xs), dt))


def _concrete(x):
    """x's values as a NumPy array, or None under vmap (one value per example) and for
    another library's arrays (whose values may be lazy or on a device)."""
    xs = strip(x)
    return None if isinstance(xs, Tracer) or backend.is_foreign(xs) else np.asarray(xs)


def _shape_tuple(shape):
    return (operator.index(shape),) if np.ndim(shape) == 0 else tuple(
        operator.index(s) for s in shape)


@composite(np.full)
def full(shape, fill_value, dtype=None, order="C", **kwargs):
    """``numpy.full``, differentiable in ``fill_value``.

        >>> dualrev.grad(lambda s: dnp.sum(dnp.full((2, 3), s)))(1.5)
        6.0
    """
    fill_value = _arr(fill_value)
    if dtype is None:
        dtype = backend.dtype(strip(fill_value))
    return _filled(fill_value, shape, dtype)


@composite(np.full_like)
def full_like(a, fill_value, dtype=None, order="K", subok=True, shape=None, **kwargs):
    """``numpy.full_like``, differentiable in ``fill_value``; the result does not
    depend on the values of ``a`` (their derivative is 0), only on its shape and
    dtype.

        >>> dualrev.grad(lambda s: dnp.sum(dnp.full_like(np.ones(4), s)))(1.5)
        4.0
    """
    a, fill_value = _arr(a), _arr(fill_value)
    shape = _shape(a) if shape is None else shape
    dtype = backend.dtype(strip(a)) if dtype is None else dtype
    if plain(fill_value) and not plain(a):
        xs = backend._leaf(a)
        if backend.is_foreign(xs):
            return backend.full(_shape_tuple(shape), fill_value, backend.xp_dtype(
                backend.namespace(xs), backend.as_dtype(dtype)), xs)
        return np.full(shape, fill_value, dtype)
    return _filled(fill_value, shape, dtype)


def _filled(fill_value, shape, dtype):
    """fill_value cast to dtype (a non-float dtype drops the derivative, as astype does)
    and broadcast to shape."""
    return broadcast_to(astype(fill_value, dtype), _shape_tuple(shape))


# ---------------------------------------------------------------- ranges

def _ends(start, stop):
    """start and stop as values to compute with, the common dtype (NumPy's promotion,
    at least a float), and the value whose library constants are made in."""
    start, stop = _arr(start), _arr(stop)
    dt = np.result_type(_weak(start), _weak(stop))
    if dt.kind not in "fc":
        dt = np.result_type(dt, 1.0)
    like = start if not plain(start) else stop
    return _in(start, dt, like), _in(stop, dt, like), dt, like


@composite(np.linspace)
def linspace(start, stop, num=50, endpoint=True, retstep=False, dtype=None, axis=0, **kwargs):
    """Differentiable ``numpy.linspace``: ``start + k * step`` with ``step = (stop -
    start) / (num - 1)`` (``/ num`` without the endpoint), the last value ``stop`` itself;
    start and stop may be arrays (the samples along ``axis``).

        >>> dualrev.grad(lambda s: dnp.sum(dnp.linspace(s, 1.0, 5)))(0.0)    # 2.5
    """
    num = operator.index(num)
    if num < 0:
        raise ValueError(f"Number of samples, {num}, must be non-negative.")
    div = num - 1 if endpoint else num
    start, stop, dt, like = _ends(start, stop)
    shape = np.broadcast_shapes(_shape(start), _shape(stop))
    k = _in(np.arange(num, dtype=dt).reshape((-1,) + (1,) * len(shape)), dt, like)
    delta = subtract(stop, start)
    if div > 0:
        step = divide(delta, div)
        s = _concrete(step)
        if s is not None and np.any(s == 0):       # subnormal steps, as NumPy
            y = multiply(divide(k, div), delta)
        else:
            y = multiply(k, step)
    else:
        step = np.nan
        y = multiply(k, delta)
    y = add(y, start)
    if endpoint and num > 1:
        last = _reshape(broadcast_to(stop, shape), (1,) + shape)
        y = concatenate([getitem(y, slice(0, -1)), last])
    y = broadcast_to(y, (num,) + shape) if _shape(y) != (num,) + shape else y
    if axis != 0:
        y = moveaxis(y, 0, _normalize_axes(axis, len(shape) + 1, "linspace")[0])
    if dtype is not None:
        if np.issubdtype(dtype, np.integer):
            y = floor(y)
        y = astype(y, dtype)
    return (y, step) if retstep else y


@composite(np.logspace)
def logspace(start, stop, num=50, endpoint=True, base=10.0, dtype=None, axis=0):
    """Differentiable ``numpy.logspace``: ``base ** linspace(start, stop)``, in start,
    stop and base.

        >>> dualrev.grad(lambda s: dnp.sum(dnp.logspace(s, 1.0, 2)))(0.0)    # log(10)
    """
    base = _arr(base)
    if not isinstance(base, (int, float)) and len(_shape(base)):
        nd = len(np.broadcast_shapes(_shape(_arr(start)), _shape(_arr(stop)), _shape(base)))
        start, stop, base = (_ndmin(_arr(v), nd) for v in (start, stop, base))
        base = expand_dims(base, axis)
    y = linspace(start, stop, num=num, endpoint=endpoint, axis=axis)
    out = power(base, y)
    return out if dtype is None else astype(out, dtype)


def _ndmin(x, nd):
    s = _shape(x)
    return x if len(s) >= nd else _reshape(x, (1,) * (nd - len(s)) + s)


@composite(np.geomspace)
def geomspace(start, stop, num=50, endpoint=True, dtype=None, axis=0):
    """Differentiable ``numpy.geomspace``: the geometric sequence from start to stop
    (``exp(linspace(log start, log stop))`` after rotating start onto the positive reals,
    as NumPy; exactly start and stop at the ends), in start and stop.

        >>> dualrev.grad(lambda s: dnp.sum(dnp.geomspace(s, 4.0, 3)))(1.0)   # 1 + 1 = 2
    """
    start, stop = _arr(start), _arr(stop)
    for v in (start, stop):
        c = _concrete(v)
        if c is not None and np.any(c == 0):
            raise ValueError("Geometric sequence cannot include zero")
    dt = np.result_type(_dtype(start), _dtype(stop), float(num), np.zeros((), dtype))
    like = start if not plain(start) else stop
    start, stop = _in(start, dt, like), _in(stop, dt, like)
    if dt.kind == "c":
        sign = divide(start, _abs(start))
    else:
        sign = _in(_sign(start), dt, like)
    start, stop = divide(start, sign), divide(stop, sign)
    y = exp(linspace(log(start), log(stop), num=num, endpoint=endpoint))
    shape = _shape(y)[1:]
    if num > 0:
        parts = [_reshape(broadcast_to(start, shape), (1,) + shape)]
        if num > 1 and endpoint:
            parts += [getitem(y, slice(1, -1)), _reshape(broadcast_to(stop, shape), (1,) + shape)]
        else:
            parts.append(getitem(y, slice(1, None)))
        y = concatenate(parts)
    y = multiply(y, sign)
    if axis != 0:
        y = moveaxis(y, 0, _normalize_axes(axis, len(shape) + 1, "geomspace")[0])
    return y if dtype is None else astype(y, dtype)


def _sign(x):
    """The sign of x's values: a constant (batched under vmap)."""
    from ._elementwise import sign
    return sign(strip(x))
