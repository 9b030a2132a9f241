"""Optimizers: SGD (momentum, Nesterov, weight decay), Adam and AdamW, as ``torch.optim``.

``step()`` updates each parameter's values in place from its ``.grad``
(parameters without a gradient are skipped) and bumps its version, so a
graph that saved the old values refuses to run backward through them.

A complex parameter is updated as the pair of its real and imaginary parts, as
PyTorch does (``view_as_real``): Adam's second moments are kept per part, not of
|g|^2; SGD's update is the same either way.

A parameter on a GPU is updated there, in place, and its state (momentum
buffers, moments) lives on its device.
"""
import numpy as np

from . import backend as _backend
from .core import strip
from .nn.modules import _zero_grad
from .tensor import Tensor, enable_grad


class Optimizer:
    """Base class: parameter groups (each a dict with 'params' and hyperparameters)
    and per-parameter ``state``."""

    def __init__(self, params, defaults):
        self.defaults = defaults
        self.state = {}
        self.param_groups = []
        self._scratch = {}
        if isinstance(params, Tensor):
            raise TypeError("params argument given to the optimizer should be an iterable of "
                            "Tensors or dicts, but got a Tensor")
        groups = list(params)
        if not groups:
            raise ValueError("optimizer got an empty parameter list")
        if not isinstance(groups[0], dict):
            groups = [{"params": groups}]
        for g in groups:
            self.add_param_group(g)

    def add_param_group(self, group):
        group = dict(group)
        ps = group["params"]
        ps = [ps] if isinstance(ps, Tensor) else list(ps)
        for p in ps:
            if not isinstance(p, Tensor):
                raise TypeError(f"optimizer can only optimize Tensors, but one of the params is "
                                f"{type(p).__name__}")
            if not p.is_leaf:
                raise ValueError("can't optimize a non-leaf Tensor")
        seen = {id(p) for g in self.param_groups for p in g["params"]}
        if any(id(p) in seen for p in ps) or len({id(p) for p in ps}) != len(ps):
            raise ValueError("some parameters appear more than once (in one or more parameter "
                             "groups)")
        group["params"] = ps
        for k, v in self.defaults.items():
            group.setdefault(k, v)
        self.param_groups.append(group)

    def zero_grad(self, set_to_none=True):
        """Clear the gradients: to None (the default, as PyTorch >= 2.0) or to zeros."""
        for g in self.param_groups:
            for p in g["params"]:
                _zero_grad(p, set_to_none)

    def step(self, closure=None):
        """One update of every parameter that has a gradient; returns closure()'s loss."""
        loss = None
        if closure is not None:
            with enable_grad():
                loss = closure()
        for group in self.param_groups:
            for p in group["params"]:
                if p.grad is not None:
                    x = p._value
                    state = self.state.setdefault(p, {})
                    if x.__class__ is not np.ndarray and _backend.is_foreign(strip(x)):
                        self._device_step(p, group, state)
                    else:
                        g = np.asarray(strip(p.grad._value))
                        if group.get("maximize"):
                            g = -g
                        x = _writable(p)
                        if x.dtype.kind == "c":
                            self._complex_update(x, g, state, group)
                        else:
                            self._update(x, g, state, group)
                    p._vc[0] += 1
                    p._vc[1] = f"{type(self).__name__}.step"
        return loss

    def _update(self, x, g, state, group):
        raise NotImplementedError

    def _device_step(self, p, group, state):
        """The update of a parameter held by another library (on a GPU), in place there:
        ``_xp_update`` with that library's namespace."""
        x = p._value = strip(p._value)
        g = strip(p.grad._value)
        if _backend.device(g) != _backend.device(x):
            from .devices import mismatch, of
            raise mismatch([of(x), of(g)])
        xp = _backend.namespace(x)
        if group.get("maximize"):
            g = -g
        if not xp.isdtype(x.dtype, "complex floating"):
            self._xp_update(xp, x, g, state, group)
            return
        # as the pair (real, imaginary) of real arrays, the state kept complex
        def split(v):
            return xp.stack([xp.real(v), xp.imag(v)])

        def join(v):
            return v[0, ...] + 1j * v[1, ...]
        xr = split(x)
        parts = {k: split(v) if _backend.is_foreign(v) else v for k, v in state.items()}
        self._xp_update(xp, xr, split(g), parts, group)
        for k, v in parts.items():
            state[k] = join(v) if _backend.is_foreign(v) else v
        x[...] = join(xr)

    def _xp_update(self, xp, x, g, state, group):
        raise NotImplementedError

    def _complex_update(self, x, g, state, group):
        """_update on the real and imaginary parts of complex x, g and state arrays (the
        state stays complex, of x's shape, as PyTorch keeps it)."""
        xc = x if x.flags.c_contiguous else np.ascontiguousarray(x)
        parts = {k: _as_real(v) if isinstance(v, np.ndarray) else v for k, v in state.items()}
        self._update(_as_real(xc), _as_real(np.ascontiguousarray(g, x.dtype)), parts, group)
        for k, v in parts.items():
            state[k] = v.view(x.dtype).reshape(x.shape) if isinstance(v, np.ndarray) else v
        if xc is not x:
            x[...] = xc

    def _temp(self, like, k=0):
        """Scratch array k shaped like ``like``, reused from step to step: updates
        make no temporaries (a fresh large array each step costs page faults)."""
        key = (like.dtype, k)
        buf = self._scratch.get(key)
        if buf is None or buf.size < like.size:
            buf = self._scratch[key] = np.empty(like.size, like.dtype)
        return buf[:like.size].reshape(like.shape)

    def __repr__(self):
        lines = [f"{type(self).__name__} ("]
        for i, g in enumerate(self.param_groups):
            lines.append(f"Parameter Group {i}")
            for k in sorted(g):
                if k != "params":
                    lines.append(f"    {k}: {g[k]}")
        return "\n".join(lines) + "\n)"


