"""Reverse mode: the tape (a forward-ordered Wengert list) and the backward sweep."""
from threading import get_ident as _get_ident

import numpy as np

from .backend import NUMPY_TYPES, apply, dtype as dtype_of
from .core import _NOPARAMS, PY_SCALARS, Trace, Tracer, bind, lifted
from .numpy import add as _add
from .numpy import _unbroadcast


class Tape(Trace):
    """A reverse-mode tag and the operations recorded under it.

    ``entries[i]`` is ``None`` for an input, else the tuple
    ``(prim, ids, args, ans, params, avals)``: ``ids[j]`` is the entry index
    of argument j or -1 for a constant (a plain int when only the first
    argument is traced); ``args``/``ans`` keep only what the
    VJP rules read (``None`` elsewhere); ``avals[j]`` is ``(shape, dtype)``
    where argument j's differs from the output's, else ``None``.
    """

    __slots__ = ("entries", "segments", "thread")

    def __init__(self, name="vjp"):
        super().__init__(name)
        self.entries = []
        self.segments = None     # checkpointed ranges of entries (remat.Segment)
        self.thread = _get_ident()

    def _noted(self, out):
        return out

    def new_input(self, value):
        self.admit(value)
        self.entries.append(None)
        return Var(self, value, len(self.entries) - 1)

    def process1(self, prim, a):
        """One argument (a Var of this tape), no params: the common case, kept short."""
        if not self.alive:
            raise self.escaped(prim)
        x = a.primal
        ans = bind(prim, (x,)) if self.dispatching else prim.impl(x)
        keep_ans, keep = prim._saves.get(1) or prim.saves(1, 1)
        entries = self.entries
        entries.append((prim, a.idx, (x,) if keep else (None,), ans if keep_ans else None,
                        _NOPARAMS, None if prim.elementwise else _avals((x,), (True,), ans)))
        return Var(self, ans, len(entries) - 1)

    def process2(self, prim, a, b):
        """Two arguments, at least one a Var of this tape, no params."""
        if not self.alive:
            raise self.escaped(prim)
        ta = type(a) is Var and a._trace is self
        tb = type(b) is Var and b._trace is self
        x = a.primal if ta else a
        y = b.primal if tb else b
        c = y if ta else x   # a constant, or (both traced) a primal of this trace
        cc = c.__class__
        if self.dispatching or cc is not float and cc not in NUMPY_TYPES:
            self.admit(c)
            ans = bind(prim, (x, y))
        else:
            ans = prim.impl(x, y)
        mask = ta | tb << 1
        keep_ans, keep = prim._saves.get(mask) or prim.saves(mask, 2)
        saved = (x, y) if keep is True else (None, None) if keep is None else (
            x if keep[0] else None, y if keep[1] else None)
        # Against a Python scalar, the output has the traced argument's shape and dtype.
        avals = None
        if (ta and tb) or cc not in PY_SCALARS:
            avals = _avals((x, y), (ta, tb), ans)
        ids = a.idx if mask == 1 else (a.idx if ta else -1, b.idx if tb else -1)
        entries = self.entries
        entries.append((prim, ids, saved, ans if keep_ans else None, _NOPARAMS, avals))
        return Var(self, ans, len(entries) - 1)

    def split(self, args):
        """``(vals, ids, traced, mask)`` of args: the primals in place of this tape's
        Vars, their entry indices (-1 for the others), which are traced, as flags and
        as a bit mask."""
        n = len(args)
        vals = list(args)
        ids = [-1] * n
        traced = [False] * n
        mask = 0
        for j in range(n):
            a = args[j]
            if type(a) is Var and a._trace is self:
                vals[j] = a.primal
                ids[j] = a.idx
                traced[j] = True
                mask |= 1 << j
        return vals, ids, traced, mask

    def process(self, prim, args, params):
        if not self.alive:
            raise self.escaped(prim)
        entries = self.entries
        n = len(args)
        vals, ids, traced, mask = self.split(args)
        if self.dispatching:
            for j in range(n):
                if not traced[j]:
                    self.admit(vals[j])
            ans = bind(prim, vals, params)
        else:
            ans = apply(prim, vals, params)
            self.admit(ans)
        keep_ans, keep = prim._saves.get(mask) or prim.saves(mask, n)
        saved = vals if keep is True else (None,) * n if keep is None else [
            v if k else None for v, k in zip(vals, keep)]
        entries.append((prim, ids, saved, ans if keep_ans else None, params,
                        _avals(vals, traced, ans)))
        return Var(self, ans, len(entries) - 1)

    def process_custom(self, call, args):
        """Record a function with its own rules as one node: its outputs' entries
        follow it, and the sweep pulls their cotangents back through the call's
        pullback at once (see ``Node``)."""
        if not self.alive:
            raise self.escaped(call)
        n = len(args)
        vals, ids, traced, _ = self.split(args)
        for v, t in zip(vals, traced):
            if not t:
                self.admit(v)
        outs, pullback = call.linearize(vals, traced)
        entries = self.entries
        node = Node(call.name, pullback, len(outs),
                    [(np.shape(v), _dtype(v)) if t else None for v, t in zip(vals, traced)],
                    call)
        # (the inputs are kept for a backward sweep that is itself recorded: Node.retraced)
        entries.append((node, ids, tuple(vals), None, _NOPARAMS, None))
        k = len(entries) - 1
        res = []
        for j, o in enumerate(outs):
            entries.append((node.outputs[j], k, (None,), None, _NOPARAMS, None))
            res.append(Var(self, o, k + 1 + j))
        return res

    def backward(self, seeds, consume=False, keep=(), freed=None, hooks=None):
        """Sweep the tape in reverse from ``seeds`` {entry index: cotangent}.

        Returns the list of cotangents per entry index: inputs' entries and
        the entries listed in ``keep`` hold theirs; others are cleared as the
        sweep passes.  With ``consume``, each entry is dropped once used (or
        replaced by ``freed(entry)``), so residuals are freed as we go.
        ``hooks`` {entry index in keep: fn}: once entry k's cotangent is
        complete, it becomes ``fn(cotangent)`` before it is pulled further back.
        """
        n = len(self.entries)    # what is recorded from now on is not swept
        cts = [None] * n
        for k, g in seeds.items():
            cts[k] = g if cts[k] is None else _add(cts[k], g)
        hi = n - 1
        kept = {}
        stops = [(k, None) for k in set(keep)]
        segments = getattr(self, "segments", None)
        if segments:
            # a checkpointed range is swept by its segment, which recomputes its residuals
            stops += [(seg.end - 1, seg) for seg in segments if seg.end is not None
                      and seg.start < seg.end <= n]
        for k, seg in sorted(stops, key=lambda s: s[0], reverse=True):
            if seg is not None:
                self._sweep(cts, hi, k, consume, freed)
                seg.reverse(self, cts, consume, freed)
                hi = seg.start - 1
                continue
            # Every contribution to entry k comes from a later entry.
            self._sweep(cts, hi, k, consume, freed)
            if hooks is not None and k in hooks and cts[k] is not None:
                cts[k] = hooks[k](cts[k])
            kept[k] = cts[k]
            hi = k
        self._sweep(cts, hi, -1, consume, freed)
        for k, g in kept.items():
            cts[k] = g
        return cts

    def constant(self, value):
        return self.new_input(value)

    def _sweep(self, cts, hi, lo, consume, freed):
        """Pull the cotangents back through entries hi, hi-1, ..., lo+1."""
        entries = self.entries
        foreign = self.foreign
        for i in range(hi, lo, -1):
            g = cts[i]
            if g is None:
                continue
            entry = entries[i]
            if entry is None:
                continue
            cts[i] = None
            if consume:
                entries[i] = None if freed is None else freed(entry)
            prim, ids, args, ans, params, avals = entry
            if foreign:
                g, ans, *args = lifted([g, ans, *args])
            rules = prim.vjp_rules or prim.vjps(len(args))
            if ids.__class__ is int:     # one traced argument, the first
                c = rules[0](g, ans, *args, **params) if params else rules[0](g, ans, *args)
                if avals is not None and avals[0] is not None:
                    c = _unbroadcast(c, *avals[0])
                c0 = cts[ids]
                cts[ids] = c if c0 is None else _add(c0, c) if c0.__class__ is not Parts \
                    else c0.join(c)
                continue
            if prim.__class__ is Node:
                for k, c in zip(ids, prim.pull(g)):
                    if k >= 0 and c is not None:
                        cts[k] = c if cts[k] is None else _add(cts[k], c)
                continue
            for j, k in enumerate(ids):
                if k < 0:
                    continue
                c = rules[j](g, ans, *args, **params) if params else rules[j](g, ans, *args)
                if avals is not None and avals[j] is not None:
                    c = _unbroadcast(c, *avals[j])
                cts[k] = c if cts[k] is None else _add(cts[k], c)


