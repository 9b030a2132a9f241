"""Rearranging arrays: flip, roll, rot90, tile, repeat, pad, resize; splitting (split,
array_split, hsplit, vsplit, dsplit, unstack) and joining (hstack, vstack, dstack,
column_stack, row_stack, block, append, insert, delete); atleast_1d/2d/3d,
broadcast_arrays, meshgrid, matrix_transpose, permute_dims, rollaxis; the methods
``flatten``, ``repeat`` and ``copy`` of traced values.

flip, roll, repeat and constant padding are primitives with rules of their own (flip's
transpose is flip, roll's is roll back, repeat's a segment sum).  The rest are
compositions of the shape primitives (reshape, transpose, broadcast_to, getitem,
concatenate), so every transformation and every array library those support is
supported here.  Positions (split points, indices, repeat counts, pad widths) are
constants.
"""
import math
import operator
import warnings

import numpy as np

from .. import backend
from ..core import Primitive, Tracer, bind, strip
from ._dispatch import (array_of, composite, dispatching_composite, holds_tracer, numpy_first,
                        plain)
from ._elementwise import add, astype, multiply, subtract
from ._reductions import _sum, max as _amax, mean as _mean, min as _amin
from ._shape import (AxisError, _normalize_axes, _reshape, broadcast_to, concatenate, stack,
                     getitem, moveaxis, swapaxes, transpose)

__all__ = ["flip", "fliplr", "flipud", "roll", "rot90", "tile", "repeat", "pad", "resize",
           "split", "array_split", "hsplit", "vsplit", "dsplit", "unstack",
           "hstack", "vstack", "dstack", "column_stack", "row_stack", "block", "append",
           "insert", "delete", "atleast_1d", "atleast_2d", "atleast_3d", "broadcast_arrays",
           "meshgrid", "matrix_transpose", "permute_dims", "rollaxis", "concat", "copy",
           "trim_zeros", "apply_along_axis", "apply_over_axes"]


def _arr(a):
    """a as a value dualrev computes with: a list holding traced values stacked into one
    traced array, another list or scalar as a NumPy array, an array as it is."""
    if isinstance(a, Tracer) or backend.is_foreign(a):
        return a
    if holds_tracer(a):
        return array_of(a)
    return np.asarray(a)


def _shape(a, who):
    return backend.known_shape(strip(a), who)


def _along(axis, idx):
    """The index of idx on axis ``axis`` (whole slices before it)."""
    return (slice(None),) * axis + (idx,)


def _as_slice(idx):
    """A 1-d integer index array as the equal slice where its steps are constant
    (basic indexing: a cheaper gather and scatter), else as it is."""
    n = len(idx)
    if n == 0:
        return slice(0, 0)
    step = int(idx[1] - idx[0]) if n > 1 else 1
    if step == 0 or np.any(np.diff(idx) != step):
        return idx
    start, stop = int(idx[0]), int(idx[-1]) + (1 if step > 0 else -1)
    return slice(start, None if stop < 0 else stop, step)


def _xp_take(xp, x, idx, axis):
    """x gathered at the NumPy integer array idx along axis, in x's library."""
    if backend.library(x) == "dask":
        return x[_along(axis, idx)]
    return xp.take(x, backend.asarray(idx, x), axis=axis)


# ---------------------------------------------------------------- flip

def _shifted(axes):
    return tuple(a + 1 for a in axes)


flip_p = Primitive(
    "flip", lambda x, *, axes: np.flip(x, axes),
    xp=lambda xp, x, *, axes: xp.flip(x, axis=axes),
    jvp=(lambda x_dot, ans, x, *, axes: bind(flip_p, (x_dot,), dict(axes=axes)),),
    vjp=(lambda g, ans, x, *, axes: bind(flip_p, (g,), dict(axes=axes)),),
    batch=lambda batched, x, *, axes: bind(flip_p, (x,), dict(axes=_shifted(axes))))


def _flip(x, axes):
    return bind(flip_p, (x,), dict(axes=tuple(axes))) if axes else x


@numpy_first(np.flip, one_array=True)
def flip(m, axis=None):
    """Differentiable ``numpy.flip``: the order of the elements along the axes (all
    of them if axis is None) reversed.  Its derivative is the flip of the tangent.

        >>> dnp.flip(x, 0)          # x 2x3: its rows in reverse order
    """
    m = _arr(m)
    if plain(m):
        return np.flip(m, axis)
    nd = len(_shape(m, "flip"))
    axes = range(nd) if axis is None else _normalize_axes(axis, nd, "flip")
    return _flip(m, tuple(axes))


@dispatching_composite(np.fliplr, one_array=True)
def fliplr(m):
    """Differentiable ``numpy.fliplr``: columns (axis 1) reversed.

        >>> dnp.fliplr(x)           # x 2x3: x[:, ::-1]
    """
    m = _arr(m)
    if len(_shape(m, "fliplr")) < 2:
        raise ValueError("Input must be >= 2-d.")
    return _flip(m, (1,))


@dispatching_composite(np.flipud, one_array=True)
def flipud(m):
    """Differentiable ``numpy.flipud``: rows (axis 0) reversed.

        >>> dnp.flipud(x)           # x[::-1]
    """
    m = _arr(m)
    if len(_shape(m, "flipud")) < 1:
        raise ValueError("Input must be >= 1-d.")
    return _flip(m, (0,))


# ---------------------------------------------------------------- roll

roll_p = Primitive(
    "roll", lambda x, *, shifts, axes: np.roll(x, shifts, axes),
    xp=lambda xp, x, *, shifts, axes: xp.roll(x, shift=shifts, axis=axes),
    jvp=(lambda x_dot, ans, x, *, shifts, axes: bind(roll_p, (x_dot,),
                                                      dict(shifts=shifts, axes=axes)),),
    vjp=(lambda g, ans, x, *, shifts, axes: bind(
        roll_p, (g,), dict(shifts=tuple(-s for s in shifts), axes=axes)),),
    batch=lambda batched, x, *, shifts, axes: bind(roll_p, (x,),
                                                   dict(shifts=shifts, axes=_shifted(axes))))


