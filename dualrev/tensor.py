"""Tensors: the PyTorch-style imperative layer, recorded on the reverse-mode tape.

A ``Tensor`` boxes a value: a NumPy array, a Var of an imperative ``Graph``
(once an operation on Tensors that require grad recorded it), or a traced
value of a functional transformation (inside ``dualrev.grad`` and friends).
Tensors dispatch above every transformation: an operation unwraps its
Tensor arguments, registers leaves that require grad in the graph, binds the
primitive again on the values (so the graph and any transformation see it),
and boxes the result.

    >>> x = dualrev.tensor(3.0, requires_grad=True)
    >>> y = x ** 2
    >>> y.backward()
    >>> x.grad
    tensor(6.)
"""
import collections
import functools
import math
import warnings
import weakref

import numpy as np

from . import backend as _backend, devices as _devices, numpy as dnp
from .backend import NUMPY_TYPES, is_foreign
from .core import _NOPARAMS, Primitive, Tracer, bind, bind_custom, strip
from .forward import Dual
from . import graph as _graph
from .graph import (Graph, SavedValue, TensorHooks, _mode, _other_threads, _threads_off,
                    add_hook, graph_var, hold, op_name, resolve)
from .graph import grad_enabled as _recording
from .numpy import _elementwise as _el, _reductions as _red, _shape as _sh
from .reverse import Var

_default_dtype = [np.dtype(np.float32)]
_rng = [np.random.default_rng()]
# Operations whose NumPy result may share its input's memory: the result is a view (real
# and imag of a complex array are).
_VIEWS = frozenset([_sh.reshape_p, _sh.transpose_p, _sh.broadcast_to_p, _sh.getitem_p,
                    _el.real_p, _el.imag_p])


# ============================================================================ dispatch

class _TensorTrace:
    """Where operations on Tensors go: above every transformation's level."""

    level = math.inf
    name = "tensor"
    alive = True

    def process1(self, prim, x):
        return _apply(prim, (x,), _NOPARAMS)

    def process2(self, prim, x, y):
        return _apply(prim, (x, y), _NOPARAMS)

    def process(self, prim, args, params):
        return _apply(prim, tuple(args), params)

    def process_custom(self, call, args):
        return [_wrap(o) for o in bind_custom(call, _unboxed(args))]


def _unboxed(args):
    """The values of args for a primitive: each Tensor's, a leaf that requires grad
    recorded as an input of the graph (a new one if no argument has one yet)."""
    enabled = not _threads_off[0] or _mode.off is None
    vals = list(args)
    graph = None
    leaves = None
    for j, a in enumerate(args):
        if isinstance(a, Tensor):
            v = a._value
            if v.__class__ is Var and v._trace.level == 0:
                resolve(v)
                if not enabled:
                    v = v.primal
                elif graph is None:
                    graph = v._trace
            elif a._rg and enabled:
                leaves = (leaves or []) + [j]
            vals[j] = v
    if leaves:
        if graph is None:
            graph = Graph()
        for j in leaves:
            vals[j] = graph.leaf_var(args[j])
    return vals


def _apply(prim, args, params):
    vals = _unboxed(args)
    try:
        out = bind(prim, vals, params)
    except Exception as e:
        _same_device(args, e)
        raise
    t = _wrap(out)
    if (prim in _VIEWS and isinstance(args[0], Tensor) and strip(out).__class__ is np.ndarray
            and np.may_share_memory(strip(out), strip(args[0]._value))):
        t._vc = args[0]._vc        # a view: in-place changes show in both
        t._base = args[0] if args[0]._base is None else args[0]._base
        if prim is _sh.getitem_p:
            t._view_of = (args[0], params["idx"])
    if out.__class__ is Var and out._trace.level == 0:
        p = out.primal
        if p.__class__ is not np.ndarray:
            if p.__class__ in NUMPY_TYPES or not is_foreign(p):
                out.primal = np.asarray(p)  # a 0-d result as an array, so views can alias it
            elif len(args) > 1:
                _same_device(args)
        if _other_threads():
            _note_saved_locked(prim, out, args, t)
        else:
            _note_saved(prim, out, args, t)
    elif (out.__class__ is not np.ndarray and len(args) > 1 and t._value is out
          and not isinstance(out, Tracer) and is_foreign(out)):
        _same_device(args)
    return t


def _same_device(args, error=None):
    """Raise PyTorch's error if the Tensors and arrays among args live on two devices
    (from ``error``, the library's own, when it refused them first)."""
    devs = []
    for a in args:
        if isinstance(a, Tensor):
            d = _devices.of(strip(a._value))
        elif a.__class__ is np.ndarray or (a.__class__ not in NUMPY_TYPES and is_foreign(a)):
            d = _devices.of(a)
        else:
            continue
        if d not in devs:
            devs.append(d)
    if len(devs) > 1:
        raise _devices.mismatch(devs) from error


def _note_saved(prim, out, args, t):
    """Remember the versions of the Tensors whose values the new entry keeps."""
    g = out._trace
    entries = g.entries
    entry = entries[out.idx]
    if entry is None:
        return
    saved, ans = entry[2], entry[3]
    for j, a in enumerate(args):
        # An in-place operation's own entry keeps the old value, which later changes of
        # the tensor do not touch (they record new values), so it is not counted.
        if saved[j] is not None and isinstance(a, Tensor) and not a._vc[2]:
            v = a._value
            made_by = None
            if v.__class__ is Var and v._trace is g and entries[v.idx] is not None:
                made_by = entries[v.idx][0]
            g.note_saved(a._vc, out.idx, SavedValue(saved[j], made_by))
    if ans is not None:
        g.note_saved(t._vc, out.idx, SavedValue(ans, prim))


def _note_saved_locked(prim, out, args, t):
    """_note_saved with the graph locked (other threads may merge or sweep it)."""
    lock = hold(out)
    try:
        _note_saved(prim, out, args, t)
    finally:
        lock.release()


_TENSOR_TRACE = _TensorTrace()


def _move(x, *, src, dst):
    return _devices.to(x, dst)


def _move_back(g, ans, x, *, src, dst):
    return bind(to_device_p, (g,), {"src": dst, "dst": src})


def _move_tangent(x_dot, ans, x, *, src, dst):
    return bind(to_device_p, (x_dot,), {"src": src, "dst": dst})


def _move_batch(batched, x, *, src, dst):
    return bind(to_device_p, (x,), {"src": src, "dst": dst})


# A copy to another device (``Tensor.to``); its derivative moves the cotangent back.
to_device_p = Primitive("to_device", _move, xp=lambda xp, x, **params: _move(x, **params),
                        jvp=(_move_tangent,), vjp=(_move_back,), batch=_move_batch,
                        register=False)


def _wrap(value, vc=None, cls=None):
    """A new Tensor (or instance of cls) boxing value, with a fresh or a shared version counter."""
    t = object.__new__(cls or Tensor)
    if value.__class__ is not np.ndarray and not isinstance(value, Tracer) and (
            value.__class__ in NUMPY_TYPES or not is_foreign(value)):
        value = np.asarray(value)
    t._value = value
    t._rg = False
    t._grad = None
    # The version, the last in-place operation's name, and whether one is being recorded.
    t._vc = [0, None, False] if vc is None else vc
    t._retains = False
    t._base = None
    t._view_of = None
    return t


# ============================================================================ Tensor

class Size(tuple):
    """A tensor's shape: a tuple of ints."""

    def __repr__(self):
        return f"dualrev.Size({list(self)})"

    def numel(self):
        return int(np.prod(self))


# What max(dim) and min(dim) return, as PyTorch's torch.return_types.max / min.
_RETURN_TYPES = {"max": collections.namedtuple("max", ["values", "indices"]),
                 "min": collections.namedtuple("min", ["values", "indices"])}


