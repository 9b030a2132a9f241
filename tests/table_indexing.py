"""Table cases of the indexing group: diag, diagflat, diagonal, tril, triu, take,
take_along_axis, put_along_axis, choose, select, compress, extract, piecewise, interp,
unwrap.  (``x.at[idx]`` updates are checked in test_indexing.py: untraced NumPy arrays
have no ``.at``.)"""
import numpy as np

from helpers import jnp
from table import Arg, case


def _c(m, a, b):
    """The complex number a + ib."""
    return a + 1j * b


def _r(m, z):
    """A real function of a complex value that sees both its parts."""
    return m.real(z) * 0.75 - m.imag(z) * 1.25


_NOT_DASK_INDEX = "Dask's arrays are not indexed by the value-dependent positions this needs"

# ---------------------------------------------------------------- tril, triu
case("tril", "3x4", lambda m, x: m.tril(x), Arg(3, 4))
case("tril", "k_neg1_stack_2x3x3", lambda m, x: m.tril(x, -1), Arg(2, 3, 3))
# A vector: NumPy broadcasts it to the square matrix (JAX refuses; its side does that).
case("tril", "vector_k1", lambda m, x: m.tril(jnp.broadcast_to(x, (3, 3)) if m is jnp else x, 1),
     Arg(3))
case("triu", "4x3_k1", lambda m, x: m.triu(x, 1), Arg(4, 3))
case("triu", "complex", lambda m, a, b: _r(m, m.triu(_c(m, a, b)) ** 2), Arg(3, 3), Arg(3, 3))

# ---------------------------------------------------------------- diagonal, diag, diagflat
case("diagonal", "3x4_offset1", lambda m, x: m.diagonal(x, 1), Arg(3, 4))
case("diagonal", "axes_2_0_offset_neg1", lambda m, x: m.diagonal(x, -1, 2, 0), Arg(3, 2, 4))
case("diagonal", "complex_method", lambda m, a, b: _r(m, _c(m, a, b).diagonal() ** 2),
     Arg(3, 3), Arg(3, 3))
case("diag", "vector_k1", lambda m, x: m.diag(x, 1), Arg(3))
case("diag", "matrix_k_neg1", lambda m, x: m.diag(x, -1), Arg(3, 4))
case("diag", "complex", lambda m, a, b: _r(m, m.diag(_c(m, a, b)) ** 2), Arg(3), Arg(3))
case("diagflat", "2x2_k_neg1", lambda m, x: m.diagflat(x, -1), Arg(2, 2))

# ---------------------------------------------------------------- take, take_along_axis, ...
_I = np.array([2, 0, 2, -1])
_OUT = np.array([4, -5, 1])
case("take", "axis1_repeats", lambda m, x: m.take(x, _I, axis=1), Arg(2, 3))
case("take", "flat", lambda m, x: m.take(x, np.array([[5, 0], [1, 1]])), Arg(2, 3))
case("take", "wrap", lambda m, x: m.take(x, _OUT, axis=0, mode="wrap"), Arg(3, 2))
case("take", "clip_method", lambda m, x: x.take(_OUT, axis=0, mode="clip"), Arg(3, 2))
case("take", "complex", lambda m, a, b: _r(m, m.take(_c(m, a, b), _I) ** 2), Arg(3), Arg(3))

case("take_along_axis", "argsort_axis1",
     lambda m, x: m.take_along_axis(x, m.argsort(x, axis=1), axis=1), Arg(2, 4),
     dask="Dask has no argsort")
case("take_along_axis", "bcast_axis0",
     lambda m, x: m.take_along_axis(x, np.array([[2], [0]]), axis=0), Arg(3, 2))
case("take_along_axis", "axis_none",
     lambda m, x: m.take_along_axis(x, np.array([5, 0, 0]), axis=None), Arg(2, 3))

_PUT = np.array([[1], [0]])
case("put_along_axis", "axis1", lambda m, x, v: m.put_along_axis(x, _PUT, v, axis=1,
                                                                   inplace=False),
     Arg(2, 3), Arg(2, 1))
case("put_along_axis", "bcast_value_axis0",
     lambda m, x, v: m.put_along_axis(x, np.array([[2, 0, 1]]), v, axis=0, inplace=False),
     Arg(3, 3), Arg())
case("put_along_axis", "complex",
     lambda m, a, b: _r(m, m.put_along_axis(_c(m, a, b), _PUT, _c(m, b, a)[:, :1] ** 2, axis=1,
                                            inplace=False)), Arg(2, 2), Arg(2, 2))

