"""Modules: ``Module``, ``Parameter`` and the layers, activations and losses."""
import collections
import functools
import math
import warnings

import numpy as np

from .. import devices as _devices
from ..core import bind, strip
from ..graph import add_hook, after_sweep, grad_enabled
from ..numpy import _shape as _sh
from ..tensor import Tensor, _astype, _data_array, _default_dtype, _rng, _wrap, no_grad
from . import functional as F


class Parameter(Tensor):
    """A tensor that is a module's parameter: a leaf that requires grad by default.

    ``Parameter(t)`` shares memory (and the version counter) with ``t``.
    """

    __slots__ = ()

    def __new__(cls, data=None, requires_grad=True):
        if data is None:
            p = _wrap(np.empty(0, _default_dtype[0]), cls=cls)
        elif isinstance(data, Tensor):
            p = _wrap(strip(data._value), data._vc, cls=cls)
        else:
            p = _wrap(_data_array(data, None, copy=False), cls=cls)
        p.requires_grad_(requires_grad)
        return p

    def __repr__(self):
        return "Parameter containing:\n" + super().__repr__()


_HOOK_DICTS = ("_forward_pre_hooks", "_forward_pre_hooks_with_kwargs", "_forward_hooks",
               "_forward_hooks_with_kwargs", "_forward_hooks_always_called", "_backward_hooks")


def _identity(t):
    """t through a recorded identity (a view): a tensor of its own whose gradient can
    be hooked."""
    shape = tuple(t.shape)
    return bind(_sh.reshape_p, (t,), dict(shape=shape, in_shape=shape))


