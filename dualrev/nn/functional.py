"""Functional forms of the layers, activations and losses (``dualrev.nn.functional``)."""
import warnings

import numpy as np

from .. import backend as _backend, numpy as dnp
from ..core import Primitive, strip
from ..numpy._dispatch import unary


def _sigmoid_impl(x):
    if np.iscomplexobj(x):          # holomorphic: no sign to split on
        return 1 / (1 + np.exp(-x))
    e = np.exp(-np.abs(x))          # never overflows
    return np.where(np.asarray(x) >= 0, 1 / (1 + e), e / (1 + e)).astype(np.result_type(x))


def _xp_sigmoid(xp, x):
    if xp.isdtype(x.dtype, "complex floating"):
        return 1 / (1 + xp.exp(-x))
    e = xp.exp(-xp.abs(x))
    return xp.where(x >= 0, 1 / (1 + e), e / (1 + e))


# The logistic function, exactly rounded in both tails (where 1/(1+exp(-x)) loses them).
sigmoid_p = Primitive(
    "sigmoid", _sigmoid_impl, xp=_xp_sigmoid,
    jvp=(lambda x_dot, ans, x: x_dot * (ans * (1 - ans)),),
    vjp=(lambda g, ans, x: g * (ans * (1 - ans)),), elementwise=True)

sigmoid = unary(sigmoid_p, doc="The logistic function ``1 / (1 + exp(-x))``, computed "
                                "without overflow.")


def relu(input):
    """``max(input, 0)``; its derivative at 0 is 0, as PyTorch; NaN stays NaN."""
    return dnp.where(~(strip(input) <= 0), input, 0)


def tanh(input):
    return dnp.tanh(input)


def _stopped_max(x, dim):
    x = strip(x)
    if x.__class__ is not np.ndarray and _backend.is_foreign(x):
        xp = _backend.namespace(x)
        m = xp.max(x, axis=dim, keepdims=True)
        return xp.where(xp.isfinite(m), m, xp.zeros_like(m))
    m = np.max(x, axis=dim, keepdims=True)
    return np.where(np.isfinite(m), m, 0)


def logsumexp(input, dim, keepdim=False):
    """``log(sum(exp(input), dim))`` without overflow (the maximum is taken out first)."""
    m = _stopped_max(input, dim)
    out = dnp.log(dnp.sum(dnp.exp(input - m), axis=dim, keepdims=True)) + m
    return out if keepdim else dnp.squeeze(out, dim)


def softmax(input, dim):
    """``exp(input) / sum(exp(input), dim)``, shifted by the maximum first."""
    e = dnp.exp(input - _stopped_max(input, dim))
    return e / dnp.sum(e, axis=dim, keepdims=True)


def log_softmax(input, dim):
    """``input - logsumexp(input, dim)``."""
    return input - logsumexp(input, dim, keepdim=True)


def linear(input, weight, bias=None):
    """``input @ weight.T + bias``."""
    out = dnp.matmul(input, weight.T)
    return out if bias is None else out + bias


def _reduce(loss, reduction, where):
    if reduction == "mean":
        return dnp.mean(loss)
    if reduction == "sum":
        return dnp.sum(loss)
    if reduction == "none":
        return loss
    raise ValueError(f"{where}: reduction must be 'mean', 'sum' or 'none', got {reduction!r}")


def mse_loss(input, target, reduction="mean"):
    """Mean squared error ``(input - target) ** 2``, reduced."""
    if np.shape(strip(input)) != np.shape(strip(target)):
        warnings.warn(
            f"mse_loss: the target shape {tuple(np.shape(strip(target)))} differs from the input "
            f"shape {tuple(np.shape(strip(input)))}; they will be broadcast, which is rarely "
            f"what you want", UserWarning, stacklevel=2)
    d = input - target
    return _reduce(d * d, reduction, "mse_loss")


def _class_targets(target, n, c, where):
    t = strip(target)
    if t.__class__ is not np.ndarray and _backend.is_foreign(t):
        return _device_targets(t, n, c, where)
    t = np.asarray(t)
    if t.dtype.kind not in "iu":
        raise TypeError(f"{where}: class-index targets must be integers, got dtype {t.dtype}")
    if t.shape != (n,):
        raise ValueError(f"{where}: expected a target of shape {(n,)}, got {t.shape}")
    if t.size and (t.min() < 0 or t.max() >= c):
        bad = t[(t < 0) | (t >= c)][0]
        raise IndexError(f"{where}: Target {int(bad)} is out of bounds for {c} classes")
    return t


