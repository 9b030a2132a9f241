"""NaN hunting: ``debug_nans`` (functional API) and anomaly detection (imperative layer).

While a mode is on, every trace made is *watched*: its class becomes a
watched variant (``Watched<Class>``) that checks each operation's output for
NaN as it is recorded, and each cotangent a VJP rule produces as the backward
sweep runs, and notes where in the user's code each operation was called.
Traces made while every mode is off are the plain classes: nothing is slower.

``debug_nans`` raises ``FloatingPointError`` naming the primitive, its tape
entry, its inputs' shapes and the user's file and line; in the backward sweep,
the operation whose VJP rule produced the NaN and the line that called it.
``autograd.detect_anomaly`` raises PyTorch's ``RuntimeError`` ("Function
'LogBackward' returned nan values in its 0th output.") with the traceback of
the forward call.
"""
import os
import sys
import threading
import traceback
import weakref

import numpy as np

from . import backend
from .core import Tracer, _watching, strip
from .reverse import Var

_HERE = os.path.dirname(os.path.abspath(__file__))


class _Config:
    """dualrev's settings, as ``jax.config``: ``config.update("debug_nans", True)``
    (``"jax_debug_nans"`` is accepted too) and ``config.debug_nans``."""

    _names = ("debug_nans",)

    def __init__(self):
        object.__setattr__(self, "_values", {"debug_nans": False})

    def _key(self, name):
        key = name[4:] if isinstance(name, str) and name.startswith("jax_") else name
        if key not in self._names:
            raise AttributeError(f"Unrecognized config option: {name!r} (dualrev knows "
                                 f"{', '.join(self._names)})")
        return key

    def update(self, name, value):
        key = self._key(name)
        self._values[key] = bool(value)
        _refresh()

    def read(self, name):
        return self._values[self._key(name)]

    def __getattr__(self, name):
        if name.startswith("_"):
            raise AttributeError(name)
        return self.read(name)

    def __setattr__(self, name, value):
        raise AttributeError("set dualrev's options with config.update(name, value)")


config = _Config()
_anomaly = [False]
_lock = threading.Lock()


def _refresh():
    _watching[0] = config._values["debug_nans"] or _anomaly[0]


class debug_nans:
    """``with dualrev.debug_nans():`` raise FloatingPointError at the first NaN an
    operation under a transformation produces, in the forward pass or the backward
    sweep (``debug_nans(False)`` turns it off inside).  Also a decorator."""

    def __init__(self, enable=True):
        self.enable = bool(enable)
        self._saved = []

    def __enter__(self):
        with _lock:
            self._saved.append(config._values["debug_nans"])
            config._values["debug_nans"] = self.enable
            _refresh()
        return self

    def __exit__(self, *exc):
        with _lock:
            config._values["debug_nans"] = self._saved.pop()
            _refresh()
        return False

    def __call__(self, fn):
        import functools

        @functools.wraps(fn)
        def wrapped(*args, **kwargs):
            with debug_nans(self.enable):
                return fn(*args, **kwargs)
        return wrapped


def set_anomaly(enabled):
    """Turn anomaly detection on or off; returns whether it was on."""
    with _lock:
        was = _anomaly[0]
        _anomaly[0] = bool(enabled)
        _refresh()
    return was


def anomaly_enabled():
    return _anomaly[0]


# ----------------------------------------------------------------------------- checks

def has_nan(x):
    """Whether the value x (of any library; traced values by their primal) holds NaN."""
    x = strip(x)
    while isinstance(x, Tracer):
        x = strip(x.val if x._is_value else x.primal)
        if hasattr(x, "dense"):
            x = x.dense()
    if x is None:
        return False
    if x.__class__ is float:
        return x != x
    try:
        if x.__class__ is np.ndarray or isinstance(x, (np.generic, int, complex)):
            return backend.kind(np.result_type(x)) in "fc" and bool(np.isnan(x).any())
        if backend.is_foreign(x):
            if backend.kind(backend.dtype(x)) not in "fc":
                return False
            xp = backend.namespace(x)
            return bool(xp.any(xp.isnan(x)))
        return bool(np.isnan(np.asarray(x)).any())
    except (TypeError, ValueError):
        return False


def _user_frame():
    """The innermost frame outside dualrev (the user's code), or None."""
    f = sys._getframe(1)
    while f is not None and f.f_code.co_filename.startswith(_HERE):
        f = f.f_back
    return f


def _site(frame):
    if frame is None:
        return "an unknown place"
    return f"{frame.f_code.co_filename}:{frame.f_lineno} (in {frame.f_code.co_name})"


def _aval(v):
    v = strip(v)
    if isinstance(v, Tracer):
        return f"{tuple(v.shape)} {v.dtype}"
    return f"{tuple(np.shape(v))} {backend.dtype(v)}"