class _BackwardHook:
    """The full backward hooks of one call of a module.

    The positional input tensors that require grad go through one recorded entry
    (an identity for one tensor; for several, the concatenation of them all, split
    again), whose hook sees all their gradients at once: it calls the module's
    hooks, and what they return is pulled back instead.  Each output tensor goes
    through an identity whose hook notes its gradient (grad_output): those are
    complete before the inputs' (they were recorded after them).
    """

    def __init__(self, module, hooks):
        self.module = module
        self.hooks = hooks
        self.grad_outputs = None

    # ---------------------------------------------------------------- inputs

    def setup_inputs(self, args):
        self.n_inputs = len(args)
        self.zero_inputs = {i: a for i, a in enumerate(args)
                            if isinstance(a, Tensor) and not a.requires_grad}
        idx = [i for i, a in enumerate(args) if isinstance(a, Tensor) and a.requires_grad]
        self.input_idx = idx or None
        if not idx:
            return args
        args = list(args)
        if len(idx) == 1:
            i = idx[0]
            args[i] = _identity(args[i])
            args[i].register_hook(self._one_input_hook)
            return tuple(args)
        ins = [args[i] for i in idx]
        self.specs = [(tuple(t.shape), t.dtype, t.numel()) for t in ins]
        self.flat_dtype = np.result_type(*[t.dtype for t in ins])
        from ..ops import cat
        flat = cat([t.reshape(-1).to(self.flat_dtype) for t in ins])
        flat.register_hook(self._inputs_hook)
        o = 0
        for i, (shape, dtype, n) in zip(idx, self.specs):
            args[i] = flat[o:o + n].reshape(shape).to(dtype)
            o += n
        return tuple(args)

    def _grad_input(self, grads):
        """One entry per positional argument, from {argument index: gradient}."""
        out = []
        for i in range(self.n_inputs):
            if i in grads:
                out.append(grads[i])
            elif i in self.zero_inputs:
                a = self.zero_inputs[i]
                out.append(_wrap(_devices.like(np.zeros(tuple(a.shape), a.dtype),
                                               strip(a._value))))
            else:
                out.append(None)
        return tuple(out)

    def _call_hooks(self, grad_input):
        grad_outputs = self._grad_outputs()
        res = grad_input
        for hook in self.hooks:
            out = hook(self.module, res, grad_outputs)
            if out is None:
                continue
            if not isinstance(out, (tuple, list)):
                raise RuntimeError(f"Backward hook must return None or a tuple of grad_input "
                                   f"(one per positional input), got {type(out).__name__}")
            if len(out) != len(res):
                raise RuntimeError(f"Backward hook returned an invalid number of grad_input, "
                                   f"got {len(out)}, but expected {len(res)}")
            res = tuple(out)
        return res

    def _one_input_hook(self, g):
        from ..autograd import DROP
        i = self.input_idx[0]
        res = self._call_hooks(self._grad_input({i: g}))
        return DROP if res[i] is None else res[i]

    def _inputs_hook(self, g):
        from ..autograd import DROP
        from ..ops import cat
        grads, o = {}, 0
        for i, (shape, dtype, n) in zip(self.input_idx, self.specs):
            grads[i] = g[o:o + n].reshape(shape).to(dtype)
            o += n
        res = self._call_hooks(self._grad_input(grads))
        if all(res[i] is grads[i] for i in self.input_idx):
            return None
        if all(res[i] is None for i in self.input_idx):
            return DROP
        parts = []
        for i, (shape, dtype, n) in zip(self.input_idx, self.specs):
            r = res[i]
            if r is None:
                r = _wrap(_devices.like(np.zeros(shape, self.flat_dtype), strip(g._value)))
            elif not isinstance(r, Tensor) or tuple(r.shape) != shape:
                raise RuntimeError(f"Backward hook returned for input {i} a gradient of shape "
                                   f"{tuple(getattr(r, 'shape', ()))}, but the input has "
                                   f"shape {shape}")
            parts.append(r.reshape(-1).to(self.flat_dtype))
        return cat(parts)

    # ---------------------------------------------------------------- outputs

    def setup_outputs(self, result):
        single = isinstance(result, Tensor)
        if not single and not isinstance(result, (tuple, list)):
            return result
        outs = [result] if single else list(result)
        self.n_outputs = len(outs)
        hooked = [j for j, o in enumerate(outs) if isinstance(o, Tensor) and o.requires_grad]
        self.n_hooked = len(hooked)
        for j in hooked:
            outs[j] = _identity(outs[j])
            outs[j].register_hook(functools.partial(self._output_hook, j))
        if single:
            return outs[0]
        if isinstance(result, list):
            return outs
        if hasattr(result, "_fields"):        # a namedtuple
            return type(result)(*outs)
        return type(result)(outs)

    def _grad_outputs(self):
        g = self.grad_outputs
        return (None,) * self.n_outputs if g is None else tuple(g)

    def _output_hook(self, j, g):
        # No input requires grad: the hooks get the outputs' gradients (as PyTorch's),
        # once all of them are known: at once for one output, else at the end of the sweep.
        later = self.input_idx is None and self.n_hooked > 1
        if self.grad_outputs is None:
            self.grad_outputs = [None] * self.n_outputs
            after_sweep(self._call_without_inputs if later else self._reset)
        self.grad_outputs[j] = g
        if self.input_idx is None and not later:
            self._call_without_inputs()
        return None

    def _call_without_inputs(self):
        warnings.warn("Full backward hook is firing when gradients are computed with respect "
                      "to module outputs since no inputs require gradients.", UserWarning,
                      stacklevel=2)
        grad_input = (None,) * self.n_inputs
        grad_outputs = self._grad_outputs()
        for hook in self.hooks:
            res = hook(self.module, grad_input, grad_outputs)
            if res is not None and not (isinstance(res, (tuple, list))
                                        and all(r is None for r in res)):
                raise RuntimeError("Backward hook for Modules where no input requires "
                                   "gradient should always return None or None for all "
                                   "gradients.")
        self.grad_outputs = None

    def _reset(self):
        self.grad_outputs = None


def _uniform(shape, bound, dtype):
    dt = np.dtype(dtype) if dtype is not None else _default_dtype[0]
    return _rng[0].uniform(-bound, bound, size=shape).astype(dt)