def _device_targets(t, n, c, where):
    """_class_targets for targets held by another library (on a GPU): checked there (one
    transfer of a flag to the host)."""
    if _backend.kind(_backend.dtype(t)) not in "iu":
        raise TypeError(f"{where}: class-index targets must be integers, got dtype "
                        f"{_backend.dtype(t)}")
    if tuple(t.shape) != (n,):
        raise ValueError(f"{where}: expected a target of shape {(n,)}, got {tuple(t.shape)}")
    if n:
        xp = _backend.namespace(t)
        bad = (t < 0) | (t >= c)
        if bool(xp.any(bad)):
            first = int(xp.argmax(xp.astype(bad, xp.int8)))
            raise IndexError(f"{where}: Target {int(t[first])} is out of bounds for {c} "
                             f"classes")
    return t


def _devices_of(input, target):
    """Raise PyTorch's error for an input and targets on two devices."""
    from ..devices import mismatch, of
    a, b = of(strip(input)), of(strip(target))
    if a != b:
        raise mismatch([a, b])


def _pick(logp, t, n, c):
    """logp[i, t[i]] for each row i: indexed on the CPU, a one-hot mask elsewhere (the
    same values and gradient)."""
    x = strip(logp)
    if x.__class__ is np.ndarray or not _backend.is_foreign(x):
        return logp[np.arange(n), t]
    xp = _backend.namespace(x)
    hot = xp.arange(c, device=_backend.device(x)) == t[:, None]
    return dnp.sum(dnp.where(hot, logp, 0.0), axis=1)


def _weights_at(weight, t):
    """weight[t] (class weights picked for each target) on their library."""
    w = strip(weight)
    if w.__class__ is not np.ndarray and _backend.is_foreign(w):
        return _backend.namespace(w).take(w, t)
    return np.asarray(w)[t]


def nll_loss(input, target, weight=None, reduction="mean"):
    """Negative log-likelihood of class indices, from log-probabilities of shape (N, C)."""
    batched = np.ndim(strip(input)) == 2
    if not batched and np.ndim(strip(input)) != 1:
        raise ValueError("nll_loss: expected input of shape (N, C) or (C,)")
    logp = input if batched else dnp.expand_dims(input, 0)
    n, c = np.shape(strip(logp))
    tv = strip(target)
    if tv.__class__ is not np.ndarray or strip(logp).__class__ is not np.ndarray:
        _devices_of(input, target)
    if not batched:
        tv = _backend.namespace(tv).reshape(tv, (1,))
    t = _class_targets(tv, n, c, "nll_loss")
    picked = -_pick(logp, t, n, c)
    if weight is None:
        out = _reduce(picked, reduction, "nll_loss")
    else:
        w = _weights_at(weight, t)
        out = picked * w
        out = (dnp.sum(out) / _backend.namespace(w).sum(w) if reduction == "mean"
               else _reduce(out, reduction, "nll_loss"))
    return out if batched or reduction != "none" else out[0]


def cross_entropy(input, target, weight=None, reduction="mean", label_smoothing=0.0):
    """Softmax cross-entropy of logits ``input`` (N, C) against class indices (N,)
    or class probabilities (N, C); computed through a stable log-softmax."""
    if np.ndim(strip(input)) not in (1, 2):
        raise ValueError(f"cross_entropy: expected input of shape (N, C) or (C,), got "
                         f"{tuple(np.shape(strip(input)))}")
    logp = log_softmax(input, -1)
    t = strip(target)
    if t.__class__ is not np.ndarray or strip(input).__class__ is not np.ndarray:
        _devices_of(input, target)
    if t.__class__ is np.ndarray or not _backend.is_foreign(t):
        t = np.asarray(t)
    if _backend.kind(t.dtype) == "f":
        if tuple(t.shape) != np.shape(strip(input)):
            raise ValueError(f"cross_entropy: probability targets must have the input's shape "
                             f"{tuple(np.shape(strip(input)))}, got {tuple(t.shape)}")
        c = t.shape[-1]
        if label_smoothing:
            target = target * (1 - label_smoothing) + label_smoothing / c
        per = -dnp.sum(logp * (target if weight is None else target * strip(weight)), axis=-1)
        return _reduce(per, reduction, "cross_entropy")
    nll = nll_loss(logp, target, weight, reduction)
    if not label_smoothing:
        return nll
    c = np.shape(strip(input))[-1]
    w = 1.0 if weight is None else strip(weight)
    smooth = -dnp.sum(logp * w, axis=-1) / c
    if reduction == "mean" and weight is not None:
        w = _weights_at(weight, t)
        smooth = dnp.sum(smooth) / _backend.namespace(w).sum(w)
    else:
        smooth = _reduce(smooth, reduction, "cross_entropy")
    return nll * (1 - label_smoothing) + smooth * label_smoothing
