"""Shape primitives: reshape, transpose, broadcast_to, indexing, concatenate."""
import operator

import numpy as np

from ..core import Primitive, Tracer, bind, strip
from ._dispatch import CONVERSION_ERRORS, traced_array, traced_arrays

# NumPy's error for an axis out of range: what every axis check here raises.
AxisError = np.exceptions.AxisError

# Batching rules see each batched argument with its batch axis first (see core.Primitive).

def lift_batch(x, n):
    """x (batch axis first) with n length-1 axes inserted after its batch axis."""
    if n <= 0:
        return x
    s = np.shape(x)
    return _reshape(x, s[:1] + (1,) * n + s[1:])


def _batch_size(args, batched):
    return next(np.shape(a)[0] for a, b in zip(args, batched) if b)


reshape_p = Primitive(
    "reshape", lambda x, *, shape, in_shape: np.reshape(x, shape),
    jvp=(lambda x_dot, ans, x, *, shape, in_shape: _reshape(x_dot, shape),),
    vjp=(lambda g, ans, x, *, shape, in_shape: _reshape(g, in_shape),),
    batch=lambda batched, x, *, shape, in_shape: _reshape(x, np.shape(x)[:1] + shape))

transpose_p = Primitive(
    "transpose", lambda x, *, axes: np.transpose(x, axes),
    jvp=(lambda x_dot, ans, x, *, axes: transpose(x_dot, axes),),
    vjp=(lambda g, ans, x, *, axes: transpose(g, tuple(np.argsort(axes))),),
    batch=lambda batched, x, *, axes: bind(transpose_p, (x,),
                                           dict(axes=(0,) + tuple(a + 1 for a in axes))))


def _broadcast_to_batch(batched, x, *, shape):
    x = lift_batch(x, len(shape) - (np.ndim(x) - 1))
    out = np.shape(x)[:1] + shape
    return x if np.shape(x) == out else bind(broadcast_to_p, (x,), dict(shape=out))


broadcast_to_p = Primitive(
    "broadcast_to", lambda x, *, shape: np.broadcast_to(x, shape),
    jvp=(lambda x_dot, ans, x, *, shape: broadcast_to(x_dot, shape),),
    vjp=(lambda g, ans, x, *, shape: g,),   # summed back by the central unbroadcast
    batch=_broadcast_to_batch)


def _batched_index(idx):
    """``(new, at)``: the index idx of one example as an index of the whole batch
    (batch axis first), and where the batch axis lands in the result.  It stays
    first unless idx has advanced indices (arrays, and integers beside them)
    separated by a slice, Ellipsis or None: NumPy then puts their dimensions first."""
    items = idx if isinstance(idx, tuple) else (idx,)
    new = (slice(None),) + items
    arrays = [i for i in items if isinstance(i, np.ndarray)]
    if not arrays:
        return new, 0
    adv = [k for k, i in enumerate(items) if isinstance(i, np.ndarray) or
           isinstance(i, (int, np.integer)) and not isinstance(i, (bool, np.bool_))]
    if adv[-1] - adv[0] == len(adv) - 1:
        return new, 0
    shapes = [(int(np.count_nonzero(a)),) if a.dtype == bool else a.shape for a in arrays]
    return new, len(np.broadcast_shapes(*shapes))


def _indexed_shape(shape, idx):
    """The shape of ``x[idx]`` for an x of this shape."""
    return np.broadcast_to(np.False_, shape)[idx].shape


def _to_batch_axis(x, at):
    """x's first axis moved to position at."""
    return x if at == 0 else bind(transpose_p, (x,), dict(axes=_move(np.ndim(x), 0, at)))


def _from_batch_axis(x, at):
    """x's axis at moved to the front."""
    return x if at == 0 else bind(transpose_p, (x,), dict(axes=_move(np.ndim(x), at, 0)))


def _move(nd, src, dst):
    order = [n for n in range(nd) if n != src]
    order.insert(dst, src)
    return tuple(order)


def _getitem_batch(batched, x, *, idx, in_shape):
    new, at = _batched_index(idx)
    return _from_batch_axis(bind(getitem_p, (x,), dict(idx=new, in_shape=np.shape(x))), at)


getitem_p = Primitive(
    "getitem", lambda x, *, idx, in_shape: x[idx],
    jvp=(lambda x_dot, ans, x, *, idx, in_shape: bind(getitem_p, (x_dot,), dict(idx=idx, in_shape=in_shape)),),
    vjp=(lambda g, ans, x, *, idx, in_shape: bind(scatter_add_p, (g,), dict(idx=idx, shape=in_shape)),),
    batch=_getitem_batch)


def _scatter_add(g, *, idx, shape):
    out = np.zeros(shape, dtype=np.result_type(g))
    if _is_basic(idx):
        out[idx] = g
    else:
        np.add.at(out, idx, g)
    return out


