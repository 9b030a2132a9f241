"""vmap: the batching trace, its values, and NumPy's non-differentiable functions on them.

A batched value holds the whole batch as one array whose *first* axis is the
batch axis; its ``shape``, ``ndim``, ``size`` and ``dtype`` are those of one
example.  A primitive applied to batched values runs its batching rule once
for the whole batch (see ``core.Primitive``).  The batch is part of the value,
not a derivative: ``strip`` keeps it, so the masks and weights that rules
compute from their arguments' values with plain NumPy stay batched.
"""
import numbers

import numpy as np

from . import backend
from .backend import is_foreign
from .core import Trace, Tracer, aligned_batch, bind_custom, strip
from .tree import tree_flatten, tree_unflatten


class BatchTrace(Trace):
    """A vmap tag: its values are Batched, of one batch size."""

    __slots__ = ("size",)

    def __init__(self, size, name="vmap"):
        super().__init__(name)
        self.size = size

    def process(self, prim, args, params):
        if not self.alive:
            raise self.escaped(prim)
        vals = list(args)
        batched = [False] * len(args)
        rule = prim.batch
        for i, a in enumerate(args):
            if type(a) is Batched and a._trace is self:
                v = a.val
                if type(v) is OneHots and not getattr(rule, "takes_one_hots", False):
                    v = v.dense()
                vals[i] = v
                batched[i] = True
        if getattr(rule, "takes_trace", False):
            return Batched(self, rule(tuple(batched), *vals, batch_trace=self, **params))
        return Batched(self, rule(tuple(batched), *vals, **params))

    def constant(self, value):
        from .numpy import broadcast_to
        return Batched(self, broadcast_to(value, (self.size,) + tuple(np.shape(value))))

    def process_custom(self, call, args):
        """The call made on whole batches (its function and rules under vmap), applied
        once to the batched values: its rules still apply to outer transformations."""
        if not self.alive:
            raise self.escaped(call)
        vals = list(args)
        batched = [False] * len(args)
        for i, a in enumerate(args):
            if type(a) is Batched and a._trace is self:
                vals[i] = _dense(a.val)
                batched[i] = True
        outs = bind_custom(call.batched(tuple(batched), self.size), vals)
        return [Batched(self, o) for o in outs]


class OneHots:
    """A batch of scaled one-hot arrays, kept implicit: example i is zero except
    ``scale[i]`` at flat position ``cols[i]`` (all zero where ``cols[i] < 0``).

    The directions jacfwd and jacrev seed with.  A linear primitive given such
    a batch can return its Jacobian's rows or columns directly: a matrix
    product with the identity is the matrix, read, not multiplied.  Rules that
    know them say so (``rule.takes_one_hots``); every other rule gets
    ``dense()``.  ``shape`` is the batch's: ``(n,) + shape of one example``.
    """

    __slots__ = ("cols", "scale", "shape", "dtype")

    def __init__(self, cols, scale, shape, dtype):
        self.cols, self.scale, self.shape, self.dtype = cols, scale, tuple(shape), np.dtype(dtype)

    @property
    def ndim(self):
        return len(self.shape)

    @classmethod
    def basis(cls, start, stop, offset, shape, dtype):
        """Directions start..stop-1 of the standard basis over a concatenation of
        arrays, restricted to the one of this shape beginning at ``offset``."""
        size = int(np.prod(shape))
        cols = np.arange(start - offset, stop - offset)
        cols[(cols < 0) | (cols >= size)] = -1
        return cls(cols, np.ones(stop - start, dtype), (stop - start,) + tuple(shape), dtype)

    def dense(self):
        n = self.shape[0]
        out = np.zeros((n, int(np.prod(self.shape[1:]))), self.dtype)
        on = self.cols >= 0
        out[np.flatnonzero(on), self.cols[on]] = self.scale[on]
        return out.reshape(self.shape)

    # Both below give None where the dense batch's product would not be zero off the
    # ones (a non-finite factor: 0 * inf is nan there, as in JAX): the caller then
    # multiplies the dense batch.

    def scaled(self, c):
        """self times c (a finite constant broadcasting to one example's shape), or None."""
        per = self.shape[1:]
        if isinstance(c, Tracer) or np.ndim(c) > len(per) or np.broadcast_shapes(
                np.shape(c), per) != per:
            return None
        flat = np.broadcast_to(c, per).reshape(-1)
        if not np.isfinite(flat).all():
            return None
        dtype = np.result_type(self.dtype, c)
        return OneHots(self.cols, (self.scale * flat[np.maximum(self.cols, 0)]).astype(dtype),
                       self.shape, dtype)

    def rows_of(self, m):
        """Row i: ``scale[i]`` times row ``cols[i]`` of the finite array m (zeros where
        cols < 0): the product of the batch with m; or None."""
        if not np.isfinite(m).all():
            return None
        scale = self.scale.reshape((-1,) + (1,) * (np.ndim(m) - 1))
        out = m[np.maximum(self.cols, 0)] * scale
        if (self.cols < 0).any():
            out[self.cols < 0] = 0
        return out


