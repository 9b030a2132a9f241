"""Fast dispatch: a dualrev.numpy call on untraced values goes straight to NumPy.

Lists and tuples holding traced values are turned into one traced array
(``array_of``) only after NumPy failed to convert them, so the untraced path
pays nothing for them.
"""
import inspect

from numpy import ndarray

from ..backend import NUMPY_STRONG, NUMPY_TYPES, apply, is_foreign
from ..core import _NOPARAMS, Composite, Tracer, strip

# What NumPy raises when a list it converts holds a traced value: Tracer.__array__
# raises TypeError; a Tensor that requires grad raises RuntimeError.
CONVERSION_ERRORS = (TypeError, RuntimeError)
_PY_SCALARS = (bool, int, float, complex)


def unary(prim, np_fn=None, doc=None):
    """The dnp function of a one-argument primitive; untraced calls run np_fn (or the impl)."""
    impl = np_fn or prim.impl

    def fn(x):
        if x.__class__ is ndarray:
            return impl(x)
        if isinstance(x, Tracer):
            return x._trace.process1(prim, x)
        if x.__class__ not in NUMPY_TYPES and is_foreign(x):
            return apply(prim, (x,), _NOPARAMS)
        try:
            return impl(x)
        except CONVERSION_ERRORS:
            return fn(traced_array(x))
    return _named(fn, prim.name, doc)


def binary(prim, np_fn=None, doc=None):
    """The dnp function of a two-argument primitive; untraced calls run np_fn (or the impl).

    Its ``method`` is the operator method of traced values (``Tracer.__mul__`` ...):
    the left operand is known to be traced, so it goes to a trace directly."""
    impl = np_fn or prim.impl
    # A NumPy array or scalar on the left and a NumPy or Python value on the right (what
    # rules mostly compute with): the primitive's implementation (Python's operator, for
    # arithmetic) gives what the ufunc gives, faster.
    fast = prim.impl

    def fn(x, y, _strong=NUMPY_STRONG, _numpy=NUMPY_TYPES):
        cx, cy = x.__class__, y.__class__
        if cx is ndarray and (cy is ndarray or cy in _numpy) or cx in _strong and cy in _numpy:
            return fast(x, y)
        try:
            if isinstance(x, Tracer):
                if isinstance(y, Tracer) and y._trace.level > x._trace.level:
                    return y._trace.process2(prim, x, y)
                return x._trace.process2(prim, x, y)
            if isinstance(y, Tracer):
                return y._trace.process2(prim, x, y)
            if (cx not in _numpy or y.__class__ not in _numpy) and (
                    is_foreign(x) or is_foreign(y)):
                return apply(prim, (x, y), _NOPARAMS)
            return impl(x, y)
        except CONVERSION_ERRORS:
            x, y = traced_arrays((x, y))
            return fn(x, y)

    def method(self, other):
        try:
            if isinstance(other, Tracer) and other._trace.level > self._trace.level:
                return other._trace.process2(prim, self, other)
            return self._trace.process2(prim, self, other)
        except CONVERSION_ERRORS:
            x, y = traced_arrays((self, other))
            return fn(x, y)
    fn.method = method
    return _named(fn, prim.name, doc)


def composite(np_fn, name=None, doc=None):
    """Decorator: the dnp function of a composition of primitives (``definition``),
    registered as a ``Composite``.  A call whose arguments (and the elements of list
    or tuple arguments) are all NumPy arrays, NumPy scalars, Python values or None
    runs ``np_fn``; any other (traced values, another library's arrays) runs the
    definition.

        >>> @composite(np.log2)
        ... def log2(x):
        ...     return log(x) / math.log(2)
    """
    def wrap(definition):
        comp = Composite(name or np_fn.__name__, np_fn, definition)

        def fn(*args, **kwargs):
            if _any_needs_definition(args, kwargs):
                return comp.definition(*args, **kwargs)
            return comp.impl(*args, **kwargs)
        fn.composite = comp
        return _named(fn, comp.name.rsplit(".", 1)[-1], doc or definition.__doc__)
    return wrap


# What NumPy raises for bad arguments (AxisError is a ValueError and an IndexError).
NUMPY_ERRORS = (ValueError, TypeError, IndexError)


def numpy_first(np_fn, one_array=False):
    """Decorator of a dnp function that checks its own arguments (naming itself in its
    errors) before it binds primitives: a call whose arguments are all NumPy's or
    Python's values runs ``np_fn`` at once; only if NumPy raises does the function run,
    to raise its own error (or NumPy's again).  ``one_array``: only the first argument
    (positional) can hold arrays, the others are metadata (axes, shapes).  ``np_fn``
    None (a NumPy too old to have the function): every call runs the function."""
    def wrap(fn):
        if np_fn is None:
            def call(*args, **kwargs):
                return fn(*args, **kwargs)
        elif one_array:
            def call(a, *args, **kwargs):
                if a.__class__ is ndarray or not _needs_definition(a):
                    try:
                        return np_fn(a, *args, **kwargs)
                    except NUMPY_ERRORS:
                        pass
                return fn(a, *args, **kwargs)
        else:
            def call(*args, **kwargs):
                if not _any_needs_definition(args, kwargs):
                    try:
                        return np_fn(*args, **kwargs)
                    except NUMPY_ERRORS:
                        pass
                return fn(*args, **kwargs)
        call.definition = fn
        return _named(call, fn.__name__, fn.__doc__)
    return wrap


