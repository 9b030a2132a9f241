"""Array creation that can carry a derivative: full and full_like, in their fill value."""
import numpy as np

from ..core import Tracer, strip
from .. import backend
from ._dispatch import plain
from ._elementwise import astype
from ._shape import broadcast_to


def full(shape, fill_value, dtype=None, order="C"):
    """``numpy.full``, differentiable in ``fill_value``.

    >>> dualrev.grad(lambda s: dnp.sum(dnp.full((2, 3), s)))(1.5)
    6.0
    """
    if plain(fill_value):
        return np.full(shape, fill_value, dtype, order)
    if dtype is None:
        dtype = backend.dtype(strip(fill_value))
    return _filled(fill_value, shape, dtype)


def full_like(a, fill_value, dtype=None, order="K", subok=True, shape=None):
    """``numpy.full_like``, differentiable in ``fill_value``; the result does not
    depend on the values of ``a`` (their derivative is 0), only on its shape and
    dtype.

    >>> dualrev.grad(lambda s: dnp.sum(dnp.full_like(np.ones(4), s)))(1.5)
    4.0
    """
    if plain(fill_value):
        return np.full_like(strip(a), fill_value, dtype=dtype, order=order, subok=subok,
                            shape=shape)
    a = np.asarray(strip(a))
    return _filled(fill_value, a.shape if shape is None else shape,
                   a.dtype if dtype is None else dtype)


def _filled(fill_value, shape, dtype):
    """fill_value cast to dtype (a non-float dtype drops the derivative, as astype does)
    and broadcast to shape."""
    shape = (int(shape),) if isinstance(shape, (int, np.integer)) else tuple(int(s) for s in shape)
    return broadcast_to(astype(fill_value, dtype), shape)
