"""PyTorch's ``torch.fft`` on Tensors: ``dualrev.numpy.fft`` under PyTorch's names and
signatures (``dim=`` for the axes, ``n``/``s`` for the lengths, ``norm`` 'backward',
'ortho' or 'forward').  Results are Tensors, recorded for ``backward()``.

    >>> x = dualrev.tensor([1.0, 2.0, 3.0, 4.0], requires_grad=True)
    >>> dualrev.fft.rfft(x).abs().sum().backward()
"""
import numpy as np

from . import numpy as dnp
from .tensor import Tensor, _default_dtype, _need, _wrap

__all__ = ["fft", "ifft", "rfft", "irfft", "fft2", "ifft2", "rfft2", "irfft2", "fftn", "ifftn",
           "rfftn", "irfftn", "hfft", "ihfft", "fftshift", "ifftshift", "fftfreq", "rfftfreq"]


def _t(x):
    return x if isinstance(x, Tensor) else _wrap(np.asarray(x))


def _fn(name):
    return _need(dnp.fft, name)


def _norm(norm):
    if norm not in (None, "backward", "ortho", "forward"):
        raise RuntimeError(f"Invalid normalization mode: {norm}")
    return norm


def _float(x):
    """Integer and boolean input as the default float dtype (as PyTorch)."""
    x = _t(x)
    return x if x.dtype.kind in "fc" else x.type(_default_dtype[0])


def _one(name, real_input=False):
    def f(input, n=None, dim=-1, norm=None):
        x = _float(input)
        if real_input and x.dtype.kind == "c":
            raise RuntimeError(f"{name} expects a real input tensor, but got {x.dtype}")
        return _t(_fn(name)(x, n=n, axis=dim, norm=_norm(norm)))
    f.__name__ = f.__qualname__ = name
    f.__doc__ = (f"torch.fft.{name}: ``{name}(input, n=None, dim=-1, norm=None)`` along one "
                 f"dimension.")
    return f


def _many(name, np_name, default_dim, real_input=False):
    def f(input, s=None, dim=default_dim, norm=None):
        x = _float(input)
        if real_input and x.dtype.kind == "c":
            raise RuntimeError(f"{name} expects a real input tensor, but got {x.dtype}")
        axes = None if dim is None else tuple(dim) if isinstance(dim, (list, tuple)) else (dim,)
        if s is not None and axes is None:
            axes = tuple(range(x.ndim - len(s), x.ndim))
        return _t(_fn(np_name)(x, s=None if s is None else tuple(s), axes=axes,
                               norm=_norm(norm)))
    f.__name__ = f.__qualname__ = name
    f.__doc__ = (f"torch.fft.{name}: ``{name}(input, s=None, dim={default_dim!r}, "
                 f"norm=None)``.")
    return f


fft = _one("fft")
ifft = _one("ifft")
rfft = _one("rfft", real_input=True)
irfft = _one("irfft")
hfft = _one("hfft")
ihfft = _one("ihfft", real_input=True)
fft2 = _many("fft2", "fftn", (-2, -1))
ifft2 = _many("ifft2", "ifftn", (-2, -1))
rfft2 = _many("rfft2", "rfftn", (-2, -1), real_input=True)
irfft2 = _many("irfft2", "irfftn", (-2, -1))
fftn = _many("fftn", "fftn", None)
ifftn = _many("ifftn", "ifftn", None)
rfftn = _many("rfftn", "rfftn", None, real_input=True)
irfftn = _many("irfftn", "irfftn", None)


def fftshift(input, dim=None):
    """The zero frequency moved to the middle along ``dim`` (all dimensions if None)."""
    x = _t(input)
    dims = tuple(range(x.ndim)) if dim is None else (
        tuple(dim) if isinstance(dim, (list, tuple)) else (dim,))
    return x.roll(tuple(x.shape[d] // 2 for d in dims), dims) if dims else x * 1


def ifftshift(input, dim=None):
    """The inverse of fftshift."""
    x = _t(input)
    dims = tuple(range(x.ndim)) if dim is None else (
        tuple(dim) if isinstance(dim, (list, tuple)) else (dim,))
    return x.roll(tuple(-(x.shape[d] // 2) for d in dims), dims) if dims else x * 1


def fftfreq(n, d=1.0, *, dtype=None, requires_grad=False, device=None):
    """The sample frequencies of an n-point FFT with spacing d (a leaf tensor)."""
    from .ops import tensor
    return tensor(np.fft.fftfreq(n, d), dtype=dtype or _default_dtype[0],
                  requires_grad=requires_grad, device=device)


def rfftfreq(n, d=1.0, *, dtype=None, requires_grad=False, device=None):
    """The sample frequencies of an n-point rfft with spacing d (a leaf tensor)."""
    from .ops import tensor
    return tensor(np.fft.rfftfreq(n, d), dtype=dtype or _default_dtype[0],
                  requires_grad=requires_grad, device=device)
