"""``autograd.Function``: a PyTorch-style operation with a user-written backward.

A Function's ``apply`` is one custom call of the engine (``custom.CustomCall``),
a primitive whose rules are the user's: the imperative graph records it as one
node whose pullback is ``backward``; forward mode (``autograd.forward_ad``,
``dualrev.jvp``) uses the Function's ``jvp`` if it has one, else the transpose
of ``backward`` (linear in its gradients, so its transpose is the JVP).

    >>> class Exp(Function):
    ...     @staticmethod
    ...     def forward(ctx, x):
    ...         y = x.exp()
    ...         ctx.save_for_backward(y)
    ...         return y
    ...     @staticmethod
    ...     def backward(ctx, g):
    ...         y, = ctx.saved_tensors
    ...         return g * y
    >>> Exp.apply(dualrev.tensor(1.0, requires_grad=True)).backward()
"""
import functools

import numpy as np

from . import backend
from .core import Primitive, bind, bind_custom, strip
from .custom import CustomCall, _instantiate, _zeros_like, transposed_jvp
from .graph import graph_var
from .tensor import Tensor, _wrap, is_grad_enabled, no_grad


class FunctionCtx:
    """What forward hands to backward: saved tensors and flags, as PyTorch's ctx."""

    def __init__(self):
        self.to_save = ()
        self.needs_input_grad = ()
        self.non_differentiable = ()
        self.materialize_grads = True
        self.saved_for_forward = ()

    def save_for_backward(self, *tensors):
        for i, t in enumerate(tensors):
            if t is not None and not isinstance(t, Tensor):
                raise TypeError(f"save_for_backward can only save variables, but argument {i} "
                                f"is not a Tensor or None (got {type(t).__name__})")
        self.to_save = tensors

    @property
    def saved_tensors(self):
        return tuple(self.to_save)

    def save_for_forward(self, *tensors):
        self.saved_for_forward = tensors

    def mark_non_differentiable(self, *tensors):
        self.non_differentiable = tuple(tensors)

    def set_materialize_grads(self, value):
        self.materialize_grads = bool(value)

    def mark_dirty(self, *tensors):
        pass


class _FunctionMeta(type):
    def __init__(cls, name, bases, attrs):
        super().__init__(name, bases, attrs)
        cls._backward_name = f"{name}Backward"


class Function(metaclass=_FunctionMeta):
    """Subclass with static ``forward`` and ``backward`` (and optionally
    ``setup_context`` and ``jvp``); call ``YourFunction.apply(*args)``."""

    @staticmethod
    def forward(ctx, *args, **kwargs):
        raise NotImplementedError("You must implement the forward function for custom "
                                  "autograd.Function.")

    @staticmethod
    def setup_context(ctx, inputs, output):
        raise NotImplementedError("setup_context is not overridden")

    @staticmethod
    def backward(ctx, *grad_outputs):
        raise NotImplementedError("You must implement either the backward or vjp method for "
                                  "your custom autograd.Function to use it with backward mode "
                                  "AD.")

    vjp = backward

    @staticmethod
    def jvp(ctx, *grad_inputs):
        raise NotImplementedError("You must implement the jvp function for custom "
                                  "autograd.Function to use it with forward mode AD.")

    def __init__(self, *args, **kwargs):
        raise RuntimeError("autograd.Function is used through its static methods: call "
                           f"{type(self).__name__}.apply(...) instead of making an instance")

    @classmethod
    def apply(cls, *args, **kwargs):
        if kwargs:
            raise TypeError(f"{cls.__name__}.apply takes its inputs positionally")
        call = _FunctionCall(cls, args)
        pos = call.positions
        outs = bind_custom(call, [args[i] for i in pos]) if pos else call.fun()
        return call.result(outs)


def _overrides(cls, name):
    return getattr(cls, name) is not getattr(Function, name)


