"""The top-level functions of the imperative layer: factories (``tensor``, ``randn``,
``zeros``...) and the function forms of Tensor methods (``dualrev.exp(t)``)."""
import numbers

import numpy as np

from . import devices as _devices, numpy as dnp
from .core import strip
from .tensor import (Size, Tensor, _data_array, _default_dtype, _host_pair, _rng, _wrap,
                     default_complex_dtype)

# ============================================================================ factories

def tensor(data, dtype=None, requires_grad=False, device=None):
    """A new leaf tensor holding a copy of data.

    Python floats give ``get_default_dtype()`` (float32, as PyTorch), Python complex
    numbers its complex counterpart (complex64, or complex128 when the default is
    float64); NumPy arrays keep their dtype.  ``device`` ('cpu', 'cuda', 'cuda:1', a
    ``dualrev.device``) is where it lives (data's device, or the CPU, by default).

    >>> dualrev.tensor([1.0, 2.0], requires_grad=True)
    tensor([1., 2.], requires_grad=True)
    """
    return Tensor(data, dtype=_dtype_arg(dtype), requires_grad=requires_grad, device=device)


def as_tensor(data, dtype=None, device=None):
    """A tensor sharing memory with data where possible (a NumPy or CuPy array, a tensor
    already of that dtype and device)."""
    dev = _devices.resolve(device)
    if isinstance(data, Tensor):
        t = data.to(dev, _dtype_arg(dtype))
        return t
    x = _data_array(data, _dtype_arg(dtype), copy=False)
    return _wrap(x if dev is None else _devices.to(x, dev))


def from_numpy(array):
    """A tensor sharing memory with a NumPy array."""
    if not isinstance(array, np.ndarray):
        raise TypeError(f"from_numpy: expected np.ndarray, got {type(array).__name__}")
    return _wrap(array)


def _device(device, default=None):
    """The resolved ``device=`` argument (None: ``default``, itself resolved)."""
    if device is None:
        return default
    return _devices.resolve(device)


def _dtype_arg(dtype):
    return None if dtype is None else np.dtype(dtype)


def _size_arg(size, where):
    if len(size) == 1 and isinstance(size[0], (tuple, list, Size)):
        size = tuple(size[0])
    for s in size:
        if not isinstance(s, (int, np.integer)) or isinstance(s, bool) or s < 0:
            raise TypeError(f"{where}: sizes must be non-negative ints, got {size!r}")
    return tuple(int(s) for s in size)


def _leaf(array, requires_grad, device=None):
    t = _wrap(_devices.place(array, device))
    if requires_grad:
        t.requires_grad_(True)
    return t


def _float_dtype(dtype):
    return _default_dtype[0] if dtype is None else np.dtype(dtype)


def zeros(*size, dtype=None, requires_grad=False, device=None):
    """Zeros of the given size (default dtype float32), on ``device`` (the CPU by default)."""
    dev = _device(device)
    return _leaf(np.zeros(_size_arg(size, "zeros"), _float_dtype(dtype)), requires_grad, dev)


def ones(*size, dtype=None, requires_grad=False, device=None):
    dev = _device(device)
    return _leaf(np.ones(_size_arg(size, "ones"), _float_dtype(dtype)), requires_grad, dev)


def empty(*size, dtype=None, requires_grad=False, device=None):
    dev = _device(device)
    return _leaf(np.empty(_size_arg(size, "empty"), _float_dtype(dtype)), requires_grad, dev)


def full(size, fill_value, dtype=None, requires_grad=False, device=None):
    dev = _device(device)
    if dtype is None:
        dtype = (np.bool_ if isinstance(fill_value, bool) else np.int64
                 if isinstance(fill_value, numbers.Integral) else _default_dtype[0]
                 if isinstance(fill_value, numbers.Real) else default_complex_dtype())
    return _leaf(np.full(_size_arg((size,), "full"), fill_value, np.dtype(dtype)),
                 requires_grad, dev)


def _like(t, dtype):
    return np.dtype(dtype) if dtype is not None else t.dtype


def zeros_like(input, dtype=None, requires_grad=False, device=None):
    """Zeros of input's shape, dtype and device (unless given)."""
    return _leaf(np.zeros(input.shape, _like(input, dtype)), requires_grad,
                 _device(device, input.device))


def ones_like(input, dtype=None, requires_grad=False, device=None):
    return _leaf(np.ones(input.shape, _like(input, dtype)), requires_grad,
                 _device(device, input.device))


def full_like(input, fill_value, dtype=None, requires_grad=False, device=None):
    return _leaf(np.full(input.shape, fill_value, _like(input, dtype)), requires_grad,
                 _device(device, input.device))


def empty_like(input, dtype=None, requires_grad=False, device=None):
    return _leaf(np.empty(input.shape, _like(input, dtype)), requires_grad,
                 _device(device, input.device))


def eye(n, m=None, dtype=None, requires_grad=False, device=None):
    dev = _device(device)
    return _leaf(np.eye(n, m, dtype=_float_dtype(dtype)), requires_grad, dev)


def arange(start, end=None, step=1, dtype=None, requires_grad=False, device=None):
    """Like PyTorch: integers give int64, any float gives the default float dtype."""
    dev = _device(device)
    if end is None:
        start, end = 0, start
    if dtype is None:
        ints = all(isinstance(v, (numbers.Integral)) for v in (start, end, step))
        dtype = np.int64 if ints else _default_dtype[0]
    return _leaf(np.arange(start, end, step).astype(dtype), requires_grad, dev)


