"""dualrev.numpy.fft: numpy.fft's functions, differentiable.

Four primitives, each a one-axis transform with its length ``n``, ``axis`` and ``norm``
as parameters: the complex ``fft`` and ``ifft``, and the real ``rfft`` and ``irfft``.
Their derivatives are themselves (they are linear).  Their transposes are transforms
too: the DFT matrix is symmetric, so the transpose of ``fft`` is ``fft`` of the
cotangent (cropped or zero-padded back to the input's length where ``n`` padded or
cropped it); ``rfft``'s is the real part of ``fft`` of the cotangent zero-padded to
``n``; ``irfft``'s is the conjugate of ``rfft`` of the cotangent, with the weights of
the Hermitian-symmetric spectrum (1 for the zero and Nyquist bins, 2 elsewhere).  The
2-d and n-d transforms apply them axis after axis, as NumPy computes them; ``hfft`` and
``ihfft`` are ``irfft`` and ``rfft`` of the conjugate, with the opposite scaling;
``fftshift`` and ``ifftshift`` are rolls.  Axes are kept negative inside the primitives,
so a batch axis in front (vmap) leaves them unchanged.
"""
import math

import numpy as np

from .. import backend
from ..core import Primitive, bind, strip
from ._arrange import pad, roll
from ._dispatch import CONVERSION_ERRORS, composite, plain, traced_array
from ._elementwise import conj, multiply, real
from ._shape import _normalize_axes, getitem

__all__ = ["fft", "ifft", "rfft", "irfft", "hfft", "ihfft", "fft2", "ifft2", "rfft2", "irfft2",
           "fftn", "ifftn", "rfftn", "irfftn", "fftshift", "ifftshift", "fftfreq", "rfftfreq"]

fftfreq = np.fft.fftfreq
rfftfreq = np.fft.rfftfreq

_NORMS = (None, "backward", "ortho", "forward")
_SWAPPED = {None: "forward", "backward": "forward", "ortho": "ortho", "forward": "backward"}


def _shape(x):
    return tuple(backend.known_shape(strip(x), "fft"))


def _fit(x, axis, length):
    """x cropped or zero-padded (at the end) to ``length`` along the negative ``axis``."""
    have = _shape(x)[axis]
    if have > length:
        return getitem(x, (Ellipsis, slice(0, length)) + (slice(None),) * (-axis - 1))
    if have < length:
        widths = [(0, 0)] * len(_shape(x))
        widths[axis] = (0, length - have)
        return pad(x, widths)
    return x


def _scale(norm, n, inverse):
    """The factor of a transform of length n: 1, 1/sqrt(n) or 1/n by norm and direction."""
    if norm == "ortho":
        return 1 / math.sqrt(n)
    if (norm in (None, "backward")) == inverse:
        return 1 / n
    return 1.0


_COMPLEX = {"float32": "complex64", "float64": "complex128"}


def _xp_fft(name):
    """The transform with another library's fft extension: a real input made complex for
    all but rfft (the array API standard takes complex ones only), the axis in
    one chunk for Dask (whose transforms need that)."""
    def impl(xp, x, *, n, axis, norm):
        if name != "rfft" and not backend.is_complex(x):
            x = xp.astype(x, getattr(xp, _COMPLEX[str(x.dtype).rsplit(".", 1)[-1]]))
        if backend.library(x) == "dask":
            x = x.rechunk({axis % x.ndim: -1})
        return getattr(xp.fft, name)(x, n=n, axis=axis, norm=norm)
    return impl


def _transform_p(name, np_fn, vjp):
    p = Primitive(
        "fft." + name, lambda x, *, n, axis, norm: np_fn(x, n=n, axis=axis, norm=norm),
        jvp=(lambda x_dot, ans, x, **params: bind(p, (x_dot,), params),),
        vjp=(vjp,), xp=_xp_fft(name),
        batch=lambda batched, x, **params: bind(p, (x,), params))
    return p


def _complex_vjp(inverse):
    def vjp(g, ans, x, *, n, axis, norm):
        prim = ifft_p if inverse else fft_p
        return _fit(bind(prim, (g,), dict(n=n, axis=axis, norm=norm)), axis, _shape(x)[axis])
    return vjp


def _rfft_vjp(g, ans, x, *, n, axis, norm):
    full = bind(fft_p, (_fit(g, axis, n),), dict(n=n, axis=axis, norm=norm))
    return _fit(real(full), axis, _shape(x)[axis])


