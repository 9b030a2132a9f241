"""Operators, methods and NumPy protocols of traced values (Dual, Var)."""
import numpy as np

from ..core import Tracer, strip
from . import _elementwise as el
from . import _linalg as la
from . import _reductions as red
from . import _shape as sh


def _swap(f):
    return lambda self, other: f(other, self)


def _compare(fn):
    return lambda self, other: fn(strip(self), strip(other))


T = Tracer
T.__add__, T.__radd__ = el.add.method, _swap(el.add)
T.__sub__, T.__rsub__ = el.subtract.method, _swap(el.subtract)
T.__mul__, T.__rmul__ = el.multiply.method, _swap(el.multiply)
T.__truediv__, T.__rtruediv__ = el.divide.method, _swap(el.divide)
T.__mod__, T.__rmod__ = el.remainder.method, _swap(el.remainder)


def _no_modulus(mod):
    if mod is not None:
        raise TypeError(
            f"pow() with a modulus (here {mod!r}) is not differentiable and is not supported "
            f"on traced values: pow(x, y, mod) is modular exponentiation of integers; use "
            f"x ** y for the differentiable power")


def _pow(self, other, mod=None):
    _no_modulus(mod)
    return el.power(self, other)


def _rpow(self, other, mod=None):
    _no_modulus(mod)
    return el.power(other, self)


T.__pow__, T.__rpow__ = _pow, _rpow
T.__matmul__, T.__rmatmul__ = la.matmul, _swap(la.matmul)
T.__neg__ = el.negative
T.__pos__ = lambda self: self
T.__abs__ = el.abs
T.__getitem__ = sh.getitem
for _name, _fn in [("__lt__", el.less), ("__le__", el.less_equal), ("__gt__", el.greater),
                   ("__ge__", el.greater_equal), ("__eq__", el.equal), ("__ne__", el.not_equal)]:
    setattr(T, _name, _compare(_fn))
T.__hash__ = object.__hash__
# Boolean arrays' operators: masks computed from traced values (no derivative; under
# vmap, batched).
T.__and__, T.__rand__ = el.bitwise_and, _swap(el.bitwise_and)
T.__or__, T.__ror__ = el.bitwise_or, _swap(el.bitwise_or)
T.__xor__, T.__rxor__ = el.bitwise_xor, _swap(el.bitwise_xor)
T.__invert__ = el.invert

T.sum = lambda self, axis=None, keepdims=False: red.sum(self, axis, keepdims)
T.mean = lambda self, axis=None, keepdims=False: red.mean(self, axis, keepdims)
T.prod = lambda self, axis=None, keepdims=False: red.prod(self, axis, keepdims)
T.max = lambda self, axis=None, keepdims=False: red.max(self, axis, keepdims)
T.min = lambda self, axis=None, keepdims=False: red.min(self, axis, keepdims)
T.dot = la.dot
T.astype = el.astype
T.real = property(el.real)
T.imag = property(el.imag)
T.conj = T.conjugate = el.conj
T.ravel = sh.ravel
T.squeeze = lambda self, axis=None: sh.squeeze(self, axis)
T.swapaxes = sh.swapaxes


def _reshape_method(self, *shape, order="C"):
    if len(shape) == 1 and not isinstance(shape[0], (int, np.integer)):
        shape = shape[0]
    return sh.reshape(self, shape, order)


def _transpose_method(self, *axes):
    if len(axes) == 1 and not isinstance(axes[0], (int, np.integer)):
        axes = axes[0]
    return sh.transpose(self, axes or None)


T.reshape = _reshape_method
T.transpose = _transpose_method
T.T = property(lambda self: sh.transpose(self))
T.mT = property(lambda self: sh.swapaxes(self, -1, -2))

# NumPy functions and ufuncs applied to traced values run the dualrev.numpy
# function of the same name, so np.sin(x) differentiates like dnp.sin(x).
_UFUNC_ALIASES = {"absolute": "abs", "true_divide": "divide"}


def _dnp():
    from .. import numpy as dnp
    return dnp


def __array_ufunc__(self, ufunc, method, *inputs, **kwargs):
    name = _UFUNC_ALIASES.get(ufunc.__name__, ufunc.__name__)
    fn = getattr(_dnp(), name, None)
    if method != "__call__" or kwargs or fn is None:
        raise TypeError(
            f"numpy.{ufunc.__name__}{'' if method == '__call__' else '.' + method} "
            f"{'with ' + ', '.join(kwargs) + ' ' if kwargs else ''}is not differentiable "
            f"in dualrev; use the dualrev.numpy functions on traced values")
    return fn(*inputs)


def _counterpart(func):
    """dualrev.numpy's function for the NumPy function func (``numpy.linalg.norm`` ->
    ``dualrev.numpy.linalg.norm``), or None."""
    where = _dnp()
    module = getattr(func, "__module__", None) or "numpy"
    for part in module.split(".")[1:]:
        where = getattr(where, part, None)
        if where is None:
            return None
    fn = getattr(where, func.__name__, None)
    return None if fn is func else fn


def __array_function__(self, func, types, args, kwargs):
    fn = _counterpart(func)
    if fn is None:
        module = getattr(func, "__module__", None) or "numpy"
        hint = ""
        if func.__name__ == "copyto":   # what numpy.full and numpy.full_like fill with
            hint = (" (numpy.full and numpy.full_like with a traced fill value and an "
                    "untraced array call it: use dualrev.numpy.full or full_like)")
        raise TypeError(f"{module}.{func.__name__} is not differentiable in dualrev{hint}; use "
                        f"the dualrev.numpy functions on traced values")
    return fn(*args, **kwargs)


T.__array_ufunc__ = __array_ufunc__
T.__array_function__ = __array_function__