class Batched(Tracer):
    """A batch of values of one vmap tag: ``val`` holds them along its first axis.

    >>> dualrev.vmap(lambda x: print(x) or x)(np.ones((3, 2)))   # Batched(shape=(2,), batch 3)
    """

    __slots__ = ("_trace", "val")
    _is_value = True

    def __init__(self, trace, val):
        self._trace = trace
        self.val = val

    @property
    def shape(self):
        return np.shape(self.val)[1:]

    @property
    def ndim(self):
        return np.ndim(self.val) - 1

    @property
    def size(self):
        return int(np.prod(self.shape))

    @property
    def dtype(self):
        return _dtype(self.val)

    @property
    def tag(self):
        return self._trace

    def _stripped(self):
        v = strip(self.val)
        return self if v is self.val else Batched(self._trace, v)

    def __bool__(self):
        raise TypeError(
            "the truth value of a value batched by vmap depends on the example: Python "
            "control flow (if, while, and, or, bool()) cannot branch on it. Use "
            "dualrev.numpy.where to select per example")

    def _no_concrete(self, kind):
        raise TypeError(
            f"{kind}() of a value batched by vmap: it holds one value per example, not one "
            f"{kind}; compute with dualrev.numpy on it instead")

    def __array__(self, dtype=None, copy=None):
        raise TypeError(
            "a value batched by vmap cannot be converted to a NumPy array (np.asarray, "
            "np.array, or a NumPy function given a list holding it): it holds one value per "
            "example. Use dualrev.numpy's functions on it instead")

    def __repr__(self):
        return (f"Batched(shape={self.shape}, dtype={self.dtype}, batch={self._trace.size}, "
                f"tag={self._trace.level})")


_dtype = backend.dtype


def _top(values):
    """The newest batch trace among values (Batched after strip), or None."""
    top = None
    for v in values:
        if isinstance(v, Batched) and (top is None or v._trace.level > top.level):
            top = v._trace
    return top


def _inner(v, top):
    return _dense(v.val) if isinstance(v, Batched) and v._trace is top else v


def _dense(v):
    return v.dense() if type(v) is OneHots else v


def _avatar(x):
    """A stand-in with x's per-example shape and dtype, of its library (for NumPy no
    data: a broadcast view)."""
    if is_foreign(x.val):
        return backend.zeros(x.shape, x.dtype, x.val)
    return np.broadcast_to(np.zeros((), dtype=x.dtype), x.shape)


# ----------------------------------------------------------------------------- non-differentiable NumPy

# Functions of shapes and dtypes: their answer is the per-example one.
_META = {"shape", "ndim", "size", "result_type", "iscomplexobj", "isrealobj", "zeros_like",
         "ones_like", "empty_like"}
# Functions reducing over an axis (None: all per-example axes), with their default axis.
_AXIS = {"argmax": None, "argmin": None, "argsort": -1, "all": None, "any": None}


def nondiff_batched(fn, np_fn, args, kwargs):
    """``np_fn(*args, **kwargs)`` where some argument (after strip) is batched: the
    per-example result, batched.  ``fn`` is the dnp function, called again on the
    inner values so that batches of outer vmaps are handled in turn."""
    name = np_fn.__name__
    if name in _META:
        def avatar(v):
            return _avatar(v) if isinstance(v, Batched) else v
        return fn(*map(avatar, args), **{k: avatar(v) for k, v in kwargs.items()})
    top = _top(list(args) + list(kwargs.values()))
    if name in ("allclose", "array_equal"):
        from .numpy import all as all_, equal, isclose
        a, b = args[:2]
        if np.shape(a) != np.shape(b) and name == "array_equal":
            return False
        same = (isclose(*args, **kwargs) if name == "allclose" else equal(a, b))
        return all_(same)
    if name in _AXIS:
        x, *rest = args
        if rest:
            if "axis" in kwargs:
                raise TypeError(f"{name}() got multiple values for argument 'axis'")
            kwargs["axis"], *rest = rest
        axis = kwargs.pop("axis", _AXIS[name])
        v = _inner(x, top)
        if not (isinstance(x, Batched) and x._trace is top):
            return Batched(top, fn(v, axis, *rest, **kwargs))   # pragma: no cover
        nd = np.ndim(v) - 1
        if axis is None:
            if name in ("all", "any"):
                axis = tuple(range(1, nd + 1))
            else:                   # over the flattened example
                from .numpy import reshape
                out = fn(reshape(v, (np.shape(v)[0], -1)), 1, *rest, **kwargs)
                if kwargs.get("keepdims"):
                    out = reshape(out, (np.shape(v)[0],) + (1,) * nd)
                return Batched(top, out)
        else:
            from .numpy._shape import _normalize_axes
            axis = tuple(a + 1 for a in _normalize_axes(axis, nd, name))
            axis = axis[0] if len(axis) == 1 and name not in ("all", "any") else axis
        return Batched(top, fn(v, axis, *rest, **kwargs))
    # Elementwise (ufuncs): broadcast per example, as the primitives' generic rule.
    flat = list(args) + list(kwargs.values())
    batched = [isinstance(v, Batched) and v._trace is top for v in flat]
    vals = aligned_batch([_inner(v, top) for v in flat], batched)
    n = len(args)
    return Batched(top, fn(*vals[:n], **dict(zip(kwargs, vals[n:]))))


