"""PyTorch's ``torch.autograd.forward_ad`` for Tensors: forward mode with dual tensors.

    >>> import dualrev.autograd.forward_ad as fwAD
    >>> x = dualrev.tensor([1.0, 2.0])
    >>> with fwAD.dual_level():
    ...     y = fwAD.make_dual(x, dualrev.ones(2)).sin()
    ...     primal, tangent = fwAD.unpack_dual(y)        # sin(x), cos(x)

Each level is a forward-mode tag of dualrev's engine (a ``DualTrace``): a dual
tensor is a Tensor whose value is a ``Dual`` of that tag, and every operation on
it carries the tangent along.  Dual tensors compose with the reverse mode of
Tensors: ``make_dual`` of a tensor that requires grad records its primal (and a
tangent that requires grad is recorded too), ``backward()`` of a dual tensor
differentiates its primal, and the tangent that ``unpack_dual`` gives can be
differentiated with ``backward()`` or ``autograd.grad`` like any recorded tensor.

Where this differs from PyTorch:

* Levels nest (PyTorch allows one): ``enter_dual_level()`` inside an open level
  opens a new, inner one.  ``make_dual`` and ``unpack_dual`` use the innermost
  open level unless ``level=`` names another; differentiating the tangent of an
  inner level with an outer one gives second derivatives.  Levels are numbered
  0, 1, ... from the outermost; only the innermost may be exited.  As in
  PyTorch, the levels are shared by all threads.
* A tangent of another floating dtype than its primal is cast to the primal's
  dtype by ``make_dual`` (PyTorch keeps it as given until the first operation).
* After a level is exited, the tensors made in it keep their tangent inside
  until they are next used: ``unpack_dual`` gives a tangent of None for them
  and every operation treats them as their primal values, as in PyTorch, but
  the memory of the tangents is freed only with those tensors (or the tensors
  computed from them).
* ``make_dual``'s result is not a view of its primal: both start with the same
  memory, but an in-place change of one is not counted in the other's version,
  and in-place changes of dual tensors are not checked against the values the
  reverse-mode graph saved.
"""
import functools
import threading
from typing import NamedTuple, Optional

import numpy as np

from .backend import dtype as _dtype_of, zeros as _zeros
from .core import Tracer, bind, strip
from .forward import Dual, DualTrace
from .graph import Graph, grad_enabled, graph_var
from .tensor import Tensor, _wrap

__all__ = ["UnpackedDualTensor", "dual_level", "enter_dual_level", "exit_dual_level",
           "make_dual", "unpack_dual"]


class _Level(DualTrace):
    """The forward-mode tag of one dual level.

    Its primal computations always go through ``bind``: a value of an exited level
    may meet it.  Once closed, it hands an operation on its values to the levels
    below with its tangents dropped: the values made in an exited level act as
    their primals.
    """

    __slots__ = ("index",)
    forward_ad = True      # read by Tensor (printing, .item(), backward)

    def __init__(self, index):
        super().__init__("forward_ad")
        self.index = index
        self.dispatching = True

    def _dropped(self, a):
        return a.primal if type(a) is Dual and a._trace is self else a

    def process1(self, prim, a):
        if not self.alive:
            return bind(prim, (self._dropped(a),))
        return DualTrace.process1(self, prim, a)

    def process2(self, prim, a, b):
        if not self.alive:
            return bind(prim, (self._dropped(a), self._dropped(b)))
        return DualTrace.process2(self, prim, a, b)

    def process(self, prim, args, params):
        if not self.alive:
            return bind(prim, [self._dropped(a) for a in args], params)
        return DualTrace.process(self, prim, args, params)

    def __repr__(self):
        state = "open" if self.alive else "exited"
        return f"<dual level {self.index} ({state})>"


_levels = []                 # the open levels, outermost first
_levels_lock = threading.Lock()


class UnpackedDualTensor(NamedTuple):
    """What ``unpack_dual`` returns: the primal and the tangent (None if there is none)."""

    primal: Tensor
    tangent: Optional[Tensor]


