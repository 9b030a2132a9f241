"""dualrev.numpy: NumPy's names and semantics, differentiable.

On values that no transformation traces, every function is a thin shim over
the NumPy function of the same name.  Comparisons, ``sign``, shapes and
integer results carry no derivative and come back as plain NumPy values.
"""
import numpy as _np
from numpy import (e, euler_gamma, float16, float32, float64, complex64, complex128,  # noqa: F401
                   inf, int32, int64, nan, ndarray, newaxis, pi, bool_)

from ..core import Tracer as _Tracer
from ._dispatch import nondiff as _nondiff
from ._elementwise import (abs, absolute, add, angle, astype, ceil, conj, conjugate,  # noqa: F401
                           cos, cosh, divide, equal, exp, imag, real, floor, greater, greater_equal, isfinite, isinf, isnan,
                           less, less_equal, log, maximum, minimum, multiply, negative,
                           not_equal, power, round, sign, sin, sinh, sqrt, square,
                           subtract, tan, tanh, true_divide, where)
from ._elementwise import fmod, mod, remainder  # noqa: F401
from ._linalg import dot, einsum, matmul, outer  # noqa: F401
from ._reductions import _unbroadcast, amax, amin, max, mean, min, prod, sum  # noqa: F401
from ._shape import (broadcast_to, concatenate, expand_dims, getitem, moveaxis,  # noqa: F401
                     ravel, reshape, squeeze, stack, swapaxes, transpose)
from . import _methods  # noqa: F401  (operators and methods of traced values)

shape = _nondiff(_np.shape)
ndim = _nondiff(_np.ndim)
size = _nondiff(_np.size)
result_type = _nondiff(_np.result_type)
zeros_like = _nondiff(_np.zeros_like)
ones_like = _nondiff(_np.ones_like)
full_like = _nondiff(_np.full_like)
empty_like = _nondiff(_np.empty_like)
argmax = _nondiff(_np.argmax)
argmin = _nondiff(_np.argmin)
argsort = _nondiff(_np.argsort)
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
zeros, ones, full, empty, eye, identity = _np.zeros, _np.ones, _np.full, _np.empty, _np.eye, _np.identity
arange, linspace = _np.arange, _np.linspace


def asarray(a, dtype=None):
    """``numpy.asarray``; a traced value is returned as it is (cast if dtype given)."""
    if isinstance(a, _Tracer):
        return a if dtype is None else astype(a, dtype)
    return _np.asarray(a, dtype=dtype)


array = asarray