class Parts(list):
    """The cotangents of a node's outputs, one per output (None: zero), gathered
    by the sweep from the outputs' entries."""

    __slots__ = ()

    def join(self, other):
        for j, c in enumerate(other):
            if c is not None:
                self[j] = c if self[j] is None else _add(self[j], c)
        return self


class _Output:
    """The entry of output j of a node: its VJP hands its cotangent to the node."""

    __slots__ = ("name", "node_name", "index", "count", "vjp_rules")

    def __init__(self, name, index, count):
        self.name = f"{name}[{index}]"
        self.node_name = name
        self.index, self.count = index, count
        self.vjp_rules = (self._pass,)

    def _pass(self, g, ans, x):
        parts = Parts([None] * self.count)
        parts[self.index] = g
        return parts


_outputs = {}     # (name, count) -> the (stateless) entries' primitives of a node's outputs


class Node:
    """A recorded call of a function with its own rules (``custom.CustomCall``).

    Its entry's ``ids`` are those of its inputs; the entries of its outputs follow
    it.  ``pull(parts)`` maps the outputs' cotangents (``Parts``) to the inputs'
    with the call's pullback, checks each against its input's shape (a rule's
    mistake is named, never broadcast) and brings it to the input's dtype.
    """

    __slots__ = ("name", "pullback", "outputs", "avals", "call")
    vjp_rules = (None,)    # the sweep calls pull instead

    def __init__(self, name, pullback, nout, avals, call=None):
        self.name = name
        self.pullback = pullback
        self.call = call
        outs = _outputs.get((name, nout))
        if outs is None:
            outs = _outputs[name, nout] = [_Output(name, j, nout) for j in range(nout)]
        self.outputs = outs
        self.avals = avals

    def __repr__(self):
        return f"<custom node {self.name}>"

    def retraced(self, args):
        """This node with a pullback that linearizes the call again at args (the
        inputs as values of a graph that records the backward sweep, for
        ``create_graph``): its residuals then carry their derivatives."""
        call, traced = self.call, [a is not None for a in self.avals]
        if call is None or not call.relinearizes:
            return self

        def pullback(cts):
            return call.linearize(list(args), traced)[1](cts)
        return Node(self.name, pullback, len(self.outputs), self.avals, call)

    def pull(self, parts):
        cts = self.pullback(list(parts))
        out = []
        for j, (c, aval) in enumerate(zip(cts, self.avals)):
            if aval is None or c is None:
                out.append(None)
                continue
            shape, dtype = aval
            if np.shape(c) != shape:
                raise ValueError(
                    f"the VJP of '{self.name}' gave a cotangent of shape {np.shape(c)} for "
                    f"input leaf {j}, expected shape {shape} (the input's); broadcasting "
                    f"is not applied")
            out.append(_unbroadcast(c, shape, dtype) if _dtype(c) != dtype else c)
        return out