# ----------------------------------------------------------------------------- vmap

def _leaf_paths(t, path):
    """The path of each leaf of the pytree t, in ``tree_flatten``'s order."""
    tt = type(t)
    if tt is tuple or tt is list or isinstance(t, tuple) and hasattr(t, "_fields"):
        return [p for i, c in enumerate(t) for p in _leaf_paths(c, f"{path}[{i}]")]
    if tt is dict:
        return [p for k in sorted(t) for p in _leaf_paths(t[k], f"{path}[{k!r}]")]
    return [] if t is None else [path]


def _is_axis(ax):
    return ax is None or isinstance(ax, numbers.Integral) and not isinstance(ax, bool)


def _axes_for_leaves(axes, tree, path, what):
    """``[(axis, path)]`` for each leaf of ``tree`` (at ``path``), from ``axes``, a
    pytree prefix of it: an int or None applies to its whole subtree.  Raises a
    ValueError naming ``what`` (in_axes or out_axes) and the path."""
    if _is_axis(axes):
        ax = None if axes is None else int(axes)
        return [(ax, p) for p in _leaf_paths(tree, path)]
    head = (f"vmap: {what} is not a pytree prefix of the "
            f"{'arguments' if what == 'in_axes' else 'outputs'}: at {path},")
    if not isinstance(axes, (tuple, list, dict)):
        raise ValueError(f"vmap: {what} entries must be ints, None or pytrees of them, got "
                         f"{axes!r} (a {type(axes).__name__}) for {path}")
    if type(axes) is not type(tree):
        kind = "a leaf" if _leaf_paths(tree, path) == [path] else "a"
        raise ValueError(f"{head} {what} has a {type(axes).__name__} {axes!r} but the value is "
                         f"{kind} {type(tree).__name__}")
    out = []
    if isinstance(tree, dict):
        if sorted(axes) != sorted(tree):
            raise ValueError(f"{head} {what} has keys {sorted(axes)} but the value has keys "
                             f"{sorted(tree)}")
        for k in sorted(tree):
            out += _axes_for_leaves(axes[k], tree[k], f"{path}[{k!r}]", what)
        return out
    if len(axes) != len(tree):
        raise ValueError(f"{head} {what} has {len(axes)} entries but the value has {len(tree)}")
    for i, (a, c) in enumerate(zip(axes, tree)):
        out += _axes_for_leaves(a, c, f"{path}[{i}]", what)
    return out


def _describe_size(path, ax, shape):
    return f"{path} has size {shape[ax]} (axis {ax} of its shape {shape})"


