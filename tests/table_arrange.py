"""Table cases of the arrange group: flip, fliplr, flipud, roll, rot90, tile, repeat, pad
(pad_constant), resize, split, array_split, hsplit, vsplit, dsplit, unstack, hstack,
vstack, dstack, column_stack, block, append, insert, delete, atleast_1d/2d/3d,
broadcast_arrays, meshgrid, matrix_transpose, permute_dims, rollaxis.  (row_stack,
pad's 'empty' mode and the methods flatten and copy are checked in test_arrange.py.)"""
import numpy as np

from helpers import jnp
from table import Arg, case


def _c(m, a, b):
    """The complex number a + ib."""
    return a + 1j * b


def _r(m, z):
    """A real function of a complex value that sees both its parts."""
    return m.real(z) * 0.75 - m.imag(z) * 1.25


def _weighted(m, parts, axis):
    """The pieces of a split joined again, each scaled by its position (so that a piece
    landing in the wrong place shows)."""
    return m.concatenate([p * (k + 1.0) for k, p in enumerate(parts)], axis=axis)


# ---------------------------------------------------------------- flip, roll, rot90
case("flip", "axis1", lambda m, x: m.flip(x, 1), Arg(2, 3))
case("flip", "all_axes_3d", lambda m, x: m.flip(x), Arg(2, 3, 2))
case("flip", "complex_two_axes", lambda m, a, b: _r(m, m.flip(_c(m, a, b), (0, -1)) ** 2),
     Arg(2, 3), Arg(2, 3))
case("fliplr", "2x3", lambda m, x: m.fliplr(x), Arg(2, 3))
case("flipud", "3x2", lambda m, x: m.flipud(x), Arg(3, 2))

case("roll", "shift_axis_tuples", lambda m, x: m.roll(x, (1, -1, 2), axis=(0, 1, 0)), Arg(3, 4))
case("roll", "flattened", lambda m, x: m.roll(x, 4), Arg(2, 3))
case("roll", "complex", lambda m, a, b: _r(m, m.roll(_c(m, a, b), -1, axis=-1) ** 2),
     Arg(2, 3), Arg(2, 3))

case("rot90", "k1", lambda m, x: m.rot90(x), Arg(2, 3))
case("rot90", "k_neg1_axes_2_0", lambda m, x: m.rot90(x, -1, axes=(2, 0)), Arg(2, 3, 4))
case("rot90", "k2_complex", lambda m, a, b: _r(m, m.rot90(_c(m, a, b), 2) ** 2),
     Arg(2, 3), Arg(2, 3))

case("matrix_transpose", "2x3x4", lambda m, x: m.matrix_transpose(x), Arg(2, 3, 4))
case("permute_dims", "2_0_1", lambda m, x: m.permute_dims(x, (2, 0, 1)), Arg(2, 3, 4))
case("rollaxis", "axis2", lambda m, x: m.rollaxis(x, 2), Arg(2, 3, 4))
case("rollaxis", "axis0_start3", lambda m, x: m.rollaxis(x, 0, 3), Arg(2, 3, 4))

# ---------------------------------------------------------------- tile, repeat, resize
case("tile", "reps_2_1_3", lambda m, x: m.tile(x, (2, 1, 3)), Arg(2, 3))
case("tile", "int_reps_2d", lambda m, x: m.tile(x, 2), Arg(2, 3))
case("tile", "complex", lambda m, a, b: _r(m, m.tile(_c(m, a, b), (2, 1)) ** 2), Arg(3), Arg(3))

case("repeat", "int_axis1", lambda m, x: m.repeat(x, 2, axis=1), Arg(2, 3))
case("repeat", "counts_with_zero_axis0", lambda m, x: m.repeat(x, np.array([2, 0, 3]), axis=0),
     Arg(3, 2))
case("repeat", "flattened", lambda m, x: m.repeat(x, 3), Arg(2, 2))
case("repeat", "counts_method", lambda m, x: x.repeat(np.array([1, 3]), axis=-1), Arg(2, 2))
case("repeat", "complex_counts",
     lambda m, a, b: _r(m, m.repeat(_c(m, a, b), np.array([3, 1, 2])) ** 2), Arg(3), Arg(3))

