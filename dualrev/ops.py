"""The top-level functions of the imperative layer: factories (``tensor``, ``randn``,
``zeros``...) and the function forms of Tensor methods (``dualrev.exp(t)``)."""
import builtins
import numbers

import numpy as np

from . import devices as _devices, numpy as dnp
from .core import strip
from .tensor import (Size, Tensor, _data_array, _default_dtype, _host_pair, _rng, _tensordot,
                     _wrap, default_complex_dtype)

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




# ============================================================================ PyTorch-named
# functions of the statistics, indexing, products, elementwise math and shapes

(var, std, var_mean, std_mean, logsumexp, nanmean, nansum, median, quantile, nanquantile,
 aminmax, cumsum, cumprod, logcumsumexp, cummax, cummin, sort, argsort, topk, gather, scatter,
 scatter_add, index_select, masked_fill, take, tril, triu, diagonal, diag, trace, fliplr,
 flipud, roll, repeat_interleave, dot, vdot, inner, outer, ger, kron, logaddexp, hypot, atan2,
 arctan2, asin, acos, atan, asinh, acosh, atanh, arcsin, arccos, arctan, arcsinh, arccosh,
 arctanh, log1p, expm1, log2, log10, exp2, sinc, erf, erfc, erfinv, lgamma, digamma, i0,
 reciprocal, rsqrt, floor, ceil, trunc, fix, round, frac, sign, lerp, addcmul, addcdiv,
 unflatten, movedim, moveaxis, diff, narrow, split, chunk, tensor_split, unbind, broadcast_to,
 tile, sinh, cosh) = [
    _method(n) for n in (
        "var std var_mean std_mean logsumexp nanmean nansum median quantile nanquantile "
        "aminmax cumsum cumprod logcumsumexp cummax cummin sort argsort topk gather scatter "
        "scatter_add index_select masked_fill take tril triu diagonal diag trace fliplr "
        "flipud roll repeat_interleave dot vdot inner outer ger kron logaddexp hypot atan2 "
        "arctan2 asin acos atan asinh acosh atanh arcsin arccos arctan arcsinh arccosh arctanh "
        "log1p expm1 log2 log10 exp2 sinc erf erfc erfinv lgamma digamma i0 reciprocal rsqrt "
        "floor ceil trunc fix round frac sign lerp addcmul addcdiv unflatten movedim moveaxis diff "
        "narrow split chunk tensor_split unbind broadcast_to tile sinh cosh").split()]


def flip(input, dims):
    """A copy of input with the order of entries reversed along ``dims``."""
    return _t(input).flip(*((dims,) if isinstance(dims, int) else (tuple(dims),)))


def polygamma(n, input):
    """The n-th derivative of digamma at input.

    >>> dualrev.polygamma(1, dualrev.tensor(1.0))      # pi**2 / 6
    tensor(1.6449)
    """
    return _t(input).polygamma(n)


def cross(input, other, dim=None):
    """The cross product along ``dim`` (the first dimension of size 3 if None)."""
    return _t(input).cross(other, dim)


def einsum(equation, *operands):
    """Einstein summation: ``einsum("ij,jk->ik", a, b)`` (operands may also come as one
    list)."""
    if len(operands) == 1 and isinstance(operands[0], (list, tuple)):
        operands = tuple(operands[0])
    return _t(dnp.einsum(equation, *[_t(o) for o in operands]))


def tensordot(a, b, dims=2):
    """Sum of a * b over the last ``dims`` dimensions of a and the first of b, or over the
    dimensions listed: ``dims=([1, 0], [0, 1])``."""
    a, b = _t(a), _t(b)
    if isinstance(dims, Tensor):
        dims = dims.tolist()
    if isinstance(dims, (int, np.integer)):
        if dims < 0:
            raise RuntimeError(f"tensordot expects dims >= 0, but got dims={dims}")
        da, db = list(range(a.ndim - dims, a.ndim)), list(range(dims))
    else:
        da, db = dims
        da = [da] if isinstance(da, int) else list(da)
        db = [db] if isinstance(db, int) else list(db)
    return _tensordot(a, b, da, db)


def _flat_tensors(tensors):
    if len(tensors) == 1 and isinstance(tensors[0], (list, tuple)):
        return tuple(_t(x) for x in tensors[0])
    return tuple(_t(x) for x in tensors)


def broadcast_tensors(*tensors):
    """The tensors expanded to their common shape."""
    ts = _flat_tensors(tensors)
    shape = np.broadcast_shapes(*[tuple(x.shape) for x in ts])
    return tuple(x.expand(shape) for x in ts)


