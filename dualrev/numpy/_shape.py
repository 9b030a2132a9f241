"""Shape primitives: reshape, transpose, broadcast_to, indexing, concatenate."""
import builtins
import operator

import numpy as np

from ..batching import Batched, _dtype
from .. import backend
from ..core import Primitive, Tracer, bind, strip
from ._dispatch import (CONVERSION_ERRORS, dispatching_composite, numpy_first, plain, traced_array,
                        traced_arrays)

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


def _xp_reshape(xp, x, shape):
    """The library's reshape.  Dask reshapes only by merging or splitting axes; any other
    reshape (2x3 to 3x2) is the two: all axes merged, then split."""
    try:
        return xp.reshape(x, shape)
    except NotImplementedError:
        if backend.library(x) != "dask":
            raise
        return xp.reshape(xp.reshape(x, (-1,)), shape)


reshape_p = Primitive(
    "reshape", lambda x, *, shape, in_shape: np.reshape(x, shape),
    xp=lambda xp, x, *, shape, in_shape: _xp_reshape(xp, x, shape),
    jvp=(lambda x_dot, ans, x, *, shape, in_shape: _reshape(x_dot, shape),),
    vjp=(lambda g, ans, x, *, shape, in_shape: _reshape(g, in_shape),),
    batch=lambda batched, x, *, shape, in_shape: _reshape(x, np.shape(x)[:1] + shape))

transpose_p = Primitive(
    "transpose", lambda x, *, axes: np.transpose(x, axes),
    xp=lambda xp, x, *, axes: xp.permute_dims(x, axes),
    jvp=(lambda x_dot, ans, x, *, axes: transpose(x_dot, axes),),
    vjp=(lambda g, ans, x, *, axes: transpose(g, tuple(np.argsort(axes))),),
    batch=lambda batched, x, *, axes: bind(transpose_p, (x,),
                                           dict(axes=(0,) + tuple(a + 1 for a in axes))))


def _broadcast_to_batch(batched, x, *, shape, chunks=None):
    x = lift_batch(x, len(shape) - (np.ndim(x) - 1))
    out = np.shape(x)[:1] + shape
    return x if np.shape(x) == out else bind(broadcast_to_p, (x,), dict(shape=out))


def _xp_broadcast_to(xp, x, shape, chunks):
    """broadcast_to on another library's array; with ``chunks`` (Dask's), the axes x
    broadcasts along are chunked so (its other axes keep their own chunks)."""
    if chunks is None or backend.library(x) != "dask":
        return xp.broadcast_to(x, shape)
    lead = len(shape) - x.ndim
    own = ((None,) * lead) + tuple(x.chunks)
    return xp.broadcast_to(x, shape, chunks=tuple(
        c if o is None or (n != 1 and x.shape[i - lead] == 1) else o
        for i, (c, o, n) in enumerate(zip(chunks, own, shape))))


# ``chunks``: a layout for libraries that chunk arrays (Dask's), or None.
broadcast_to_p = Primitive(
    "broadcast_to", lambda x, *, shape, chunks=None: np.broadcast_to(x, shape),
    xp=lambda xp, x, *, shape, chunks=None: _xp_broadcast_to(xp, x, shape, chunks),
    jvp=(lambda x_dot, ans, x, *, shape, chunks=None: broadcast_to(x_dot, shape),),
    vjp=(lambda g, ans, x, *, shape, chunks=None: g,),   # summed back by the central unbroadcast
    batch=_broadcast_to_batch)


def _broadcast_to(x, shape, chunks=None):
    """broadcast_to_p of x to shape (x itself if it has that shape), laid out in chunks
    where its library chunks arrays."""
    if np.shape(x) == tuple(shape):
        return x
    if chunks is None:
        return broadcast_to(x, shape)
    return bind(broadcast_to_p, (x,), dict(shape=tuple(shape), chunks=chunks))