class Tensor(Tracer):
    """An array that records the operations applied to it, for ``backward()``.

    Make one with ``dualrev.tensor(data, requires_grad=...)`` or the other
    factories (``randn``, ``zeros``...).  ``Tensor(data)`` is ``tensor(data)``.
    """

    # _hooks (a leaf's TensorHooks) is set only once a hook is registered.
    __slots__ = ("_value", "_rg", "_grad", "_vc", "_retains", "_base", "_view_of", "_hooks",
                 "__weakref__")
    _trace = _TENSOR_TRACE
    __array_priority__ = 1000

    def __new__(cls, data=(), *, dtype=None, requires_grad=False, device=None):
        x = _data_array(data, dtype, copy=True)
        if device is not None:
            x = _devices.to(x, _devices.resolve(device))
        t = _wrap(x, cls=cls)
        if requires_grad:
            t.requires_grad_(True)
        return t

    def __init__(self, *args, **kwargs):
        pass

    # ------------------------------------------------------------ state

    @property
    def primal(self):
        return self._value

    @property
    def data(self):
        """The value without its graph, sharing memory; unlike detach(), changes made
        through it are not counted in the version (as PyTorch's .data)."""
        return _wrap(strip(self._value))

    @data.setter
    def data(self, other):
        self._value = _data_array(other, None, copy=False)

    @property
    def requires_grad(self):
        return self._rg or graph_var(self._value) is not None

    @requires_grad.setter
    def requires_grad(self, flag):
        self.requires_grad_(flag)

    def requires_grad_(self, requires_grad=True):
        """Make this leaf record operations (or stop); returns self."""
        if not self.is_leaf:
            if requires_grad:
                return self
            raise RuntimeError(
                "you can only change requires_grad flags of leaf variables; use "
                "detach() to get a tensor without a graph")
        if requires_grad and self.dtype.kind not in "fc":
            raise RuntimeError(
                f"only tensors of floating point dtype can require gradients, but this "
                f"tensor has dtype {self.dtype}")
        self._rg = bool(requires_grad)
        return self

    @property
    def is_leaf(self):
        """True unless the tensor is the result of a recorded operation."""
        return graph_var(self._value) is None

    @property
    def grad_fn(self):
        """The recorded operation that made this tensor (None for leaves)."""
        v = graph_var(self._value)
        if v is None:
            return None
        lock = hold(v)
        try:
            return None if v._trace.entries[v.idx] is None else GradFn(v)
        finally:
            lock.release()

    @property
    def grad(self):
        """The gradient accumulated by ``backward()`` (leaves and retain_grad tensors)."""
        if self._grad is None and not self.is_leaf and not self._retains:
            warnings.warn(
                "The .grad attribute of a tensor that is not a leaf is being accessed: "
                "backward() fills .grad only for leaves. Call .retain_grad() on it before "
                "backward() if you want its gradient.", UserWarning, stacklevel=2)
        return self._grad

    @grad.setter
    def grad(self, g):
        if g is not None:
            if not isinstance(g, Tensor):
                raise TypeError(f"assigned grad must be a Tensor or None, got "
                                f"{type(g).__name__}")
            if g.shape != self.shape:
                raise RuntimeError(f"assigned grad has shape {tuple(g.shape)}, but the "
                                   f"tensor has shape {tuple(self.shape)}")
            if g.dtype != self.dtype:
                raise RuntimeError(f"assigned grad has dtype {g.dtype}, but the tensor has "
                                   f"dtype {self.dtype}")
        self._grad = g

    @property
    def retains_grad(self):
        return self._retains

    def retain_grad(self):
        """Keep this non-leaf tensor's gradient in ``.grad`` at the next backward()."""
        if self.is_leaf:
            if not self._rg:
                raise RuntimeError("can't retain_grad on a tensor that has requires_grad=False")
            return
        v = graph_var(self._value)
        lock = hold(v)
        try:
            v._trace.retained[v.idx] = weakref.ref(self)
        finally:
            lock.release()
        self._retains = True

    def register_hook(self, hook):
        """Call ``hook(grad)`` with this tensor's gradient during each backward.

        The hook may return a Tensor of the same shape, dtype and device to use in
        place of the gradient (None keeps it).  For a tensor made by a recorded
        operation, that is the gradient pulled back further (and what retain_grad()
        and autograd.grad give for it); for a leaf, the gradient accumulated into
        ``.grad`` (or returned by autograd.grad).  Hooks run in the order they were
        registered, each given the previous one's result; with ``create_graph=True``
        the gradient is a recorded Tensor.  Returns a handle: ``handle.remove()``
        unregisters the hook.
        """
        if not callable(hook):
            raise TypeError(f"register_hook: the hook must be callable, got "
                            f"{type(hook).__name__}")
        if not self.requires_grad:
            raise RuntimeError("cannot register a hook on a tensor that doesn't require "
                               "gradient")
        v = _fwd_primal(self._value)
        gv = graph_var(v)
        if isinstance(v, Tracer) and gv is not v:
            raise RuntimeError("register_hook: this tensor is traced by a dualrev "
                               "transformation (grad, vjp, jvp, ...); hooks are for tensors "
                               "that backward() differentiates")
        if gv is None:
            hooks = getattr(self, "_hooks", None)
            if hooks is None:
                hooks = self._hooks = TensorHooks(self.dtype)
            return add_hook(hooks, hook)
        lock = hold(gv)
        try:
            hooks = gv._trace.hooks.get(gv.idx)
            if hooks is None:
                hooks = gv._trace.hooks[gv.idx] = TensorHooks(self.dtype)
            return add_hook(hooks, hook)
        finally:
            lock.release()

    @property
    def shape(self):
        return Size(np.shape(strip(self._value)))

    @property
    def dtype(self):
        x = strip(self._value)
        if x.__class__ is np.ndarray:
            return x.dtype
        return _dtype_of(x)

    @property
    def ndim(self):
        return np.ndim(strip(self._value))

    @property
    def device(self):
        """Where the values live: ``device(type='cpu')`` or ``device(type='cuda', index=0)``."""
        return _devices.of(strip(self._value))

    @property
    def is_cuda(self):
        return self.device.type == "cuda"

    @property
    def is_cpu(self):
        return self.device.type == "cpu"

    def get_device(self):
        """The GPU index of a CUDA tensor; -1 on the CPU."""
        d = self.device
        return -1 if d.index is None else d.index

    def size(self, dim=None):
        """The shape, or its entry ``dim``."""
        s = self.shape
        return s if dim is None else s[_dim(dim, len(s), "size")]

    def dim(self):
        return self.ndim

    def numel(self):
        return int(np.size(strip(self._value)))

    nelement = numel

    @property
    def _version(self):
        return self._vc[0]

    # ------------------------------------------------------------ conversions

    def _plain(self, what):
        v = _fwd_primal(self._value)
        if isinstance(v, Tracer) and graph_var(v) is not v:
            raise TypeError(f"{what} of a tensor traced by a dualrev transformation would drop "
                            f"its derivative; return it from the function instead")
        return strip(v)

    def item(self):
        """The single value as a Python number (copied to the host)."""
        x = self._plain("item()")
        if np.size(x) != 1:
            raise RuntimeError(f"a Tensor with {np.size(x)} elements cannot be converted to "
                               f"Scalar")
        return _devices.host(x).item()

    def tolist(self):
        return _devices.host(self._plain("tolist()")).tolist()

    def numpy(self):
        """The value as a NumPy array (sharing memory); needs ``requires_grad`` False and
        a CPU tensor (``t.cpu().numpy()`` for one on a GPU)."""
        if self.requires_grad:
            raise RuntimeError("Can't call numpy() on a tensor that requires grad. Use "
                               "tensor.detach().numpy() instead.")
        return np.asarray(self._host_only(self._plain("numpy()")))

    def _host_only(self, x):
        if x.__class__ is not np.ndarray and is_foreign(x):
            d = _devices.of(x)
            if d.type != "cpu":
                raise TypeError(f"can't convert {d} device type tensor to numpy. Use "
                                f"Tensor.cpu() to copy the tensor to host memory first.")
        return x

    def __array__(self, dtype=None, copy=None):
        if self.requires_grad:
            raise RuntimeError("Can't convert a tensor that requires grad to a NumPy array. "
                               "Use tensor.detach().numpy() instead.")
        x = np.asarray(self._host_only(self._plain("np.asarray()")))
        return x if dtype is None else x.astype(dtype, copy=False)

    def __float__(self):
        return float(self.item())

    def __int__(self):
        return int(self.item())

    def __index__(self):
        if self.dtype.kind not in "iu":
            raise TypeError("only integer tensors of a single element can be converted to an "
                            "index")
        return int(self.item())

    def __bool__(self):
        x = self._plain("bool()")
        if np.size(x) != 1:
            raise RuntimeError(f"Boolean value of Tensor with {np.size(x)} values is ambiguous")
        return bool(_devices.host(x).item())

    def __repr__(self):
        return _format_tensor(self)

    def __format__(self, spec):
        if self.ndim == 0 and spec:
            return format(self.item(), spec)
        return repr(self)

    def __reduce_ex__(self, protocol):
        x = strip(self._value)
        dev = _devices.of(x)
        return (_rebuild, (_devices.host(x), self._rg, type(self))
                + ((str(dev),) if dev.type != "cpu" else ()))

    def __deepcopy__(self, memo):
        if not self.is_leaf:
            raise RuntimeError("Only tensors created explicitly by the user (graph leaves) "
                               "support the deepcopy protocol")
        t = _wrap(_copy(strip(self._value)), cls=type(self))
        t._rg = self._rg
        if self._grad is not None:
            t._grad = _wrap(_copy(strip(self._grad._value)))
        memo[id(self)] = t
        return t

    def detach(self):
        """The same values, out of every graph and transformation (memory shared)."""
        return _wrap(strip(self._value), self._vc)

    def detach_(self):
        self._value = strip(self._value)
        self._rg = False
        return self

    def clone(self):
        """A copy, recorded (gradients flow back to self)."""
        if isinstance(self._value, Tracer) or (self._rg and _recording()):
            return self * 1
        return _wrap(_copy(self._value))

    def to(self, *args, dtype=None, device=None, non_blocking=False, copy=False):
        """This tensor on another device and/or of another dtype: ``to(device)``,
        ``to(dtype)``, ``to(device, dtype)``, ``to(other)`` (other's device and dtype).
        Recorded: the gradient flows back to this tensor, on its own device.  Returns
        self when nothing changes (unless ``copy``).

            >>> x.to("cuda"), x.to(dualrev.float64), x.to("cpu", dualrev.float64)
        """
        device, dtype = _devices.to_args(args, device, dtype)
        out = self
        if device is not None:
            dst = _devices.resolve(device)
            if dst != self.device:
                out = bind(to_device_p, (self,), {"src": self.device, "dst": dst})
        if dtype is not None:
            out = out.type(dtype)
        if copy and out is self:
            out = self.clone()
        return out

    def cpu(self):
        """This tensor on the CPU (itself if it is there); recorded."""
        return self.to(_devices.CPU)

    def cuda(self, device=None, non_blocking=False):
        """This tensor on a GPU (``device``: an index or ``'cuda:1'``; the current GPU by
        default); recorded.  Needs CuPy and a GPU (``dualrev.cuda.is_available()``)."""
        if device is None:
            device = "cuda"
        elif isinstance(device, (int, np.integer)):
            device = _devices.device("cuda", int(device))
        dev = _devices.device(device)
        if dev.type != "cuda":
            raise RuntimeError(f"Invalid device, must be cuda device: {dev}")
        return self.to(dev)

    def type(self, dtype):
        dtype = np.dtype(dtype)
        if dtype == self.dtype:
            return self
        return dnp.astype(self, dtype)

    def float(self):
        return self.type(np.float32)

    def double(self):
        return self.type(np.float64)

    def half(self):
        return self.type(np.float16)

    def cfloat(self):
        return self.type(np.complex64)

    def cdouble(self):
        return self.type(np.complex128)

    def long(self):
        return self.type(np.int64)

    def int(self):
        return self.type(np.int32)

    def bool(self):
        return self.type(np.bool_)

    def type_as(self, other):
        return self.type(other.dtype)

    def contiguous(self):
        return self

    # ------------------------------------------------------------ backward

    def backward(self, gradient=None, retain_graph=None, create_graph=False, inputs=None):
        """Accumulate d(self)/d(leaf) into the ``.grad`` of every leaf that requires grad.

        ``gradient`` is the upstream gradient (a tensor of self's shape); it may
        be omitted for a single-element tensor.  The graph's saved values are
        freed unless ``retain_graph``; ``create_graph`` records the backward pass
        so the gradients can be differentiated again.
        """
        from .autograd import run_backward
        run_backward((self,), (gradient,), retain_graph, create_graph, inputs=inputs,
                     where="backward")

    # ------------------------------------------------------------ in place

    def _inplace(self, name, compute, fast=None, other=None):
        """Replace the value by compute() (a Tensor) and bump the version.

        A plain array is written in place (views and arrays from .numpy() see
        the change); a recorded value is replaced by the new one.
        """
        if _recording():
            base = self._base
            if self._rg and self.is_leaf:
                what = "a leaf Variable that requires grad"
            elif base is not None and base._rg and base.is_leaf:
                what = "a view of a leaf Variable that requires grad"
            else:
                what = None
            if what:
                raise RuntimeError(
                    f"{what} is being used in an in-place operation ({name}). Its old value "
                    f"would be lost to backward(): change it under `with dualrev.no_grad():` "
                    f"(as optimizers do), or compute a new tensor out of place.")
        old = self._value
        if old.__class__ is np.ndarray and not old.flags.writeable:
            raise RuntimeError(
                f"{name}: this tensor's memory is read-only (an expanded or broadcast view, or "
                f"a read-only NumPy array), and several of its elements may share one memory "
                f"location; clone() it first")
        if fast is not None and old.__class__ is np.ndarray and _is_plain(other):
            o = strip(other)
            shape = np.broadcast_shapes(old.shape, np.shape(o))
            if shape != old.shape:
                raise RuntimeError(f"{name}: output with shape {tuple(old.shape)} doesn't match "
                                   f"the broadcast shape {tuple(shape)}")
            if isinstance(fast, np.ufunc):
                try:
                    fast(old, o, out=old, casting="same_kind")
                except Exception as e:
                    _same_device((self, other), e)
                    if not isinstance(e, TypeError):
                        raise
                    raise RuntimeError(f"{name}: result type {np.result_type(old, o)} can't be "
                                       f"cast to the desired output type {old.dtype}") from None
            else:
                try:
                    new = fast(old, o)
                except Exception as e:
                    _same_device((self, other), e)
                    raise
                _copy_into(old, new, name)
        else:
            self._vc[2] = True
            try:
                new = compute()._value
            finally:
                self._vc[2] = False
            ns = np.shape(strip(new))
            if ns != np.shape(strip(old)):
                raise RuntimeError(f"{name}: output with shape {tuple(np.shape(strip(old)))} "
                                   f"doesn't match the broadcast shape {tuple(ns)}")
            if not isinstance(new, Tracer):
                self._write(new, name)
            else:
                self._record_new_value(new, name)
        self._vc[0] += 1
        self._vc[1] = name
        return self

    def _write(self, new, name):
        """Nothing was recorded: write new into this tensor's memory (views see it)."""
        old = self._value
        buf = old.primal if old.__class__ is Var and old._trace.level == 0 else old
        if buf.__class__ is np.ndarray and buf.flags.writeable:
            _copy_into(buf, new, name)
        elif old.__class__ is Var and old._trace.level == 0:
            # Under no_grad a recorded tensor keeps its place in the graph.
            self._value = Var(resolve(old)._trace, _cast(new, _dtype_of(buf), name),
                              old.idx)
        else:
            self._value = _cast(new, _dtype_of(strip(old)), name)

    def _record_new_value(self, new, name):
        """The in-place result was recorded: the tensor takes it as its value, and the
        tensor it is a slice of (if any) takes it at that slice, recorded too."""
        dt, ndt = self.dtype, _dtype_of(strip(new))
        if ndt != dt:
            if not np.can_cast(ndt, dt, "same_kind"):
                raise RuntimeError(f"{name}: result type {ndt} can't be cast to the desired "
                                   f"output type {dt}")
            new = dnp.astype(_wrap(new), dt)._value
        if self._base is not None:
            if self._view_of is None:
                raise RuntimeError(
                    f"{name}: an in-place operation that must be recorded on a view made by "
                    f"reshape, transpose, expand, real or imag is not supported (only on slices "
                    f"made by indexing); compute the new value out of place")
            parent, idx = self._view_of
            parent._inplace(name, lambda: _sh.set_item(parent, idx, _wrap(new)))
        retained = graph_var(self._value) if self._retains else None
        self._value = new
        if retained is not None:       # retain_grad() follows the tensor to its new value
            lock = hold(retained)
            try:
                retained._trace.retained.pop(retained.idx, None)
            finally:
                lock.release()
            self._retains = False
            self.retain_grad()

    def add_(self, other, *, alpha=1):
        o = other if alpha == 1 else other * alpha
        return self._inplace("add_", lambda: self + o, np.add, o)

    def sub_(self, other, *, alpha=1):
        o = other if alpha == 1 else other * alpha
        return self._inplace("sub_", lambda: self - o, np.subtract, o)

    def mul_(self, other):
        return self._inplace("mul_", lambda: self * other, np.multiply, other)

    def div_(self, other):
        return self._inplace("div_", lambda: self / other, np.divide, other)

    def remainder_(self, other):
        return self._inplace("remainder_", lambda: self % other, np.remainder, other)

    def fmod_(self, other):
        return self._inplace("fmod_", lambda: self.fmod(other), np.fmod, other)

    def pow_(self, exponent):
        return self._inplace("pow_", lambda: self ** exponent, np.power, exponent)

    def neg_(self):
        return self._inplace("neg_", lambda: -self, lambda x, _: -x, 0)

    def fill_(self, value):
        return self._inplace("fill_", lambda: _sh.set_item(self, Ellipsis, value),
                             lambda x, v: np.broadcast_to(np.asarray(v, x.dtype), x.shape), value)

    def zero_(self):
        return self._inplace("zero_", lambda: _sh.set_item(self, Ellipsis, 0.0),
                             lambda x, v: np.zeros_like(x), 0.0)

    def copy_(self, src):
        """Copy src's values into this tensor (from any device; recorded)."""
        s = strip(src)
        if s.__class__ is not np.ndarray or strip(self._value).__class__ is not np.ndarray:
            dst = self.device
            if isinstance(src, Tensor):
                src = src.to(dst)
            elif _devices.of(s) != dst:
                src = _devices.to(s, dst)
        return self._inplace("copy_", lambda: _sh.set_item(self, Ellipsis, src),
                             lambda x, s: np.broadcast_to(np.asarray(s).astype(x.dtype), x.shape),
                             src)

    def clamp_(self, min=None, max=None):
        return self._inplace("clamp_", lambda: self.clamp(min, max))

    def __setitem__(self, idx, value):
        idx = _index(idx)
        if (self._value.__class__ is np.ndarray and self._value.flags.writeable
                and _is_plain(value) and not (self._rg and _recording())):
            self._value[idx] = strip(value)
            self._vc[0] += 1
            self._vc[1] = "__setitem__"
            return
        self._inplace("__setitem__", lambda: _sh.set_item(self, idx, value))

    def __iadd__(self, other):
        return self.add_(other)

    def __isub__(self, other):
        return self.sub_(other)

    def __imul__(self, other):
        return self.mul_(other)

    def __itruediv__(self, other):
        return self.div_(other)

    def __imod__(self, other):
        return self.remainder_(other)

    def __ipow__(self, other):
        return self.pow_(other)

    # ------------------------------------------------------------ operations

    def __getitem__(self, idx):
        idx = _index(idx)
        items = idx if isinstance(idx, tuple) else (idx,)
        if len(items) == self.ndim and all(
                isinstance(i, (int, np.integer)) and not isinstance(i, bool) for i in items):
            idx = items + (Ellipsis,)      # a 0-d view, not a copy of the element
        return _sh.getitem(self, idx)

    def add(self, other, *, alpha=1):
        return self + (other if alpha == 1 else other * alpha)

    def sub(self, other, *, alpha=1):
        return self - (other if alpha == 1 else other * alpha)

    subtract = sub

    def mul(self, other):
        return self * other

    multiply = mul

    def div(self, other):
        return self / other

    divide = div

    def remainder(self, other):
        """The remainder with the divisor's sign (Python's ``%``), as torch.remainder;
        its gradient is 1 for self and -floor(self / other) for other."""
        return self % other

    def fmod(self, other):
        """The remainder with the dividend's sign (C's fmod), as torch.fmod; its gradient
        is 1 for self and -trunc(self / other) for other."""
        return dnp.fmod(self, other)

    def neg(self):
        return -self

    def pow(self, exponent):
        return self ** exponent

    def matmul(self, other):
        return self @ other

    mm = matmul

    def exp(self):
        return dnp.exp(self)

    def log(self):
        return dnp.log(self)

    def sin(self):
        return dnp.sin(self)

    def cos(self):
        return dnp.cos(self)

    def tan(self):
        return dnp.tan(self)

    def tanh(self):
        return dnp.tanh(self)

    def sinh(self):
        return dnp.sinh(self)

    def cosh(self):
        return dnp.cosh(self)

    def sqrt(self):
        return dnp.sqrt(self)

    def square(self):
        return dnp.square(self)

    def abs(self):
        """|x|; on complex values the modulus (its gradient 0 at 0)."""
        return dnp.abs(self)

    @property
    def real(self):
        """The real part: a view (recorded) of a complex tensor; a real tensor itself."""
        return dnp.real(self) if self.dtype.kind == "c" else self

    @property
    def imag(self):
        """The imaginary part of a complex tensor: a view (recorded)."""
        if self.dtype.kind != "c":
            raise RuntimeError(f"imag is not implemented for tensors with non-complex dtypes "
                               f"(this tensor has dtype {self.dtype})")
        return dnp.imag(self)

    def conj(self):
        """The complex conjugate (recorded); a real tensor itself."""
        return dnp.conj(self) if self.dtype.kind == "c" else self

    def angle(self):
        """The argument in radians, on (-pi, pi]; 0 or pi on real values (gradient 0).
        At 0 its gradient is 0, as PyTorch's (the functional API's, as JAX's, is nan)."""
        if self.dtype.kind == "c":
            zero = strip(self._value) == 0
            if _xp(zero).any(zero):
                return dnp.where(zero, 0.0, dnp.angle(dnp.where(zero, 1.0, self)))
        return dnp.angle(self)

    def is_complex(self):
        return self.dtype.kind == "c"

    def is_floating_point(self):
        return self.dtype.kind == "f"

    def sigmoid(self):
        from .nn.functional import sigmoid
        return sigmoid(self)

    def relu(self):
        from .nn.functional import relu
        return relu(self)

    def softmax(self, dim):
        from .nn.functional import softmax
        return softmax(self, dim)

    def log_softmax(self, dim):
        from .nn.functional import log_softmax
        return log_softmax(self, dim)

    def clamp(self, min=None, max=None):
        """Values limited to [min, max]; the gradient is 1 inside, 0 where clamped; NaN
        stays NaN."""
        if min is None and max is None:
            raise ValueError("clamp: at least one of 'min' or 'max' must not be None")
        x = self
        if min is not None:
            x = dnp.where(~(strip(x._value) < strip(min)), x, min)
        if max is not None:
            x = dnp.where(~(strip(x._value) > strip(max)), x, max)
        return _wrap_result(x)

    clip = clamp

    def sum(self, dim=None, keepdim=False, *, dtype=None):
        x = self if dtype is None else self.type(dtype)
        return _red.sum(x, _dims(dim), keepdim)

    def mean(self, dim=None, keepdim=False, *, dtype=None):
        x = self if dtype is None else self.type(dtype)
        if x.dtype.kind not in "fc":
            raise RuntimeError(f"mean(): could not infer output dtype. Input dtype must be "
                               f"floating point, but got {x.dtype}")
        return _red.mean(x, _dims(dim), keepdim)

    def prod(self, dim=None, keepdim=False):
        return _red.prod(self, dim, keepdim)

    def max(self, dim=None, keepdim=False):
        """The maximum; with ``dim``, ``(values, indices)`` along it.

        The full reduction shares the gradient evenly among ties; along ``dim``
        the gradient goes to the index returned, as PyTorch.
        """
        if isinstance(dim, Tensor):
            return _wrap_result(dnp.maximum(self, dim))
        return self._extreme(dim, keepdim, np.argmax, dnp.max, "max")

    def min(self, dim=None, keepdim=False):
        """The minimum; with ``dim``, ``(values, indices)`` along it (see ``max``)."""
        if isinstance(dim, Tensor):
            return _wrap_result(dnp.minimum(self, dim))
        return self._extreme(dim, keepdim, np.argmin, dnp.min, "min")

    def _extreme(self, dim, keepdim, arg, full, name):
        if dim is None:
            return full(self)
        dim = _dim(dim, self.ndim, name)
        x = strip(self._value)
        xp = _xp(x)
        idx = arg(x, axis=dim, keepdims=True) if xp is np else getattr(xp, arg.__name__)(
            x, axis=dim, keepdims=True)
        values = self[_along(idx, dim, self.ndim)]
        if not keepdim:
            values = values.squeeze(dim)
            idx = xp.squeeze(idx, axis=dim)
        return _RETURN_TYPES[name](values, _wrap(idx))

    def amax(self, dim=None, keepdim=False):
        return dnp.max(self, _dims(dim), keepdim)

    def amin(self, dim=None, keepdim=False):
        return dnp.min(self, _dims(dim), keepdim)

    def argmax(self, dim=None, keepdim=False):
        dim = None if dim is None else _dim(dim, self.ndim, "argmax")
        x = strip(self._value)
        return _wrap(_xp(x).argmax(x, axis=dim, keepdims=keepdim))

    def argmin(self, dim=None, keepdim=False):
        dim = None if dim is None else _dim(dim, self.ndim, "argmin")
        x = strip(self._value)
        return _wrap(_xp(x).argmin(x, axis=dim, keepdims=keepdim))

    def norm(self, p=2):
        if p != 2:
            raise NotImplementedError("norm(): only p=2 is supported")
        s = dnp.sum(dnp.real(self * dnp.conj(self)) if self.dtype.kind == "c" else self * self)
        pos = strip(s._value) > 0
        # The gradient at the zero vector is 0 (a subgradient), as PyTorch, not NaN.
        return dnp.where(pos, dnp.sqrt(dnp.where(pos, s, 1.0)), 0.0)

    def reshape(self, *shape):
        return self._view(_sh.reshape(self, _shape_arg(shape)))

    def view(self, *shape):
        return self._view(_sh.reshape(self, _shape_arg(shape)))

    def _view(self, out):
        """A view operation that changed nothing still gives a new tensor (a view)."""
        if out is not self:
            return out
        shape = tuple(self.shape)
        return bind(_sh.reshape_p, (self,), dict(shape=shape, in_shape=shape))

    @property
    def T(self):
        return self._view(_sh.transpose(self))

    @property
    def mT(self):
        return self._view(_sh.swapaxes(self, -1, -2))

    def view_as(self, other):
        return self.view(other.shape)

    reshape_as = view_as

    def flatten(self, start_dim=0, end_dim=-1):
        nd = self.ndim
        s, e = _dim(start_dim, nd, "flatten"), _dim(end_dim, nd, "flatten")
        if s > e:
            raise RuntimeError("flatten() has invalid args: start_dim cannot come after end_dim")
        if nd == 0:
            return self.reshape(1)
        shape = self.shape
        return self.reshape(shape[:s] + (-1,) + shape[e + 1:])

    def transpose(self, dim0, dim1):
        """Swap two dimensions (PyTorch's meaning; ``permute`` reorders all)."""
        return self._view(_sh.swapaxes(self, dim0, dim1))

    swapaxes = transpose

    def t(self):
        if self.ndim > 2:
            raise RuntimeError(f"t() expects a tensor with <= 2 dimensions, but self is "
                               f"{self.ndim}D")
        return self._view(_sh.transpose(self))

    def permute(self, *dims):
        return self._view(_sh.transpose(self, _shape_arg(dims)))

    def unsqueeze(self, dim):
        return _sh.expand_dims(self, _sh._normalize_axes(dim, self.ndim + 1, "unsqueeze")[0])

    def squeeze(self, dim=None):
        """Drop dimensions of size 1 (``dim`` given: that one, if it is of size 1)."""
        if dim is None:
            return self._view(_sh.squeeze(self))
        dims = tuple(_sh._normalize_axes(_dims_tuple(dim), max(self.ndim, 1), "squeeze"))
        dims = tuple(d for d in dims if self.ndim and self.shape[d] == 1)
        return self._view(_sh.squeeze(self, dims) if dims else self)

    def expand(self, *sizes):
        sizes = _shape_arg(sizes)
        lead = len(sizes) - self.ndim
        shape = tuple(s if s != -1 else self.shape[i - lead] for i, s in enumerate(sizes))
        return self._view(_sh.broadcast_to(self, shape))

    def expand_as(self, other):
        return self._view(_sh.broadcast_to(self, other.shape))

    def eq(self, other):
        return self == other

    def all(self, dim=None):
        dim = None if dim is None else _dim(dim, self.ndim, "all")
        x = strip(self._value)
        return _wrap(_xp(x).all(x, axis=dim))

    def any(self, dim=None):
        dim = None if dim is None else _dim(dim, self.ndim, "any")
        x = strip(self._value)
        return _wrap(_xp(x).any(x, axis=dim))

    def allclose(self, other, rtol=1e-05, atol=1e-08, equal_nan=False):
        a, b = _host_pair(self, other)
        return bool(np.allclose(a, b, rtol=rtol, atol=atol, equal_nan=equal_nan))

    # ------------------------------------------------------------ statistics

    def var(self, dim=None, unbiased=None, keepdim=False, *, correction=None):
        """The variance over ``dim`` (all by default) with Bessel's ``correction`` (1 unless
        ``unbiased=False`` or ``correction=`` says otherwise), as torch.var."""
        dim, ddof = _var_args(dim, unbiased, correction)
        return dnp.var(self, axis=_dims(dim), ddof=ddof, keepdims=keepdim)

    def std(self, dim=None, unbiased=None, keepdim=False, *, correction=None):
        """The standard deviation (see ``var``)."""
        dim, ddof = _var_args(dim, unbiased, correction)
        return dnp.std(self, axis=_dims(dim), ddof=ddof, keepdims=keepdim)

    def var_mean(self, dim=None, unbiased=None, keepdim=False, *, correction=None):
        """``(var, mean)`` over ``dim``."""
        return (self.var(dim, unbiased, keepdim, correction=correction),
                self.mean(None if isinstance(dim, bool) else dim, keepdim))

    def std_mean(self, dim=None, unbiased=None, keepdim=False, *, correction=None):
        """``(std, mean)`` over ``dim``."""
        return (self.std(dim, unbiased, keepdim, correction=correction),
                self.mean(None if isinstance(dim, bool) else dim, keepdim))

    def logsumexp(self, dim=None, keepdim=False):
        """log(sum(exp(self))) over ``dim``, computed stably.

            >>> dualrev.tensor([0.0, 0.0]).logsumexp(0)     # log 2
            tensor(0.6931)
        """
        from .scipy import special
        return special.logsumexp(self, axis=_dims(dim), keepdims=keepdim)

    def nanmean(self, dim=None, keepdim=False, *, dtype=None):
        """The mean of the entries that are not NaN."""
        x = self if dtype is None else self.type(dtype)
        return dnp.nanmean(x, axis=_dims(dim), keepdims=keepdim)

    def nansum(self, dim=None, keepdim=False, *, dtype=None):
        """The sum with NaN counted as 0."""
        x = self if dtype is None else self.type(dtype)
        return dnp.nansum(x, axis=_dims(dim), keepdims=keepdim)

    def median(self, dim=None, keepdim=False):
        """The lower of the two middle values (PyTorch's median, not NumPy's average);
        with ``dim``, ``(values, indices)``.  The gradient goes to the chosen entry."""
        if dim is None:
            flat = self.reshape(-1)
            return flat.sort().values[(flat.numel() - 1) // 2]
        dim = _dim(dim, self.ndim, "median")
        order = _argsort(strip(self._value), dim, False)
        k = (self.shape[dim] - 1) // 2 if self.ndim else 0
        idx = _take(order, k, dim, True)
        values = self.gather(dim, idx)
        if not keepdim:
            values, idx = values.squeeze(dim), np.squeeze(idx, axis=dim)
        return _RETURN_TYPES["median"](values, _wrap(idx))

    def quantile(self, q, dim=None, keepdim=False, *, interpolation="linear"):
        """The ``q``-quantiles over ``dim`` (all entries by default); ``q`` (a number or a
        1-d tensor) is not differentiated."""
        return dnp.quantile(self, _plain_arg(q), axis=_dims(dim), keepdims=keepdim,
                            method=interpolation)

    def nanquantile(self, q, dim=None, keepdim=False, *, interpolation="linear"):
        return dnp.nanquantile(self, _plain_arg(q), axis=_dims(dim), keepdims=keepdim,
                               method=interpolation)

    def aminmax(self, *, dim=None, keepdim=False):
        """``(min, max)`` over ``dim`` (all by default); ties share the gradient."""
        return _RETURN_TYPES["aminmax"](self.amin(dim, keepdim), self.amax(dim, keepdim))

    def cumsum(self, dim, *, dtype=None):
        """Running sums along ``dim``."""
        x = self if dtype is None else self.type(dtype)
        if x.ndim == 0:
            return dnp.cumsum(x.reshape(1), axis=0).reshape(())
        return dnp.cumsum(x, axis=_dim(dim, x.ndim, "cumsum"))

    def cumprod(self, dim, *, dtype=None):
        """Running products along ``dim`` (the gradient is right at zeros too)."""
        x = self if dtype is None else self.type(dtype)
        if x.ndim == 0:
            return dnp.cumprod(x.reshape(1), axis=0).reshape(())
        return dnp.cumprod(x, axis=_dim(dim, x.ndim, "cumprod"))

    def logcumsumexp(self, dim):
        """log(cumsum(exp(self))) along ``dim``, shifted by the maximum along it (so
        entries more than ~700 below that maximum (float64) give -inf)."""
        if self.ndim == 0:
            return self * 1
        dim = _dim(dim, self.ndim, "logcumsumexp")
        x = strip(self._value)
        m = np.max(x, axis=dim, keepdims=True) if x.size else np.zeros(())
        m = np.where(np.isfinite(m), m, 0).astype(x.dtype)
        return dnp.log(dnp.cumsum(dnp.exp(self - m), axis=dim)) + m

    def cummax(self, dim):
        """``(values, indices)``: the running maximum along ``dim`` and where it was last
        reached; the gradient goes to that entry."""
        return self._cumulative(dim, np.maximum, "cummax")

    def cummin(self, dim):
        """``(values, indices)``: the running minimum along ``dim`` (see ``cummax``)."""
        return self._cumulative(dim, np.minimum, "cummin")

    def _cumulative(self, dim, op, name):
        if self.ndim == 0:
            return _RETURN_TYPES[name](self * 1, _wrap(np.zeros((), np.int64)))
        dim = _dim(dim, self.ndim, name)
        x = _devices.host(strip(self._value))
        run = op.accumulate(x, axis=dim)
        pos = np.arange(x.shape[dim]).reshape((-1,) + (1,) * (x.ndim - dim - 1))
        hit = (x == run) | (np.isnan(x) if x.dtype.kind in "fc" else False)
        idx = np.maximum.accumulate(np.where(hit, pos, 0), axis=dim)
        return _RETURN_TYPES[name](self.gather(dim, idx), _wrap(idx.astype(np.int64)))

    def diff(self, n=1, dim=-1, prepend=None, append=None):
        """The n-th forward difference along ``dim`` (``prepend``/``append`` joined first)."""
        kw = {k: v for k, v in (("prepend", prepend), ("append", append)) if v is not None}
        return dnp.diff(self, n, axis=_dim(dim, self.ndim, "diff"), **kw)

    # ------------------------------------------------------------ sorting

    def sort(self, dim=-1, descending=False, stable=False):
        """``(values, indices)`` sorted along ``dim`` (NaN counted largest, as PyTorch);
        the gradient goes back through the permutation."""
        if self.ndim == 0:
            return _RETURN_TYPES["sort"](self * 1, _wrap(np.zeros((), np.int64)))
        dim = _dim(dim, self.ndim, "sort")
        idx = _argsort(strip(self._value), dim, descending)
        return _RETURN_TYPES["sort"](self.gather(dim, idx), _wrap(idx))

    def argsort(self, dim=-1, descending=False, stable=False):
        """The indices that sort along ``dim`` (a stable sort)."""
        if self.ndim == 0:
            return _wrap(np.zeros((), np.int64))
        return _wrap(_argsort(strip(self._value), _dim(dim, self.ndim, "argsort"), descending))

    def topk(self, k, dim=-1, largest=True, sorted=True):
        """``(values, indices)`` of the ``k`` largest (or smallest) entries along ``dim``."""
        if self.ndim == 0:
            return _RETURN_TYPES["topk"](self * 1, _wrap(np.zeros((), np.int64)))
        dim = _dim(dim, self.ndim, "topk")
        if not 0 <= k <= self.shape[dim]:
            raise RuntimeError(f"topk: k ({k}) is out of range for dimension {dim} of size "
                               f"{self.shape[dim]}")
        idx = _take(_argsort(strip(self._value), dim, largest), slice(0, k), dim, False)
        return _RETURN_TYPES["topk"](self.gather(dim, idx), _wrap(idx))

    # ------------------------------------------------------------ indexing

    def gather(self, dim, index):
        """``out[i][j] = self[index[i][j]][j]`` (``dim`` 0): entries picked along ``dim``;
        ``index`` has self's number of dimensions and is no larger elsewhere."""
        idx = _int_index(index, "gather")
        dim = _dim(dim, self.ndim, "gather")
        _check_index_shape(self, idx, dim, "gather")
        return self[_along(idx, dim, max(self.ndim, 1))] if self.ndim else self[idx]

    def scatter(self, dim, index, src=None, *, value=None, reduce=None):
        """A copy with ``out[index[i][j]][j] = src[i][j]`` (``dim`` 0); ``src`` may be a
        number (or ``value=``).  With repeated indices, the last write wins."""
        if reduce is not None:
            raise NotImplementedError("scatter: reduce= is not supported; use scatter_add")
        idx, at = self._scatter_index(dim, index, "scatter")
        return _sh.set_item(self, at, self._scatter_src(value if src is None else src, idx))

    def scatter_add(self, dim, index, src):
        """A copy with ``src[i][j]`` added at ``[index[i][j]][j]`` (``dim`` 0); repeated
        indices add up."""
        idx, at = self._scatter_index(dim, index, "scatter_add")
        s = self._scatter_src(src, idx)
        if not isinstance(s, Tracer):
            s = _wrap(np.broadcast_to(np.asarray(s, self.dtype), idx.shape))
        return self + _sh._scatter(s, at, tuple(self.shape))

    def scatter_(self, dim, index, src=None, *, value=None, reduce=None):
        return self._inplace("scatter_", lambda: self.scatter(dim, index, src, value=value,
                                                              reduce=reduce))

    def scatter_add_(self, dim, index, src):
        return self._inplace("scatter_add_", lambda: self.scatter_add(dim, index, src))

    def _scatter_index(self, dim, index, name):
        idx = _int_index(index, name)
        dim = _dim(dim, self.ndim, name)
        _check_index_shape(self, idx, dim, name)
        return idx, _along(idx, dim, self.ndim)

    def _scatter_src(self, src, idx):
        if isinstance(src, Tensor) or np.ndim(strip(src)):
            if np.ndim(strip(src)) != idx.ndim:
                raise RuntimeError("scatter: index and src must have the same number of "
                                   "dimensions")
            return src[tuple(slice(0, n) for n in idx.shape)]
        return src

    def index_select(self, dim, index):
        """The entries at ``index`` (1-d, ints) along ``dim``."""
        idx = _int_index(index, "index_select")
        if idx.ndim > 1:
            raise IndexError("index_select(): Index is supposed to be a vector")
        if self.ndim == 0:
            return self[idx.reshape(())] if idx.size == 1 else self.reshape(1)[idx]
        dim = _dim(dim, self.ndim, "index_select")
        return self[(slice(None),) * dim + (idx.reshape(-1),)]

    def masked_fill(self, mask, value):
        """A copy with ``value`` where ``mask`` is True (``value`` a number or a 0-d tensor,
        which receives the gradient of the filled entries)."""
        m = strip(mask)
        if isinstance(m, Tracer) or _dtype_of(m) != np.bool_:
            raise RuntimeError("masked_fill only supports boolean masks")
        if isinstance(value, Tensor) and value.ndim:
            raise RuntimeError(f"masked_fill only supports a 0-dimensional value tensor, but "
                               f"got tensor with {value.ndim} dimension(s)")
        out = _wrap_result(dnp.where(m, value, self))
        if out.shape != self.shape:
            raise RuntimeError(f"masked_fill: the mask of shape {tuple(np.shape(m))} does not "
                               f"broadcast to the tensor's shape {tuple(self.shape)}")
        return out if out.dtype == self.dtype else out.type(self.dtype)

    def masked_fill_(self, mask, value):
        return self._inplace("masked_fill_", lambda: self.masked_fill(mask, value))

    def take(self, index):
        """The entries at ``index`` of the flattened tensor (result of index's shape)."""
        return self.reshape(-1)[_int_index(index, "take")]

    def tril(self, diagonal=0):
        """The lower triangle (of the last two dimensions) and zeros above."""
        return dnp.tril(self, diagonal)

    def triu(self, diagonal=0):
        """The upper triangle (of the last two dimensions) and zeros below."""
        return dnp.triu(self, diagonal)

    def diagonal(self, offset=0, dim1=0, dim2=1):
        """The diagonal of dimensions dim1 and dim2, as the last dimension."""
        return dnp.diagonal(self, offset, dim1, dim2)

    def diag(self, diagonal=0):
        """A 1-d tensor's diagonal matrix, or a 2-d tensor's diagonal."""
        if self.ndim not in (1, 2):
            raise RuntimeError(f"diag(): Supports 1D or 2D tensors. Got {self.ndim}D")
        return dnp.diag(self, diagonal)

    def trace(self):
        """The sum of the diagonal of a 2-d tensor."""
        if self.ndim != 2:
            raise RuntimeError(f"trace: expected a matrix, but got tensor with dim {self.ndim}")
        return dnp.sum(dnp.diagonal(self))

    def flip(self, *dims):
        """A copy with the order of entries reversed along ``dims``."""
        dims = _shape_arg(dims)
        nd = self.ndim
        axes = _sh._normalize_axes(dims, max(nd, 1), "flip") if dims else ()
        if len(set(axes)) != len(axes):
            raise RuntimeError("flip: dims has a dimension twice")
        if nd == 0:
            return self * 1
        out = self
        for a in axes:
            n = self.shape[a]
            out = out[(slice(None),) * a + (np.arange(n - 1, -1, -1),)]
        return out if axes else self * 1

    def fliplr(self):
        if self.ndim < 2:
            raise RuntimeError("fliplr: Input must be >= 2-d.")
        return self.flip(1)

    def flipud(self):
        if self.ndim < 1:
            raise RuntimeError("flipud: Input must be >= 1-d.")
        return self.flip(0)

    def roll(self, shifts, dims=None):
        """Entries shifted cyclically by ``shifts`` along ``dims`` (the flattened tensor if
        ``dims`` is None)."""
        if dims is None:
            if isinstance(shifts, (tuple, list)) and len(shifts) != 1:
                raise RuntimeError("roll: with dims=None, shifts must be one number")
            s = shifts[0] if isinstance(shifts, (tuple, list)) else shifts
            return self.reshape(-1).roll(int(s), 0).reshape(self.shape)
        shifts, dims = _dims_tuple(shifts), _dims_tuple(dims)
        if len(shifts) != len(dims):
            raise RuntimeError(f"roll: shifts and dimensions must align. shifts: {len(shifts)}, "
                               f"dims: {len(dims)}")
        out = self
        for s, d in zip(shifts, dims):
            d = _dim(d, self.ndim, "roll")
            n = self.shape[d] if self.ndim else 1
            if n:
                out = out[(slice(None),) * d + ((np.arange(n) - int(s)) % n,)]
        return out

    def repeat_interleave(self, repeats, dim=None, *, output_size=None):
        """Each entry repeated ``repeats`` times (a number, or one count per entry) along
        ``dim`` (of the flattened tensor if None)."""
        x = self.reshape(-1) if dim is None else self
        d = 0 if dim is None else _dim(dim, x.ndim, "repeat_interleave")
        n = x.shape[d] if x.ndim else 1
        r = _devices.host(strip(repeats)) if isinstance(repeats, Tensor) else repeats
        idx = np.repeat(np.arange(n), np.asarray(r).reshape(-1) if np.ndim(r) else int(r))
        if x.ndim == 0:
            x = x.reshape(1)
        return x[(slice(None),) * d + (idx,)]

    # ------------------------------------------------------------ products

    def dot(self, other):
        """The inner product of two 1-d tensors (no conjugation)."""
        _vectors(self, other, "dot")
        return dnp.einsum("i,i->", self, other)

    def vdot(self, other):
        """The inner product of two 1-d tensors, conjugating self."""
        _vectors(self, other, "vdot")
        return dnp.einsum("i,i->", self.conj(), other)

    def inner(self, other):
        """Sum over the last dimensions of both (a product if either is 0-d)."""
        o = _as_tensor(other)
        if self.ndim == 0 or o.ndim == 0:
            return self * o
        return _tensordot(self, o, [self.ndim - 1], [o.ndim - 1])

    def outer(self, vec2):
        """The outer product of two 1-d tensors."""
        _vectors(self, vec2, "outer", same=False)
        return dnp.outer(self, vec2)

    ger = outer

    def kron(self, other):
        """The Kronecker product (shapes multiplied dimension by dimension)."""
        o = _as_tensor(other)
        nd = max(self.ndim, o.ndim)
        a = self.reshape((1,) * (nd - self.ndim) + tuple(self.shape))
        b = o.reshape((1,) * (nd - o.ndim) + tuple(o.shape))
        sa, sb = a.shape, b.shape
        prod = (a.reshape(tuple(v for s in sa for v in (s, 1)))
                * b.reshape(tuple(v for s in sb for v in (1, s))))
        return prod.reshape(tuple(p * q for p, q in zip(sa, sb)))

    def cross(self, other, dim=None):
        """The cross product along ``dim`` (of size 3; the first such dimension if None,
        as torch.cross)."""
        b = _as_tensor(other)
        shape = np.broadcast_shapes(tuple(self.shape), tuple(b.shape))
        a, b = self.expand(shape), b.expand(shape)
        if dim is None:
            dims = [i for i, s in enumerate(a.shape) if s == 3]
            if not dims:
                raise RuntimeError("no dimension of size 3 in input")
            dim = dims[0]
        dim = _dim(dim, a.ndim, "cross")
        if a.shape[dim] != 3:
            raise RuntimeError(f"linalg.cross: inputs dimension {dim} must have length 3. Got "
                               f"{a.shape[dim]} and {b.shape[dim]}")
        pre = (slice(None),) * dim
        a0, a1, a2 = (a[pre + (i,)] for i in range(3))
        b0, b1, b2 = (b[pre + (i,)] for i in range(3))
        return dnp.stack([a1 * b2 - a2 * b1, a2 * b0 - a0 * b2, a0 * b1 - a1 * b0], axis=dim)

    # ------------------------------------------------------------ elementwise

    def logaddexp(self, other):
        """log(exp(self) + exp(other)), computed stably."""
        return _need(dnp, "logaddexp")(self, other)

    def hypot(self, other):
        return _need(dnp, "hypot")(self, other)

    def atan2(self, other):
        """The angle of the point (other, self), on [-pi, pi]."""
        return _need(dnp, "arctan2")(self, other)

    arctan2 = atan2

    def asin(self):
        return _need(dnp, "arcsin")(self)

    def acos(self):
        return _need(dnp, "arccos")(self)

    def atan(self):
        return _need(dnp, "arctan")(self)

    def asinh(self):
        return _need(dnp, "arcsinh")(self)

    def acosh(self):
        return _need(dnp, "arccosh")(self)

    def atanh(self):
        return _need(dnp, "arctanh")(self)

    arcsin, arccos, arctan, arcsinh, arccosh, arctanh = asin, acos, atan, asinh, acosh, atanh

    def log1p(self):
        return _need(dnp, "log1p")(self)

    def expm1(self):
        return _need(dnp, "expm1")(self)

    def log2(self):
        return _need(dnp, "log2")(self)

    def log10(self):
        return _need(dnp, "log10")(self)

    def exp2(self):
        return _need(dnp, "exp2")(self)

    def sinc(self):
        """sin(pi x) / (pi x), 1 at 0."""
        return _need(dnp, "sinc")(self)

    def erf(self):
        from .scipy import special
        return special.erf(self)

    def erfc(self):
        from .scipy import special
        return special.erfc(self)

    def erfinv(self):
        from .scipy import special
        return special.erfinv(self)

    def lgamma(self):
        """log|Gamma(x)|."""
        from .scipy import special
        return special.gammaln(self)

    def digamma(self):
        from .scipy import special
        return special.digamma(self)

    def polygamma(self, n):
        """The n-th derivative of digamma (``x.polygamma(n)``; the function is
        ``polygamma(n, x)``)."""
        from .scipy import special
        return special.polygamma(int(n), self)

    def i0(self):
        """The modified Bessel function of the first kind, of order 0."""
        from .scipy import special
        return special.i0(self)

    def reciprocal(self):
        return _float_input(self).__rtruediv__(1)

    def rsqrt(self):
        """1 / sqrt(x)."""
        return 1 / dnp.sqrt(_float_input(self))

    def floor(self):
        return _wrap_result(dnp.floor(self))

    def ceil(self):
        return _wrap_result(dnp.ceil(self))

    def trunc(self):
        return _wrap_result(dnp.trunc(self))

    fix = trunc

    def round(self, decimals=0):
        """Rounded to ``decimals`` places (halves to even); gradient 0."""
        return _wrap_result(dnp.round(self, decimals))

    def frac(self):
        """x - trunc(x) (gradient 1)."""
        return self - dnp.trunc(self)

    def sign(self):
        return _wrap_result(dnp.sign(self))

    def lerp(self, end, weight):
        """self + weight * (end - self)."""
        return self + weight * (end - self)

    def addcmul(self, tensor1, tensor2, *, value=1):
        """self + value * tensor1 * tensor2."""
        return self + value * (tensor1 * tensor2)

    def addcdiv(self, tensor1, tensor2, *, value=1):
        """self + value * tensor1 / tensor2."""
        return self + value * (tensor1 / tensor2)

    # ------------------------------------------------------------ shapes

    def unflatten(self, dim, sizes):
        """Dimension ``dim`` split into ``sizes`` (one may be -1)."""
        dim = _dim(dim, self.ndim, "unflatten")
        s = tuple(self.shape)
        return self.reshape(s[:dim] + tuple(int(v) for v in sizes) + s[dim + 1:])

    def movedim(self, source, destination):
        """Dimensions ``source`` moved to positions ``destination`` (the others keep their
        order)."""
        return self._view(dnp.moveaxis(self, _dims(source), _dims(destination)))

    moveaxis = movedim

    def narrow(self, dim, start, length):
        """The ``length`` entries from ``start`` along ``dim`` (a view)."""
        dim = _dim(dim, self.ndim, "narrow")
        n = self.shape[dim]
        start = int(start) + (n if int(start) < 0 else 0)
        if not (0 <= start and length >= 0 and start + length <= n):
            raise RuntimeError(f"narrow: start ({start}) + length ({length}) exceeds dimension "
                               f"size ({n}).")
        return self[(slice(None),) * dim + (slice(start, start + length),)]

    def _pieces(self, dim, bounds):
        pre = (slice(None),) * dim
        return tuple(self[pre + (slice(a, b),)] for a, b in zip(bounds[:-1], bounds[1:]))

    def split(self, split_size_or_sections, dim=0):
        """Pieces of ``split_size`` entries along ``dim`` (the last may be smaller), or of
        the sizes listed."""
        dim = _dim(dim, self.ndim, "split")
        n = self.shape[dim]
        s = split_size_or_sections
        if isinstance(s, (list, tuple)):
            if sum(s) != n:
                raise RuntimeError(f"split_with_sizes expects split_sizes to sum exactly to {n}"
                                   f" (input tensor's size at dimension {dim}), but got "
                                   f"split_sizes={list(s)}")
            bounds = list(np.cumsum([0] + list(s)))
        else:
            if s <= 0 and n:
                raise RuntimeError("split expects split_size be positive")
            bounds = list(range(0, n, s)) + [n] if n else [0, 0]
        return self._pieces(dim, [int(b) for b in bounds])

    def chunk(self, chunks, dim=0):
        """At most ``chunks`` pieces of ceil(n / chunks) entries along ``dim``."""
        if chunks <= 0:
            raise RuntimeError("chunk expects `chunks` to be greater than 0")
        n = self.shape[_dim(dim, self.ndim, "chunk")]
        return self.split(max(-(-n // chunks), 1), dim)

    def tensor_split(self, indices_or_sections, dim=0):
        """``sections`` pieces of near-equal size (the first ones one larger), or the
        pieces between the ``indices`` listed, along ``dim``."""
        dim = _dim(dim, self.ndim, "tensor_split")
        n = self.shape[dim]
        s = indices_or_sections
        if isinstance(s, Tensor):
            s = _devices.host(strip(s._value)).tolist()
        if isinstance(s, (list, tuple)):
            bounds = [0] + [min(max(int(i) + (n if i < 0 else 0), 0), n) for i in s] + [n]
            bounds = [max(b, a) for a, b in zip([0] + bounds[:-1], bounds)]
        else:
            if s <= 0:
                raise RuntimeError(f"number of sections must be larger than 0, got {s}")
            q, r = divmod(n, s)
            bounds = [0]
            for i in range(s):
                bounds.append(bounds[-1] + q + (i < r))
        return self._pieces(dim, bounds)

    def unbind(self, dim=0):
        """The slices along ``dim``, as a tuple."""
        dim = _dim(dim, self.ndim, "unbind")
        pre = (slice(None),) * dim
        return tuple(self[pre + (i,)] for i in range(self.shape[dim]))

    def broadcast_to(self, size):
        return self.expand(*_shape_arg((size,)))

    def repeat(self, *sizes):
        """The tensor tiled ``sizes[i]`` times along dimension i (PyTorch's repeat is
        NumPy's tile; sizes must cover every dimension)."""
        sizes = _shape_arg(sizes)
        if len(sizes) < self.ndim:
            raise RuntimeError("Number of dimensions of repeat dims can not be smaller than "
                               "number of dimensions of tensor")
        return _tile(self, sizes)

    def tile(self, *dims):
        """The tensor tiled ``dims[i]`` times along dimension i (dims padded with 1s in
        front)."""
        dims = _shape_arg(dims)
        return _tile(self, (1,) * (self.ndim - len(dims)) + dims)


def _compare(np_fn):
    name = np_fn.__name__

    def cmp(self, other):
        x = strip(self._value)
        if x.__class__ is np.ndarray or not is_foreign(x):
            o = strip(other)
            if o.__class__ is np.ndarray or not is_foreign(o):
                return _wrap(np_fn(x, o))
        _same_device((self, other))
        return _wrap(getattr(_xp(x), name)(x, _scalar(strip(other))))
    return cmp


for _name, _fn in [("__lt__", np.less), ("__le__", np.less_equal), ("__gt__", np.greater),
                   ("__ge__", np.greater_equal), ("__eq__", np.equal), ("__ne__", np.not_equal)]:
    setattr(Tensor, _name, _compare(_fn))
Tensor.__hash__ = object.__hash__
Tensor.lt, Tensor.le, Tensor.gt, Tensor.ge, Tensor.ne = (
    Tensor.__lt__, Tensor.__le__, Tensor.__gt__, Tensor.__ge__, Tensor.__ne__)


def _fwd_primal(v):
    """v without the dual numbers of forward_ad levels on top of it (their primals)."""
    while v.__class__ is Dual and getattr(v._trace, "forward_ad", False):
        v = v.primal
    return v


def _rebuild(array, requires_grad, cls, device=None):
    t = Tensor.__new__(cls, array, dtype=array.dtype, device=device)
    t._rg = requires_grad
    return t


def _host_pair(a, b):
    """The raw values of a and b (Tensors or arrays) as NumPy arrays, if on one device."""
    x, y = strip(a), strip(b)
    if x.__class__ is np.ndarray and y.__class__ is np.ndarray:
        return x, y
    _same_device((a, b))
    return _devices.host(x), _devices.host(y)


def _is_plain(x):
    """x carries no derivative that an in-place write would need to record."""
    if isinstance(x, Tensor):
        return not isinstance(x._value, Tracer) and not (x._rg and _recording())
    return not isinstance(x, Tracer)


def _copy_into(buf, new, name):
    try:
        np.copyto(buf, new, casting="same_kind")
    except TypeError:
        raise RuntimeError(f"{name}: result type {np.result_type(new)} can't be cast to the "
                           f"desired output type {buf.dtype}") from None


def _cast(x, dtype, name):
    nd = _dtype_of(x)
    if nd != dtype and not np.can_cast(nd, dtype, "same_kind"):
        raise RuntimeError(f"{name}: result type {nd} can't be cast to the desired output "
                           f"type {dtype}")
    if x.__class__ is not np.ndarray and is_foreign(x):
        return x if nd == dtype else _astype(x, dtype)
    return np.asarray(x).astype(dtype, copy=False)


def _dtype_of(x):
    """The NumPy dtype of a raw value (another library's dtype named as NumPy's)."""
    if x.__class__ is np.ndarray:
        return x.dtype
    d = getattr(x, "dtype", None)
    if isinstance(d, np.dtype):
        return d
    if d is None or not is_foreign(x):
        return np.result_type(x)
    return np.dtype(str(d).rsplit(".", 1)[-1])


def _astype(x, dtype):
    """Raw array x cast to NumPy dtype ``dtype``, in its own library."""
    if x.__class__ is np.ndarray or not is_foreign(x):
        return np.asarray(x).astype(dtype)
    xp = _backend.namespace(x)
    return xp.astype(x, _backend.xp_dtype(xp, np.dtype(dtype)))


def _copy(x):
    """A copy of raw array x, on its device."""
    if x.__class__ is np.ndarray or not is_foreign(x):
        return np.array(x, copy=True)
    return _backend.namespace(x).asarray(x, copy=True)


def _xp(x):
    """The array namespace of raw value x (NumPy for NumPy's and Python's values)."""
    if x.__class__ is np.ndarray or not is_foreign(x):
        return np
    return _backend.namespace(x)


def _scalar(v):
    """A NumPy scalar as a Python one (libraries other than NumPy refuse NumPy's)."""
    return v.item() if isinstance(v, np.generic) else v


def _wrap_result(x):
    return x if isinstance(x, Tensor) else _wrap(x)


def _index(idx):
    """An index with Tensors replaced by their values."""
    if isinstance(idx, tuple):
        return tuple(_index(i) for i in idx)
    if isinstance(idx, Tensor):
        v = strip(idx._value)
        return (_devices.host(v).item() if np.ndim(v) == 0 and _dtype_of(v).kind in "iu"
                else v)
    return idx


def _along(idx, dim, nd):
    """The index that picks idx (keepdims positions along dim, checked) from each slice."""
    shape = idx.shape
    if idx.__class__ is not np.ndarray:
        xp, dev = _backend.namespace(idx), _backend.device(idx)
        return tuple(idx if a == dim else xp.reshape(xp.arange(shape[a], device=dev), (
            1,) * a + (shape[a],) + (1,) * (nd - a - 1)) for a in range(nd))
    return tuple(idx if a == dim else np.arange(shape[a]).reshape(
        (1,) * a + (shape[a],) + (1,) * (nd - a - 1)) for a in range(nd))


def _dim(dim, nd, name):
    """One dimension of a tensor of nd dimensions, checked and made non-negative (a 0-d
    tensor takes 0 and -1, as PyTorch)."""
    return _sh._normalize_axes(dim, max(nd, 1), name)[0]


def _dims(dim):
    if dim is None:
        return None
    if isinstance(dim, (list, tuple)):
        return tuple(int(d) for d in dim)
    return int(dim)


def _dims_tuple(dim):
    return tuple(dim) if isinstance(dim, (list, tuple)) else (dim,)


def _shape_arg(shape):
    if len(shape) == 1 and isinstance(shape[0], (tuple, list, Size)):
        return tuple(shape[0])
    return tuple(int(s) for s in shape)


# ============================================================================ helpers of the
# PyTorch-named functions

for _n in ("sort", "topk", "cummax", "cummin", "median"):
    _RETURN_TYPES[_n] = collections.namedtuple(_n, ["values", "indices"])
_RETURN_TYPES["aminmax"] = collections.namedtuple("aminmax", ["min", "max"])


def _need(module, name):
    """module.name, or an error naming it if this version of dualrev lacks it."""
    fn = getattr(module, name, None)
    if fn is None:
        raise NotImplementedError(f"{module.__name__}.{name} is not available in this version "
                                  f"of dualrev")
    return fn


def _as_tensor(x):
    return x if isinstance(x, Tensor) else _wrap(x if isinstance(x, Tracer) else np.asarray(x))


def _var_args(dim, unbiased, correction):
    """dim and the degrees of freedom of var/std: torch's overloads var(unbiased),
    var(dim, unbiased), var(dim, correction=)."""
    if isinstance(dim, bool):
        if unbiased is not None:
            raise TypeError("var/std: unbiased given twice")
        dim, unbiased = None, dim
    if unbiased is not None and correction is not None:
        raise TypeError("var/std: give unbiased or correction, not both")
    if correction is None:
        correction = 1 if unbiased is None or unbiased else 0
    return dim, correction


def _plain_arg(q):
    """A non-differentiated argument's value (a tensor's array)."""
    if isinstance(q, Tensor):
        return _devices.host(strip(q._value))
    return q


def _int_index(index, name):
    """An index tensor's values as a NumPy integer array, checked."""
    idx = index
    if isinstance(idx, Tensor):
        idx = strip(idx._value)
    elif isinstance(idx, Tracer):
        idx = strip(idx)
    idx = np.asarray(_devices.host(idx)) if idx.__class__ is not np.ndarray else idx
    if idx.dtype.kind not in "iu":
        raise RuntimeError(f"{name}(): Expected dtype int64 for index, got {idx.dtype}")
    return idx


def _check_index_shape(x, idx, dim, name):
    if idx.ndim != max(x.ndim, 1) and not (x.ndim == 0 and idx.ndim == 0):
        raise RuntimeError(f"{name}(): Index tensor must have the same number of dimensions as "
                           f"input tensor")
    for a, (n, m) in enumerate(zip(idx.shape, x.shape)):
        if a != dim and n > m:
            raise RuntimeError(f"{name}(): Size does not match at dimension {a}: expected index "
                               f"{tuple(idx.shape)} to be no larger than self {tuple(x.shape)} "
                               f"apart from dimension {dim}")


def _argsort(x, dim, descending):
    """A stable argsort of raw array x along dim, NaN counted largest (as PyTorch)."""
    x = _devices.host(x)
    if x.dtype.kind == "c":
        raise RuntimeError("sort: complex tensors are not ordered")
    if descending:
        if x.dtype.kind == "b":
            key = ~x
        elif x.dtype.kind == "u":
            key = np.iinfo(x.dtype).max - x
        elif x.dtype.kind == "f":
            key = np.where(np.isnan(x), -np.inf, -x)
        else:
            key = -x.astype(np.int64) if x.dtype.itemsize < 8 else ~x
        return np.argsort(key, axis=dim, kind="stable")
    return np.argsort(x, axis=dim, kind="stable")


def _take(a, k, dim, keep):
    """a[..., k, ...] along dim (k an int, or a slice; an int kept as a dimension)."""
    if isinstance(k, int):
        k = slice(k, k + 1) if keep else k
    return a[(slice(None),) * dim + (k,)]


def _vectors(a, b, name, same=True):
    b = _as_tensor(b)
    if a.ndim != 1 or b.ndim != 1:
        raise RuntimeError(f"1D tensors expected, but got {a.ndim}D and {b.ndim}D tensors")
    if same and a.shape != b.shape:
        raise RuntimeError(f"inconsistent tensor size, expected tensor [{a.shape[0]}] and src "
                           f"[{b.shape[0]}] to have the same number of elements, but got "
                           f"{a.shape[0]} and {b.shape[0]} elements respectively")


_LETTERS = "abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ"


def _tensordot(a, b, dims_a, dims_b):
    """Sum of a * b over the paired dimensions dims_a of a and dims_b of b (an einsum)."""
    a, b = _as_tensor(a), _as_tensor(b)
    dims_a = [_dim(d, a.ndim, "tensordot") for d in dims_a]
    dims_b = [_dim(d, b.ndim, "tensordot") for d in dims_b]
    if len(dims_a) != len(dims_b):
        raise RuntimeError("tensordot: both dimension lists should have the same length")
    for da, db in zip(dims_a, dims_b):
        if a.shape[da] != b.shape[db]:
            raise RuntimeError(f"contracted dimensions need to match, but first has size "
                               f"{a.shape[da]} in dim {da} and second has size {b.shape[db]} "
                               f"in dim {db}")
    if a.ndim + b.ndim - len(dims_a) > len(_LETTERS):
        raise RuntimeError("tensordot: too many dimensions")
    sa = list(_LETTERS[:a.ndim])
    rest = iter(_LETTERS[a.ndim:])
    sb = [None] * b.ndim
    for da, db in zip(dims_a, dims_b):
        sb[db] = sa[da]
    sb = [s if s is not None else next(rest) for s in sb]
    out = ([s for i, s in enumerate(sa) if i not in dims_a]
           + [s for i, s in enumerate(sb) if i not in dims_b])
    return _wrap_result(dnp.einsum(f"{''.join(sa)},{''.join(sb)}->{''.join(out)}", a, b))


def _float_input(x):
    """x, cast to the default float dtype if it is an integer or boolean tensor."""
    return x if x.dtype.kind in "fc" else x.type(_default_dtype[0])


def _tile(x, reps):
    """x repeated reps[i] times along dimension i (len(reps) >= x.ndim)."""
    shape = (1,) * (len(reps) - x.ndim) + tuple(x.shape)
    inter = tuple(v for s in shape for v in (1, s))
    big = tuple(v for r, s in zip(reps, shape) for v in (r, s))
    out = _sh.broadcast_to(x.reshape(inter), big)
    return _wrap_result(out).reshape(tuple(r * s for r, s in zip(reps, shape)))


# ============================================================================ grad_fn

class GradFn:
    """A recorded operation of a graph, as seen from the tensor it made."""

    __slots__ = ("_var",)

    def __init__(self, var):
        self._var = var

    def _entry(self):
        v = self._var
        lock = hold(v)
        try:
            return v._trace.entries[v.idx]
        finally:
            lock.release()

    def name(self):
        return op_name(self._entry()[0])

    @property
    def next_functions(self):
        """One ``(GradFn or 'AccumulateGrad' or None, 0)`` per argument of the operation."""
        prim, ids, args = self._entry()[:3]
        ids = (ids,) + (-1,) * (len(args) - 1) if ids.__class__ is int else ids
        g = self._var._trace
        out = []
        for k in ids:
            if k < 0:
                out.append((None, 0))
            elif g.entries[k] is None:
                out.append(("AccumulateGrad", 0))
            else:
                out.append((GradFn(Var(g, None, k)), 0))
        return tuple(out)

    def __repr__(self):
        return f"<{self.name()}>"


def unbox_input(t):
    """The value a transformation differentiates for Tensor t: its graph value, with a
    leaf that requires grad entered in a graph first (so the result stays recorded)."""
    v = t._value
    gv = graph_var(v)
    if gv is not None and gv is v:
        return v if _recording() else v.primal
    if not isinstance(v, Tracer) and t._rg and _recording():
        return Graph().leaf_var(t)
    return v


# ============================================================================ grad mode

class _GradMode:
    """Sets whether operations are recorded, as a context manager or a decorator.

    The mode is the calling thread's: other threads go on as they were.  The mode
    to restore is kept per thread, so one instance may serve several threads.
    """

    _enable = True

    def __new__(cls, *args, **kwargs):
        if cls._decorates_bare(args):
            return cls()(args[0])
        return super().__new__(cls)

    @classmethod
    def _decorates_bare(cls, args):
        return len(args) == 1 and callable(args[0]) and not isinstance(args[0], bool)

    def __enter__(self):
        _mode.restore.append(_graph.set_grad_enabled(self._enable))

    def __exit__(self, *exc):
        _graph.set_grad_enabled(_mode.restore.pop())
        return False

    def __call__(self, fn):
        @functools.wraps(fn)
        def wrapped(*args, **kwargs):
            with type(self)(*self._args()):
                return fn(*args, **kwargs)
        return wrapped

    def _args(self):
        return ()


class no_grad(_GradMode):
    """Nothing is recorded inside: results do not require grad.

    >>> with dualrev.no_grad():
    ...     y = x * 2          # y.requires_grad is False
    """

    _enable = False


class enable_grad(_GradMode):
    """Recording is on inside (undoes an enclosing no_grad)."""

    _enable = True


class inference_mode(_GradMode):
    """As ``no_grad`` (with ``mode=False``, changes nothing)."""

    def __init__(self, mode=True):
        self.mode = bool(mode)

    def __enter__(self):
        _mode.restore.append(_graph.set_grad_enabled(False) if self.mode else _recording())

    def _args(self):
        return (self.mode,)


class set_grad_enabled(_GradMode):
    """Turn recording on or off: at once when called, or for a ``with`` block."""

    @classmethod
    def _decorates_bare(cls, args):
        return False

    def __init__(self, mode):
        self.mode = bool(mode)
        self._prev = _graph.set_grad_enabled(self.mode)

    def __enter__(self):
        pass

    def __exit__(self, *exc):
        _graph.set_grad_enabled(self._prev)
        return False

    def __call__(self, fn):
        _graph.set_grad_enabled(self._prev)   # as a decorator it sets the mode per call only
        return super().__call__(fn)

    def _args(self):
        return (self.mode,)


def is_grad_enabled():
    """Whether operations on Tensors are being recorded in this thread."""
    return _recording()


# ============================================================================ data

def _data_array(data, dtype, copy):
    if isinstance(data, Tensor):
        data = strip(data._value)
    elif isinstance(data, (list, tuple)):
        data = _nested(data)
    if data.__class__ is not np.ndarray and data.__class__ not in NUMPY_TYPES and is_foreign(data):
        # another library's array (a GPU's) stays in its library, on its device
        if dtype is not None and _dtype_of(data) != np.dtype(dtype):
            return _astype(data, dtype)
        return _copy(data) if copy else data
    explicit = isinstance(data, (np.ndarray, np.generic))
    arr = np.array(data, dtype=dtype, copy=True) if copy else np.asarray(data, dtype=dtype)
    if dtype is None and not explicit:
        if arr.dtype == np.float64:
            arr = arr.astype(_default_dtype[0])
        elif arr.dtype == np.complex128:
            arr = arr.astype(default_complex_dtype())
    if arr.dtype == object:
        raise TypeError(f"can't make a tensor from {type(data).__name__} data")
    return arr


def default_complex_dtype():
    """The complex dtype of tensors made from Python complex numbers: complex128 when the
    default dtype is float64, else complex64 (PyTorch's complex32 for float16 has no NumPy
    counterpart)."""
    return np.dtype(np.complex128 if _default_dtype[0] == np.float64 else np.complex64)


def _nested(data):
    if isinstance(data, (list, tuple)):
        return [_nested(d) for d in data]
    if isinstance(data, Tensor):
        x = _devices.host(strip(data._value))
        return x.item() if np.size(x) == 1 else x.tolist()
    return data


# ============================================================================ printing

def _format_tensor(t):
    v = t._value
    x = strip(v)
    suffix = []
    if x.__class__ is not np.ndarray:
        dev = _devices.of(x)
        if dev.type != "cpu":
            suffix.append(f"device='{dev}'")
        x = _devices.host(x)
    if x.size == 0 and x.ndim > 1:
        suffix.append(f"size={tuple(x.shape)}")
    # As PyTorch: the dtype is shown unless the values show it, and an empty tensor shows
    # every dtype but the default one.
    if x.dtype != _default_dtype[0] and (x.size == 0 or x.dtype not in (
            default_complex_dtype(), np.int64, np.bool_)):
        suffix.append(f"dtype={x.dtype}")
    tangent = None
    if v.__class__ is Dual and getattr(v._trace, "forward_ad", False):
        from .forward_ad import unpack_dual
        tangent = unpack_dual(t).tangent    # of the innermost level, as PyTorch shows it
        v = _fwd_primal(v)
    gv = graph_var(v)
    if isinstance(v, Tracer) and gv is not v:
        suffix.append(f"traced by {v._trace.name} (level {v._trace.level})")
    elif gv is not None:
        fn = t.grad_fn
        suffix.append(f"grad_fn={fn!r}" if fn is not None else "requires_grad=True")
    elif t._rg:
        suffix.append("requires_grad=True")
    prefix = "tensor("
    body = "[]" if x.size == 0 else _format_array(x, len(prefix))
    if tangent is not None:
        suffix.append(f"tangent={tangent!r}")
    return prefix + ", ".join([body] + suffix) + ")"


def _format_array(x, indent):
    """Values laid out as PyTorch prints them (4 decimals, one width for all); a complex
    value as its real part, then its imaginary part with its sign and 'j', each part with
    the format its own values call for."""
    summarize = x.size > 1000
    if x.dtype.kind == "c":
        re_fmt = _Formatter(_sample(x.real) if summarize else x.real)
        im_fmt = _Formatter(_sample(x.imag) if summarize else x.imag)
        fmt = _ComplexFormatter(re_fmt, im_fmt)
    else:
        fmt = _Formatter(_sample(x) if summarize else x)
    return _fmt_rec(x, fmt, indent, summarize)


def _sample(x):
    """The entries a summarised print shows (3 at each end of every dimension)."""
    if x.ndim == 0:
        return x
    n = x.shape[0]
    parts = [x[:3], x[-3:]] if n > 6 else [x]
    return np.concatenate([_sample(p[i]).ravel() for p in parts for i in range(len(p))])


def _fmt_rec(x, fmt, indent, summarize):
    if x.ndim == 0:
        return fmt(x.item())
    n = x.shape[0]
    idx = list(range(3)) + [None] + list(range(n - 3, n)) if summarize and n > 6 else range(n)
    if x.ndim == 1:
        items = [" ..." if i is None else fmt(x[i].item()) for i in idx]
        per_line = max(1, (80 - indent) // (fmt.width + 2))
        lines = [", ".join(items[i:i + per_line]) for i in range(0, len(items), per_line)]
        return "[" + (",\n" + " " * (indent + 1)).join(lines) + "]"
    sep = "," + "\n" * (x.ndim - 1) + " " * (indent + 1)
    rows = ["..." if i is None else _fmt_rec(x[i], fmt, indent + 1, summarize) for i in idx]
    return "[" + sep.join(rows) + "]"


class _ComplexFormatter:
    """PyTorch's layout of a complex value: the real part padded to its width, the
    imaginary part unpadded with its sign ('+' added) and 'j'.  ``width`` is what a
    line holds per value, less the separator (real width + imaginary width + 1)."""

    def __init__(self, re_fmt, im_fmt):
        self.re_fmt, self.im_fmt = re_fmt, im_fmt
        self.width = re_fmt.width + im_fmt.width + 1

    def __call__(self, v):
        im = (self.im_fmt(v.imag) + "j").lstrip()
        return self.re_fmt(v.real) + (im if im[0] in "+-" else "+" + im)


class _Formatter:
    """PyTorch's choice of format: integers shown as ``2.``, else 4 decimals, or
    scientific when the magnitudes span more than 1000x; the width of the widest
    finite nonzero entry (of any entry for integer dtypes)."""

    def __init__(self, x):
        self.floating = x.dtype.kind in "fc"
        self.int_mode, self.sci, self.width = True, False, 1
        if not self.floating:
            self.width = max((len(str(v)) for v in np.ravel(x)), default=1)
            return
        finite = x[np.isfinite(x) & (x != 0)].astype(np.float64)
        if finite.size == 0:
            return
        lo, hi = np.abs(finite).min(), np.abs(finite).max()
        self.int_mode = bool(np.all(finite == np.ceil(finite)))
        self.sci = hi / lo > 1000.0 or hi > 1.0e8 or (not self.int_mode and lo < 1.0e-4)
        self.width = max(len(self._raw(v)) for v in finite)

    def _raw(self, v):
        if not self.floating:
            return str(v)
        v = float(v)
        if self.sci:
            return f"{v:.4e}"
        if self.int_mode:
            return f"{v:.0f}" + ("" if math.isinf(v) or math.isnan(v) else ".")
        return f"{v:.4f}"

    def __call__(self, v):
        s = self._raw(v)
        return " " * (self.width - len(s)) + s