def linspace(start, end, steps, dtype=None, requires_grad=False, device=None):
    dev = _device(device)
    return _leaf(np.linspace(start, end, steps).astype(_float_dtype(dtype)), requires_grad,
                 dev)


def manual_seed(seed):
    """Seed the generator of randn, rand, randint and the nn initialisers."""
    _rng[0] = np.random.default_rng(seed)
    return _rng[0]


def randn(*size, dtype=None, requires_grad=False, generator=None, device=None):
    """Standard normal samples (default dtype float32); complex dtypes, as PyTorch, get
    real and imaginary parts that are independent normals of variance 1/2."""
    return _random("standard_normal", size, dtype, requires_grad, generator, device, "randn")


def rand(*size, dtype=None, requires_grad=False, generator=None, device=None):
    """Uniform samples on [0, 1) (default dtype float32); complex dtypes, as PyTorch, get
    real and imaginary parts that are independent uniforms."""
    return _random("random", size, dtype, requires_grad, generator, device, "rand")


def _random(method, size, dtype, requires_grad, generator, device, where):
    """Samples drawn on the host (the same values for every device), then placed."""
    dev = _device(device)
    rng = generator or _rng[0]
    dt = _float_dtype(dtype)
    shape = _size_arg(size, where)
    if dt.kind == "c":
        part = np.dtype(np.float32 if dt == np.complex64 else np.float64)
        x = np.empty(shape, dt)
        x.real = getattr(rng, method)(shape, dtype=part)
        x.imag = getattr(rng, method)(shape, dtype=part)
        if method == "standard_normal":
            x *= np.sqrt(0.5).astype(part)
        return _leaf(x, requires_grad, dev)
    native = dt if dt in (np.float32, np.float64) else np.float64
    x = getattr(rng, method)(shape, dtype=native).astype(dt, copy=False)
    return _leaf(x, requires_grad, dev)


def randint(low, high=None, size=(), dtype=None, generator=None, device=None):
    dev = _device(device)
    if high is None:
        low, high = 0, low
    rng = generator or _rng[0]
    return _leaf(rng.integers(low, high, size=tuple(size)).astype(dtype or np.int64), False, dev)


def randperm(n, generator=None, device=None):
    dev = _device(device)
    return _leaf((generator or _rng[0]).permutation(n).astype(np.int64), False, dev)


def randn_like(input, dtype=None, requires_grad=False, device=None):
    return randn(input.shape, dtype=_like(input, dtype), requires_grad=requires_grad,
                 device=input.device if device is None else device)


def rand_like(input, dtype=None, requires_grad=False, device=None):
    return rand(input.shape, dtype=_like(input, dtype), requires_grad=requires_grad,
                device=input.device if device is None else device)


def set_default_dtype(dtype):
    """The dtype of tensors made from Python floats and of randn/zeros (float32 at start)."""
    dtype = np.dtype(dtype)
    if dtype.kind != "f":
        raise TypeError(f"set_default_dtype: only floating point dtypes, got {dtype}")
    _default_dtype[0] = dtype


def get_default_dtype():
    return _default_dtype[0]


# ============================================================================ functions

def _t(x):
    return x if isinstance(x, Tensor) else _wrap(np.asarray(x))


def cat(tensors, dim=0):
    return _t(dnp.concatenate([_t(t) for t in tensors], axis=dim))


concatenate = cat


def stack(tensors, dim=0):
    return _t(dnp.stack([_t(t) for t in tensors], axis=dim))


def where(condition, input, other):
    return _t(dnp.where(strip(condition), input, other))


def maximum(input, other):
    return _t(dnp.maximum(input, other))


def minimum(input, other):
    return _t(dnp.minimum(input, other))


def allclose(input, other, rtol=1e-05, atol=1e-08, equal_nan=False):
    a, b = _host_pair(input, other)
    return bool(np.allclose(a, b, rtol=rtol, atol=atol, equal_nan=equal_nan))


def equal(input, other):
    a, b = _host_pair(input, other)
    return bool(np.array_equal(a, b))


def numel(input):
    return input.numel()


def is_tensor(obj):
    return isinstance(obj, Tensor)


def real(input):
    """``input.real``: a view of the real part of a complex tensor; a real tensor itself."""
    return _t(input).real


def imag(input):
    """``input.imag``: a view of the imaginary part of a complex tensor."""
    return _t(input).imag


def _method(name):
    def fn(input, *args, **kwargs):
        return getattr(_t(input), name)(*args, **kwargs)
    fn.__name__ = fn.__qualname__ = name
    fn.__doc__ = f"``input.{name}(...)`` (see Tensor.{name})."
    return fn


(exp, log, sin, cos, tan, tanh, sqrt, abs, square, sigmoid, relu, sum, mean, prod, max, min,
 amax, amin, argmax, argmin, matmul, mm, reshape, flatten, transpose, permute, unsqueeze,
 squeeze, clamp, clip, softmax, log_softmax, neg, pow, add, sub, mul, div, t, norm, conj, angle,
 is_complex, is_floating_point) = [
    _method(n) for n in (
        "exp log sin cos tan tanh sqrt abs square sigmoid relu sum mean prod max min amax amin "
        "argmax argmin matmul mm reshape flatten transpose permute unsqueeze squeeze clamp clip "
        "softmax log_softmax neg pow add sub mul div t norm conj angle is_complex "
        "is_floating_point").split()]


