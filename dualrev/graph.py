"""The imperative layer's tape: one Graph per connected computation of Tensors.

A Graph is a reverse-mode ``Tape`` that is never closed by a function
returning: it lives as long as some Tensor refers to it, and is freed with
the last one.  All graphs share level 0, below every functional
transformation, so a transformation applied to Tensors sees their graph's
values as the primals it differentiates.

An operation on values of two graphs first merges the smaller graph into the
larger (its entries are appended, their indices shifted); the Vars of the
merged graph are re-pointed lazily, the next time they are used.

Leaves (Tensors made by the user, with ``requires_grad=True``) belong to no
graph: a graph that uses one records an input entry for it, and the backward
sweep adds that entry's cotangent to the leaf's ``.grad``.

Threads.  Grad mode is per thread (``grad_enabled``, ``set_grad_enabled``), as
in PyTorch; a new thread starts with recording on.  A graph may be used by
several threads (a recorded tensor shared between them): each graph has a lock,
held while an operation is recorded on it, while it is merged and while backward
sweeps it (an operation on a graph that another thread is sweeping waits for the
sweep).  While the main thread is the only Python thread, recording skips the
lock: no other thread can reach a graph then.  (Threads that C code starts and
that call into Python without the ``threading`` or ``_thread`` modules are not
counted: they must not record on a graph that another thread records on.)
"""
import _thread
import itertools
import threading

import numpy as np

from . import core
from . import backend
from .backend import apply
from .core import _NOPARAMS, PY_SCALARS, Tracer, bind
from .reverse import Node, Tape, Var

# ---------------------------------------------------------------- grad mode, per thread


class _ThreadGradMode(threading.local):
    """This thread's grad mode: ``off`` holds an _Off token while recording is off;
    ``restore`` the modes that the grad-mode context managers entered will restore."""

    off = None

    def __init__(self):
        self.restore = []


_mode = _ThreadGradMode()
# How many threads have recording off now.  While it is 0, which it is unless
# some thread is inside no_grad (or a backward sweep), a recorded operation
# learns that its thread records without looking up the thread's state.
_threads_off = [0]
_off_lock = threading.RLock()


class _Off:
    """Held by a thread while its recording is off, counted in ``_threads_off``
    as long as it lives: a thread that ends with recording off stops counting
    when its thread state is freed."""

    __slots__ = ()

    def __init__(self):
        with _off_lock:
            _threads_off[0] += 1

    def __del__(self, _lock=_off_lock, _count=_threads_off):
        with _lock:
            _count[0] -= 1


def grad_enabled():
    """Whether this thread records operations on Tensors (its grad mode)."""
    return not _threads_off[0] or _mode.off is None


def set_grad_enabled(enabled):
    """Turn this thread's recording on or off; returns whether it was on."""
    was = _mode.off is None
    if bool(enabled) != was:
        _mode.off = None if enabled else _Off()
    return was


# The number of Python threads besides the main one: while it is 0, no other
# thread can reach a graph, and recording does without the graph's lock.  (A
# thread starts counting before Thread.start() returns in the thread that started it.)
_other_threads = getattr(_thread, "_count", None) or (lambda: 1)


class Unusable:
    """Stands in for the primitive of an entry that can no longer be pulled
    back (its residuals were freed, or changed in place): its VJP raises."""

    def __init__(self, prim, message):
        self.prim = getattr(prim, "prim", prim)
        self.name = self.prim.name
        self.message = message
        self.vjp_rules = self

    def __getitem__(self, argnum):
        return self._raise

    def _raise(self, *args, **kwargs):
        raise RuntimeError(self.message)


_FREED_MESSAGE = (
    "Trying to backward through the graph a second time (or to use values it saved after "
    "they were freed). The saved values of an operation are freed when backward() passes "
    "it; call backward(retain_graph=True) (or autograd.grad(..., retain_graph=True)) the "
    "first time if you need to go through the graph again.")
_freed_prims = {}