class Module:
    """Base class of layers and models: holds parameters, buffers and submodules.

    Assigning a ``Parameter`` or a ``Module`` to an attribute registers it;
    ``model(x)`` calls ``forward(x)``.
    """

    def __init__(self):
        object.__setattr__(self, "_parameters", collections.OrderedDict())
        object.__setattr__(self, "_buffers", collections.OrderedDict())
        object.__setattr__(self, "_modules", collections.OrderedDict())
        object.__setattr__(self, "training", True)
        for name in _HOOK_DICTS:
            object.__setattr__(self, name, collections.OrderedDict())

    # ------------------------------------------------------------ attributes

    def __setattr__(self, name, value):
        params = self.__dict__.get("_parameters")
        if isinstance(value, (Parameter, Module)) and params is None:
            raise AttributeError(f"cannot assign {type(value).__name__} '{name}' before "
                                 f"Module.__init__() call")
        if isinstance(value, Parameter):
            self._forget(name, keep=params)
            params[name] = value
        elif isinstance(value, Module):
            self._forget(name, keep=self._modules)
            self._modules[name] = value
        elif params is not None and name in params:
            if value is not None:
                raise TypeError(f"cannot assign '{type(value).__name__}' as parameter '{name}' "
                                f"(dualrev.nn.Parameter or None expected)")
            params[name] = None
        elif params is not None and name in self._modules:
            if value is not None:
                raise TypeError(f"cannot assign '{type(value).__name__}' as child module "
                                f"'{name}' (dualrev.nn.Module or None expected)")
            self._modules[name] = None
        elif params is not None and name in self._buffers:
            if value is not None and not isinstance(value, Tensor):
                raise TypeError(f"cannot assign '{type(value).__name__}' as buffer '{name}' "
                                f"(dualrev.Tensor or None expected)")
            self._buffers[name] = value
        else:
            object.__setattr__(self, name, value)

    def _forget(self, name, keep=None):
        """Remove name from the stores (but keep its place in ``keep``)."""
        for d in (self._parameters, self._buffers, self._modules):
            if d is not keep:
                d.pop(name, None)
        self.__dict__.pop(name, None)

    def __getattr__(self, name):
        d = self.__dict__
        for store in ("_parameters", "_buffers", "_modules"):
            if store in d and name in d[store]:
                return d[store][name]
        raise AttributeError(f"'{type(self).__name__}' object has no attribute '{name}'")

    def __delattr__(self, name):
        for store in (self._parameters, self._buffers, self._modules):
            if name in store:
                del store[name]
                return
        object.__delattr__(self, name)

    def register_parameter(self, name, param):
        if param is not None and not isinstance(param, Parameter):
            raise TypeError(f"cannot assign '{type(param).__name__}' object to parameter "
                            f"'{name}' (dualrev.nn.Parameter or None required)")
        self._forget(name)
        self._parameters[name] = param

    def register_buffer(self, name, tensor):
        if tensor is not None and not isinstance(tensor, Tensor):
            raise TypeError(f"cannot assign '{type(tensor).__name__}' object to buffer "
                            f"'{name}' (dualrev.Tensor or None required)")
        self._forget(name)
        self._buffers[name] = tensor

    def add_module(self, name, module):
        if module is not None and not isinstance(module, Module):
            raise TypeError(f"{type(module).__name__} is not a Module subclass")
        self._forget(name)
        self._modules[name] = module

    # ------------------------------------------------------------ calling

    def forward(self, *args, **kwargs):
        raise NotImplementedError(f'Module [{type(self).__name__}] is missing the required '
                                  f'"forward" function')

    def __call__(self, *args, **kwargs):
        d = self.__dict__
        if d.get("_forward_pre_hooks") or d.get("_forward_hooks") or d.get("_backward_hooks"):
            return self._call_hooked(args, kwargs)
        return self.forward(*args, **kwargs)

    # ------------------------------------------------------------ hooks

    def _hook_dict(self, name):
        d = self.__dict__.get(name)
        if d is None:
            d = collections.OrderedDict()
            object.__setattr__(self, name, d)
        return d

    def register_forward_pre_hook(self, hook, *, prepend=False, with_kwargs=False):
        """Call ``hook(module, args)`` before each ``forward``; a result other than
        None replaces the positional arguments (a tuple, or one value).  With
        ``with_kwargs``, ``hook(module, args, kwargs)`` returns None or
        ``(args, kwargs)``.  ``prepend`` runs it before the hooks registered earlier.
        Returns a handle whose ``remove()`` unregisters it."""
        kw = self._hook_dict("_forward_pre_hooks_with_kwargs")
        h = add_hook(self._hook_dict("_forward_pre_hooks"), hook, prepend, extra=(kw,))
        if with_kwargs:
            kw[h.id] = True
        return h

    def register_forward_hook(self, hook, *, prepend=False, with_kwargs=False,
                              always_call=False):
        """Call ``hook(module, args, output)`` after each ``forward``; a result other
        than None replaces the output.  With ``with_kwargs``, ``hook(module, args,
        kwargs, output)``.  With ``always_call``, it is also called (output None) when
        forward raises.  Returns a handle whose ``remove()`` unregisters it."""
        kw = self._hook_dict("_forward_hooks_with_kwargs")
        always = self._hook_dict("_forward_hooks_always_called")
        h = add_hook(self._hook_dict("_forward_hooks"), hook, prepend, extra=(kw, always))
        if with_kwargs:
            kw[h.id] = True
        if always_call:
            always[h.id] = True
        return h

    def register_full_backward_hook(self, hook, prepend=False):
        """Call ``hook(module, grad_input, grad_output)`` once the gradients with
        respect to the module's positional inputs are computed in a backward.

        ``grad_input`` has one entry per positional argument: the gradient of a
        tensor that requires grad, zeros for another tensor, None for an argument
        that is not a tensor; ``grad_output`` one per output (None for one that got
        no gradient).  A tuple returned (of the same length) replaces grad_input:
        that is what reaches the layers before.  If no input requires grad, the hook
        is called with the gradients of the outputs (and must return None).
        The inputs and outputs of a module with such hooks are recorded views of the
        tensors given and computed (changing them in place is refused).  Returns a
        handle whose ``remove()`` unregisters it.
        """
        return add_hook(self._hook_dict("_backward_hooks"), hook, prepend)

    def _call_hooked(self, args, kwargs):
        d = self.__dict__
        pre = d.get("_forward_pre_hooks") or {}
        pre_kw = d.get("_forward_pre_hooks_with_kwargs") or {}
        for hid, hook in list(pre.items()):
            if hid in pre_kw:
                res = hook(self, args, kwargs)
                if res is not None:
                    if not (isinstance(res, tuple) and len(res) == 2):
                        raise RuntimeError(f"forward pre-hook must return None or a tuple of "
                                           f"(new_args, new_kwargs), but got {res!r}.")
                    args, kwargs = res
            else:
                res = hook(self, args)
                if res is not None:
                    args = res if isinstance(res, tuple) else (res,)
        backward_hooks = list((d.get("_backward_hooks") or {}).values())
        bw = None
        if backward_hooks and grad_enabled():
            bw = _BackwardHook(self, backward_hooks)
            args = bw.setup_inputs(args)
        fwd = d.get("_forward_hooks") or {}
        fwd_kw = d.get("_forward_hooks_with_kwargs") or {}
        try:
            result = self.forward(*args, **kwargs)
        except Exception:
            always = d.get("_forward_hooks_always_called") or {}
            result = None
            for hid, hook in list(fwd.items()):
                if hid in always:
                    try:
                        res = (hook(self, args, kwargs, result) if hid in fwd_kw
                               else hook(self, args, result))
                        if res is not None:
                            result = res
                    except Exception as e:
                        warnings.warn(f"forward hook with ``always_call=True`` raised an "
                                      f"exception that was silenced as another error was "
                                      f"raised in forward: {e}")
            raise
        for hid, hook in list(fwd.items()):
            res = hook(self, args, kwargs, result) if hid in fwd_kw else hook(self, args, result)
            if res is not None:
                result = res
        if bw is not None:
            result = bw.setup_outputs(result)
        return result

    # ------------------------------------------------------------ traversal

    def named_modules(self, prefix="", memo=None):
        memo = set() if memo is None else memo
        if id(self) in memo:
            return
        memo.add(id(self))
        yield prefix, self
        for name, m in self._modules.items():
            if m is not None:
                yield from m.named_modules(prefix + ("." if prefix else "") + name, memo)

    def modules(self):
        for _, m in self.named_modules():
            yield m

    def named_children(self):
        """``(name, module)`` of the direct submodules, each module once."""
        seen = set()
        for name, m in self._modules.items():
            if m is not None and id(m) not in seen:
                seen.add(id(m))
                yield name, m

    def children(self):
        for _, m in self.named_children():
            yield m

    def _named(self, store, prefix, recurse):
        seen = set()
        mods = self.named_modules(prefix) if recurse else [(prefix, self)]
        for mp, m in mods:
            for name, t in getattr(m, store).items():
                if t is None or id(t) in seen:
                    continue
                seen.add(id(t))
                yield mp + ("." if mp else "") + name, t

    def named_parameters(self, prefix="", recurse=True):
        """``(name, parameter)`` pairs, each parameter once ('0.weight' in a Sequential)."""
        return self._named("_parameters", prefix, recurse)

    def parameters(self, recurse=True):
        for _, p in self.named_parameters(recurse=recurse):
            yield p

    def named_buffers(self, prefix="", recurse=True):
        return self._named("_buffers", prefix, recurse)

    def buffers(self, recurse=True):
        for _, b in self.named_buffers(recurse=recurse):
            yield b

    def apply(self, fn):
        for m in self.children():
            m.apply(fn)
        fn(self)
        return self

    # ------------------------------------------------------------ modes

    def train(self, mode=True):
        if not isinstance(mode, bool):
            raise ValueError("training mode is expected to be boolean")
        for m in self.modules():
            object.__setattr__(m, "training", mode)
        return self

    def eval(self):
        """Evaluation mode (``train(False)``); it does not stop recording: use no_grad."""
        return self.train(False)

    def requires_grad_(self, requires_grad=True):
        for p in self.parameters():
            p.requires_grad_(requires_grad)
        return self

    def zero_grad(self, set_to_none=True):
        """Clear the parameters' gradients (to None, or to zeros with set_to_none=False)."""
        for p in self.parameters():
            _zero_grad(p, set_to_none)

    # ------------------------------------------------------------ state

    def state_dict(self, destination=None, prefix="", keep_vars=False):
        """Parameters and buffers by name, detached (sharing memory with the module)."""
        out = collections.OrderedDict() if destination is None else destination
        for name, t in self._state_items(prefix):
            out[name] = t if keep_vars else t.detach()
        return out

    def _state_items(self, prefix=""):
        """Every name of every parameter and buffer (a tied parameter under each of its
        names), module by module: its own parameters, its buffers, then its submodules."""
        for store in (self._parameters, self._buffers):
            for name, t in store.items():
                if t is not None:
                    yield prefix + name, t
        for name, m in self._modules.items():
            if m is not None:
                yield from m._state_items(prefix + name + ".")

    def load_state_dict(self, state_dict, strict=True):
        """Copy values from state_dict into the parameters and buffers (in place)."""
        own = collections.OrderedDict(self._state_items())
        missing = [k for k in own if k not in state_dict]
        unexpected = [k for k in state_dict if k not in own]
        errors = []
        for k, t in own.items():
            if k in state_dict:
                v = state_dict[k]
                shape = tuple(np.shape(strip(v._value) if isinstance(v, Tensor) else v))
                if shape != tuple(t.shape):
                    errors.append(f"size mismatch for {k}: copying a param with shape {shape} "
                                  f"from checkpoint, the shape in current model is "
                                  f"{tuple(t.shape)}.")
        if strict:
            if unexpected:
                errors.insert(0, "Unexpected key(s) in state_dict: "
                              + ", ".join(f'"{k}"' for k in unexpected) + ".")
            if missing:
                errors.insert(0, "Missing key(s) in state_dict: "
                              + ", ".join(f'"{k}"' for k in missing) + ".")
        if errors:
            raise RuntimeError(f"Error(s) in loading state_dict for {type(self).__name__}:\n\t"
                               + "\n\t".join(errors))
        with no_grad():
            for k, t in own.items():
                if k in state_dict:
                    t.copy_(state_dict[k])
        return _IncompatibleKeys(missing, unexpected)

    def _cast(self, dtype):
        dtype = np.dtype(dtype)
        for t in list(self.parameters()) + list(self.buffers()):
            if t.dtype.kind == "f" and t.dtype != dtype:
                t._value = _astype(strip(t._value), dtype)
                if t._grad is not None:
                    t._grad._value = _astype(strip(t._grad._value), dtype)
        return self

    def _move(self, dev):
        """Move every parameter and buffer (and gradient) to resolved device dev, in place:
        the Parameter objects stay the same, so an optimizer made before still holds them."""
        for t in list(self.parameters()) + list(self.buffers()):
            x = strip(t._value)
            if _devices.of(x) != dev:
                t._value = _devices.to(x, dev)
                if t._grad is not None:
                    t._grad._value = _devices.to(strip(t._grad._value), dev)
        return self

    def double(self):
        return self._cast(np.float64)

    def float(self):
        return self._cast(np.float32)

    def half(self):
        return self._cast(np.float16)

    def to(self, *args, dtype=None, device=None, non_blocking=False):
        """Move the parameters and buffers to a device and/or cast the floating ones to a
        dtype, in place: ``to(device)``, ``to(dtype)``, ``to(device, dtype)``,
        ``to(tensor)`` (its device and dtype).  Returns the module.

            >>> model = nn.Linear(4, 2).to("cuda")
        """
        device, dtype = _devices.to_args(args, device, dtype)
        if dtype is not None:
            dtype = np.dtype(dtype)
            if dtype.kind not in "fc":
                raise TypeError(f"nn.Module.to only accepts floating point or complex dtypes, "
                                f"but got desired dtype={dtype}")
        if device is not None:
            self._move(_devices.resolve(device))
        return self if dtype is None else self._cast(dtype)

    def cpu(self):
        """Move the parameters and buffers to the CPU (in place); returns the module."""
        return self._move(_devices.CPU)

    def cuda(self, device=None):
        """Move the parameters and buffers to a GPU (in place); returns the module."""
        if isinstance(device, (int, np.integer)):
            device = _devices.device("cuda", int(device))
        return self._move(_devices.resolve("cuda" if device is None else device))

    # ------------------------------------------------------------ printing

    def extra_repr(self):
        return ""

    def __repr__(self):
        lines = []
        extra = self.extra_repr()
        if extra:
            lines = extra.split("\n")
        for name, m in self._modules.items():
            sub = repr(m).replace("\n", "\n  ")
            lines.append(f"({name}): {sub}")
        head = type(self).__name__ + "("
        if not lines:
            return head + ")"
        if len(lines) == 1 and not self._modules:
            return head + lines[0] + ")"
        return head + "\n  " + "\n  ".join(lines) + "\n)"


