"""Checkpointing: trading recomputation for memory on the tape.

``checkpoint(fun)`` (alias ``remat``) runs ``fun`` with every tape of this
thread that is open recording a *segment*: its entries keep what is needed to
compute them again (their constant arguments and the values coming from before
the segment) but not their residuals, unless the policy says an output is
worth saving.  When the backward sweep reaches the segment, the segment
replays its entries (each primitive bound again on the recorded arguments,
which an outer transformation records in turn), restores their residuals, and
sweeps them.  The replay follows the tape, not the Python function, so values
the function closes over need no special care.

A segment made of steps (``lax.scan(..., checkpoints=k)``) is reversed by
binomial checkpointing (Griewank and Walther's revolve): at most ``k`` states
between steps are held at once, and the steps are recomputed the fewest times
that memory allows.
"""
import functools
import numbers
import threading
from math import comb

from .core import _NOPARAMS, Primitive, Tracer, _open, bind
from .reverse import Node, Tape, Var, _Output, _avals

# ----------------------------------------------------------------------------- names, policies

def _name_impl(x, *, name):
    return x


def _name_xp(xp, x, *, name):
    return x


name_p = Primitive(
    "checkpoint_name", _name_impl, xp=_name_xp, elementwise=True, register=False,
    jvp=(lambda x_dot, ans, x, *, name: x_dot,),
    vjp=(lambda g, ans, x, *, name: g,),
    batch=lambda batched, x, *, name: bind(name_p, (x,), {"name": name}))


def checkpoint_name(x, name):
    """x, tagged with ``name`` for the policy of an enclosing ``checkpoint``
    (``save_only_these_names``): the identity on values and derivatives."""
    if not isinstance(name, str):
        raise TypeError(f"checkpoint_name: name must be a str, got {type(name).__name__}")
    from .tree import tree_map
    return tree_map(lambda v: bind(name_p, (v,), {"name": name}), x)


def everything_saveable(prim, *args, **params):
    """Save every output: no recomputation (as no checkpoint)."""
    return True


def nothing_saveable(prim, *args, **params):
    """Save nothing: recompute everything (the default)."""
    return False


_DOTS = frozenset(["matmul", "einsum"])


def dots_saveable(prim, *args, **params):
    """Save the outputs of matrix products (matmul, dot, einsum ...), recompute the rest."""
    return prim.name in _DOTS


def save_only_these_names(*names):
    """Save the values tagged by ``checkpoint_name`` with one of these names."""
    names = frozenset(names)

    def policy(prim, *args, **params):
        return prim is name_p and params["name"] in names
    return policy


def save_anything_except_these_names(*names):
    """Save every output except the values tagged with one of these names."""
    names = frozenset(names)

    def policy(prim, *args, **params):
        return not (prim is name_p and params["name"] in names)
    return policy


class checkpoint_policies:
    """The policies of ``checkpoint``, as ``jax.checkpoint_policies``: each is called
    ``policy(prim, *args, **params)`` for every operation recorded and says whether
    its output is kept (True) or recomputed in the backward sweep."""

    everything_saveable = staticmethod(everything_saveable)
    nothing_saveable = staticmethod(nothing_saveable)
    dots_saveable = staticmethod(dots_saveable)
    checkpoint_dots = staticmethod(dots_saveable)
    save_only_these_names = staticmethod(save_only_these_names)
    save_anything_except_these_names = staticmethod(save_anything_except_these_names)


# ----------------------------------------------------------------------------- segments