case("resize", "grow_2x3_to_4x4", lambda m, x: m.resize(x, (4, 4)), Arg(2, 3))
case("resize", "shrink", lambda m, x: m.resize(x, 3), Arg(2, 3))

# ---------------------------------------------------------------- pad
_W = ((1, 2), (3, 0))
case("pad_constant", "values_per_side",
     lambda m, x: m.pad(x, _W, constant_values=((1.5, -2.0), (3.0, 0.5))), Arg(2, 3))
case("pad_constant", "complex", lambda m, a, b: _r(m, m.pad(_c(m, a, b), 1) ** 2),
     Arg(2, 2), Arg(2, 2))
case("pad", "traced_constant_values",
     lambda m, x, c: m.pad(x, _W, constant_values=c), Arg(2, 3), Arg(2, 2))
case("pad", "edge", lambda m, x: m.pad(x, _W, mode="edge"), Arg(2, 3))
case("pad", "reflect_wider_than_x", lambda m, x: m.pad(x, (5, 2), mode="reflect"), Arg(3))
case("pad", "reflect_odd_wide", lambda m, x: m.pad(x, ((2, 5), (1, 1)), mode="reflect",
                                                   reflect_type="odd"), Arg(3, 2))
case("pad", "symmetric_odd", lambda m, x: m.pad(x, _W, mode="symmetric", reflect_type="odd"),
     Arg(2, 3))
case("pad", "wrap_wide", lambda m, x: m.pad(x, ((3, 4), (1, 2)), mode="wrap"), Arg(2, 3))
case("pad", "linear_ramp", lambda m, x: m.pad(x, _W, mode="linear_ramp",
                                              end_values=((1.0, -1.0), (0.5, 2.0))), Arg(2, 3))
case("pad", "maximum_stat_length", lambda m, x: m.pad(x, _W, mode="maximum", stat_length=2),
     Arg(3, 3))
case("pad", "minimum", lambda m, x: m.pad(x, _W, mode="minimum"), Arg(2, 3))
case("pad", "mean_stat_pairs", lambda m, x: m.pad(x, _W, mode="mean",
                                                  stat_length=((1, 2), (2, 3))), Arg(3, 3))
case("pad", "median_even_count", lambda m, x: m.pad(x, _W, mode="median"), Arg(2, 4),
     dask="median: Dask lacks gathers with several n-d index arrays (NotImplementedError)")
case("pad", "reflect_complex", lambda m, a, b: _r(m, m.pad(_c(m, a, b), 2, mode="reflect") ** 2),
     Arg(3), Arg(3))

# ---------------------------------------------------------------- splitting
case("split", "sections_axis1", lambda m, x: _weighted(m, m.split(x, 2, axis=1), 1), Arg(2, 4))
case("split", "indices", lambda m, x: _weighted(m, m.split(x, [1, 3]), 0), Arg(5))
case("array_split", "uneven", lambda m, x: _weighted(m, m.array_split(x, 3), 0), Arg(5, 2))
case("hsplit", "2d", lambda m, x: _weighted(m, m.hsplit(x, [1]), 1), Arg(2, 3))
case("vsplit", "sections", lambda m, x: _weighted(m, m.vsplit(x, 2), 0), Arg(4, 2))
case("dsplit", "sections", lambda m, x: _weighted(m, m.dsplit(x, 2), 2), Arg(2, 1, 4))
case("unstack", "axis1", lambda m, x: _weighted(m, m.unstack(x, axis=1), 0), Arg(2, 3))
case("split", "complex", lambda m, a, b: _r(m, _weighted(m, m.split(_c(m, a, b), 3), 0) ** 2),
     Arg(3), Arg(3))

# ---------------------------------------------------------------- joining
case("hstack", "2d", lambda m, x, y: m.hstack([x, y]), Arg(2, 3), Arg(2, 1))
case("vstack", "1d_rows", lambda m, x, y: m.vstack([x, y]), Arg(3), Arg(2, 3))
case("dstack", "2d", lambda m, x, y: m.dstack([x, y]), Arg(2, 3), Arg(2, 3))
case("column_stack", "1d_and_2d", lambda m, x, y: m.column_stack([x, y]), Arg(3), Arg(3, 2))
case("block", "2x2_blocks", lambda m, a, b, c: m.block([[a, b], [c, 2.0 * c[:, :1]]]),
     Arg(2, 2), Arg(2, 1), Arg(1, 2))