def enter_dual_level():
    """Open a new (innermost) dual level; returns its number (0 for the outermost)."""
    with _levels_lock:
        level = _Level(len(_levels))
        _levels.append(level)
        return level.index


def exit_dual_level(*, level=None):
    """Close the innermost dual level (``level``, if given, must be its number).

    The tangents of that level are dropped: the tensors made in it act as their
    primal values from now on.
    """
    with _levels_lock:
        if not _levels:
            raise RuntimeError("exit_dual_level: no dual level is open (enter one with "
                               "enter_dual_level() or `with dual_level():`)")
        top = len(_levels) - 1
        if level is None:
            level = top
        if level != top:
            raise RuntimeError("Trying to exit a forward AD level that was not the last one "
                               "that was created. This is not supported.")
        _levels.pop().close()


class dual_level:
    """Context manager (or decorator) in which dual tensors can be made and used.

    ``with dual_level() as level:`` enters a new dual level (its number is
    ``level``) and exits it at the end of the block; the tangents made in it
    are dropped then.
    """

    def __enter__(self):
        return enter_dual_level()

    def __exit__(self, exc_type, exc_value, traceback):
        exit_dual_level()

    def __call__(self, fn):
        @functools.wraps(fn)
        def in_dual_level(*args, **kwargs):
            with dual_level():
                return fn(*args, **kwargs)
        return in_dual_level


def _level(level, where):
    """The open level numbered ``level`` (the innermost if None; None if none is open)."""
    if level is None:
        return _levels[-1] if _levels else None
    levels = list(_levels)
    if (isinstance(level, (bool, np.bool_)) or not isinstance(level, (int, np.integer))
            or not 0 <= level < len(levels)):
        opened = f"0 to {len(levels) - 1}" if levels else "none"
        raise RuntimeError(f"Invalid level given to {where}: {level!r} (the open dual levels "
                           f"are {opened})")
    return levels[level]


def _is_level_dual(v):
    return v.__class__ is Dual and getattr(v._trace, "forward_ad", False)


def _live(v):
    """v without the duals of exited levels on top of it."""
    while _is_level_dual(v) and not v._trace.alive:
        v = v.primal
    return v


def _zeros_like(v):
    x = strip(v)
    return _zeros(np.shape(x), _dtype_of(x), x)


def _above(v, lv, where):
    """The trace of v if it is above level lv (checking that it is a dual level), else None."""
    if not isinstance(v, Tracer) or v._trace.level <= lv.level:
        return None
    if not _is_level_dual(v):
        raise RuntimeError(
            f"{where}: this tensor is traced by a dualrev transformation ({v._trace.name}) "
            f"that started inside dual level {lv.index}; use the level inside the "
            f"transformation, or the transformation inside the level")
    return v._trace


def _split(v, lv, where="unpack_dual"):
    """(primal, tangent) of the value v at level lv; tangent None where v has none there.

    v may carry the duals of inner levels on top of lv's: v = p + t·e (e of an inner
    level) splits into (p's primal + t's primal·e) + (p's tangent + t's tangent·e)·ε.
    """
    v = _live(v)
    if isinstance(v, Tracer) and v._trace is lv:
        return v.primal, v.tangent
    inner = _above(v, lv, where)
    if inner is None:
        return v, None
    pp, pt = _split(v.primal, lv, where)
    tp, tt = _split(v.tangent, lv, where)
    if pt is None and tt is None:
        return (v if pp is v.primal and tp is v.tangent else Dual(inner, pp, tp)), None
    return (Dual(inner, pp, tp), Dual(inner, _zeros_like(pp) if pt is None else pt,
                                      _zeros_like(tp) if tt is None else tt))