class _SegmentMixin:
    """The recording of a tape inside a segment (its class while one is open)."""

    __slots__ = ()

    def process1(self, prim, a):
        return self.process(prim, (a,), _NOPARAMS)

    def process2(self, prim, a, b):
        return self.process(prim, (a, b), _NOPARAMS)

    def process(self, prim, args, params):
        if not self.alive:
            raise self.escaped(prim)
        seg = self.segments[-1]
        start = seg.start
        vals, ids, traced, _ = self.split(args)
        if self.dispatching:
            for v, t in zip(vals, traced):
                if not t:
                    self.admit(v)
        ans = bind(prim, vals, params)
        if not self.dispatching:
            self.admit(ans)
        kept = tuple(None if k >= start else v for k, v in zip(ids, vals))
        saved = ans if seg.policy(prim, *vals, **params) else None
        entries = self.entries
        entries.append((prim, ids, kept, saved, params, _avals(vals, traced, ans)))
        out = self._noted(Var(self, ans, len(entries) - 1))
        checked = getattr(self, "_checked", None)       # a watched tape (debug_nans)
        return out if checked is None else checked(prim, args, out)

    def process_custom(self, call, args):
        # A node keeps its own residuals; its outputs keep their values for the replay.
        outs = super().process_custom(call, args)
        entries = self.entries
        for v in outs:
            e = entries[v.idx]
            entries[v.idx] = e[:3] + (v.primal,) + e[4:]
        return outs


_segment_classes = {}


def _segment_class(cls):
    c = _segment_classes.get(cls)
    if c is None:
        c = _segment_classes[cls] = type(f"Segment{cls.__name__}", (_SegmentMixin, cls),
                                         {"__slots__": ()})
    return c


def _tapes_here():
    """The functional tapes of this thread that are open and not in a segment."""
    me = threading.get_ident()
    out = []
    for ref in list(_open.values()):
        t = ref()
        if (isinstance(t, Tape) and t.level > 0 and t.alive and t.thread == me
                and not isinstance(t, _SegmentMixin)):
            out.append(t)
    return out


class Segment:
    """A checkpointed range of one tape's entries, ``start`` to ``end`` (exclusive).

    ``steps`` (for a scan): the entry index where each step begins, then ``end``;
    ``snapshots`` {step: {entry index: value}}: states kept by the forward pass;
    ``slots``: how many states may be held at once.
    """

    def __init__(self, tape, policy, steps=False, slots=None):
        self.start = len(tape.entries)
        self.end = None
        self.policy = policy or nothing_saveable
        self.steps = [] if steps else None
        self.snapshots = {}
        self.slots = slots
        self._last_use = None

    # ------------------------------------------------------------ replay

    def _replay(self, tape, lo, hi, vals, restore, after=None):
        """Compute entries lo..hi-1 again from vals {entry index: value} (the segment's
        values they read), adding theirs to vals.  Only the values something needs
        are computed: with ``restore`` the residuals of the entries' VJPs (each entry
        gets its residuals back; the entries as they were are returned, to put back
        after the sweep), and the values read after entry ``after``."""
        entries = tape.entries
        start = self.start
        last = self._last_use
        need = [False] * (hi - lo)
        saves = [None] * (hi - lo)
        for i in range(hi - 1, lo - 1, -1):
            prim, ids, args, ans, params, avals = entries[i]
            if prim.__class__ is Node or prim.__class__ is _Output:
                continue
            want = need[i - lo] or (after is not None and last.get(i, -1) >= after)
            reads = None
            if restore:
                mask = 0
                for j, k in enumerate(ids):
                    if k >= 0:
                        mask |= 1 << j
                keep_ans, keep = saves[i - lo] = prim.saves(mask, len(ids))
                want = want or keep_ans
                reads = keep
            need[i - lo] = want
            compute = want and ans is None
            for j, k in enumerate(ids):
                if k >= lo and (compute or reads is True or reads is not None and reads[j]):
                    need[k - lo] = True
        originals = {}
        for i in range(lo, hi):
            e = entries[i]
            prim, ids, args, ans, params, avals = e
            pc = prim.__class__
            if pc is Node:
                continue
            if pc is _Output:
                vals[i] = ans
                continue
            if need[i - lo]:
                if ans is None:
                    ans = bind(prim, self._arguments(i, ids, args, vals, start, True), params)
                vals[i] = ans
            if restore:
                keep_ans, keep = saves[i - lo]
                saved = (None,) * len(ids) if keep is None else self._arguments(
                    i, ids, args, vals, start, keep)
                originals[i] = e
                entries[i] = (prim, ids, saved, ans if keep_ans else None, params, avals)
        return originals

    @staticmethod
    def _arguments(i, ids, args, vals, start, keep):
        """Entry i's arguments (those keep says: True for all, or a tuple of flags;
        None in place of the others)."""
        try:
            if keep is True:
                return [vals[k] if k >= start else a for k, a in zip(ids, args)]
            return [(vals[k] if k >= start else a) if f else None
                    for k, a, f in zip(ids, args, keep)]
        except KeyError as err:
            raise RuntimeError(
                f"checkpointing could not recompute tape entry {i}: it reads entry "
                f"{err.args[0]}, computed in an earlier step, that the step did not pass on "
                f"in its carry. With scan(..., checkpoints=k) every value one step hands to "
                f"a later one must be part of the carry") from None

    def _sweep(self, tape, cts, lo, hi, vals, consume, freed):
        """Recompute entries lo..hi-1 with their residuals and sweep them."""
        originals = self._replay(tape, lo, hi, vals, True)
        try:
            tape._sweep(cts, hi - 1, lo - 1, consume, freed)
        finally:
            if not consume:
                for i, e in originals.items():
                    tape.entries[i] = e

    def reverse(self, tape, cts, consume, freed):
        """Sweep the segment's entries (the sweep has reached its end)."""
        start, end = self.start, self.end
        if all(c is None for c in cts[start:end]):
            return
        if self._last_use is None:
            self._last_use = _last_uses(tape.entries, start, end)
        if self.steps is None:
            self._sweep(tape, cts, start, end, {}, consume, freed)
            return
        steps = self.steps
        n = len(steps) - 1
        self._revolve(tape, cts, 0, n, {}, self.slots, consume, freed, steps)

    def _advance(self, tape, a, b, state):
        """The state at the start of step b, from the state at the start of step a."""
        steps, last = self.steps, self._last_use
        vals = dict(state)
        for j in range(a, b):
            edge = steps[j + 1]
            self._replay(tape, steps[j], edge, vals, False, after=edge)
            vals = {k: v for k, v in vals.items() if last.get(k, -1) >= edge}
        return vals

    def _revolve(self, tape, cts, lo, hi, state, slots, consume, freed, steps):
        """Reverse steps lo..hi-1 from the state at lo, holding at most ``slots``
        states (that one included)."""
        while hi > lo:
            if hi - lo == 1:
                self._sweep(tape, cts, steps[lo], steps[hi], dict(state), consume, freed)
                return
            m = split(hi - lo, slots) + lo
            mid = self.snapshots.get(m)
            if mid is None:
                mid = self._advance(tape, lo, m, state)
            self._revolve(tape, cts, m, hi, mid, slots - 1, consume, freed, steps)
            hi = m


