"""Forward mode: dual numbers and the trace that propagates their tangents."""
import numpy as np

from .core import Trace, Tracer, bind, strip
from .numpy import add as _add, broadcast_to as _broadcast_to


class DualTrace(Trace):
    """A forward-mode tag.  Its values are Duals carrying a tangent."""

    __slots__ = ()

    def __init__(self, name="jvp"):
        super().__init__(name)

    def process(self, prim, args, params):
        if not self.alive:
            raise self.escaped(prim)
        primals = []
        tangents = []
        for a in args:
            if type(a) is Dual and a._trace is self:
                primals.append(a.primal)
                tangents.append(a.tangent)
            else:
                primals.append(a)
                tangents.append(None)
        ans = bind(prim, primals, params)
        t = None
        for i, td in enumerate(tangents):
            if td is not None:
                ti = prim.jvp_rule(i)(td, ans, *primals, **params)
                t = ti if t is None else _add(t, ti)
        if t is None:
            return ans
        if np.shape(t) != np.shape(ans):
            t = _broadcast_to(t, np.shape(ans))
        return Dual(self, ans, t)

    def lift(self, x, t):
        return Dual(self, x, t)


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
        out.append(Dual(tag, p, t))
    return tree_unflatten(p_tree, out)


__all__ = ["Dual", "DualTrace", "dual", "strip"]