_CH = np.array([[0, 2, 1], [1, 0, 2]])
case("choose", "three_bcast", lambda m, x, y, z: m.choose(_CH, [x, y, z], mode="clip"),
     Arg(2, 3), Arg(3), Arg(2, 1))
case("choose", "wrap", lambda m, x: m.choose(np.array([3, -1, 0]), [x, 2 * x, x * x],
                                             mode="wrap"), Arg(3))
case("choose", "complex", lambda m, a, b: _r(m, m.choose(_CH, [_c(m, a, b), a, b * 1j],
                                                         mode="clip")), Arg(2, 3), Arg(2, 3))

case("select", "two_conds_default", lambda m, x, d: m.select([x < -0.5, x > 0.5], [x * x, m.sin(x)],
                                                             d), Arg(2, 3), Arg(3))
case("select", "complex", lambda m, a, b: _r(m, m.select([a < 0], [_c(m, a, b) ** 2], 1j)),
     Arg(4), Arg(4))

_MASK = np.array([True, False, True, True])


def _size(m, mask):
    """JAX's compress under jit needs the result's size."""
    return dict(size=int(np.count_nonzero(mask))) if m is jnp else {}


case("compress", "axis1", lambda m, x: m.compress(_MASK, x, axis=1, **_size(m, _MASK)), Arg(2, 4))
case("compress", "flat_method", lambda m, x: x.compress(_MASK[:3], **_size(m, _MASK[:3])), Arg(2, 2))
case("compress", "complex", lambda m, a, b: _r(m, m.compress(_MASK, _c(m, a, b), **_size(m, _MASK)) ** 2), Arg(4),
     Arg(4))
_EX = np.array([[1, 0, 2], [0, 0, 1]])
case("extract", "mask", lambda m, x: m.extract(_EX, x, **_size(m, _EX)), Arg(2, 3))


def _pieces(m):
    return [lambda v: v * v, lambda v: m.sin(v) * 2.0, 0.5]


case("piecewise", "three_pieces",
     lambda m, x: m.piecewise(x, [x < -0.5, x > 0.5], _pieces(m)), Arg(2, 4), fd=True)
case("piecewise", "traced_closure",
     lambda m, x, a: m.piecewise(x, [x < 0], [lambda v: a * v, lambda v: a ** 2 + v]),
     Arg(5), Arg(lo=0.5, hi=1.5))
case("piecewise", "complex",
     lambda m, a, b: _r(m, m.piecewise(_c(m, a, b), [a < 0], [lambda v: v * v, lambda v: -v])),
     Arg(4), Arg(4))

# ---------------------------------------------------------------- interp, unwrap
_XP = np.array([-1.0, 0.0, 0.5, 1.5])
case("interp", "x_and_fp", lambda m, x, xp, fp: m.interp(x, xp, fp), Arg(2, 3, lo=-1.5, hi=2.0),
     _XP, Arg(4), diff=(0, 2))
# The sample points traced too: 0.1 t + xp stays increasing.
case("interp", "x_xp_fp_left_right",
     lambda m, x, xp, t, fp: m.interp(x, 0.1 * t + xp, fp, left=-3.0, right=fp[0] * 2),
     Arg(5, lo=-1.5, hi=2.0), _XP, Arg(4, lo=-1, hi=1), Arg(4), diff=(0, 2, 3))
case("interp", "period", lambda m, x, xp, fp: m.interp(x, xp, fp, period=2.5),
     Arg(6, lo=-4.0, hi=4.0), np.array([0.5, 2.0, 3.5, 5.5]), Arg(4), diff=(0, 2))
case("interp", "complex_fp", lambda m, x, xp, a, b: _r(m, m.interp(x, xp, _c(m, a, b))),
     Arg(3, lo=-1.0, hi=1.5), _XP, Arg(4), Arg(4), diff=(0, 2, 3))
# At the sample points: the slope to the right (of the last segment at the end).
case("interp", "at_sample_points", lambda m, x, xp, fp: m.interp(x, xp, fp),
     _XP, _XP, Arg(4), diff=(0, 2), fd=False)

case("unwrap", "default", lambda m, p: m.unwrap(p), Arg(7, lo=-6.0, hi=6.0))
case("unwrap", "axis0_discont_period",
     lambda m, p: m.unwrap(p, discont=2.0, axis=0, period=3.0), Arg(4, 2, lo=-3.0, hi=3.0))