def _scatter_add_batch(batched, g, *, idx, shape):
    new, at = _batched_index(idx)
    g = lift_batch(g, len(_indexed_shape(shape, idx)) - (np.ndim(g) - 1))
    return bind(scatter_add_p, (_to_batch_axis(g, at),),
                dict(idx=new, shape=np.shape(g)[:1] + shape))


scatter_add_p = Primitive(
    "scatter_add", _scatter_add,
    jvp=(lambda g_dot, ans, g, *, idx, shape: bind(scatter_add_p, (g_dot,), dict(idx=idx, shape=shape)),),
    vjp=(lambda ct, ans, g, *, idx, shape: bind(getitem_p, (ct,), dict(idx=idx, in_shape=shape)),),
    batch=_scatter_add_batch)


def _set_item(x, v, *, idx):
    out = np.array(x, copy=True)
    out[idx] = v
    return out


def _placed(v_dot, ans, idx):
    """v_dot placed at idx in zeros shaped like ans."""
    zeros = np.zeros(np.shape(ans), dtype=np.result_type(strip(ans)))
    return bind(set_item_p, (zeros, v_dot), dict(idx=idx, v_shape=np.shape(v_dot),
                                                  wins=_last_writes(np.shape(ans), idx)))


def _value_ct(g, idx, v_shape, wins):
    """The cotangent of v in x[idx] = v: g at idx (where that write is the one that
    stays, when idx repeats a position), summed back to v's shape."""
    from ._reductions import _unbroadcast
    c = bind(getitem_p, (g,), dict(idx=idx, in_shape=np.shape(g)))
    if wins is not None:
        c = c * wins
    return _unbroadcast(c, v_shape, np.result_type(strip(c)))


def _last_writes(x_shape, idx):
    """For ``x[idx] = v`` with an integer-array idx: a mask over the written entries,
    True where the write is the last to a position (the one NumPy keeps); None when
    no position is written twice."""
    if _is_basic(idx):
        return None
    target = np.full(x_shape, -1)
    written = np.arange(np.empty(x_shape)[idx].size).reshape(np.empty(x_shape)[idx].shape)
    target[idx] = written
    wins = np.isin(written, target)
    return None if wins.all() else wins


def _set_item_batch(batched, x, v, *, idx, v_shape, wins):
    n = _batch_size((x, v), batched)
    shape = np.shape(x)[1:] if batched[0] else np.shape(x)
    if not batched[0]:
        x = broadcast_to(x, (n,) + shape)
    new, at = _batched_index(idx)
    sel = _indexed_shape(shape, idx)
    if batched[1]:
        v = _to_batch_axis(lift_batch(v, len(sel) - (np.ndim(v) - 1)), at)
    elif at:   # v broadcasts against the selection of one example, batch axis at `at`
        v = _reshape(broadcast_to(v, sel), sel[:at] + (1,) + sel[at:])
    return bind(set_item_p, (x, v), dict(idx=new, v_shape=np.shape(v),
                                         wins=_last_writes((n,) + shape, new)))


# x with x[idx] replaced by v (NumPy's ``x[idx] = v`` without the mutation).
set_item_p = Primitive(
    "set_item", lambda x, v, *, idx, v_shape, wins: _set_item(x, v, idx=idx),
    jvp=(lambda x_dot, ans, x, v, *, idx, v_shape, wins: bind(
            set_item_p, (x_dot, 0.0), dict(idx=idx, v_shape=(), wins=None)),
         lambda v_dot, ans, x, v, *, idx, v_shape, wins: _placed(v_dot, ans, idx)),
    vjp=(lambda g, ans, x, v, *, idx, v_shape, wins: bind(
            set_item_p, (g, 0.0), dict(idx=idx, v_shape=(), wins=None)),
         lambda g, ans, x, v, *, idx, v_shape, wins: _value_ct(g, idx, v_shape, wins)),
    batch=_set_item_batch)


def _concat_slice(i, sizes, axis):
    start = sum(sizes[:i])
    return (slice(None),) * axis + (slice(start, start + sizes[i]),)


def _concatenate_batch(batched, *xs, axis, sizes):
    n = _batch_size(xs, batched)
    xs = [x if b else broadcast_to(x, (n,) + np.shape(x)) for x, b in zip(xs, batched)]
    return bind(concatenate_p, xs, dict(axis=axis + 1, sizes=sizes))


concatenate_p = Primitive(
    "concatenate", lambda *xs, axis, sizes: np.concatenate(xs, axis=axis),
    jvp=lambda i: (lambda x_dot, ans, *xs, axis, sizes: bind(
        scatter_add_p, (x_dot,), dict(idx=_concat_slice(i, sizes, axis), shape=np.shape(ans)))),
    vjp=lambda i: (lambda g, ans, *xs, axis, sizes: bind(
        getitem_p, (g,), dict(idx=_concat_slice(i, sizes, axis), in_shape=np.shape(g)))),
    batch=_concatenate_batch)


