"""Reverse mode: the tape (a forward-ordered Wengert list) and the backward sweep."""
import numpy as np

from .core import Trace, Tracer, bind
from .numpy import add as _add
from .numpy import _unbroadcast


class Tape(Trace):
    """A reverse-mode tag and the operations recorded under it.

    ``entries[i]`` is ``None`` for an input, else the tuple
    ``(prim, ids, args, ans, params, avals)``: ``ids[j]`` is the entry index
    of argument j or -1 for a constant; ``args``/``ans`` keep only what the
    VJP rules read (``None`` elsewhere); ``avals[j]`` is ``(shape, dtype)``
    where argument j's differs from the output's, else ``None``.
    """

    __slots__ = ("entries",)

    def __init__(self, name="vjp"):
        super().__init__(name)
        self.entries = []

    def new_input(self, value):
        self.entries.append(None)
        return Var(self, value, len(self.entries) - 1)

    def process(self, prim, args, params):
        if not self.alive:
            raise self.escaped(prim)
        vals = []
        ids = []
        traced = []
        for j, a in enumerate(args):
            if type(a) is Var and a._trace is self:
                vals.append(a.primal)
                ids.append(a.idx)
                traced.append(j)
            else:
                vals.append(a)
                ids.append(-1)
        ans = bind(prim, vals, params)
        keep_ans, keep = prim.saves(len(vals), tuple(traced))
        shape = np.shape(ans)
        dtype = _dtype(ans)
        avals = None
        for j in traced:
            v = vals[j]
            if np.shape(v) != shape or _dtype(v) != dtype:
                if avals is None:
                    avals = [None] * len(vals)
                avals[j] = (np.shape(v), _dtype(v))
        saved = tuple(v if k else None for v, k in zip(vals, keep))
        entries = self.entries
        entries.append((prim, ids, saved, ans if keep_ans else None, params, avals))
        return Var(self, ans, len(entries) - 1)

    def backward(self, seeds, consume=False):
        """Sweep the tape in reverse from ``seeds`` {entry index: cotangent}.

        Returns the list of cotangents per entry index (inputs' entries hold
        theirs; others are cleared as the sweep passes).  With ``consume``,
        each entry is dropped once used, so residuals are freed as we go.
        """
        entries = self.entries
        cts = [None] * len(entries)
        for k, g in seeds.items():
            cts[k] = g if cts[k] is None else _add(cts[k], g)
        for i in range(len(entries) - 1, -1, -1):
            g = cts[i]
            if g is None:
                continue
            entry = entries[i]
            if entry is None:
                continue
            cts[i] = None
            if consume:
                entries[i] = None
            prim, ids, args, ans, params, avals = entry
            for j, k in enumerate(ids):
                if k < 0:
                    continue
                c = prim.vjp_rule(j)(g, ans, *args, **params)
                if avals is not None and avals[j] is not None:
                    c = _unbroadcast(c, *avals[j])
                cts[k] = c if cts[k] is None else _add(cts[k], c)
        return cts


class ListingTape(Tape):
    """A tape that also keeps each entry's output shape and dtype, for printing."""

    __slots__ = ("shapes",)

    def __init__(self, name="make_tape"):
        super().__init__(name)
        self.shapes = []

    def new_input(self, value):
        self.shapes.append((np.shape(value), _dtype(value)))
        return super().new_input(value)

    def process(self, prim, args, params):
        out = super().process(prim, args, params)
        self.shapes.append((np.shape(out.primal), _dtype(out.primal)))
        return out


class Var(Tracer):
    """A value recorded on a tape: its primal and its entry index."""

    __slots__ = ("_trace", "primal", "idx")

    def __init__(self, trace, primal, idx):
        self._trace = trace
        self.primal = primal
        self.idx = idx

    def __repr__(self):
        return f"Var(%{self.idx}, primal={self.primal!r}, tape={self._trace.level})"


def _dtype(x):
    d = getattr(x, "dtype", None)
    return d if d is not None else np.result_type(x)