def dispatching_composite(np_fn, name=None, one_array=False):
    """Decorator: ``numpy_first``, and the function listed in the registry as a
    ``Composite`` (its definition: the decorated function)."""
    def wrap(fn):
        comp = Composite(name or fn.__name__, np_fn, fn)

        def definition(*args, **kwargs):
            return comp.definition(*args, **kwargs)
        definition.__name__, definition.__doc__ = fn.__name__, fn.__doc__
        call = numpy_first(np_fn, one_array)(definition)
        call.composite = comp
        return call
    return wrap


# Classes of arguments that never need a definition: NumPy's arrays and scalars, Python's
# numbers and the usual metadata (None, strings, slices, dtype classes).
_PLAIN = NUMPY_TYPES | {type(None), str, slice, type}


def _any_needs_definition(args, kwargs):
    """Whether any argument (positional or keyword) needs a composite's definition; the
    common all-NumPy call costs one set lookup per argument."""
    for a in args:
        if a.__class__ not in _PLAIN and _needs_definition(a):
            return True
    if kwargs:
        for a in kwargs.values():
            if a.__class__ not in _PLAIN and _needs_definition(a):
                return True
    return False


def _needs_definition(a):
    """Whether a composite's argument a is traced, another library's array, or a list or
    tuple holding one."""
    c = a.__class__
    if c is ndarray or c in NUMPY_TYPES:
        return False
    if c is list or c is tuple:
        for e in a:
            if e.__class__ not in _PLAIN and _needs_definition(e):
                return True
        return False
    return isinstance(a, Tracer) or is_foreign(a)


def plain(x):
    """Whether x is computed on by NumPy directly: neither traced nor another library's."""
    return x.__class__ is ndarray or not (isinstance(x, Tracer) or is_foreign(x))


def nondiff(np_fn, name=None):
    """A NumPy function whose result carries no derivative: tracers are stripped."""
    def fn(*args, **kwargs):
        args_s = [strip(a) for a in args]
        kwargs_s = {k: strip(v) for k, v in kwargs.items()}
        if any(isinstance(a, Tracer) for a in args_s) or any(
                isinstance(v, Tracer) for v in kwargs_s.values()):
            from ..batching import nondiff_batched      # a value batched by vmap
            return nondiff_batched(fn, np_fn, args_s, kwargs_s)
        if any(map(is_foreign, args_s)) or any(map(is_foreign, kwargs_s.values())):
            return foreign_nondiff(np_fn.__name__, *_keywords(np_fn, args_s, kwargs_s))
        try:
            return np_fn(*args_s, **kwargs_s)
        except CONVERSION_ERRORS:
            if not (any(map(holds_tracer, args)) or any(map(holds_tracer, kwargs.values()))):
                raise
        return np_fn(*(strip_nested(a) for a in args),
                     **{k: strip_nested(v) for k, v in kwargs.items()})
    fn.nondiff = True
    return _named(fn, name or np_fn.__name__,
                  f"``numpy.{np_fn.__name__}`` on the primal values; not differentiable "
                  "(its result is a constant to every transformation).")


# Parameters the array API standard makes keyword-only.
_KEYWORD_ONLY = frozenset({"axis", "keepdims", "kind", "order", "dtype", "stable", "descending"})


def _keywords(np_fn, args, kwargs):
    """``(args, kwargs)`` with the positional arguments that np_fn names as one of the
    standard's keyword-only parameters (argsort's axis) passed by keyword."""
    if len(args) <= 1:
        return args, kwargs
    try:
        names = list(inspect.signature(np_fn).parameters)
    except (TypeError, ValueError):      # ufuncs: positional arrays only
        return args, kwargs
    keep, kwargs = [], dict(kwargs)
    for i, a in enumerate(args):
        if i > 0 and i < len(names) and names[i] in _KEYWORD_ONLY:
            kwargs[names[i]] = a
        else:
            keep.append(a)
    return keep, kwargs


# NumPy's names whose array-API function is named differently.
_XP_NAMES = {"invert": "bitwise_invert", "bitwise_not": "bitwise_invert", "absolute": "abs",
             "conjugate": "conj", "power": "pow", "arctan2": "atan2"}