def _as_real(a):
    """A C-contiguous complex array as a flat view of its real and imaginary parts."""
    return a.reshape(-1).view(a.real.dtype)


def _writable(p):
    """The parameter's array, made writable (a private copy) if it was not."""
    x = p._value
    if x.__class__ is not np.ndarray or not x.flags.writeable:
        x = p._value = np.array(strip(x), copy=True)
    return x


def _check(name, value, ok):
    if not ok:
        raise ValueError(f"Invalid {name}: {value}")


class SGD(Optimizer):
    """Stochastic gradient descent, PyTorch's algorithm::

        g = grad + weight_decay * x
        buf = momentum * buf + (1 - dampening) * g      (buf = g at the first step)
        g = g + momentum * buf if nesterov else buf     (when momentum != 0)
        x = x - lr * g
    """

    def __init__(self, params, lr=1e-3, momentum=0, dampening=0, weight_decay=0, nesterov=False,
                 *, maximize=False):
        _check("learning rate", lr, lr >= 0)
        _check("momentum value", momentum, momentum >= 0)
        _check("weight_decay value", weight_decay, weight_decay >= 0)
        if nesterov and (momentum <= 0 or dampening != 0):
            raise ValueError("Nesterov momentum requires a momentum and zero dampening")
        super().__init__(params, dict(lr=lr, momentum=momentum, dampening=dampening,
                                      weight_decay=weight_decay, nesterov=nesterov,
                                      maximize=maximize))

    def _update(self, x, g, state, group):
        wd, mom = group["weight_decay"], group["momentum"]
        if wd:
            g = np.add(g, np.multiply(x, wd, out=self._temp(x, 1)), out=self._temp(x, 1))
        if mom:
            buf = state.get("momentum_buffer")
            if buf is None:
                buf = state["momentum_buffer"] = np.array(g, copy=True)
            else:
                buf *= mom
                buf += np.multiply(g, 1 - group["dampening"], out=self._temp(x))
            if group["nesterov"]:
                g = np.add(g, np.multiply(buf, mom, out=self._temp(x)), out=self._temp(x, 1))
            else:
                g = buf
        x -= np.multiply(g, group["lr"], out=self._temp(x))

    def _xp_update(self, xp, x, g, state, group):
        wd, mom = group["weight_decay"], group["momentum"]
        if wd:
            g = g + x * wd
        if mom:
            buf = state.get("momentum_buffer")
            if buf is None:
                buf = state["momentum_buffer"] = xp.asarray(g, copy=True)
            else:
                buf *= mom
                buf += g * (1 - group["dampening"])
            g = g + buf * mom if group["nesterov"] else buf
        x -= g * group["lr"]


