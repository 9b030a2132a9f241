"""dualrev.numpy: NumPy's names and semantics, differentiable.

On values that no transformation traces, every function is a thin shim over
the NumPy function of the same name.  Comparisons, ``sign``, shapes and
integer results carry no derivative and come back as plain NumPy values.
"""
import numpy as _np
from numpy import (e, euler_gamma, float16, float32, float64, complex64, complex128,  # noqa: F401
                   inf, int32, int64, nan, ndarray, newaxis, pi, bool_)

from ..core import Composite as _Composite, Tracer as _Tracer
from ._dispatch import CONVERSION_ERRORS as _CONVERSION_ERRORS
from ._dispatch import holds_tracer as _holds_tracer, nondiff as _nondiff
from ._dispatch import array_of as _array_of
from ._elementwise import (abs, absolute, add, angle, astype, ceil, conj, conjugate,  # noqa: F401
                           cos, cosh, divide, equal, exp, imag, real, floor, greater, greater_equal, isfinite, isinf, isnan,
                           less, less_equal, log, maximum, minimum, multiply, negative,
                           not_equal, power, round, sign, sin, sinh, sqrt, square,
                           subtract, tan, tanh, true_divide, where)
from ._creation import full, full_like, geomspace, linspace, logspace  # noqa: F401
from ._elementwise import fmod, mod, nonzero, remainder, zeros_like  # noqa: F401
from ._elementwise import (bitwise_and, bitwise_not, bitwise_or, bitwise_xor, invert,  # noqa: F401
                           logical_xor, trunc)
from ._linalg import dot, einsum, matmul, outer  # noqa: F401
from ._reductions import _unbroadcast, amax, amin, max, mean, min, prod, sum  # noqa: F401
from ._shape import (broadcast_to, concatenate, expand_dims, getitem, moveaxis,  # noqa: F401
                     ravel, reshape, squeeze, stack, swapaxes, transpose)
from . import _methods  # noqa: F401  (operators and methods of traced values)
from . import _arrange, _indexing, _products, _statistics, _ufuncs
from ._ufuncs import *  # noqa: F401,F403
from ._statistics import *  # noqa: F401,F403
from ._arrange import *  # noqa: F401,F403
from ._indexing import *  # noqa: F401,F403
from ._products import *  # noqa: F401,F403
from . import fft, linalg  # noqa: F401,E402

# Methods of traced values that each group of functions declares (``x.cumsum()`` ...).
for _group in (_ufuncs, _statistics, _arrange, _indexing, _products):
    for _name, _fn in _group.METHODS.items():
        setattr(_Tracer, _name, _fn)
del _group


shape = _nondiff(_np.shape)
ndim = _nondiff(_np.ndim)
size = _nondiff(_np.size)
result_type = _nondiff(_np.result_type)
ones_like = _nondiff(_np.ones_like)
empty_like = _nondiff(_np.empty_like)
argmax = _nondiff(_np.argmax)
argmin = _nondiff(_np.argmin)
iscomplexobj = _nondiff(_np.iscomplexobj)
isrealobj = _nondiff(_np.isrealobj)
allclose = _nondiff(_np.allclose)
isclose = _nondiff(_np.isclose)
array_equal = _nondiff(_np.array_equal)
all = _nondiff(_np.all)
any = _nondiff(_np.any)
logical_and = _nondiff(_np.logical_and)
logical_or = _nondiff(_np.logical_or)
logical_not = _nondiff(_np.logical_not)
# Integer and boolean results: constants to every transformation.
argwhere = _nondiff(_np.argwhere)
flatnonzero = _nondiff(_np.flatnonzero)
count_nonzero = _nondiff(_np.count_nonzero)
searchsorted = _nondiff(_np.searchsorted)
digitize = _nondiff(_np.digitize)
lexsort = _nondiff(_np.lexsort)
isin = _nondiff(_np.isin)
iscomplex = _nondiff(_np.iscomplex)
isreal = _nondiff(_np.isreal)
array_equiv = _nondiff(_np.array_equiv)
zeros, ones, empty, eye, identity = _np.zeros, _np.ones, _np.empty, _np.eye, _np.identity
arange = _np.arange


def asarray(a, dtype=None, *, copy=None):
    """Differentiable ``numpy.asarray``: a traced value is returned as it is (cast if
    dtype is given); a (nested) list or tuple holding traced values becomes one traced
    array, stacked from its elements (dtype: NumPy's promotion of theirs, Python scalars
    weak).  ``copy=False`` raises where NumPy would have to copy (a cast, a list).

        >>> dualrev.grad(lambda x: dnp.sum(dnp.asarray([x, 2 * x, 3.0]) ** 2))(1.0)   # 10.0
    """
    if not isinstance(a, _Tracer):
        try:
            return _np.asarray(a, dtype) if copy is None else _np.asarray(a, dtype, copy=copy)
        except _CONVERSION_ERRORS:
            if not _holds_tracer(a):
                raise
    return asarray.composite.definition(a, dtype, copy)


def array(object, dtype=None, *, copy=True):
    """Differentiable ``numpy.array``: as ``asarray`` (traced values are immutable, so a
    traced value needs no copy).

        >>> dnp.array([[x, y], [y, x]])            # x, y traced 0-d values: a 2x2 traced array
    """
    if not isinstance(object, _Tracer):
        try:
            return _np.array(object, dtype=dtype, copy=copy)
        except _CONVERSION_ERRORS:
            if not _holds_tracer(object):
                raise
    return array.composite.definition(object, dtype, None if copy else False)


def _traced_or_stacked(a, dtype, copy):
    """The definition of asarray and array: a traced value (cast to dtype), or a list
    holding traced values stacked into one."""
    if isinstance(a, _Tracer):
        return _traced_as(a, dtype, copy)
    return _traced_as(_array_of(a), dtype, copy, made=True)


asarray.composite = _Composite("asarray", _np.asarray, _traced_or_stacked)
array.composite = _Composite("array", _np.array, _traced_or_stacked)


def _traced_as(a, dtype, copy, made=False):
    """A traced value (``made``: stacked from a list) in dtype; copy=False forbids making
    a new array, as NumPy."""
    if made or (dtype is not None and _np.dtype(dtype) != a.dtype):
        if copy is False:
            raise ValueError(
                "asarray/array: unable to avoid a copy as requested by copy=False: "
                + ("a list holding traced values is stacked into a new array"
                   if made else f"a {a.dtype} traced value is cast to {_np.dtype(dtype)}"))
        if dtype is not None:
            a = astype(a, dtype)
    return a


def _as_method(fn):
    def method(self, *args, **kwargs):
        return fn(self, *args, **kwargs)
    method.__name__ = fn.__name__
    return method


# More of ndarray's methods: those with integer or boolean results (constants), and
# sort and partition, which return the result, as JAX's (NumPy's work in place, and
# traced values are immutable).
for _fn in (argmax, argmin, all, any, searchsorted, sort, partition):
    setattr(_Tracer, _fn.__name__, _as_method(_fn))
del _fn