def foreign_nondiff(name, args, kwargs):
    """NumPy's non-differentiable function ``name`` on arrays of another library: the
    library's own (array-API) function, or its equivalent for those the standard lacks."""
    from .. import backend
    x = next(a for a in list(args) + list(kwargs.values()) if is_foreign(a))
    args = backend.python_scalars(args)
    xp = backend.namespace(*args, *kwargs.values(), who=f"numpy.{name}")
    if name == "shape":
        return tuple(x.shape)
    if name == "ndim":
        return x.ndim
    if name == "size":
        return x.size
    if name in ("iscomplexobj", "isrealobj"):
        return backend.is_complex(x) == (name == "iscomplexobj")
    if name in ("zeros_like", "ones_like", "empty_like"):
        return backend.full(x.shape, 0 if name != "ones_like" else 1,
                            kwargs.get("dtype") or x.dtype, x)
    if name in ("isclose", "allclose"):
        a, b = args[:2]
        rtol, atol = kwargs.get("rtol", 1e-5), kwargs.get("atol", 1e-8)
        close = xp.abs(a - b) <= atol + rtol * xp.abs(b)
        if kwargs.get("equal_nan"):
            close = close | (xp.isnan(a) & xp.isnan(b))
        return bool(xp.all(close)) if name == "allclose" else close
    if name == "array_equal":
        a, b = args[:2]
        return tuple(a.shape) == tuple(b.shape) and bool(xp.all(a == b))
    fn = getattr(xp, _XP_NAMES.get(name, name), None)
    if fn is None:
        raise TypeError(f"numpy.{name} on {backend.library(x)} arrays: {xp.__name__} has no "
                        f"{_XP_NAMES.get(name, name)}")
    return fn(*args, **kwargs)


def _named(fn, name, doc):
    fn.__name__ = fn.__qualname__ = name
    fn.__doc__ = doc or f"Differentiable ``numpy.{name}``."
    return fn


# ---------------------------------------------------------------- lists holding traced values

def holds_tracer(x):
    """Whether x is a (nested) list or tuple with a traced value somewhere inside."""
    return isinstance(x, (list, tuple)) and any(
        isinstance(e, Tracer) or holds_tracer(e) for e in x)


def array_of(x, dtype=None):
    """x as an array where it is a (nested) list or tuple holding traced values: one
    traced array, stacked from the elements as ``numpy.array`` would (the dtype NumPy's
    promotion of the elements', Python scalars weak: ``[x32, 1.0]`` stays float32);
    anything else comes back as it is.

        >>> dualrev.grad(lambda x: dnp.sum(array_of([x, 2 * x, 3.0])))(1.0)     # 3.0
    """
    if not holds_tracer(x):
        return x
    if dtype is None:
        dtype = _weak_result_type(x)
    return _stacked(x, dtype)


def traced_array(x):
    """Called while handling NumPy's failure to convert x: ``array_of(x)`` when x is a
    list or tuple holding traced values; otherwise that failure is raised again."""
    if not holds_tracer(x):
        raise   # again: the exception being handled
    return array_of(x)


def traced_arrays(args):
    """``traced_array`` for several arguments: each list or tuple holding traced values as
    one traced array, the others as they are; raises the exception being handled again
    when there is none."""
    if not any(map(holds_tracer, args)):
        raise   # again: the exception being handled
    return tuple(array_of(a) for a in args)


def strip_nested(x):
    """strip for an argument that may be a list or tuple holding traced values: one NumPy
    array of their primal values (dtype as ``array_of``)."""
    if not holds_tracer(x):
        return strip(x)
    import numpy as np
    return np.asarray(_stripped(x), dtype=_weak_result_type(x))


def _stripped(x):
    return [_stripped(e) if isinstance(e, (list, tuple)) else strip(e) for e in x]


def _weak_result_type(x):
    """NumPy's result dtype of the leaves of a nested list, Python scalars weak."""
    import numpy as np
    strong, weak = set(), {}

    def visit(seq):
        for e in seq:
            if isinstance(e, (list, tuple)):
                visit(e)
            elif type(e) in _PY_SCALARS:
                weak.setdefault(type(e), e)
            else:
                strong.add(np.result_type(strip(e)) if isinstance(e, Tracer)
                           else np.asarray(e).dtype)
    visit(x)
    return np.result_type(*strong, *weak.values())


def _stacked(x, dtype):
    import numpy as np
    from ._elementwise import astype
    from ._shape import stack
    parts = []
    for e in x:
        if holds_tracer(e):
            parts.append(_stacked(e, dtype))
        elif isinstance(e, Tracer):
            parts.append(astype(e, dtype))
        else:
            parts.append(np.asarray(strip_nested(e), dtype=dtype))
    shapes = {np.shape(strip(p)) for p in parts}
    if len(shapes) > 1:
        raise ValueError(f"array: the elements of a list holding traced values must all have "
                         f"one shape (NumPy's arrays are not ragged), got shapes "
                         f"{sorted(shapes, key=len)}")
    return stack(parts)