_IncompatibleKeys = collections.namedtuple("IncompatibleKeys", ["missing_keys", "unexpected_keys"])


def _zero_grad(p, set_to_none):
    if p.grad is None:
        return
    if set_to_none:
        p.grad = None
    else:
        p.grad.detach_()
        p.grad.zero_()


class Linear(Module):
    """``y = x @ weight.T + bias``, with weight of shape (out_features, in_features).

    Initialised as PyTorch: weight and bias uniform on ±1/sqrt(in_features).
    """

    def __init__(self, in_features, out_features, bias=True, device=None, dtype=None):
        super().__init__()
        dev = _devices.resolve(device)
        self.in_features, self.out_features = int(in_features), int(out_features)
        bound = 1 / math.sqrt(in_features) if in_features > 0 else 0.0
        self.weight = Parameter(_devices.place(_uniform((out_features, in_features), bound,
                                                        dtype), dev))
        if bias:
            self.bias = Parameter(_devices.place(_uniform((out_features,), bound, dtype), dev))
        else:
            self.register_parameter("bias", None)

    def forward(self, input):
        return F.linear(input, self.weight, self.bias)

    def extra_repr(self):
        return (f"in_features={self.in_features}, out_features={self.out_features}, "
                f"bias={self.bias is not None}")


class Sequential(Module):
    """Modules applied in order: ``Sequential(Linear(2, 8), Tanh(), Linear(8, 1))``."""

    def __init__(self, *modules):
        super().__init__()
        if len(modules) == 1 and isinstance(modules[0], collections.OrderedDict):
            for name, m in modules[0].items():
                self.add_module(name, m)
        else:
            for i, m in enumerate(modules):
                self.add_module(str(i), m)

    def forward(self, input):
        for m in self._modules.values():
            input = m(input)
        return input

    def __len__(self):
        return len(self._modules)

    def __iter__(self):
        return iter(self._modules.values())

    def __getitem__(self, idx):
        mods = list(self._modules.items())
        if isinstance(idx, slice):
            return Sequential(collections.OrderedDict(mods[idx]))
        return mods[idx][1]

    def append(self, module):
        self.add_module(str(len(self)), module)
        return self


