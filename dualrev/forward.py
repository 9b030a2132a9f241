"""Forward mode: dual numbers and the trace that propagates their tangents."""
import numpy as np

from .backend import NUMPY_TYPES, apply, dtype as dtype_of, zeros
from .core import _NOPARAMS, PY_SCALARS, Trace, Tracer, bind, lifted, strip
from .numpy import add as _add, broadcast_to as _broadcast_to
from .numpy._reductions import _cast


class DualTrace(Trace):
    """A forward-mode tag.  Its values are Duals carrying a tangent."""

    __slots__ = ()

    def __init__(self, name="jvp"):
        super().__init__(name)

    def process1(self, prim, a):
        """One argument (a Dual of this trace), no params: the common case, kept short."""
        if not self.alive:
            raise self.escaped(prim)
        x = a.primal
        if self.dispatching:
            if self.foreign:
                return self.process(prim, (a,), _NOPARAMS)
            ans = bind(prim, (x,))
        else:
            ans = prim.impl(x)
        t = (prim.jvp_rules or prim.jvps(1))[0](a.tangent, ans, x)
        return Dual(self, ans, t if prim.elementwise else _fit(t, ans))

    def process2(self, prim, a, b):
        """Two arguments, at least one a Dual of this trace, no params."""
        if not self.alive:
            raise self.escaped(prim)
        ta = type(a) is Dual and a._trace is self
        tb = type(b) is Dual and b._trace is self
        x = a.primal if ta else a
        y = b.primal if tb else b
        c = y if ta else x   # a constant, or (both traced) a primal of this trace
        cc = c.__class__
        if self.dispatching or cc is not float and cc not in NUMPY_TYPES:
            self.admit(c)
            if self.foreign:
                return self.process(prim, (a, b), _NOPARAMS)
            ans = bind(prim, (x, y))
        else:
            ans = prim.impl(x, y)
        rules = prim.jvp_rules or prim.jvps(2)
        if ta:
            t = rules[0](a.tangent, ans, x, y)
            if tb:
                t = _add(t, rules[1](b.tangent, ans, x, y))
        else:
            t = rules[1](b.tangent, ans, x, y)
        # Against a Python scalar, the tangent already has the output's shape and dtype.
        if (ta and tb) or cc not in PY_SCALARS:
            t = _fit(t, ans)
        return Dual(self, ans, t)

    def split(self, args):
        """``(primals, tangents)`` of args: the primals in place of this trace's Duals,
        and their tangents (None for the other arguments)."""
        primals = list(args)
        tangents = [None] * len(args)
        for i, a in enumerate(args):
            if type(a) is Dual and a._trace is self:
                primals[i] = a.primal
                tangents[i] = a.tangent
        return primals, tangents

    def process(self, prim, args, params):
        if not self.alive:
            raise self.escaped(prim)
        primals, tangents = self.split(args)
        if self.dispatching:
            for i, td in enumerate(tangents):
                if td is None:
                    self.admit(primals[i])
            ans = bind(prim, primals, params)
        else:
            ans = apply(prim, primals, params)
            self.admit(ans)
        rules = prim.jvp_rules or prim.jvps(len(args))
        t = None
        n = len(args)
        for i, td in enumerate(tangents):
            if td is not None:
                if self.foreign:
                    td, r_ans, *r_args = lifted([td, ans, *primals])
                    ti = rules[i](td, r_ans, *r_args[:n], **params)
                else:
                    ti = rules[i](td, ans, *primals, **params)
                t = ti if t is None else _add(t, ti)
        return Dual(self, ans, _fit(t, ans))

    def constant(self, value):
        return Dual(self, value, zeros(np.shape(value), dtype_of(value), value))

    def process_custom(self, call, args):
        """The call's own JVP (its rule, or the transpose of its VJP) on the primals."""
        if not self.alive:
            raise self.escaped(call)
        outs, touts = call.jvp(*self.split(args))
        return [Dual(self, o, _fit(t, o)) for o, t in zip(outs, touts)]


def _fit(t, ans):
    """A tangent brought to its output's shape and dtype (a rule may return a
    smaller one, or keep its input's dtype where the output was promoted)."""
    shape, dtype = np.shape(ans), dtype_of(strip(ans))
    if np.shape(t) != shape:
        t = _broadcast_to(t, shape)
    if dtype_of(strip(t)) != dtype:
        t = _cast(t, dtype)
    return t


class Dual(Tracer):
    """A dual number ``primal + tangent·ε`` of one forward-mode tag.

    >>> d = dualrev.dual(2.0, 1.0)
    >>> y = dualrev.numpy.sin(d)
    >>> y.primal, y.tangent            # sin(2), cos(2)
    """

    __slots__ = ("_trace", "primal", "tangent")

    def __init__(self, trace, primal, tangent):
        self._trace = trace
        self.primal = primal
        self.tangent = tangent

    @property
    def tag(self):
        return self._trace

    def __repr__(self):
        return f"Dual(primal={self.primal!r}, tangent={self.tangent!r}, tag={self._trace.level})"


def dual(primal, tangent, *, tag=None):
    """Build dual numbers by hand: ``primal + tangent·ε``.

    ``primal`` and ``tangent`` are pytrees of one structure; every leaf gets
    the same tag (a new one unless ``tag=`` names an existing dual's tag).
    Read the parts back with ``.primal`` and ``.tangent``.

    >>> x = dual(3.0, 1.0)
    >>> (x * x).tangent                 # d/dx x² at 3
    6.0
    """
    from .tree import tree_flatten, tree_unflatten, check_same_tree
    from .api import _as_float_leaf
    if tag is None:
        tag = DualTrace("dual")
    elif not isinstance(tag, DualTrace):
        raise TypeError(f"dual: tag must be a Dual's .tag, got {type(tag).__name__}")
    p_leaves, p_tree = tree_flatten(primal)
    t_leaves, t_tree = tree_flatten(tangent)
    check_same_tree("dual", "primal", p_tree, p_leaves, "tangent", t_tree, t_leaves)
    out = []
    for i, (p, t) in enumerate(zip(p_leaves, t_leaves)):
        p = _as_float_leaf(p, "dual", f"primal leaf {i}")
        t = _as_float_leaf(t, "dual", f"tangent leaf {i}")
        tag.admit(p)
        out.append(Dual(tag, p, t))
    return tree_unflatten(p_tree, out)


__all__ = ["Dual", "DualTrace", "dual", "strip"]