case("block", "1d_in_2d", lambda m, x, y: m.block([[x], [y]]), Arg(3), Arg(2, 3))
case("append", "flattened", lambda m, x, y: m.append(x, y), Arg(2, 2), Arg(3))
case("append", "axis0", lambda m, x, y: m.append(x, y, axis=0), Arg(2, 3), Arg(1, 3))
case("insert", "indices_flat", lambda m, x, v: m.insert(x, np.array([1, 1, 4]), v),
     Arg(2, 2), Arg(3))
case("insert", "scalar_index_axis1_bcast", lambda m, x, v: m.insert(x, 1, v, axis=1),
     Arg(3, 2), Arg(3))
case("insert", "complex", lambda m, a, b: _r(m, m.insert(_c(m, a, b), 2, _c(m, b, a)[:2]) ** 2),
     Arg(3), Arg(3))
case("delete", "axis1", lambda m, x: m.delete(x, np.array([0, 2]), axis=1), Arg(2, 4))
case("delete", "slice_flat", lambda m, x: m.delete(x, slice(1, None, 2)), Arg(2, 3))

# ---------------------------------------------------------------- atleast, broadcasting, grids
case("atleast_1d", "0d", lambda m, x: m.atleast_1d(x), Arg())
case("atleast_2d", "two_inputs", lambda m, x, y: m.atleast_2d(x, y)[0] * m.atleast_2d(x, y)[1],
     Arg(3), Arg(2, 3))
case("atleast_3d", "2d", lambda m, x: m.atleast_3d(x), Arg(2, 3))
case("broadcast_arrays", "3x1_4", lambda m, x, y: m.stack(m.broadcast_arrays(x, y)),
     Arg(3, 1), Arg(4))
case("meshgrid", "xy_three", lambda m, x, y, z: m.stack(m.meshgrid(x, y, z)),
     Arg(3), Arg(2), Arg(2))
case("meshgrid", "ij_sparse", lambda m, x, y: sum(m.meshgrid(x, y, indexing="ij", sparse=True)),
     Arg(3), Arg(2))

# ---------------------------------------------------------------- copies, trimming, apply
case("copy", "2x3", lambda m, x: m.copy(x) * 2.0, Arg(2, 3))
_FOREIGN_LIST = ("a list of another library's arrays is that library's to stack (NumPy "
                 "refuses to convert them)")
case("asarray", "list_of_traced", lambda m, x: m.asarray([x[0], 2.0 * x[1], x[0] * x[1]]),
     Arg(2), strict=_FOREIGN_LIST, dask=_FOREIGN_LIST)
case("array", "nested_lists", lambda m, x: m.array([[x[0], x[1]], [x[1] * x[0], x[0]]]),
     Arg(2), strict=_FOREIGN_LIST, dask=_FOREIGN_LIST)
# JAX's trim_zeros needs concrete values (it cannot run under jit): its reference slices
# these values where NumPy trims them (the value test compares the two).
_TRIM = np.array([0.0, 0.0, 1.5, 0.0, -2.0, 0.0])
case("trim_zeros", "front_and_back", lambda m, x: (m.trim_zeros(x) if m is not jnp else x[2:5])
     * 2.0, _TRIM, fd=False, strict="a case with a NumPy-only reference",
     dask="the values decide the shape", vmap="the values decide the shape")
case("apply_along_axis", "outer_axis1", lambda m, x: m.apply_along_axis(
     lambda v: m.outer(v, v[:2]), 1, x), Arg(2, 3), strict="outer is not in the standard")
case("apply_along_axis", "sum_axis0", lambda m, x: m.apply_along_axis(m.sum, 0, x), Arg(2, 3))
case("apply_over_axes", "sum_0_2", lambda m, x: m.apply_over_axes(m.sum, x, [0, 2]),
     Arg(2, 3, 2))