@numpy_first(np.roll, one_array=True)
def roll(a, shift, axis=None):
    """Differentiable ``numpy.roll``: elements shifted cyclically along the axes (the
    flattened array if axis is None); shift and axis may be tuples (broadcast against
    each other; shifts of a repeated axis add up).  Its VJP rolls back.

        >>> dnp.roll(x, (1, -1), axis=(0, 1))
    """
    a = _arr(a)
    if plain(a):
        return np.roll(a, shift, axis)
    shape = _shape(a, "roll")
    if axis is None:
        return _reshape(roll(_reshape(a, (math.prod(shape),)), shift, 0), shape)
    shifts, axes = np.broadcast_arrays(np.asarray(strip(shift)), np.asarray(axis))
    if shifts.ndim > 1:
        raise ValueError("'shift' and 'axis' should be scalars or 1D sequences")
    if shifts.dtype.kind not in "iu" or axes.dtype.kind not in "iu":
        raise TypeError("roll: shift and axis must be integers")
    total = {}
    for s, ax in zip(shifts.reshape(-1).tolist(), axes.reshape(-1).tolist()):
        ax = _normalize_axes(ax, len(shape), "roll")[0]
        total[ax] = total.get(ax, 0) + s
    total = {ax: s % shape[ax] for ax, s in total.items() if shape[ax]}
    total = {ax: s for ax, s in sorted(total.items()) if s}
    if not total:
        return a
    return bind(roll_p, (a,), dict(shifts=tuple(total.values()), axes=tuple(total)))


# ---------------------------------------------------------------- rot90, transposes

@dispatching_composite(np.rot90, one_array=True)
def rot90(m, k=1, axes=(0, 1)):
    """Differentiable ``numpy.rot90``: k quarter turns in the plane of axes, from the
    first axis towards the second.

        >>> dnp.rot90(x)            # x 2x3: 3x2, x's last column first
    """
    m = _arr(m)
    axes = tuple(axes)
    if len(axes) != 2:
        raise ValueError("len(axes) must be 2.")
    nd = len(_shape(m, "rot90"))
    if axes[0] == axes[1] or abs(axes[0] - axes[1]) == nd:
        raise ValueError("Axes must be different.")
    if not all(-nd <= ax < nd for ax in axes):
        raise ValueError(f"Axes={axes} out of range for array of ndim={nd}.")
    a0, a1 = (ax % nd for ax in axes)
    k = operator.index(k) % 4
    if k == 0:
        return m
    if k == 2:
        return _flip(m, tuple(sorted((a0, a1))))
    perm = list(range(nd))
    perm[a0], perm[a1] = perm[a1], perm[a0]
    return transpose(_flip(m, (a1 if k == 1 else a0,)), perm)


@dispatching_composite(getattr(np, "matrix_transpose", None), one_array=True)
def matrix_transpose(x):
    """Differentiable ``numpy.matrix_transpose``: the last two axes swapped.

        >>> dnp.matrix_transpose(x)     # x 4x2x3: 4x3x2
    """
    x = _arr(x)
    if len(_shape(x, "matrix_transpose")) < 2:
        raise ValueError("Input array must be at least 2-dimensional")
    return swapaxes(x, -1, -2)


@dispatching_composite(getattr(np, "permute_dims", None), one_array=True)
def permute_dims(a, axes=None):
    """Differentiable ``numpy.permute_dims`` (the array API's name of ``transpose``).

        >>> dnp.permute_dims(x, (2, 0, 1))
    """
    return transpose(_arr(a), axes)


@dispatching_composite(np.rollaxis, one_array=True)
def rollaxis(a, axis, start=0):
    """Differentiable ``numpy.rollaxis``: axis moved to lie before position start.

        >>> dnp.rollaxis(x, 2)      # x 2x3x4: 4x2x3
    """
    a = _arr(a)
    nd = len(_shape(a, "rollaxis"))
    axis = _normalize_axes(axis, nd, "rollaxis")[0]
    start = operator.index(start)
    if not -nd <= start <= nd:
        raise AxisError(f"'start' arg requires {-nd} <= start < {nd + 1}, but {start} was passed in")
    start = start + nd if start < 0 else start
    if axis < start:
        start -= 1
    if axis == start:
        return a
    order = [n for n in range(nd) if n != axis]
    order.insert(start, axis)
    return transpose(a, order)


# ---------------------------------------------------------------- tile, repeat, resize

@dispatching_composite(np.tile, one_array=True)
def tile(A, reps):
    """Differentiable ``numpy.tile``: A repeated reps times along each axis.  A
    broadcast between two reshapes, so its VJP is a reshape and a sum.

        >>> dnp.tile(x, (2, 1))     # x 2x3: 4x3, x stacked on itself
    """
    A = _arr(A)
    reps = tuple(map(operator.index, reps)) if np.ndim(reps) else (operator.index(reps),)
    if any(r < 0 for r in reps):
        raise ValueError(f"tile: reps must be non-negative, got {reps}")
    shape = _shape(A, "tile")
    nd = max(len(shape), len(reps))
    shape = (1,) * (nd - len(shape)) + shape
    reps = (1,) * (nd - len(reps)) + reps
    spread, wide, out = (), (), ()
    for n, r in zip(shape, reps):
        spread += (n,) if r == 1 else (1, n)
        wide += (n,) if r == 1 else (r, n)
        out += (n * r,)
    A = _reshape(A, spread)
    if wide != spread:
        A = broadcast_to(A, wide)
    return _reshape(A, out)