def _batched_index(idx):
    """``(new, at)``: the index idx of one example as an index of the whole batch
    (batch axis first), and where the batch axis lands in the result.  It stays
    first unless idx has advanced indices (arrays, and integers beside them)
    separated by a slice, Ellipsis or None: NumPy then puts their dimensions first.
    An index array batched by another vmap is an array of its per-example shape."""
    items = idx if isinstance(idx, tuple) else (idx,)
    new = (slice(None),) + items
    arrays = [i for i in items if _is_index_array(i)]
    if not arrays:
        return new, 0
    adv = [k for k, i in enumerate(items) if _is_advanced(i)]
    if adv[-1] - adv[0] == len(adv) - 1:
        return new, 0
    shapes = [(int(np.count_nonzero(a)),) if backend.kind(a.dtype) == "b" else np.shape(a)
              for a in arrays]
    return new, len(np.broadcast_shapes(*shapes))


def _is_index_array(i):
    """An index array: NumPy's, another library's, or a traced one (batched by vmap)."""
    return isinstance(i, (np.ndarray, Tracer)) or backend.is_foreign(i)


def _is_advanced(i):
    """An advanced index item, when the index holds an array: an array or an integer."""
    return _is_index_array(i) or (
        isinstance(i, (int, np.integer)) and not isinstance(i, (bool, np.bool_)))


def _indexed_shape(shape, idx):
    """The shape of ``x[idx]`` for an x of this shape (an index array batched by vmap
    counts with its per-example shape)."""
    def stand_in(i):       # of the same shape, NumPy's (another library's array's values
        return np.zeros(tuple(i.shape), np.intp) if (     # stay where they are)
            isinstance(i, Tracer) or backend.is_foreign(i)) else i
    idx = tuple(map(stand_in, idx)) if isinstance(idx, tuple) else stand_in(idx)
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


# ---------------------------------------------------------------- indices batched by vmap
#
# x[i] where i (after strip) is batched by a vmap holds a different index array per
# example.  getitem_p and scatter_add_p keep such an i in their ``idx`` while their
# operand is batched by that vmap too (``_lift`` broadcasts it there first, so that
# the vmap's batching rule is the one to see the index); the rule turns the whole
# indexing into one gather (scatter) on the batch, with a static index: an
# ``arange`` over the batch axis beside the examples' index arrays.

def _index_traces(idx):
    """The vmap traces whose batched values are among idx's items, oldest first."""
    items = idx if isinstance(idx, tuple) else (idx,)
    found = {}
    for i in items:
        while isinstance(i, Tracer):        # a Batched (stripped), maybe of an outer vmap
            found[i._trace.level] = i._trace
            i = i.val
    return [found[k] for k in sorted(found)]


def _batched_by(x, trace):
    """Whether x, at some level of its nesting, is batched by ``trace``."""
    while isinstance(x, Tracer):
        if x._trace is trace:
            return True
        x = x.val if type(x) is Batched else x.primal
    return False


def _newest_level(x):
    level = 0
    while isinstance(x, Tracer):
        level = max(level, x._trace.level)
        x = x.val if type(x) is Batched else x.primal
    return level


def _lift(x, traces):
    """x, batched (broadcast along the batch) by each of these vmap traces."""
    for t in traces:
        if _batched_by(x, t):
            continue
        if _newest_level(x) < t.level:     # t goes outermost: wrap
            x = Batched(t, broadcast_to(x, (t.size,) + tuple(np.shape(x))))
        else:                               # inside newer traces: x times a batch of ones
            from ._elementwise import multiply
            dtype = _dtype(strip(x))
            x = multiply(x, Batched(t, backend.full((t.size,) + (1,) * np.ndim(x), 1, dtype, x)))
    return x


def _gather(x, idx, in_shape):
    """``x[idx]`` as getitem_p, for an idx that may hold vmap-batched index arrays."""
    traces = _index_traces(idx)
    if traces:
        x = _lift(x, traces)
    return bind(getitem_p, (x,), dict(idx=idx, in_shape=in_shape))


def _scatter(g, idx, shape):
    """scatter_add_p of g at idx into zeros of shape, idx as ``_gather``'s."""
    traces = _index_traces(idx)
    if traces:
        g = _lift(g, traces)
    return bind(scatter_add_p, (g,), dict(idx=idx, shape=shape))