def _last_uses(entries, start, end):
    """{entry index: the last entry of the range that reads it} for the range's entries."""
    last = {}
    for i in range(start, end):
        e = entries[i]
        ids = e[1]
        if ids.__class__ is int:
            if ids >= start:
                last[ids] = i
            continue
        for k in ids:
            if k >= start:
                last[k] = i
    return last


# ----------------------------------------------------------------------------- the schedule

def repetitions(n, slots):
    """The fewest times some step must run again to reverse n steps holding ``slots``
    states: the smallest t with C(slots + t, t) >= n (Griewank's binomial bound)."""
    if n <= 1:
        return 0
    if slots <= 1:
        return n - 1
    t = 1
    while comb(slots + t, t) < n:
        t += 1
    return t


def cost(n, slots):
    """The fewest steps run again to reverse n steps holding ``slots`` states:
    t n - C(slots + t, slots + 1) with t = repetitions(n, slots) (Griewank and
    Walther's optimum)."""
    if n <= 1:
        return 0
    if slots <= 1:
        return n * (n - 1) // 2
    t = repetitions(n, slots)
    return t * n - comb(slots + t, slots + 1)


def split(n, slots):
    """Where to keep the next state (steps after the current one) when reversing n
    steps with ``slots`` states: the m that minimises m + cost(n - m, slots - 1) +
    cost(m, slots), a convex function of m, found by bisection."""
    if slots <= 1 or n <= 2:
        return n - 1

    def f(m):
        return m + cost(n - m, slots - 1) + cost(m, slots)
    lo, hi = 1, n - 1
    while lo < hi:
        mid = (lo + hi) // 2
        if f(mid + 1) - f(mid) >= 0:
            hi = mid
        else:
            lo = mid + 1
    return lo