def meshgrid(*tensors, indexing="ij"):
    """Coordinate grids of 1-d tensors (``indexing`` 'ij', PyTorch's default, or 'xy')."""
    ts = _flat_tensors(tensors)
    if indexing not in ("ij", "xy"):
        raise RuntimeError(f"torch.meshgrid: indexing must be one of \"xy\" or \"ij\", but "
                           f"received: {indexing}")
    for x in ts:
        if x.ndim > 1:
            raise RuntimeError("torch.meshgrid: Expected 0D or 1D tensor in the tensor list")
    ts = [x.reshape(-1) for x in ts]
    n = len(ts)
    if indexing == "xy" and n >= 2:
        ts[0], ts[1] = ts[1], ts[0]
    shape = tuple(x.shape[0] for x in ts)
    out = [x.reshape((1,) * i + (-1,) + (1,) * (n - i - 1)).expand(shape)
           for i, x in enumerate(ts)]
    if indexing == "xy" and n >= 2:
        out[0], out[1] = out[1], out[0]
    return tuple(out)


def cartesian_prod(*tensors):
    """Every combination of the entries of the 1-d tensors, one per row."""
    ts = _flat_tensors(tensors)
    if len(ts) == 1:
        return ts[0]
    grids = meshgrid(*ts, indexing="ij")
    return stack([g.reshape(-1) for g in grids], dim=1)


def block_diag(*tensors):
    """The tensors (0-d, 1-d or 2-d) as blocks on the diagonal of one matrix, zeros
    elsewhere."""
    ts = []
    for x in _flat_tensors(tensors):
        if x.ndim > 2:
            raise RuntimeError(f"torch.block_diag: Input tensors must have 2 or fewer "
                               f"dimensions. Input has {x.ndim} dimensions")
        ts.append(x.reshape(1, -1) if x.ndim < 2 else x)
    if not ts:
        return _wrap(np.zeros((1, 0), _default_dtype[0]))
    dt = np.result_type(*[x.dtype for x in ts])
    cols = builtins.sum(x.shape[1] for x in ts)
    rows, left = [], 0
    for x in ts:
        r, c = x.shape
        parts = [_wrap(np.zeros((r, left), dt)), x.type(dt),
                 _wrap(np.zeros((r, cols - left - c), dt))]
        rows.append(cat(parts, dim=1))
        left += c
    return cat(rows, dim=0)


def _atleast(nd, tensors, name):
    out = []
    for x in _flat_tensors(tensors):
        if x.ndim >= nd:
            out.append(x)
        elif nd == 3 and x.ndim == 2:
            out.append(x.unsqueeze(-1))
        elif nd == 3 and x.ndim == 1:
            out.append(x.reshape(1, -1, 1))
        else:
            out.append(x.reshape((1,) * (nd - x.ndim) + tuple(x.shape)))
    if len(tensors) == 1 and not isinstance(tensors[0], (list, tuple)):
        return out[0]
    return tuple(out)


def atleast_1d(*tensors):
    """Each tensor with at least 1 dimension (a tuple for several)."""
    return _atleast(1, tensors, "atleast_1d")


def atleast_2d(*tensors):
    """Each tensor with at least 2 dimensions (1-d ones as rows)."""
    return _atleast(2, tensors, "atleast_2d")


def atleast_3d(*tensors):
    """Each tensor with at least 3 dimensions (as NumPy: (n,) -> (1, n, 1), (m, n) ->
    (m, n, 1))."""
    return _atleast(3, tensors, "atleast_3d")


def cdist(x1, x2, p=2.0):
    """The p-norm distances between the rows of x1 (..., P, M) and of x2 (..., R, M), as
    a (..., P, R) tensor.  At zero distance the gradient is 0 (as PyTorch)."""
    x1, x2 = _t(x1), _t(x2)
    if x1.ndim < 2 or x2.ndim < 2:
        raise RuntimeError(f"cdist only supports at least 2D tensors, X1 got: {x1.ndim}D")
    if x1.shape[-1] != x2.shape[-1]:
        raise RuntimeError(f"X1 and X2 must have the same number of columns. X1: "
                           f"{x1.shape[-1]} X2: {x2.shape[-1]}")
    if p < 0:
        raise RuntimeError("cdist only supports non-negative p values")
    d = x1.unsqueeze(-2) - x2.unsqueeze(-3)
    return _t(_pnorm(d, p, -1))


def _pnorm(d, p, dim, keepdim=False):
    """The p-norm of d along dim, with gradient 0 where every entry is 0 (p > 0)."""
    a = dnp.abs(d)
    if p == np.inf:
        return dnp.max(a, axis=dim, keepdims=keepdim)
    if p == -np.inf:
        return dnp.min(a, axis=dim, keepdims=keepdim)
    if p == 0:
        return dnp.sum(dnp.astype(strip(a) != 0, strip(a).dtype), axis=dim, keepdims=keepdim)
    if p == 1:
        return dnp.sum(a, axis=dim, keepdims=keepdim)
    if p == 2:
        s = dnp.sum(dnp.real(d * dnp.conj(d)) if d.dtype.kind == "c" else d * d, axis=dim,
                    keepdims=keepdim)
        pos = strip(s) > 0
        return dnp.where(pos, dnp.sqrt(dnp.where(pos, s, 1.0)), 0.0)
    nz = strip(a) > 0
    s = dnp.sum(dnp.where(nz, a, 1.0) ** p * nz, axis=dim, keepdims=keepdim)
    pos = strip(s) > 0
    return dnp.where(pos, dnp.where(pos, s, 1.0) ** (1.0 / p), 0.0)
