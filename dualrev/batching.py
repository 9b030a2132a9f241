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

from .core import _NOPARAMS, Trace, Tracer, strip
from .tree import tree_flatten, tree_unflatten


class BatchTrace(Trace):
    """A vmap tag: its values are Batched, of one batch size."""

    __slots__ = ("size",)

    def __init__(self, size, name="vmap"):
        super().__init__(name)
        self.size = size

    def process1(self, prim, a):
        return self.process(prim, (a,), _NOPARAMS)

    def process2(self, prim, a, b):
        return self.process(prim, (a, b), _NOPARAMS)

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
        return Batched(self, rule(tuple(batched), *vals, **params))


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

    def __repr__(self):
        return (f"Batched(shape={self.shape}, dtype={self.dtype}, batch={self._trace.size}, "
                f"tag={self._trace.level})")


def _dtype(x):
    d = getattr(x, "dtype", None)
    return d if d is not None else np.result_type(x)


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
    """A stand-in with x's per-example shape and dtype (no data: a broadcast view)."""
    return np.broadcast_to(np.zeros((), dtype=x.dtype), x.shape)


# ----------------------------------------------------------------------------- non-differentiable NumPy

# Functions of shapes and dtypes: their answer is the per-example one.
_META = {"shape", "ndim", "size", "result_type", "iscomplexobj", "isrealobj", "zeros_like",
         "ones_like", "empty_like"}
# Functions reducing over an axis (None: all per-example axes).
_AXIS = {"argmax", "argmin", "argsort", "all", "any"}


def nondiff_batched(fn, np_fn, args, kwargs):
    """``np_fn(*args, **kwargs)`` where some argument (after strip) is batched: the
    per-example result, batched.  ``fn`` is the dnp function, called again on the
    inner values so that batches of outer vmaps are handled in turn."""
    name = np_fn.__name__
    if name in _META:
        def avatar(v):
            return _avatar(v) if isinstance(v, Batched) else v
        return np_fn(*map(avatar, args), **{k: avatar(v) for k, v in kwargs.items()})
    top = _top(list(args) + list(kwargs.values()))
    if name in ("allclose", "array_equal"):
        from .numpy import all as all_, equal, isclose
        a, b = args[:2]
        if np.shape(a) != np.shape(b) and name == "array_equal":
            return False
        same = (isclose(*args, **kwargs) if name == "allclose" else equal(a, b))
        return all_(same)
    if name in _AXIS:
        (x,) = args
        axis = kwargs.pop("axis", None)
        v = _inner(x, top)
        if not (isinstance(x, Batched) and x._trace is top):
            return Batched(top, fn(v, axis=axis, **kwargs))   # pragma: no cover
        nd = np.ndim(v) - 1
        if axis is None:
            if name in ("all", "any"):
                axis = tuple(range(1, nd + 1))
            else:
                from .numpy import reshape
                v, axis = reshape(v, (np.shape(v)[0], -1)), 1
        else:
            from .numpy._shape import _normalize_axes
            axis = tuple(a + 1 for a in _normalize_axes(axis, nd, name))
            axis = axis[0] if len(axis) == 1 and name not in ("all", "any") else axis
        return Batched(top, fn(v, axis=axis, **kwargs))
    # Elementwise (ufuncs): broadcast per example, as the primitives' generic rule.
    flat = list(args) + list(kwargs.values())
    batched = [isinstance(v, Batched) and v._trace is top for v in flat]
    vals = [_inner(v, top) for v in flat]
    ranks = [np.ndim(v) - b for v, b in zip(vals, batched)]
    r = max(ranks)
    from .numpy._shape import lift_batch
    vals = [lift_batch(v, r - k) if b and k < r else v for v, b, k in zip(vals, batched, ranks)]
    n = len(args)
    return Batched(top, fn(*vals[:n], **dict(zip(kwargs, vals[n:]))))


# ----------------------------------------------------------------------------- vmap