def _own_items(idx, trace):
    items = idx if isinstance(idx, tuple) else (idx,)
    return any(isinstance(i, Tracer) and i._trace is trace for i in items)


def _whole_batch_index(idx, trace, shape):
    """For an index idx of one example (of ``shape``) holding index arrays batched by
    ``trace``: ``(new, perm)``, the static index of the whole batch (batch axis
    first) that gathers each example's own entries, and the permutation taking
    NumPy's layout of ``x[new]`` to the batch of the examples' results (None: the
    same).  Index arrays of other (outer) vmaps stay in new as they are."""
    items = idx if isinstance(idx, tuple) else (idx,)
    n = trace.size
    # Ellipsis spelled out, boolean masks as the integer arrays NumPy makes of them.
    used = builtins.sum(np.ndim(i) if isinstance(i, np.ndarray) and i.dtype == bool else
                        0 if i is None or i is Ellipsis else 1 for i in items)
    flat = []
    for i in items:
        if i is Ellipsis:
            flat.extend([slice(None)] * (len(shape) - used))
        elif isinstance(i, np.ndarray) and i.dtype == bool:
            flat.extend(np.nonzero(i))
        elif isinstance(i, Tracer) and backend.kind(i.dtype) not in "iu":
            raise IndexError(
                f"an index batched by vmap must hold integers, got dtype {i.dtype}"
                + ("; a boolean mask that differs per example would give each example a "
                   "result of its own size: use dualrev.numpy.where instead"
                   if np.dtype(i.dtype) == bool else ""))
        else:
            flat.append(i)
    adv = [k for k, i in enumerate(flat) if _is_advanced(i)]
    sel = np.broadcast_shapes(*(np.shape(flat[k]) for k in adv))
    r = len(sel)
    new = [np.arange(n).reshape((n,) + (1,) * r)]
    for i in flat:
        if isinstance(i, Tracer) and i._trace is trace:
            v = i.val                       # (n,) + the example's index shape
            i = _reshape(v, (n,) + (1,) * (r - (np.ndim(v) - 1)) + np.shape(v)[1:])
        new.append(i)
    perm = None
    if adv[0] > 0 and adv[-1] - adv[0] == len(adv) - 1:
        # Each example's result has its index dimensions where its index arrays are;
        # the batch's (led by the arange) has them first.
        before = builtins.sum(1 for i in flat[:adv[0]] if i is None or isinstance(i, slice))
        nd = 1 + len(_indexed_shape(shape, tuple(flat)))
        perm = ((0,) + tuple(range(1 + r, 1 + r + before)) + tuple(range(1, 1 + r))
                + tuple(range(1 + r + before, nd)))
    return tuple(new), perm


def _getitem_batch(batched, x, *, idx, in_shape, batch_trace):
    if not batched[0]:
        x = broadcast_to(x, (batch_trace.size,) + tuple(np.shape(x)))
    if _own_items(idx, batch_trace):
        new, perm = _whole_batch_index(idx, batch_trace, np.shape(x)[1:])
        out = _gather(x, new, np.shape(x))
        return out if perm is None else bind(transpose_p, (out,), dict(axes=perm))
    new, at = _batched_index(idx)
    return _from_batch_axis(_gather(x, new, np.shape(x)), at)


_getitem_batch.takes_trace = True

getitem_p = Primitive(
    "getitem", lambda x, *, idx, in_shape: x[idx],
    xp=lambda xp, x, *, idx, in_shape: _xp_getitem(xp, x, idx),
    jvp=(lambda x_dot, ans, x, *, idx, in_shape: _gather(x_dot, idx, in_shape),),
    vjp=(lambda g, ans, x, *, idx, in_shape: _scatter(g, idx, in_shape),),
    batch=_getitem_batch)


def _scatter_add(g, *, idx, shape):
    out = np.zeros(shape, dtype=np.result_type(g))
    if _is_basic(idx):
        out[idx] = g
    else:
        np.add.at(out, idx, g)
    return out