def _is_basic(idx):
    items = idx if isinstance(idx, tuple) else (idx,)
    return all(i is None or i is Ellipsis or isinstance(i, (int, np.integer, slice))
               and not isinstance(i, bool) for i in items)


def _reshape(x, shape):
    in_shape = np.shape(x)
    if in_shape == shape:
        return x
    return bind(reshape_p, (x,), dict(shape=shape, in_shape=in_shape))


def reshape(a, newshape=None, order="C", *, shape=None):
    """Differentiable ``numpy.reshape`` (C order)."""
    if shape is None:
        shape = newshape
    if shape is None:
        raise TypeError("reshape: missing the new shape")
    if order != "C":
        raise NotImplementedError("reshape: only order='C' is supported")
    if not isinstance(a, Tracer):
        try:
            return np.reshape(a, shape)
        except CONVERSION_ERRORS:
            a = traced_array(a)
    shape = _resolve_shape(np.shape(a), shape)
    return _reshape(a, shape)


def _resolve_shape(in_shape, shape):
    if isinstance(shape, (int, np.integer)):
        shape = (shape,)
    shape = tuple(int(s) for s in shape)
    size = int(np.prod(in_shape))
    if shape.count(-1) == 1:
        known = int(np.prod([s for s in shape if s != -1]))
        shape = tuple(size // known if s == -1 else s for s in shape)
    if int(np.prod(shape)) != size:
        raise ValueError(f"reshape: cannot reshape array of shape {in_shape} into shape {shape}")
    return shape


def ravel(a):
    """Differentiable ``numpy.ravel``."""
    return reshape(a, (-1,))


def transpose(a, axes=None):
    """Differentiable ``numpy.transpose``."""
    if axes is not None:
        try:
            nd = np.ndim(strip(a))
        except CONVERSION_ERRORS:
            return transpose(traced_array(a), axes)
        axes = tuple(_normalize_axes(axes, nd, "transpose"))
        if len(axes) != nd:
            raise ValueError(f"transpose: axes {axes} don't match an array of dimension {nd}")
    if not isinstance(a, Tracer):
        try:
            return np.transpose(a, axes)
        except CONVERSION_ERRORS:
            a = traced_array(a)
    nd = np.ndim(a)
    if axes is None:
        axes = tuple(range(nd))[::-1]
    if axes == tuple(range(nd)):
        return a
    return bind(transpose_p, (a,), dict(axes=axes))


def swapaxes(a, axis1, axis2):
    """Differentiable ``numpy.swapaxes``."""
    try:
        nd = np.ndim(strip(a))
    except CONVERSION_ERRORS:
        return swapaxes(traced_array(a), axis1, axis2)
    axis1 = _normalize_axes(axis1, nd, "swapaxes")[0]
    axis2 = _normalize_axes(axis2, nd, "swapaxes")[0]
    if not isinstance(a, Tracer):
        return np.swapaxes(a, axis1, axis2)
    axes = list(range(nd))
    axes[axis1], axes[axis2] = axes[axis2], axes[axis1]
    return transpose(a, axes)


def moveaxis(a, source, destination):
    """Differentiable ``numpy.moveaxis``."""
    try:
        nd = np.ndim(strip(a))
    except CONVERSION_ERRORS:
        return moveaxis(traced_array(a), source, destination)
    src = _normalize_axes(source, nd, "moveaxis source")
    dst = _normalize_axes(destination, nd, "moveaxis destination")
    if len(src) != len(dst):
        raise ValueError("moveaxis: `source` and `destination` arguments must have "
                         "the same number of elements")
    if not isinstance(a, Tracer):
        return np.moveaxis(a, source, destination)
    order = [n for n in range(nd) if n not in src]
    for d, s in sorted(zip(dst, src)):
        order.insert(d, s)
    return transpose(a, tuple(order))


def _normalize_axes(axes, nd, what):
    """``axes`` (an int or a sequence) as a list of non-negative axes, checked.

    The one axis check of dualrev.numpy and the Tensor layer: an axis outside
    ``[-nd, nd)`` raises NumPy's AxisError naming ``what`` and the axis.
    """
    axes = tuple(axes) if isinstance(axes, (list, tuple)) or np.ndim(axes) == 1 else (axes,)
    out = []
    for ax in axes:
        try:
            ax = operator.index(ax)
        except TypeError:
            raise TypeError(f"{what}: an axis must be an integer, got {ax!r} "
                            f"({type(ax).__name__})") from None
        if not -nd <= ax < nd:
            raise AxisError(ax, nd, what)
        out.append(ax + nd if ax < 0 else ax)
    if len(set(out)) != len(out):
        raise ValueError(f"{what}: repeated axis in {tuple(axes)}")
    return out


def broadcast_to(array, shape):
    """Differentiable ``numpy.broadcast_to``."""
    if not isinstance(array, Tracer):
        try:
            return np.broadcast_to(array, shape)
        except CONVERSION_ERRORS:
            array = traced_array(array)
    shape = (int(shape),) if isinstance(shape, (int, np.integer)) else tuple(int(s) for s in shape)
    if np.shape(array) == shape:
        return array
    np.broadcast_shapes(np.shape(array), shape)   # raises NumPy's error if incompatible
    return bind(broadcast_to_p, (array,), dict(shape=shape))


def expand_dims(a, axis):
    """Differentiable ``numpy.expand_dims``."""
    try:
        shape = np.shape(strip(a))
    except CONVERSION_ERRORS:
        return expand_dims(traced_array(a), axis)
    added = len(axis) if isinstance(axis, (list, tuple)) or np.ndim(axis) == 1 else 1
    axes = _normalize_axes(axis, len(shape) + added, "expand_dims")
    if not isinstance(a, Tracer):
        return np.expand_dims(a, axis)
    return _reshape(a, np.expand_dims(np.empty(shape, dtype=bool), axes).shape)


def squeeze(a, axis=None):
    """Differentiable ``numpy.squeeze``."""
    try:
        shape = np.shape(strip(a))
    except CONVERSION_ERRORS:
        return squeeze(traced_array(a), axis)
    if axis is not None:
        axis = tuple(_normalize_axes(axis, len(shape), "squeeze"))
    if not isinstance(a, Tracer):
        return np.squeeze(a, axis)
    return _reshape(a, np.squeeze(np.empty(shape, dtype=bool), axis).shape)


def getitem(x, idx):
    """``x[idx]``: basic slicing and integer-array indexing."""
    idx = _static_index(idx)
    if not isinstance(x, Tracer):
        return x[idx]
    return bind(getitem_p, (x,), dict(idx=idx, in_shape=np.shape(x)))


def set_item(x, idx, v):
    """A copy of x with ``x[idx] = v`` applied: differentiable in x and v."""
    idx = _static_index(idx)
    if not isinstance(x, Tracer) and not isinstance(v, Tracer):
        return _set_item(x, v, idx=idx)
    return bind(set_item_p, (x, v), dict(idx=idx, v_shape=np.shape(strip(v)),
                                         wins=_last_writes(np.shape(strip(x)), idx)))


def _static_index(idx):
    if isinstance(idx, tuple):
        return tuple(_static_index_item(i) for i in idx)
    return _static_index_item(idx)


def _static_index_item(i):
    i = strip(i)
    if isinstance(i, Tracer):
        raise NotImplementedError(
            "indexing with an index batched by vmap (a different index per example) is "
            "not supported; index with dualrev.numpy.take_along_axis-style arithmetic, or "
            "vmap over the unbatched index with in_axes=None")
    if isinstance(i, (list, np.ndarray)):
        i = np.asarray(i)
        if i.dtype.kind == "f":
            raise IndexError("only integers, slices, None, Ellipsis and integer or "
                             "boolean arrays are valid indices")
    return i


def concatenate(arrays, axis=0):
    """Differentiable ``numpy.concatenate``."""
    arrays = tuple(arrays)
    try:
        if axis is not None and arrays:
            nd = np.ndim(strip(arrays[0]))
            if nd == 0:
                raise ValueError("concatenate: zero-dimensional arrays cannot be concatenated")
            axis = _normalize_axes(axis, nd, "concatenate")[0]
        if not any(isinstance(a, Tracer) for a in arrays):
            return np.concatenate(arrays, axis=axis)
        if axis is None:
            return concatenate([ravel(a) for a in arrays], axis=0)
        sizes = tuple(np.shape(strip(a))[axis] for a in arrays)
        return bind(concatenate_p, arrays, dict(axis=axis, sizes=sizes))
    except CONVERSION_ERRORS:
        return concatenate(traced_arrays(arrays), axis)


def stack(arrays, axis=0):
    """Differentiable ``numpy.stack``."""
    arrays = tuple(arrays)
    try:
        if arrays:
            axis = _normalize_axes(axis, np.ndim(strip(arrays[0])) + 1, "stack")[0]
        if not any(isinstance(a, Tracer) for a in arrays):
            return np.stack(arrays, axis=axis)
        shapes = {np.shape(strip(a)) for a in arrays}
    except CONVERSION_ERRORS:
        return stack(traced_arrays(arrays), axis)
    if len(shapes) != 1:
        raise ValueError("stack: all input arrays must have the same shape")
    return concatenate([expand_dims(a, axis) for a in arrays], axis=axis)
