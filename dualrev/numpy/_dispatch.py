"""Fast dispatch: a dualrev.numpy call on untraced values goes straight to NumPy."""
from ..core import Tracer, strip


def unary(prim, np_fn=None, doc=None):
    """The dnp function of a one-argument primitive; untraced calls run np_fn (or the impl)."""
    impl = np_fn or prim.impl

    def fn(x):
        if isinstance(x, Tracer):
            return x._trace.process1(prim, x)
        return impl(x)
    return _named(fn, prim.name, doc)


def binary(prim, np_fn=None, doc=None):
    """The dnp function of a two-argument primitive; untraced calls run np_fn (or the impl)."""
    impl = np_fn or prim.impl

    def fn(x, y):
        if isinstance(x, Tracer):
            if isinstance(y, Tracer) and y._trace.level > x._trace.level:
                return y._trace.process2(prim, x, y)
            return x._trace.process2(prim, x, y)
        if isinstance(y, Tracer):
            return y._trace.process2(prim, x, y)
        return impl(x, y)
    return _named(fn, prim.name, doc)


def nondiff(np_fn, name=None):
    """A NumPy function whose result carries no derivative: tracers are stripped."""
    def fn(*args, **kwargs):
        return np_fn(*(strip(a) for a in args), **{k: strip(v) for k, v in kwargs.items()})
    return _named(fn, name or np_fn.__name__,
                  f"``numpy.{np_fn.__name__}`` on the primal values; not differentiable "
                  "(its result is a constant to every transformation).")


def _named(fn, name, doc):
    fn.__name__ = fn.__qualname__ = name
    fn.__doc__ = doc or f"Differentiable ``numpy.{name}``."
    return fn