def _segment_sum(g, *, counts, axis):
    """g summed along axis over consecutive runs of lengths counts (zero where a run is
    empty): the transpose of repeat."""
    shape = list(np.shape(g))
    shape[axis] = len(counts)
    nonempty = counts > 0
    starts = np.cumsum(counts) - counts
    if nonempty.all():
        return np.add.reduceat(g, starts, axis=axis)
    out = np.zeros(shape, np.result_type(g))
    if nonempty.any():
        out[_along(axis, nonempty)] = np.add.reduceat(g, starts[nonempty], axis=axis)
    return out


def _repeat_index(counts):
    return np.repeat(np.arange(len(counts)), counts)


def _xp_segment_sum(xp, g, counts, axis):
    from ._shape import _xp_scatter_add
    shape = list(g.shape)
    shape[axis] = len(counts)
    return _xp_scatter_add(xp, g, _along(axis, _repeat_index(counts)), tuple(shape))


# The VJP of repeat with per-element counts (its own VJP is repeat).
segment_sum_p = Primitive(
    "repeat_transpose", _segment_sum,
    xp=lambda xp, g, *, counts, axis: _xp_segment_sum(xp, g, counts, axis),
    jvp=(lambda g_dot, ans, g, *, counts, axis: bind(segment_sum_p, (g_dot,),
                                                      dict(counts=counts, axis=axis)),),
    vjp=(lambda ct, ans, g, *, counts, axis: bind(repeat_p, (ct,),
                                                  dict(repeats=counts, axis=axis)),),
    batch=lambda batched, g, *, counts, axis: bind(segment_sum_p, (g,),
                                                   dict(counts=counts, axis=axis + 1)),
    register=False)