def _axes_for_leaves(axes, tree, where, what):
    """The batch axis of each leaf of tree from ``axes``, a pytree prefix of it (an int
    or None applies to the whole subtree).  Raises a ValueError naming ``what``."""
    out = []

    def walk(ax, t, path):
        if ax is None or isinstance(ax, numbers.Integral) and not isinstance(ax, bool):
            out.extend([None if ax is None else int(ax)] * tree_flatten(t)[1].num_leaves)
            return
        if type(ax) is not type(t) or not isinstance(ax, (tuple, list, dict)):
            if isinstance(ax, (tuple, list, dict)):
                raise ValueError(
                    f"{where}: {what} is not a pytree prefix of the {path or 'arguments'}: "
                    f"{type(ax).__name__} {ax!r} where the value is a {type(t).__name__}")
            raise ValueError(f"{where}: {what} entries must be ints, None or pytrees of them, "
                             f"got {ax!r} at {path or 'the top'}")
        if isinstance(t, dict):
            if sorted(ax) != sorted(t):
                raise ValueError(f"{where}: {what} is not a pytree prefix of {path}: keys "
                                 f"{sorted(ax)} against {sorted(t)}")
            for k in sorted(t):
                walk(ax[k], t[k], f"{path}[{k!r}]")
            return
        if len(ax) != len(t):
            raise ValueError(f"{where}: {what} has {len(ax)} entries at {path or 'the top'} but "
                             f"the value there has {len(t)}")
        for i, (a, c) in enumerate(zip(ax, t)):
            walk(a, c, f"{path}[{i}]")
    walk(axes, tree, "")
    return out


def vmap(fun, in_axes=0, out_axes=0, axis_size=None):
    """Vectorize ``fun`` over a batch axis, as ``jax.vmap``.

    ``in_axes``: an int, None (not batched) or a pytree prefix of the positional
    arguments (a tuple with one entry per argument); negative axes count from
    the end.  Keyword arguments are batched along their first axis.
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
        axes = _axes_for_leaves(spec, args, "vmap", "in_axes")
        k_leaves, k_tree = tree_flatten(kwargs)
        leaves = leaves + k_leaves
        axes = axes + [0] * len(k_leaves)
        sizes = {}
        moved = []
        for i, (x, ax) in enumerate(zip(leaves, axes)):
            if ax is None:
                moved.append(x)
                continue
            nd = np.ndim(x)
            what = (f"argument leaf {i}" if i < tree.num_leaves
                    else f"keyword argument leaf {i - tree.num_leaves}")
            if not -nd <= ax < nd:
                raise ValueError(
                    f"vmap: in_axes={ax} is out of range for {what}, which has {nd} "
                    f"dimension{'s' if nd != 1 else ''} (shape {np.shape(x)})"
                    + ("; a scalar cannot be batched: pass in_axes=None for it" if nd == 0 else ""))
            ax %= nd
            sizes[what] = np.shape(x)[ax]
            moved.append(x if ax == 0 else moveaxis(x, ax, 0))
        if len(set(sizes.values())) > 1:
            raise ValueError(
                "vmap got inconsistent sizes for the batched axes: "
                + ", ".join(f"{w} has size {n}" for w, n in sizes.items()))
        if sizes:
            size = next(iter(sizes.values()))
            if axis_size is not None and axis_size != size:
                raise ValueError(f"vmap: axis_size={axis_size} but the batched arguments have "
                                 f"batch size {size}")
        elif axis_size is None:
            raise ValueError(
                "vmap must have at least one non-None value in in_axes, or be given "
                "axis_size= (the batch size)")
        else:
            size = axis_size
        trace = BatchTrace(size)
        try:
            vals = [x if ax is None else Batched(trace, x) for x, ax in zip(moved, axes)]
            n = tree.num_leaves
            out = fun(*tree_unflatten(tree, vals[:n]), **tree_unflatten(k_tree, vals[n:]))
        finally:
            trace.close()
        o_leaves, o_tree = tree_flatten(out)
        o_axes = _axes_for_leaves(out_axes, out, "vmap", "out_axes")
        res = []
        for i, (o, ax) in enumerate(zip(o_leaves, o_axes)):
            is_b = isinstance(o, Batched) and o._trace is trace
            if ax is None:
                if is_b:
                    raise ValueError(
                        f"vmap has mapped output (output leaf {i}) but out_axes is None for "
                        f"it: only an output that does not depend on the batch can be "
                        f"unbatched")
                res.append(o)
                continue
            if is_b:
                v = _dense(o.val)
            else:
                from .numpy import broadcast_to
                v = broadcast_to(o, (size,) + tuple(np.shape(o)))
            nd = np.ndim(v)
            if not -nd <= ax < nd:
                raise ValueError(f"vmap: out_axes={ax} is out of range for output leaf {i}, "
                                 f"which has {nd} dimensions with the batch axis")
            res.append(v if ax % nd == 0 else moveaxis(v, 0, ax % nd))
        return tree_unflatten(o_tree, res)

    try:
        import functools
        return functools.wraps(fun)(batched_fun)
    except (AttributeError, TypeError):   # pragma: no cover
        return batched_fun


__all__ = ["vmap", "Batched", "BatchTrace"]