class ListingTape(Tape):
    """A tape that also keeps each entry's output shape and dtype, for printing."""

    __slots__ = ("shapes",)

    def __init__(self, name="make_tape"):
        super().__init__(name)
        self.shapes = []

    def new_input(self, value):
        self.shapes.append((np.shape(value), _dtype(value)))
        return super().new_input(value)

    def _noted(self, out):
        self.shapes.append((np.shape(out.primal), _dtype(out.primal)))
        return out

    def process1(self, prim, a):
        return self._noted(super().process1(prim, a))

    def process2(self, prim, a, b):
        return self._noted(super().process2(prim, a, b))

    def process(self, prim, args, params):
        return self._noted(super().process(prim, args, params))

    def process_custom(self, call, args):
        outs = super().process_custom(call, args)
        self.shapes.append((None, None))      # the node itself
        for o in outs:
            self._noted(o)
        return outs


class Var(Tracer):
    """A value recorded on a tape: its primal and its entry index."""

    __slots__ = ("_trace", "primal", "idx")

    def __init__(self, trace, primal, idx):
        self._trace = trace
        self.primal = primal
        self.idx = idx

    def __repr__(self):
        return f"Var(%{self.idx}, primal={self.primal!r}, tape={self._trace.level})"


def _avals(vals, traced, ans):
    """(shape, dtype) of each traced argument whose differ from the output's, else None."""
    try:
        shape, dtype = ans.shape, ans.dtype
    except AttributeError:
        shape, dtype = np.shape(ans), dtype_of(ans)
    avals = None
    for j, v in enumerate(vals):
        if traced[j]:
            try:
                vs, vd = v.shape, v.dtype
            except AttributeError:   # a Python scalar (NumPy's ``1j * np.float64(x)`` is one)
                vs, vd = np.shape(v), dtype_of(v)
            # (dtypes of two libraries differ by class: not compared, which some refuse)
            if vs != shape or (vd is not dtype and (vd.__class__ is not dtype.__class__
                                                    or vd != dtype)):
                if avals is None:
                    avals = [None] * len(vals)
                avals[j] = (vs, vd)
    return avals


_dtype = dtype_of