def _hermitian_weights(n, like, axis):
    w = np.full(n // 2 + 1, 2.0)
    w[0] = 1.0
    if n % 2 == 0:
        w[-1] = 1.0
    w = w.reshape((-1,) + (1,) * (-axis - 1))
    xs = strip(like)
    return backend.asarray(w, xs, backend.real_dtype(backend.dtype(xs), backend.namespace(xs)))


def _irfft_vjp(g, ans, x, *, n, axis, norm):
    spectrum = bind(rfft_p, (g,), dict(n=n, axis=axis, norm="backward"))
    w = _hermitian_weights(n, g, axis) * _scale(norm, n, inverse=True)
    return _fit(multiply(conj(spectrum), w), axis, _shape(x)[axis])


fft_p = _transform_p("fft", np.fft.fft, _complex_vjp(False))
ifft_p = _transform_p("ifft", np.fft.ifft, _complex_vjp(True))
rfft_p = _transform_p("rfft", np.fft.rfft, _rfft_vjp)
irfft_p = _transform_p("irfft", np.fft.irfft, _irfft_vjp)


def _one_axis(prim, np_fn, inverse_real=False):
    """The public one-axis transform: NumPy's function on NumPy values, else the
    primitive with n, axis (made negative) and norm checked."""
    def fn(a, n=None, axis=-1, norm=None, out=None):
        if plain(a):
            try:
                return np_fn(a, n=n, axis=axis, norm=norm, out=out)
            except CONVERSION_ERRORS:
                a = traced_array(a)
        if out is not None:
            raise TypeError(f"{np_fn.__name__}: out= cannot hold a traced value (traced arrays "
                            f"are immutable); use the returned array")
        if norm not in _NORMS:
            raise ValueError(f'Invalid norm value {norm}; should be "backward", "ortho" or '
                             f'"forward".')
        shape = _shape(a)
        ax = _normalize_axes(axis, len(shape), np_fn.__name__)[0] - len(shape)
        if n is None:
            n = 2 * (shape[ax] - 1) if inverse_real else shape[ax]
        if n < 1:
            raise ValueError(f"Invalid number of FFT data points ({n}) specified.")
        return bind(prim, (a,), dict(n=int(n), axis=ax, norm=norm))
    fn.__name__ = fn.__qualname__ = np_fn.__name__
    return fn


fft = _one_axis(fft_p, np.fft.fft)
ifft = _one_axis(ifft_p, np.fft.ifft)
rfft = _one_axis(rfft_p, np.fft.rfft)
irfft = _one_axis(irfft_p, np.fft.irfft, inverse_real=True)
fft.__doc__ = """Differentiable ``numpy.fft.fft`` (every n, axis and norm).

    >>> dualrev.grad(lambda x: dnp.real(dnp.fft.fft(x)[1]))(np.ones(4))   # cos(2 pi k / 4)"""
ifft.__doc__ = """Differentiable ``numpy.fft.ifft`` (every n, axis and norm).

    >>> dnp.fft.ifft(dnp.fft.fft(x))          # x again (complex)"""
rfft.__doc__ = """Differentiable ``numpy.fft.rfft``: the n // 2 + 1 non-negative frequency
bins of a real signal's DFT.

    >>> dnp.fft.rfft(np.array([1.0, 0.0, 0.0, 0.0]))    # [1, 1, 1]"""
irfft.__doc__ = """Differentiable ``numpy.fft.irfft``: the real signal of length n (default
2 (m - 1)) whose rfft is the input; the imaginary parts of the zero (and, for even n,
the Nyquist) bins are ignored, as NumPy, so their derivative is 0.

    >>> dnp.fft.irfft(dnp.fft.rfft(x), len(x))          # x again"""


@composite(np.fft.hfft, name="fft.hfft")
def hfft(a, n=None, axis=-1, norm=None, out=None):
    """Differentiable ``numpy.fft.hfft``: the real spectrum of a signal with Hermitian
    symmetry given by its first half, ``irfft(conj(a))`` with the opposite scaling.

        >>> dnp.fft.hfft(np.array([1.0, 2.0, 3.0]))         # [9, -3, 1, -3] (n = 4)"""
    if out is not None:
        raise TypeError("hfft: out= cannot hold a traced value; use the returned array")
    if norm not in _NORMS:
        raise ValueError(f'Invalid norm value {norm}; should be "backward", "ortho" or '
                         f'"forward".')
    return irfft(conj(a), n, axis, _SWAPPED[norm])


@composite(np.fft.ihfft, name="fft.ihfft")
def ihfft(a, n=None, axis=-1, norm=None, out=None):
    """Differentiable ``numpy.fft.ihfft``: the inverse of ``hfft``, ``conj(rfft(a))`` with
    the opposite scaling.

        >>> dnp.fft.ihfft(dnp.fft.hfft(y, 4))               # y again (length 3)"""
    if out is not None:
        raise TypeError("ihfft: out= cannot hold a traced value; use the returned array")
    if norm not in _NORMS:
        raise ValueError(f'Invalid norm value {norm}; should be "backward", "ortho" or '
                         f'"forward".')
    return conj(rfft(a, n, axis, _SWAPPED[norm]))


# ---------------------------------------------------------------- 2-d and n-d

def _nd_args(a, s, axes, inverse_real, name):
    """NumPy's lengths and axes of an n-d transform (``s`` and ``axes`` defaults)."""
    shape = _shape(a)
    if axes is not None:
        axes = [int(ax) for ax in axes] if np.ndim(axes) else [int(axes)]
    if s is None:
        if axes is None:
            axes = list(range(-len(shape), 0))
        _normalize_axes(axes, len(shape), name)
        s = [shape[ax] for ax in axes]
        if inverse_real and s:
            s[-1] = 2 * (s[-1] - 1)
    else:
        s = [int(v) for v in s] if np.ndim(s) else [int(s)]
        if axes is None:
            axes = list(range(-len(s), 0))
    if len(s) != len(axes):
        raise ValueError("Shape and axes have different lengths.")
    return s, axes


def _nd(name, np_fn, kind):
    """The n-d transform ``name``: one-axis transforms over the axes, the last one
    first (``kind`` 'c' complex, 'ci' complex inverse, 'r' real, 'ri' real inverse)."""
    one = {"c": fft, "ci": ifft, "r": fft, "ri": ifft}[kind]

    def definition(a, s=None, axes=None, norm=None, out=None):
        if out is not None:
            raise TypeError(f"{name}: out= cannot hold a traced value; use the returned array")
        s, axes = _nd_args(a, s, axes, kind == "ri", name)
        if kind == "r":
            a = rfft(a, s[-1], axes[-1], norm)
            rest = range(len(axes) - 2, -1, -1)
        elif kind == "ri":
            for i in range(len(axes) - 1):
                a = ifft(a, s[i], axes[i], norm)
            return irfft(a, s[-1], axes[-1], norm)
        else:
            rest = range(len(axes) - 1, -1, -1)
        for i in rest:
            a = one(a, s[i], axes[i], norm)
        return a
    definition.__name__ = name
    definition.__doc__ = (f"Differentiable ``numpy.fft.{name}`` (every s, axes and norm): "
                          f"one-axis transforms over the axes, as NumPy computes it.")
    return composite(np_fn, name="fft." + name)(definition)


def _nd2(fn_nd, np_fn, name):
    def definition(a, s=None, axes=(-2, -1), norm=None, out=None):
        return fn_nd(a, s, axes, norm, out)
    definition.__name__ = name
    definition.__doc__ = (f"Differentiable ``numpy.fft.{name}``: the n-d transform over "
                          f"the last two axes by default.")
    return composite(np_fn, name="fft." + name)(definition)


fftn = _nd("fftn", np.fft.fftn, "c")
ifftn = _nd("ifftn", np.fft.ifftn, "ci")
rfftn = _nd("rfftn", np.fft.rfftn, "r")
irfftn = _nd("irfftn", np.fft.irfftn, "ri")
fft2 = _nd2(fftn, np.fft.fft2, "fft2")
ifft2 = _nd2(ifftn, np.fft.ifft2, "ifft2")
rfft2 = _nd2(rfftn, np.fft.rfft2, "rfft2")
irfft2 = _nd2(irfftn, np.fft.irfft2, "irfft2")


# ---------------------------------------------------------------- shifts

def _shift(x, axes, sign, name):
    shape = _shape(x)
    axes = list(range(len(shape))) if axes is None else _normalize_axes(axes, len(shape), name)
    return roll(x, [sign * (shape[ax] // 2) for ax in axes], axes) if axes else x


@composite(np.fft.fftshift, name="fft.fftshift")
def fftshift(x, axes=None):
    """Differentiable ``numpy.fft.fftshift``: the zero frequency moved to the centre (a
    roll by n // 2 along each axis).

        >>> dnp.fft.fftshift(np.arange(4.0))       # [2, 3, 0, 1]"""
    return _shift(x, axes, 1, "fftshift")


@composite(np.fft.ifftshift, name="fft.ifftshift")
def ifftshift(x, axes=None):
    """Differentiable ``numpy.fft.ifftshift``: the inverse of ``fftshift`` (a roll by
    -(n // 2) along each axis).

        >>> dnp.fft.ifftshift(np.arange(5.0))      # [2, 3, 4, 0, 1]"""
    return _shift(x, axes, -1, "ifftshift")