def _scatter_add_batch(batched, g, *, idx, shape, batch_trace):
    n = batch_trace.size
    sel = _indexed_shape(shape, idx)
    if not batched[0]:
        g = broadcast_to(g, (n,) + tuple(np.shape(g)))
    g = lift_batch(g, len(sel) - (np.ndim(g) - 1))
    if _own_items(idx, batch_trace):
        new, perm = _whole_batch_index(idx, batch_trace, shape)
        g = broadcast_to(g, (n,) + sel)
        if perm is not None:
            g = bind(transpose_p, (g,), dict(axes=tuple(np.argsort(perm))))
        return _scatter(g, new, (n,) + shape)
    new, at = _batched_index(idx)
    return _scatter(_to_batch_axis(g, at), new, (n,) + shape)


_scatter_add_batch.takes_trace = True

scatter_add_p = Primitive(
    "scatter_add", _scatter_add,
    xp=lambda xp, g, *, idx, shape: _xp_scatter_add(xp, g, idx, shape),
    jvp=(lambda g_dot, ans, g, *, idx, shape: _scatter(g_dot, idx, shape),),
    vjp=(lambda ct, ans, g, *, idx, shape: _gather(ct, idx, shape),),
    batch=_scatter_add_batch)


def _set_item(x, v, *, idx):
    out = np.array(x, copy=True)
    out[idx] = v
    return out


def _placed(v_dot, ans, idx):
    """v_dot placed at idx in zeros shaped like ans."""
    zeros = backend.zeros(np.shape(ans), backend.dtype(strip(ans)), ans)
    return bind(set_item_p, (zeros, v_dot), dict(idx=idx, v_shape=np.shape(v_dot),
                                                  wins=_last_writes(np.shape(ans), idx)))


def _value_ct(g, idx, v_shape, wins):
    """The cotangent of v in x[idx] = v: g at idx (where that write is the one that
    stays, when idx repeats a position), summed back to v's shape."""
    from ._reductions import _unbroadcast
    c = bind(getitem_p, (g,), dict(idx=idx, in_shape=np.shape(g)))
    if wins is not None:
        c = c * backend.asarray(wins, c, backend.dtype(strip(c)))
    return _unbroadcast(c, v_shape, backend.dtype(strip(c)))


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
    xp=lambda xp, x, v, *, idx, v_shape, wins: _gathered(
        xp, [x, xp.broadcast_to(xp.asarray(v, dtype=x.dtype, device=backend.device(x)),
                                _indexed_shape(np.shape(x), idx))],
        np.shape(x), _set_sources(idx, tuple(np.shape(x)))),
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
    xp=lambda xp, *xs, axis, sizes: xp.concat(list(xs), axis=axis),
    jvp=lambda i: (lambda x_dot, ans, *xs, axis, sizes: bind(
        scatter_add_p, (x_dot,), dict(idx=_concat_slice(i, sizes, axis), shape=np.shape(ans)))),
    vjp=lambda i: (lambda g, ans, *xs, axis, sizes: bind(
        getitem_p, (g,), dict(idx=_concat_slice(i, sizes, axis), in_shape=np.shape(g)))),
    batch=_concatenate_batch)


# ---------------------------------------------------------------- other libraries' arrays
# Scattering (x[idx] += g, x[idx] = v) is not in the array API standard: on other
# libraries' arrays it is a gather instead.  The index is static, so NumPy works out,
# for every position of the output, which element of the flattened inputs lands there;
# the library then gathers them (``take``) in one pass per repeated position.