def _freed(entry):
    """What a consumed entry becomes: no residuals, a VJP that explains.  An entry that
    kept no arrays (only Python numbers, or nothing) stays usable, as in PyTorch."""
    prim, ids, args, ans, params, avals = entry
    if ans is None and all(a is None or a.__class__ in PY_SCALARS for a in args):
        return entry
    u = _freed_prims.get(prim)
    if u is None:
        u = _freed_prims[prim] = Unusable(prim, _FREED_MESSAGE)
    return (u, ids, (None,) * len(args), None, params, avals)


class _Sweeps(threading.local):
    """This thread's backward sweeps in progress (a hook may start another): for each,
    the functions to call when it ends."""

    def __init__(self):
        self.stack = []


_sweeps = _Sweeps()


def after_sweep(fn):
    """Call fn() when this thread's innermost backward sweep ends (now if none runs)."""
    if _sweeps.stack:
        _sweeps.stack[-1].append(fn)
    else:
        fn()


_handle_ids = itertools.count()


class RemovableHandle:
    """What registering a hook returns: ``remove()`` unregisters it (once; again is a
    no-op).  As a context manager, the hook is removed on leaving the block."""

    __slots__ = ("hooks", "id", "extra")

    def __init__(self, hooks, extra=()):
        self.hooks = hooks
        self.id = next(_handle_ids)
        self.extra = tuple(extra)      # dicts of options by handle id, cleared with it

    def remove(self):
        self.hooks.pop(self.id, None)
        for d in self.extra:
            d.pop(self.id, None)

    def __enter__(self):
        return self

    def __exit__(self, *exc):
        self.remove()


def add_hook(hooks, fn, prepend=False, extra=()):
    """Register fn in the dict ``hooks`` {handle id: fn} (called in its order); its handle
    (which also removes the id from the dicts in ``extra``)."""
    h = RemovableHandle(hooks, extra)
    hooks[h.id] = fn
    if prepend:
        rest = [(k, v) for k, v in hooks.items() if k != h.id]
        hooks.clear()
        hooks[h.id] = fn
        hooks.update(rest)
    return h


class TensorHooks(dict):
    """The hooks registered on one tensor value {handle id: fn}, in registration order,
    with the dtype of the gradients they see."""

    __slots__ = ("dtype",)

    def __init__(self, dtype):
        super().__init__()
        self.dtype = dtype