def _make(v, lv, t, where="make_dual"):
    """The value v + t·ε at level lv, where v and t may carry duals of inner levels."""
    v, t = _live(v), _live(t)
    inner = None
    for x in (v, t):
        tr = _above(x, lv, where)
        if tr is not None and (inner is None or tr.level > inner.level):
            inner = tr
    if inner is None:
        lv.admit(strip(v))
        return Dual(lv, v, t)
    vp, vt = _split(v, inner, where)
    tp, tt = _split(t, inner, where)
    primal = _make(vp, lv, tp, where)
    if tt is None:
        return Dual(inner, primal, vt)
    return Dual(inner, primal, _make(_zeros_like(vp) if vt is None else vt, lv, tt, where))


def _recorded(t):
    """t's value, as an input of a graph if t is a leaf that requires grad (recording on)."""
    v = t._value
    if t._rg and grad_enabled() and not isinstance(v, Tracer) and graph_var(v) is None:
        return Graph().leaf_var(t)
    return v


def make_dual(tensor, tangent, *, level=None):
    """The dual tensor ``tensor + tangent·ε`` of a dual level (the innermost by default).

    Operations on it carry the tangent along: ``unpack_dual(f(make_dual(x, v)))``
    gives ``f(x)`` and the Jacobian-vector product ``J_f(x) v``.  Differentiable
    in reverse mode with respect to both ``tensor`` and ``tangent``.
    """
    lv = _level(level, "make_dual")
    if lv is None:
        raise RuntimeError("Trying to create a dual Tensor for forward AD but no level "
                           "exists, make sure to enter_dual_level() first.")
    for name, t in (("tensor", tensor), ("tangent", tangent)):
        if not isinstance(t, Tensor):
            raise TypeError(f"make_dual: {name} must be a Tensor, got {type(t).__name__}")
    if tensor.dtype.kind not in "fc":
        raise ValueError(f"Expected primal to be floating point or complex, but got: "
                         f"{tensor.dtype}")
    if tangent.dtype.kind not in "fc":
        raise ValueError(f"Expected tangent to be floating point or complex, but got: "
                         f"{tangent.dtype}")
    if tuple(tangent.shape) != tuple(tensor.shape):
        raise RuntimeError(
            f"Trying to set a forward gradient that has a different size than that of the "
            f"original Tensor, this is not supported. Tensor is of size "
            f"{list(tensor.shape)} while the given forward gradient is of size "
            f"{list(tangent.shape)}.")
    if tangent.device != tensor.device:
        raise RuntimeError(f"make_dual: the tangent is on {tangent.device} but the tensor is "
                           f"on {tensor.device}; they must be on the same device")
    if tangent.dtype != tensor.dtype:
        if tangent.dtype.kind == "c" and tensor.dtype.kind != "c":
            raise ValueError(f"make_dual: the tangent is complex ({tangent.dtype}) but the "
                             f"tensor is real ({tensor.dtype}); use a real tangent")
        tangent = tangent.to(tensor.dtype)
    p = _recorded(tensor)
    if _split(p, lv, "make_dual")[1] is not None:
        raise RuntimeError(f"Making a dual Tensor based on a Tensor that already has a forward "
                           f"gradient at the same level {lv.index} is not supported.")
    return _wrap(_make(p, lv, _recorded(tangent)))


def unpack_dual(tensor, *, level=None):
    """``(primal, tangent)`` of a dual tensor at a dual level (the innermost by default).

    The tangent is None for a tensor with none at that level (a plain tensor, one
    made in an exited level, or any tensor when no level is open).  Neither part
    carries that level's tangent; both may carry those of other levels, and both
    are recorded for backward() where the dual tensor was.
    """
    if not isinstance(tensor, Tensor):
        raise TypeError(f"unpack_dual: expected a Tensor, got {type(tensor).__name__}")
    lv = _level(level, "unpack_dual")
    if lv is None:
        return UnpackedDualTensor(tensor, None)
    v = tensor._value
    p, t = _split(v, lv)
    primal = tensor if p is v else _wrap(p, tensor._vc)
    return UnpackedDualTensor(primal, None if t is None else _wrap(t))