def _xp_getitem(xp, x, idx):
    """x[idx] on another library's array.  A basic index is the library's own (with a
    trailing Ellipsis: the standard asks for one where NumPy implies it); an index with
    arrays is a gather of the flattened array at the static positions NumPy finds.
    Dask plans its chunks from host index arrays: it indexes natively where it can (one
    index array, of at most one dimension), else by the positions in its flattened array."""
    items = idx if isinstance(idx, tuple) else (idx,)
    if backend.library(x) == "dask":
        arrays = [i for i in items if isinstance(i, np.ndarray)]
        if len(arrays) <= 1 and all(np.ndim(i) <= 1 for i in arrays):
            return x[idx]
        pos = np.arange(int(np.prod(np.shape(x)))).reshape(np.shape(x))[idx]
        return xp.reshape(xp.reshape(x, (-1,))[pos.reshape(-1)], pos.shape)
    if any(map(backend.is_foreign, items)):
        shape = tuple(np.shape(x))
        lin, s, k = _lead_positions(x, items, shape)
        rows = xp.reshape(x, shape[:s] + (int(np.prod(shape[s:s + k])),) + shape[s + k:])
        out = xp.take(rows, xp.reshape(lin, (-1,)), axis=s)
        return xp.reshape(out, shape[:s] + tuple(lin.shape) + shape[s + k:])
    if any(isinstance(i, np.ndarray) for i in items):
        pos = np.arange(int(np.prod(np.shape(x)))).reshape(np.shape(x))[idx]
        flat = xp.take(xp.reshape(x, (-1,)), backend.asarray(pos.reshape(-1), x))
        return xp.reshape(flat, pos.shape)
    if not any(i is Ellipsis for i in items):
        items = items + (Ellipsis,)
    return x[items]


def _lead_positions(x, items, shape):
    """For an index of whole slices on the first s axes of an array of ``shape``, then
    integer arrays (some of x's library, computed there) and integers on the next k:
    ``(lin, s, k)``, lin the flat positions over those k axes (the index arrays
    broadcast), an array of x's library."""
    s = 0
    while s < len(items) and isinstance(items[s], slice) and items[s] == slice(None):
        s += 1
    adv = items[s:]
    ok = s + len(adv) <= len(shape) and all(
        isinstance(i, (int, np.integer)) and not isinstance(i, bool) or
        (isinstance(i, np.ndarray) or backend.is_foreign(i)) and backend.kind(i.dtype) in "iu"
        for i in adv)
    if not ok:
        raise NotImplementedError(
            f"indexing an array of {backend.library(x)} with index arrays of that library is "
            f"supported for integer arrays and integers after whole slices, not {items!r}")
    lin, stride = 0, 1
    for k in range(len(adv) - 1, -1, -1):
        i = adv[k]
        i = backend.asarray(i, x) if isinstance(i, np.ndarray) else i
        lin = lin + (i % shape[s + k]) * stride
        stride *= shape[s + k]
    return (lin if backend.is_foreign(lin) else backend.asarray(lin, x)), s, len(adv)


def _xp_scatter_add(xp, g, idx, shape):
    """scatter_add_p on another library's arrays: a gather at static positions, or, for
    index arrays of the library itself, a contraction with their one-hot matrix (exact
    sums over repeated positions; memory: positions times selected elements)."""
    items = idx if isinstance(idx, tuple) else (idx,)
    if not any(map(backend.is_foreign, items)):
        return _gathered(xp, [g], shape, _scatter_sources(idx, shape))
    shape = tuple(shape)
    lin, s, k = _lead_positions(g, items, shape)
    n = int(np.prod(shape[s:s + k]))
    hots = xp.astype(xp.reshape(lin, (1, -1)) == xp.reshape(
        xp.arange(n, device=backend.device(g)), (-1, 1)), g.dtype)
    g = xp.reshape(g, shape[:s] + (int(np.prod(tuple(lin.shape))),) + shape[s + k:])
    out = xp.tensordot(hots, g, axes=([1], [s]))          # the positions' axis first
    out = xp.permute_dims(out, tuple(range(1, s + 1)) + (0,) + tuple(range(s + 1, out.ndim)))
    return xp.reshape(out, shape)


def _scatter_sources(idx, shape):
    """For scatter_add of g (the shape of the selection x[idx], x of ``shape``) into zeros:
    rows of flat sources, one row per repeat of a position; entry p of a row is the flat
    index into g of an element added at p, or g.size (a zero) where none is."""
    pos = np.arange(int(np.prod(shape))).reshape(shape)[idx].reshape(-1)
    order = np.argsort(pos, kind="stable")
    ranks = np.arange(len(pos)) - np.searchsorted(pos[order], pos[order])
    rows = np.full((int(ranks.max(initial=-1)) + 1, int(np.prod(shape))), len(pos))
    rows[ranks, pos[order]] = order
    return rows