def vmap(fun, in_axes=0, out_axes=0, axis_size=None):
    """Vectorize ``fun`` over a batch axis, as ``jax.vmap``.

    ``in_axes``: an int, None (not batched) or a pytree prefix of the positional
    arguments (a tuple, or a list, with one entry per argument); negative axes
    count from the end.  Keyword arguments are batched along their first axis.
    ``out_axes``: likewise for the outputs; an output that does not depend on
    the batch is broadcast along it (``None`` keeps it unbatched, which is an
    error for an output that does depend on the batch).  ``axis_size`` gives
    the batch size when no argument is batched.  Each primitive runs once for
    the whole batch (its batching rule), never once per example.

    >>> vmap(lambda x: dnp.sum(x ** 2))(np.arange(6.0).reshape(3, 2))     # [1, 13, 41]
    >>> vmap(dualrev.grad(loss), in_axes=(None, 0, 0))(params, xs, ys)     # per-example grads
    """
    if not callable(fun):
        raise TypeError(f"vmap: fun must be callable, got {type(fun).__name__}")
    if isinstance(in_axes, list):     # a list of entries is taken as the tuple, as JAX
        in_axes = tuple(in_axes)
    if not (in_axes is None or isinstance(in_axes, (tuple, numbers.Integral))) \
            or isinstance(in_axes, bool):
        raise TypeError(
            f"vmap: in_axes must be an int, None, or a tuple of entries corresponding to the "
            f"positional arguments passed to the function, got {in_axes!r}")
    if axis_size is not None and (not isinstance(axis_size, numbers.Integral)
                                  or isinstance(axis_size, bool) or axis_size < 0):
        raise ValueError(f"vmap: axis_size must be a non-negative int, got {axis_size!r}")

    def batched_fun(*args, **kwargs):
        from .numpy import moveaxis
        if isinstance(in_axes, tuple) and len(in_axes) != len(args):
            raise ValueError(
                f"vmap: in_axes is a tuple of {len(in_axes)} entries but the function was "
                f"called with {len(args)} positional arguments; give one entry per argument "
                f"(or one int for all)")
        leaves, tree = tree_flatten(args)
        spec = in_axes if isinstance(in_axes, tuple) else (in_axes,) * len(args)
        axes = []
        for i, (ax, a) in enumerate(zip(spec, args)):
            axes += _axes_for_leaves(ax, a, f"argument {i}", "in_axes")
        k_leaves, k_tree = tree_flatten(kwargs)
        leaves = leaves + k_leaves
        for k in sorted(kwargs):
            axes += [(0, p) for p in _leaf_paths(kwargs[k], f"keyword argument {k!r}")]
        sizes = []
        moved = []
        for x, (ax, path) in zip(leaves, axes):
            if ax is None:
                moved.append(x)
                continue
            shape = np.shape(x)
            nd = len(shape)
            if not -nd <= ax < nd:
                raise ValueError(
                    f"vmap: in_axes={ax} is out of range for {path}, which has {nd} "
                    f"dimension{'s' if nd != 1 else ''} (shape {shape})"
                    + ("; a scalar cannot be batched: pass in_axes=None for it" if nd == 0 else ""))
            ax %= nd
            sizes.append((shape[ax], _describe_size(path, ax, shape)))
            moved.append(x if ax == 0 else moveaxis(x, ax, 0))
        found = {n for n, _ in sizes} | ({axis_size} if axis_size is not None and sizes else set())
        if len(found) > 1:
            raise ValueError(
                "vmap got inconsistent sizes for the batched axes: "
                + (f"axis_size={axis_size}, " if axis_size is not None else "")
                + ", ".join(d for _, d in sizes))
        if sizes:
            size = sizes[0][0]
        elif axis_size is None:
            raise ValueError(
                "vmap must have at least one non-None value in in_axes, or be given "
                "axis_size= (the batch size)")
        else:
            size = axis_size
        trace = BatchTrace(size)
        try:
            vals = [x if ax is None else Batched(trace, x) for x, (ax, _) in zip(moved, axes)]
            n = tree.num_leaves
            out = fun(*tree_unflatten(tree, vals[:n]), **tree_unflatten(k_tree, vals[n:]))
        finally:
            trace.close()
        o_leaves, o_tree = tree_flatten(out)
        o_axes = _axes_for_leaves(out_axes, out, "output", "out_axes")
        res = []
        for o, (ax, path) in zip(o_leaves, o_axes):
            is_b = isinstance(o, Batched) and o._trace is trace
            if ax is None:
                if is_b:
                    raise ValueError(
                        f"vmap: out_axes is None for {path}, but it depends on the batch: "
                        f"only an output that does not depend on the batch can be unbatched")
                res.append(o)
                continue
            if is_b:
                v = _dense(o.val)
            else:
                from .numpy import broadcast_to
                v = broadcast_to(o, (size,) + tuple(np.shape(o)))
            nd = np.ndim(v)
            if not -nd <= ax < nd:
                raise ValueError(f"vmap: out_axes={ax} is out of range for {path}, which has "
                                 f"{nd} dimension{'s' if nd != 1 else ''} with the batch axis "
                                 f"(shape {np.shape(v)[1:]} per example)")
            res.append(v if ax % nd == 0 else moveaxis(v, 0, ax % nd))
        return tree_unflatten(o_tree, res)

    try:
        import functools
        return functools.wraps(fun)(batched_fun)
    except (AttributeError, TypeError):   # pragma: no cover
        return batched_fun


__all__ = ["vmap", "Batched", "BatchTrace"]