class _Watch:
    """What a watched trace notes: per entry, the user's frame (debug_nans) or the
    formatted stack (anomaly detection)."""

    __slots__ = ("nans", "anomaly", "sites", "__weakref__")

    def __init__(self):
        self.nans = config._values["debug_nans"]
        self.anomaly = _anomaly[0]
        self.sites = {}

    def note(self, k):
        f = _user_frame()
        if self.anomaly:
            self.sites[k] = (f, "".join(traceback.format_stack(f)) if f is not None else "")
        else:
            self.sites[k] = (f, None)


_watches = weakref.WeakKeyDictionary()


def _forward_error(prim_name, where, args, out_desc):
    finite = not any(has_nan(a) for a in args)
    shapes = ", ".join(_aval(a) for a in args) or "none"
    return FloatingPointError(
        f"debug_nans: '{prim_name}' produced NaN{out_desc} ({where}); its inputs ({shapes}) "
        f"{'held no NaN' if finite else 'already held NaN'}; called at "
        f"{_site(_user_frame())}")


# ----------------------------------------------------------------------------- watched tapes

class _Checking:
    """A trace that checks each output it makes (``_checked``)."""

    __slots__ = ()

    def process1(self, prim, a):
        return self._checked(prim, (a,), super().process1(prim, a))

    def process2(self, prim, a, b):
        return self._checked(prim, (a, b), super().process2(prim, a, b))

    def process(self, prim, args, params):
        return self._checked(prim, args, super().process(prim, args, params))

    def process_custom(self, call, args):
        outs = super().process_custom(call, args)
        for o in outs:
            self._checked(call, args, o)
        return outs


class _WatchedTape(_Checking):
    """A tape that checks what it records and what its sweep produces."""

    __slots__ = ()

    def _checked(self, prim, args, out):
        w = _watches.get(self)
        if w is None or out.__class__ is not Var:     # (a graph with recording off)
            return out
        w.note(out.idx)
        if w.nans and has_nan(out.primal):
            raise _forward_error(prim.name, f"tape entry {out.idx} of {self.name}", args, "")
        return out

    def _sweep(self, cts, hi, lo, consume, freed):
        w = _watches.get(self)
        if w is None:
            return super()._sweep(cts, hi, lo, consume, freed)
        entries = self.entries
        sweep = super()._sweep
        for i in range(hi, lo, -1):
            g = cts[i]
            entry = entries[i]
            if g is None or entry is None:
                continue
            prim, ids = entry[0], entry[1]
            ids = (ids,) if ids.__class__ is int else ids
            g_nan = has_nan(g)
            try:
                sweep(cts, i, i - 1, consume, freed)
            except FloatingPointError as e:
                e.add_note(f"(while the backward sweep of {self.name} pulled back through "
                           f"'{_name(prim)}', tape entry {i}, called at "
                           f"{_site(w.sites.get(i, (None,))[0])})")
                raise
            for j, k in enumerate(ids):
                if k >= 0 and cts[k] is not None and has_nan(cts[k]):
                    raise self._backward_error(w, prim, i, j, cts[k], g_nan)

    def _backward_error(self, w, prim, i, j, ct, g_nan):
        frame, stack = w.sites.get(i, (None, None))
        if w.anomaly and not w.nans:
            from .graph import op_name
            msg = f"Function '{op_name(prim)}' returned nan values in its {j}th output."
            if stack:
                msg += f"\nTraceback of forward call that caused the error:\n{stack}"
            return RuntimeError(msg)
        why = ("the cotangent reaching it already held NaN" if g_nan else
               "from a cotangent without NaN")
        return FloatingPointError(
            f"debug_nans: the backward sweep produced NaN in the VJP rule of '{_name(prim)}' "
            f"(tape entry {i} of {self.name}) for its argument {j} (shape "
            f"{_aval(ct)}), {why}; that operation was called at "
            f"{_site(frame)}")


def _name(prim):
    prim = getattr(prim, "prim", prim)
    return getattr(prim, "name", repr(prim))


class _WatchedDual(_Checking):
    """A forward-mode trace that checks each output and tangent for NaN."""

    __slots__ = ()

    def _checked(self, prim, args, out):
        if config._values["debug_nans"]:
            if has_nan(out.primal):
                raise _forward_error(prim.name, f"forward mode, {self.name}", args, "")
            if has_nan(out.tangent):
                raise _forward_error(prim.name, f"forward mode, {self.name}", args,
                                     " in its tangent")
        return out


_classes = {}


def watch(trace):
    """Make a new trace a watched one (called by traces as they are made while a
    mode is on)."""
    from .forward import DualTrace
    from .reverse import Tape
    cls = trace.__class__
    if cls.__name__.startswith("Watched"):
        return
    if isinstance(trace, Tape):
        mixin = _WatchedTape
        _watches[trace] = _Watch()
    elif isinstance(trace, DualTrace):
        mixin = _WatchedDual
    else:
        return
    new = _classes.get(cls)
    if new is None:
        new = _classes[cls] = type(f"Watched{cls.__name__}", (mixin, cls), {"__slots__": ()})
    trace.__class__ = new


__all__ = ["config", "debug_nans"]