def _set_sources(idx, shape):
    """For x[idx] = v (v broadcast to the selection): one row of flat sources into the
    concatenation of x and v: x's own element, or the last write to that position."""
    size = int(np.prod(shape))
    src = np.arange(size)
    pos = np.arange(size).reshape(shape)[idx].reshape(-1)
    src[pos] = size + np.arange(len(pos))   # NumPy keeps the last write to a position
    return src[None]


def _gathered(xp, parts, shape, rows):
    """The sum over rows of the flattened parts (concatenated, then a zero) gathered at
    each row's sources, shaped ``shape``."""
    like = parts[0]
    flat = [xp.reshape(p, (-1,)) for p in parts]
    flat.append(backend.zeros((1,), like.dtype, like))
    pool = xp.concat(flat, axis=0)
    out = None
    for r in rows:
        part = xp.take(pool, backend.asarray(r, like))
        out = part if out is None else out + part
    return xp.reshape(out, tuple(shape))


def _is_basic(idx):
    items = idx if isinstance(idx, tuple) else (idx,)
    return all(i is None or i is Ellipsis or isinstance(i, (int, np.integer, slice))
               and not isinstance(i, bool) for i in items)


def _reshape(x, shape):
    in_shape = np.shape(x)
    if in_shape == shape:
        return x
    return bind(reshape_p, (x,), dict(shape=shape, in_shape=in_shape))


@numpy_first(np.reshape, one_array=True)
def reshape(a, newshape=None, order="C", *, shape=None):
    """Differentiable ``numpy.reshape`` (C order)."""
    if shape is None:
        shape = newshape
    if shape is None:
        raise TypeError("reshape: missing the new shape")
    if order != "C":
        raise NotImplementedError("reshape: only order='C' is supported")
    if plain(a):
        try:
            return np.reshape(a, shape)
        except CONVERSION_ERRORS:
            a = traced_array(a)
    shape = _resolve_shape(backend.known_shape(a, "reshape"), shape)
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


@dispatching_composite(np.ravel, one_array=True)
def ravel(a):
    """Differentiable ``numpy.ravel``."""
    return reshape(a, (-1,))


@numpy_first(np.transpose, one_array=True)
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
    if plain(a):
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


@dispatching_composite(np.swapaxes, one_array=True)
def swapaxes(a, axis1, axis2):
    """Differentiable ``numpy.swapaxes``."""
    try:
        nd = np.ndim(strip(a))
    except CONVERSION_ERRORS:
        return swapaxes(traced_array(a), axis1, axis2)
    axis1 = _normalize_axes(axis1, nd, "swapaxes")[0]
    axis2 = _normalize_axes(axis2, nd, "swapaxes")[0]
    if plain(a):
        return np.swapaxes(a, axis1, axis2)
    axes = list(range(nd))
    axes[axis1], axes[axis2] = axes[axis2], axes[axis1]
    return transpose(a, axes)


@dispatching_composite(np.moveaxis, one_array=True)
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
    if plain(a):
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
    if plain(array):
        try:
            return np.broadcast_to(array, shape)
        except CONVERSION_ERRORS:
            array = traced_array(array)
    shape = (int(shape),) if isinstance(shape, (int, np.integer)) else tuple(int(s) for s in shape)
    if np.shape(array) == shape:
        return array
    np.broadcast_shapes(np.shape(array), shape)   # raises NumPy's error if incompatible
    return bind(broadcast_to_p, (array,), dict(shape=shape))


@dispatching_composite(np.expand_dims, one_array=True)
def expand_dims(a, axis):
    """Differentiable ``numpy.expand_dims``."""
    try:
        shape = np.shape(strip(a))
    except CONVERSION_ERRORS:
        return expand_dims(traced_array(a), axis)
    added = len(axis) if isinstance(axis, (list, tuple)) or np.ndim(axis) == 1 else 1
    axes = _normalize_axes(axis, len(shape) + added, "expand_dims")
    if plain(a):
        return np.expand_dims(a, axis)
    return _reshape(a, np.expand_dims(np.empty(shape, dtype=bool), axes).shape)