class Graph(Tape):
    """The tape of one imperative computation.

    Besides the entries of a ``Tape`` it keeps ``inputs`` (entry index, leaf
    Tensor, the leaf's version then), ``leaves`` (id of a leaf -> its entry index and version),
    ``saved`` (for each Tensor whose value an entry keeps: its version
    counter, the version when saved, the entry index and a description) and
    ``retained`` (entry index -> weak reference to a Tensor that retains its
    gradient) and ``hooks`` (entry index -> the ``TensorHooks`` registered on the
    Tensors it made).
    """

    __slots__ = ("fwd", "inputs", "leaves", "saved", "retained", "hooks", "lock")

    def __init__(self):
        # Not Trace.__init__: every graph has level 0 and is closed only when freed.
        self.level = 0
        self.alive = True
        self.name = "backward"
        self.dispatching = self.foreign = False   # until another library's array comes in
        self.entries = []
        self.fwd = None          # (graph, index offset) once merged into another
        self.inputs = []
        self.leaves = {}
        self.saved = []
        self.retained = {}
        self.hooks = {}
        self.lock = threading.RLock()
        core.open_level_zero()
        if core._watching[0]:
            from .debug import watch
            watch(self)

    def __repr__(self):
        return f"<Graph of {len(self.entries)} entries>"

    # -------------------------------------------------------------- recording

    def process1(self, prim, a):
        if self.fwd is None and not _other_threads():
            if _threads_off[0] and _mode.off is not None:
                return apply(prim, (a.primal,), _NOPARAMS)
            return Tape.process1(self, prim, a)
        return self._process_locked(prim, (a,), _NOPARAMS)

    def process2(self, prim, a, b):
        if (self.fwd is None and not _foreign(self, a) and not _foreign(self, b)
                and not _other_threads()):
            if _threads_off[0] and _mode.off is not None:
                return apply(prim, (_primal(a), _primal(b)), _NOPARAMS)
            return Tape.process2(self, prim, a, b)
        return self._process_locked(prim, (a, b), _NOPARAMS)

    def process(self, prim, args, params):
        if (self.fwd is None and not any(_foreign(self, a) for a in args)
                and not _other_threads()):
            if _threads_off[0] and _mode.off is not None:
                return apply(prim, [_primal(a) for a in args], params)
            return Tape.process(self, prim, args, params)
        return self._process_locked(prim, args, params)

    def _process_locked(self, prim, args, params):
        """Record under the graph's lock (other threads run, or the graph was merged).

        If the graph was merged into another, or an argument belongs to another
        graph, the lock is let go, the arguments are brought into one graph and the
        operation is dispatched again.
        """
        with self.lock:
            if self.fwd is None and not any(_foreign(self, a) for a in args):
                if _threads_off[0] and _mode.off is not None:
                    return apply(prim, [_primal(a) for a in args], params)
                if params or len(args) > 2:
                    return Tape.process(self, prim, args, params)
                if len(args) == 1:
                    return Tape.process1(self, prim, args[0])
                return Tape.process2(self, prim, args[0], args[1])
        return bind(prim, unite(args)[1], params)

    def process_custom(self, call, args):
        """A function with its own rules, recorded as one node (``Tape.process_custom``)
        on the graph of its arguments (their graphs merged into one)."""
        if _threads_off[0] and _mode.off is not None:
            return call.fun(*[_primal(a) for a in args])
        while True:
            graph, args = unite(args)
            with graph.lock:
                if graph.fwd is None and all(
                        a._trace is graph for a in args if a.__class__ is Var and a._trace.level == 0):
                    return Tape.process_custom(graph, call, args)

    def leaf_var(self, t):
        """The Var of leaf Tensor t in this graph (or the graph it was merged into),
        recording an input entry if new."""
        rec = self.leaves.get(id(t))
        if rec is not None and rec[1] == t._vc[0]:
            # Still right if another thread merges this graph now: the Var is re-pointed.
            return Var(self, t._value, rec[0])
        with self.lock:
            if self.fwd is None:
                rec = self.leaves.get(id(t))
                if rec is not None and rec[1] == t._vc[0]:
                    return Var(self, t._value, rec[0])
                self.admit(t._value)
                self.entries.append(None)
                k = len(self.entries) - 1
                self.inputs.append((k, t, t._vc[0]))
                self.leaves[id(t)] = (k, t._vc[0])
                return Var(self, t._value, k)
        return live(self).leaf_var(t)

    def note_saved(self, vc, k, what):
        """Entry k keeps the value of a Tensor whose version counter is vc."""
        self.saved.append((vc, vc[0], k, what))

    # -------------------------------------------------------------- backward

    def check_versions(self):
        """Entries whose saved values were changed in place since become unusable."""
        entries = self.entries
        for vc, version, k, what in self.saved:
            if vc[0] != version:
                self._spoil(k, vc, version, what)
        # A leaf's value may also be kept by entries no Tensor operation recorded
        # directly (the recorded backward of create_graph, a functional transformation).
        changed = {k: t for k, t, version in self.inputs if t._vc[0] != version}
        if changed:
            versions = {k: version for k, t, version in self.inputs}
            for i, e in enumerate(entries):
                if e is None:
                    continue
                ids = (e[1],) if e[1].__class__ is int else e[1]
                for j, k in enumerate(ids):
                    if k in changed and e[2][j] is not None:
                        t = changed[k]
                        self._spoil(i, t._vc, versions[k], SavedValue(t._value, None))

    def _spoil(self, k, vc, version, what):
        """Entry k saved a value that changed: its VJP now raises, explaining."""
        e = self.entries[k]
        if e is None or isinstance(e[0], Unusable):
            return
        op = f" ({vc[1]})" if vc[1] else ""
        msg = (f"one of the values needed for gradient computation has been modified by "
               f"an in-place operation{op}: {what} is at version {vc[0]}; expected version "
               f"{version} instead. {op_name(e[0])} saved it for its backward. Compute "
               f"the new value out of place (x = x + 1 instead of x.add_(1)), or clone() "
               f"the tensor before changing it.")
        self.entries[k] = (Unusable(e[0], msg),) + e[1:]

    def pull(self, seeds, retain_graph, create_graph, keep=(), only=None, hooks=None):
        """The backward sweep from seeds {entry index: cotangent}; the cotangents per entry.

        With ``only`` (entry indices), the sweep passes only through entries on a
        path to one of them; the others are left as they are.  ``hooks`` {entry
        index: fn}: once entry k's cotangent is complete it becomes fn(cotangent)
        before it is pulled further back (and is kept); with ``only``, only the hooks
        of entries the sweep passes through (or that are in ``only``) run.
        Functions given to ``after_sweep`` while the sweep runs are called at its end.
        """
        with self.lock:
            _sweeps.stack.append([])
            try:
                return self._pull(seeds, retain_graph, create_graph, keep, only, hooks)
            finally:
                for fn in _sweeps.stack.pop():
                    fn()

    def _pull(self, seeds, retain_graph, create_graph, keep, only, hooks=None):
        self.check_versions()
        entries = self.entries
        n = len(entries)
        held = {}
        if only is not None:
            leads = [False] * n      # entry i leads back to one of only (or is one)
            needed = [False] * n     # the sweep must pass through entry i
            for i, e in enumerate(entries):
                if e is not None:
                    ids = (e[1],) if e[1].__class__ is int else e[1]
                    needed[i] = any(k >= 0 and leads[k] for k in ids)
                leads[i] = needed[i] or i in only
            for i, e in enumerate(entries):
                if e is not None and not needed[i]:
                    held[i] = e
                    entries[i] = None
            if hooks:
                hooks = {k: fn for k, fn in hooks.items() if leads[k]}
        if hooks:
            keep = set(keep)
            keep.update(hooks)
        plain = entries[:n]
        if create_graph:
            # Record the sweep itself: the VJP rules see the residuals as this graph's values.
            for i in range(n):
                if entries[i] is not None:
                    entries[i] = _traced_entry(self, i, entries[i])
        was = set_grad_enabled(create_graph)
        try:
            return self.backward(seeds, consume=not retain_graph, keep=keep, freed=_freed,
                                 hooks=hooks or None)
        finally:
            set_grad_enabled(was)
            if create_graph:
                for i in range(n):
                    if entries[i] is not None and not isinstance(entries[i][0], Unusable):
                        entries[i] = plain[i]
            for i, e in held.items():
                entries[i] = e