def _repeat_vjp(g, ans, x, *, repeats, axis):
    if isinstance(repeats, np.ndarray):
        return bind(segment_sum_p, (g,), dict(counts=repeats, axis=axis))
    shape = np.shape(g)
    runs = _reshape(g, shape[:axis] + (shape[axis] // repeats, repeats) + shape[axis + 1:])
    return _sum(runs, (axis + 1,), False)


def _xp_repeat(xp, x, repeats, axis):
    n = x.shape[axis]
    counts = repeats if isinstance(repeats, np.ndarray) else np.full(n, repeats)
    return _xp_take(xp, x, _repeat_index(counts), axis)


# ``repeats``: an int (every element) or a NumPy array of counts, one per element.
repeat_p = Primitive(
    "repeat", lambda x, *, repeats, axis: np.repeat(x, repeats, axis),
    xp=lambda xp, x, *, repeats, axis: _xp_repeat(xp, x, repeats, axis),
    jvp=(lambda x_dot, ans, x, *, repeats, axis: bind(repeat_p, (x_dot,),
                                                       dict(repeats=repeats, axis=axis)),),
    vjp=(_repeat_vjp,),
    batch=lambda batched, x, *, repeats, axis: bind(repeat_p, (x,),
                                                    dict(repeats=repeats, axis=axis + 1)))


@numpy_first(np.repeat, one_array=True)
def repeat(a, repeats, axis=None):
    """Differentiable ``numpy.repeat``: each element repeated ``repeats`` times (an int,
    or one count per element along axis) along axis (of the flattened array if axis is
    None).  Its VJP sums each run of repeats.

        >>> dnp.repeat(x, [1, 0, 2])    # x = [a, b, c]: [a, c, c]
    """
    a = _arr(a)
    if plain(a):
        return np.repeat(a, repeats, axis)
    shape = _shape(a, "repeat")
    if axis is None:
        a, axis = _reshape(a, (math.prod(shape),)), 0
        shape = (math.prod(shape),)
    else:
        axis = _normalize_axes(axis, len(shape), "repeat")[0]
    r = np.asarray(strip(repeats))
    if r.dtype.kind not in "iub":
        raise TypeError(f"Cannot cast array data from {r.dtype!r} to dtype('int64') "
                        f"according to the rule 'safe'")
    if r.ndim > 1:
        raise ValueError("repeat: repeats must be an integer or a 1-d sequence of integers")
    if np.any(r < 0):
        raise ValueError("repeat: repeats may not contain negative values")
    if r.size == 1 and r.reshape(()) > 0:
        r = int(r.reshape(()))
        if r == 1:
            return a
    else:
        r = np.broadcast_to(r.reshape(-1), (shape[axis],)) if r.size == 1 else r
        if r.size != shape[axis]:
            raise ValueError(f"operands could not be broadcast together with shape "
                             f"({shape[axis]},) ({r.size},)")
        r = r.astype(np.intp)
    return bind(repeat_p, (a,), dict(repeats=r, axis=axis))


@dispatching_composite(np.resize, one_array=True)
def resize(a, new_shape):
    """Differentiable ``numpy.resize``: the flattened array repeated cyclically to fill
    new_shape (zeros if a or new_shape is empty).

        >>> dnp.resize(x, (2, 4))   # x = [a, b, c]: [[a, b, c, a], [b, c, a, b]]
    """
    a = _arr(a)
    new_shape = (tuple(map(operator.index, new_shape)) if np.ndim(new_shape)
                 else (operator.index(new_shape),))
    if any(n < 0 for n in new_shape):
        raise ValueError("all elements of `new_shape` must be non-negative")
    size, new_size = math.prod(_shape(a, "resize")), math.prod(new_shape)
    if size == 0 or new_size == 0:
        return backend.zeros(new_shape, backend.dtype(strip(a)), a)
    flat = tile(_reshape(a, (size,)), -(-new_size // size))
    if new_size % size:
        flat = getitem(flat, slice(0, new_size))
    return _reshape(flat, new_shape)


# ---------------------------------------------------------------- pad

def _pairs(x, nd, as_index=False):
    """x broadcast to nd (before, after) pairs as NumPy's pad reads its arguments: one
    value for all, one pair for every axis, or one pair per axis."""
    x = np.asarray(x)
    if as_index:
        x = np.round(x).astype(np.intp, copy=False)
    if x.ndim < 3 and x.size == 1:
        x = np.broadcast_to(x.reshape(()), (nd, 2))
    elif x.ndim < 3 and x.size == 2 and x.shape != (2, 1):
        x = np.broadcast_to(x.reshape(2), (nd, 2))
    elif x.size:
        x = np.broadcast_to(x, (nd, 2))
    if as_index and x.size and x.min() < 0:
        raise ValueError("index can't contain negative values")
    return np.broadcast_to(x, (nd, 2))


def _traced_pairs(v, nd):
    """_pairs of a traced value: a function (axis, side) -> the traced value there."""
    shape = np.shape(strip(v))
    if len(shape) < 3 and math.prod(shape) == 1:
        v = _reshape(v, ())
        return lambda i, j: v
    if len(shape) < 3 and math.prod(shape) == 2 and shape != (2, 1):
        v = _reshape(v, (2,))
        return lambda i, j: getitem(v, j)
    v = broadcast_to(v, (nd, 2))
    return lambda i, j: getitem(v, (i, j))


def _pad_widths(pad_width, nd):
    if isinstance(pad_width, dict):
        seq = [(0, 0)] * nd
        for ax, w in pad_width.items():
            seq[ax] = (w, w) if isinstance(w, int) else tuple(w)
        pad_width = seq
    pw = np.asarray(pad_width)
    if pw.dtype.kind != "i":
        raise TypeError("`pad_width` must be of integral type.")
    return tuple((int(b), int(a)) for b, a in _pairs(pw, nd, as_index=True))


def _python_scalar(v):
    v = np.asarray(v).reshape(())
    return v.item()


def _pad_constant_batch(batched, x, *, pad_width, values):
    return bind(pad_constant_p, (x,), dict(pad_width=((0, 0),) + pad_width,
                                          values=((0, 0),) + values))


def _xp_pad_constant(xp, x, pad_width, values):
    for axis, ((b, a), (vb, va)) in enumerate(zip(pad_width, values)):
        parts = [x]
        for width, v, at in ((b, vb, 0), (a, va, 1)):
            if width:
                shape = list(x.shape)
                shape[axis] = width
                parts.insert(at * len(parts), backend.full(tuple(shape), v, x.dtype, x))
        if len(parts) > 1:
            x = xp.concat(parts, axis=axis)
    return x


def _unpadded(g, pad_width):
    shape = np.shape(g)
    return getitem(g, tuple(slice(b, n - a) for (b, a), n in zip(pad_width, shape)))


# Padding with constants (``values``: static (before, after) pairs of Python scalars).
pad_constant_p = Primitive(
    "pad_constant", lambda x, *, pad_width, values: np.pad(x, pad_width,
                                                           constant_values=values),
    xp=lambda xp, x, *, pad_width, values: _xp_pad_constant(xp, x, pad_width, values),
    jvp=(lambda x_dot, ans, x, *, pad_width, values: bind(
        pad_constant_p, (x_dot,), dict(pad_width=pad_width, values=((0, 0),) * len(pad_width))),),
    vjp=(lambda g, ans, x, *, pad_width, values: _unpadded(g, pad_width),),
    batch=_pad_constant_batch)

_PAD_KWARGS = {"constant": {"constant_values"}, "empty": set(), "edge": set(), "wrap": set(),
               "linear_ramp": {"end_values"}, "reflect": {"reflect_type"},
               "symmetric": {"reflect_type"}, "maximum": {"stat_length"},
               "minimum": {"stat_length"}, "mean": {"stat_length"}, "median": {"stat_length"}}


def _piece(x, axis, start, stop):
    """x[start:stop] along axis (Python's slice semantics)."""
    return getitem(x, _along(axis, slice(start, stop)))


def _block_shape(x, axis, width):
    shape = list(np.shape(x))
    shape[axis] = width
    return tuple(shape)


def _joined(before, x, after, axis):
    parts = [p for p in (before, x, after) if p is not None]
    return x if len(parts) == 1 else concatenate(parts, axis)


def _pad_edge(x, axis, widths, n):
    wb, wa = widths
    before = broadcast_to(_piece(x, axis, 0, 1), _block_shape(x, axis, wb)) if wb else None
    after = broadcast_to(_piece(x, axis, n - 1, n), _block_shape(x, axis, wa)) if wa else None
    return _joined(before, x, after, axis)


def _pad_gather(x, axis, widths, n, mode):
    """Modes whose padding repeats elements of x (wrap, even reflections): a gather at
    the positions NumPy's pad gives an arange."""
    wb, wa = widths
    where = np.pad(np.arange(n), widths, mode=mode)
    before = getitem(x, _along(axis, _as_slice(where[:wb]))) if wb else None
    after = getitem(x, _along(axis, _as_slice(where[wb + n:]))) if wa else None
    return _joined(before, x, after, axis)


def _pad_odd(x, axis, widths, n, mode):
    """Odd reflections: each block is twice the edge less the reflection of the values
    next to it; past the array's length, the reflections repeat outwards from the
    newest edge."""
    skip = 1 if mode == "reflect" else 0
    for side, width in enumerate(widths):
        while width:
            m = np.shape(x)[axis]
            step = min(width, n - skip)
            width -= step
            if side == 0:
                edge = _piece(x, axis, 0, 1)
                block = _flip(_piece(x, axis, skip, skip + step), (axis,))
                x = concatenate([subtract(multiply(2, edge), block), x], axis)
            else:
                edge = _piece(x, axis, m - 1, m)
                block = _flip(_piece(x, axis, m - skip - step, m - skip), (axis,))
                x = concatenate([x, subtract(multiply(2, edge), block)], axis)
    return x


def _pad_ramp(x, axis, widths, n, end):
    """Linear ramps from the end values (outermost) to the edges, as NumPy's linspace
    (endpoint excluded) builds them."""
    blocks = []
    for side, width in enumerate(widths):
        if not width:
            blocks.append(None)
            continue
        edge = _piece(x, axis, 0, 1) if side == 0 else _piece(x, axis, n - 1, n)
        e = end(axis, side)
        if isinstance(e, Tracer) or backend.is_foreign(e):
            e = astype(e, backend.dtype(strip(x)))
        k = np.arange(width).reshape((-1,) + (1,) * (np.ndim(x) - axis - 1))
        if side == 1:
            k = k[::-1]
        k = backend.asarray(k, strip(x), backend.dtype(strip(x)))
        step = subtract(edge, e) / width
        blocks.append(add(multiply(k, step), e))
    return _joined(blocks[0], x, blocks[1], axis)


def _pad_stat(x, axis, widths, n, lengths, mode):
    from ._statistics import median
    stat = {"maximum": _amax, "minimum": _amin, "mean": _mean, "median": median}[mode]
    lb, la = (n if s is None or s > n else int(s) for s in lengths)
    if lb == 0 or la == 0:
        raise ValueError("stat_length of 0 yields no value for padding")
    if not any(widths):
        return x
    first = stat(_piece(x, axis, 0, lb), axis=axis, keepdims=True)
    last = first if lb == la == n else stat(_piece(x, axis, n - la, n), axis=axis,
                                            keepdims=True)
    blocks = [broadcast_to(s, _block_shape(x, axis, w)) if w else None
              for s, w in zip((first, last), widths)]
    return _joined(blocks[0], x, blocks[1], axis)


@dispatching_composite(np.pad)
def pad(array, pad_width, mode="constant", **kwargs):
    """Differentiable ``numpy.pad``, every mode but a function: constant (constant_values
    may be traced), edge, reflect and symmetric (reflect_type 'even' or 'odd'), wrap,
    linear_ramp (end_values may be traced), maximum, minimum, mean and median (with
    stat_length), and empty, which pads with zeros (as JAX; NumPy leaves the values
    undefined).  Axes are padded one after another, as NumPy does, so corners are those
    of the last axis.  The derivative flows to the elements each padded value copies or
    is computed from (max/min split ties evenly; the median of an even count gives each
    middle element half).

        >>> dnp.pad(x, 1, mode="reflect")       # x = [a, b, c]: [b, a, b, c, b]
    """
    x = _arr(array)
    if callable(mode):
        raise NotImplementedError("pad: a function as mode is not differentiable in dualrev; "
                                  "pad with dualrev.numpy functions of the array instead")
    if mode not in _PAD_KWARGS:
        raise ValueError(f"mode '{mode}' is not supported")
    unsupported = set(kwargs) - _PAD_KWARGS[mode]
    if unsupported:
        raise ValueError(f"unsupported keyword arguments for mode '{mode}': {unsupported}")
    shape = _shape(x, "pad")
    nd = len(shape)
    widths = _pad_widths(pad_width, nd)
    if mode in ("constant", "empty"):
        values = kwargs.get("constant_values", 0)
        if isinstance(values, Tracer) or holds_tracer(values) or backend.is_foreign(values):
            return _pad_traced_constant(x, widths, _arr(values), nd)
        values = tuple((_python_scalar(b), _python_scalar(a)) for b, a in _pairs(values, nd))
        if plain(x):
            return np.pad(x, widths, constant_values=values)
        if not any(b or a for b, a in widths):
            return x
        return bind(pad_constant_p, (x,), dict(pad_width=widths, values=values))
    if 0 in shape:
        for axis, (n, w) in enumerate(zip(shape, widths)):
            if n == 0 and any(w):
                raise ValueError(f"can't extend empty axis {axis} using modes other than "
                                 f"'constant' or 'empty'")
        return pad(x, widths)
    reflect_type = kwargs.get("reflect_type", "even")
    if reflect_type not in ("even", "odd"):
        raise ValueError(f"pad: reflect_type must be 'even' or 'odd', got {reflect_type!r}")
    if mode == "linear_ramp":
        ends = kwargs.get("end_values", 0)
        if isinstance(ends, Tracer) or holds_tracer(ends) or backend.is_foreign(ends):
            end = _traced_pairs(_arr(ends), nd)
        else:
            ends = _pairs(ends, nd)
            end = lambda i, j: ends[i, j].item()     # noqa: E731
    lengths = _pairs(kwargs.get("stat_length"), nd, as_index=True) if (
        kwargs.get("stat_length") is not None) else ((None, None),) * nd
    for axis, (n, w) in enumerate(zip(shape, widths)):
        if mode in ("maximum", "minimum", "mean", "median"):
            x = _pad_stat(x, axis, w, n, lengths[axis], mode)
            continue
        if not any(w):
            continue
        if mode == "edge" or (n == 1 and mode in ("reflect", "symmetric")):
            x = _pad_edge(x, axis, w, n)
        elif mode == "linear_ramp":
            x = _pad_ramp(x, axis, w, n, end)
        elif mode == "wrap" or reflect_type == "even":
            x = _pad_gather(x, axis, w, n, mode)
        else:
            x = _pad_odd(x, axis, w, n, mode)
    return x


def _pad_traced_constant(x, widths, values, nd):
    """Constant padding with traced values: the constant blocks joined to x axis after
    axis (so a corner takes the value of the last axis, as NumPy)."""
    value = _traced_pairs(values, nd)
    dtype = backend.dtype(strip(x))
    for axis, w in enumerate(widths):
        blocks = [broadcast_to(astype(value(axis, side), dtype), _block_shape(x, axis, width))
                  if width else None for side, width in enumerate(w)]
        x = _joined(blocks[0], x, blocks[1], axis)
    return x


# ---------------------------------------------------------------- splitting

def _split_at(x, axis, points):
    """The pieces of x along axis between the division points (Python's slice
    semantics, as NumPy's array_split)."""
    n = _shape(x, "split")[axis]
    bounds = [0] + list(points) + [n]
    return [_piece(x, axis, s, e) for s, e in zip(bounds[:-1], bounds[1:])]


def _sections(n, sections, equal):
    if np.ndim(sections):
        return [operator.index(p) for p in sections]
    count = operator.index(sections)
    if count <= 0:
        raise ValueError("number sections must be larger than 0.")
    each, extra = divmod(n, count)
    if equal and extra:
        raise ValueError("array split does not result in an equal division")
    sizes = [each + 1] * extra + [each] * (count - extra)
    return list(np.cumsum(sizes[:-1]))


def _split(ary, indices_or_sections, axis, equal, who):
    x = _arr(ary)
    shape = _shape(x, who)
    axis = _normalize_axes(axis, max(len(shape), 1), who)[0]
    if not shape:
        raise AxisError(axis, 0, who)
    return _split_at(x, axis, _sections(shape[axis], strip(indices_or_sections), equal))


@dispatching_composite(np.split, one_array=True)
def split(ary, indices_or_sections, axis=0):
    """Differentiable ``numpy.split``: a list of traced pieces, equal sections or
    between the given indices.

        >>> a, b = dnp.split(x, 2, axis=1)      # x 3x4: two 3x2 halves
    """
    return _split(ary, indices_or_sections, axis, True, "split")


@dispatching_composite(np.array_split, one_array=True)
def array_split(ary, indices_or_sections, axis=0):
    """Differentiable ``numpy.array_split``: as split, and sections may differ in size
    by one (the first ones larger).

        >>> dnp.array_split(x, 3)               # x of length 4: lengths 2, 1, 1
    """
    return _split(ary, indices_or_sections, axis, False, "array_split")


def _ndim_split(name, axis_of, least, what):
    def fn(ary, indices_or_sections):
        x = _arr(ary)
        nd = len(_shape(x, name))
        if nd < least:
            raise ValueError(f"{name} only works on arrays of {least} or more dimensions")
        return _split(x, indices_or_sections, axis_of(nd), True, name)
    fn.__name__ = fn.__qualname__ = name
    fn.__doc__ = (f"Differentiable ``numpy.{name}``: split {what}.\n\n"
                  f"        >>> dnp.{name}(x, 2)\n    ")
    return dispatching_composite(getattr(np, name), one_array=True)(fn)


hsplit = _ndim_split("hsplit", lambda nd: 1 if nd > 1 else 0, 1,
                     "along axis 1 (axis 0 of a 1-d array)")
vsplit = _ndim_split("vsplit", lambda nd: 0, 2, "along axis 0")
dsplit = _ndim_split("dsplit", lambda nd: 2, 3, "along axis 2")


@dispatching_composite(getattr(np, "unstack", None), one_array=True)
def unstack(x, /, *, axis=0):
    """Differentiable ``numpy.unstack``: a tuple of the slices along axis.

        >>> a, b = dnp.unstack(x)               # x 2x3: its rows
    """
    x = _arr(x)
    shape = _shape(x, "unstack")
    if not shape:
        raise ValueError("Input array must be at least 1-d.")
    axis = _normalize_axes(axis, len(shape), "unstack")[0]
    return tuple(getitem(x, _along(axis, i)) for i in range(shape[axis]))


# ---------------------------------------------------------------- joining

def _atleast(nd, arys, who):
    out = []
    for a in arys:
        a = _arr(a)
        shape = _shape(a, who)
        if len(shape) < nd:
            if nd == 3 and len(shape) == 2:
                shape = shape + (1,)
            elif nd == 3 and len(shape) == 1:
                shape = (1,) + shape + (1,)
            else:
                shape = (1,) * (nd - len(shape)) + shape
            a = _reshape(a, shape)
        out.append(a)
    return out[0] if len(out) == 1 else tuple(out)


def _atleast_fn(nd):
    name = f"atleast_{nd}d"

    def fn(*arys):
        return _atleast(nd, arys, name)
    fn.__name__ = fn.__qualname__ = name
    fn.__doc__ = (f"Differentiable ``numpy.{name}``: each input with length-1 axes added "
                  f"up to {nd} dimensions (one input: the array; several: a tuple).\n\n"
                  f"        >>> dnp.{name}(x)\n    ")
    return dispatching_composite(getattr(np, name))(fn)


atleast_1d, atleast_2d, atleast_3d = (_atleast_fn(n) for n in (1, 2, 3))


def _as_list(arrays, nd, who):
    if isinstance(arrays, (Tracer, np.ndarray)) or backend.is_foreign(arrays):
        raise TypeError(f"{who}: arrays to stack must be passed as a sequence type such "
                        f"as list or tuple.")
    if not nd:
        return [_arr(a) for a in arrays]
    out = _atleast(nd, tuple(arrays), who)
    return list(out) if isinstance(out, tuple) else [out]


def _cast_all(arrays, dtype, casting):
    if dtype is None:
        return arrays
    dtype = np.dtype(dtype)
    for a in arrays:
        if not np.can_cast(backend.dtype(strip(a)), dtype, casting):
            raise TypeError(f"Cannot cast array data from {backend.dtype(strip(a))!r} to "
                            f"{dtype!r} according to the rule {casting!r}")
    return [astype(a, dtype) for a in arrays]


def _joined_all(arrays, axis, who):
    if not arrays:
        raise ValueError("need at least one array to concatenate")
    return concatenate(arrays, axis)


@dispatching_composite(np.vstack, one_array=True)
def vstack(tup, *, dtype=None, casting="same_kind"):
    """Differentiable ``numpy.vstack``: joined along axis 0, 1-d inputs as rows.

        >>> dnp.vstack([x, y])      # x, y of length 3: 2x3
    """
    return _joined_all(_cast_all(_as_list(tup, 2, "vstack"), dtype, casting), 0, "vstack")


@dispatching_composite(np.hstack, one_array=True)
def hstack(tup, *, dtype=None, casting="same_kind"):
    """Differentiable ``numpy.hstack``: joined along axis 1 (axis 0 for 1-d inputs).

        >>> dnp.hstack([x, y])      # x 2x3, y 2x1: 2x4
    """
    arrays = _cast_all(_as_list(tup, 1, "hstack"), dtype, casting)
    axis = 0 if arrays and np.ndim(strip(arrays[0])) == 1 else 1
    return _joined_all(arrays, axis, "hstack")


@dispatching_composite(np.dstack, one_array=True)
def dstack(tup):
    """Differentiable ``numpy.dstack``: joined along axis 2 (inputs made at least 3-d).

        >>> dnp.dstack([x, y])      # x, y 2x3: 2x3x2
    """
    return _joined_all(_as_list(tup, 3, "dstack"), 2, "dstack")


@dispatching_composite(np.column_stack, one_array=True)
def column_stack(tup):
    """Differentiable ``numpy.column_stack``: 1-d inputs as columns, joined along axis 1.

        >>> dnp.column_stack([x, y])    # x, y of length 3: 3x2
    """
    arrays = []
    for a in _as_list(tup, 0, "column_stack"):
        shape = _shape(a, "column_stack")
        if len(shape) < 2:
            a = _reshape(a, (math.prod(shape), 1))
        arrays.append(a)
    return _joined_all(arrays, 1, "column_stack")


def row_stack(tup, *, dtype=None, casting="same_kind"):
    """Differentiable ``numpy.row_stack``: NumPy's deprecated alias of ``vstack``."""
    warnings.warn("`row_stack` alias is deprecated. Use `np.vstack` directly.",
                  DeprecationWarning, stacklevel=2)
    return vstack(tup, dtype=dtype, casting=casting)


def _block_depth(arrays, index=()):
    """(depth of the nested lists, the largest ndim of their arrays), checked as NumPy's
    block checks them."""
    if type(arrays) is tuple:
        raise TypeError(f"{list(index)} is a tuple. Only lists can be used to arrange "
                        f"blocks, and np.block does not allow implicit conversion from "
                        f"tuple to ndarray.")
    if type(arrays) is not list:
        return 0, np.ndim(strip(arrays))
    if not arrays:
        raise ValueError(f"List at arrays{''.join(f'[{i}]' for i in index)} cannot be empty")
    found = [_block_depth(a, index + (i,)) for i, a in enumerate(arrays)]
    depths = {d for d, _ in found}
    if len(depths) > 1:
        raise ValueError("List depths are mismatched. All lists in the nested sequence "
                         "must have the same depth.")
    return found[0][0] + 1, max(nd for _, nd in found)


def _block(arrays, depth, level, nd):
    if level == depth:
        return _atleast(nd, (arrays,), "block") if np.ndim(strip(arrays)) < nd else _arr(arrays)
    parts = [_block(a, depth, level + 1, nd) for a in arrays]
    return parts[0] if len(parts) == 1 else concatenate(parts, -(depth - level))


@dispatching_composite(np.block, one_array=True)
def block(arrays):
    """Differentiable ``numpy.block``: an array assembled from nested lists of blocks,
    the innermost lists joined along the last axis.

        >>> dnp.block([[A, B], [C, D]])         # a 2x2 block matrix
    """
    depth, nd = _block_depth(arrays)
    return _block(arrays, depth, 0, max(depth, nd))


@dispatching_composite(np.append)
def append(arr, values, axis=None):
    """Differentiable ``numpy.append``: values joined after arr along axis (both
    flattened if axis is None).

        >>> dnp.append(x, y)        # ravel(x), then ravel(y)
    """
    arr, values = _arr(arr), _arr(values)
    if axis is None:
        arr = _reshape(arr, (math.prod(_shape(arr, "append")),))
        values = _reshape(values, (math.prod(_shape(values, "append")),))
        axis = 0
    return concatenate([arr, values], axis)


@dispatching_composite(np.insert)
def insert(arr, obj, values, axis=None):
    """Differentiable ``numpy.insert`` (in arr and values; obj is a constant): values
    are cast to arr's dtype and placed before the indices obj along axis (in the
    flattened array if axis is None), broadcast as NumPy broadcasts them.

        >>> dnp.insert(x, 1, y)     # x = [a, b], y a 0-d: [a, y, b]
    """
    arr, values = _arr(arr), _arr(values)
    shape = _shape(arr, "insert")
    v_shape = _shape(values, "insert")
    size, v_size = math.prod(shape), math.prod(v_shape)
    # NumPy's insert of the positions, arr's as 0, 1, ... and values' as -1, -2, ...
    where = np.insert(np.arange(size).reshape(shape), strip(obj),
                      (-1 - np.arange(v_size)).reshape(v_shape), axis)
    dtype = backend.dtype(strip(arr))
    if not backend.same_dtype(backend.dtype(strip(values)), dtype):
        values = astype(values, dtype)
    pool = concatenate([_reshape(arr, (size,)), _reshape(values, (v_size,))], 0)
    return getitem(pool, np.where(where >= 0, where, size - 1 - where))


@dispatching_composite(np.delete, one_array=True)
def delete(arr, obj, axis=None):
    """Differentiable ``numpy.delete`` (obj is a constant): arr without the entries obj
    along axis (of the flattened array if axis is None).

        >>> dnp.delete(x, [0, 2], axis=1)       # x 2x4: its columns 1 and 3
    """
    arr = _arr(arr)
    shape = _shape(arr, "delete")
    if axis is None:
        arr, axis = _reshape(arr, (math.prod(shape),)), 0
        shape = (math.prod(shape),)
    else:
        axis = _normalize_axes(axis, max(len(shape), 1), "delete")[0]
        if not shape:
            raise AxisError(axis, 0, "delete")
    keep = np.delete(np.arange(shape[axis]), strip(obj))
    if len(keep) == shape[axis]:
        return arr
    return getitem(arr, _along(axis, _as_slice(keep)))


# ---------------------------------------------------------------- broadcasting, grids

@dispatching_composite(np.broadcast_arrays)
def broadcast_arrays(*args, subok=False):
    """Differentiable ``numpy.broadcast_arrays``: a tuple of the inputs broadcast to
    their common shape.

        >>> a, b = dnp.broadcast_arrays(x, y)   # x 3x1, y of length 4: both 3x4
    """
    args = [_arr(a) for a in args]
    shape = np.broadcast_shapes(*(_shape(a, "broadcast_arrays") for a in args))
    return tuple(broadcast_to(a, shape) for a in args)


@dispatching_composite(np.meshgrid)
def meshgrid(*xi, copy=True, sparse=False, indexing="xy"):
    """Differentiable ``numpy.meshgrid``: coordinate arrays from coordinate vectors
    (indexing 'xy': the first two axes swapped; sparse: unbroadcast), as a tuple.

        >>> X, Y = dnp.meshgrid(x, y)           # x of length 3, y of length 2: both 2x3
    """
    if indexing not in ("xy", "ij"):
        raise ValueError("Valid values for `indexing` are 'xy' and 'ij'.")
    nd = len(xi)
    out = []
    for i, x in enumerate(xi):
        x = _arr(x)
        n = math.prod(_shape(x, "meshgrid"))
        at = (1 - i if i < 2 else i) if indexing == "xy" and nd > 1 else i
        out.append(_reshape(x, (1,) * at + (n,) + (1,) * (nd - at - 1)))
    if not sparse and out:
        out = broadcast_arrays(*out)
    return tuple(out)


# ---------------------------------------------------------------- copies, trimming, apply

concat = concatenate


@composite(np.copy)
def copy(a, order="K", subok=False):
    """Differentiable ``numpy.copy``: traced values are immutable, so a traced array is
    its own copy (a list holding traced values becomes one traced array).

        >>> dualrev.grad(lambda x: dnp.copy(x) * 2.0)(1.0)      # 2.0
    """
    return _arr(a)


@dispatching_composite(np.trim_zeros)
def trim_zeros(filt, trim="fb", axis=None):
    """Differentiable ``numpy.trim_zeros``: filt without its leading ('f') and/or trailing
    ('b') zeros, found from its values (so the result's shape is a constant, as NumPy
    computes it; not under vmap, where each example would trim differently).  With an N-d
    filt, the bounding box of its nonzeros along ``axis`` (all axes if None), as NumPy
    2.2.

        >>> dnp.trim_zeros(np.array([0.0, 1.0, 0.0, 2.0, 0.0]))    # [1, 0, 2]
    """
    x = _arr(filt)
    trim = trim.lower()
    if any(c not in "fb" for c in trim):
        raise ValueError(f"unexpected character(s) in `trim`: {trim!r}")
    values = strip(x)
    if isinstance(values, Tracer):
        raise ValueError("trim_zeros: the values of filt decide the result's shape; under "
                         "vmap each example would be trimmed differently")
    nonzero = backend.to_numpy(values) != 0
    shape = nonzero.shape
    axes = range(len(shape)) if axis is None else _normalize_axes(axis, len(shape),
                                                                  "trim_zeros")
    index = [slice(None)] * len(shape)
    for ax in axes:
        hit = np.flatnonzero(np.any(nonzero, axis=tuple(i for i in range(len(shape)) if i != ax)))
        if not len(hit):
            start = stop = 0
        else:
            start = int(hit[0]) if "f" in trim else 0
            stop = int(hit[-1]) + 1 if "b" in trim else shape[ax]
        index[ax] = slice(start, stop)
    return getitem(x, tuple(index))


@composite(np.apply_along_axis)
def apply_along_axis(func1d, axis, arr, *args, **kwargs):
    """Differentiable ``numpy.apply_along_axis``: func1d on every 1-d slice of arr along
    axis, one call per slice (func1d may be any function dualrev differentiates); the
    results stacked with their own axes where axis was, as NumPy.

        >>> dnp.apply_along_axis(dnp.sum, 1, x)          # x 3x4: its row sums
    """
    x = _arr(arr)
    shape = _shape(x, "apply_along_axis")
    axis = _normalize_axes(axis, len(shape), "apply_along_axis")[0]
    outer = shape[:axis] + shape[axis + 1:]
    if 0 in outer:
        raise ValueError("Cannot apply_along_axis when any iteration dimensions are 0")
    moved = moveaxis(x, axis, -1)
    results = [_arr(func1d(getitem(moved, idx), *args, **kwargs)) for idx in np.ndindex(outer)]
    out = stack(results)
    inner = np.ndim(strip(out)) - 1
    out = _reshape(out, outer + tuple(np.shape(strip(out))[1:]))
    return moveaxis(out, tuple(range(len(outer), len(outer) + inner)),
                    tuple(range(axis, axis + inner))) if inner else out


@composite(np.apply_over_axes)
def apply_over_axes(func, a, axes):
    """Differentiable ``numpy.apply_over_axes``: ``func(a, axis)`` for each axis in turn,
    a reduced axis kept with length 1, as NumPy.

        >>> dnp.apply_over_axes(dnp.sum, x, [0, 2])      # x 2x3x4: shape 1x3x1
    """
    val = _arr(a)
    n = len(_shape(val, "apply_over_axes"))
    for axis in np.atleast_1d(axes):
        axis = int(axis) + n if axis < 0 else int(axis)
        res = _arr(func(val, axis))
        if np.ndim(strip(res)) != n:
            shape = list(np.shape(strip(res)))
            shape.insert(axis, 1)
            res = _reshape(res, tuple(shape))
            if np.ndim(strip(res)) != n:
                raise ValueError("function is not returning an array of the correct shape")
        val = res
    return val


# ---------------------------------------------------------------- methods

def _flatten(self, order="C"):
    if order not in ("C", "A", "K"):
        raise NotImplementedError("flatten: only order='C' is supported")
    return _reshape(self, (math.prod(self.shape),))


def _copy(self, order="C"):
    return self


METHODS = {
    "flatten": _flatten,
    "repeat": lambda self, repeats, axis=None: repeat(self, repeats, axis),
    "copy": _copy,
}