@dispatching_composite(np.squeeze, one_array=True)
def squeeze(a, axis=None):
    """Differentiable ``numpy.squeeze``."""
    try:
        shape = np.shape(strip(a))
    except CONVERSION_ERRORS:
        return squeeze(traced_array(a), axis)
    if axis is not None:
        axis = tuple(_normalize_axes(axis, len(shape), "squeeze"))
    if plain(a):
        return np.squeeze(a, axis)
    return _reshape(a, np.squeeze(np.empty(shape, dtype=bool), axis).shape)


def getitem(x, idx):
    """``x[idx]``: basic slicing and integer-array indexing.  Under vmap an index
    may differ per example (a batched integer array, e.g. per-example labels):
    the whole batch is then gathered at once.

        >>> dualrev.vmap(lambda logp, y: logp[y])(logps, labels)   # logps[b, labels[b]]
    """
    idx = _static_index(idx)
    traces = _index_traces(idx)
    if traces:
        x = _lift(x, traces)
    elif plain(x):
        return x[idx]
    return bind(getitem_p, (x,), dict(idx=idx, in_shape=np.shape(x)))


def set_item(x, idx, v):
    """A copy of x with ``x[idx] = v`` applied: differentiable in x and v."""
    idx = _static_index(idx)
    if _index_traces(idx):
        raise NotImplementedError(
            "set_item (x[idx] = v) with an index batched by vmap (a different index per "
            "example) is not supported; build the result with dualrev.numpy.where and a "
            "comparison with the index instead, or index with in_axes=None for it")
    if plain(x) and plain(v):
        return _set_item(x, v, idx=idx)
    return bind(set_item_p, (x, v), dict(idx=idx, v_shape=np.shape(strip(v)),
                                         wins=_last_writes(np.shape(strip(x)), idx)))


def _static_index(idx):
    if isinstance(idx, tuple):
        return tuple(_static_index_item(i) for i in idx)
    return _static_index_item(idx)


def _static_index_item(i):
    i = strip(i)        # under vmap, a batched index stays: getitem gathers with it
    if isinstance(i, (list, np.ndarray)):
        i = np.asarray(i)
        if i.dtype.kind == "f":
            raise IndexError("only integers, slices, None, Ellipsis and integer or "
                             "boolean arrays are valid indices")
    return i


@numpy_first(np.concatenate, one_array=True)
def concatenate(arrays, axis=0):
    """Differentiable ``numpy.concatenate``."""
    arrays = tuple(arrays)
    try:
        if axis is not None and arrays:
            nd = np.ndim(strip(arrays[0]))
            if nd == 0:
                raise ValueError("concatenate: zero-dimensional arrays cannot be concatenated")
            axis = _normalize_axes(axis, nd, "concatenate")[0]
        if all(map(plain, arrays)):
            return np.concatenate(arrays, axis=axis)
        if axis is None:
            return concatenate([ravel(a) for a in arrays], axis=0)
        sizes = tuple(np.shape(strip(a))[axis] for a in arrays)
        return bind(concatenate_p, arrays, dict(axis=axis, sizes=sizes))
    except CONVERSION_ERRORS:
        return concatenate(traced_arrays(arrays), axis)


@dispatching_composite(np.stack, one_array=True)
def stack(arrays, axis=0):
    """Differentiable ``numpy.stack``."""
    arrays = tuple(arrays)
    try:
        if arrays:
            axis = _normalize_axes(axis, np.ndim(strip(arrays[0])) + 1, "stack")[0]
        if all(map(plain, arrays)):
            return np.stack(arrays, axis=axis)
        shapes = {np.shape(strip(a)) for a in arrays}
    except CONVERSION_ERRORS:
        return stack(traced_arrays(arrays), axis)
    if len(shapes) != 1:
        raise ValueError("stack: all input arrays must have the same shape")
    return concatenate([expand_dims(a, axis) for a in arrays], axis=axis)