class SavedValue:
    """What an error message says of a saved Tensor value (no reference to its graph)."""

    __slots__ = ("shape", "dtype", "prim")

    def __init__(self, value, prim):
        self.shape, self.dtype, self.prim = np.shape(value), backend.dtype(value), prim

    def __str__(self):
        s = f"a {self.dtype} tensor of shape {tuple(self.shape)}"
        return s + (f", output 0 of {op_name(self.prim)}" if self.prim is not None else
                    " (a leaf)")


def _traced_entry(graph, i, entry):
    prim, ids, args, ans, params, avals = entry
    if isinstance(prim, Unusable):
        return entry
    ks = (ids,) + (-1,) * (len(args) - 1) if ids.__class__ is int else ids
    args = tuple(Var(graph, v, k) if k >= 0 and v is not None else v for v, k in zip(args, ks))
    if prim.__class__ is Node:
        prim = prim.retraced(args)
    return (prim, ids, args, None if ans is None else Var(graph, ans, i), params, avals)


def op_name(prim):
    """``MultiplyBackward`` for the multiply primitive: the name of its step in backward."""
    prim = getattr(prim, "prim", prim)
    name = getattr(prim, "node_name", prim.name)     # a custom call's output: the call's
    if name.endswith("Backward"):                    # (an autograd.Function's own name)
        return name
    return "".join(w.capitalize() for w in name.split("_")) + "Backward"