class Adam(Optimizer):
    """Adam (Kingma & Ba), PyTorch's algorithm and defaults::

        g = grad + weight_decay * x                   (L2 penalty; AdamW decays instead)
        m = b1 * m + (1 - b1) * g;   v = b2 * v + (1 - b2) * g**2
        x = x - lr / (1 - b1**t) * m / (sqrt(v) / sqrt(1 - b2**t) + eps)

    with ``v`` replaced by its running maximum when ``amsgrad``.
    """

    _decoupled = False

    def __init__(self, params, lr=1e-3, betas=(0.9, 0.999), eps=1e-8, weight_decay=0,
                 amsgrad=False, *, maximize=False):
        _check("learning rate", lr, lr >= 0)
        _check("epsilon value", eps, eps >= 0)
        _check("beta parameter at index 0", betas[0], 0 <= betas[0] < 1)
        _check("beta parameter at index 1", betas[1], 0 <= betas[1] < 1)
        _check("weight_decay value", weight_decay, weight_decay >= 0)
        super().__init__(params, dict(lr=lr, betas=tuple(betas), eps=eps,
                                      weight_decay=weight_decay, amsgrad=amsgrad,
                                      maximize=maximize))

    @staticmethod
    def _start(state, x, group, zeros_like):
        """The state of a parameter's first step: zero moments like x."""
        if not state:
            state["step"] = 0
            state["exp_avg"] = zeros_like(x)
            state["exp_avg_sq"] = zeros_like(x)
            if group["amsgrad"]:
                state["max_exp_avg_sq"] = zeros_like(x)

    def _update(self, x, g, state, group):
        lr, (b1, b2), eps, wd = group["lr"], group["betas"], group["eps"], group["weight_decay"]
        self._start(state, x, group, np.zeros_like)
        if wd:
            if self._decoupled:
                x *= 1 - lr * wd
            else:
                g = np.add(g, np.multiply(x, wd, out=self._temp(x, 1)), out=self._temp(x, 1))
        state["step"] += 1
        t = state["step"]
        m, v = state["exp_avg"], state["exp_avg_sq"]
        tmp = self._temp(x)
        m *= b1
        m += np.multiply(g, 1 - b1, out=tmp)
        v *= b2
        v += np.multiply(np.multiply(g, g, out=tmp), 1 - b2, out=tmp)
        if group["amsgrad"]:
            np.maximum(state["max_exp_avg_sq"], v, out=state["max_exp_avg_sq"])
            v = state["max_exp_avg_sq"]
        denom = np.sqrt(v, out=tmp)
        denom /= np.sqrt(1 - b2 ** t)
        denom += eps
        x -= np.multiply(np.divide(m, denom, out=tmp), lr / (1 - b1 ** t), out=tmp)

    def _xp_update(self, xp, x, g, state, group):
        lr, (b1, b2), eps, wd = group["lr"], group["betas"], group["eps"], group["weight_decay"]
        self._start(state, x, group, xp.zeros_like)
        if wd:
            if self._decoupled:
                x *= 1 - lr * wd
            else:
                g = g + x * wd
        state["step"] += 1
        t = state["step"]
        m, v = state["exp_avg"], state["exp_avg_sq"]
        m *= b1
        m += g * (1 - b1)
        v *= b2
        v += (g * g) * (1 - b2)
        if group["amsgrad"]:
            v = state["max_exp_avg_sq"] = xp.maximum(state["max_exp_avg_sq"], v)
        denom = xp.sqrt(v) / float(np.sqrt(1 - b2 ** t)) + eps
        x -= (m / denom) * (lr / (1 - b1 ** t))


class AdamW(Adam):
    """Adam with decoupled weight decay (Loshchilov & Hutter): ``x *= 1 - lr * weight_decay``
    before the Adam step; ``weight_decay`` defaults to 0.01, as PyTorch."""

    _decoupled = True

    def __init__(self, params, lr=1e-3, betas=(0.9, 0.999), eps=1e-8, weight_decay=1e-2,
                 amsgrad=False, *, maximize=False):
        super().__init__(params, lr, betas, eps, weight_decay, amsgrad, maximize=maximize)


__all__ = ["Optimizer", "SGD", "Adam", "AdamW"]
