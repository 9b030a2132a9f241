"""PyTorch's ``torch.special`` on Tensors: ``dualrev.scipy.special`` (and dualrev.numpy)
under PyTorch's names and signatures (``dim=`` for axes).  Results are Tensors, recorded
for ``backward()``.

    >>> x = dualrev.tensor([0.5], requires_grad=True)
    >>> dualrev.special.erf(x).sum().backward()      # 2 / sqrt(pi) * exp(-0.25)
"""
import numpy as np

from . import numpy as dnp
from .scipy import special as _sp
from .tensor import Tensor, _default_dtype, _dims, _need, _wrap

__all__ = ["erf", "erfc", "erfcx", "erfinv", "expit", "logit", "logsumexp", "softmax",
           "log_softmax", "gammaln", "digamma", "psi", "polygamma", "i0", "i0e", "i1", "i1e",
           "ndtr", "ndtri", "log_ndtr", "xlogy", "xlog1py", "entr", "sinc", "expm1", "log1p",
           "exp2", "multigammaln", "round"]


def _t(x):
    return x if isinstance(x, Tensor) else _wrap(np.asarray(x))


def _float(x):
    x = _t(x)
    return x if x.dtype.kind in "fc" else x.type(_default_dtype[0])


def _unary(name, fn, doc):
    def f(input):
        return _t(fn()(_float(input)))
    f.__name__ = f.__qualname__ = name
    f.__doc__ = doc
    return f


erf = _unary("erf", lambda: _sp.erf, "The error function.")
erfc = _unary("erfc", lambda: _sp.erfc, "1 - erf(x), accurate for large x.")
erfcx = _unary("erfcx", lambda: _sp.erfcx, "exp(x**2) * erfc(x).")
erfinv = _unary("erfinv", lambda: _sp.erfinv, "The inverse of erf, on (-1, 1).")
expit = _unary("expit", lambda: _sp.expit, "The logistic sigmoid 1 / (1 + exp(-x)).")
gammaln = _unary("gammaln", lambda: _sp.gammaln, "log|Gamma(x)|.")
digamma = _unary("digamma", lambda: _sp.digamma, "The derivative of gammaln.")
psi = digamma
i0 = _unary("i0", lambda: _sp.i0, "The modified Bessel function of the first kind, order 0.")
i0e = _unary("i0e", lambda: _sp.i0e, "exp(-|x|) * i0(x).")
i1 = _unary("i1", lambda: _sp.i1, "The modified Bessel function of the first kind, order 1.")
i1e = _unary("i1e", lambda: _sp.i1e, "exp(-|x|) * i1(x).")
ndtr = _unary("ndtr", lambda: _sp.ndtr, "The standard normal CDF.")
ndtri = _unary("ndtri", lambda: _sp.ndtri, "The inverse of ndtr, on (0, 1).")
log_ndtr = _unary("log_ndtr", lambda: _sp.log_ndtr, "log(ndtr(x)), accurate in the tails.")
entr = _unary("entr", lambda: _sp.entr, "-x log x (0 at 0, -inf below 0).")
sinc = _unary("sinc", lambda: _need(dnp, "sinc"), "sin(pi x) / (pi x), 1 at 0.")
expm1 = _unary("expm1", lambda: _need(dnp, "expm1"), "exp(x) - 1, accurate near 0.")
log1p = _unary("log1p", lambda: _need(dnp, "log1p"), "log(1 + x), accurate near 0.")
exp2 = _unary("exp2", lambda: _need(dnp, "exp2"), "2 ** x.")


def round(input, *, decimals=0):  # noqa: A001
    """Rounded to ``decimals`` places, halves to even (gradient 0)."""
    return _t(input).round(decimals)


def logit(input, eps=None):
    """log(p / (1 - p)), with p clamped to [eps, 1 - eps] first when eps is given.

    >>> dualrev.special.logit(dualrev.tensor(0.5))
    tensor(0.)
    """
    x = _float(input)
    if eps is not None:
        x = x.clamp(eps, 1 - eps)
    return _t(_sp.logit(x))


def logsumexp(input, dim, keepdim=False):
    """log(sum(exp(input))) over ``dim``, computed stably."""
    return _float(input).logsumexp(dim, keepdim)


def softmax(input, dim, *, dtype=None):
    """exp(input) normalised to sum to 1 along ``dim``."""
    x = _float(input) if dtype is None else _t(input).type(dtype)
    return _t(_sp.softmax(x, axis=_dims(dim)))


def log_softmax(input, dim, *, dtype=None):
    """log(softmax(input, dim)), computed stably."""
    x = _float(input) if dtype is None else _t(input).type(dtype)
    return _t(_sp.log_softmax(x, axis=_dims(dim)))


def polygamma(n, input):
    """The n-th derivative of digamma."""
    return _t(_sp.polygamma(int(n), _float(input)))


def multigammaln(input, p):
    """The log of the multivariate gamma function of dimension p."""
    return _t(_sp.multigammaln(_float(input), int(p)))


def _pair(x, y):
    x, y = _t(x) if isinstance(x, Tensor) else x, _t(y) if isinstance(y, Tensor) else y
    if not isinstance(x, Tensor) and not isinstance(y, Tensor):
        x = _float(x)
    return x, y


def xlogy(input, other):
    """input * log(other), 0 where input is 0."""
    x, y = _pair(input, other)
    return _t(_sp.xlogy(x, y))


def xlog1py(input, other):
    """input * log1p(other), 0 where input is 0."""
    x, y = _pair(input, other)
    return _t(_sp.xlog1py(x, y))