def _foreign(graph, x):
    return x.__class__ is Var and x._trace is not graph


def _primal(x):
    return x.primal if x.__class__ is Var else x


_resolve_lock = threading.Lock()


def resolve(v):
    """Re-point a Var of a merged graph at the graph that holds its entry now."""
    if v._trace.fwd is None:
        return v
    with _resolve_lock:
        g, k = v._trace, v.idx
        while g.fwd is not None:
            g, off = g.fwd
            k += off
        # The index first: a thread that sees the new graph without this lock sees its index.
        v.idx = k
        v._trace = g
    return v


def live(g):
    """The graph that graph g was merged into (g itself if it was not)."""
    while g.fwd is not None:
        g = g.fwd[0]
    return g


def hold(v):
    """Lock the graph of Var v (re-pointing v first if that graph was merged); the lock.

    Once held, the graph is not merged away, so v's graph and index stay as they are
    until the caller releases the lock.
    """
    while True:
        g = resolve(v)._trace
        g.lock.acquire()
        if g.fwd is None and v._trace is g:
            return g.lock
        g.lock.release()


def graph_var(x):
    """The graph Var at the bottom of x (under any functional tracers), or None."""
    while isinstance(x, Tracer):
        if x.__class__ is Var and x._trace.level == 0:
            return resolve(x)
        x = x.val if x._is_value else x.primal
    return None


def unite(values):
    """One graph for every graph Var among values (merging as needed): ``(graph, values)``.

    Another thread may merge that graph into another at any time after; callers that
    need it to stay hold its lock and check that it was not (see ``hold``).
    """
    graph = None
    for v in values:
        if v.__class__ is Var and v._trace.level == 0:
            g = resolve(v)._trace
            if graph is None:
                graph = g
            elif g is not graph:
                graph = merge(graph, g)
    if graph is not None:
        for v in values:
            if v.__class__ is Var and v._trace.level == 0:
                resolve(v)
        graph = live(graph)
    return graph, values


def merge(a, b):
    """Merge the smaller of two graphs into the larger; the larger is returned.

    Both are locked (in one order for all threads, so two merges cannot wait on each
    other); if another thread merged either meanwhile, the graphs they are now part
    of are merged instead.
    """
    first, second = (a, b) if id(a) < id(b) else (b, a)
    with first.lock, second.lock:
        if a.fwd is None and b.fwd is None:
            return _merge(a, b)
    a, b = live(a), live(b)
    return a if a is b else merge(a, b)


def absorb(graph, v):
    """Merge the graph of Var v into ``graph`` (the one kept, whatever the sizes), which
    the caller holds locked; v is re-pointed.  During a backward sweep of ``graph``,
    for values its hooks compute: the entries come after those the sweep passes."""
    while True:
        g = resolve(v)._trace
        if g is graph:
            return v
        with g.lock:
            if g.fwd is None and graph.fwd is None:
                _merge(g, graph, keep_b=True)
        if graph.fwd is not None:
            raise RuntimeError("the graph being differentiated was merged into another "
                               "during backward()")


def _merge(a, b, keep_b=False):
    if not keep_b and len(a.entries) > len(b.entries):
        a, b = b, a
    off = len(b.entries)
    put = b.entries.append
    for e in a.entries:
        if e is not None:
            prim, ids, args, ans, params, avals = e
            ids = ids + off if ids.__class__ is int else [k + off if k >= 0 else -1 for k in ids]
            e = (prim, ids, args, ans, params, avals)
        put(e)
    b.inputs += [(k + off, t, version) for k, t, version in a.inputs]
    b.saved += [(vc, version, k + off, what) for vc, version, k, what in a.saved]
    b.retained.update({k + off: r for k, r in a.retained.items()})
    b.hooks.update({k + off: h for k, h in a.hooks.items()})
    b.dispatching = b.dispatching or a.dispatching
    b.foreign = b.foreign or a.foreign
    a.fwd = (b, off)
    a.entries, a.inputs, a.leaves, a.saved, a.retained, a.hooks = [], [], {}, [], {}, {}
    a.close()
    return b