def forward_steps(n, slots):
    """How many steps the reversal of n steps from ``slots`` states runs forward,
    besides the one recorded run of each step (for tests and benchmarks)."""
    if n <= 1:
        return 0
    if slots <= 1:
        return n * (n - 1) // 2
    m = split(n, slots)
    return m + forward_steps(n - m, slots - 1) + forward_steps(m, slots)


def first_states(n, slots):
    """The steps whose states the first descent of the reversal holds: kept by the
    forward pass, so that the reversal does not run those steps again."""
    out, lo = [], 0
    while n - lo > 1 and slots > 1:
        lo += split(n - lo, slots)
        out.append(lo)
        slots -= 1
    return out


# ----------------------------------------------------------------------------- recording

class Recording:
    """The segments opened on this thread's tapes by one checkpointed call."""

    def __init__(self, policy=None, steps=False, slots=None):
        self.tapes = _tapes_here()
        self.segments = []
        for t in self.tapes:
            seg = Segment(t, policy, steps, slots)
            if t.segments is None:
                t.segments = []
            t.segments.append(seg)
            self.segments.append(seg)
            t.__class__ = _segment_class(t.__class__)

    def step(self):
        """A step begins now."""
        for t, seg in zip(self.tapes, self.segments):
            seg.steps.append(len(t.entries))

    def snapshot(self, step, leaves):
        """Keep the state at the start of ``step``: the values of leaves recorded in
        the segment."""
        for t, seg in zip(self.tapes, self.segments):
            state = {}
            for x in leaves:
                v = _var_of(x, t)
                if v is not None and v.idx >= seg.start:
                    state[v.idx] = v.primal
            seg.snapshots[step] = state

    def close(self):
        for t, seg in zip(self.tapes, self.segments):
            seg.end = len(t.entries)
            if seg.steps is not None:
                seg.steps.append(seg.end)
            t.__class__ = t.__class__.__mro__[2]    # the class it had before
            if seg.start == seg.end:
                t.segments.remove(seg)


def _var_of(x, tape):
    """The Var of tape inside the traced value x, or None."""
    while isinstance(x, Tracer):
        if type(x) is Var and x._trace is tape:
            return x
        x = x.val if x._is_value else x.primal
    return None


# ----------------------------------------------------------------------------- checkpoint

def checkpoint(fun, *, prevent_cse=True, policy=None, static_argnums=()):
    """``fun`` whose intermediate values are recomputed in the backward sweep
    instead of kept, as ``jax.checkpoint`` (alias ``remat``).

    ``policy(prim, *args, **params) -> bool`` picks the outputs kept anyway
    (``checkpoint_policies``; default: none).  Derivatives are those of fun.

    >>> layer = dualrev.checkpoint(lambda W, x: dnp.tanh(W @ x))
    >>> dualrev.grad(lambda W: dnp.sum(layer(W, x)))(W)
    """
    if not callable(fun):
        raise TypeError(f"checkpoint: fun must be callable, got {type(fun).__name__}")
    if policy is not None and not callable(policy):
        raise TypeError(f"checkpoint: policy must be callable (see "
                        f"dualrev.checkpoint_policies), got {type(policy).__name__}")
    nums = (static_argnums,) if isinstance(static_argnums, numbers.Integral) else tuple(
        static_argnums)
    if not all(isinstance(n, numbers.Integral) and not isinstance(n, bool) for n in nums):
        raise TypeError(f"checkpoint: static_argnums must be ints, got {static_argnums!r}")

    @functools.wraps(fun)
    def remat_fun(*args, **kwargs):
        rec = Recording(policy)
        if not rec.tapes:
            return fun(*args, **kwargs)
        try:
            return fun(*args, **kwargs)
        finally:
            rec.close()
    return remat_fun


remat = checkpoint

__all__ = ["checkpoint", "remat", "checkpoint_name", "checkpoint_policies"]