class ModuleList(Module):
    """A list of modules, registered so their parameters are found."""

    def __init__(self, modules=()):
        super().__init__()
        for m in modules:
            self.append(m)

    def append(self, module):
        self.add_module(str(len(self._modules)), module)
        return self

    def __len__(self):
        return len(self._modules)

    def __iter__(self):
        return iter(self._modules.values())

    def __getitem__(self, idx):
        return list(self._modules.values())[idx]


class Identity(Module):
    def forward(self, input):
        return input


class ReLU(Module):
    def forward(self, input):
        return F.relu(input)


class Tanh(Module):
    def forward(self, input):
        return F.tanh(input)


class Sigmoid(Module):
    def forward(self, input):
        return F.sigmoid(input)


class Softmax(Module):
    def __init__(self, dim):
        super().__init__()
        self.dim = dim

    def forward(self, input):
        return F.softmax(input, self.dim)

    def extra_repr(self):
        return f"dim={self.dim}"


class LogSoftmax(Softmax):
    def forward(self, input):
        return F.log_softmax(input, self.dim)


class Flatten(Module):
    def __init__(self, start_dim=1, end_dim=-1):
        super().__init__()
        self.start_dim, self.end_dim = start_dim, end_dim

    def forward(self, input):
        return input.flatten(self.start_dim, self.end_dim)

    def extra_repr(self):
        return f"start_dim={self.start_dim}, end_dim={self.end_dim}"


class MSELoss(Module):
    """Mean squared error; ``reduction`` is 'mean' (default), 'sum' or 'none'."""

    def __init__(self, reduction="mean"):
        super().__init__()
        self.reduction = reduction

    def forward(self, input, target):
        return F.mse_loss(input, target, self.reduction)


class CrossEntropyLoss(Module):
    """Softmax cross-entropy of logits against class indices or probabilities."""

    def __init__(self, weight=None, reduction="mean", label_smoothing=0.0):
        super().__init__()
        self.weight, self.reduction, self.label_smoothing = weight, reduction, label_smoothing

    def forward(self, input, target):
        return F.cross_entropy(input, target, self.weight, self.reduction, self.label_smoothing)


class NLLLoss(Module):
    def __init__(self, weight=None, reduction="mean"):
        super().__init__()
        self.weight, self.reduction = weight, reduction

    def forward(self, input, target):
        return F.nll_loss(input, target, self.weight, self.reduction)