class _FunctionCall(CustomCall):
    """One ``apply``: the Tensor arguments are the call's inputs, the rest constants.
    Its backward reads the tensors forward saved (connected to the graph, for double
    backward), so it is never linearized again."""

    relinearizes = False

    def __init__(self, cls, args):
        super().__init__(cls._backward_name, None)
        self.cls = cls
        self.args = args
        self.positions = [i for i, a in enumerate(args) if isinstance(a, Tensor)]
        self.ctx = FunctionCtx()
        self.ctx.needs_input_grad = tuple(isinstance(a, Tensor) and a.requires_grad
                                          for a in args)
        self.out_tensors = None
        self.single = False
        if not _overrides(cls, "backward") and _overrides(cls, "vjp"):
            self.backward_fn = cls.vjp
        else:
            self.backward_fn = cls.backward

    # ------------------------------------------------------------ forward

    def _run_forward(self, args):
        cls, ctx = self.cls, self.ctx
        with no_grad():
            if _overrides(cls, "setup_context"):
                out = cls.forward(*args)
                cls.setup_context(ctx, tuple(args), out)
            else:
                out = cls.forward(ctx, *args)
        self.single = not isinstance(out, tuple)
        outs = (out,) if self.single else out
        for j, o in enumerate(outs):
            if not isinstance(o, Tensor):
                raise TypeError(f"{cls.__name__}.forward must return Tensors (or a tuple of "
                                f"them); output {j} is a {type(o).__name__}")
        self.out_tensors = outs
        return [strip(o._value) for o in outs]

    def _inputs(self, vals):
        """The forward's arguments: the user's Tensors where the values are theirs,
        else the values given (boxed)."""
        args = list(self.args)
        for i, v in zip(self.positions, vals):
            a = args[i]
            if v is not a._value:
                args[i] = _wrap(v)
        return args

    def fun(self, *vals):
        return self._run_forward(self._inputs(vals) if vals else list(self.args))

    def linearize(self, primals, traced):
        outs = self._run_forward(list(self.args))
        nondiff = [any(o is t for t in self.ctx.non_differentiable) for o in self.out_tensors]
        self.nondiff = nondiff

        def pullback(cts):
            got = self._backward(cts, outs)
            return [g if t else None for g, t in zip(got, traced)]
        return outs, pullback

    def _backward(self, cts, outs):
        ctx, n = self.ctx, len(self.args)
        if ctx.materialize_grads:
            cts = _instantiate(cts, outs)
        grads = tuple(None if c is None else _wrap(_conj(c)) for c in cts)
        res = self.backward_fn(ctx, *grads)
        res = res if isinstance(res, tuple) else (res,)
        if len(res) != n:
            raise RuntimeError(f"function {self.name} returned an incorrect number of "
                               f"gradients (expected {n}, got {len(res)})")
        got = []
        for i, g in enumerate(res):
            a = self.args[i]
            if not isinstance(a, Tensor):
                if g is not None:
                    raise RuntimeError(
                        f"function {self.name} returned a gradient different than None at "
                        f"position {i + 1}, but the corresponding forward input was not a "
                        f"Variable")
                continue
            got.append(None if g is None else _fitted(self.name, i, _conj(_value(g)), a))
        return got

    def jvp(self, primals, tangents):
        cls = self.cls
        outs = self._run_forward(self._inputs(primals))
        if _overrides(cls, "jvp"):
            t_in = [None] * len(self.args)
            for i, t, p in zip(self.positions, tangents, primals):
                t_in[i] = _wrap(t if t is not None else _zeros_like(p))
            with no_grad():
                res = cls.jvp(self.ctx, *t_in)
            res = res if isinstance(res, tuple) else (res,)
            if len(res) != len(outs):
                raise RuntimeError(f"{cls.__name__}.jvp returned {len(res)} tangents for "
                                   f"{len(outs)} outputs")
            return outs, [_value(r) for r in res]
        return outs, transposed_jvp(self.name, lambda cts: self._backward(cts, outs), outs,
                                    primals, tangents)

    def batched(self, batched, size):
        raise NotImplementedError(
            f"vmap of the autograd.Function '{self.cls.__name__}' is not supported; use "
            f"dualrev.custom_vjp (which vmap batches) or call it per example")

    # ------------------------------------------------------------ results

    def result(self, outs):
        """The Tensors apply returns: forward's own objects, now holding the recorded
        outputs (so that tensors saved from them are the outputs), except where forward
        returned one of its inputs."""
        res = []
        inputs = [a for a in self.args if isinstance(a, Tensor)]
        for o_t, o in zip(self.out_tensors, outs):
            v = o._value if isinstance(o, Tensor) else o
            nondiff = any(o_t is t for t in self.ctx.non_differentiable)
            if nondiff:
                v = strip(v)
            if any(o_t is a for a in inputs):
                res.append(_wrap(v))
            else:
                o_t._value = v
                res.append(o_t)
        return res[0] if self.single else tuple(res)


def _value(t):
    return t._value if isinstance(t, Tensor) else t


def _conj(c):
    from . import numpy as dnp
    if backend.kind(backend.dtype(strip(c))) == "c":
        return dnp.conj(c)
    return c


def _fitted(name, i, g, a):
    """Gradient g for input a: summed to a's shape where it broadcasts to it, as PyTorch."""
    gs, shape = tuple(np.shape(g)), tuple(a.shape)
    if gs == shape:
        return g
    try:
        if np.broadcast_shapes(gs, shape) != gs:
            raise ValueError
    except ValueError:
        raise RuntimeError(f"Function {name} returned an invalid gradient at index {i} - got "
                           f"{list(gs)} but expected shape compatible with {list(shape)}") \
            from None
    from .numpy import _unbroadcast
    return _unbroadcast(g, shape, backend.dtype(strip(g)))


def _raise_twice(*args, **params):
    raise RuntimeError("trying to differentiate twice a function that was marked with "
                       "@once_differentiable")


once_p = Primitive("once_differentiable", lambda x, anchor: x, register=False,
                   jvp=(_raise_twice, _raise_twice), vjp=(_raise_twice, _raise_twice))


def once_differentiable(fn):
    """Mark a backward that is not itself differentiable: it runs without recording,
    and differentiating its results (``create_graph=True``) raises."""
    @functools.wraps(fn)
    def wrapper(ctx, *grads):
        with no_grad():
            res = fn(ctx, *grads)
        if not is_grad_enabled():
            return res
        anchors = [g for g in grads if isinstance(g, Tensor) and graph_var(g._value) is not None]
        if not anchors:
            return res
        single = not isinstance(res, tuple)
        outs = tuple(None if r is None else bind(once_p, (r, anchors[0]))
                     for r in ((res,) if single else res))
        return outs[0] if single else outs
    return wrapper


__all__ = ["Function", "FunctionCtx", "once_differentiable"]
